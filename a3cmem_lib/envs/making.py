"""Creating environments and reading the sizes the actor-critic network needs.

Explained in notebooks/01_a3c_basics.ipynb (section "The environment").
"""

from __future__ import annotations

import gymnasium as gym

SUPPORTED_SPACES = "a 1-D Box observation space and a Discrete action space"
"""What the library's actor-critic can handle (said in every error about spaces)."""


def make_env(env_id: str) -> gym.Env:
    """``gym.make(env_id)``, checked to have a 1-D ``Box`` observation and ``Discrete`` actions.

    Raises:
        ValueError: naming ``env_id`` if gymnasium cannot make it (an unknown id, namespace
            or version, a missing dependency) or if its spaces are of another kind.
    """
    try:
        env = gym.make(env_id)
    except (gym.error.Error, ImportError) as error:
        raise ValueError(f"env_id {env_id!r} cannot be made: {_first_line(error)}") from None
    obs_space, action_space = env.observation_space, env.action_space
    if not isinstance(obs_space, gym.spaces.Box) or len(obs_space.shape) != 1:
        env.close()
        raise ValueError(
            f"env_id {env_id!r} has the observation space {obs_space}; "
            f"supported: {SUPPORTED_SPACES}"
        )
    if not isinstance(action_space, gym.spaces.Discrete):
        env.close()
        raise ValueError(
            f"env_id {env_id!r} has the action space {action_space}; supported: {SUPPORTED_SPACES}"
        )
    return env


def space_sizes(env: gym.Env) -> tuple[int, int]:
    """``(obs_dim, n_actions)`` of an environment made by :func:`make_env`."""
    return int(env.observation_space.shape[0]), int(env.action_space.n)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
