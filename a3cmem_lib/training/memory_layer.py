"""The memory layer between asynchronous workers and the learner.

Workers send :class:`~a3cmem_lib.training.segments.Segment` s on their pipes to the
parent, where :class:`MemoryLayer` stores them in the replay buffer that
:func:`build_memory` makes, samples batches on the replay schedule and hands them to the
:class:`~a3cmem_lib.training.learner.Learner`; the parent is the only process that touches
the buffer. One experience's path: ``env.step`` → rollout → segment → pipe →
:meth:`MemoryLayer.receive` → ``buffer.push``; then ``buffer.sample`` → ``Learner.update``
→ ``buffer.update_priorities``.

Explained in notebooks/05_async_training_with_memory.ipynb.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable

import numpy as np

from a3cmem_lib.agent.model import ActorCriticModel
from a3cmem_lib.agent.shared_optim import SharedOptimizer
from a3cmem_lib.memory import REPLAY_MEMORIES, ReplayMemory, hash_fields
from a3cmem_lib.training.acer import AcerLearner
from a3cmem_lib.training.config import DEDUP_KEYS, MEMORY_KINDS, TrainConfig
from a3cmem_lib.training.learner import Learner, LearnerUpdate
from a3cmem_lib.training.policy_lag import PolicyLag
from a3cmem_lib.training.schedules import Schedule, StepCounter
from a3cmem_lib.training.segments import Segment

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
) -> ReplayMemory | None:
    """The replay buffer for ``TrainConfig.memory == kind`` (``None`` for ``"none"``), as
    :data:`a3cmem_lib.memory.REPLAY_MEMORIES` builds it; deduplicating kinds key segments
    with :class:`SegmentKey`.

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
    memory = REPLAY_MEMORIES[kind]
    key = SegmentKey(dedup_key, decimals) if memory.deduplicates else None
    return memory.build(capacity, alpha=alpha, beta=beta, key=key, seed=seed)


