"""a3cmem/KeyDoor-v0: layout, key and door rules, sparse reward, determinism, the registration
(time limit and threshold from an optimal path found here by breadth-first search), argument
checks, gymnasium's checker, and how rarely a random policy succeeds and how often it repeats
itself."""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections import deque

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from a3cmem_lib.envs import KEYDOOR_ID, KeyDoorEnv, keydoor
from a3cmem_lib.envs.gridworld import DOWN, LEFT, RIGHT, UP
from a3cmem_lib.envs.keydoor import keydoor_layout, time_limit
from a3cmem_lib.experiments.duplicates import measure_duplicate_rate

#: The default map as documented in the module docstring.
DOCUMENTED_LAYOUT = (
    "S..#...",
    "...#...",
    "...#...",
    "...D...",
    "...#...",
    "...#...",
    "K..#..G",
)
DOCUMENTED_OPTIMAL_STEPS = 18
DOCUMENTED_TIME_LIMIT = 72
#: Documented bound on a uniformly random policy's success rate at the default size.
RANDOM_SUCCESS_BOUND = 0.05

_MOVES = {LEFT: (0, -1), DOWN: (1, 0), RIGHT: (0, 1), UP: (-1, 0)}


def bfs_optimal_path(layout: tuple[str, ...]) -> list[int] | None:
    """Shortest action sequence from S to G, written here from the rules (not the env's code):
    walls and the grid's edge block, the door blocks until the key is held, the key is picked
    up by stepping on it. States are ((row, col), has_key)."""
    size = len(layout)
    start = next((r, c) for r, row in enumerate(layout) for c, ch in enumerate(row) if ch == "S")
    parent: dict = {(start, False): None}
    frontier = deque([(start, False)])
    while frontier:
        state = frontier.popleft()
        (r, c), has_key = state
        if layout[r][c] == "G":
            path = []
            while parent[state] is not None:
                state, action = parent[state]
                path.append(action)
            return path[::-1]
        for action, (dr, dc) in _MOVES.items():
            nr, nc = r + dr, c + dc
            cell = layout[nr][nc] if 0 <= nr < size and 0 <= nc < size else "#"
            if cell == "#" or (cell == "D" and not has_key):
                nxt = state
            else:
                nxt = ((nr, nc), has_key or cell == "K")
            if nxt not in parent:
                parent[nxt] = (state, action)
                frontier.append(nxt)
    return None


def rollout(env: gym.Env, actions: list[int], seed: int) -> list[tuple]:
    """(obs bytes, reward, terminated, truncated, info) of each step after a seeded reset."""
    obs, info = env.reset(seed=seed)
    steps: list[tuple] = [(obs.tobytes(), info)]
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        steps.append((obs.tobytes(), reward, terminated, truncated, info))
        if terminated or truncated:
            obs, info = env.reset()
            steps.append((obs.tobytes(), info))
    return steps


def walk(env: gym.Env, actions: list[int]) -> list[tuple]:
    """Take ``actions``; return each step's (reward, terminated, truncated, info)."""
    return [env.step(action)[1:] for action in actions]


def test_default_layout_is_the_documented_one_and_optimal_steps_come_from_bfs() -> None:
    env = gym.make(KEYDOOR_ID)
    assert env.unwrapped.layout == DOCUMENTED_LAYOUT == keydoor_layout()
    path = bfs_optimal_path(DOCUMENTED_LAYOUT)
    assert path is not None and len(path) == DOCUMENTED_OPTIMAL_STEPS
    assert env.unwrapped.shortest_path_length() == DOCUMENTED_OPTIMAL_STEPS
    assert f"**{len(path)} steps**" in keydoor.__doc__
    assert "\n".join("    " + row for row in DOCUMENTED_LAYOUT) in keydoor.__doc__


def test_goal_is_unreachable_without_the_key() -> None:
    no_key = tuple(row.replace("K", ".") for row in DOCUMENTED_LAYOUT)
    assert bfs_optimal_path(no_key) is None


