"""Small environments shipped with the library, registered with gymnasium on import.

- ``a3cmem/GridWorld-v0``: :data:`~.gridworld.DEFAULT_MAP`, 5×5 with four walls and a pit;
  +1 at the goal, -1 in the pit, -0.01 for every other step; at most 50 steps per episode
  (then ``truncated``). Optimal return 0.93 (8 steps); counted as solved at 0.9.
- ``a3cmem/DeterministicFrozenLake-v0``: FrozenLake's 4×4 map without slipping; +1 at the
  goal, 0 otherwise; at most 100 steps per episode. Optimal return 1.0 (6 steps); counted as
  solved at 0.9 (the ``reward_threshold`` of both specs).

Both have one-hot float32 observations (the library's actor-critic needs vectors) and
``Discrete(4)`` actions. Make one after importing this package, or let gymnasium import it::

    import a3cmem_lib.envs  # registers the ids
    env = gymnasium.make("a3cmem/GridWorld-v0", render_mode="ansi")
    env = gymnasium.make("a3cmem_lib.envs:a3cmem/GridWorld-v0")  # works in a fresh process

Also here: :func:`make_env` (``gymnasium.make`` checked for the spaces the actor-critic
supports), :func:`space_shapes`, :func:`observation_dtype` and :func:`rollout_transitions`
(play a fixed policy).

Explained in notebooks/04_deduplication.ipynb.
"""

from __future__ import annotations

import gymnasium as gym

from .gridworld import DEFAULT_MAP, FROZEN_LAKE_4X4, GridWorldEnv

GRIDWORLD_ID = "a3cmem/GridWorld-v0"
FROZEN_LAKE_ID = "a3cmem/DeterministicFrozenLake-v0"

_REGISTRATIONS = {
    GRIDWORLD_ID: {"max_episode_steps": 50, "reward_threshold": 0.9, "kwargs": {}},
    FROZEN_LAKE_ID: {
        "max_episode_steps": 100,
        "reward_threshold": 0.9,
        "kwargs": {"layout": FROZEN_LAKE_4X4, "pit_reward": 0.0, "step_penalty": 0.0},
    },
}

for _env_id, _options in _REGISTRATIONS.items():
    if _env_id not in gym.registry:  # importing twice (e.g. a reload) must not warn
        gym.register(id=_env_id, entry_point="a3cmem_lib.envs.gridworld:GridWorldEnv", **_options)

# After the registrations: importing either module below (as a spawned worker does) runs
# this file first, so the library's ids always exist where environments are made.
from .making import make_env, observation_dtype, space_shapes, space_sizes  # noqa: E402
from .rollouts import rollout_transitions  # noqa: E402

__all__ = [
    "DEFAULT_MAP",
    "FROZEN_LAKE_4X4",
    "FROZEN_LAKE_ID",
    "GRIDWORLD_ID",
    "GridWorldEnv",
    "make_env",
    "observation_dtype",
    "rollout_transitions",
    "space_shapes",
    "space_sizes",
]
