"""Chapter 01's teaching code: the return/GAE exercise checks and the advantage widget."""

from __future__ import annotations

import re

import numpy as np
import pytest

from a3cmem_lib.agent import gae_advantages
from a3cmem_lib.exercises import ExerciseCheckError, check_gae, check_n_step_returns
from a3cmem_lib.teaching.widgets import AdvantageExplorer, advantage_explorer


def n_step_returns_solution(rewards, next_values, terminated, truncated, gamma):
    """The notebook's solution: one backward pass, reset the bootstrap at episode ends."""
    returns = np.zeros(len(rewards))
    future = next_values[-1]
    for t in reversed(range(len(rewards))):
        if terminated[t] or truncated[t]:
            future = next_values[t]
        future = rewards[t] + gamma * (not terminated[t]) * future
        returns[t] = future
    return returns


def n_step_returns_as_list(rewards, next_values, terminated, truncated, gamma):
    """Another correct solution, forward in time and returning a list."""
    length = len(rewards)
    returns = []
    for t in range(length):
        total, discount = 0.0, 1.0
        for k in range(t, length):
            total += discount * rewards[k]
            if terminated[k]:
                break
            discount *= gamma
            if truncated[k] or k == length - 1:
                total += discount * next_values[k]
                break
        returns.append(total)
    return returns


def bootstraps_on_termination(rewards, next_values, terminated, truncated, gamma):
    """Wrong: treats a terminated step like a truncated one."""
    return n_step_returns_solution(
        rewards, next_values, np.zeros_like(terminated), terminated | truncated, gamma
    )


def ignores_truncation(rewards, next_values, terminated, truncated, gamma):
    """Wrong: a truncated step lets the next episode's return flow back into it."""
    return n_step_returns_solution(
        rewards, next_values, terminated, np.zeros_like(truncated), gamma
    )


def truncation_as_termination(rewards, next_values, terminated, truncated, gamma):
    """Wrong: no bootstrap on truncation (the classic time-limit bug)."""
    return n_step_returns_solution(rewards, next_values, terminated | truncated, truncated, gamma)


def no_final_bootstrap(rewards, next_values, terminated, truncated, gamma):
    """Wrong: the rollout's last step does not bootstrap."""
    padded = np.append(terminated[:-1], True)
    return n_step_returns_solution(rewards, next_values, padded | terminated, truncated, gamma)


def termination_beats_truncation_wrongly(rewards, next_values, terminated, truncated, gamma):
    """Wrong: a step both terminated and truncated is bootstrapped."""
    return n_step_returns_solution(rewards, next_values, terminated & ~truncated, truncated, gamma)


def wrong_shape(rewards, next_values, terminated, truncated, gamma):
    return np.zeros((len(rewards), 1))


@pytest.mark.parametrize("solution", [n_step_returns_solution, n_step_returns_as_list])
def test_check_passes_on_correct_solutions(solution, capsys: pytest.CaptureFixture) -> None:
    check_n_step_returns(solution)
    assert "✓ check_n_step_returns passed (9 checks)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "solution, case, hint",
    [
        (bootstraps_on_termination, "terminates mid-rollout", "no bootstrap"),
        (ignores_truncation, "truncated by a time limit", "r_t \\+ gamma \\* next_values"),
        (truncation_as_termination, "truncated by a time limit", "still has a future"),
        (no_final_bootstrap, "inside one episode", "last step of the rollout bootstraps"),
        (termination_beats_truncation_wrongly, "both terminated and truncated", "even if"),
        (wrong_shape, "inside one episode", "shape \\(3,\\)"),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)[:20]),
)
def test_check_rejects_wrong_returns_naming_the_case(solution, case: str, hint: str) -> None:
    with pytest.raises(
        ExerciseCheckError, match=f"check_n_step_returns failed on .*{case}"
    ) as info:
        check_n_step_returns(solution)
    assert re.search(hint, str(info.value)), str(info.value)


