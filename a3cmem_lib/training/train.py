"""``train(config)``: start the workers on a shared model, collect episodes, shut down cleanly.

Explained in notebooks/01_a3c_basics.ipynb (section "Running A3C").
"""

from __future__ import annotations

import contextlib
import copy
import os
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

import pandas as pd
import torch
import torch.multiprocessing as mp
from tqdm.auto import tqdm

from a3cmem_lib.agent.model import ActorCritic
from a3cmem_lib.agent.shared_optim import SharedAdam, SharedRMSprop
from a3cmem_lib.envs import make_env, space_sizes
from a3cmem_lib.training.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from a3cmem_lib.training.config import TrainConfig
from a3cmem_lib.training.memory_layer import MemoryLayer
from a3cmem_lib.training.worker import DONE, ERROR, SEGMENTS, worker_main

EPISODE_COLUMNS = ["episode", "global_step", "wall_time", "return", "length", "worker"]
_JOIN_TIMEOUT = 5.0
_POLL_SECONDS = 0.1


class WorkerError(RuntimeError):
    """A worker process failed; the message contains its formatted traceback."""


@dataclass
class TrainResult:
    """What :func:`train` returns."""

    episodes: pd.DataFrame
    """One row per finished episode, in the order the parent received them, with columns
    ``episode`` (running index), ``global_step`` (environment steps of all workers when the
    episode ended), ``wall_time`` (seconds since training started), ``return``, ``length``
    (steps) and ``worker``."""
    model: ActorCritic
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
    """Seconds from starting the workers to their shutdown."""
    optimizer_state: dict[str, Any]
    """The shared optimizer's ``state_dict()``, copied out of shared memory."""
    obs_dim: int
    """Observation length of the environment."""
    n_actions: int
    """Number of discrete actions of the environment."""
    memory_stats: dict[str, float] | None = None
    """With a memory layer: segments received, stored and duplicate, the duplicate rate, the
    buffer's size, learner updates and segments sampled (see
    :meth:`~a3cmem_lib.training.memory_layer.MemoryLayer.stats`); ``None`` for plain A3C."""

    @property
    def steps_per_second(self) -> float:
        """Environment steps of this run per wall-clock second, all workers together."""
        return self.steps_this_run / self.wall_time

    def save_checkpoint(self, path: str | os.PathLike[str]) -> None:
        """Write a checkpoint that ``TrainConfig(resume_from=path)`` continues from."""
        save_checkpoint(
            path,
            Checkpoint(
                model_state=self.model.state_dict(),
                optimizer_state=self.optimizer_state,
                global_step=self.global_step,
                episodes=self.total_episodes,
                obs_dim=self.obs_dim,
                n_actions=self.n_actions,
                config=self.config,
            ),
        )


def train(config: TrainConfig) -> TrainResult:
    """Train an actor-critic with A3C: ``config.num_workers`` Hogwild workers, one shared model.

    Blocks until the global step counter reaches ``config.total_steps`` (or the mean return of
    the last 100 episodes reaches ``config.stop_return``). Whatever happens, every worker is
    joined (terminated after a timeout) and every pipe closed before this returns or raises.
    The caller's torch random state is left untouched.

    Args:
        config: the run's hyperparameters; validated again here.

    Returns:
        The learning curve, the trained model and what a checkpoint needs.

    Raises:
        WorkerError: a worker raised (its traceback is in the message) or died.
        KeyboardInterrupt: re-raised after stopping the workers.

    Explained in notebooks/01_a3c_basics.ipynb.
    """
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    config.validate()
    env = make_env(config.env_id)
    obs_dim, n_actions = space_sizes(env)
    env.close()

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        shared_model = config.build_model(obs_dim, n_actions)
    if config.optimizer == "adam":
        optimizer = SharedAdam(shared_model.parameters(), lr=config.learning_rate, fused=True)
    else:
        optimizer = SharedRMSprop(shared_model.parameters(), lr=config.learning_rate)
    start_step, start_episode = 0, 0
    if config.resume_from is not None:
        checkpoint = load_checkpoint(config.resume_from)
        shared_model.load_state_dict(checkpoint.model_state)
        optimizer.load_state_dict(checkpoint.optimizer_state)
        start_step, start_episode = checkpoint.global_step, checkpoint.episodes
    shared_model.share_memory()
    memory_layer = None
    if config.memory != "none":
        memory_layer = MemoryLayer(config, shared_model, optimizer)

    with (
        _single_threaded_torch(memory_layer is not None),
        _WorkerPool(config, shared_model, optimizer, start_step, memory_layer) as pool,
    ):
        records = pool.collect(start_episode)
    return TrainResult(
        episodes=pd.DataFrame(records, columns=EPISODE_COLUMNS),
        # deepcopy allocates ordinary memory, so the result holds no shared segment.
        model=copy.deepcopy(shared_model),
        config=config,
        global_step=pool.final_step,
        steps_this_run=pool.final_step - start_step,
        total_episodes=start_episode + len(records),
        wall_time=pool.wall_time,
        optimizer_state=copy.deepcopy(optimizer.state_dict()),
        obs_dim=obs_dim,
        n_actions=n_actions,
        memory_stats=memory_layer.stats() if memory_layer is not None else None,
    )


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


