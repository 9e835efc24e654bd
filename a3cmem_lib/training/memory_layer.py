"""The memory layer between asynchronous workers and the learner.

Workers send :class:`~a3cmem_lib.training.segments.Segment` s on their pipes to the
parent, where :class:`MemoryLayer` stores them in the replay buffer that
:func:`build_memory` makes and runs the learner; the parent is the only process that
touches the buffer.

Explained in notebooks/05_async_training_with_memory.ipynb.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from a3cmem_lib.memory import (
    DedupBuffer,
    FIFOBuffer,
    PrioritizedReplayBuffer,
    hash_fields,
)

from .config import DEDUP_KEYS, MEMORY_KINDS
from .learner import Learner, LearnerUpdate
from .segments import Segment

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


class MemoryLayer:
    """The parent's side of the memory layer: store what workers send, learn on schedule.

    Workers send their segments on their own pipes (a pipe holds a bounded number of bytes,
    so a worker whose learner falls behind waits in ``send``: back-pressure, no unbounded
    queue). :meth:`receive` stores each segment and then runs learner updates until the
    learner has sampled ``replay_ratio`` segments per segment received. :meth:`finish`
    checks that every segment a worker says it sent arrived exactly once.

    Args:
        config: the run's configuration (``memory`` must not be ``"none"``).
        model: the global model (shared memory); the learner updates it in place.
        optimizer: the shared optimizer over ``model``'s parameters.
    """

    def __init__(self, config: Any, model: Any, optimizer: Any) -> None:
        self.config = config
        memory = build_memory(
            config.memory,
            config.capacity,
            alpha=config.alpha,
            beta=config.beta,
            dedup_key=config.dedup_key,
            decimals=config.dedup_decimals,
            seed=config.seed,
        )
        self.learner = Learner(
            model,
            optimizer,
            memory,
            batch_size=config.batch_size,
            gamma=config.gamma,
            total_steps=config.total_steps,
            rho_bar=config.rho_bar,
            c_bar=config.c_bar,
            off_policy_correction=config.off_policy_correction,
            value_coef=config.value_coef,
            entropy_coef=config.entropy_coef,
            max_grad_norm=config.max_grad_norm,
        )
        self.received = [0] * config.num_workers
        self.steps_received = 0
        self.last_update: LearnerUpdate | None = None

    def receive(self, worker_id: int, items: list[tuple[Segment, float]], step: int) -> None:
        """Store ``items`` (segment, initial priority) from ``worker_id``; then learn."""
        for segment, priority in items:
            self.learner.push(segment, priority)
            self.steps_received += int(segment.valid.sum())
        self.received[worker_id] += len(items)
        target = self.config.replay_ratio * sum(self.received)
        while self.learner.ready and self.learner.sampled < target:
            if self.config.anneal_lr:
                fraction_left = max(0.0, 1.0 - step / self.config.total_steps)
                for group in self.learner.optimizer.param_groups:
                    group["lr"] = self.config.learning_rate * fraction_left
            self.last_update = self.learner.update(step)

    def finish(self, worker_id: int, sent: int) -> None:
        """Check that all ``sent`` segments of ``worker_id`` were received, once each."""
        if sent != self.received[worker_id]:
            raise RuntimeError(
                f"worker {worker_id} sent {sent} segments but {self.received[worker_id]} "
                "arrived: experience was lost or duplicated between worker and memory"
            )

    def stats(self) -> dict[str, float]:
        """Counters of the run: segments and environment steps received, segments stored and
        duplicate, the buffer's size, and the learner's updates and samples."""
        memory = self.learner.memory
        received = sum(self.received)
        duplicates = memory.duplicates if isinstance(memory, DedupBuffer) else 0
        return {
            "segments_received": received,
            "steps_received": self.steps_received,
            "segments_stored": received - duplicates,
            "duplicates": duplicates,
            "duplicate_rate": duplicates / received if received else 0.0,
            "buffer_size": len(memory),
            "learner_updates": self.learner.updates,
            "segments_sampled": self.learner.sampled,
        }
