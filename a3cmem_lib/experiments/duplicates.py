"""How often does a replay memory see the same experience twice? Measure it.

:func:`measure_duplicate_rate` rolls out a policy with
:func:`~a3cmem_lib.envs.rollout_transitions` and offers every transition to a
:class:`~a3cmem_lib.memory.DedupBuffer` around a :class:`~a3cmem_lib.memory.FIFOBuffer`,
which counts the duplicates. Explained in notebooks/04_deduplication.ipynb
(section "Measured duplicate rates").
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from a3cmem_lib.envs import rollout_transitions
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
