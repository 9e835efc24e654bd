"""The training process's loop, the same for every backend: log the episodes, show
progress, stop when solved or on Ctrl-C, write periodic checkpoints, build the result.

A backend (:mod:`a3cmem_lib.training.backends`) runs the workers and supplies only what
differs between local processes and Ray actors: start, poll, stop, snapshot, finish,
close (the :class:`Backend` protocol).

Explained in notebooks/01_a3c_basics.ipynb (sections "Running A3C" and "Stopping and
resuming").
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from a3cmem_lib.agent.model import ActorCriticModel
from a3cmem_lib.training.checkpoint import Checkpoint
from a3cmem_lib.training.config import TrainConfig
from a3cmem_lib.training.ctrl_c import first_ctrl_c_sets
from a3cmem_lib.training.errors import TrainingInterrupted
from a3cmem_lib.training.messages import Episode
from a3cmem_lib.training.result import EPISODE_COLUMNS, TrainResult
from a3cmem_lib.training.scalars import ScalarLog

POLL_SECONDS = 0.1
"""How long one poll of the backend waits for news."""
WIND_DOWN_SECONDS = 5.0
"""After Ctrl-C: how long the workers' last rollouts are waited for."""
RECENT = 100
"""Episodes in the mean return that ``stop_return`` is compared with."""


@dataclass
class Snapshot:
    """The learning state of a run at one moment, as a backend hands it to the driver."""

    model: ActorCriticModel
    """The global model, copied to ordinary memory (the run may keep learning)."""
    optimizer_state: dict[str, Any]
    """The optimizer's ``state_dict()``, copied."""
    global_step: int
    """Environment steps of all workers, a resumed checkpoint's included."""
    wall_time: float
    """Seconds the run has lasted (see ``TrainResult.wall_time``)."""
    memory_stats: dict[str, float] | None = None
    memory_state: dict[str, Any] | None = None
    policy_lag: dict[str, float] | None = None
    updates: int | None = None
    cpu_seconds: float = math.nan


class Backend(Protocol):
    """What runs the workers of one :func:`~a3cmem_lib.training.train` call.

    Used as a context manager: leaving it releases every process, actor, pipe and
    shared-memory segment, whatever happened.
    """

    progress_label: str
    """What the progress bar says before the environment id (e.g. ``"A3C on Ray"``)."""

    @property
    def running(self) -> bool:
        """Whether some work is still under way (the loop polls until it is not)."""

    @property
    def global_step(self) -> int:
        """Environment steps of all workers so far, a resumed checkpoint's included."""

    def __enter__(self) -> Backend: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def start(self) -> None:
        """Start the workers."""

    def poll(self, timeout: float) -> list[Episode]:
        """Wait up to ``timeout`` seconds for news, handle it, return the episodes that
        ended. Raises :class:`~a3cmem_lib.training.WorkerError` when a worker failed."""

    def stop(self, *, interrupted: bool = False) -> None:
        """Start no new work; let what is under way finish. ``interrupted``: stopped by
        Ctrl-C, so a message cut off in flight is counted as lost, not an error."""

    def snapshot(self) -> Snapshot:
        """The run so far, while it runs (a periodic checkpoint)."""

    def stats(self) -> dict[str, float]:
        """The latest losses and memory-layer counters, by TensorBoard name (what this
        backend can see cheaply; see :mod:`a3cmem_lib.training.scalars`)."""

    def finish(self, interrupted: bool) -> Snapshot:
        """Stop the workers, check that every experience arrived (after Ctrl-C a loss is
        counted, not raised) and return the final state."""


