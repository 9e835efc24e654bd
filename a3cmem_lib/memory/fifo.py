"""FIFO replay buffer: a ring of preallocated columns, sampled uniformly.

Explained in ``notebooks/02_fifo_buffer.ipynb``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import (
    check_indices,
    check_positive_int,
    check_priorities,
    check_priority,
    check_unit_interval,
)
from .storage import ColumnStorage, StoredItems


class FIFOBuffer:
    """Experience replay as a ring buffer: the oldest item is overwritten first.

    Items are fixed-structure records (a ``NamedTuple`` such as :class:`Transition`, a tuple
    or a dict of array-likes); the first item fixes the structure, shapes and dtypes, and
    every later item must match them.

    It is a :class:`~a3cmem_lib.memory.ReplayMemory` with uniform sampling: priorities are
    accepted so every ReplayMemory has one signature, and have no effect (they are checked,
    so a caller's bug shows up here as it would with prioritized replay).

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

    @property
    def prioritized(self) -> bool:
        """Whether priorities shape sampling: ``False``, this buffer samples uniformly."""
        return False

    @property
    def duplicates(self) -> int:
        """Items refused as duplicates: 0, this buffer stores every item it is given."""
        return 0

    # -- adding items ----------------------------------------------------------------------
    def as_stored(self, item: Any, *, batched: bool = False) -> StoredItems:
        """Check ``item`` against the stored structure and convert it to the stored dtypes.

        Args:
            item: one record (a NamedTuple, tuple or dict of array-likes), or with
                ``batched=True`` a batch of records (fields batched along axis 0). Before the
                first write, the first record fixes the structure.

        Returns:
            :class:`StoredItems`: ``fields`` as numpy arrays of the stored dtypes, ``count``
            and ``record`` (the item's own structure); :meth:`push` (or, for a batch,
            :meth:`extend`) accepts it in place of the item and does not check it again.
            Given such a :class:`StoredItems` of this buffer, returns it unchanged.

        Raises ``TypeError`` (structure, dtype) or ``ValueError`` (shape) naming the field;
        the buffer never changes.
        """
        if isinstance(item, StoredItems):
            if item.batched == batched and self._storage.holds(item.layout):
                return item
            item = item.record  # checked for another structure: check it again
        return self._storage.prepare(item, batched=batched, argument="items" if batched else "item")

    def push(self, item: Any, priority: float | None = None) -> int:
        """Store one item; return the slot it occupies.

        Args:
            item: one record, or :class:`StoredItems` from :meth:`as_stored`.
            priority: finite and ``>= 0``, or ``None``. Uniform: priorities are accepted so
                every ReplayMemory has one signature, and have no effect.
        """
        stored = self.as_stored(item)
        if priority is not None:
            check_priority("priority", priority)
        return int(self._store(stored)[0])

    def extend(self, items: Any, priorities: Any = None) -> np.ndarray:
        """Store a batch of items, each field batched along axis 0.

        Args:
            items: one record whose fields have a leading batch axis, e.g.
                ``Transition(state=(n, *obs_shape), action=(n,), ...)``; ``n <= capacity``
                (or :class:`StoredItems` of a batch from :meth:`as_stored`).
            priorities: float (n,), finite and ``>= 0``, or ``None``. Uniform: accepted so
                every ReplayMemory has one signature, and have no effect.

        Returns:
            slots: int64 array of shape (n,), the slot of each item, in order.
        """
        stored = self.as_stored(items, batched=True)
        self._check_fits(stored.count)
        if priorities is not None:
            check_priorities("priorities", priorities, stored.count)
        return self._store(stored)

    def _check_fits(self, count: int) -> None:
        if count > self.capacity:
            raise ValueError(
                f"items holds {count} items, more than the capacity {self.capacity}; "
                "nothing was stored"
            )

    def _store(self, stored: StoredItems) -> np.ndarray:
        """Write checked items at the next slots and advance the ring; return the slots."""
        if self._storage.layout is None:
            self._storage.allocate(stored.layout)
        if stored.batched:
            slots = (self._next + np.arange(stored.count, dtype=np.int64)) % self.capacity
            self._storage.write(slots, stored.fields)
        else:
            slots = np.array([self._next], dtype=np.int64)
            self._storage.write(self._next, stored.fields)
        self._next = (self._next + stored.count) % self.capacity
        self._size = min(self._size + stored.count, self.capacity)
        return slots

    # -- sampling --------------------------------------------------------------------------
    def _check_batch_size(self, batch_size: int) -> int:
        batch_size = check_positive_int("batch_size", batch_size)
        if batch_size > self._size:
            raise ValueError(
                f"batch_size must be <= the number of stored items ({self._size}), got {batch_size}"
            )
        return batch_size

    def sample(
        self, batch_size: int, beta: float | None = None
    ) -> tuple[Any, np.ndarray, np.ndarray]:
        """Draw ``batch_size`` items uniformly at random, with replacement.

        Args:
            batch_size: ``1 <= batch_size <= len(self)``.
            beta: importance-sampling exponent in [0, 1], or ``None``. Uniform: accepted so
                every ReplayMemory has one signature, and has no effect.

        Returns:
            batch: the item structure with a leading batch axis, e.g. ``state: (batch, ...)``.
            indices: int64 array (batch,), the slots drawn.
            weights: float32 array (batch,) of ones (uniform sampling needs no correction;
                returned so every buffer has the same ``sample`` signature).
        """
        batch_size = self._check_batch_size(batch_size)
        if beta is not None:
            check_unit_interval("beta", beta)
        indices = self._rng.integers(0, self._size, size=batch_size, dtype=np.int64)
        return self._storage.read(indices), indices, np.ones(batch_size, dtype=np.float32)

    def update_priorities(self, indices: Any, priorities: Any) -> None:
        """Check new priorities for sampled slots, and keep nothing of them.

        Uniform: priorities are accepted so every ReplayMemory has one signature, and have no
        effect. They are checked as :class:`PrioritizedReplayBuffer` checks them.

        Args:
            indices: int (n,), slots of stored items (as returned by :meth:`sample`).
            priorities: float (n,), finite and >= 0.
        """
        indices = check_indices("indices", indices, self._size)
        check_priorities("priorities", priorities, len(indices))

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
        """A checkpoint of the buffer: items, ring position and random generator state, in
        numpy arrays and plain values only (no class of this library). The ring fills its
        slots in order, so only the ``len(self)`` slots written are saved."""
        return {
            "capacity": self.capacity,
            "next": self._next,
            "size": self._size,
            "storage": self._storage.state_dict(filled=self._size),
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