def test_check_does_not_trust_inputs_the_solution_modifies(capsys: pytest.CaptureFixture) -> None:
    def overwrites_rewards(rewards, next_values, terminated, truncated, gamma):
        result = n_step_returns_solution(rewards, next_values, terminated, truncated, gamma)
        rewards[:] = 0.0
        return result

    check_n_step_returns(overwrites_rewards)
    assert "passed" in capsys.readouterr().out


def test_checks_report_a_missing_implementation() -> None:
    def stub(*args):
        raise NotImplementedError()

    for check in (check_n_step_returns, check_gae):
        with pytest.raises(ExerciseCheckError, match="not implemented"):
            check(stub)


def gae_solution(rewards, values, next_values, terminated, truncated, gamma, gae_lambda):
    advantages = np.zeros(len(rewards))
    running = 0.0
    for t in reversed(range(len(rewards))):
        delta = rewards[t] + gamma * (not terminated[t]) * next_values[t] - values[t]
        running = delta + gamma * gae_lambda * (not (terminated[t] or truncated[t])) * running
        advantages[t] = running
    return advantages


def gae_crossing_episodes(rewards, values, next_values, terminated, truncated, gamma, gae_lambda):
    """Wrong: the running advantage is not reset at episode ends."""
    never = np.zeros_like(terminated)
    return gae_solution(rewards, values, next_values, terminated, never, gamma, gae_lambda)


def gae_without_lambda(rewards, values, next_values, terminated, truncated, gamma, gae_lambda):
    """Wrong: ignores lambda (always the n-step advantage)."""
    return gae_solution(rewards, values, next_values, terminated, truncated, gamma, 1.0)


def test_gae_check_passes_on_the_solution(capsys: pytest.CaptureFixture) -> None:
    check_gae(gae_solution)
    assert "✓ check_gae passed (4 checks)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "solution, case",
    [(gae_without_lambda, "lambda = 0"), (gae_crossing_episodes, "lambda = 1")],
    ids=["without_lambda", "crossing_episodes"],
)
def test_gae_check_rejects_wrong_solutions(solution, case: str) -> None:
    with pytest.raises(ExerciseCheckError, match=f"check_gae failed on {case}"):
        check_gae(solution)


ROLLOUT = {
    "rewards": [0, 0, 1, 0, 0, 0],
    "values": [0.5] * 6,
    "next_values": [0.5, 0.5, 0.0, 0.5, 0.5, 0.5],
    "terminated": [False, False, True, False, False, False],
    "truncated": [False, False, False, False, True, False],
}


def test_advantage_explorer_follows_its_sliders() -> None:
    explorer = advantage_explorer(**ROLLOUT, gamma=0.9, gae_lambda=0.5)
    assert isinstance(explorer, AdvantageExplorer)
    arrays = [ROLLOUT[key] for key in ("rewards", "values", "next_values")]
    flags = [np.array(ROLLOUT[key]) for key in ("terminated", "truncated")]
    np.testing.assert_allclose(explorer.advantages, gae_advantages(*arrays, *flags, 0.9, 0.5))
    first_png = bytes(explorer.image.value)
    assert first_png.startswith(b"\x89PNG")
    explorer.lambda_slider.value = 0.0
    np.testing.assert_allclose(explorer.advantages, gae_advantages(*arrays, *flags, 0.9, 0.0))
    explorer.gamma_slider.value = 0.5
    np.testing.assert_allclose(explorer.advantages, gae_advantages(*arrays, *flags, 0.5, 0.0))
    assert bytes(explorer.image.value) != first_png
    assert explorer.summary.value.count(",") == len(ROLLOUT["rewards"]) - 1


def test_advantage_explorer_does_not_leak_pyplot_figures() -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    explorer = advantage_explorer(**ROLLOUT)
    explorer.lambda_slider.value = 0.3
    assert plt.get_fignums() == before