class Driver:
    """The parent's side of one run: drives ``backend`` to the end and builds the
    :class:`~a3cmem_lib.training.TrainResult`.

    Args:
        config: the run's configuration.
        backend: runs the workers.
        obs_shape, n_actions: the environment's spaces.
        resumed: the checkpoint the run continues (its step and episode counters).
        on_checkpoint: called with the run so far after each periodic checkpoint.
        scalars: where TensorBoard scalars go (``config.tensorboard_dir``), or ``None``.
    """

    def __init__(
        self,
        config: TrainConfig,
        backend: Backend,
        obs_shape: tuple[int, ...],
        n_actions: int,
        resumed: Checkpoint | None = None,
        on_checkpoint: Callable[[TrainResult], None] | None = None,
        scalars: ScalarLog | None = None,
    ) -> None:
        self.config, self.backend, self.scalars = config, backend, scalars
        self.obs_shape, self.n_actions = obs_shape, n_actions
        self.on_checkpoint = on_checkpoint
        self.start_step = resumed.global_step if resumed is not None else 0
        self.start_episode = resumed.episodes if resumed is not None else 0
        self.episodes: list[Episode] = []
        self.recent_returns: deque[float] = deque(maxlen=RECENT)
        every = config.checkpoint_every
        self.next_checkpoint = None if every is None else (self.start_step // every + 1) * every
        self.stop_requested = threading.Event()
        """Set by the first Ctrl-C: the loop stops at its next poll."""

    def run(self) -> TrainResult:
        """Run the backend to the end (or an interruption), write the final checkpoint,
        return the result (or raise :class:`~a3cmem_lib.training.TrainingInterrupted`
        carrying it)."""
        interrupted = False
        scalars = contextlib.closing(self.scalars) if self.scalars else contextlib.nullcontext()
        with self.backend, scalars:
            try:
                with first_ctrl_c_sets(self.stop_requested):
                    self.backend.start()
                    try:
                        self.collect()
                    except KeyboardInterrupt:
                        interrupted = True
                        self.wind_down()
            except KeyboardInterrupt:  # pressed again while winding down: shut down at once
                interrupted = True
            result = self.result(self.backend.finish(interrupted), interrupted)
            if self.scalars is not None:
                self.scalars.progress(result.global_step, self.backend.stats(), force=True)
        if self.config.checkpoint_every is not None:
            self.write_checkpoint(result)
        if interrupted:
            raise TrainingInterrupted(result)
        return result

    def collect(self) -> None:
        """Poll the backend until its work is done, with a progress bar; raises
        ``KeyboardInterrupt`` at the first poll after Ctrl-C."""
        # imported here: a worker started with "spawn" imports this package and never
        # needs tqdm
        from tqdm.auto import tqdm

        config, backend = self.config, self.backend
        with tqdm(
            total=config.total_steps,
            initial=self.start_step,
            unit="step",
            desc=f"{backend.progress_label} {config.env_id}",
            disable=not config.progress,
            dynamic_ncols=True,
        ) as bar:
            while backend.running:
                self.log(backend.poll(POLL_SECONDS))
                if self.stop_requested.is_set():
                    raise KeyboardInterrupt
                if self.recent_returns:
                    mean_return = sum(self.recent_returns) / len(self.recent_returns)
                    bar.set_postfix(
                        episodes=len(self.episodes),
                        mean_return_100=f"{mean_return:.1f}",
                        refresh=False,  # redrawn by bar.update, at most every 0.1 s
                    )
                    if self.solved(mean_return):
                        backend.stop()
                step = backend.global_step
                if self.scalars is not None:
                    self.scalars.progress(step, backend.stats())
                bar.update(min(step, config.total_steps) - bar.n)
                if self.next_checkpoint is not None and step >= self.next_checkpoint:
                    self.write_checkpoint(self.result(backend.snapshot(), interrupted=False))
                    every = config.checkpoint_every
                    self.next_checkpoint = (step // every + 1) * every

    def wind_down(self) -> None:
        """After Ctrl-C: start no new work, keep what the work under way delivers (for at
        most :data:`WIND_DOWN_SECONDS`)."""
        self.backend.stop(interrupted=True)
        deadline = time.monotonic() + WIND_DOWN_SECONDS
        while self.backend.running and time.monotonic() < deadline:
            self.log(self.backend.poll(POLL_SECONDS))

    def log(self, episodes: list[Episode]) -> None:
        """Append finished episodes to the run's episode log (and to TensorBoard)."""
        self.episodes += episodes
        if self.scalars is not None:
            self.scalars.episodes(episodes)
        self.recent_returns.extend(episode.episode_return for episode in episodes)

    def solved(self, mean_return: float) -> bool:
        """Whether ``stop_return`` is set and the last :data:`RECENT` episodes' mean
        reached it."""
        return (
            self.config.stop_return is not None
            and len(self.recent_returns) == RECENT
            and mean_return >= self.config.stop_return
        )

    def result(self, snapshot: Snapshot, interrupted: bool) -> TrainResult:
        """The run as a :class:`~a3cmem_lib.training.TrainResult`."""
        import pandas as pd  # imported here for the same reason as tqdm

        rows = [
            (
                self.start_episode + index,
                episode.global_step,
                episode.wall_time,
                episode.episode_return,
                episode.length,
                episode.worker,
            )
            for index, episode in enumerate(self.episodes)
        ]
        return TrainResult(
            episodes=pd.DataFrame(rows, columns=EPISODE_COLUMNS),
            model=snapshot.model,
            config=self.config,
            global_step=snapshot.global_step,
            steps_this_run=snapshot.global_step - self.start_step,
            total_episodes=self.start_episode + len(self.episodes),
            wall_time=snapshot.wall_time,
            optimizer_state=snapshot.optimizer_state,
            obs_dim=math.prod(self.obs_shape),
            n_actions=self.n_actions,
            memory_stats=snapshot.memory_stats,
            memory_state=snapshot.memory_state,
            interrupted=interrupted,
            obs_shape=self.obs_shape,
            policy_lag=snapshot.policy_lag,
            updates=snapshot.updates,
            cpu_seconds=snapshot.cpu_seconds,
        )

    def write_checkpoint(self, result: TrainResult) -> None:
        """Save ``result`` to the config's checkpoint path, then call ``on_checkpoint``."""
        path = self.config.periodic_checkpoint_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        result.save_checkpoint(path)
        if self.on_checkpoint is not None:
            self.on_checkpoint(result)
