"""The library's gymnasium environments: registration, checker, determinism, rewards, limits."""

from __future__ import annotations

import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from a3cmem_lib.envs import FROZEN_LAKE_ID, GRIDWORLD_ID, GridWorldEnv
from a3cmem_lib.envs.gridworld import DOWN, LEFT, RIGHT, UP

IDS = [GRIDWORLD_ID, FROZEN_LAKE_ID]


def rollout(env: gym.Env, actions: list[int], seed: int = 0) -> list[tuple]:
    """(obs, reward, terminated, truncated) of each step after a seeded reset."""
    obs, _ = env.reset(seed=seed)
    steps = [(obs.tobytes(),)]
    for action in actions:
        obs, reward, terminated, truncated, _ = env.step(action)
        steps.append((obs.tobytes(), reward, terminated, truncated))
        if terminated or truncated:
            obs, _ = env.reset()
            steps.append((obs.tobytes(),))
    return steps


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("render_mode", [None, "ansi", "rgb_array"])
def test_env_checker_passes_without_warnings(env_id: str, render_mode: str | None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(gym.make(env_id, render_mode=render_mode).unwrapped)


@pytest.mark.parametrize("env_id", IDS)
def test_registered_with_time_limit_and_spaces(env_id: str) -> None:
    assert env_id in gym.registry
    spec = gym.spec(env_id)
    assert spec.max_episode_steps == {GRIDWORLD_ID: 50, FROZEN_LAKE_ID: 100}[env_id]
    env = gym.make(env_id)
    obs, info = env.reset(seed=0)
    cells = env.unwrapped.rows * env.unwrapped.cols
    assert env.observation_space == gym.spaces.Box(0.0, 1.0, (cells,), dtype=np.float32)
    assert env.action_space == gym.spaces.Discrete(4)
    assert obs.dtype == np.float32 and obs.shape == (cells,) and obs.sum() == 1.0
    assert obs[0] == 1.0 and info == {"position": (0, 0)}  # the start is the top-left cell


def test_module_prefixed_id_registers_in_a_fresh_process() -> None:
    """Spawned worker processes can make the env without importing the library first."""
    code = (
        "import gymnasium as gym; "
        "env = gym.make('a3cmem_lib.envs:a3cmem/GridWorld-v0'); "
        "print(env.reset(seed=0)[0].shape)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(25,)"


@pytest.mark.parametrize("env_id", IDS)
def test_same_actions_give_the_same_trajectory(env_id: str) -> None:
    actions = np.random.default_rng(0).integers(0, 4, size=300).tolist()
    first = rollout(gym.make(env_id), actions, seed=0)
    second = rollout(gym.make(env_id), actions, seed=123)  # the seed does not change dynamics
    assert first == second


def test_shortest_path_reaches_goal_with_the_optimal_return() -> None:
    env = gym.make(GRIDWORLD_ID)
    path = env.unwrapped.shortest_path()
    assert len(path) == 8  # Manhattan distance from (0, 0) to (4, 4)
    env.reset(seed=0)
    rewards = []
    for n, action in enumerate(path):
        _, reward, terminated, truncated, info = env.step(action)
        rewards.append(reward)
        assert terminated == (n == len(path) - 1) and not truncated
    assert info["position"] == (4, 4)
    assert rewards == [-0.01] * 7 + [1.0]
    assert sum(rewards) == pytest.approx(env.unwrapped.optimal_return()) == pytest.approx(0.93)


def test_optimal_policy_reaches_the_goal_from_every_cell_in_the_fewest_steps() -> None:
    env = gym.make(GRIDWORLD_ID)
    grid = env.unwrapped
    policy = grid.optimal_policy()
    env.reset(seed=0)
    path = []
    for _ in range(8):
        obs = grid._observation()
        path.append(policy(obs))
        env.step(path[-1])
    assert path == grid.shortest_path()
    for r in range(grid.rows):
        for c in range(grid.cols):
            if grid.kinds[r][c] not in ("start", "free"):
                continue
            grid.position, steps, terminated = (r, c), 0, False
            while not terminated:
                _, reward, terminated, _, _ = grid.step(policy(grid._observation()))
                steps += 1
            assert reward == 1.0 and steps == len(grid.shortest_path((r, c)))


def test_frozen_lake_variant_matches_frozen_lake_without_slipping() -> None:
    ours, theirs = gym.make(FROZEN_LAKE_ID), gym.make("FrozenLake-v1", is_slippery=False)
    actions = np.random.default_rng(1).integers(0, 4, size=500).tolist()
    ours.reset(seed=0)
    theirs.reset(seed=0)
    for action in actions:
        obs, reward, terminated, truncated, _ = ours.step(action)
        cell, reward_fl, terminated_fl, truncated_fl, _ = theirs.step(action)
        assert int(np.argmax(obs)) == cell
        assert (reward, terminated, truncated) == (reward_fl, terminated_fl, truncated_fl)
        if terminated or truncated:
            ours.reset()
            theirs.reset()
    assert ours.unwrapped.optimal_return() == 1.0


def test_pit_terminates_with_pit_reward_and_walls_block() -> None:
    env = gym.make(GRIDWORLD_ID)
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(LEFT)  # off the grid: stay
    assert info["position"] == (0, 0) and reward == -0.01 and not terminated
    env.step(RIGHT)
    _, _, _, _, info = env.step(DOWN)  # (1, 1) is a wall
    assert info["position"] == (0, 1)
    env.step(LEFT)
    for action in (DOWN, DOWN, RIGHT):
        _, reward, terminated, _, info = env.step(action)
    assert info["position"] == (2, 1)
    _, reward, terminated, _, info = env.step(RIGHT)  # (2, 2) is the pit
    assert (info["position"], reward, terminated) == ((2, 2), -1.0, True)


def test_truncation_at_the_step_limit() -> None:
    env = gym.make(GRIDWORLD_ID)
    env.reset(seed=0)
    for step in range(1, 51):
        _, _, terminated, truncated, _ = env.step(UP)  # stays on the start cell forever
        assert not terminated and truncated == (step == 50)


def test_random_policy_is_far_below_optimal() -> None:
    env = gym.make(GRIDWORLD_ID)
    env.action_space.seed(0)
    returns = []
    env.reset(seed=0)
    for _ in range(300):
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            total, done = total + reward, terminated or truncated
        returns.append(total)
        env.reset()
    assert np.mean(returns) < 0.0 < 0.9 < env.unwrapped.optimal_return()


def test_renders() -> None:
    env = gym.make(GRIDWORLD_ID, render_mode="ansi")
    env.reset(seed=0)
    assert env.render() == "A....\n.##..\n..H#.\n.....\n.#..G\n"
    env.step(RIGHT)
    assert env.render().startswith("(Right)\nSA...")
    frame = gym.make(GRIDWORLD_ID, render_mode="rgb_array")
    frame.reset(seed=0)
    image = frame.render()
    assert image.dtype == np.uint8 and image.shape == (80, 80, 3)
    silent = gym.make(GRIDWORLD_ID)
    silent.reset(seed=0)
    assert silent.render() is None


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"layout": "S.G"}, TypeError, "layout"),
        ({"layout": ("S.", "G")}, ValueError, "same length"),
        ({"layout": ("S.x", "..G")}, ValueError, "unknown"),
        ({"layout": ("S..", "S.G")}, ValueError, "exactly one start"),
        ({"layout": ("S..", "...")}, ValueError, "goal"),
        ({"layout": ("S#.", "#.G")}, ValueError, "reachable"),
        ({"step_penalty": -0.1}, ValueError, "step_penalty"),
        ({"goal_reward": float("nan")}, ValueError, "goal_reward"),
        ({"pit_reward": "1"}, TypeError, "pit_reward"),
        ({"render_mode": "human"}, ValueError, "render_mode"),
    ],
)
def test_bad_arguments_raise(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        GridWorldEnv(**kwargs)


def test_invalid_action_raises() -> None:
    env = GridWorldEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(4)