@pytest.mark.parametrize("size", [4, 5, 6, 7, 8, 11])
def test_env_shortest_path_and_time_limit_match_the_bfs_at_every_size(size: int) -> None:
    layout = keydoor_layout(size)
    assert len(layout) == size and all(len(row) == size for row in layout)
    path = bfs_optimal_path(layout)
    env = KeyDoorEnv(size)
    assert env.shortest_path() == path
    assert env.shortest_path_length() == len(path) == 2 * (size - 1) + 2 * (size - 1 - size // 2)
    assert time_limit(size) == 4 * len(path)


def test_registration_time_limit_and_threshold() -> None:
    spec = gym.spec(KEYDOOR_ID)
    optimal_steps = len(bfs_optimal_path(keydoor_layout()))
    assert spec.max_episode_steps == 4 * optimal_steps == DOCUMENTED_TIME_LIMIT
    assert spec.reward_threshold == 0.9
    assert spec.entry_point == "a3cmem_lib.envs.keydoor:KeyDoorEnv"


def test_truncation_at_the_step_limit() -> None:
    env = gym.make(KEYDOOR_ID)
    env.reset(seed=0)
    for step in range(1, DOCUMENTED_TIME_LIMIT + 1):
        _, reward, terminated, truncated, _ = env.step(UP)  # stays on the start cell
        assert reward == 0.0 and not terminated and truncated == (step == DOCUMENTED_TIME_LIMIT)


def test_scripted_optimal_walk_succeeds_in_exactly_the_optimal_number_of_steps() -> None:
    env = gym.make(KEYDOOR_ID)
    env.reset(seed=0)
    path = bfs_optimal_path(keydoor_layout())
    steps = walk(env, path)
    rewards = [reward for reward, *_ in steps]
    assert rewards == [0.0] * (len(path) - 1) + [1.0]
    assert [terminated for _, terminated, _, _ in steps] == [False] * (len(path) - 1) + [True]
    assert not any(truncated for _, _, truncated, _ in steps)
    assert steps[-1][3] == {"position": (6, 6), "has_key": True}


def test_optimal_policy_reaches_the_goal_from_every_state_in_the_fewest_steps() -> None:
    env = KeyDoorEnv()
    policy = env.optimal_policy()
    obs, _ = env.reset(seed=0)
    actions = []
    terminated = False
    while not terminated and len(actions) < DOCUMENTED_TIME_LIMIT:
        actions.append(policy(obs))
        obs, reward, terminated, _, _ = env.step(actions[-1])
    assert reward == 1.0 and len(actions) == DOCUMENTED_OPTIMAL_STEPS
    assert actions == env.shortest_path()
    for r, row in enumerate(env.layout):
        for c, char in enumerate(row):
            for has_key in (False, True):
                if char in "#G" or (char == "D" and not has_key):
                    continue
                start = ((r, c), has_key)
                env.reset()
                env.position, env.has_key = start
                steps, terminated = 0, False
                while not terminated and steps < DOCUMENTED_TIME_LIMIT:
                    _, reward, terminated, _, _ = env.step(policy(env._observation()))
                    steps += 1
                assert reward == 1.0 and steps == len(env.shortest_path(start))


def test_door_blocks_without_the_key_and_opens_with_it() -> None:
    env = gym.make(KEYDOOR_ID, render_mode="ansi")
    obs, info = env.reset(seed=0)
    assert info == {"position": (0, 0), "has_key": False}
    *_, info = walk(env, [RIGHT, RIGHT, DOWN, DOWN, DOWN])[-1]
    assert info == {"position": (3, 2), "has_key": False}  # next to the door
    before = env.unwrapped._observation()
    obs, reward, terminated, _, info = env.step(RIGHT)  # into the closed door
    assert info == {"position": (3, 2), "has_key": False} and reward == 0.0 and not terminated
    np.testing.assert_array_equal(obs, before)
    walk(env, [DOWN, DOWN, DOWN, LEFT, LEFT])  # to the key at (6, 0)
    assert env.unwrapped.has_key
    *_, info = walk(env, [UP, UP, UP, RIGHT, RIGHT, RIGHT])[-1]
    assert info == {"position": (3, 3), "has_key": True}  # on the door
    *_, info = walk(env, [RIGHT, LEFT, LEFT, RIGHT])[-1]  # through it and back: it stays open
    assert info == {"position": (3, 3), "has_key": True}
    for action in (UP, DOWN):  # the wall above and below the door still blocks
        *_, info = walk(env, [action])[-1]
        assert info["position"] == (3, 3)


def test_key_is_picked_up_once_and_disappears_from_the_map() -> None:
    env = gym.make(KEYDOOR_ID, render_mode="ansi")
    obs, _ = env.reset(seed=0)
    picture = env.render()
    assert picture.splitlines()[-1] == "K..#..G" and picture.count("K") == 1
    assert obs[-1] == 0.0 and obs.shape == (50,) and obs.dtype == np.float32
    rewards = [reward for reward, *_ in walk(env, [DOWN] * 6)]
    assert rewards == [0.0] * 6  # picking up the key is not rewarded
    obs, _, _, _, info = env.step(UP)
    assert info == {"position": (5, 0), "has_key": True} and obs[-1] == 1.0
    assert "K" not in env.render()
    obs_back, reward, _, _, info = env.step(DOWN)  # back onto the key's cell: nothing there
    assert reward == 0.0 and info["has_key"] and "K" not in env.render()
    assert env.render().splitlines() == ["(Down)", *DOCUMENTED_LAYOUT[:-1], "A..#..G"]
    env.reset()
    assert env.render().count("K") == 1  # reset puts the key back


def test_same_cell_with_and_without_the_key_are_different_observations() -> None:
    env = KeyDoorEnv()
    env.reset(seed=0)
    walk(env, [DOWN] * 5)
    without_key = env._observation()
    walk(env, [DOWN, UP])
    with_key = env._observation()
    assert env.position == (5, 0)
    np.testing.assert_array_equal(without_key[:-1], with_key[:-1])
    assert (without_key[-1], with_key[-1]) == (0.0, 1.0)
    assert without_key.sum() == 1.0 and with_key.sum() == 2.0


def test_reward_is_only_at_the_goal_under_a_random_policy() -> None:
    env = gym.make(KEYDOOR_ID, size=4, max_episode_steps=time_limit(4))
    env.action_space.seed(0)
    env.reset(seed=0)
    goals = 0
    for _ in range(20_000):
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert reward == (1.0 if info["position"] == (3, 3) else 0.0)
        assert terminated == (info["position"] == (3, 3))
        assert type(reward) is float
        if terminated:
            assert info["has_key"]
        if terminated or truncated:
            goals += terminated
            env.reset()
    assert goals > 10  # the small map is solved by chance often enough to check the goal


def test_same_actions_give_the_same_trajectory_whatever_the_seed() -> None:
    actions = np.random.default_rng(0).integers(0, 4, size=500).tolist()
    first = rollout(gym.make(KEYDOOR_ID), actions, seed=0)
    second = rollout(gym.make(KEYDOOR_ID), actions, seed=123)
    assert first == second
    for seed in (None, 0, 1, 2**31):
        env = gym.make(KEYDOOR_ID)
        obs, info = env.reset(seed=seed)
        assert env.unwrapped.layout == DOCUMENTED_LAYOUT and info["position"] == (0, 0)
        assert obs[0] == 1.0 and obs.sum() == 1.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"size": 3}, ValueError, "size must be an integer >= 4, got 3"),
        ({"size": -7}, ValueError, "size"),
        ({"size": 7.0}, TypeError, "size must be an integer >= 4, got float"),
        ({"size": "7"}, TypeError, "size"),
        ({"size": True}, TypeError, "size"),
        ({"sise": 7}, TypeError, "sise"),
    ],
)
def test_bad_kwargs_name_the_argument(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        gym.make(KEYDOOR_ID, **kwargs)


def test_rgb_array_draws_the_key_until_it_is_held() -> None:
    env = KeyDoorEnv(render_mode="rgb_array")
    env.reset(seed=0)
    size = len(env.layout)
    key_row, key_col = env.key

    def key_cell() -> tuple[int, ...]:  # a corner of the key's cell, where no agent is drawn
        return tuple(env.render()[key_row * 16 + 2, key_col * 16 + 2])

    assert env.render().shape == (size * 16, size * 16, 3)
    assert key_cell() == (240, 200, 40)
    for action in env.shortest_path():
        env.step(action)
        if env.has_key:
            break
    assert env.has_key and key_cell() == (245, 245, 245)  # an empty floor cell now


def test_bad_render_mode_and_action_are_refused() -> None:
    with pytest.raises(ValueError, match="render_mode must be None or one of"):
        KeyDoorEnv(render_mode="human")
    env = KeyDoorEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(4)


def test_size_kwarg_changes_the_grid_and_observation() -> None:
    env = gym.make(KEYDOOR_ID, size=9, max_episode_steps=time_limit(9))
    obs, _ = env.reset(seed=0)
    assert env.observation_space == gym.spaces.Box(0.0, 1.0, (82,), dtype=np.float32)
    assert obs.shape == (82,) and env.action_space == gym.spaces.Discrete(4)
    assert env.spec.max_episode_steps == 4 * len(bfs_optimal_path(keydoor_layout(9))) == 96


@pytest.mark.parametrize("kwargs", [{}, {"render_mode": "ansi"}, {"size": 4}, {"size": 10}])
def test_env_checker_passes_without_warnings(kwargs: dict) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(gym.make(KEYDOOR_ID, **kwargs).unwrapped)


def test_module_prefixed_id_registers_in_a_fresh_process() -> None:
    code = (
        "import gymnasium as gym; "
        "env = gym.make('a3cmem_lib.envs:a3cmem/KeyDoor-v0'); "
        "print(env.reset(seed=0)[0].shape, env.spec.max_episode_steps)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(50,) 72"


def test_random_policy_rarely_reaches_the_goal_and_the_optimal_one_always_does() -> None:
    """The task is sparse: over 200 episodes a uniform policy succeeds in fewer than 5 %
    (measured: 0 of 200 here, 0.35 % over 2000 episodes)."""
    env = gym.make(KEYDOOR_ID)
    env.action_space.seed(0)
    env.reset(seed=0)
    returns = []
    for _ in range(200):
        env.reset()
        episode_return, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            episode_return += reward
            done = terminated or truncated
        returns.append(episode_return)
    assert set(returns) <= {0.0, 1.0}
    assert np.mean(returns) < RANDOM_SUCCESS_BOUND < gym.spec(KEYDOOR_ID).reward_threshold
    policy = KeyDoorEnv().optimal_policy()
    obs, _ = env.reset()
    for _ in range(DOCUMENTED_OPTIMAL_STEPS):
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
    assert (reward, terminated, truncated) == (1.0, True, False)


def test_random_policy_repeats_most_transitions() -> None:
    """A sparse, deterministic task where duplicates are frequent (measured: 96.4 %)."""
    report = measure_duplicate_rate(KEYDOOR_ID, 5000)
    assert report.offered == 5000 and report.episodes >= 5000 // DOCUMENTED_TIME_LIMIT
    assert report.rate > 0.9
    # Fewer distinct transitions than (cell, has-key) states × actions.
    assert report.stored <= 2 * 49 * 4
