"""Stability statistics of a study: collapse within runs, spread over seeds, tests vs a baseline.

:mod:`a3cmem_lib.experiments.measures` says where each run *ends* (final return, steps to
the threshold). The original article's claim is about *stability*, which a run's end does not
show: a run can solve the task, collapse and recover. This module reads the tidy episode
table of a study and measures, per run:

- the **max drawdown** of its smoothed return after it first reached the threshold,
  ``max_t (max_{s <= t} R_s - R_t)``: how far it fell from its best;
- the **relative drawdown**: that fall as a fraction of what the run had learned, the
  distance from its first ``WINDOW``-episode mean to the threshold; a run **collapsed** when
  it lost more than :data:`COLLAPSE_FRACTION` of it;

and, per (environment, variant), compares seeds with the baseline (plain A3C) by rank
tests and bootstrap intervals that make no normality assumption, because 10 seeds are far
too few to check one.

Explained in notebooks/06_stability_study.ipynb.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .measures import WINDOW, first_solved_episode, smoothed_returns

COLLAPSE_FRACTION = 0.5
"""A solved run *collapsed* when its drawdown after solving exceeds this fraction of the
distance from its first ``WINDOW``-episode mean to the threshold."""


def max_drawdown(curve: Sequence[float]) -> float:
    """Largest fall of ``curve`` below its running maximum: ``max_t (max_{s<=t} c_s - c_t)``.

    Args:
        curve: a learning curve, ``(T,)`` floats without NaN, ``T >= 1``.

    Returns:
        The drawdown in the curve's units, ``>= 0``; ``0.0`` for a curve that never falls.
    """
    values = np.asarray(curve, dtype=float)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(f"curve must be a non-empty 1-D sequence, got shape {values.shape}")
    if np.isnan(values).any():
        raise ValueError("curve must not contain NaN")
    return float(np.max(np.maximum.accumulate(values) - values))


def run_stability(episodes: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Within-run stability of every run of a study, one row per (env, variant, seed).

    Args:
        episodes: the study's ``episodes.csv`` (columns ``env, variant, seed, return``, in
            episode order within each run).
        runs: the study's ``runs.csv`` (for each run's ``threshold``).

    Returns:
        Columns ``env, variant, seed, threshold, solved`` (bool), ``start`` (mean return of the
        first ``WINDOW`` episodes), ``best`` (highest ``WINDOW``-episode mean), ``final``
        (the last one), ``drawdown`` (max drawdown of the smoothed return from the first
        solved episode on; NaN if never solved), ``relative_drawdown`` (``drawdown /
        (threshold - start)``), ``collapsed`` (``relative_drawdown >
        COLLAPSE_FRACTION``; False if never solved) and ``below_after_solved`` (fraction of
        episodes after the first solved one whose smoothed return is under the threshold).
    """
    thresholds = runs.set_index(["env", "variant", "seed"])["threshold"]
    rows = []
    for (env_id, variant, seed), run in episodes.groupby(["env", "variant", "seed"], sort=False):
        threshold = float(thresholds.loc[(env_id, variant, seed)])
        returns = run["return"].to_numpy()
        smooth = smoothed_returns(returns)
        full = smooth[WINDOW - 1 :] if len(smooth) >= WINDOW else smooth[-1:]
        first = first_solved_episode(returns, threshold)
        start = float(full[0])
        drawdown = below = np.nan
        if first is not None:
            after = smooth[first:]
            drawdown = max_drawdown(after)
            below = float(np.mean(after < threshold))
        span = threshold - start
        relative = drawdown / span if span > 0 else np.nan
        rows.append(
            {
                "env": env_id,
                "variant": variant,
                "seed": int(seed),
                "threshold": threshold,
                "solved": first is not None,
                "start": start,
                "best": float(full.max()),
                "final": float(smooth[-1]),
                "drawdown": drawdown,
                "relative_drawdown": relative,
                "collapsed": bool(relative > COLLAPSE_FRACTION),
                "below_after_solved": below,
            }
        )
    return pd.DataFrame(rows)


