"""measure_duplicate_rate: exact counts on hand-computable rollouts, CartPole, bad arguments."""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np
import pytest

from a3cmem_lib.envs import GRIDWORLD_ID
from a3cmem_lib.envs.gridworld import UP
from a3cmem_lib.experiments.duplicates import (
    DuplicateReport,
    measure_duplicate_rate,
    rollout_transitions,
)


def stay_put(observation: np.ndarray) -> int:
    """Walk into the top wall from the start: every transition is the same one."""
    return UP


def shortest_path_policy() -> Callable[[np.ndarray], int]:
    """The gridworld's optimal policy: it walks the same 8-step path every episode."""
    return gym.make(GRIDWORLD_ID).unwrapped.optimal_policy()


def test_a_policy_that_stays_put_stores_one_transition() -> None:
    report = measure_duplicate_rate(GRIDWORLD_ID, 120, policy=stay_put)
    assert isinstance(report, DuplicateReport)
    assert (report.offered, report.stored, report.duplicates, report.held) == (120, 1, 119, 1)
    assert report.rate == pytest.approx(119 / 120)
    assert report.episodes == 2  # truncated at steps 50 and 100
    assert (report.policy, report.capacity, report.decimals) == ("stay_put", 120, None)


def test_the_shortest_path_repeated_stores_each_step_once() -> None:
    report = measure_duplicate_rate(GRIDWORLD_ID, 80, policy=shortest_path_policy())
    assert (report.episodes, report.stored, report.duplicates) == (10, 8, 72)
    assert report.rate == pytest.approx(0.9)


@pytest.mark.parametrize("capacity, duplicates", [(4, 0), (7, 0), (8, 72), (100, 72)])
def test_a_ring_shorter_than_the_cycle_forgets_every_key(capacity: int, duplicates: int) -> None:
    """The 8 transitions of the path come back every 8 steps: a ring of 7 slots has overwritten
    each one (and forgotten its key) just before it returns, so nothing counts as a duplicate."""
    report = measure_duplicate_rate(
        GRIDWORLD_ID, 80, capacity=capacity, policy=shortest_path_policy()
    )
    assert report.duplicates == duplicates
    assert report.held == min(capacity, 8)


def test_rollout_marks_termination_as_done_and_truncation_as_an_episode_end() -> None:
    steps = list(rollout_transitions(GRIDWORLD_ID, 60, policy=stay_put))
    assert len(steps) == 60
    assert [n for n, (_, ended) in enumerate(steps) if ended] == [49]  # truncated, not done
    assert not any(bool(transition.done) for transition, _ in steps)
    path = list(rollout_transitions(GRIDWORLD_ID, 8, policy=shortest_path_policy()))
    assert [bool(t.done) for t, _ in path] == [False] * 7 + [True]
    assert [ended for _, ended in path] == [False] * 7 + [True]
    assert path[-1][0].reward == 1.0 and path[0][0].state.shape == (25,)


def test_random_policy_on_the_gridworld_repeats_almost_everything() -> None:
    report = measure_duplicate_rate(GRIDWORLD_ID, 5000, seed=0)
    # 19 cells where an episode can be (not walls, goal or pit) × 4 actions: at most 76
    # distinct transitions in a deterministic environment, and 5000 random steps find them all.
    assert report.stored == 76
    assert report.rate == pytest.approx(1 - 76 / 5000)
    assert report.stored + report.duplicates == report.offered == 5000


def test_state_action_key_is_enough_in_a_deterministic_environment() -> None:
    exact = measure_duplicate_rate(GRIDWORLD_ID, 3000, seed=1)
    by_state_action = measure_duplicate_rate(
        GRIDWORLD_ID, 3000, seed=1, key=lambda t: (t.state.tobytes(), int(t.action))
    )
    assert by_state_action.stored == exact.stored


def test_cartpole_has_no_exact_duplicates_and_rounding_creates_them() -> None:
    exact = measure_duplicate_rate("CartPole-v1", 5000, seed=0)
    assert exact.duplicates == 0 and exact.rate == 0.0
    rates = [
        measure_duplicate_rate("CartPole-v1", 5000, seed=0, decimals=d).rate for d in (3, 1, 0)
    ]
    assert 0.0 <= rates[0] < rates[1] < rates[2] <= 1.0
    assert rates[2] > 0.9


def test_same_seed_same_report() -> None:
    first = measure_duplicate_rate("CartPole-v1", 2000, seed=3, decimals=1)
    assert first == measure_duplicate_rate("CartPole-v1", 2000, seed=3, decimals=1)
    assert first != measure_duplicate_rate("CartPole-v1", 2000, seed=4, decimals=1)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"steps": 0}, ValueError, "steps"),
        ({"steps": 2.5}, TypeError, "steps"),
        ({"capacity": 0}, ValueError, "capacity"),
        ({"policy": "greedy"}, ValueError, "policy"),
        ({"policy": 3}, TypeError, "policy"),
        ({"key": lambda t: 0, "decimals": 2}, ValueError, "key and decimals"),
        ({"decimals": 1.5}, TypeError, "decimals"),
        ({"seed": "0"}, TypeError, "seed"),
        ({"env_id": 5}, TypeError, "env_id"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(kwargs: dict, error: type, match: str) -> None:
    arguments = {"env_id": GRIDWORLD_ID, "steps": 10, **kwargs}
    with pytest.raises(error, match=match):
        measure_duplicate_rate(arguments.pop("env_id"), arguments.pop("steps"), **arguments)
