"""n-step returns and GAE against hand-computed values (a3cmem_lib.agent.returns)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from a3cmem_lib.agent import gae_advantages, n_step_returns

F, T = False, True


def test_n_step_returns_without_episode_end_bootstrap_from_last_next_value():
    # G2 = 1 + 0.5 * 10 = 6, G1 = 1 + 0.5 * 6 = 4, G0 = 1 + 0.5 * 4 = 3
    returns = n_step_returns([1, 1, 1], [0, 0, 10], [F, F, F], [F, F, F], gamma=0.5)
    np.testing.assert_allclose(returns, [3, 4, 6])
    assert returns.dtype == np.float32


def test_n_step_returns_termination_stops_bootstrap_and_flow():
    # step 1 terminates: G1 = 2 exactly, its next value (100) is ignored;
    # step 2 starts a new episode: G2 = 3 + 0.5 * 4 = 5 does not flow into G1.
    returns = n_step_returns([1, 2, 3], [0, 100, 4], [F, T, F], [F, F, F], gamma=0.5)
    np.testing.assert_allclose(returns, [2, 2, 5])


def test_n_step_returns_truncation_bootstraps_from_the_final_state():
    # step 1 is truncated: G1 = 2 + 0.5 * V(final obs) = 2 + 0.5 * 8 = 6, G0 = 1 + 0.5 * 6 = 4
    returns = n_step_returns([1, 2, 3], [0, 8, 4], [F, F, F], [F, T, F], gamma=0.5)
    np.testing.assert_allclose(returns, [4, 6, 5])


def test_n_step_returns_terminated_and_truncated_together_count_as_terminated():
    returns = n_step_returns([1.0], [50.0], [T], [T], gamma=0.9)
    np.testing.assert_allclose(returns, [1.0])


@pytest.mark.parametrize("unread", [np.nan, np.inf, -np.inf])
def test_n_step_returns_do_not_read_the_next_value_of_a_terminated_step(unread):
    # G2 = 3, G1 = 2, G0 = 1 + 0.5 * 2 = 2, whatever the terminated steps' next values hold
    returns = n_step_returns([1, 2, 3], [0, unread, unread], [F, T, T], [F, F, F], gamma=0.5)
    np.testing.assert_array_equal(returns, [2, 2, 3])


def test_empty_rollout_gives_empty_float32_arrays():
    returns = n_step_returns([], [], [], [], gamma=0.9)
    advantages = gae_advantages([], [], [], [], [], gamma=0.9, gae_lambda=0.9)
    for result in (returns, advantages):
        assert result.shape == (0,) and result.dtype == np.float32


REWARDS, VALUES = [1.0, 0.0, 2.0], [0.5, 1.0, 1.5]


def test_gae_matches_hand_computation_without_episode_end():
    # deltas: 1 + .9*1 - .5 = 1.4, 0 + .9*1.5 - 1 = 0.35, 2 + .9*3 - 1.5 = 3.2 ; gamma*lambda = .45
    # A2 = 3.2, A1 = .35 + .45 * 3.2 = 1.79, A0 = 1.4 + .45 * 1.79 = 2.2055
    advantages = gae_advantages(REWARDS, VALUES, [1.0, 1.5, 3.0], [F] * 3, [F] * 3, 0.9, 0.5)
    np.testing.assert_allclose(advantages, [2.2055, 1.79, 3.2], rtol=1e-6)


def test_gae_truncation_bootstraps_termination_does_not():
    next_values = [1.0, 5.0, 3.0]  # 5.0 = V(final observation of the episode ending at step 1)
    truncated = gae_advantages(REWARDS, VALUES, next_values, [F, F, F], [F, T, F], 0.9, 0.5)
    terminated = gae_advantages(REWARDS, VALUES, next_values, [F, T, F], [F, F, F], 0.9, 0.5)
    # truncated:  A1 = 0 + .9 * 5 - 1 = 3.5,  A0 = 1.4 + .45 * 3.5 = 2.975
    # terminated: A1 = 0 - 1 = -1,            A0 = 1.4 + .45 * -1 = 0.95
    # either way the new episode's A2 = 3.2 does not flow back into step 1
    np.testing.assert_allclose(truncated, [2.975, 3.5, 3.2], rtol=1e-6)
    np.testing.assert_allclose(terminated, [0.95, -1.0, 3.2], rtol=1e-6)


@pytest.mark.parametrize("unread", [np.nan, np.inf, -np.inf])
def test_gae_does_not_read_the_next_value_of_a_terminated_step(unread):
    # deltas: 1.4, 0 - 1 = -1, 2 - 1.5 = 0.5 ; A0 = 1.4 + .45 * -1 = 0.95
    next_values = [1.0, unread, unread]
    advantages = gae_advantages(REWARDS, VALUES, next_values, [F, T, T], [F, F, F], 0.9, 0.5)
    np.testing.assert_allclose(advantages, [0.95, -1.0, 0.5], rtol=1e-6)


def test_gae_a_nan_in_a_later_episode_does_not_flow_backwards():
    # step 2 starts a new episode and bootstraps from a NaN: only its own advantage is NaN
    next_values = [1.0, 5.0, np.nan]
    advantages = gae_advantages(REWARDS, VALUES, next_values, [F, T, F], [F, F, T], 0.9, 0.5)
    np.testing.assert_allclose(advantages, [0.95, -1.0, np.nan], rtol=1e-6)


rollouts = st.integers(1, 12).flatmap(
    lambda n: st.tuples(
        *(
            st.lists(st.floats(-5, 5), min_size=n, max_size=n) for _ in range(3)
        ),  # rewards, values, next values
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(rollout=rollouts, gamma=st.floats(0.0, 1.0))
def test_gae_lambda_one_is_n_step_return_minus_value(rollout, gamma):
    rewards, values, next_values, terminated, truncated = rollout
    # Inside a rollout V(s'_t) = V(s_{t+1}) unless step t ends the episode.
    next_values = [
        next_values[t] if t == len(values) - 1 or terminated[t] or truncated[t] else values[t + 1]
        for t in range(len(values))
    ]
    advantages = gae_advantages(rewards, values, next_values, terminated, truncated, gamma, 1.0)
    returns = n_step_returns(rewards, next_values, terminated, truncated, gamma)
    np.testing.assert_allclose(advantages, returns - np.float32(values), atol=1e-4)


@settings(max_examples=30, deadline=None)
@given(rollout=rollouts, gamma=st.floats(0.0, 1.0))
def test_gae_lambda_zero_is_one_step_td_error(rollout, gamma):
    rewards, values, next_values, terminated, truncated = rollout
    advantages = gae_advantages(rewards, values, next_values, terminated, truncated, gamma, 0.0)
    td_errors = [
        r + gamma * (not term) * nv - v
        for r, v, nv, term in zip(rewards, values, next_values, terminated, strict=True)
    ]
    np.testing.assert_allclose(advantages, td_errors, atol=1e-4)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"gamma": 1.5}, "gamma must be in"),
        ({"gae_lambda": -0.1}, "gae_lambda must be in"),
        ({"values": [0.0]}, "values must have the shape"),
        ({"truncated": [F]}, "truncated must have the shape"),
    ],
)
def test_invalid_arguments_name_the_argument(kwargs, match):
    arguments = {
        "rewards": [1.0, 1.0],
        "values": [0.0, 0.0],
        "next_values": [0.0, 0.0],
        "terminated": [F, F],
        "truncated": [F, F],
        "gamma": 0.9,
        "gae_lambda": 0.9,
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        gae_advantages(**arguments)