class MemoryLayer:
    """The parent's side of the memory layer: it owns the replay buffer and the replay schedule.

    Workers send their segments on their own pipes (a pipe holds a bounded number of bytes,
    so a worker whose learner falls behind waits in ``send``: back-pressure, no unbounded
    queue). :meth:`receive` stores each segment and then replays: while the buffer holds a
    batch and fewer than ``replay_ratio`` segments were sampled per segment received, it
    samples a batch (PER: β from the schedule) and hands it to the :class:`Learner`, whose
    new priorities it writes back. With ``config.fresh_fraction`` > 0 (the LASER-style
    mixture) a batch first takes the most recent segments not trained on yet, up to
    ``config.fresh_per_batch``, and samples only the rest. :meth:`finish` checks that
    every segment a worker says it sent arrived exactly once.

    The policy lag of replayed data is measured here: a segment carries the *policy
    version* (updates of the shared model so far) its worker copied before acting, and
    each sampled segment adds ``version now − version then`` to :attr:`lag`.

    Args:
        config: the run's configuration (``memory`` must not be ``"none"``).
        model: the global model (shared memory); the learner updates it in place.
        optimizer: the shared optimizer over ``model``'s parameters.
        versions: the run's counter of updates to the shared model, shared with the workers
            (``None``: one of this layer's own, counting its learner's updates).
        average_model: with ``config.learner == "acer"`` and a trust region, the average
            policy network (shared with the workers).
    """

    def __init__(
        self,
        config: TrainConfig,
        model: ActorCriticModel,
        optimizer: SharedOptimizer,
        versions: StepCounter | None = None,
        average_model: ActorCriticModel | None = None,
    ) -> None:
        if config.memory == "none":
            raise ValueError("MemoryLayer needs config.memory other than 'none'")
        self.config = config
        self.memory: ReplayMemory = build_memory(
            config.memory,
            config.capacity,
            alpha=config.alpha,
            beta=config.beta,
            dedup_key=config.dedup_key,
            decimals=config.dedup_decimals,
            seed=config.seed,
        )
        self.learner: Learner | AcerLearner = (
            AcerLearner(config, model, optimizer, average_model)
            if config.learner == "acer"
            else Learner.from_config(config, model, optimizer)
        )
        self.optimizer = optimizer
        self.schedule = Schedule(config)
        self.received = [0] * config.num_workers
        self.steps_received = 0
        self.updates = 0
        self.sampled = 0
        self.duplicates_before = 0
        self.lost_at_stop = 0
        self.last_update: LearnerUpdate | None = None
        self.versions = versions if versions is not None else StepCounter.local()
        self.acted_version = np.zeros(config.capacity, dtype=np.int64)
        """Per buffer slot: the policy version its segment was acted with."""
        self.fresh: deque[tuple[int, Segment, int]] = deque(maxlen=config.fresh_per_batch)
        """(slot, segment, version) of the latest segments not trained on yet (mixture)."""
        self.fresh_trained = 0
        self.lag = PolicyLag()

    def restore(self, memory_state: dict) -> None:
        """Continue with the buffer of a checkpoint (``TrainResult.memory_state``); the
        counters of :meth:`stats` keep counting this run only."""
        self.memory.load_state_dict(memory_state)
        self.duplicates_before = self.memory.duplicates

    def receive(
        self,
        worker_id: int,
        items: list[tuple[Segment, float]],
        step: int,
        version: int | None = None,
    ) -> None:
        """Store ``items`` (segment, initial priority) from ``worker_id``; then replay.

        ``step`` is the global step now: it sets the learning rate and β of the replays.
        ``version`` is the policy version the worker acted with (``None``: the current one).
        """
        if version is None:
            version = self.versions.value
        for segment, priority in items:
            slot = self.memory.push(segment, priority)
            self.steps_received += int(segment.valid.sum())
            if slot is not None:  # None: a duplicate, not stored again
                self.acted_version[slot] = version
                if self.fresh.maxlen:
                    self.fresh.append((slot, segment, version))
        self.received[worker_id] += len(items)
        target = self.config.replay_ratio * sum(self.received)
        while len(self.memory) >= self.config.batch_size and self.sampled < target:
            self.last_update = self.replay(step)

    def replay(self, step: int) -> LearnerUpdate:
        """Sample one batch (fresh segments first, with a mixture), let the learner update
        the model on it, store the new priorities."""
        self.schedule.set_learning_rate(self.optimizer, step)
        batch, indices, weights, acted = self._batch(step)
        self.lag.add(self.versions.value - acted)
        update = self.learner.update(batch, weights)
        self.memory.update_priorities(indices, update.priorities)
        self.versions.add(1)
        self.updates += 1
        self.sampled += len(indices)
        return update

    def _batch(self, step: int) -> tuple[Segment, np.ndarray, np.ndarray, np.ndarray]:
        """A learner batch: the waiting fresh segments (importance weight 1), then samples
        from the buffer; with the slots, weights and acting versions of its segments."""
        parts = []
        if self.fresh:
            slots, segments, versions = zip(*self.fresh, strict=True)
            self.fresh.clear()
            self.fresh_trained += len(slots)
            stacked = Segment(*(np.stack(column) for column in zip(*segments, strict=True)))
            parts.append((stacked, np.array(slots), np.ones(len(slots), np.float32), versions))
        rest = self.config.batch_size - (len(parts[0][1]) if parts else 0)
        if rest:
            beta = self.schedule.beta(step) if self.memory.prioritized else None
            batch, indices, weights = self.memory.sample(rest, beta=beta)
            parts.append((batch, indices, weights, self.acted_version[indices]))
        if len(parts) == 1:
            batch, indices, weights, acted = parts[0]
            return batch, indices, weights, np.asarray(acted, dtype=np.int64)
        (fresh, slots, ones, versions), (batch, indices, weights, acted) = parts
        joined = Segment(*(np.concatenate(pair) for pair in zip(fresh, batch, strict=True)))
        return (
            joined,
            np.concatenate([slots, indices]),
            np.concatenate([ones, weights.astype(np.float32)]),
            np.concatenate([np.asarray(versions, dtype=np.int64), acted]),
        )

    def finish(self, worker_id: int, sent: int, *, interrupted: bool = False) -> None:
        """Check that all ``sent`` segments of ``worker_id`` were received, once each.

        After an interruption (Ctrl-C) a message in flight may be lost on purpose: then the
        shortfall is counted in ``stats()["segments_lost_at_stop"]`` instead of raising.
        """
        missing = sent - self.received[worker_id]
        if interrupted and missing >= 0:
            self.lost_at_stop += missing
            return
        if missing:
            raise RuntimeError(
                f"worker {worker_id} sent {sent} segments but {self.received[worker_id]} "
                "arrived: experience was lost or duplicated between worker and memory"
            )

    def stats(self) -> dict[str, float]:
        """Counters of this run (a resumed run counts from its start): segments and
        environment steps received, segments stored and duplicate, the buffer's size (old
        items included), and the learner's updates and samples."""
        received = sum(self.received)
        duplicates = self.memory.duplicates - self.duplicates_before
        return {
            "segments_received": received,
            "steps_received": self.steps_received,
            "segments_stored": received - duplicates,
            "duplicates": duplicates,
            "duplicate_rate": duplicates / received if received else 0.0,
            "buffer_size": len(self.memory),
            "learner_updates": self.updates,
            "segments_sampled": self.sampled,
            "segments_lost_at_stop": self.lost_at_stop,
            "fresh_segments_trained": self.fresh_trained,
        }
