"""Stability statistics of a study: drawdown, collapse, spread, and comparisons with a baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

from a3cmem_lib.experiments.measures import WINDOW, first_solved_episode, run_summary
from a3cmem_lib.experiments.study_stats import (
    COLLAPSE_FRACTION,
    bootstrap_median_difference,
    compare_spread_to_baseline,
    compare_to_baseline,
    detectable_superiority,
    holm,
    max_drawdown,
    probability_of_superiority,
    rank_sum_test,
    run_stability,
    smallest_p_value,
    stability_summary,
    steps_or_budget,
)


@pytest.mark.parametrize(
    "curve, expected",
    [
        ([1.0], 0.0),
        ([1.0, 2.0, 3.0], 0.0),
        ([3.0, 2.0, 1.0], 2.0),
        ([0.0, 5.0, 1.0, 4.0, 2.0], 4.0),  # from the peak 5 down to 1
        ([0.0, 5.0, 3.0, 9.0, 6.0], 3.0),  # two falls of 2 and 3: the larger
        ([-1.0, -0.2, -0.9], 0.7),
    ],
)
def test_max_drawdown_is_the_largest_fall_below_the_running_maximum(curve, expected) -> None:
    assert max_drawdown(curve) == pytest.approx(expected)


def test_max_drawdown_matches_a_brute_force_definition() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        curve = np.cumsum(rng.normal(size=int(rng.integers(1, 40))))
        brute = max(curve[s] - curve[t] for t in range(len(curve)) for s in range(t + 1))
        assert max_drawdown(curve) == pytest.approx(brute)


@pytest.mark.parametrize("curve", [[], [[1.0, 2.0]], [1.0, np.nan]])
def test_max_drawdown_rejects_empty_nested_or_nan_curves(curve) -> None:
    with pytest.raises(ValueError, match="curve"):
        max_drawdown(curve)


def test_first_solved_episode_needs_a_full_window() -> None:
    returns = [500.0] * 3 + [0.0] * 30 + [500.0] * 30
    # a window with one 0 among 500s averages 475: 480 needs a window of 500s only
    assert first_solved_episode(returns, 480.0) == 33 + WINDOW - 1
    assert first_solved_episode([500.0] * (WINDOW - 1), 475.0) is None
    assert first_solved_episode([500.0] * WINDOW, 475.0) == WINDOW - 1


def test_first_solved_episode_agrees_with_run_summary() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        returns = np.cumsum(rng.normal(0.3, 2.0, 80))
        threshold = float(np.quantile(returns, 0.8))
        table = pd.DataFrame(
            {
                "env": "e",
                "variant": "v",
                "seed": 0,
                "env_step": np.arange(80),
                "wall_time": 0.0,
                "return": returns,
            }
        )
        step = run_summary(table, threshold, 1.0, 80)["steps_to_threshold"]
        first = first_solved_episode(returns, threshold)
        assert (first is None and np.isnan(step)) or first == step


def study_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three hand-made runs, threshold 10: steady, collapsing (and recovering), never solved."""
    curves = {
        ("steady", 0): [0.0] * WINDOW + [10.0] * 60,
        ("collapse", 0): [0.0] * WINDOW + [10.0] * 40 + [2.0] * 40 + [10.0] * 40,
        ("never", 0): [0.0] * WINDOW + [5.0] * 60,
    }
    episodes, runs = [], []
    for (variant, seed), returns in curves.items():
        table = pd.DataFrame(
            {
                "env": "E",
                "variant": variant,
                "seed": seed,
                "episode": np.arange(len(returns)),
                "env_step": 10 * np.arange(1, len(returns) + 1),
                "wall_time": np.arange(len(returns)) / 10,
                "return": returns,
            }
        )
        episodes.append(table)
        runs.append(run_summary(table, 10.0, 1.0, 10 * len(returns)))
    return pd.concat(episodes, ignore_index=True), pd.DataFrame(runs)


def test_run_stability_measures_drawdown_after_solving() -> None:
    episodes, runs = study_tables()
    stability = run_stability(episodes, runs).set_index("variant")
    steady, collapse, never = (stability.loc[v] for v in ("steady", "collapse", "never"))
    assert steady["solved"] and steady["drawdown"] == 0.0 and not steady["collapsed"]
    assert steady["start"] == 0.0 and steady["best"] == 10.0 and steady["final"] == 10.0
    assert steady["below_after_solved"] == 0.0
    # 40 episodes of 2 after the 10s: the 20-episode mean falls from 10 to 2
    assert collapse["drawdown"] == pytest.approx(8.0)
    assert collapse["relative_drawdown"] == pytest.approx(0.8)
    assert collapse["collapsed"] and 0.8 > COLLAPSE_FRACTION
    assert collapse["final"] == pytest.approx(10.0)
    assert 0 < collapse["below_after_solved"] < 1
    assert not never["solved"] and np.isnan(never["drawdown"]) and not never["collapsed"]
    assert never["best"] == pytest.approx(5.0)


