"""What a worker tells the training process, as small dataclasses both backends share.

A local worker sends :class:`RolloutReport`, then :class:`WorkerDone` or
:class:`WorkerFailed` on its pipe (:mod:`a3cmem_lib.training.worker`); a Ray worker returns
a :class:`BatchReport` per batch (:mod:`a3cmem_lib.training.backends.ray_actors`). Either
way the driver receives each finished episode as an :class:`Episode`.

Explained in notebooks/01_a3c_basics.ipynb (section "The worker loop").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Episode:
    """One finished episode, as the driver logs it (a row of ``TrainResult.episodes``)."""

    episode_return: float
    """Sum of the episode's rewards."""
    length: int
    """Environment steps of the episode."""
    global_step: int
    """Environment steps of all workers when the episode ended."""
    wall_time: float
    """Seconds since training started when the episode was reported."""
    worker: int
    """The worker that played it."""


def stamp_episodes(
    ended: list[tuple[float, int, int]],
    steps: int,
    step_after: int,
    wall_time: float,
    worker: int,
) -> list[Episode]:
    """Episodes that ended inside a stretch of ``steps`` steps, as :class:`Episode` rows.

    ``ended`` holds ``(return, length, t)`` with ``t`` the 0-based index of the episode's
    last step in the stretch (what :class:`~a3cmem_lib.training.rollout.RolloutCollector`
    records); ``step_after`` is the global step after the stretch, so the episode ended at
    global step ``step_after - (steps - 1 - t)``.
    """
    last = steps - 1
    return [
        Episode(float(episode_return), int(length), step_after - (last - t), wall_time, worker)
        for episode_return, length, t in ended
    ]


@dataclass
class RolloutReport:
    """A local worker's rollout in which an episode ended or that made segments."""

    worker: int
    """The worker that sent it."""
    episodes: list[Episode]
    """Episodes that ended in the rollout."""
    segments: list[tuple[Any, float]]
    """With a memory layer: ``(Segment, initial priority)`` pairs, oldest first."""
    version: int | None = None
    """The policy version (updates of the shared model) the rollout was acted with;
    ``None`` where versions are not counted."""
    losses: tuple[float, float, float] | None = None
    """The rollout's A3C loss terms ``(policy, value, entropy)`` when the worker learned
    from it (plain A3C, hybrid); ``None`` otherwise."""


@dataclass
class WorkerDone:
    """A local worker has stopped: the step budget is spent or the parent asked it to."""

    worker: int
    segments_sent: int
    """Segments it sent in all its reports (the memory layer checks they all arrived)."""
    lags: np.ndarray | None = None
    """int64 (n,): the policy lag of each gradient it applied; ``None``: not measured."""


@dataclass
class WorkerFailed:
    """A local worker raised; the run fails with its traceback."""

    worker: int
    traceback: str
    """The formatted traceback of the exception."""


@dataclass
class BatchReport:
    """What the Ray driver learns of a worker's batch (small; the data stays in the object
    store)."""

    steps: int
    """Environment steps of the batch (its rollouts' lengths)."""
    segments: int
    """Segments the batch holds (0 without a memory layer)."""
    episodes: list[tuple[float, int, int]] = field(default_factory=list)
    """Episodes that ended in the batch: ``(return, length, t)``, ``t`` the index of the
    episode's last step in the batch (see :func:`stamp_episodes`)."""
