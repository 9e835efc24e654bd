"""V-trace targets: a hand-computed case, reduction to n-step returns, episode ends."""

import math

import numpy as np
import pytest
import torch

from a3cmem_lib.agent.returns import n_step_returns
from a3cmem_lib.agent.vtrace import vtrace


def tensors(*arrays, dtype=torch.float64):
    return [torch.as_tensor(np.asarray(a), dtype=dtype) for a in arrays]


def test_hand_computed_two_steps() -> None:
    log_rhos, rewards, values, next_values = tensors(
        [math.log(2.0), math.log(0.5)], [1.0, 1.0], [1.0, 2.0], [2.0, 3.0]
    )
    done = torch.zeros(2, dtype=torch.bool)
    out = vtrace(log_rhos, rewards, values, next_values, done, done, gamma=0.9)
    # rho = c = [1, 0.5]; delta = [1.8, 0.85]; v1 = 2 + 0.85; v0 = 1 + 1.8 + 0.9 * 0.85
    assert torch.allclose(out.values, torch.tensor([3.565, 2.85], dtype=torch.float64))
    # A0 = 1 * (1 + 0.9 * v1 - 1); A1 = 0.5 * (1 + 0.9 * 3 - 2)
    assert torch.allclose(out.advantages, torch.tensor([2.565, 0.85], dtype=torch.float64))
    assert torch.allclose(out.rhos, torch.tensor([2.0, 0.5], dtype=torch.float64))


def test_truncation_levels_rho_bar_and_c_bar_separately() -> None:
    log_rhos, rewards, values, next_values = tensors([math.log(3.0)] * 2, [0, 1], [0, 0], [0, 0])
    done = torch.zeros(2, dtype=torch.bool)
    out = vtrace(
        log_rhos, rewards, values, next_values, done, done, gamma=1.0, rho_bar=2.0, c_bar=0.5
    )
    # delta = 2 * [0, 1]; v1 = 2; v0 = 0 + 0 + 1 * 0.5 * 2 = 1
    assert torch.allclose(out.values, torch.tensor([1.0, 2.0], dtype=torch.float64))


@pytest.mark.parametrize("seed", range(5))
def test_on_policy_reduces_to_n_step_returns(seed: int) -> None:
    rng = np.random.default_rng(seed)
    steps = 12
    rewards = rng.normal(size=steps)
    values = rng.normal(size=steps)
    next_values = np.append(values[1:], rng.normal())
    terminated = rng.random(steps) < 0.15
    truncated = ~terminated & (rng.random(steps) < 0.15)
    # after an episode end the next state's value is that of the *new* episode's first state;
    # next_values of the ending step is the final observation's value (any number here)
    next_values[truncated] = rng.normal(size=truncated.sum())
    expected = n_step_returns(rewards, next_values, terminated, truncated, gamma=0.95)
    r, v, nv = tensors(rewards, values, next_values)
    term, trunc = tensors(terminated, truncated, dtype=torch.bool)
    out = vtrace(torch.zeros(steps, dtype=torch.float64), r, v, nv, term, trunc, gamma=0.95)
    assert np.allclose(out.values.numpy(), expected, atol=1e-5)
    assert np.allclose(out.advantages.numpy(), expected - values, atol=1e-5)


def test_terminated_step_does_not_bootstrap_nor_pass_credit_backwards() -> None:
    log_rhos, rewards, values, next_values = tensors([0, 0, 0], [1, 1, 1], [0, 0, 0], [0, 9, 9])
    terminated = torch.tensor([False, True, False])
    truncated = torch.zeros(3, dtype=torch.bool)
    out = vtrace(log_rhos, rewards, values, next_values, terminated, truncated, gamma=1.0)
    # step 1 ends the episode: its target is r = 1; step 0 sees 1 + 1; step 2 bootstraps 9
    assert out.values.tolist() == [2.0, 1.0, 10.0]


@pytest.mark.parametrize("unread", [math.nan, math.inf, -math.inf])
def test_terminated_step_next_value_is_not_read(unread: float) -> None:
    log_rhos, rewards, values, next_values = tensors(
        [0, 0, 0], [1, 1, 1], [0, 0, 0], [0, unread, unread]
    )
    terminated = torch.tensor([False, True, True])
    truncated = torch.zeros(3, dtype=torch.bool)
    out = vtrace(log_rhos, rewards, values, next_values, terminated, truncated, gamma=1.0)
    assert out.values.tolist() == [2.0, 1.0, 1.0]
    assert out.advantages.tolist() == [2.0, 1.0, 1.0]


def test_a_nan_in_a_later_episode_does_not_flow_backwards() -> None:
    log_rhos, rewards, values, next_values = tensors([0, 0, 0], [1, 1, 1], [0, 0, 0], [0, 9, 0])
    next_values[2] = math.nan  # step 2 is truncated and bootstraps from a NaN
    terminated = torch.tensor([False, True, False])
    truncated = torch.tensor([False, False, True])
    out = vtrace(log_rhos, rewards, values, next_values, terminated, truncated, gamma=1.0)
    assert out.values[:2].tolist() == [2.0, 1.0] and out.values[2].isnan()
    assert out.advantages[:2].tolist() == [2.0, 1.0] and out.advantages[2].isnan()


@pytest.mark.parametrize("shape", [(0,), (3, 0)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_empty_rollout_gives_empty_targets(shape: tuple, dtype: torch.dtype) -> None:
    numbers, flags = torch.zeros(shape, dtype=dtype), torch.zeros(shape, dtype=torch.bool)
    out = vtrace(numbers, numbers, numbers, numbers, flags, flags, gamma=0.9)
    for tensor in (out.values, out.advantages, out.rhos):
        assert tensor.shape == shape and tensor.dtype == dtype


def test_batched_segments_match_one_at_a_time() -> None:
    rng = np.random.default_rng(0)
    batch = [rng.normal(size=(3, 5)) for _ in range(4)]
    flags = rng.random((2, 3, 5)) < 0.2
    args = tensors(*batch) + tensors(*flags, dtype=torch.bool)
    together = vtrace(*args, gamma=0.9, rho_bar=1.5)
    for row in range(3):
        alone = vtrace(*(a[row] for a in args), gamma=0.9, rho_bar=1.5)
        assert torch.allclose(together.values[row], alone.values)
        assert torch.allclose(together.advantages[row], alone.advantages)


def test_targets_carry_no_gradient() -> None:
    values = torch.zeros(3, requires_grad=True)
    flags = torch.zeros(3, dtype=torch.bool)
    out = vtrace(torch.zeros(3), torch.ones(3), values, torch.zeros(3), flags, flags, gamma=0.9)
    assert not out.values.requires_grad and not out.advantages.requires_grad


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"gamma": 1.5}, "gamma"),
        ({"gamma": 0.9, "rho_bar": 0.0}, "rho_bar"),
        ({"gamma": 0.9, "c_bar": -1.0}, "c_bar"),
        ({"gamma": 0.9, "trace_lambda": 2.0}, "trace_lambda"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    flags = torch.zeros(2, dtype=torch.bool)
    with pytest.raises(ValueError, match=match):
        vtrace(
            torch.zeros(2), torch.zeros(2), torch.zeros(2), torch.zeros(2), flags, flags, **kwargs
        )


def test_shape_mismatch_names_the_argument() -> None:
    flags = torch.zeros(2, dtype=torch.bool)
    with pytest.raises(ValueError, match="rewards"):
        vtrace(
            torch.zeros(2), torch.zeros(3), torch.zeros(2), torch.zeros(2), flags, flags, gamma=0.9
        )