def test_stability_summary_counts_collapses_among_solved_runs() -> None:
    episodes, runs = study_tables()
    summary = stability_summary(run_stability(episodes, runs), runs).set_index("variant")
    assert summary.loc["collapse", "collapsed"] == 1
    assert summary.loc["steady", "collapsed"] == 0
    assert summary.loc["never", "solved"] == 0
    assert np.isnan(summary.loc["never", "drawdown_median"])
    assert summary.loc["steady", "final_iqr"] == 0.0


def test_steps_or_budget_fills_unsolved_runs_with_exactly_their_budget() -> None:
    # a run stops a few steps past its budget: the overshoot must not be scored
    runs = pd.DataFrame(
        {
            "steps_to_threshold": [100.0, np.nan, np.nan],
            "env_steps": [500, 810, 800],
            "total_steps": [500, 800, 800],
        }
    )
    assert steps_or_budget(runs).tolist() == [100.0, 800.0, 800.0]
    with pytest.raises(ValueError, match="total_steps"):
        steps_or_budget(runs.drop(columns="total_steps"))


def test_two_groups_that_never_reached_the_threshold_tie() -> None:
    # memory runs stop at 150,010, plain ones at 150,000: scored at the budget, no difference
    runs = pd.DataFrame(
        {
            "env": "E",
            "variant": ["none"] * 3 + ["fifo"] * 3,
            "steps_to_threshold": np.nan,
            "env_steps": [150_000] * 3 + [150_010] * 3,
            "total_steps": 150_000,
        }
    )
    frame = runs.assign(steps=steps_or_budget(runs))
    row = compare_to_baseline(frame, "steps", resamples=100).iloc[0]
    assert row["p_superior"] == 0.5 and row["p_value"] == 1.0


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_rank_sum_test_is_scipys_exact_test_without_ties(alternative: str) -> None:
    rng = np.random.default_rng(7)
    for n, m in ((1, 1), (3, 3), (5, 5), (4, 7), (10, 10)):
        a, b = rng.normal(size=n), rng.normal(0.7, size=m)
        exact = mannwhitneyu(a, b, alternative=alternative, method="exact").pvalue
        assert rank_sum_test(a, b, alternative) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_rank_sum_test_with_ties_is_the_exact_permutation_test(alternative: str) -> None:
    from scipy.stats import permutation_test, rankdata

    def rank_sum(x: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
        ranks = rankdata(np.concatenate([x, y], axis=axis), axis=axis)
        return ranks[..., : x.shape[axis]].sum(axis=-1)

    rng = np.random.default_rng(8)
    for n, m in ((2, 3), (5, 5), (6, 4)):
        a, b = rng.integers(0, 3, n).astype(float), rng.integers(0, 4, m).astype(float)
        exact = permutation_test(
            (a, b),
            rank_sum,
            permutation_type="independent",
            vectorized=True,
            n_resamples=np.inf,
            alternative=alternative,
        ).pvalue
        assert rank_sum_test(a, b, alternative) == pytest.approx(exact, rel=1e-9)


def test_rank_sum_test_with_ties_is_not_the_normal_approximation() -> None:
    # scipy's default switches to the normal approximation with ties, which can go below
    # the smallest p-value any split of 5 against 5 gives (2 / 252)
    values, reference = [1.0, 2.0, 3.0, 4.0, 5.0], [9.0] * 5  # e.g. 5 unsolved at the budget
    assert mannwhitneyu(values, reference).pvalue < smallest_p_value(5, 5)
    assert rank_sum_test(values, reference) >= smallest_p_value(5, 5)


def test_smallest_p_value_is_complete_separation() -> None:
    assert smallest_p_value(5, 5) == pytest.approx(2 / 252)
    assert smallest_p_value(3, 3) == pytest.approx(0.1)
    assert smallest_p_value(10, 10, "less") == pytest.approx(1 / 184_756)
    assert rank_sum_test(np.arange(5.0), np.arange(5.0) + 10) == smallest_p_value(5, 5)
    assert rank_sum_test([1.0, 1.0], [1.0, 1.0]) == 1.0
    with pytest.raises(ValueError, match="n and m must be ints >= 1"):
        smallest_p_value(0, 5)
    with pytest.raises(ValueError, match="alternative must be one of"):
        rank_sum_test([1.0], [2.0], "bigger")
    with pytest.raises(ValueError, match="NaN"):
        rank_sum_test([np.nan], [2.0])


def test_probability_of_superiority_is_mann_whitney_u_over_n_squared() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=10).round(1), rng.normal(0.5, size=10).round(1)
    u = mannwhitneyu(a, b).statistic
    assert probability_of_superiority(a, b) == pytest.approx(u / 100)
    assert probability_of_superiority([3, 4], [1, 2]) == 1.0
    assert probability_of_superiority([1, 1], [1, 1]) == 0.5


