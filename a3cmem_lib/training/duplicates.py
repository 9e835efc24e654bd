"""How often does a replay memory see the same experience twice? Measure it.

:func:`rollout_transitions` rolls out a policy in a gymnasium environment;
:func:`measure_duplicate_rate` offers every transition to a
:class:`~a3cmem_lib.memory.DedupBuffer` around a :class:`~a3cmem_lib.memory.FIFOBuffer`,
which counts the duplicates. Explained in notebooks/04_deduplication.ipynb
(section "Measured duplicate rates").
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

import a3cmem_lib.envs  # noqa: F401  (registers the library's environment ids)
from a3cmem_lib.memory import DedupBuffer, FIFOBuffer, Transition
from a3cmem_lib.memory.checks import check_positive_int


@dataclass(frozen=True)
class DuplicateReport:
    """What a :class:`~a3cmem_lib.memory.DedupBuffer` saw during one rollout.

    ``offered = stored + duplicates`` and ``rate = duplicates / offered``.
    """

    env_id: str
    """The gymnasium id rolled out."""
    policy: str
    """``"random"`` or the name of the policy callable."""
    offered: int
    """Transitions offered to the buffer: one per environment step."""
    stored: int
    """Transitions stored because their key was not held at that moment."""
    duplicates: int
    """Transitions refused because an item with the same key was held."""
    rate: float
    """``duplicates / offered``, in [0, 1)."""
    held: int
    """Items in the buffer at the end (``stored`` minus those the ring overwrote)."""
    capacity: int
    """Capacity of the FIFO ring inside the wrapper."""
    decimals: int | None
    """Decimals of the default key's rounding (``None``: exact values or a custom key)."""
    episodes: int
    """Episodes that ended (terminated or truncated) during the rollout."""
    seed: int
    """Seed of the environment and of the random policy."""


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


def measure_duplicate_rate(
    env_id: str,
    steps: int,
    *,
    decimals: int | None = None,
    key: Callable[[Transition], Hashable] | None = None,
    capacity: int | None = None,
    seed: int = 0,
    policy: str | Callable[[np.ndarray], Any] = "random",
) -> DuplicateReport:
    """Roll out ``policy`` for ``steps`` environment steps and count duplicate transitions.

    Every step of :func:`rollout_transitions` is pushed into
    ``DedupBuffer(FIFOBuffer(capacity), key=key, decimals=decimals)``, which counts the
    transitions whose key it already holds.

    Args:
        env_id: a gymnasium id with array observations, e.g. ``"CartPole-v1"`` or
            ``"a3cmem/GridWorld-v0"`` (the library's ids are registered by this module).
        steps: environment steps to take, ``>= 1``.
        decimals: round float fields to this many decimals in the default key (see
            :class:`~a3cmem_lib.memory.DedupBuffer`); ``None`` compares exact values.
        key: a custom ``key(transition) -> hashable``; cannot be combined with ``decimals``.
        capacity: ring capacity, ``>= 1``; ``None`` means ``steps`` (nothing is overwritten,
            so every repeat is counted).
        seed: seeds the first ``reset`` and the random policy's action sampling.
        policy: ``"random"`` (uniform over the action space) or a callable
            ``policy(observation) -> action``.

    Returns:
        A :class:`DuplicateReport`.

    Raises:
        ValueError: naming ``steps``, ``capacity``, ``policy`` or ``key``/``decimals`` when
            they are out of range or combined.
        TypeError: for arguments of the wrong type.
    """
    transitions = rollout_transitions(env_id, steps, seed=seed, policy=policy)
    capacity = steps if capacity is None else check_positive_int("capacity", capacity)
    if key is not None and decimals is not None:
        raise ValueError("key and decimals cannot be combined: decimals rounds the default key")
    memory = DedupBuffer(FIFOBuffer(capacity, seed=int(seed)), key=key, decimals=decimals)
    episodes = 0
    for transition, episode_ended in transitions:
        memory.push(transition)
        episodes += episode_ended
    return DuplicateReport(
        env_id=env_id,
        policy="random" if isinstance(policy, str) else getattr(policy, "__name__", "policy"),
        offered=steps,
        stored=steps - memory.duplicates,
        duplicates=memory.duplicates,
        rate=memory.duplicate_rate,
        held=len(memory),
        capacity=capacity,
        decimals=memory.decimals,
        episodes=episodes,
        seed=int(seed),
    )
