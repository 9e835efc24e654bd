"""check_retrace (chapter 09's exercise) passes on correct solutions and rejects the typical
mistakes, naming the concept and showing the inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from a3cmem_lib.exercises import ExerciseCheckError, check_retrace


def my_retrace(rewards, q_taken, next_values, rhos, terminated, truncated, gamma):
    """The notebook's solution."""
    targets = np.zeros(len(rewards))
    for t in reversed(range(len(rewards))):
        if terminated[t]:
            ahead = 0.0
        elif truncated[t] or t == len(rewards) - 1:
            ahead = next_values[t]
        else:
            ahead = next_values[t] + min(1.0, rhos[t + 1]) * (targets[t + 1] - q_taken[t + 1])
        targets[t] = rewards[t] + gamma * ahead
    return targets


def torch_solution(rewards, q_taken, next_values, rhos, terminated, truncated, gamma):
    """Another correct solution: a torch tensor out, the correction carried forward as a
    running quantity."""
    rewards, q_taken, next_values, rhos = (
        torch.as_tensor(x) for x in (rewards, q_taken, next_values, rhos)
    )
    targets = torch.zeros_like(rewards)
    carried = None  # c̄_{t+1} (Q^ret_{t+1} - Q_{t+1}) of the step after t, None: cut
    for t in reversed(range(len(rewards))):
        cut = bool(terminated[t]) or bool(truncated[t]) or carried is None
        bootstrap = torch.zeros(()) if terminated[t] else next_values[t]
        targets[t] = rewards[t] + gamma * (bootstrap if cut else next_values[t] + carried)
        carried = rhos[t].clamp(max=1.0) * (targets[t] - q_taken[t])
    return targets


def _retrace_with(
    rewards,
    q_taken,
    next_values,
    rhos,
    terminated,
    truncated,
    gamma,
    *,
    trace=lambda rho: min(1.0, rho),
    terminal_bootstraps=False,
    truncation_cuts=True,
    own_ratio=False,
    control_variate=True,
):
    """my_retrace with one of the typical mistakes switched on."""
    targets = np.zeros(len(rewards))
    last = len(rewards) - 1
    for t in reversed(range(len(rewards))):
        if terminated[t] and not terminal_bootstraps:
            ahead = 0.0
        elif (truncated[t] and truncation_cuts) or t == last:
            ahead = next_values[t]
        else:
            c = trace(rhos[t] if own_ratio else rhos[t + 1])
            baseline = q_taken[t + 1] if control_variate else 0.0
            ahead = (next_values[t] if control_variate else 0.0) + c * (targets[t + 1] - baseline)
        targets[t] = rewards[t] + gamma * ahead
    return targets


def untruncated_ratios(rewards, q_taken, next_values, rhos, terminated, truncated, gamma):
    return _retrace_with(
        rewards, q_taken, next_values, rhos, terminated, truncated, gamma, trace=lambda rho: rho
    )


def bootstraps_after_a_terminal_step(
    rewards, q_taken, next_values, rhos, terminated, truncated, gamma
):
    return _retrace_with(
        rewards,
        q_taken,
        next_values,
        rhos,
        terminated,
        truncated,
        gamma,
        terminal_bootstraps=True,
    )


def trace_not_cut_at_truncation(rewards, q_taken, next_values, rhos, terminated, truncated, gamma):
    return _retrace_with(
        rewards, q_taken, next_values, rhos, terminated, truncated, gamma, truncation_cuts=False
    )


def ratio_of_the_wrong_step(rewards, q_taken, next_values, rhos, terminated, truncated, gamma):
    return _retrace_with(
        rewards, q_taken, next_values, rhos, terminated, truncated, gamma, own_ratio=True
    )


def no_control_variate(rewards, q_taken, next_values, rhos, terminated, truncated, gamma):
    return _retrace_with(
        rewards, q_taken, next_values, rhos, terminated, truncated, gamma, control_variate=False
    )


def modifies_inputs(rewards, q_taken, next_values, rhos, terminated, truncated, gamma):
    np.minimum(rhos, 1.0, out=rhos)
    return my_retrace(rewards, q_taken, next_values, rhos, terminated, truncated, gamma)


@pytest.mark.parametrize("solution", [my_retrace, torch_solution])
@pytest.mark.parametrize("seed", [0, None])
def test_check_passes_on_correct_solutions(solution, seed, capsys: pytest.CaptureFixture) -> None:
    check_retrace(solution, seed=seed)
    assert "✓ check_retrace passed (9 checks)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "solution, case, hint",
    [
        (untruncated_ratios, "a ratio ρ above 1", "exceeds 1, so the trace is truncated"),
        (
            bootstraps_after_a_terminal_step,
            "an episode that terminates mid-segment",
            "no V\\(s_\\{t\\+1\\}\\) to bootstrap from",
        ),
        (
            trace_not_cut_at_truncation,
            "a segment truncated mid-segment",
            "the trace is cut here",
        ),
        (
            ratio_of_the_wrong_step,
            "ratios ρ below 1, and ρ = 0",
            "the ratio of step t\\+1, not of step t",
        ),
        (no_control_variate, "an on-policy segment", "Q\\^ret_\\{t\\+1\\} − q_taken"),
        (modifies_inputs, "a ratio ρ above 1", "modified rhos"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_check_rejects_typical_mistakes_naming_the_case(solution, case: str, hint: str) -> None:
    with pytest.raises(ExerciseCheckError, match=f"check_retrace failed on {case}.*{hint}"):
        check_retrace(solution)


def test_a_failure_shows_the_segment_and_the_expected_targets() -> None:
    with pytest.raises(ExerciseCheckError) as failure:
        check_retrace(untruncated_ratios)
    message = str(failure.value)
    for shown in (
        "rewards=",
        "q_taken=",
        "next_values=",
        "rhos=",
        "terminated at steps",
        "truncated at steps",
        "expected all:",
        "γ = 0.9",
    ):
        assert shown in message


def test_a_hidden_failure_names_its_seed() -> None:
    def wrong_only_on_long_segments(rewards, *args):
        targets = my_retrace(rewards, *args)
        return targets + (len(rewards) > 6)

    with pytest.raises(ExerciseCheckError, match="random cases drawn with seed=\\d+"):
        check_retrace(wrong_only_on_long_segments, seed=None)


def test_check_rejects_a_wrong_shape_and_reports_a_missing_implementation() -> None:
    def one_number(rewards, q_taken, next_values, rhos, terminated, truncated, gamma):
        return float(
            my_retrace(rewards, q_taken, next_values, rhos, terminated, truncated, gamma)[0]
        )

    with pytest.raises(ExerciseCheckError, match="one target per step"):
        check_retrace(one_number)

    def stub(rewards, q_taken, next_values, rhos, terminated, truncated, gamma):
        raise NotImplementedError()

    with pytest.raises(ExerciseCheckError, match="not implemented"):
        check_retrace(stub)
