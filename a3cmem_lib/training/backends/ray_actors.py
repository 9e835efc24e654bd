"""The two kinds of actor of a run on Ray, as plain classes (a test calls them directly):
:class:`RolloutWorker` acts and makes batches, :class:`LearnerActor` owns the model, its
optimizer and, with a memory, the memory layer. :mod:`a3cmem_lib.training.backends.ray`
makes them Ray actors and passes the batches between them.

Explained in notebooks/08_scaling_out.ipynb (section "The architecture").
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch

from a3cmem_lib.agent.acting import NumpyPolicy
from a3cmem_lib.envs import make_env, space_shapes
from a3cmem_lib.training.checkpoint import Checkpoint
from a3cmem_lib.training.config import TrainConfig
from a3cmem_lib.training.memory_layer import MemoryLayer
from a3cmem_lib.training.messages import BatchReport
from a3cmem_lib.training.policy_lag import PolicyLag
from a3cmem_lib.training.preflight import build_model_and_optimizer
from a3cmem_lib.training.rollout import Rollout, RolloutCollector, rollout_loss, rollout_segments
from a3cmem_lib.training.schedules import Schedule, StepCounter
from a3cmem_lib.training.segments import Segment


@dataclass
class Batch:
    """What a worker's batch carries to the learner actor."""

    segments: list[tuple[Segment, float]]
    """(segment, initial priority) pairs, oldest first (with a memory layer)."""
    gradients: list[list[torch.Tensor]]
    """One clipped A3C gradient per rollout, one tensor per parameter (plain A3C, hybrid)."""
    version: int = 0
    """The policy version (updates of the model) of the weights the batch was acted with."""

    @property
    def steps_in_segments(self) -> int:
        """Real (not padding) steps in the segments."""
        return sum(int(segment.valid.sum()) for segment, _ in self.segments)


class RolloutWorker:
    """A worker (a Ray actor in a run; a plain object in a test): acts in its own
    environment with a local copy of the weights.

    Args:
        config: the run's configuration.
        worker_id: 0-based index; seeds torch, the actions and the environment with
            ``config.seed + worker_id + seed_offset``, as a local worker.
        seed_offset: the global step of the checkpoint a run resumes from.
    """

    def __init__(self, config: TrainConfig, worker_id: int, seed_offset: int = 0) -> None:
        torch.set_num_threads(1)
        seed = config.seed + worker_id + seed_offset
        torch.manual_seed(seed)
        self.config = config
        self.env = make_env(config.env_id)
        self.model = config.build_model(*space_shapes(self.env))
        self.uses_memory = config.memory != "none"
        self.learns_on_policy = not self.uses_memory or config.hybrid
        self.collector = RolloutCollector(
            self.env,
            NumpyPolicy(self.model),
            config.t_max,
            seed=seed,
            record_log_probs=self.uses_memory,
        )
        self.version = -1

    def collect(
        self, version: int, weights: dict[str, torch.Tensor], rollouts: int
    ) -> tuple[BatchReport, Batch]:
        """Load ``weights`` if ``version`` is newer than the local copy's, act ``rollouts``
        rollouts of ``t_max`` steps, and return their report and their batch."""
        if version > self.version:
            self.model.load_state_dict(weights)
            self.version = version
        report, batch = (
            BatchReport(steps=0, segments=0),
            Batch(segments=[], gradients=[], version=self.version),
        )
        for _ in range(rollouts):
            rollout = self.collector.collect()
            with torch.set_grad_enabled(self.learns_on_policy):
                logits, values = self.model(torch.from_numpy(rollout.obs))
            if self.uses_memory:
                batch.segments += rollout_segments(
                    rollout, values.detach().numpy(), self.config.gamma
                )
            if self.learns_on_policy:
                batch.gradients.append(self.gradient(rollout, logits, values))
            report.episodes += [(ret, n, report.steps + t) for ret, n, t in rollout.episodes]
            report.steps += rollout.length
        report.segments = len(batch.segments)
        return report, batch

    def gradient(
        self, rollout: Rollout, logits: torch.Tensor, values: torch.Tensor
    ) -> list[torch.Tensor]:
        """dθ of the rollout's A3C loss, clipped to ``max_grad_norm`` (the first half of
        :func:`~a3cmem_lib.training.worker.hogwild_step`; the learner actor applies it)."""
        loss = rollout_loss(rollout, logits, values, self.config)
        self.model.zero_grad()
        loss.total.backward()
        parameters = list(self.model.parameters())
        torch.nn.utils.clip_grad_norm_(parameters, self.config.max_grad_norm)
        return [parameter.grad.clone() for parameter in parameters]


