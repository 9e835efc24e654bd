"""Deduplicating wrapper: store each distinct experience once.

Explained in ``notebooks/04_deduplication.ipynb``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .checks import check_priorities, check_priority
from .fifo import FIFOBuffer
from .storage import StoredItems


class DedupBuffer:
    """Wrap a :class:`FIFOBuffer` or :class:`PrioritizedReplayBuffer` so that an item whose
    key is already stored is not stored again.

    A duplicate is counted in :attr:`duplicates` and :meth:`push` returns ``None`` for it.
    When the inner buffer is prioritized, the stored copy's priority is raised to the larger
    of the two (a duplicate is evidence that the experience matters at least as much).
    When the ring overwrites an item, its key is forgotten, so the same experience can be
    stored again later: the key table never holds stale keys and never outgrows the buffer.

    A key is computed from the item *as stored*: checked once by the wrapped buffer
    (:meth:`FIFOBuffer.as_stored`) and converted to its column dtypes, each field a numpy
    array (a scalar field a 0-d array). So ``reward=0.5`` and ``reward=np.float32(0.5)``,
    or a list of floats and a float64 array, give the same key when they store the same
    values.

    Args:
        buffer: the buffer to fill; it must be empty and from now on be written only through
            this wrapper (otherwise the wrapper cannot know which keys were overwritten).
        key: ``key(item) -> hashable`` deciding when two items are the same (for example
            ``lambda t: (t.state.tobytes(), int(t.action))``). Default: a 128-bit hash of
            every field's bytes, dtype and shape. Keys are saved in :meth:`state_dict` as
            they are, so return plain values (bytes, str, int, tuples of them).
        decimals: with the default key, round float fields to this many decimals first, so
            near-duplicates in continuous spaces count as duplicates; ``None`` hashes exact
            values. Cannot be combined with ``key``.

    It is a :class:`~a3cmem_lib.memory.ReplayMemory`: ``sample``, ``update_priorities``,
    ``len``, ``capacity`` and ``prioritized`` are those of the wrapped buffer (around a
    uniform buffer, priorities are checked and have no effect).
    """

    def __init__(
        self,
        buffer: FIFOBuffer,
        *,
        key: Callable[[Any], Hashable] | None = None,
        decimals: int | None = None,
    ) -> None:
        if not isinstance(buffer, FIFOBuffer):
            raise TypeError(
                "buffer must be a FIFOBuffer or PrioritizedReplayBuffer, "
                f"got {type(buffer).__name__}"
            )
        if len(buffer):
            raise ValueError(f"buffer must be empty when wrapped, it holds {len(buffer)} items")
        if key is not None and not callable(key):
            raise TypeError(f"key must be a callable item -> hashable, got {type(key).__name__}")
        if decimals is not None:
            if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
                raise TypeError(f"decimals must be an integer or None, got {decimals!r}")
            if key is not None:
                raise ValueError("decimals applies to the default key only; pass key or decimals")
        self.buffer = buffer
        self.key = key
        self.decimals = None if decimals is None else int(decimals)
        self.duplicates = 0
        self._stored_total = 0
        self._slot_of: dict[Hashable, int] = {}  # key -> slot holding it
        self._key_at: list[Hashable | None] = [None] * buffer.capacity  # slot -> its key

    # -- delegated basics ------------------------------------------------------------------
    @property
    def capacity(self) -> int:
        """The wrapped buffer's capacity."""
        return self.buffer.capacity

    def __len__(self) -> int:
        return len(self.buffer)

    def __repr__(self) -> str:
        return f"DedupBuffer({self.buffer!r}, duplicates={self.duplicates})"

    @property
    def prioritized(self) -> bool:
        """Whether priorities shape sampling: that of the wrapped buffer."""
        return self.buffer.prioritized

    def sample(
        self, batch_size: int, beta: float | None = None
    ) -> tuple[Any, np.ndarray, np.ndarray]:
        """Sample from the wrapped buffer: batch (leading axis (batch_size,)), indices int64
        (batch_size,) and importance weights float32 (batch_size,)."""
        return self.buffer.sample(batch_size, beta)

    def update_priorities(self, indices: Any, priorities: Any) -> None:
        """Set priorities (float (n,)) of sampled slots ``indices`` (int (n,)) in the wrapped
        buffer (a uniform buffer checks them and keeps nothing)."""
        self.buffer.update_priorities(indices, priorities)

    @property
    def duplicate_rate(self) -> float:
        """Fraction of all offered items that were duplicates (0.0 before any push)."""
        offered = self.duplicates + self._stored_total
        return self.duplicates / offered if offered else 0.0

    # -- keys ------------------------------------------------------------------------------
    def key_of(self, item: Any) -> Hashable:
        """The key that decides whether ``item`` (one record, no batch axis) is a duplicate.

        ``item`` is checked and converted as :meth:`push` would store it, then keyed.
        """
        return self._key(self.buffer.as_stored(item))

    def _key(self, stored: StoredItems) -> Hashable:
        if self.key is not None:
            return self.key(stored.record)
        return hash_fields(stored.fields, self.decimals)

    # -- adding items ----------------------------------------------------------------------
    def push(self, item: Any, priority: float | None = None) -> int | None:
        """Store ``item`` unless its key is stored; return its slot, or ``None`` if duplicate.

        Args:
            item: one record (no batch axis), as the wrapped buffer's ``push`` takes it.
            priority: finite and ``>= 0``; ``None`` means the largest so far. A duplicate's
                priority raises its stored copy's to the larger of the two.
        """
        stored = self.buffer.as_stored(item)  # the item's one check
        offered = self._offered(priority)
        key = self._key(stored)
        slot = self._slot_of.get(key)
        if slot is not None:
            self.duplicates += 1
            if offered is not None and offered > self.buffer.priorities([slot])[0]:
                self.buffer.update_priorities([slot], [offered])
            return None
        slot = self.buffer.push(stored, offered)
        evicted = self._key_at[slot]
        if evicted is not None:
            del self._slot_of[evicted]
        self._key_at[slot] = key
        self._slot_of[key] = slot
        self._stored_total += 1
        return slot

    def extend(self, items: Any, priorities: Any = None) -> np.ndarray:
        """Store the new items of a batch (fields batched along axis 0), in order.

        An item that duplicates a stored item, or an earlier item of the same batch, is not
        stored; the outcome is that of pushing the items one by one. Nothing changes if the
        batch or ``priorities`` (float (n,), finite, ``>= 0``, or ``None``) is refused.

        Returns int64 (n,): the slot of each item, or -1 for a duplicate.
        """
        stored = self.buffer.as_stored(items, batched=True)  # the batch's one check
        offered = self._offered_batch(priorities, stored.count)
        plan = self._plan([self._key(stored.item(row)) for row in range(stored.count)], offered)
        kept = np.flatnonzero(plan.slots >= 0)
        if len(kept) > self.capacity:
            raise ValueError(
                f"items holds {len(kept)} new items, more than the capacity {self.capacity}; "
                "nothing was stored"
            )
        if len(kept):
            new = stored if len(kept) == stored.count else stored.take(kept)
            self.buffer.extend(new, None if offered is None else offered[kept])
        for evicted in plan.forgotten:
            del self._slot_of[evicted]
        for key, slot in plan.added.items():
            self._key_at[slot] = key
            self._slot_of[key] = slot
        if plan.raised:
            self.buffer.update_priorities(list(plan.raised), list(plan.raised.values()))
        if offered is not None and len(offered) and offered.max() > self.buffer.max_priority:
            # As if pushed one by one: every offered priority counts towards the running
            # maximum, also a duplicate's whose stored copy this batch then overwrites.
            self.buffer.max_priority = float(offered.max())
        self.duplicates += plan.duplicates
        self._stored_total += len(kept)
        return plan.slots

    def _offered(self, priority: Any) -> float | None:
        """The checked priority of one item: ``None`` when the wrapped buffer is uniform."""
        if priority is not None:
            priority = check_priority("priority", priority)
        if not self.buffer.prioritized:
            return None
        return self.buffer.max_priority if priority is None else priority

    def _offered_batch(self, priorities: Any, count: int) -> np.ndarray | None:
        """The checked priorities of a batch, float64 (count,) (a copy: :meth:`_plan` raises
        entries in place); ``None`` when the wrapped buffer is uniform."""
        if priorities is not None:
            priorities = check_priorities("priorities", priorities, count).copy()
        if not self.buffer.prioritized:
            return None
        return np.full(count, self.buffer.max_priority) if priorities is None else priorities

    def _plan(self, keys: list[Hashable], priorities: np.ndarray | None) -> _Plan:
        """Decide, in order, which keys are new, as if the items were pushed one by one;
        change nothing but ``priorities``.

        An item is a duplicate when its key is stored at that moment (before the batch or
        by an earlier row), and each new item evicts the key of the slot it takes. The
        priority of a duplicate raises that of its stored copy: in ``priorities`` when the
        copy is an earlier row of this batch, in :attr:`_Plan.raised` otherwise.
        """
        slots = np.full(len(keys), -1, dtype=np.int64)
        added: dict[Hashable, int] = {}  # key -> slot, for keys this batch stores
        forgotten: set[Hashable] = set()  # keys stored before that this batch evicts
        row_at: dict[int, int] = {}  # slot -> row of this batch written there
        raised: dict[int, float] = {}  # slot stored before -> its raised priority
        duplicates = 0
        next_slot = self.buffer.next_slot
        for row, key in enumerate(keys):
            stored = added.get(key)
            if stored is None and key not in forgotten:
                stored = self._slot_of.get(key)
            if stored is not None:
                duplicates += 1
                if priorities is not None:
                    if stored in row_at:
                        earlier = row_at[stored]
                        priorities[earlier] = max(priorities[earlier], priorities[row])
                    else:
                        current = raised.get(stored)
                        if current is None:
                            current = self.buffer.priorities([stored])[0]
                        if priorities[row] > current:
                            raised[stored] = float(priorities[row])
                continue
            if next_slot in row_at:  # overwrites an earlier row: forget that row's key
                del added[keys[row_at[next_slot]]]
            else:
                evicted = self._key_at[next_slot]
                if evicted is not None:
                    forgotten.add(evicted)
                raised.pop(next_slot, None)
            added[key] = next_slot
            row_at[next_slot] = row
            slots[row] = next_slot
            next_slot = (next_slot + 1) % self.capacity
        return _Plan(slots, added, forgotten, raised, duplicates)

    # -- housekeeping ----------------------------------------------------------------------
    def clear(self) -> None:
        """Empty the wrapped buffer, forget every key and reset the counters."""
        self.buffer.clear()
        self._slot_of.clear()
        self._key_at = [None] * self.capacity
        self.duplicates = 0
        self._stored_total = 0

    def state_dict(self) -> dict[str, Any]:
        """The wrapped buffer's checkpoint, the counters and the key of every slot (``None``
        for an empty slot): plain values only, if the keys are (the default key: bytes)."""
        return {
            "buffer": self.buffer.state_dict(),
            "duplicates": self.duplicates,
            "stored_total": self._stored_total,
            "key_at": list(self._key_at),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` of a DedupBuffer around the same kind of buffer."""
        key_at = list(state["key_at"])
        if len(key_at) != self.capacity:
            raise ValueError(
                f"state_dict holds keys for capacity {len(key_at)}, this buffer has "
                f"capacity {self.capacity}"
            )
        self.buffer.load_state_dict(state["buffer"])
        self.duplicates = int(state["duplicates"])
        self._stored_total = int(state["stored_total"])
        self._key_at = key_at
        self._slot_of = {key: slot for slot, key in enumerate(key_at) if key is not None}


@dataclass
class _Plan:
    """What :meth:`DedupBuffer.extend` will do, decided before anything changes."""

    slots: np.ndarray  # int64 (n,): the slot of each row, -1 for a duplicate
    added: dict[Hashable, int]  # key -> slot, for the keys the batch stores
    forgotten: set[Hashable]  # keys stored before the batch that it evicts
    raised: dict[int, float]  # slot stored before -> its priority, raised by a duplicate
    duplicates: int  # rows that are duplicates


def hash_fields(values: Iterable[Any], decimals: int | None = None) -> bytes:
    """A 128-bit key of array-like ``values``: their dtypes, shapes and bytes.

    With ``decimals``, float values are rounded first, so near-equal values share a key
    (``-0.0`` and ``0.0`` too). This is :class:`DedupBuffer`'s default key; custom keys can
    call it on the fields they select.
    """
    digest = hashlib.blake2b(digest_size=16)
    for value in values:
        array = np.asarray(value)
        if decimals is not None and array.dtype.kind == "f":
            # + 0.0 turns -0.0 into 0.0, so rounding both sides of zero gives one key
            array = np.round(array, decimals) + 0.0
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.digest()
