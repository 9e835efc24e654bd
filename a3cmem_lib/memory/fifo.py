"""FIFO replay buffer: a ring of preallocated columns, sampled uniformly.

Explained in ``notebooks/02_fifo_buffer.ipynb``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import check_indices, check_positive_int
from .storage import ColumnStorage


class FIFOBuffer:
    """Experience replay as a ring buffer: the oldest item is overwritten first.

    Items are fixed-structure records (a ``NamedTuple`` such as :class:`Transition`, a tuple
    or a dict of array-likes); the first item fixes the structure, shapes and dtypes, and
    every later item must match them.

    Args:
        capacity: maximum number of items held, ``>= 1``.
        seed: seed of the buffer's own random generator (``numpy.random.default_rng``).

    Example:
        >>> buffer = FIFOBuffer(3, seed=0)
        >>> for step in range(5):
        ...     _ = buffer.push(Transition([step, step], 0, 1.0, [step + 1, step + 1], False))
        >>> len(buffer), buffer.next_slot  # items 0 and 1 were overwritten by 3 and 4
        (3, 2)
    """

    def __init__(self, capacity: int, *, seed: int | None = None) -> None:
        self.capacity = check_positive_int("capacity", capacity)
        self._storage = ColumnStorage(self.capacity)
        self._rng = np.random.default_rng(seed)
        self._next = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def __repr__(self) -> str:
        layout = self._storage.layout
        items = layout.describe() if layout is not None else "no items yet"
        return f"{type(self).__name__}(capacity={self.capacity}, len={self._size}, {items})"

    @property
    def next_slot(self) -> int:
        """The slot the next pushed item will occupy (the oldest item once the ring is full)."""
        return self._next

    @property
    def nbytes(self) -> int:
        """Bytes of preallocated item storage (0 before the first push)."""
        return self._storage.nbytes

    # -- adding items ----------------------------------------------------------------------
    def push(self, item: Any) -> int:
        """Store one item; return the slot it occupies."""
        arrays, slots = self._reserve(item, batched=False, argument="item")
        self._commit(item, arrays, slots, batched=False)
        return int(slots[0])

    def extend(self, items: Any) -> np.ndarray:
        """Store a batch of items, each field batched along axis 0.

        Args:
            items: one record whose fields have a leading batch axis, e.g.
                ``Transition(state=(n, *obs_shape), action=(n,), ...)``; ``n <= capacity``.

        Returns:
            slots: int64 array of shape (n,), the slot of each item, in order.
        """
        arrays, slots = self._reserve(items, batched=True, argument="items")
        self._commit(items, arrays, slots, batched=True)
        return slots

    def _reserve(self, items: Any, *, batched: bool, argument: str) -> tuple[list, np.ndarray]:
        """Validate ``items`` and choose their slots, without changing the buffer."""
        arrays, count = self._storage.prepare(items, batched=batched, argument=argument)
        if count > self.capacity:
            raise ValueError(
                f"{argument} holds {count} items, more than the capacity {self.capacity}; "
                "nothing was stored"
            )
        slots = (self._next + np.arange(count, dtype=np.int64)) % self.capacity
        return arrays, slots

    def _commit(self, items: Any, arrays: list, slots: np.ndarray, *, batched: bool) -> None:
        """Write validated items into their reserved slots and advance the ring."""
        if self._storage.layout is None:
            self._storage.allocate(items, batched=batched)
        self._storage.write(slots if batched else slots[0], arrays)
        self._next = (self._next + len(slots)) % self.capacity
        self._size = min(self._size + len(slots), self.capacity)

    # -- sampling --------------------------------------------------------------------------
    def _check_batch_size(self, batch_size: int) -> int:
        batch_size = check_positive_int("batch_size", batch_size)
        if batch_size > self._size:
            raise ValueError(
                f"batch_size must be <= the number of stored items ({self._size}), got {batch_size}"
            )
        return batch_size

    def sample(self, batch_size: int) -> tuple[Any, np.ndarray, np.ndarray]:
        """Draw ``batch_size`` items uniformly at random, with replacement.

        Returns:
            batch: the item structure with a leading batch axis, e.g. ``state: (batch, ...)``.
            indices: int64 array (batch,), the slots drawn.
            weights: float32 array (batch,) of ones (uniform sampling needs no correction;
                returned so every buffer has the same ``sample`` signature).
        """
        batch_size = self._check_batch_size(batch_size)
        indices = self._rng.integers(0, self._size, size=batch_size, dtype=np.int64)
        return self._storage.read(indices), indices, np.ones(batch_size, dtype=np.float32)

    def get(self, indices: Any) -> Any:
        """Read the items at ``indices`` (int array (n,), slots in [0, len)) without sampling."""
        return self._storage.read(check_indices("indices", indices, self._size))

    # -- housekeeping ----------------------------------------------------------------------
    def clear(self) -> None:
        """Remove every item (and forget their structure)."""
        self._storage.clear()
        self._next = 0
        self._size = 0

    def state_dict(self) -> dict[str, Any]:
        """A checkpoint of the buffer: items, ring position and random generator state."""
        return {
            "capacity": self.capacity,
            "next": self._next,
            "size": self._size,
            "storage": self._storage.state_dict(),
            "rng": self._rng.bit_generator.state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a checkpoint made by :meth:`state_dict` of a buffer of the same capacity."""
        if state["capacity"] != self.capacity:
            raise ValueError(
                f"state_dict has capacity {state['capacity']}, this buffer has {self.capacity}"
            )
        self._storage.load_state_dict(state["storage"])
        self._next = int(state["next"])
        self._size = int(state["size"])
        self._rng.bit_generator.state = state["rng"]
