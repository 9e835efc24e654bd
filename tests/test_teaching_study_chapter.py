"""check_steps_to_threshold (chapter 06's exercise): passes on correct answers, rejects wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from a3cmem_lib.exercises import ExerciseCheckError, check_steps_to_threshold
from a3cmem_lib.experiments.measures import WINDOW


def steps_to_threshold(env_steps, returns, threshold):
    """The notebook's solution: a moving average from cumulative sums, full windows only."""
    returns = np.asarray(returns, dtype=float)
    if len(returns) < WINDOW:
        return float("nan")
    sums = np.cumsum(np.r_[0.0, returns])
    means = (sums[WINDOW:] - sums[:-WINDOW]) / WINDOW  # means[k] ends at episode k + WINDOW - 1
    solved = np.flatnonzero(means >= threshold)
    return float(env_steps[solved[0] + WINDOW - 1]) if len(solved) else float("nan")


def with_a_loop(env_steps, returns, threshold):
    """Another correct answer: one episode at a time, returning a numpy scalar."""
    for i in range(WINDOW - 1, len(returns)):
        if np.mean(returns[i - WINDOW + 1 : i + 1]) >= threshold:
            return env_steps[i]
    return np.nan


def with_pandas(env_steps, returns, threshold):
    """Another correct answer: pandas' rolling mean (NaN until the window is full)."""
    means = pd.Series(returns).rolling(WINDOW).mean()
    solved = np.flatnonzero(means >= threshold)
    return float(env_steps[solved[0]]) if len(solved) else np.nan


def partial_windows(env_steps, returns, threshold):
    """Wrong: counts the first episodes, whose mean covers fewer than WINDOW returns."""
    means = pd.Series(returns).rolling(WINDOW, min_periods=1).mean()
    solved = np.flatnonzero(means >= threshold)
    return float(env_steps[solved[0]]) if len(solved) else np.nan


def strictly_above(env_steps, returns, threshold):
    """Wrong: > instead of >=."""
    means = pd.Series(returns).rolling(WINDOW).mean()
    solved = np.flatnonzero(means > threshold)
    return float(env_steps[solved[0]]) if len(solved) else np.nan


def raw_returns(env_steps, returns, threshold):
    """Wrong: no moving average, one lucky episode counts."""
    solved = np.flatnonzero(np.asarray(returns)[WINDOW - 1 :] >= threshold)
    return float(env_steps[solved[0] + WINDOW - 1]) if len(solved) else np.nan


def episode_index(env_steps, returns, threshold):
    """Wrong: the episode's index, not its env step."""
    means = pd.Series(returns).rolling(WINDOW).mean()
    solved = np.flatnonzero(means >= threshold)
    return float(solved[0]) if len(solved) else np.nan


def last_time(env_steps, returns, threshold):
    """Wrong: the last solved episode rather than the first."""
    means = pd.Series(returns).rolling(WINDOW).mean()
    solved = np.flatnonzero(means >= threshold)
    return float(env_steps[solved[-1]]) if len(solved) else np.nan


def none_when_unsolved(env_steps, returns, threshold):
    """Wrong: None instead of nan for a run that never solved."""
    result = with_pandas(env_steps, returns, threshold)
    return None if np.isnan(result) else result


def budget_when_unsolved(env_steps, returns, threshold):
    """Wrong: the last env step instead of nan for a run that never solved."""
    result = with_pandas(env_steps, returns, threshold)
    return float(env_steps[-1]) if np.isnan(result) else result


@pytest.mark.parametrize("solution", [steps_to_threshold, with_a_loop, with_pandas])
def test_check_passes_on_correct_answers(solution, capsys: pytest.CaptureFixture) -> None:
    check_steps_to_threshold(solution)
    assert "✓ check_steps_to_threshold passed (8 checks)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "solution, case",
    [
        (partial_windows, "a high start with fewer than WINDOW episodes"),
        (strictly_above, "a mean equal to the threshold"),
        (raw_returns, "a steadily rising curve"),
        (episode_index, "a steadily rising curve"),
        (last_time, "a steadily rising curve"),
        (none_when_unsolved, "a run that never solves"),
        (budget_when_unsolved, "a run that never solves"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_check_rejects_wrong_answers_naming_the_case(solution, case: str) -> None:
    with pytest.raises(ExerciseCheckError, match=f"check_steps_to_threshold failed on {case}"):
        check_steps_to_threshold(solution)


def test_check_reports_a_missing_implementation() -> None:
    def stub(env_steps, returns, threshold):
        raise NotImplementedError()

    with pytest.raises(ExerciseCheckError, match="not implemented"):
        check_steps_to_threshold(stub)


def test_check_reports_a_crash_naming_the_case() -> None:
    def crashes(env_steps, returns, threshold):
        return env_steps[len(returns)]

    with pytest.raises(ExerciseCheckError, match="raised IndexError on a steadily rising curve"):
        check_steps_to_threshold(crashes)
