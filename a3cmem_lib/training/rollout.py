"""A worker's rollout: ``t_max`` steps of acting, then its A3C targets or its segments.

:class:`RolloutCollector` plays the policy in the worker's environment; :func:`rollout_loss`
turns a rollout into the A3C loss (GAE advantages, λ-return targets) and
:func:`rollout_segments` into the segments a memory layer stores, each with its initial
priority. None of them needs a process: a notebook or a test calls them directly.

Explained in notebooks/01_a3c_basics.ipynb (section "The worker loop") and
notebooks/05_async_training_with_memory.ipynb (section "What a worker pushes").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
import torch

from a3cmem_lib.agent.acting import NumpyPolicy
from a3cmem_lib.agent.losses import ActorCriticLoss, actor_critic_loss
from a3cmem_lib.agent.returns import gae_advantages
from a3cmem_lib.envs import observation_dtype
from a3cmem_lib.training.config import TrainConfig
from a3cmem_lib.training.segments import Segment, padded_segment, segment_priority


@dataclass
class Rollout:
    """``T = t_max`` consecutive steps of one worker, possibly across episode ends.

    The arrays are views of the collector's buffers, valid until its next ``collect``.
    """

    obs: np.ndarray
    """(rows, *obs_shape), float32 vectors or compact images (bool/uint8, see
    :func:`~a3cmem_lib.envs.observation_dtype`): rows 0..T-1 the states acted in, row T the
    state after the rollout, further rows the last states of episodes truncated inside the
    rollout (their bootstrap states). One forward pass over all rows gives every value the
    targets need."""
    actions: np.ndarray
    """(T,) int64: the actions taken."""
    rewards: np.ndarray
    """(T,) float64: the rewards received."""
    terminated: np.ndarray
    """(T,) bool: step t ended its episode in a terminal state (no bootstrap)."""
    truncated: np.ndarray
    """(T,) bool: step t ended its episode by a time limit (bootstrap from its last state)."""
    next_row: np.ndarray
    """(T,) int64: the row of ``obs`` holding s_{t+1}, the state to bootstrap from."""
    log_probs: np.ndarray
    """(T,) float64: log μ(a_t|s_t) of the acting policy (zeros unless recorded)."""
    behaviour_probs: np.ndarray
    """(T, A) float64: μ(·|s_t), the acting policy's whole distribution over the A actions
    (zeros unless recorded)."""
    episodes: list[tuple[float, int, int]] = field(default_factory=list)
    """Episodes that ended in the rollout: (return, length in steps, step index t)."""
    last_states: dict[int, np.ndarray] = field(default_factory=dict)
    """Step index t of each episode end -> the state the episode ended in."""

    @property
    def length(self) -> int:
        """``T``, the number of steps."""
        return len(self.actions)


class RolloutCollector:
    """Plays ``policy`` in ``env`` for ``t_max`` steps per :meth:`collect`, across episodes.

    Args:
        env: the worker's environment (made by :func:`a3cmem_lib.envs.make_env`).
        policy: how to act; it reads the worker's local weights.
        t_max: steps per rollout, ``>= 1``.
        seed: seeds the first ``env.reset``, the action space and the action sampler.
        record_log_probs: also record log μ(a|s) of every action and the whole distribution
            μ(·|s) (a memory layer needs them).
    """

    def __init__(
        self,
        env: gym.Env,
        policy: NumpyPolicy,
        t_max: int,
        *,
        seed: int,
        record_log_probs: bool = False,
    ) -> None:
        self.env, self.policy, self.t_max = env, policy, t_max
        self.record_log_probs = record_log_probs
        self.rng = np.random.default_rng(seed)
        env.action_space.seed(seed)
        space = env.observation_space
        self.obs_rows = np.zeros((2 * t_max + 1, *space.shape), dtype=observation_dtype(space))
        self.actions = np.zeros(t_max, dtype=np.int64)
        self.rewards = np.zeros(t_max, dtype=np.float64)
        self.log_probs = np.zeros(t_max, dtype=np.float64)
        self.behaviour_probs = np.zeros((t_max, env.action_space.n), dtype=np.float64)
        self.terminated = np.zeros(t_max, dtype=bool)
        self.truncated = np.zeros(t_max, dtype=bool)
        self.next_row = np.zeros(t_max, dtype=np.int64)
        self.obs, _ = env.reset(seed=seed)
        self.episode_return, self.episode_length = 0.0, 0

    def collect(self) -> Rollout:
        """Act ``t_max`` steps with the current policy; the next call continues from here."""
        rollout = Rollout(
            self.obs_rows,
            self.actions,
            self.rewards,
            self.terminated,
            self.truncated,
            self.next_row,
            self.log_probs,
            self.behaviour_probs,
        )
        rows = self.t_max + 1
        for t in range(self.t_max):
            self.obs_rows[t] = self.obs
            if self.record_log_probs:
                action, self.log_probs[t], self.behaviour_probs[t] = self.policy.sample_with_probs(
                    self.obs_rows[t], self.rng
                )
            else:
                action = self.policy.sample(self.obs_rows[t], self.rng)
            self.obs, reward, term, trunc, _ = self.env.step(action)
            self.actions[t], self.rewards[t] = action, reward
            self.terminated[t], self.truncated[t] = term, trunc
            self.next_row[t] = t + 1
            self.episode_return += float(reward)
            self.episode_length += 1
            if term or trunc:
                if trunc and not term:
                    # Bootstrap from the episode's true last state, not the reset one.
                    self.obs_rows[rows] = self.obs
                    self.next_row[t] = rows
                    rows += 1
                rollout.last_states[t] = np.array(self.obs, dtype=self.obs_rows.dtype)
                rollout.episodes.append((self.episode_return, self.episode_length, t))
                self.episode_return, self.episode_length = 0.0, 0
                self.obs, _ = self.env.reset()
        self.obs_rows[self.t_max] = self.obs
        rollout.obs = self.obs_rows[:rows]
        return rollout


def rollout_loss(
    rollout: Rollout, logits: torch.Tensor, values: torch.Tensor, config: TrainConfig
) -> ActorCriticLoss:
    """The A3C loss of a rollout from the model's outputs on all of ``rollout.obs``.

    ALGO LOGIC: GAE advantages Â_t (Schulman et al., 2016; λ = 1 is the paper's n-step
    advantage) with bootstrap values V(s_{t+1}) from ``next_row``, value targets
    Â_t + V(s_t), then the actor-critic loss with the config's coefficients.

    Args:
        rollout: what :meth:`RolloutCollector.collect` returned.
        logits: (rows, n_actions) and values: (rows,), the model on ``rollout.obs``.
        config: supplies gamma, gae_lambda, value_coef and entropy_coef.
    """
    t_max = rollout.length
    row_values = values.detach().numpy()
    advantages = gae_advantages(
        rollout.rewards,
        row_values[:t_max],
        row_values[rollout.next_row],
        rollout.terminated,
        rollout.truncated,
        config.gamma,
        config.gae_lambda,
    )
    return actor_critic_loss(
        logits[:t_max],
        values[:t_max],
        torch.from_numpy(rollout.actions),
        torch.from_numpy(advantages),
        torch.from_numpy(advantages + row_values[:t_max]),
        value_coef=config.value_coef,
        entropy_coef=config.entropy_coef,
    )


def rollout_segments(
    rollout: Rollout, row_values: np.ndarray, gamma: float
) -> list[tuple[Segment, float]]:
    """Cut a rollout at its episode ends into segments, each with its initial priority.

    ALGO LOGIC: a segment holds the steps of one episode inside the rollout, padded to
    ``T``. Its priority comes from the acting model's one-step TD errors
    δ_t = r_t + γ (1 − terminated_t) V(s_{t+1}) − V(s_t), mixed as in R2D2
    (:func:`~a3cmem_lib.training.segments.segment_priority`): new experience enters the
    buffer with how surprising it was when it happened (Ape-X, Horgan et al., 2018).

    Args:
        rollout: a rollout collected with ``record_log_probs=True``.
        row_values: (rows,) V of the acting model on every row of ``rollout.obs``.
        gamma: discount factor.

    Returns:
        ``(segment, priority)`` pairs, oldest first.
    """
    t_max = rollout.length
    td_errors = (
        rollout.rewards
        + gamma * ~rollout.terminated * row_values[rollout.next_row]
        - row_values[:t_max]
    )
    ends = sorted(rollout.last_states)
    if not ends or ends[-1] != t_max - 1:
        ends.append(t_max - 1)
    items, start = [], 0
    for end in ends:
        steps = slice(start, end + 1)
        ended = end in rollout.last_states
        segment = padded_segment(
            rollout.obs[steps],
            rollout.actions[steps],
            rollout.rewards[steps],
            rollout.log_probs[steps],
            rollout.last_states[end] if ended else rollout.obs[t_max],
            ended and bool(rollout.terminated[end]),
            t_max,
            rollout.behaviour_probs[steps],
        )
        valid = np.ones(end + 1 - start, dtype=bool)
        items.append((segment, float(segment_priority(td_errors[steps], valid))))
        start = end + 1
    return items
