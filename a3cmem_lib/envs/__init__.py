"""Small environments shipped with the library, registered with gymnasium on import.

- ``a3cmem/GridWorld-v0``: :data:`~.gridworld.DEFAULT_MAP`, 5×5 with four walls and a pit;
  +1 at the goal, -1 in the pit, -0.01 for every other step; at most 50 steps per episode
  (then ``truncated``). Optimal return 0.93 (8 steps); counted as solved at 0.9.
- ``a3cmem/DeterministicFrozenLake-v0``: FrozenLake's 4×4 map without slipping; +1 at the
  goal, 0 otherwise; at most 100 steps per episode. Optimal return 1.0 (6 steps); counted as
  solved at 0.9 (the ``reward_threshold`` of both specs).
- ``a3cmem/KeyDoor-v0``: :mod:`.keydoor`, 7×7 by default (``size=`` to change it): pick up
  the key, pass the door in the wall, reach the goal; 1 at the goal, 0 otherwise; at most 72
  steps per episode (4 × the optimal 18). Optimal return 1.0; counted as solved at 0.9, i.e.
  the goal reached in 90 % of episodes (a random policy: under 1 %).

All three have one-hot float32 observations (KeyDoor's with a has-key flag appended: vectors
for the MLP actor-critic) and ``Discrete(4)`` actions. Make one after importing
this package, or let gymnasium import it::

    import a3cmem_lib.envs  # registers the ids
    env = gymnasium.make("a3cmem/GridWorld-v0", render_mode="ansi")
    env = gymnasium.make("a3cmem_lib.envs:a3cmem/GridWorld-v0")  # works in a fresh process

Importing this package also registers MinAtar's games (``MinAtar/Breakout-v1`` and the
others in :data:`MINATAR_IDS`, (10, 10, channels) bool observations) if MinAtar is installed
(:func:`minatar_available`; otherwise :data:`MINATAR_INSTALL_HINT`), without importing it.

Also here: :func:`make_env` (``gymnasium.make`` checked for the spaces the actor-critic
supports), :func:`space_shapes`, :func:`observation_dtype` and :func:`rollout_transitions`
(play a fixed policy).

Explained in notebooks/04_deduplication.ipynb.
"""

from __future__ import annotations

import gymnasium as gym

from .gridworld import DEFAULT_MAP, FROZEN_LAKE_4X4, GridWorldEnv
from .keydoor import KeyDoorEnv, time_limit
from .minatar_games import (
    MINATAR_IDS,
    MINATAR_INSTALL_HINT,
    minatar_available,
    register_minatar,
)

GRIDWORLD_ID = "a3cmem/GridWorld-v0"
FROZEN_LAKE_ID = "a3cmem/DeterministicFrozenLake-v0"
KEYDOOR_ID = "a3cmem/KeyDoor-v0"

_GRIDWORLD = "a3cmem_lib.envs.gridworld:GridWorldEnv"
_REGISTRATIONS = {
    GRIDWORLD_ID: {
        "entry_point": _GRIDWORLD,
        "max_episode_steps": 50,
        "reward_threshold": 0.9,
        "kwargs": {},
    },
    FROZEN_LAKE_ID: {
        "entry_point": _GRIDWORLD,
        "max_episode_steps": 100,
        "reward_threshold": 0.9,
        "kwargs": {"layout": FROZEN_LAKE_4X4, "pit_reward": 0.0, "step_penalty": 0.0},
    },
    # Solved at a 100-episode mean return of 0.9: the goal reached in 90 % of the episodes.
    KEYDOOR_ID: {
        "entry_point": "a3cmem_lib.envs.keydoor:KeyDoorEnv",
        "max_episode_steps": time_limit(),  # 72 = 4 × the optimal 18 steps at size 7
        "reward_threshold": 0.9,
        "kwargs": {},
    },
}

for _env_id, _options in _REGISTRATIONS.items():
    if _env_id not in gym.registry:  # importing twice (e.g. a reload) must not warn
        gym.register(id=_env_id, **_options)
register_minatar()  # idempotent too; registers nothing if MinAtar is not installed

# After the registrations: importing either module below (as a spawned worker does) runs
# this file first, so the library's ids always exist where environments are made.
from .making import make_env, observation_dtype, space_shapes, space_sizes  # noqa: E402
from .rollouts import rollout_transitions  # noqa: E402

__all__ = [
    "DEFAULT_MAP",
    "FROZEN_LAKE_4X4",
    "FROZEN_LAKE_ID",
    "GRIDWORLD_ID",
    "KEYDOOR_ID",
    "MINATAR_IDS",
    "MINATAR_INSTALL_HINT",
    "GridWorldEnv",
    "KeyDoorEnv",
    "make_env",
    "minatar_available",
    "observation_dtype",
    "register_minatar",
    "rollout_transitions",
    "space_shapes",
    "space_sizes",
]
