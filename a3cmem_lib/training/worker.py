"""One A3C worker process: act in its own environment, learn, update the shared model.

The entry point :func:`worker_main` is a module-level function so that it can be pickled
under the ``spawn`` start method (notebooks cannot pass functions defined in ``__main__``).

Explained in notebooks/01_a3c_basics.ipynb (section "The worker loop").
"""

from __future__ import annotations

import contextlib
import signal
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import torch

from a3cmem_lib.agent.acting import NumpyPolicy
from a3cmem_lib.agent.losses import actor_critic_loss
from a3cmem_lib.agent.model import ActorCritic
from a3cmem_lib.agent.returns import gae_advantages
from a3cmem_lib.envs import make_env, space_sizes
from a3cmem_lib.training.config import TrainConfig
from a3cmem_lib.training.segments import Segment, SegmentRecorder, segment_priority

# Messages a worker sends to the parent on its own pipe (tuples, first item is the kind):
#   ("episodes", [(return, length, global_step, wall_time), ...])  after a rollout
#   ("segments", [(Segment, priority), ...])   after a rollout, with a memory layer only
#   ("done", segments_sent)                                        the step budget is spent
#   ("error", formatted_traceback)                                 the worker raised
EPISODES, SEGMENTS, DONE, ERROR = "episodes", "segments", "done", "error"


def worker_main(
    worker_id: int,
    config: TrainConfig,
    shared_model: ActorCritic,
    optimizer: torch.optim.Optimizer,
    global_step: Any,
    stop_event: Any,
    connection: Connection,
    start_time: float,
    seed_offset: int,
) -> None:
    """Process entry point: run :func:`run_worker` and report how it ended on ``connection``.

    Args:
        worker_id: 0-based index of this worker.
        config: the run's configuration.
        shared_model: the global model; its parameters live in shared memory.
        optimizer: the shared optimizer over ``shared_model``'s parameters.
        global_step: a ``multiprocessing.Value("q")`` counting environment steps of all workers.
        stop_event: a ``multiprocessing.Event``; the parent sets it to stop the workers.
        connection: the sending end of this worker's pipe to the parent (messages are listed
            in the module source). A pipe, unlike a ``multiprocessing.Queue``, needs no
            feeder thread, and the parent sees end-of-file if this process dies.
        start_time: ``time.monotonic()`` when training started; wall times are relative to it.
        seed_offset: added to the worker seed (non-zero when resuming from a checkpoint).
    """
    # Ctrl-C reaches the whole process group; the parent alone handles it and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        segments_sent = run_worker(
            worker_id,
            config,
            shared_model,
            optimizer,
            global_step,
            stop_event,
            connection,
            start_time,
            seed_offset,
        )
        connection.send((DONE, segments_sent))
    except BaseException:
        with contextlib.suppress(OSError):  # the parent may be gone already
            connection.send((ERROR, traceback.format_exc()))
    finally:
        connection.close()


