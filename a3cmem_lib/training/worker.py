"""One A3C worker process: act in its own environment, learn, update the shared model.

The entry point :func:`worker_main` is a module-level function of one picklable argument,
a :class:`WorkerContext`, so that it works under the ``spawn`` start method (notebooks
cannot pass functions defined in ``__main__``).

Explained in notebooks/01_a3c_basics.ipynb (section "The worker loop").
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import torch

from a3cmem_lib.agent.acer import update_average
from a3cmem_lib.agent.acting import NumpyPolicy
from a3cmem_lib.agent.model import ActorCriticModel
from a3cmem_lib.agent.shared_optim import SharedOptimizer
from a3cmem_lib.envs import make_env, space_shapes
from a3cmem_lib.training.acer import acer_rollout_loss, average_policy_logits
from a3cmem_lib.training.config import TrainConfig
from a3cmem_lib.training.lifeline import exit_with_parent
from a3cmem_lib.training.messages import RolloutReport, WorkerDone, WorkerFailed, stamp_episodes
from a3cmem_lib.training.rollout import Rollout, RolloutCollector, rollout_loss, rollout_segments
from a3cmem_lib.training.schedules import Schedule, StepCounter

TERMINATED = threading.Event()
"""Set in a worker process by SIGTERM: the loop ends after the current rollout. (A
process-local flag: setting the shared stop event from a signal handler could deadlock on
its lock.)"""


@dataclass
class WorkerContext:
    """Everything a worker process gets from the parent (picklable, also under ``spawn``)."""

    worker_id: int
    """0-based index of this worker."""
    config: TrainConfig
    """The run's configuration."""
    shared_model: ActorCriticModel
    """The global model; its parameters live in shared memory."""
    optimizer: SharedOptimizer
    """The shared optimizer over ``shared_model``'s parameters (state in shared memory)."""
    steps: StepCounter
    """Environment steps of all workers together."""
    stop_event: Any
    """A ``multiprocessing.Event``; the parent sets it to stop the workers."""
    connection: Connection
    """The sending end of this worker's pipe to the parent. A pipe, unlike a
    ``multiprocessing.Queue``, needs no feeder thread, and the parent reads end-of-file
    when this process dies."""
    start_time: float
    """``time.monotonic()`` when training started; wall times are relative to it."""
    seed_offset: int = 0
    """Added to the worker's seed: the global step of the checkpoint a run resumes from."""
    parent_pid: int | None = None
    """The training process, which started this one (directly, or through the fork server
    under ``forkserver``)."""
    started_by_fork_server: bool = False
    """Whether the direct parent is the fork server (``forkserver``), not ``parent_pid``."""
    inherited_fds: tuple[int, ...] = ()
    """Under ``fork``: descriptors of earlier workers' pipes this process inherited, closed
    at start so that a worker never holds another worker's pipe."""
    versions: StepCounter | None = None
    """Updates of the shared model so far (the policy version; see
    :mod:`a3cmem_lib.training.policy_lag`); ``None``: lags are not measured."""
    average_model: ActorCriticModel | None = None
    """ACER's average policy network (shared memory) for the trust region, or ``None``."""

    @property
    def seed(self) -> int:
        """``config.seed + worker_id + seed_offset``: seeds torch, actions and the env."""
        return self.config.seed + self.worker_id + self.seed_offset


def worker_main(context: WorkerContext) -> None:
    """Process entry point: run :func:`run_worker`, report how it ended on the pipe
    (:class:`~a3cmem_lib.training.messages.WorkerDone` or
    :class:`~a3cmem_lib.training.messages.WorkerFailed`)."""
    # Ctrl-C reaches the whole process group; the parent alone handles it and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM to the whole group (systemd, Slurm): finish the rollout, report, exit cleanly,
    # so that the parent sees a worker that is done rather than one that died.
    signal.signal(signal.SIGTERM, lambda signum, frame: TERMINATED.set())
    exit_with_parent(context.parent_pid, direct=not context.started_by_fork_server)
    for fd in context.inherited_fds:
        with contextlib.suppress(OSError):
            os.close(fd)
    try:
        lags: list[int] = []
        segments_sent = run_worker(context, lags)
        measured = np.array(lags, dtype=np.int64) if context.versions is not None else None
        context.connection.send(WorkerDone(context.worker_id, segments_sent, measured))
    except BaseException:
        with contextlib.suppress(OSError):  # the parent may be gone already
            context.connection.send(WorkerFailed(context.worker_id, traceback.format_exc()))
    finally:
        context.connection.close()


