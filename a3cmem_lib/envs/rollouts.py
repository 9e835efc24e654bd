"""Playing a fixed policy in an environment, as a stream of transitions (no learning).

Used to measure duplicate rates (chapter 04) and to make replay data without training
(chapter 05, tests and benchmarks).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator
from typing import Any

import gymnasium as gym
import numpy as np

from a3cmem_lib.memory import Transition
from a3cmem_lib.memory.checks import check_positive_int


def rollout_transitions(
    env_id: str,
    steps: int,
    *,
    seed: int = 0,
    policy: str | Callable[[np.ndarray], Any] = "random",
) -> Iterator[tuple[Transition, bool]]:
    """Roll out ``policy`` for ``steps`` environment steps, restarting episodes as they end.

    Yields, for every step, ``(transition, episode_ended)``: the step as
    ``Transition(state, action, reward, next_state, done)`` with ``done = terminated`` (a
    time-limit truncation is not a terminal state, so it is not stored as one), and whether
    the episode ended there (terminated or truncated). Only the first ``reset`` is seeded, so
    the rollout is reproducible for a given ``seed``.

    Args:
        env_id: a gymnasium id with array observations, e.g. ``"CartPole-v1"`` or
            ``"a3cmem/GridWorld-v0"`` (the library's ids are registered by this module).
        steps: environment steps to take, ``>= 1``.
        seed: seeds the first ``reset`` and the random policy's action sampling.
        policy: ``"random"`` (uniform over the action space) or a callable
            ``policy(observation) -> action``.

    Raises:
        ValueError: naming ``steps`` or ``policy`` when out of range.
        TypeError: for arguments of the wrong type.
    """
    if not isinstance(env_id, str):
        raise TypeError(f"env_id must be a gymnasium id (str), got {type(env_id).__name__}")
    steps = check_positive_int("steps", steps)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__} {seed!r}")
    random_policy = _is_random_policy(policy)
    return _rollout(env_id, steps, int(seed), policy, random_policy)


def _is_random_policy(policy: Any) -> bool:
    if isinstance(policy, str):
        if policy != "random":
            raise ValueError(f'policy must be "random" or a callable, got {policy!r}')
        return True
    if not callable(policy):
        raise TypeError(f"policy must be 'random' or a callable, got {type(policy).__name__}")
    return False


def _rollout(
    env_id: str, steps: int, seed: int, policy: Any, random_policy: bool
) -> Iterator[tuple[Transition, bool]]:
    # A separate generator so that rollout_transitions checks its arguments when called,
    # not at the first next().
    env = gym.make(env_id)
    try:
        env.action_space.seed(seed)
        state, _ = env.reset(seed=seed)
        for _ in range(steps):
            action = env.action_space.sample() if random_policy else policy(state)
            next_state, reward, terminated, truncated, _ = env.step(action)
            transition = Transition(
                state=np.asarray(state),
                action=np.int64(action),
                reward=float(reward),
                next_state=np.asarray(next_state),
                done=bool(terminated),
            )
            yield transition, bool(terminated or truncated)
            if terminated or truncated:
                state, _ = env.reset()
            else:
                state = next_state
    finally:
        env.close()