def run_worker(
    worker_id: int,
    config: TrainConfig,
    shared_model: ActorCritic,
    optimizer: torch.optim.Optimizer,
    global_step: Any,
    stop_event: Any,
    connection: Connection,
    start_time: float,
    seed_offset: int = 0,
) -> int:
    """The A3C worker loop (Mnih et al., 2016, Algorithm S3), until the step budget is spent.

    Each iteration: copy the global weights into the local model, act ``t_max`` steps, compute
    GAE advantages and lambda-return targets for the rollout in one batched forward pass,
    back-propagate, clip, and apply the local gradients to the shared model with the shared
    optimizer, without a lock (Hogwild!, Recht et al., 2011). Arguments as for
    :func:`worker_main`; exceptions propagate to the caller.

    With a memory layer (``config.memory != "none"``) the rollout is also cut into segments
    (at episode ends and at the rollout's end), each sent to the learner with the behaviour
    policy's log-probabilities and an initial priority from the worker's own TD errors (as
    in Ape-X, Horgan et al., 2018); the worker then applies its own gradients only when
    ``config.hybrid``. Explained in notebooks/05_async_training_with_memory.ipynb.

    Returns:
        The number of segments sent (0 without a memory layer).
    """
    torch.set_num_threads(1)
    seed = config.seed + worker_id + seed_offset
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    env = make_env(config.env_id)
    env.action_space.seed(seed)
    obs_dim, n_actions = space_sizes(env)
    local_model = config.build_model(obs_dim, n_actions)
    policy = NumpyPolicy(local_model)  # reads local_model's weights, no copy
    local_params = list(local_model.parameters())
    shared_params = list(shared_model.parameters())

    t_max = config.t_max
    # Rows 0..t_max-1: states acted in; row t_max: the state after the rollout; further rows:
    # final observations of episodes truncated inside the rollout (bootstrap states).
    obs_rows = np.zeros((2 * t_max + 1, obs_dim), dtype=np.float32)
    actions = np.zeros(t_max, dtype=np.int64)
    rewards = np.zeros(t_max, dtype=np.float64)
    terminated = np.zeros(t_max, dtype=bool)
    truncated = np.zeros(t_max, dtype=bool)
    next_row = np.zeros(t_max, dtype=np.int64)

    recorder = SegmentRecorder(t_max, obs_dim) if config.memory != "none" else None
    learns_on_policy = recorder is None or config.hybrid
    segments_sent = 0

    obs, _ = env.reset(seed=seed)
    episode_return, episode_length = 0.0, 0
    try:
        while not stop_event.is_set() and global_step.value < config.total_steps:
            with torch.no_grad():
                for local, shared in zip(local_params, shared_params, strict=True):
                    local.copy_(shared)

            # ALGO LOGIC: act t_max steps with the current policy.
            finished: list[tuple[float, int, int]] = []
            segments: list[tuple[Segment, int]] = []  # (segment, its first step in the rollout)
            n_rows = t_max + 1
            for t in range(t_max):
                obs_rows[t] = obs
                if recorder is None:
                    action = policy.sample(obs_rows[t], rng)
                else:
                    action, log_prob = policy.sample_with_log_prob(obs_rows[t], rng)
                obs, reward, term, trunc, _ = env.step(action)
                actions[t], rewards[t] = action, reward
                terminated[t], truncated[t] = term, trunc
                next_row[t] = t + 1
                episode_return += float(reward)
                episode_length += 1
                if recorder is not None:
                    recorder.add(obs_rows[t], action, reward, log_prob)
                if term or trunc:
                    if trunc and not term:
                        # Bootstrap from the episode's true last state, not the reset one.
                        obs_rows[n_rows] = obs
                        next_row[t] = n_rows
                        n_rows += 1
                    if recorder is not None:
                        first = t + 1 - recorder.size
                        segments.append((recorder.finish(obs, term), first))
                    finished.append((episode_return, episode_length, t))
                    episode_return, episode_length = 0.0, 0
                    obs, _ = env.reset()
            obs_rows[t_max] = obs
            if recorder is not None and recorder.size:
                first = t_max - recorder.size
                segments.append((recorder.finish(obs, False), first))

            # ALGO LOGIC: targets and loss from one batched forward pass over the rollout.
            with torch.set_grad_enabled(learns_on_policy):
                logits, values = local_model(torch.from_numpy(obs_rows[:n_rows]))
            row_values = values.detach().numpy()
            if segments:
                # ALGO LOGIC: initial priorities from the TD errors of this (behaviour) model.
                td_errors = (
                    rewards + config.gamma * ~terminated * row_values[next_row] - row_values[:t_max]
                )
                message = []
                for segment, first in segments:
                    steps = segment.valid.sum()
                    priority = segment_priority(
                        td_errors[first : first + steps], segment.valid[:steps]
                    )
                    message.append((segment, float(priority)))
                connection.send((SEGMENTS, message))
                segments_sent += len(message)
            if not learns_on_policy:
                with global_step.get_lock():
                    global_step.value += t_max
                    step_now = global_step.value
                _report_episodes(connection, finished, step_now, t_max, start_time)
                continue
            advantages = gae_advantages(
                rewards,
                row_values[:t_max],
                row_values[next_row],
                terminated,
                truncated,
                config.gamma,
                config.gae_lambda,
            )
            value_targets = advantages + row_values[:t_max]
            loss = actor_critic_loss(
                logits[:t_max],
                values[:t_max],
                torch.from_numpy(actions),
                torch.from_numpy(advantages),
                torch.from_numpy(value_targets),
                value_coef=config.value_coef,
                entropy_coef=config.entropy_coef,
            )
            local_model.zero_grad()
            loss.total.backward()
            torch.nn.utils.clip_grad_norm_(local_params, config.max_grad_norm)

            # ALGO LOGIC: Hogwild update. The shared parameters' .grad attributes are private
            # to this process, so pointing them at the local gradients is enough.
            with global_step.get_lock():
                global_step.value += t_max
                step_now = global_step.value
            if config.anneal_lr:
                fraction_left = max(0.0, 1.0 - (step_now - t_max) / config.total_steps)
                for group in optimizer.param_groups:
                    group["lr"] = config.learning_rate * fraction_left
            for local, shared in zip(local_params, shared_params, strict=True):
                shared.grad = local.grad
            optimizer.step()

            _report_episodes(connection, finished, step_now, t_max, start_time)
    finally:
        env.close()
    return segments_sent


def _report_episodes(
    connection: Connection,
    finished: list[tuple[float, int, int]],
    step_now: int,
    t_max: int,
    start_time: float,
) -> None:
    """Send the episodes that ended in this rollout: (return, length, step index in rollout)."""
    if finished:
        now = time.monotonic() - start_time
        connection.send(
            (
                EPISODES,
                [(ret, length, step_now - (t_max - 1 - t), now) for ret, length, t in finished],
            )
        )
