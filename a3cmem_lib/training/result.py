"""What :func:`~a3cmem_lib.training.train` returns: the run's episodes, model and counters.

Explained in notebooks/01_a3c_basics.ipynb (section "Running A3C").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from a3cmem_lib.agent.model import ActorCriticModel
from a3cmem_lib.training.checkpoint import Checkpoint, save_checkpoint
from a3cmem_lib.training.config import TrainConfig

if TYPE_CHECKING:
    import pandas as pd

EPISODE_COLUMNS = ["episode", "global_step", "wall_time", "return", "length", "worker"]
"""The columns of ``TrainResult.episodes``."""


@dataclass
class TrainResult:
    """What :func:`train` returns (and :class:`TrainingInterrupted` carries)."""

    episodes: pd.DataFrame
    """One row per finished episode, in the order the parent received them, with columns
    ``episode`` (running index), ``global_step`` (environment steps of all workers when the
    episode ended), ``wall_time`` (seconds since training started), ``return``, ``length``
    (steps) and ``worker``."""
    model: ActorCriticModel
    """The trained global model, copied to ordinary (non-shared) CPU memory."""
    config: TrainConfig
    """The configuration of the run."""
    global_step: int
    """Environment steps taken by all workers, including those before a resumed checkpoint."""
    steps_this_run: int
    """Environment steps taken by this call of :func:`train`."""
    total_episodes: int
    """Episodes finished by all workers, including those before a resumed checkpoint."""
    wall_time: float
    """Seconds from starting the workers to their shutdown (local backend); on the Ray
    backend from creating the actors to the last batch's report, actor start-up included."""
    optimizer_state: dict[str, Any]
    """The shared optimizer's ``state_dict()``, copied out of shared memory."""
    obs_dim: int
    """Observation length of the environment (for images, H · W · C)."""
    n_actions: int
    """Number of discrete actions of the environment."""
    memory_stats: dict[str, float] | None = None
    """With a memory layer: segments received, stored and duplicate, the duplicate rate, the
    buffer's size, learner updates and segments sampled (see
    :meth:`~a3cmem_lib.training.memory_layer.MemoryLayer.stats`); ``None`` for plain A3C."""
    memory_state: dict[str, Any] | None = None
    """With a memory layer: the replay buffer's ``state_dict()`` at the end (a checkpoint
    stores it, so a resumed run continues with the same memory)."""
    interrupted: bool = False
    """Whether training was stopped before its budget (see :class:`TrainingInterrupted`)."""
    obs_shape: tuple[int, ...] | None = None
    """Observation shape, ``(obs_dim,)`` or ``(H, W, C)`` (``None`` when constructed:
    ``(obs_dim,)``)."""
    policy_lag: dict[str, float] | None = None
    """How stale the policy behind each gradient was, in updates of the shared model
    (``mean``, ``median``, ``p90``, ``max``, ``count``; see
    :mod:`a3cmem_lib.training.policy_lag`): for a worker's gradient, the updates between its
    weight copy and its application; for a replayed segment, the updates between the
    weights it was acted with and the learner update that used it. ``None``: nothing
    measured (e.g. interrupted before any update)."""
    updates: int | None = None
    """Updates applied to the shared model by this call: every worker gradient and every
    learner update of a memory layer (``memory_stats["learner_updates"]`` of them).
    ``None``: not counted (the Ray backend)."""
    cpu_seconds: float = float("nan")
    """User plus system CPU seconds this call used, the parent process (with a memory layer's
    learner) and its workers together: the compute behind ``steps_this_run``. NaN where it
    cannot be counted (the Ray backend, the ``forkserver`` start method, Windows) and in
    the result a periodic checkpoint passes to ``on_checkpoint`` (counted at shutdown)."""

    def __post_init__(self) -> None:
        self.obs_shape = (self.obs_dim,) if self.obs_shape is None else tuple(self.obs_shape)

    @property
    def steps_per_second(self) -> float:
        """Environment steps of this run per wall-clock second, all workers together."""
        return self.steps_this_run / self.wall_time if self.wall_time > 0 else 0.0

    def checkpoint(self) -> Checkpoint:
        """The run as a :class:`Checkpoint` (what :meth:`save_checkpoint` writes)."""
        return Checkpoint(
            model_state=self.model.state_dict(),
            optimizer_state=self.optimizer_state,
            global_step=self.global_step,
            episodes=self.total_episodes,
            obs_dim=self.obs_dim,
            n_actions=self.n_actions,
            config=self.config,
            memory_state=self.memory_state,
            obs_shape=self.obs_shape,
        )

    def save_checkpoint(self, path: str | os.PathLike[str]) -> None:
        """Write a checkpoint (atomically) that ``TrainConfig(resume_from=path)`` continues."""
        save_checkpoint(path, self.checkpoint())
