"""Learning targets computed from one rollout: n-step returns and GAE.

Every function here takes per-step arrays of one rollout, oldest step first, shape ``(T,)``:

- ``rewards[t]``: reward of step ``t``.
- ``values[t]``: ``V(s_t)``, the critic's estimate for the state the action was taken in.
- ``next_values[t]``: ``V(s'_t)`` for the *true* next state of step ``t``. When the episode was
  truncated at step ``t`` (time limit), ``s'_t`` is the final observation of that episode, not
  the reset observation that follows it. For a terminated step the entry is not read, so it
  may be anything, NaN or inf included.
- ``terminated[t]``: the episode reached a terminal state, so its future return is exactly 0
  (no bootstrap).
- ``truncated[t]``: the episode was cut off (time limit) in a non-terminal state, so the
  future return is estimated by bootstrapping from ``next_values[t]``.

After a step that ends an episode (terminated or truncated), the next step belongs to a new
episode, so no return or advantage flows backwards across it, not even a NaN or inf.

Explained in notebooks/01_a3c_basics.ipynb (section "n-step returns and GAE").
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def _rollout_arrays(
    rewards: ArrayLike, next_values: ArrayLike, terminated: ArrayLike, truncated: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rewards = np.asarray(rewards, dtype=np.float64)
    next_values = np.asarray(next_values, dtype=np.float64)
    terminated = np.asarray(terminated, dtype=bool)
    truncated = np.asarray(truncated, dtype=bool)
    for name, array in (
        ("next_values", next_values),
        ("terminated", terminated),
        ("truncated", truncated),
    ):
        if array.shape != rewards.shape or rewards.ndim != 1:
            raise ValueError(
                f"{name} must have the shape of rewards, a 1-D (T,) array; "
                f"got {array.shape} and {rewards.shape}"
            )
    return rewards, next_values, terminated, truncated


def _bootstraps(next_values: np.ndarray, terminated: np.ndarray) -> np.ndarray:
    # Selected, not multiplied by ~terminated: 0 * nan is nan.
    return np.where(terminated, 0.0, next_values)


def _check_gamma(gamma: float) -> None:
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must be in [0, 1], got {gamma!r}")


def n_step_returns(
    rewards: ArrayLike,
    next_values: ArrayLike,
    terminated: ArrayLike,
    truncated: ArrayLike,
    gamma: float,
) -> np.ndarray:
    """Bootstrapped n-step returns of A3C (Mnih et al., 2016, Algorithm S3).

    ``G_t = r_t + gamma * B_t`` where the bootstrap ``B_t`` is 0 if step ``t`` terminated the
    episode (``next_values[t]`` is then not read), ``next_values[t]`` if step ``t`` was
    truncated or is the last of the rollout, and ``G_{t+1}`` otherwise. So each step looks
    ahead to the end of its episode or of the rollout, whichever is first.

    Args:
        rewards, next_values, terminated, truncated: ``(T,)`` arrays, see the module docstring.
        gamma: discount factor in [0, 1].

    Returns:
        ``(T,)`` float32 returns, in units of reward (``(0,)`` for an empty rollout).

    Explained in notebooks/01_a3c_basics.ipynb.
    """
    _check_gamma(gamma)
    rewards, next_values, terminated, truncated = _rollout_arrays(
        rewards, next_values, terminated, truncated
    )
    bootstraps = _bootstraps(next_values, terminated)
    returns = np.empty_like(rewards)
    future = bootstraps[-1] if len(rewards) else 0.0
    for t in reversed(range(len(rewards))):
        if terminated[t] or truncated[t]:
            future = bootstraps[t]
        future = rewards[t] + gamma * future
        returns[t] = future
    return returns.astype(np.float32)


def gae_advantages(
    rewards: ArrayLike,
    values: ArrayLike,
    next_values: ArrayLike,
    terminated: ArrayLike,
    truncated: ArrayLike,
    gamma: float,
    gae_lambda: float,
) -> np.ndarray:
    """Generalised advantage estimates (Schulman et al., 2016, eq. 16).

    ``delta_t = r_t + gamma * B_t - values[t]`` with ``B_t = 0`` if step ``t`` terminated the
    episode (``next_values[t]`` is then not read) and ``next_values[t]`` otherwise, and
    ``A_t = delta_t + gamma * lambda * A_{t+1}`` inside an episode, ``A_t = delta_t`` where
    step ``t`` ends it (terminated or truncated) or the rollout (``A_{t+1}`` is then not read).
    ``gae_lambda = 1`` gives ``n_step_returns(...) - values``
    (the A3C advantage); ``gae_lambda = 0`` gives the one-step TD error. The critic's target
    is ``A_t + values[t]`` (the lambda-return).

    Args:
        rewards, values, next_values, terminated, truncated: ``(T,)`` arrays, see the module
            docstring.
        gamma: discount factor in [0, 1].
        gae_lambda: the bias/variance trade-off lambda in [0, 1].

    Returns:
        ``(T,)`` float32 advantages, in units of reward (``(0,)`` for an empty rollout).

    Explained in notebooks/01_a3c_basics.ipynb.
    """
    _check_gamma(gamma)
    if not 0.0 <= gae_lambda <= 1.0:
        raise ValueError(f"gae_lambda must be in [0, 1], got {gae_lambda!r}")
    rewards, next_values, terminated, truncated = _rollout_arrays(
        rewards, next_values, terminated, truncated
    )
    values = np.asarray(values, dtype=np.float64)
    if values.shape != rewards.shape:
        raise ValueError(
            f"values must have the shape of rewards, a 1-D (T,) array; "
            f"got {values.shape} and {rewards.shape}"
        )
    deltas = rewards + gamma * _bootstraps(next_values, terminated) - values
    ends = terminated | truncated
    advantages = np.empty_like(rewards)
    running = 0.0
    for t in reversed(range(len(rewards))):
        running = deltas[t] + (0.0 if ends[t] else gamma * gae_lambda * running)
        advantages[t] = running
    return advantages.astype(np.float32)