def stability_summary(stability: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Per (env, variant): spread of the final return over seeds and collapse within runs.

    Args:
        stability: :func:`run_stability`'s table.
        runs: the study's ``runs.csv`` (for ``final_return``).

    Returns:
        Columns ``env, variant, runs, final_iqr, final_std`` (over seeds, ``ddof=1``),
        ``solved``, ``drawdown_median``, ``drawdown_max``, ``relative_drawdown_median``
        (over solved runs), ``collapsed`` (solved runs that collapsed) and
        ``below_after_solved_median``.
    """
    merged = stability.merge(runs[["env", "variant", "seed", "final_return"]])
    rows = []
    for (env_id, variant), group in merged.groupby(["env", "variant"], sort=False):
        final = group["final_return"]
        solved = group[group["solved"]]
        rows.append(
            {
                "env": env_id,
                "variant": variant,
                "runs": len(group),
                "final_iqr": final.quantile(0.75) - final.quantile(0.25),
                "final_std": final.std(ddof=1) if len(group) > 1 else 0.0,
                "solved": len(solved),
                "drawdown_median": solved["drawdown"].median(),
                "drawdown_max": solved["drawdown"].max(),
                "relative_drawdown_median": solved["relative_drawdown"].median(),
                "collapsed": int(solved["collapsed"].sum()),
                "below_after_solved_median": solved["below_after_solved"].median(),
            }
        )
    return pd.DataFrame(rows)


def steps_or_budget(runs: pd.DataFrame, column: str = "steps_to_threshold") -> pd.Series:
    """Steps to the threshold, with a run that never reached it counted as exactly its budget.

    The budget is the run's ``total_steps`` (a run stops a few steps past it, by up to one
    rollout per worker: ``env_steps`` would score two unsolved runs differently). A
    censored value (the true time is "more than the budget"), so a comparison of these is
    conservative: it can only understate how much slower a variant that often fails is, and
    two groups that never reached the threshold tie.

    Args:
        runs: ``runs.csv`` rows, with ``column`` (NaN: not reached) and ``total_steps``.
        column: ``steps_to_threshold`` or ``steps_to_threshold_100``.
    """
    if "total_steps" not in runs:
        raise ValueError("runs must have a total_steps column (each run's budget)")
    return runs[column].fillna(runs["total_steps"].astype(float))


ALTERNATIVES = ("two-sided", "less", "greater")


def rank_sum_test(
    values: Sequence[float], reference: Sequence[float], alternative: str = "two-sided"
) -> float:
    """Exact p-value of the Mann–Whitney (Wilcoxon rank-sum) test of ``values`` against
    ``reference``, ties included.

    Under the null hypothesis (both samples from one distribution) every split of the
    pooled ``n + m`` values into groups of ``n`` and ``m`` is equally likely. The statistic
    is the sum of the pooled mid-ranks of ``values``; its exact distribution over all
    ``C(n + m, n)`` splits is counted (dynamic programming over the ranks, so ties are
    handled exactly instead of by the normal approximation scipy falls back to). Without
    ties this equals ``scipy.stats.mannwhitneyu(..., method="exact")``.

    Args:
        values, reference: the two samples, non-empty, without NaN.
        alternative: ``"less"`` (``values`` tend to be smaller), ``"greater"``, or
            ``"two-sided"`` (twice the smaller one-sided p-value, at most 1).

    Returns:
        The p-value, in ``[smallest_p_value(n, m, alternative), 1]``; ``1.0`` when every
        value is equal.
    """
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {list(ALTERNATIVES)}, got {alternative!r}")
    values = np.asarray(values, dtype=float).ravel()
    reference = np.asarray(reference, dtype=float).ravel()
    if values.size == 0 or reference.size == 0:
        raise ValueError("both samples must be non-empty")
    if np.isnan(values).any() or np.isnan(reference).any():
        raise ValueError("samples must not contain NaN")
    from scipy.stats import rankdata

    # doubled mid-ranks are integers, so sums can index a table
    ranks = np.rint(2 * rankdata(np.concatenate([values, reference]))).astype(int)
    n = values.size
    observed = int(ranks[:n].sum())
    # ways[k, s]: splits choosing k of the ranks seen so far with doubled rank sum s
    ways = np.zeros((n + 1, int(ranks.sum()) + 1))
    ways[0, 0] = 1.0
    for rank in ranks:
        ways[1:, rank:] += ways[:-1, : ways.shape[1] - rank].copy()
    counts = ways[n]
    total = counts.sum()
    p_less = counts[: observed + 1].sum() / total
    p_greater = counts[observed:].sum() / total
    if alternative == "less":
        return float(min(p_less, 1.0))
    if alternative == "greater":
        return float(min(p_greater, 1.0))
    return float(min(2 * min(p_less, p_greater), 1.0))


def smallest_p_value(n: int, m: int, alternative: str = "two-sided") -> float:
    """The smallest p-value :func:`rank_sum_test` can give with ``n`` values against ``m``:
    ``1 / C(n + m, n)`` one-sided, twice that two-sided (every value of one sample beats
    every value of the other, no ties; ties only make it larger). 5 against 5 runs:
    ``2 / 252 = 0.0079``; 3 against 3: ``2 / 20 = 0.1``."""
    from math import comb

    if isinstance(n, bool) or isinstance(m, bool) or n < 1 or m < 1:
        raise ValueError(f"n and m must be ints >= 1, got {n!r} and {m!r}")
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {list(ALTERNATIVES)}, got {alternative!r}")
    sides = 2 if alternative == "two-sided" else 1
    return min(sides / comb(n + m, n), 1.0)


def probability_of_superiority(a: Sequence[float], b: Sequence[float]) -> float:
    """``P(A > B) + P(A = B) / 2`` for one draw from each sample: Mann–Whitney's ``U / (n_a n_b)``.

    0.5 means neither tends to be larger; 1.0 that every value of ``a`` beats every value of
    ``b``.
    """
    a, b = np.asarray(a, dtype=float)[:, None], np.asarray(b, dtype=float)[None, :]
    if a.size == 0 or b.size == 0:
        raise ValueError("both samples must be non-empty")
    return float(np.mean((a > b) + 0.5 * (a == b)))


def bootstrap_median_difference(
    a: Sequence[float],
    b: Sequence[float],
    *,
    resamples: int = 10_000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """``median(a) - median(b)`` and its percentile-bootstrap confidence interval.

    Each sample is resampled with replacement on its own (the seeds of two variants are
    independent runs), ``resamples`` times.

    Returns:
        ``(difference, low, high)``.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size == 0 or b.size == 0:
        raise ValueError("both samples must be non-empty")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    rng = np.random.default_rng(seed)
    medians_a = np.median(rng.choice(a, size=(resamples, a.size)), axis=1)
    medians_b = np.median(rng.choice(b, size=(resamples, b.size)), axis=1)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(medians_a - medians_b, [tail, 100 - tail])
    return float(np.median(a) - np.median(b)), float(low), float(high)


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment of ``pvalues`` for testing them together.

    Reject hypothesis ``i`` at family-wise level α when its adjusted p-value is ``<= α``
    (Holm, 1979): the k-th smallest p-value is multiplied by ``m - k + 1``, then made
    non-decreasing and capped at 1.
    """
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    scaled = p[order] * (len(p) - np.arange(len(p)))
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


def compare_to_baseline(
    frame: pd.DataFrame,
    column: str,
    *,
    baseline: str = "none",
    resamples: int = 10_000,
    seed: int = 0,
    by: Sequence[str] = ("env",),
) -> pd.DataFrame:
    """Each variant against ``baseline``, per environment: is ``column`` typically larger?

    Args:
        frame: one row per run, with columns ``env, variant`` and ``column`` (rows where
            ``column`` is NaN are left out).
        column: the per-run quantity to compare (e.g. ``final_return``).
        baseline: the variant every other one is compared with.
        resamples, seed: of :func:`bootstrap_median_difference`.
        by: the columns whose every combination is compared on its own (a swept setting:
            ``("env", "learning_rate")``).

    Returns:
        One row per (``by`` values, variant other than the baseline): ``n``, ``baseline_n``,
        ``median``, ``baseline_median``, ``difference`` (of medians) with its 95 % bootstrap
        interval ``ci_low, ci_high``, ``p_superior`` (:func:`probability_of_superiority` of
        the variant over the baseline) and ``p_value``, the two-sided exact Mann–Whitney
        test's (:func:`rank_sum_test`; 1.0 when every value is equal). Adjust the p-values
        of all the tests you make together with :func:`holm`. Needs scipy
        (``requirements.txt``).
    """
    rows = []
    for keys, variant, values, reference in _against_baseline(frame, column, baseline, by):
        row = {**keys, "variant": variant, "n": len(values), "baseline_n": len(reference)}
        rows.append(row)
        if len(values) == 0 or len(reference) == 0:
            continue  # nothing to compare: the statistics stay NaN
        row["median"] = float(np.median(values))
        row["baseline_median"] = float(np.median(reference))
        row["difference"], row["ci_low"], row["ci_high"] = bootstrap_median_difference(
            values, reference, resamples=resamples, seed=seed
        )
        row["p_superior"] = probability_of_superiority(values, reference)
        row["p_value"] = rank_sum_test(values, reference)
    columns = ["median", "baseline_median", "difference", "ci_low", "ci_high", "p_superior"]
    return pd.DataFrame(rows).reindex(
        columns=[*by, "variant", "n", "baseline_n", *columns, "p_value"]
    )


def compare_spread_to_baseline(
    frame: pd.DataFrame, column: str, *, baseline: str = "none", by: Sequence[str] = ("env",)
) -> pd.DataFrame:
    """Each variant against ``baseline``, per environment: is ``column`` more spread out?

    Returns:
        One row per (``by`` values, variant other than the baseline): ``iqr``, ``baseline_iqr``,
        ``std``, ``baseline_std`` (``ddof=1``) and ``p_value`` of the Brown–Forsythe test of
        equal spread (Levene's test on distances to the median; 1.0 when both samples are
        constant). Needs scipy (``requirements.txt``).
    """
    from scipy.stats import levene

    rows = []
    for keys, variant, values, reference in _against_baseline(frame, column, baseline, by):
        row = {**keys, "variant": variant}
        rows.append(row)
        if len(values) < 2 or len(reference) < 2:
            continue  # no spread to measure: the statistics stay NaN
        row["iqr"], row["baseline_iqr"] = _iqr(values), _iqr(reference)
        row["std"] = float(np.std(values, ddof=1))
        row["baseline_std"] = float(np.std(reference, ddof=1))
        if np.ptp(values) == 0 and np.ptp(reference) == 0:
            row["p_value"] = 1.0
        else:
            # Distances to the median constant within both samples (but different between
            # them) make the statistic infinite, p = 0; numpy warns about the division.
            with np.errstate(divide="ignore", invalid="ignore"):
                row["p_value"] = float(levene(values, reference, center="median").pvalue)
    return pd.DataFrame(rows).reindex(
        columns=[*by, "variant", "iqr", "baseline_iqr", "std", "baseline_std", "p_value"]
    )


def detectable_superiority(n: int, m: int, alpha: float = 0.05) -> float:
    """The smallest probability of superiority a Mann–Whitney test can call significant.

    With samples of ``n`` and ``m`` runs (no ties), the two-sided exact test of
    :func:`compare_to_baseline` rejects at level ``alpha`` only when
    :func:`probability_of_superiority` is at least this (or at most one minus it): smaller
    differences between variants are invisible with this many seeds. NaN when no outcome
    reaches ``alpha`` (:func:`smallest_p_value` is above it). Needs scipy.
    """
    reference = np.arange(m, dtype=float)
    for u in range((n * m + 1) // 2, n * m + 1):
        # n values that beat exactly u of the n * m pairs: value c - 0.5 beats c of 0..m-1
        above = [m] * (u // m) + ([u % m] if u % m else [])
        values = np.array(above + [0] * (n - len(above)), dtype=float) - 0.5
        if rank_sum_test(values, reference) <= alpha:
            return u / (n * m)
    return float("nan")


def _iqr(values: np.ndarray) -> float:
    q25, q75 = np.percentile(values, [25, 75])
    return float(q75 - q25)


def _against_baseline(frame: pd.DataFrame, column: str, baseline: str, by: Sequence[str]):
    """(``by`` values as a dict, variant, values, baseline values) for every variant but the
    baseline, in every group of ``by``."""
    by = list(by)
    for keys, group in frame.groupby(by, sort=False):
        variants = [v for v in dict.fromkeys(group["variant"]) if v != baseline]
        group = group.dropna(subset=[column])
        reference = group.loc[group["variant"] == baseline, column].to_numpy(dtype=float)
        for variant in variants:
            values = group.loc[group["variant"] == variant, column].to_numpy(dtype=float)
            yield dict(zip(by, keys, strict=True)), variant, values, reference
