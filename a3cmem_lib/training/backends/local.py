"""The local backend: Hogwild worker processes on this machine around a model in shared
memory, and the memory layer (when there is one) in the training process.

Explained in notebooks/01_a3c_basics.ipynb (sections "Running A3C" and "Stopping and
resuming") and notebooks/05_async_training_with_memory.ipynb.
"""

from __future__ import annotations

import copy

import torch

from a3cmem_lib.agent.model import ActorCriticModel
from a3cmem_lib.training.checkpoint import Checkpoint
from a3cmem_lib.training.config import TrainConfig
from a3cmem_lib.training.driver import Snapshot
from a3cmem_lib.training.errors import WorkerError
from a3cmem_lib.training.memory_layer import MemoryLayer
from a3cmem_lib.training.messages import Episode, RolloutReport, WorkerDone, WorkerFailed
from a3cmem_lib.training.policy_lag import PolicyLag
from a3cmem_lib.training.pool import WorkerPool
from a3cmem_lib.training.preflight import build_model_and_optimizer


class LocalBackend:
    """``config.num_workers`` worker processes (:class:`~a3cmem_lib.training.pool.WorkerPool`)
    sharing one model and optimizer; with ``config.memory`` the memory layer's learner runs
    in this process, on one torch thread while the workers run (with more threads than free
    cores, torch's threads spin-wait for each other).

    Args:
        config: the run's configuration.
        obs_shape, n_actions: the environment's spaces.
        resumed: the checkpoint to continue from, or ``None``.
    """

    progress_label = "A3C"

    def __init__(
        self,
        config: TrainConfig,
        obs_shape: tuple[int, ...],
        n_actions: int,
        resumed: Checkpoint | None = None,
    ) -> None:
        self.config = config
        self.model, self.optimizer = build_model_and_optimizer(
            config, obs_shape, n_actions, resumed
        )
        self.model.share_memory()
        self.average_model = average_policy_network(config, self.model)
        start_step = resumed.global_step if resumed is not None else 0
        self.pool = WorkerPool(
            config, self.model, self.optimizer, start_step, average_model=self.average_model
        )
        self.memory_layer: MemoryLayer | None = None
        if config.memory != "none":
            self.memory_layer = MemoryLayer(
                config,
                self.model,
                self.optimizer,
                versions=self.pool.versions,
                average_model=self.average_model,
            )
            if resumed is not None and resumed.memory_state is not None:
                self.memory_layer.restore(resumed.memory_state)
        self.lag = PolicyLag()
        """Policy lags of the workers' gradients (the memory layer measures replayed data's)."""
        self.interrupted = False
        """Set once stopped by Ctrl-C: a segment lost in flight is then counted, not raised."""
        self.torch_threads = torch.get_num_threads()
        self.worker_losses: tuple[float, float, float] | None = None
        """The latest on-policy loss terms a worker reported (policy, value, entropy)."""

    @property
    def running(self) -> bool:
        return self.pool.running

    @property
    def global_step(self) -> int:
        return self.pool.global_step

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.pool.shutdown()
        torch.set_num_threads(self.torch_threads)

    def start(self) -> None:
        if self.memory_layer is not None:
            torch.set_num_threads(1)
        self.pool.start()

    def poll(self, timeout: float) -> list[Episode]:
        episodes: list[Episode] = []
        for message in self.pool.receive(timeout):
            if isinstance(message, WorkerFailed):
                raise WorkerError(f"A3C worker {message.worker} raised:\n{message.traceback}")
            if isinstance(message, WorkerDone):
                self.done(message)
                continue
            assert isinstance(message, RolloutReport), f"unknown message {message!r}"
            episodes += message.episodes
            if message.losses is not None:
                self.worker_losses = message.losses
            if message.segments:
                self.memory_layer.receive(
                    message.worker, message.segments, self.pool.global_step, message.version
                )
        return episodes

    def done(self, message: WorkerDone) -> None:
        """A worker has stopped: keep its lags, check its segments all arrived."""
        if message.lags is not None:
            self.lag.add(message.lags)
        if self.memory_layer is not None:
            self.memory_layer.finish(
                message.worker, message.segments_sent, interrupted=self.interrupted
            )
        self.pool.finished(message.worker)

    def stop(self, *, interrupted: bool = False) -> None:
        self.interrupted = self.interrupted or interrupted
        self.pool.stop()

    def snapshot(self) -> Snapshot:
        memory = self.memory_layer
        lag = PolicyLag()
        lag.add(self.lag.values())
        if memory is not None:
            lag.add(memory.lag.values())
        return Snapshot(
            # deepcopy allocates ordinary memory, so the result holds no shared segment.
            model=copy.deepcopy(self.model),
            optimizer_state=copy.deepcopy(self.optimizer.state_dict()),
            global_step=self.pool.global_step,
            wall_time=self.pool.wall_time,
            memory_stats=memory.stats() if memory is not None else None,
            memory_state=copy.deepcopy(memory.memory.state_dict()) if memory is not None else None,
            policy_lag=lag.summary(),
            updates=self.pool.updates,
            cpu_seconds=self.pool.cpu_seconds,
        )

    def stats(self) -> dict[str, float]:
        """The latest loss terms (the learner's with a memory layer, else a worker's) and
        the memory layer's counters."""
        memory = self.memory_layer
        stats: dict[str, float] = {}
        if memory is not None and memory.last_update is not None:
            update = memory.last_update
            losses = (update.policy_loss, update.value_loss, update.entropy)
            stats["memory/mean_rho"] = update.mean_rho
            stats["memory/clipped_fraction"] = update.clipped_fraction
        else:
            losses = self.worker_losses
        if losses is not None:
            names = ("losses/policy_loss", "losses/value_loss", "losses/entropy")
            stats.update(zip(names, losses, strict=True))
        if memory is not None:
            counters = memory.stats()
            received = counters["segments_received"]
            stats["memory/buffer_size"] = counters["buffer_size"]
            stats["memory/replay_ratio"] = (
                counters["segments_sampled"] / received if received else 0.0
            )
            lags = memory.lag.values()
            if len(lags):
                stats["memory/policy_lag"] = float(lags.mean())
        return stats

    def finish(self, interrupted: bool) -> Snapshot:
        self.interrupted = self.interrupted or interrupted
        self.pool.shutdown()
        return self.snapshot()


def average_policy_network(config: TrainConfig, model: ActorCriticModel) -> ActorCriticModel | None:
    """ACER's average policy network, in shared memory: a copy of ``model`` (also of a
    resumed one: checkpoints keep the model, not its average), or ``None`` unless
    ``config.learner == "acer"`` with a trust region."""
    if config.learner != "acer" or not config.trust_region:
        return None
    average = copy.deepcopy(model)
    for parameter in average.parameters():
        parameter.requires_grad_(False)
    return average.share_memory()
