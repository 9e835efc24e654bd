"""Scoring a trained policy: greedy (arg-max) and sampled actions, without learning.

Explained in notebooks/01_a3c_basics.ipynb (section "Evaluating the policy").
"""

from __future__ import annotations

import numpy as np

from a3cmem_lib.agent.acting import NumpyPolicy
from a3cmem_lib.agent.model import ActorCriticModel
from a3cmem_lib.envs import make_env, observation_dtype


def evaluate(
    model: ActorCriticModel, env_id: str, episodes: int = 10, *, seed: int | None = None
) -> dict[str, float]:
    """Mean and standard deviation of the undiscounted episode return, two ways.

    The greedy policy takes ``argmax_a pi(a | s)``; the sampled policy draws ``a ~ pi(. | s)``
    as during training. Each runs ``episodes`` full episodes; with a ``seed``, episode ``i`` of
    either policy starts from ``env.reset(seed=seed + i)`` and sampling uses
    ``numpy.random.default_rng(seed)``, so results are reproducible. Global random states
    are never touched.

    Args:
        model: an actor-critic for ``env_id`` on the CPU.
        env_id: gymnasium id, as in :class:`TrainConfig`.
        episodes: episodes per policy, >= 1.
        seed: optional base seed for resets and action sampling.

    Returns:
        ``{"greedy_mean", "greedy_std", "sampled_mean", "sampled_std"}``, floats in units of
        return (population standard deviation over the episodes).

    Explained in notebooks/01_a3c_basics.ipynb.
    """
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes must be an int >= 1, got {episodes!r}")
    policy = NumpyPolicy(model)
    rng = np.random.default_rng(seed)
    env = make_env(env_id)
    dtype = observation_dtype(env.observation_space)
    result: dict[str, float] = {}
    try:
        for mode in ("greedy", "sampled"):
            returns = []
            for episode in range(episodes):
                obs, _ = env.reset(seed=None if seed is None else seed + episode)
                total, done = 0.0, False
                while not done:
                    obs = np.asarray(obs, dtype=dtype)
                    action = policy.greedy(obs) if mode == "greedy" else policy.sample(obs, rng)
                    obs, reward, terminated, truncated, _ = env.step(action)
                    total += float(reward)
                    done = terminated or truncated
                returns.append(total)
            result[f"{mode}_mean"] = float(np.mean(returns))
            result[f"{mode}_std"] = float(np.std(returns))
    finally:
        env.close()
    return result
