"""The memory layer between asynchronous workers and the learner.

Workers push :class:`~a3cmem_lib.training.segments.Segment` s through an
:class:`ExperienceChannel` (a bounded queue: a worker waits when the learner falls behind,
instead of filling memory); the learner owns the replay buffer that :func:`build_memory`
makes and is the only process that touches it.

Explained in notebooks/05_async_training_with_memory.ipynb.
"""

from __future__ import annotations

import queue as queue_module
from collections.abc import Hashable
from typing import Any

from a3cmem_lib.memory import (
    DedupBuffer,
    FIFOBuffer,
    PrioritizedReplayBuffer,
    hash_fields,
)

from .segments import Segment

MEMORY_KINDS = ("none", "fifo", "per", "fifo+dedup", "per+dedup")
"""Values of ``TrainConfig.memory``: ``none`` is plain A3C, the rest name the replay buffer."""

DEDUP_KEYS = ("experience", "state-action")
"""What makes two segments duplicates: ``experience`` compares everything the environment
produced (states, actions, rewards, the bootstrap state and the terminal flag) and ignores
the behaviour policy's log-probabilities, which change with every update; ``state-action``
compares only the states and actions."""

_KEY_FIELDS = {
    "experience": ("obs", "actions", "rewards", "valid", "last_obs", "terminated"),
    "state-action": ("obs", "actions", "valid"),
}


class SegmentKey:
    """Dedup key of a segment: a hash of the fields ``DEDUP_KEYS[kind]`` selects.

    Args:
        kind: one of :data:`DEDUP_KEYS`.
        decimals: round float fields to this many decimals before hashing (``None``: exact).
    """

    def __init__(self, kind: str, decimals: int | None = None) -> None:
        if kind not in _KEY_FIELDS:
            raise ValueError(f"dedup_key must be one of {DEDUP_KEYS}, got {kind!r}")
        self.fields = _KEY_FIELDS[kind]
        self.decimals = decimals

    def __call__(self, segment: Segment) -> Hashable:
        return hash_fields((getattr(segment, name) for name in self.fields), self.decimals)


def build_memory(
    kind: str,
    capacity: int,
    *,
    alpha: float = 0.6,
    beta: float = 0.4,
    dedup_key: str = "experience",
    decimals: int | None = None,
    seed: int | None = None,
) -> FIFOBuffer | DedupBuffer | None:
    """The replay buffer for ``TrainConfig.memory == kind`` (``None`` for ``"none"``).

    Args:
        kind: one of :data:`MEMORY_KINDS`.
        capacity: segments the buffer holds.
        alpha, beta: prioritization and importance-sampling exponents (``per`` kinds).
        dedup_key: one of :data:`DEDUP_KEYS` (``+dedup`` kinds).
        decimals: rounding before the dedup key is hashed (``+dedup`` kinds).
        seed: seed of the buffer's sampling generator.
    """
    if kind not in MEMORY_KINDS:
        raise ValueError(f"memory must be one of {MEMORY_KINDS}, got {kind!r}")
    if kind == "none":
        return None
    if kind.startswith("per"):
        buffer: FIFOBuffer = PrioritizedReplayBuffer(capacity, alpha=alpha, beta=beta, seed=seed)
    else:
        buffer = FIFOBuffer(capacity, seed=seed)
    if kind.endswith("+dedup"):
        return DedupBuffer(buffer, key=SegmentKey(dedup_key, decimals))
    return buffer


class ExperienceChannel:
    """A bounded queue of experience from worker processes to the learner.

    Messages are ``(worker_id, sequence_number, segment, priority)``; sequence numbers let
    the learner prove that nothing was lost or delivered twice. ``put`` waits while the
    queue is full (back-pressure) but gives up when ``stop_event`` is set, so shutdown never
    hangs on a full queue.

    Args:
        context: a ``multiprocessing`` context (its start method decides how it is shared).
        maxsize: messages the queue holds before ``put`` waits, ``>= 1``.
    """

    def __init__(self, context: Any, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize}")
        self.queue = context.Queue(maxsize)

    def put(self, message: tuple, stop_event: Any, poll_seconds: float = 0.05) -> bool:
        """Send ``message``; False if ``stop_event`` was set before it could be queued."""
        while not stop_event.is_set():
            try:
                self.queue.put(message, timeout=poll_seconds)
                return True
            except queue_module.Full:
                continue
        return False

    def get_all(self, limit: int, timeout: float = 0.0) -> list[tuple]:
        """Up to ``limit`` queued messages; waits up to ``timeout`` seconds for the first."""
        messages: list[tuple] = []
        try:
            if timeout > 0:
                messages.append(self.queue.get(timeout=timeout))
            while len(messages) < limit:
                messages.append(self.queue.get_nowait())
        except queue_module.Empty:
            pass
        return messages

    def close(self) -> None:
        """Release the queue's pipe and feeder thread (after the workers are joined)."""
        self.queue.close()
        self.queue.join_thread()


class DeliveryLedger:
    """Counts messages per worker and checks their sequence numbers arrive exactly once."""

    def __init__(self, num_workers: int) -> None:
        self.received = [0] * num_workers

    def record(self, worker_id: int, sequence_number: int) -> None:
        expected = self.received[worker_id]
        if sequence_number != expected:
            raise RuntimeError(
                f"experience from worker {worker_id} arrived out of order: message "
                f"{sequence_number}, expected {expected} (lost or duplicated in transit)"
            )
        self.received[worker_id] += 1

    @property
    def total(self) -> int:
        return sum(self.received)