def test_bootstrap_interval_contains_the_difference_and_is_seeded() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(2.0, 1.0, 10), rng.normal(0.0, 1.0, 10)
    difference, low, high = bootstrap_median_difference(a, b, seed=0)
    assert difference == pytest.approx(np.median(a) - np.median(b))
    assert low <= difference <= high
    assert bootstrap_median_difference(a, b, seed=0) == (difference, low, high)
    assert bootstrap_median_difference([5.0] * 4, [5.0] * 4) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_median_difference(a, b, confidence=1.5)


def test_holm_adjustment_by_hand() -> None:
    # sorted 0.01, 0.02, 0.04 -> x3, x2, x1 = 0.03, 0.04, 0.04 (made non-decreasing)
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]).shape == (0,)


def test_compare_to_baseline_finds_a_clear_shift_and_not_noise() -> None:
    rng = np.random.default_rng(4)
    rows = [("E", "none", s, v) for s, v in enumerate(rng.normal(0, 1, 10))]
    rows += [("E", "better", s, v) for s, v in enumerate(rng.normal(5, 1, 10))]
    rows += [("E", "same", s, v) for s, v in enumerate(rng.normal(0, 1, 10))]
    frame = pd.DataFrame(rows, columns=["env", "variant", "seed", "value"])
    table = compare_to_baseline(frame, "value").set_index("variant")
    assert list(table.index) == ["better", "same"]
    assert table.loc["better", "p_superior"] == 1.0
    assert table.loc["better", "p_value"] < 0.01
    assert table.loc["better", "ci_low"] > 0
    assert table.loc["same", "p_value"] > 0.05
    assert table.loc["same", "ci_low"] < 0 < table.loc["same", "ci_high"]


def test_compare_to_baseline_handles_identical_samples() -> None:
    frame = pd.DataFrame({"env": "E", "variant": ["none"] * 3 + ["fifo"] * 3, "value": [500.0] * 6})
    row = compare_to_baseline(frame, "value").iloc[0]
    assert row["p_value"] == 1.0 and row["difference"] == 0.0 and row["p_superior"] == 0.5


def test_compare_to_baseline_leaves_nan_where_a_variant_has_no_values() -> None:
    frame = pd.DataFrame(
        {
            "env": "E",
            "variant": ["none"] * 3 + ["fifo"] * 2,
            "value": [1.0, 2.0, 3.0, np.nan, np.nan],
        }
    )
    row = compare_to_baseline(frame, "value").iloc[0]
    assert row["n"] == 0 and row["baseline_n"] == 3
    assert np.isnan(row["difference"]) and np.isnan(row["p_value"])


def test_compare_spread_to_baseline_finds_a_wider_variant() -> None:
    rng = np.random.default_rng(5)
    rows = [("E", "none", v) for v in rng.normal(0, 1, 10)]
    rows += [("E", "wide", v) for v in rng.normal(0, 10, 10)]
    rows += [("E", "constant", 0.0) for _ in range(10)]
    frame = pd.DataFrame(rows, columns=["env", "variant", "value"])
    table = compare_spread_to_baseline(frame, "value").set_index("variant")
    assert table.loc["wide", "std"] > table.loc["wide", "baseline_std"]
    assert table.loc["wide", "p_value"] < 0.01
    assert table.loc["constant", "iqr"] == 0.0 and table.loc["constant", "std"] == 0.0
    both_constant = pd.DataFrame({"env": "E", "variant": ["none"] * 3 + ["a"] * 3, "value": 1.0})
    assert compare_spread_to_baseline(both_constant, "value")["p_value"].iloc[0] == 1.0


def test_detectable_superiority_is_the_edge_of_significance() -> None:
    threshold = detectable_superiority(10, 10)
    assert 0.5 < threshold < 1.0
    u = round(threshold * 100)
    # samples that beat exactly u and u - 1 of the 100 pairs: significant, and not
    reference = np.arange(10.0)
    for beats, significant in ((u, True), (u - 1, False)):
        above = [10] * (beats // 10) + ([beats % 10] if beats % 10 else [])
        values = np.array(above + [0] * (10 - len(above)), dtype=float) - 0.5
        assert probability_of_superiority(values, reference) == beats / 100
        assert bool(rank_sum_test(values, reference) <= 0.05) is significant
    # 3 seeds against 3: even total separation gives p = 2/20 = 0.1, never significant
    assert np.isnan(detectable_superiority(3, 3))