class LearnerActor:
    """The learner (a Ray actor in a run): owns the model and its optimizer and, with a
    memory, the :class:`~a3cmem_lib.training.memory_layer.MemoryLayer` (buffer, replay
    schedule, learner) — the "memory actor", as Ape-X's replay shards.

    Args:
        config: the run's configuration.
        obs_shape, n_actions: the environment's spaces.
        resumed: the checkpoint to continue from, or ``None``.
    """

    def __init__(
        self,
        config: TrainConfig,
        obs_shape: tuple[int, ...],
        n_actions: int,
        resumed: Checkpoint | None = None,
    ) -> None:
        torch.set_num_threads(1)
        self.config = config
        self.model, self.optimizer = build_model_and_optimizer(
            config, obs_shape, n_actions, resumed
        )
        self.versions = StepCounter.local()
        """Updates of the model so far: the policy version."""
        self.memory_layer = None
        if config.memory != "none":
            self.memory_layer = MemoryLayer(
                config, self.model, self.optimizer, versions=self.versions
            )
            if resumed is not None and resumed.memory_state is not None:
                self.memory_layer.restore(resumed.memory_state)
        self.schedule = Schedule(config)
        self.steps_received = [0] * config.num_workers
        self.lag = PolicyLag()
        """Policy lags of the workers' gradients (the memory layer measures replayed data's)."""

    def receive(self, worker_id: int, batch: Batch, step: int) -> int:
        """Apply the batch's gradients, push its segments into the memory layer (which
        replays); ``step`` is the global step (learning rate, β). Returns the weights'
        version (updates so far)."""
        for gradient in batch.gradients:
            self.schedule.set_learning_rate(self.optimizer, step)
            for parameter, grad in zip(self.model.parameters(), gradient, strict=True):
                parameter.grad = grad
            self.optimizer.step()
            self.lag.add([self.versions.add(1) - 1 - batch.version])
        if batch.segments:
            self.memory_layer.receive(worker_id, batch.segments, step, batch.version)
            self.steps_received[worker_id] += batch.steps_in_segments
        return self.versions.value

    def weights(self) -> tuple[int, dict[str, torch.Tensor]]:
        """``(version, state_dict)`` of the model now (copied: the model keeps learning)."""
        return self.versions.value, copy.deepcopy(self.model.state_dict())

    def finish(self, segments_sent: list[int], steps_sent: list[int], interrupted: bool) -> None:
        """Check that every worker's segments and steps arrived exactly once (see
        :meth:`MemoryLayer.finish`; after Ctrl-C a shortfall is counted, not raised)."""
        if self.memory_layer is None:
            return
        for worker_id, (segments, steps) in enumerate(zip(segments_sent, steps_sent, strict=True)):
            self.memory_layer.finish(worker_id, segments, interrupted=interrupted)
            if not interrupted and self.steps_received[worker_id] != steps:
                raise RuntimeError(
                    f"worker {worker_id} sent {steps} steps but {self.steps_received[worker_id]} "
                    "arrived: experience was lost or duplicated between worker and memory"
                )

    def state(self) -> dict[str, Any]:
        """``model_state``, ``optimizer_state``, ``policy_lag`` (summary of the gradients'
        and the replayed segments' lags) and, with a memory layer, ``memory_state`` (the
        buffer's ``state_dict()``) and ``memory_stats``; ``None`` for plain A3C."""
        memory = self.memory_layer
        lag = PolicyLag()
        lag.add(self.lag.values())
        if memory is not None:
            lag.add(memory.lag.values())
        return {
            "policy_lag": lag.summary(),
            "model_state": self.model.state_dict(),
            "optimizer_state": self.optimizer.state_dict(),
            "memory_state": None if memory is None else memory.memory.state_dict(),
            "memory_stats": None if memory is None else memory.stats(),
        }
