"""check_fraction_of_rates_that_solve (chapter 07's exercise): passes on correct answers,
rejects the typical wrong ones naming the case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from a3cmem_lib.exercises import ExerciseCheckError, check_fraction_of_rates_that_solve


def fraction_of_rates_that_solve(runs):
    """The notebook's solution: per (variant, rate) the share of solved seeds, then per variant
    the share of rates where it is at least one half."""
    solved = runs["steps_to_threshold"].notna().groupby([runs["variant"], runs["learning_rate"]])
    solves = solved.mean() >= 0.5
    return solves.groupby(level="variant").mean().to_dict()


def with_loops(runs):
    """Another correct answer: plain Python, returning a pandas Series."""
    result = {}
    for variant in runs["variant"].unique():
        mine = runs[runs["variant"] == variant]
        rates = sorted(mine["learning_rate"].unique())
        good = 0
        for rate in rates:
            seeds = mine[mine["learning_rate"] == rate]
            if 2 * seeds["steps_to_threshold"].notna().sum() >= len(seeds):
                good += 1
        result[variant] = good / len(rates)
    return pd.Series(result)


def pooled_runs(runs):
    """Wrong: the fraction of runs that solved, not of rates."""
    return runs["steps_to_threshold"].notna().groupby(runs["variant"]).mean().to_dict()


def more_than_half(runs):
    """Wrong: a rate solves only when more than half its seeds solved."""
    solved = runs["steps_to_threshold"].notna().groupby([runs["variant"], runs["learning_rate"]])
    return (solved.mean() > 0.5).groupby(level="variant").mean().to_dict()


def any_seed(runs):
    """Wrong: a rate solves when any seed solved."""
    solved = runs["steps_to_threshold"].notna().groupby([runs["variant"], runs["learning_rate"]])
    return solved.any().groupby(level="variant").mean().to_dict()


def counts_not_fractions(runs):
    """Wrong: the number of rates that solve, not their fraction."""
    solved = runs["steps_to_threshold"].notna().groupby([runs["variant"], runs["learning_rate"]])
    return (solved.mean() >= 0.5).groupby(level="variant").sum().astype(float).to_dict()


def over_every_rate(runs):
    """Wrong: divides by the rates of the whole study, not those the variant tried."""
    solved = runs["steps_to_threshold"].notna().groupby([runs["variant"], runs["learning_rate"]])
    rates = runs["learning_rate"].nunique()
    return ((solved.mean() >= 0.5).groupby(level="variant").sum() / rates).to_dict()


@pytest.mark.parametrize("solution", [fraction_of_rates_that_solve, with_loops])
def test_check_passes_on_correct_answers(solution, capsys: pytest.CaptureFixture) -> None:
    check_fraction_of_rates_that_solve(solution)
    check_fraction_of_rates_that_solve(solution, seed=None)
    out = capsys.readouterr().out
    assert out.count("✓ check_fraction_of_rates_that_solve passed (6 checks)") == 2


@pytest.mark.parametrize(
    "solution, case",
    [
        (pooled_runs, "a study small enough to count by hand"),
        (more_than_half, "exactly half the seeds solved"),
        (any_seed, "exactly half the seeds solved"),
        (counts_not_fractions, "a study small enough to count by hand"),
        (over_every_rate, "variants with different grids"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_check_rejects_wrong_answers_naming_the_case(solution, case: str) -> None:
    with pytest.raises(
        ExerciseCheckError, match=f"check_fraction_of_rates_that_solve failed on {case}"
    ):
        check_fraction_of_rates_that_solve(solution)


def test_pooling_is_caught_even_where_every_rate_agrees() -> None:
    """The case built for the pooled mistake fails it on its own (2 of 3 seeds everywhere)."""
    with pytest.raises(ExerciseCheckError, match="not of runs"):
        check_fraction_of_rates_that_solve(
            lambda runs: (
                pooled_runs(runs)
                if runs["variant"].nunique() == 1 and runs["learning_rate"].nunique() == 3
                else fraction_of_rates_that_solve(runs)
            )
        )


def test_failure_message_shows_the_inputs() -> None:
    with pytest.raises(ExerciseCheckError, match=r"none @ 0.001: 3/3 seeds solved"):
        check_fraction_of_rates_that_solve(pooled_runs)


def test_check_reports_a_missing_implementation_and_a_wrong_type() -> None:
    def stub(runs):
        raise NotImplementedError()

    with pytest.raises(ExerciseCheckError, match="not implemented"):
        check_fraction_of_rates_that_solve(stub)
    with pytest.raises(ExerciseCheckError, match=r"expected a dict \{variant: fraction\}"):
        check_fraction_of_rates_that_solve(lambda runs: 0.5)
    with pytest.raises(ExerciseCheckError, match="one fraction per variant"):
        check_fraction_of_rates_that_solve(lambda runs: {"none": 1.0})


def test_fresh_seeds_are_named_in_a_failure() -> None:
    def wrong_on_random(runs):
        result = fraction_of_rates_that_solve(runs)
        return {k: v + 0.01 for k, v in result.items()} if len(runs) > 15 else result

    with pytest.raises(ExerciseCheckError, match=r"pass seed=\d+ to replay them"):
        check_fraction_of_rates_that_solve(wrong_on_random, seed=None)


def test_the_check_does_not_mutate_on_the_readers_behalf() -> None:
    """An answer that edits its input must not change what the check expects."""

    def vandal(runs):
        answer = fraction_of_rates_that_solve(runs)
        runs["steps_to_threshold"] = np.nan
        return answer

    check_fraction_of_rates_that_solve(vandal)
