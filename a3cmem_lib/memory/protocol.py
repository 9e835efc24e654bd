"""The one interface every replay memory offers: what the memory layer and the learner call.

:class:`~a3cmem_lib.memory.FIFOBuffer`, :class:`~a3cmem_lib.memory.PrioritizedReplayBuffer`
and :class:`~a3cmem_lib.memory.DedupBuffer` (around either) implement it, with public
methods only, so code above the memory layer needs no ``isinstance`` branch: a uniform
buffer accepts priorities and ignores them, and returns importance weights of 1.

Explained in ``notebooks/05_async_training_with_memory.ipynb`` (the memory layer); the
buffers themselves in notebooks 02 (FIFO), 03 (prioritized replay) and 04 (deduplication).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class ReplayMemory(Protocol):
    """A fixed-capacity store of experience that samples batches for a learner.

    Items are fixed-structure records (a ``NamedTuple`` such as
    :class:`~a3cmem_lib.memory.Transition`, a tuple or a dict of array-likes); a sampled
    batch has the same structure with a leading batch axis.

    ``isinstance(x, ReplayMemory)`` checks that the methods exist, not their signatures.
    All three buffers also have ``extend(items, priorities=None)`` for a batch of items.
    """

    @property
    def capacity(self) -> int:
        """The largest number of items held; the oldest is overwritten first."""
        ...

    @property
    def prioritized(self) -> bool:
        """Whether priorities shape sampling (``False``: uniform, priorities are ignored)."""
        ...

    @property
    def duplicates(self) -> int:
        """Items refused so far because they duplicated a stored one (0 for a memory that
        does not deduplicate; a restored ``state_dict`` brings its count along)."""
        ...

    def __len__(self) -> int:
        """The number of items held, ``<= capacity``."""
        ...

    def push(self, item: Any, priority: float | None = None) -> int | None:
        """Store one item (no batch axis) with ``priority`` (finite, ``>= 0``; ``None``: the
        largest so far). Returns the slot it went to, or ``None`` for a refused duplicate."""
        ...

    def sample(
        self, batch_size: int, beta: float | None = None
    ) -> tuple[Any, np.ndarray, np.ndarray]:
        """Draw ``batch_size`` items; ``beta`` in [0, 1] is the importance-sampling exponent
        (``None``: the memory's default).

        Returns:
            batch: the item structure with a leading axis (batch_size,).
            indices: int64 (batch_size,), the slots drawn (for :meth:`update_priorities`).
            weights: float32 (batch_size,), importance-sampling weights in (0, 1]; ones for
                a uniform memory.
        """
        ...

    def update_priorities(self, indices: Any, priorities: Any) -> None:
        """Set the priorities (float (n,), finite, ``>= 0``) of the sampled slots ``indices``
        (int (n,)); a uniform memory checks them and keeps nothing."""
        ...

    def state_dict(self) -> dict[str, Any]:
        """A checkpoint of plain values: numpy arrays, Python scalars (int, float, bool,
        str, bytes, None), lists, tuples and dicts."""
        ...

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` of a memory built the same way; afterwards it samples
        exactly as the saved memory would have."""
        ...