def run_worker(context: WorkerContext, lags: list[int] | None = None) -> int:
    """The A3C worker loop (Mnih et al., 2016, Algorithm S3), until the step budget is spent.

    Each iteration: copy the global weights θ into the local model θ', act ``t_max`` steps,
    evaluate the rollout in one batched forward pass, then either apply the A3C gradient to
    the shared model without a lock (Hogwild!, Recht et al., 2011) or — with a memory
    layer — send the rollout's segments to it (both in ``hybrid`` mode). With
    ``learner="acer"`` the gradient is ACER's on-policy one and the worker sends its
    segments too (notebooks/09_acer.ipynb); after each of its updates the average policy
    network follows the shared model.

    With ``context.versions``, each applied gradient's policy lag (updates of the shared
    model between the weight copy and the application) is appended to ``lags``.

    Returns:
        The number of segments sent (0 without a memory layer).
    """
    config = context.config
    torch.set_num_threads(1)
    torch.manual_seed(context.seed)
    env = make_env(config.env_id)
    local_model = config.build_model(*space_shapes(env))
    uses_memory = config.memory != "none"
    learns_on_policy = config.workers_learn
    acer = config.learner == "acer"
    collector = RolloutCollector(
        env, NumpyPolicy(local_model), config.t_max, seed=context.seed, record_log_probs=uses_memory
    )
    schedule = Schedule(config)
    segments_sent = 0
    try:
        while (
            not context.stop_event.is_set()
            and not TERMINATED.is_set()
            and context.steps.value < config.total_steps
        ):
            version = context.versions.value if context.versions is not None else None
            copy_weights(context.shared_model, local_model)
            rollout = collector.collect()
            obs = torch.from_numpy(rollout.obs)
            with torch.set_grad_enabled(learns_on_policy):
                logits, critic = local_model.policy_and_q(obs)
                values = local_model.state_values(logits, critic)
            segments = []
            if uses_memory:
                segments = rollout_segments(rollout, values.detach().numpy(), config.gamma)
            step = context.steps.add(config.t_max)
            losses = None
            if learns_on_policy:
                schedule.set_learning_rate(context.optimizer, step - config.t_max)
                if acer:
                    average = average_policy_logits(context.average_model, obs[: config.t_max])
                    loss = acer_rollout_loss(rollout, logits, critic, average, config)
                else:
                    loss = rollout_loss(rollout, logits, values, config)
                hogwild_step(
                    loss.total,
                    local_model,
                    context.shared_model,
                    context.optimizer,
                    config.max_grad_norm,
                )
                if context.average_model is not None:
                    update_average(
                        context.average_model, context.shared_model, config.average_decay
                    )
                if context.versions is not None:
                    applied = context.versions.add(1) - 1
                    if lags is not None:
                        lags.append(applied - version)
                critic_loss = loss.q if acer else loss.value
                losses = (loss.policy.item(), critic_loss.item(), loss.entropy.item())
            report_rollout(context, rollout, step, segments, version, losses)
            segments_sent += len(segments)
    finally:
        env.close()
    return segments_sent


def copy_weights(source: torch.nn.Module, target: torch.nn.Module) -> None:
    """θ' ← θ: copy ``source``'s parameters into ``target``'s, in place."""
    with torch.no_grad():
        for target_param, source_param in zip(
            target.parameters(), source.parameters(), strict=True
        ):
            target_param.copy_(source_param)


def hogwild_step(
    loss: torch.Tensor,
    local_model: torch.nn.Module,
    shared_model: torch.nn.Module,
    optimizer: SharedOptimizer,
    max_grad_norm: float,
) -> None:
    """Back-propagate ``loss`` in the local model, clip, and step the shared optimizer.

    ALGO LOGIC: dθ = ∇θ' loss, clipped to the global L2 norm ``max_grad_norm``; then
    θ ← optimizer(θ, dθ). The shared parameters' ``.grad`` attributes are private to this
    process, so pointing them at the local gradients is enough; no lock is taken (Hogwild!).
    """
    local_model.zero_grad()
    loss.backward()
    local_params = list(local_model.parameters())
    torch.nn.utils.clip_grad_norm_(local_params, max_grad_norm)
    for local, shared in zip(local_params, shared_model.parameters(), strict=True):
        shared.grad = local.grad
    optimizer.step()


def report_rollout(
    context: WorkerContext,
    rollout: Rollout,
    step: int,
    segments: list[tuple[Any, float]],
    version: int | None = None,
    losses: tuple[float, float, float] | None = None,
) -> None:
    """Send the rollout's finished episodes and its segments to the parent as a
    :class:`~a3cmem_lib.training.messages.RolloutReport`, if there are any.

    ``step`` is the global step after the rollout (see
    :func:`~a3cmem_lib.training.messages.stamp_episodes`); ``version`` is the policy version
    the rollout was acted with (``None``: not counted); ``losses`` its loss terms, if the
    worker learned from it.
    """
    if not rollout.episodes and not segments:
        return
    now = time.monotonic() - context.start_time
    episodes = stamp_episodes(rollout.episodes, rollout.length, step, now, context.worker_id)
    report = RolloutReport(context.worker_id, episodes, segments, version, losses)
    context.connection.send(report)
