"""check_vtrace (chapter 05's exercise) passes on correct solutions and rejects wrong ones."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from a3cmem_lib.exercises import ExerciseCheckError, check_vtrace


def my_vtrace_one_step(log_rhos, rewards, values, next_values, terminated, gamma, rho_bar):
    """The notebook's solution."""
    rhos = np.minimum(rho_bar, np.exp(log_rhos))
    bracket = rewards + gamma * (1.0 - terminated) * next_values - values
    advantages = rhos * bracket
    return values + advantages, advantages


def torch_solution(log_rhos, rewards, values, next_values, terminated, gamma, rho_bar):
    """Another correct solution: torch tensors in and out, ``where`` instead of a mask."""
    log_rhos, rewards, values, next_values = (
        torch.as_tensor(x) for x in (log_rhos, rewards, values, next_values)
    )
    rhos = log_rhos.exp().clamp(max=rho_bar)
    bootstrap = torch.where(torch.as_tensor(terminated), 0.0, next_values)
    advantages = rhos * (rewards + gamma * bootstrap - values)
    return values + advantages, advantages


def no_truncation(log_rhos, rewards, values, next_values, terminated, gamma, rho_bar):
    rhos = np.exp(log_rhos)
    advantages = rhos * (rewards + gamma * (1.0 - terminated) * next_values - values)
    return values + advantages, advantages


def bootstraps_on_termination(log_rhos, rewards, values, next_values, terminated, gamma, rho_bar):
    rhos = np.minimum(rho_bar, np.exp(log_rhos))
    advantages = rhos * (rewards + gamma * next_values - values)
    return values + advantages, advantages


def log_ratio_used_as_ratio(log_rhos, rewards, values, next_values, terminated, gamma, rho_bar):
    rhos = np.minimum(rho_bar, log_rhos)
    advantages = rhos * (rewards + gamma * (1.0 - terminated) * next_values - values)
    return values + advantages, advantages


def truncated_from_below(log_rhos, rewards, values, next_values, terminated, gamma, rho_bar):
    """Clips the ratio into [1, ρ̄]: low-probability actions are no longer down-weighted."""
    rhos = np.clip(np.exp(log_rhos), 1.0, max(1.0, rho_bar))
    advantages = rhos * (rewards + gamma * (1.0 - terminated) * next_values - values)
    return values + advantages, advantages


def fixed_rho_bar(log_rhos, rewards, values, next_values, terminated, gamma, rho_bar):
    return my_vtrace_one_step(log_rhos, rewards, values, next_values, terminated, gamma, 1.0)


def returns_targets_twice(log_rhos, rewards, values, next_values, terminated, gamma, rho_bar):
    targets, _ = my_vtrace_one_step(
        log_rhos, rewards, values, next_values, terminated, gamma, rho_bar
    )
    return targets, targets


def uncorrected_target(log_rhos, rewards, values, next_values, terminated, gamma, rho_bar):
    """The original article's naive layer: treats replayed data as on-policy."""
    return my_vtrace_one_step(
        np.zeros_like(log_rhos), rewards, values, next_values, terminated, gamma, rho_bar
    )


def modifies_inputs(log_rhos, rewards, values, next_values, terminated, gamma, rho_bar):
    np.minimum(log_rhos, np.log(rho_bar), out=log_rhos)
    return my_vtrace_one_step(log_rhos, rewards, values, next_values, terminated, gamma, rho_bar)


@pytest.mark.parametrize("solution", [my_vtrace_one_step, torch_solution])
def test_check_passes_on_correct_solutions(solution, capsys: pytest.CaptureFixture) -> None:
    check_vtrace(solution)
    assert "✓ check_vtrace passed (7 checks)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "solution, case, hint",
    [
        (no_truncation, "a ratio π/μ above ρ̄", "truncated"),
        (bootstraps_on_termination, "terminated transitions", "no V\\(s'\\) to bootstrap"),
        (log_ratio_used_as_ratio, "on-policy", "on-policy"),
        (truncated_from_below, "ratios π/μ below 1", "only caps ratios from above"),
        (fixed_rho_bar, "ρ̄ = 2 and ρ̄ = 0.5", "ρ̄ = 2"),
        (returns_targets_twice, "on-policy", "advantages\\[0\\]"),
        (uncorrected_target, "ratios π/μ below 1", "is below ρ̄"),
        (modifies_inputs, "a ratio π/μ above ρ̄", "modified log_rhos"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_check_rejects_wrong_solutions_naming_the_case(solution, case: str, hint: str) -> None:
    with pytest.raises(ExerciseCheckError, match=f"check_vtrace failed on {case}.*{hint}"):
        check_vtrace(solution)


def test_check_rejects_a_wrong_return_type() -> None:
    def targets_only(log_rhos, rewards, values, next_values, terminated, gamma, rho_bar):
        return my_vtrace_one_step(
            log_rhos, rewards, values, next_values, terminated, gamma, rho_bar
        )[0]

    with pytest.raises(ExerciseCheckError, match="pair \\(targets, advantages\\)"):
        check_vtrace(targets_only)


def test_check_reports_a_missing_implementation() -> None:
    def stub(log_rhos, rewards, values, next_values, terminated, gamma, rho_bar):
        raise NotImplementedError()

    with pytest.raises(ExerciseCheckError, match="not implemented"):
        check_vtrace(stub)
