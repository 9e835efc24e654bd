"""Segments: the unit of experience that workers push into the memory layer.

A segment is up to ``length`` consecutive steps of *one* episode, padded to ``length``, with
the behaviour policy's log-probability of every action (needed for the off-policy
correction) and the observation after its last step (needed to bootstrap). ``length = 1``
stores single transitions; longer segments let V-trace carry rewards back several steps.

Explained in notebooks/05_async_training_with_memory.ipynb (section "What a worker pushes").
"""

from __future__ import annotations

from typing import NamedTuple

import gymnasium as gym
import numpy as np

from a3cmem_lib.envs import observation_dtype, rollout_transitions


class Segment(NamedTuple):
    """Up to ``T`` steps of one episode, oldest first, padded to ``T`` (``valid`` marks real steps).

    Shapes for one segment (a batch sampled from a buffer adds a leading batch axis):
    """

    obs: np.ndarray
    """(T, *obs_shape): the states acted in; float32 vectors ``(T, obs_dim)``, or images
    ``(T, H, W, C)`` kept in their compact dtype (bool or uint8, see
    :func:`~a3cmem_lib.envs.observation_dtype`)."""
    actions: np.ndarray
    """(T,) int64: the actions taken."""
    rewards: np.ndarray
    """(T,) float32: the rewards received."""
    log_probs: np.ndarray
    """(T,) float32: log μ(a_t|s_t) under the behaviour policy that acted."""
    valid: np.ndarray
    """(T,) bool: True for real steps, False for padding after the segment's last step."""
    last_obs: np.ndarray
    """(*obs_shape,), dtype of ``obs``: the state after the last real step (the bootstrap
    state)."""
    terminated: np.ndarray
    """() bool: the last real step ended the episode in a terminal state (no bootstrap)."""
    behaviour_probs: np.ndarray
    """(T, A) float16: the behaviour policy's whole distribution μ(·|s_t), which ACER's
    bias correction needs for every action (notebooks/09_acer.ipynb); half precision, two
    bytes per action and step. ``(T, 0)`` when the recorder was not told the number of
    actions."""


class SegmentRecorder:
    """Collects steps into a :class:`Segment`; one recorder per worker, reused.

    Args:
        length: steps per segment ``T``, ``>= 1``.
        obs_shape: the shape of one observation, ``(obs_dim,)`` or ``(H, W, C)`` (an int
            means a vector of that length).
        obs_dtype: the dtype observations are stored in (float32 for vectors; bool or uint8
            for images, see :func:`~a3cmem_lib.envs.observation_dtype`).
        n_actions: record the behaviour policy's whole distribution over this many actions
            (:meth:`add`'s ``probs``); 0 records none.
    """

    def __init__(
        self,
        length: int,
        obs_shape: int | tuple[int, ...],
        obs_dtype: np.dtype | type = np.float32,
        n_actions: int = 0,
    ) -> None:
        if length < 1:
            raise ValueError(f"length must be >= 1, got {length}")
        self.length = length
        shape = (obs_shape,) if isinstance(obs_shape, int) else tuple(obs_shape)
        self.obs = np.zeros((length, *shape), dtype=obs_dtype)
        self.actions = np.zeros(length, dtype=np.int64)
        self.rewards = np.zeros(length, dtype=np.float32)
        self.log_probs = np.zeros(length, dtype=np.float32)
        self.probs = np.zeros((length, n_actions), dtype=np.float16)
        self.size = 0

    @property
    def full(self) -> bool:
        """Whether ``length`` steps are recorded (the segment must be finished)."""
        return self.size == self.length

    def add(
        self,
        obs: np.ndarray,
        action: int,
        reward: float,
        log_prob: float,
        probs: np.ndarray | None = None,
    ) -> None:
        """Record one step: the state acted in, the action, its reward and log μ(action),
        and, if the recorder has ``n_actions``, μ(·|state) as ``probs`` (n_actions,)."""
        if self.full:
            raise RuntimeError("the segment is full; call finish() first")
        if (probs is None) != (self.probs.shape[1] == 0):
            raise ValueError(
                f"probs must be given exactly when the recorder has n_actions > 0 "
                f"(it has {self.probs.shape[1]})"
            )
        if probs is not None:
            self.probs[self.size] = probs
        self.obs[self.size] = obs
        self.actions[self.size] = action
        self.rewards[self.size] = reward
        self.log_probs[self.size] = log_prob
        self.size += 1

    def finish(self, last_obs: np.ndarray, terminated: bool) -> Segment:
        """The recorded steps as a new :class:`Segment` (padding zeroed); starts a new one."""
        if self.size == 0:
            raise RuntimeError("cannot finish an empty segment")
        steps = slice(0, self.size)
        segment = padded_segment(
            self.obs[steps],
            self.actions[steps],
            self.rewards[steps],
            self.log_probs[steps],
            last_obs,
            terminated,
            self.length,
            self.probs[steps],
        )
        self.size = 0
        return segment


