"""Creating environments and reading the sizes the actor-critic network needs.

Explained in notebooks/01_a3c_basics.ipynb (section "The environment").
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from .minatar_games import MINATAR_INSTALL_HINT, minatar_available

SUPPORTED_SPACES = (
    "a 1-D Box observation space (a vector) or a 3-D Box (an image, height × width × "
    "channels), and a Discrete action space"
)
"""What the library's actor-critics can handle (said in every error about spaces)."""


def make_env(env_id: str, render_mode: str | None = None) -> gym.Env:
    """``gym.make(env_id)`` (with ``render_mode``, if given), checked to have a 1-D or 3-D
    ``Box`` observation (a vector for :class:`~a3cmem_lib.agent.ActorCritic`, an (H, W, C)
    image for :class:`~a3cmem_lib.agent.ConvActorCritic`) and ``Discrete`` actions.

    Raises:
        ValueError: naming ``env_id`` if gymnasium cannot make it (an unknown id, namespace
            or version, a missing dependency) or if its spaces are of another kind.
    """
    if env_id.startswith("MinAtar/") and not minatar_available():
        raise ValueError(
            f"env_id {env_id!r} needs MinAtar, which is not installed: {MINATAR_INSTALL_HINT}"
        )
    try:
        env = gym.make(env_id) if render_mode is None else gym.make(env_id, render_mode=render_mode)
    except (gym.error.Error, ImportError) as error:
        raise ValueError(f"env_id {env_id!r} cannot be made: {_first_line(error)}") from None
    obs_space, action_space = env.observation_space, env.action_space
    if not isinstance(obs_space, gym.spaces.Box) or len(obs_space.shape) not in (1, 3):
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
    """``(obs_dim, n_actions)`` of an environment with vector observations made by
    :func:`make_env` (for images, use :func:`space_shapes`)."""
    if len(env.observation_space.shape) != 1:
        raise ValueError(
            f"space_sizes needs a vector observation, got shape {env.observation_space.shape}; "
            "use space_shapes"
        )
    return int(env.observation_space.shape[0]), int(env.action_space.n)


def space_shapes(env: gym.Env) -> tuple[tuple[int, ...], int]:
    """``(obs_shape, n_actions)`` of an environment made by :func:`make_env`: ``obs_shape`` is
    ``(obs_dim,)`` for vectors, ``(H, W, C)`` for images."""
    return tuple(int(size) for size in env.observation_space.shape), int(env.action_space.n)


def observation_dtype(space: gym.spaces.Box) -> np.dtype:
    """The dtype observations are stored in: ``bool`` and ``uint8`` images keep their compact
    dtype (1 byte per value, not 8 as float64), everything else becomes float32."""
    dtype = np.dtype(space.dtype)
    return dtype if dtype in (np.dtype(bool), np.dtype(np.uint8)) else np.dtype(np.float32)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
