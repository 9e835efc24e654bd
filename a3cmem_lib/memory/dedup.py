"""Deduplicating wrapper: store each distinct experience once.

Explained in ``notebooks/04_deduplication.ipynb``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import numpy as np

from .fifo import FIFOBuffer
from .prioritized import PrioritizedReplayBuffer


class DedupBuffer:
    """Wrap a :class:`FIFOBuffer` or :class:`PrioritizedReplayBuffer` so that an item whose
    key is already stored is not stored again.

    A duplicate is counted in :attr:`duplicates` and :meth:`push` returns ``None`` for it.
    When the inner buffer is prioritized, the stored copy's priority is raised to the larger
    of the two (a duplicate is evidence that the experience matters at least as much).
    When the ring overwrites an item, its key is forgotten, so the same experience can be
    stored again later: the key table never holds stale keys and never outgrows the buffer.

    Args:
        buffer: the buffer to fill; it must be empty and from now on be written only through
            this wrapper (otherwise the wrapper cannot know which keys were overwritten).
        key: ``key(item) -> hashable`` deciding when two items are the same (for example
            ``lambda t: (t.state.tobytes(), int(t.action))``). Default: a 128-bit hash of
            every field's bytes, dtype and shape.
        decimals: with the default key, round float fields to this many decimals first, so
            near-duplicates in continuous spaces count as duplicates; ``None`` hashes exact
            values. Cannot be combined with ``key``.

    Everything else (``sample``, ``update_priorities``, ``len``, ``capacity``, ...) behaves
    as in the wrapped buffer.
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
        self._slot_of: dict[Hashable, int] = {}
        self._key_at: list[Hashable | None] = [None] * buffer.capacity

    # -- delegated basics ------------------------------------------------------------------
    @property
    def capacity(self) -> int:
        return self.buffer.capacity

    def __len__(self) -> int:
        return len(self.buffer)

    def __repr__(self) -> str:
        return f"DedupBuffer({self.buffer!r}, duplicates={self.duplicates})"

    @property
    def prioritized(self) -> bool:
        """Whether the wrapped buffer is a :class:`PrioritizedReplayBuffer`."""
        return isinstance(self.buffer, PrioritizedReplayBuffer)

    def sample(self, batch_size: int, *args: Any, **kwargs: Any) -> tuple[Any, np.ndarray, Any]:
        """Sample from the wrapped buffer (same arguments and results)."""
        return self.buffer.sample(batch_size, *args, **kwargs)

    def update_priorities(self, indices: Any, priorities: Any) -> None:
        """Update priorities in the wrapped :class:`PrioritizedReplayBuffer`."""
        if not self.prioritized:
            raise TypeError("update_priorities needs a PrioritizedReplayBuffer inside DedupBuffer")
        self.buffer.update_priorities(indices, priorities)

    @property
    def duplicate_rate(self) -> float:
        """Fraction of all offered items that were duplicates (0.0 before any push)."""
        offered = self.duplicates + self._stored_total
        return self.duplicates / offered if offered else 0.0

    # -- keys ------------------------------------------------------------------------------
    def key_of(self, item: Any) -> Hashable:
        """The key that decides whether ``item`` (one record, no batch axis) is a duplicate."""
        if self.key is not None:
            return self.key(item)
        values = item.values() if isinstance(item, dict) else item
        return hash_fields(values, self.decimals)

    # -- adding items ----------------------------------------------------------------------
    def push(self, item: Any, priority: float | None = None) -> int | None:
        """Store ``item`` unless its key is stored; return its slot, or ``None`` if duplicate."""
        arrays, _ = self.buffer._reserve(item, batched=False, argument="item")
        new = self._new_priorities(priority, 1, "priority")
        slots = self._admit([self.key_of(_record_like(item, arrays))], new)
        if slots[0] < 0:
            return None
        if self.prioritized:
            self.buffer.push(item, new[0])
        else:
            self.buffer.push(item)
        return int(slots[0])

    def extend(self, items: Any, priorities: Any = None) -> np.ndarray:
        """Store the new items of a batch (fields batched along axis 0), in order.

        An item that duplicates a stored item, or an earlier item of the same batch, is not
        stored. Returns int64 (n,): the slot of each item, or -1 for a duplicate.
        """
        arrays, reserved = self.buffer._reserve(items, batched=True, argument="items")
        new = self._new_priorities(priorities, len(reserved), "priorities")
        keys = [
            self.key_of(_record_like(items, [array[row] for array in arrays]))
            for row in range(len(reserved))
        ]
        slots = self._admit(keys, new)
        keep = np.flatnonzero(slots >= 0)
        if len(keep):
            kept = _record_like(items, [array[keep] for array in arrays])
            if self.prioritized:
                self.buffer.extend(kept, new[keep])
            else:
                self.buffer.extend(kept)
        return slots

    def _new_priorities(self, priorities: Any, count: int, argument: str) -> np.ndarray | None:
        if self.prioritized:
            # a copy: _admit raises duplicates' priorities in place, never in the caller's array
            return self.buffer._new_priorities(priorities, count, argument).copy()
        if priorities is not None:
            raise TypeError(f"{argument} needs a PrioritizedReplayBuffer inside DedupBuffer")
        return None

    def _admit(self, keys: list[Hashable], priorities: np.ndarray | None) -> np.ndarray:
        """Decide, in order, which keys are new; book their slots and count the duplicates.

        Works as if the items were pushed one by one: an item is a duplicate when its key is
        stored at that moment, and each stored item evicts the key of the slot it takes.
        The priority of a duplicate raises that of its stored copy: in ``priorities`` when the
        copy comes earlier in this batch, through ``update_priorities`` otherwise.
        Returns int64 (n,): the slot for each new key, -1 for each duplicate.
        """
        slots = np.full(len(keys), -1, dtype=np.int64)
        row_at: dict[int, int] = {}  # slot -> row of this batch that will be written there
        raised: dict[int, float] = {}  # slot already in the buffer -> its raised priority
        next_slot = self.buffer.next_slot
        for row, key in enumerate(keys):
            stored = self._slot_of.get(key)
            if stored is not None:
                self.duplicates += 1
                if priorities is not None:
                    if stored in row_at:
                        earlier = row_at[stored]
                        priorities[earlier] = max(priorities[earlier], priorities[row])
                    else:
                        current = raised.get(stored, self.buffer.priorities([stored])[0])
                        raised[stored] = max(current, priorities[row])
                continue
            evicted = self._key_at[next_slot]
            if evicted is not None:
                del self._slot_of[evicted]
                raised.pop(next_slot, None)
            self._key_at[next_slot] = key
            self._slot_of[key] = next_slot
            row_at[next_slot] = row
            slots[row] = next_slot
            next_slot = (next_slot + 1) % self.capacity
        self._stored_total += len(row_at)
        if raised:
            self.buffer.update_priorities(list(raised), list(raised.values()))
        if priorities is not None and len(priorities):
            # As if pushed one by one: every offered priority counts towards the running
            # maximum, also a duplicate's whose stored copy this batch then overwrites.
            self.buffer.max_priority = max(self.buffer.max_priority, float(priorities.max()))
        return slots

    # -- housekeeping ----------------------------------------------------------------------
    def clear(self) -> None:
        """Empty the wrapped buffer, forget every key and reset the counters."""
        self.buffer.clear()
        self._slot_of.clear()
        self._key_at = [None] * self.capacity
        self.duplicates = 0
        self._stored_total = 0

    def state_dict(self) -> dict[str, Any]:
        return {
            "buffer": self.buffer.state_dict(),
            "duplicates": self.duplicates,
            "stored_total": self._stored_total,
            "key_at": list(self._key_at),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.buffer.load_state_dict(state["buffer"])
        self.duplicates = int(state["duplicates"])
        self._stored_total = int(state["stored_total"])
        self._key_at = list(state["key_at"])
        self._slot_of = {key: slot for slot, key in enumerate(self._key_at) if key is not None}


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


def _record_like(template: Any, fields: list[Any]) -> Any:
    """A record with the structure of ``template`` (NamedTuple, tuple or dict) and ``fields``."""
    if isinstance(template, dict):
        return dict(zip(template.keys(), fields, strict=True))
    if hasattr(type(template), "_fields"):
        return type(template)._make(fields)
    return tuple(fields)