def padded_segment(
    obs: np.ndarray,
    actions: np.ndarray,
    rewards: np.ndarray,
    log_probs: np.ndarray,
    last_obs: np.ndarray,
    terminated: bool,
    length: int,
    behaviour_probs: np.ndarray | None = None,
) -> Segment:
    """A new :class:`Segment` of ``n <= length`` steps, zero-padded to ``length`` steps.

    Args:
        obs: (n, *obs_shape) states acted in, in the dtype the segment keeps; actions,
            rewards, log_probs: (n,) each.
        last_obs: (*obs_shape,) the state after the last step.
        terminated: whether the last step ended the episode in a terminal state.
        length: ``T``, the padded length, ``>= n``.
        behaviour_probs: (n, A) μ(·|s_t) of each step, stored in float16; ``None``: none
            (a ``(length, 0)`` field).
    """
    obs = np.asarray(obs)
    n = len(actions)
    probs = np.zeros((n, 0)) if behaviour_probs is None else np.asarray(behaviour_probs)
    segment = Segment(
        obs=np.zeros((length, *obs.shape[1:]), dtype=obs.dtype),
        actions=np.zeros(length, dtype=np.int64),
        rewards=np.zeros(length, dtype=np.float32),
        log_probs=np.zeros(length, dtype=np.float32),
        valid=np.arange(length) < n,
        last_obs=np.array(last_obs, dtype=obs.dtype),
        terminated=np.array(bool(terminated)),
        behaviour_probs=np.zeros((length, probs.shape[1]), dtype=np.float16),
    )
    segment.obs[:n] = obs
    segment.behaviour_probs[:n] = probs
    segment.actions[:n] = actions
    segment.rewards[:n] = rewards
    segment.log_probs[:n] = log_probs
    return segment


def segment_priority(td_errors: np.ndarray, valid: np.ndarray, eta: float = 0.9) -> np.ndarray:
    """Replay priority of segments from their TD errors (R2D2, Kapturowski et al., 2019).

    ``p = eta * max_t |δ_t| + (1 - eta) * mean_t |δ_t|`` over the valid steps: the maximum
    keeps one surprising step from being averaged away, the mean adds how surprising the
    whole segment is. For single transitions (T = 1) this is Ape-X's ``|δ|``.

    Args:
        td_errors: (..., T) TD errors, e.g. ``r + γ V(s') - V(s)`` or ``v_t - V(s_t)``.
        valid: (..., T) bool mask of real steps (at least one per segment).
        eta: weight of the maximum, in [0, 1].

    Returns:
        (...) float64 priorities, >= 0.
    """
    if not 0.0 <= eta <= 1.0:
        raise ValueError(f"eta must be in [0, 1], got {eta!r}")
    magnitude = np.where(valid, np.abs(np.asarray(td_errors, dtype=np.float64)), 0.0)
    count = np.maximum(valid.sum(axis=-1), 1)
    return eta * magnitude.max(axis=-1) + (1.0 - eta) * magnitude.sum(axis=-1) / count


def random_policy_segments(env_id: str, count: int, length: int, *, seed: int = 0) -> list[Segment]:
    """``count`` segments of ``env_id`` played by a uniform random policy, log μ = −log(n).

    For inspecting the learner without training (chapter 05, tests and benchmarks).

    Args:
        env_id: a gymnasium id with a ``Discrete(n)`` action space and array observations.
        count: segments to return, ``>= 1``.
        length: steps per segment ``T``, ``>= 1``.
        seed: seeds the rollout (see :func:`~a3cmem_lib.envs.rollout_transitions`).
    """
    env = gym.make(env_id)
    n_actions = int(env.action_space.n)
    recorder = SegmentRecorder(
        length, env.observation_space.shape, observation_dtype(env.observation_space), n_actions
    )
    env.close()
    uniform = np.full(n_actions, 1.0 / n_actions)
    segments: list[Segment] = []
    for transition, episode_ended in rollout_transitions(env_id, count * length, seed=seed):
        recorder.add(
            transition.state, transition.action, transition.reward, -np.log(n_actions), uniform
        )
        if episode_ended or recorder.full:
            segments.append(recorder.finish(transition.next_state, bool(transition.done)))
            if len(segments) == count:
                break
    return segments