class _WorkerPool:
    """The worker processes, one pipe from each, and the objects they share with the parent.

    Used as a context manager: ``__exit__`` always stops, joins (or terminates) every worker,
    closes every pipe and drops all references to multiprocessing objects, on success, on a
    worker error and on KeyboardInterrupt alike.
    """

    def __init__(
        self,
        config: TrainConfig,
        shared_model: ActorCritic,
        optimizer: torch.optim.Optimizer,
        start_step: int,
        memory_layer: MemoryLayer | None = None,
    ) -> None:
        self.context = mp.get_context(config.start_method)
        self.memory_layer = memory_layer
        self.config = config
        self.shared_model = shared_model
        self.optimizer = optimizer
        self.start_step = start_step
        self.stop_event = self.context.Event()
        self.global_step = self.context.Value("q", start_step)
        self.start_time = time.monotonic()
        self.processes: list[BaseProcess] = []
        self.readers: dict[Connection, int] = {}
        self.final_step = start_step
        self.wall_time = 0.0

    def __enter__(self) -> _WorkerPool:
        try:
            for worker_id in range(self.config.num_workers):
                self._start_worker(worker_id)
        except BaseException:
            self._shutdown()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._shutdown()

    def _start_worker(self, worker_id: int) -> None:
        reader, writer = self.context.Pipe(duplex=False)
        self.readers[reader] = worker_id
        process = self.context.Process(
            target=worker_main,
            args=(
                worker_id,
                self.config,
                self.shared_model,
                self.optimizer,
                self.global_step,
                self.stop_event,
                writer,
                self.start_time,
                self.start_step,
            ),
            name=f"a3c-worker-{worker_id}",
            daemon=True,
        )
        self.processes.append(process)  # before start(): an interrupted start is cleaned up too
        try:
            process.start()
        finally:
            # Only the child keeps the sending end, so its death reads as end-of-file here;
            # closing it before the next start also keeps it out of later forked children.
            writer.close()

    def _current_step(self) -> int:
        # Lock-free read: the parent never blocks a worker for a progress-bar update.
        return self.global_step.get_obj().value

    def collect(self, start_episode: int) -> list[tuple[int, int, float, float, int, int]]:
        """Receive worker messages until every worker is done; rows follow ``EPISODE_COLUMNS``."""
        config = self.config
        records: list[tuple[int, int, float, float, int, int]] = []
        recent_returns: deque[float] = deque(maxlen=100)
        open_readers = list(self.readers)
        with tqdm(
            total=config.total_steps,
            initial=self.start_step,
            unit="step",
            desc=f"A3C {config.env_id}",
            disable=not config.progress,
            dynamic_ncols=True,
        ) as bar:
            while open_readers:
                for reader in wait(open_readers, timeout=_POLL_SECONDS):
                    worker_id = self.readers[reader]
                    try:
                        message = reader.recv()
                    except EOFError:
                        self.processes[worker_id].join(_JOIN_TIMEOUT)
                        raise WorkerError(
                            f"A3C worker {worker_id} died with exit code "
                            f"{self.processes[worker_id].exitcode} without reporting an error "
                            "(under spawn/forkserver, a script that calls train() must do so "
                            "inside `if __name__ == '__main__':`)"
                        ) from None
                    if message[0] == ERROR:
                        raise WorkerError(f"A3C worker {worker_id} raised:\n{message[1]}")
                    if message[0] == DONE:
                        if self.memory_layer is not None:
                            self.memory_layer.finish(worker_id, message[1])
                        open_readers.remove(reader)
                        continue
                    if message[0] == SEGMENTS:
                        assert self.memory_layer is not None
                        self.memory_layer.receive(worker_id, message[1], self._current_step())
                        continue
                    for episode_return, length, step, wall_time in message[1]:
                        episode = start_episode + len(records)
                        records.append(
                            (episode, step, wall_time, episode_return, length, worker_id)
                        )
                        recent_returns.append(episode_return)
                if recent_returns:
                    mean_return = sum(recent_returns) / len(recent_returns)
                    bar.set_postfix(
                        episodes=len(records),
                        mean_return_100=f"{mean_return:.1f}",
                        refresh=False,  # redrawn by bar.update, at most every 0.1 s
                    )
                    if (
                        config.stop_return is not None
                        and len(recent_returns) == recent_returns.maxlen
                        and mean_return >= config.stop_return
                    ):
                        self.stop_event.set()
                bar.update(min(self._current_step(), config.total_steps) - bar.n)
        self.wall_time = time.monotonic() - self.start_time
        self.final_step = self._current_step()
        return records

    def _drain(self) -> None:
        # A worker blocked on a full pipe cannot see the stop event; read and discard.
        for reader in wait(list(self.readers), timeout=0):
            with contextlib.suppress(EOFError, OSError):
                reader.recv()

    def _shutdown(self) -> None:
        self.stop_event.set()
        deadline = time.monotonic() + _JOIN_TIMEOUT
        while time.monotonic() < deadline:
            self._drain()
            alive = [process for process in self.processes if process.is_alive()]
            if not alive:
                break
            alive[0].join(_POLL_SECONDS)
        for process in self.processes:
            if process.is_alive():
                process.terminate()
                process.join(_JOIN_TIMEOUT)
            if process.is_alive():
                process.kill()
                process.join()
            process.close()
        for reader in self.readers:
            reader.close()
        # Drop the last references so semaphores, pipes and shared tensors are released now,
        # even when a traceback keeps this object alive.
        self.processes, self.readers = [], {}
        del self.stop_event, self.global_step, self.shared_model, self.optimizer
        self.memory_layer = None
