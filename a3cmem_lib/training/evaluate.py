"""Scoring a trained policy: greedy (arg-max) and sampled actions, without learning.

Explained in notebooks/01_a3c_basics.ipynb (section "Evaluating the policy").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from a3cmem_lib.agent.acting import NumpyPolicy
from a3cmem_lib.agent.model import ActorCriticModel
from a3cmem_lib.envs import make_env, observation_dtype
from a3cmem_lib.envs.recording import (
    check_drawable,
    check_video_path,
    draws_from_observations,
    headless_rendering,
    observation_frame,
    write_video,
)

POLICIES = ("greedy", "sampled")
"""How a trained policy acts when scored: ``argmax_a pi(a | s)``, or ``a ~ pi(. | s)``."""


def evaluate(
    model: ActorCriticModel,
    env_id: str,
    episodes: int = 10,
    *,
    seed: int | None = None,
    policies: tuple[str, ...] = POLICIES,
    record: str | Path | None = None,
    record_episodes: int = 1,
    fps: float = 30.0,
) -> dict[str, float]:
    """Mean and standard deviation of the undiscounted episode return, for each policy.

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
        policies: which of :data:`POLICIES` to score.
        record: a ``.gif`` (or ``.mp4``, with ffmpeg) to write the first ``record_episodes``
            episodes of the first policy to, a frame per step (the environment's
            ``rgb_array`` picture; MinAtar's drawn from its observations).
        record_episodes: how many episodes the recording shows, in ``[1, episodes]``.
        fps: frames per second of the recording.

    Returns:
        ``{"<policy>_mean", "<policy>_std"}`` for each policy, floats in units of return
        (population standard deviation over the episodes).

    Raises:
        ValueError: a bad argument, a recording path of another kind, or an environment
            that cannot be drawn (the message names it).

    Explained in notebooks/01_a3c_basics.ipynb.
    """
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes must be an int >= 1, got {episodes!r}")
    if not policies or any(policy not in POLICIES for policy in policies):
        raise ValueError(f"policies must be a non-empty tuple of {POLICIES}, got {policies!r}")
    if record is not None:
        record = check_video_path(record)
        if not 1 <= record_episodes <= episodes:
            raise ValueError(f"record_episodes must be in [1, {episodes}], got {record_episodes}")
    drawn = record is not None and not draws_from_observations(env_id)
    if drawn:
        plain = make_env(env_id)
        try:
            check_drawable(plain, env_id)
        finally:
            plain.close()
        headless_rendering()
    policy = NumpyPolicy(model)
    rng = np.random.default_rng(seed)
    env = make_env(env_id, render_mode="rgb_array" if drawn else None)
    dtype = observation_dtype(env.observation_space)
    frames: list[np.ndarray] = []
    result: dict[str, float] = {}
    try:
        for number, mode in enumerate(policies):
            returns = []
            for episode in range(episodes):
                recording = record is not None and number == 0 and episode < record_episodes
                obs, _ = env.reset(seed=None if seed is None else seed + episode)
                total, done = 0.0, False
                while not done:
                    if recording:
                        frames.append(env.render() if drawn else observation_frame(obs))
                    obs = np.asarray(obs, dtype=dtype)
                    action = policy.greedy(obs) if mode == "greedy" else policy.sample(obs, rng)
                    obs, reward, terminated, truncated, _ = env.step(action)
                    total += float(reward)
                    done = terminated or truncated
                if recording:
                    frames.append(env.render() if drawn else observation_frame(obs))
                returns.append(total)
            result[f"{mode}_mean"] = float(np.mean(returns))
            result[f"{mode}_std"] = float(np.std(returns))
    finally:
        env.close()
    if record is not None:
        write_video(frames, record, fps)
    return result
