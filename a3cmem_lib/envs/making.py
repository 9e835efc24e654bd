"""Creating environments and reading the sizes the actor-critic network needs.

Explained in notebooks/01_a3c_basics.ipynb (section "The environment").
"""

from __future__ import annotations

import gymnasium as gym


def make_env(env_id: str) -> gym.Env:
    """``gym.make(env_id)``, checked to have a 1-D ``Box`` observation and ``Discrete`` actions.

    Raises:
        ValueError: naming ``env_id`` if its spaces are of another kind.
    """
    env = gym.make(env_id)
    obs_space, action_space = env.observation_space, env.action_space
    if not isinstance(obs_space, gym.spaces.Box) or len(obs_space.shape) != 1:
        env.close()
        raise ValueError(
            f"env_id {env_id!r} must have a 1-D Box observation space, got {obs_space}"
        )
    if not isinstance(action_space, gym.spaces.Discrete):
        env.close()
        raise ValueError(f"env_id {env_id!r} must have a Discrete action space, got {action_space}")
    return env


def space_sizes(env: gym.Env) -> tuple[int, int]:
    """``(obs_dim, n_actions)`` of an environment made by :func:`make_env`."""
    return int(env.observation_space.shape[0]), int(env.action_space.n)
