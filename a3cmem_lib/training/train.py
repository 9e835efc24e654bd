"""``train(config)``: start the workers on a shared model, collect episodes, shut down cleanly.

Explained in notebooks/01_a3c_basics.ipynb (sections "Running A3C" and "Stopping and
resuming").
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from a3cmem_lib.agent.model import ActorCriticModel
from a3cmem_lib.agent.shared_optim import SharedAdam, SharedRMSprop
from a3cmem_lib.envs import make_env, space_shapes
from a3cmem_lib.training.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from a3cmem_lib.training.config import TrainConfig
from a3cmem_lib.training.ctrl_c import first_ctrl_c_sets
from a3cmem_lib.training.errors import SetupError, TrainingInterrupted, WorkerError
from a3cmem_lib.training.memory_layer import MemoryLayer
from a3cmem_lib.training.policy_lag import PolicyLag
from a3cmem_lib.training.pool import WorkerPool
from a3cmem_lib.training.worker import DONE, ERROR, ROLLOUT

if TYPE_CHECKING:
    import pandas as pd

EPISODE_COLUMNS = ["episode", "global_step", "wall_time", "return", "length", "worker"]
_POLL_SECONDS = 0.1
_WIND_DOWN_SECONDS = 5.0
_RECENT = 100


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


def train(
    config: TrainConfig, *, on_checkpoint: Callable[[TrainResult], None] | None = None
) -> TrainResult:
    """Train an actor-critic with A3C: ``config.num_workers`` Hogwild workers, one shared model.

    With ``config.backend == "ray"`` the workers and the learner are Ray actors instead
    (:func:`a3cmem_lib.distributed.ray_train.train_on_ray`; same result).

    Blocks until the global step counter reaches ``config.total_steps`` (or the mean return of
    the last 100 episodes reaches ``config.stop_return``). Whatever happens, every worker is
    joined (terminated after a timeout) and every pipe closed before this returns or raises;
    workers also exit by themselves if this process dies. The caller's torch random state is
    left untouched.

    Args:
        config: the run's hyperparameters; validated again here.
        on_checkpoint: with ``config.checkpoint_every``, called with the run so far after
            each periodic checkpoint is written (the CLI writes its CSV and plot there).

    Returns:
        The learning curve, the trained model and what a checkpoint needs.

    Raises:
        SetupError: the environment or the checkpoint to resume from does not fit (before
            any worker starts).
        WorkerError: a worker raised (its traceback is in the message) or died.
        TrainingInterrupted: Ctrl-C (a ``KeyboardInterrupt``) stopped the run; its
            ``result`` holds what was learned, and a checkpoint is written first if
            ``config.checkpoint_every`` is set.

    Explained in notebooks/01_a3c_basics.ipynb.
    """
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    config.validate()
    if config.backend == "ray":  # imported here: nothing imports Ray unless asked to
        from a3cmem_lib.distributed.ray_train import train_on_ray

        return train_on_ray(config, on_checkpoint=on_checkpoint)
    obs_shape, n_actions = check_environment(config.env_id)
    resumed = read_resume_checkpoint(config, obs_shape, n_actions)
    return _Run(config, obs_shape, n_actions, resumed, on_checkpoint).execute()


def check_environment(env_id: str) -> tuple[tuple[int, ...], int]:
    """``(obs_shape, n_actions)`` of ``env_id``, or a :class:`SetupError` saying what is
    wrong."""
    try:
        env = make_env(env_id)
    except ValueError as error:
        raise SetupError(str(error)) from None
    try:
        return space_shapes(env)
    finally:
        env.close()


def read_resume_checkpoint(
    config: TrainConfig, obs_shape: tuple[int, ...], n_actions: int
) -> Checkpoint | None:
    """The checkpoint ``config.resume_from`` names, checked to fit ``config`` and the
    environment; ``None`` without ``resume_from``. Raises :class:`SetupError` naming
    ``resume_from`` and the mismatch."""
    if config.resume_from is None:
        return None
    try:
        checkpoint = load_checkpoint(config.resume_from)
    except (OSError, ValueError) as error:
        raise SetupError(f"resume_from: {error}") from None
    saved = checkpoint.config
    mismatches = [
        f"{name} {mine!r} (the checkpoint has {theirs!r})"
        for name, mine, theirs in (
            ("env_id", config.env_id, saved.env_id),
            ("obs_shape", obs_shape, checkpoint.obs_shape),
            ("n_actions", n_actions, checkpoint.n_actions),
            ("hidden_sizes", config.hidden_sizes, saved.hidden_sizes),
            ("activation", config.activation, saved.activation),
            ("conv_channels", config.conv_channels, saved.conv_channels),
            ("conv_kernel", config.conv_kernel, saved.conv_kernel),
            ("conv_hidden", config.conv_hidden, saved.conv_hidden),
            ("optimizer", config.optimizer, saved.optimizer),
        )
        if mine != theirs
    ]
    if checkpoint.memory_state is not None and config.memory != "none":
        for name in ("memory", "capacity", "alpha", "dedup_key", "dedup_decimals"):
            if getattr(config, name) != getattr(saved, name):
                mine, theirs = getattr(config, name), getattr(saved, name)
                mismatches.append(f"{name} {mine!r} (the checkpoint's buffer has {theirs!r})")
    if mismatches:
        raise SetupError(
            f"resume_from: {config.resume_from!r} does not fit this run: " + "; ".join(mismatches)
        )
    return checkpoint


class _Run:
    """One call of :func:`train`: the shared objects, the parent's loop, the result."""

    def __init__(
        self,
        config: TrainConfig,
        obs_shape: tuple[int, ...],
        n_actions: int,
        resumed: Checkpoint | None,
        on_checkpoint: Callable[[TrainResult], None] | None,
    ) -> None:
        self.config, self.obs_shape, self.n_actions = config, obs_shape, n_actions
        self.on_checkpoint = on_checkpoint
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            self.model = config.build_model(obs_shape, n_actions)
        if config.optimizer == "adam":
            self.optimizer = SharedAdam(
                self.model.parameters(), lr=config.learning_rate, fused=True
            )
        else:
            self.optimizer = SharedRMSprop(self.model.parameters(), lr=config.learning_rate)
        self.start_step, self.start_episode = 0, 0
        if resumed is not None:
            self.model.load_state_dict(resumed.model_state)
            self.optimizer.load_state_dict(resumed.optimizer_state)
            self.start_step, self.start_episode = resumed.global_step, resumed.episodes
        self.model.share_memory()
        self.resumed = resumed
        self.memory_layer: MemoryLayer | None = None
        self.lag = PolicyLag()
        """Policy lags of the workers' gradients (the memory layer measures replayed data's)."""
        self.records: list[tuple[int, int, float, float, int, int]] = []
        self.recent_returns: deque[float] = deque(maxlen=_RECENT)
        every = config.checkpoint_every
        self.next_checkpoint = None if every is None else (self.start_step // every + 1) * every
        # Set on Ctrl-C: a message cut off mid-transfer is then lost, not an error.
        self.interrupted = False
        self.stop_requested = threading.Event()
        """Set by the first Ctrl-C: the loop stops at its next poll."""

    def execute(self) -> TrainResult:
        """Run the workers to the end (or an interruption) and build the result."""
        pool = WorkerPool(self.config, self.model, self.optimizer, self.start_step)
        if self.config.memory != "none":
            self.memory_layer = MemoryLayer(
                self.config, self.model, self.optimizer, versions=pool.versions
            )
            if self.resumed is not None and self.resumed.memory_state is not None:
                self.memory_layer.restore(self.resumed.memory_state)
        try:
            with (
                _single_threaded_torch(self.memory_layer is not None),
                first_ctrl_c_sets(self.stop_requested),
                pool,
            ):
                try:
                    self.collect(pool)
                except KeyboardInterrupt:
                    self.interrupted = True
                    self.wind_down(pool)
        except KeyboardInterrupt:  # pressed again while winding down: shut down at once
            self.interrupted = True
        interrupted = self.interrupted
        result = self.result(pool, interrupted)
        if self.config.checkpoint_every is not None:
            self.write_checkpoint(result)
        if interrupted:
            raise TrainingInterrupted(result)
        return result

    def collect(self, pool: WorkerPool) -> None:
        """Receive worker messages until every worker is done, with a progress bar."""
        # tqdm and pandas are imported where they are used: a worker started with "spawn"
        # imports this package and needs neither before its first environment step.
        from tqdm.auto import tqdm

        config = self.config
        with tqdm(
            total=config.total_steps,
            initial=self.start_step,
            unit="step",
            desc=f"A3C {config.env_id}",
            disable=not config.progress,
            dynamic_ncols=True,
        ) as bar:
            while pool.running:
                for worker_id, message in pool.receive(_POLL_SECONDS):
                    self.handle(pool, worker_id, message)
                if self.stop_requested.is_set():
                    raise KeyboardInterrupt
                step = pool.global_step
                if self.recent_returns:
                    mean_return = sum(self.recent_returns) / len(self.recent_returns)
                    # redrawn by bar.update, at most every 0.1 s
                    bar.set_postfix(
                        episodes=len(self.records),
                        mean_return_100=f"{mean_return:.1f}",
                        refresh=False,
                    )
                    if self.solved(mean_return):
                        pool.stop()
                bar.update(min(step, config.total_steps) - bar.n)
                if self.next_checkpoint is not None and step >= self.next_checkpoint:
                    self.write_checkpoint(self.result(pool, interrupted=False))
                    every = config.checkpoint_every
                    self.next_checkpoint = (step // every + 1) * every

    def wind_down(self, pool: WorkerPool) -> None:
        """After Ctrl-C: ask the workers to stop and keep what their last rollouts send."""
        pool.stop()
        deadline = time.monotonic() + _WIND_DOWN_SECONDS
        while pool.running and time.monotonic() < deadline:
            for worker_id, message in pool.receive(_POLL_SECONDS):
                self.handle(pool, worker_id, message)

    def handle(self, pool: WorkerPool, worker_id: int, message: tuple) -> None:
        """Act on one message of a worker (see :mod:`a3cmem_lib.training.worker`)."""
        kind = message[0]
        if kind == ERROR:
            raise WorkerError(f"A3C worker {worker_id} raised:\n{message[1]}")
        if kind == DONE:
            if len(message) > 2:
                self.lag.add(message[2])
            if self.memory_layer is not None:
                self.memory_layer.finish(worker_id, message[1], interrupted=self.interrupted)
            pool.finished(worker_id)
            return
        assert kind == ROLLOUT, f"unknown message {kind!r} from worker {worker_id}"
        _, episodes, segments, *version = message
        for episode_return, length, step, wall_time in episodes:
            episode = self.start_episode + len(self.records)
            self.records.append((episode, step, wall_time, episode_return, length, worker_id))
            self.recent_returns.append(episode_return)
        if segments:
            self.memory_layer.receive(worker_id, segments, pool.global_step, *version)

    def solved(self, mean_return: float) -> bool:
        """Whether ``stop_return`` is set and the last 100 episodes' mean reached it."""
        return (
            self.config.stop_return is not None
            and len(self.recent_returns) == _RECENT
            and mean_return >= self.config.stop_return
        )

    def result(self, pool: WorkerPool, interrupted: bool) -> TrainResult:
        """The run so far, copied out of shared memory."""
        import pandas as pd

        global_step = pool.global_step
        memory = self.memory_layer
        return TrainResult(
            episodes=pd.DataFrame(self.records, columns=EPISODE_COLUMNS),
            # deepcopy allocates ordinary memory, so the result holds no shared segment.
            model=copy.deepcopy(self.model),
            config=self.config,
            global_step=global_step,
            steps_this_run=global_step - self.start_step,
            total_episodes=self.start_episode + len(self.records),
            wall_time=pool.wall_time,
            optimizer_state=copy.deepcopy(self.optimizer.state_dict()),
            obs_dim=math.prod(self.obs_shape),
            n_actions=self.n_actions,
            memory_stats=memory.stats() if memory is not None else None,
            memory_state=copy.deepcopy(memory.memory.state_dict()) if memory is not None else None,
            interrupted=interrupted,
            obs_shape=self.obs_shape,
            policy_lag=self.policy_lag(),
            updates=pool.updates,
            cpu_seconds=pool.cpu_seconds,
        )

    def policy_lag(self) -> dict[str, float] | None:
        """Summary of every lag measured: the workers' gradients and the replayed segments."""
        lag = PolicyLag()
        lag.add(self.lag.values())
        if self.memory_layer is not None:
            lag.add(self.memory_layer.lag.values())
        return lag.summary()

    def write_checkpoint(self, result: TrainResult) -> None:
        """Save ``result`` to the config's checkpoint path, then call ``on_checkpoint``."""
        path = self.config.periodic_checkpoint_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        result.save_checkpoint(path)
        if self.on_checkpoint is not None:
            self.on_checkpoint(result)


@contextlib.contextmanager
def _single_threaded_torch(enabled: bool) -> Iterator[None]:
    """Run the learner (in this process) on one thread while the workers run, as the workers
    do: with more threads than free cores, torch's threads spin-wait for each other."""
    threads = torch.get_num_threads()
    if enabled:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
