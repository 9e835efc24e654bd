"""When does a memory layer help A3C? The tests of the regime study's axes, from their runs.

Each axis's question is answered with chapter 06's tools
(:mod:`a3cmem_lib.experiments.study_stats`): per (environment, setting value), every memory
variant against plain A3C (``none``) by Mann–Whitney tests and bootstrap intervals of the
median difference, Holm-corrected over all the tests of the axis (:func:`compare_axis`);
whether the setting matters at all (:func:`setting_effect`); what the number of seeds can
detect (:func:`detectable_effect`); and the analyses an axis declares
(:class:`~a3cmem_lib.experiments.axes.Axis`): the policy lag and spread of an axis that
measures staleness (:func:`policy_lag_table`), the learning rates that solve, the A3C paper's
robustness measure (:func:`fraction_of_rates_that_solve`). The runs come from
:func:`~a3cmem_lib.experiments.axes_results.load_axis`.

Explained in notebooks/07_when_does_memory_help.ipynb.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .axes import BASELINE, get_axis
from .study_stats import (
    compare_spread_to_baseline,
    compare_to_baseline,
    detectable_superiority,
    holm,
)

ALPHA = 0.05
"""Family-wise significance level of every axis's tests (after Holm's correction)."""
SOLVING_FRACTION = 0.5
"""A learning rate *solves* when at least this fraction of its seeds reached the threshold."""
MEASURES = {"final return": "final_return", "steps to threshold*": "steps_or_budget"}
"""The location measures of every axis: name in the tables -> ``runs`` column. ``*``: a run
that never reached the threshold counts as its whole budget (``steps_or_budget``)."""
POOLED = "final return, all values"
"""The swept axes' extra measure: per env, every value's runs together (each plain-A3C run
once), e.g. "over the whole grid of learning rates, does a run tend to end higher?"."""
SPREAD = "final-return spread"
"""The spread measure of an axis that measures staleness (Brown–Forsythe test of the final
return)."""
HIGHER_IS_BETTER = {"final return": True, "steps to threshold*": False, POOLED: True}


def grouping(name: str) -> list[str]:
    """The columns an axis's comparisons are made within: ``env`` and the swept setting."""
    axis = get_axis(name)
    return ["env", *([axis.setting] if axis.setting else [])]


@dataclass
class AxisTests:
    """Every test of one axis, Holm-adjusted together.

    ``location``: one row per (measure, ``env``, setting value, variant), the columns of
    :func:`~a3cmem_lib.experiments.study_stats.compare_to_baseline` plus ``measure``,
    ``p_holm`` and ``verdict``. ``spread`` (an axis measuring staleness, else empty): those of
    :func:`~a3cmem_lib.experiments.study_stats.compare_spread_to_baseline`, likewise.
    ``verdict`` is ``"better"``, ``"worse"`` (than plain A3C, significant after Holm at
    :data:`ALPHA`), ``"not detectable"`` or ``"no reference"`` (no test was possible).
    ``setting``: :func:`setting_effect`'s table (empty for ``regime``), with ``p_holm`` and
    ``verdict`` ``"depends"`` or ``"not detectable"``.
    """

    location: pd.DataFrame
    spread: pd.DataFrame
    setting: pd.DataFrame

    def tables(self) -> list[pd.DataFrame]:
        """The three tables, in the order their p-values are adjusted."""
        return [self.location, self.spread, self.setting]

    @property
    def count(self) -> int:
        """Tests in the family (rows with a p-value)."""
        return int(sum(table["p_value"].notna().sum() for table in self.tables()))


def setting_effect(runs: pd.DataFrame, name: str) -> pd.DataFrame:
    """Does the swept setting matter at all? Per (env, variant, measure) of axis ``name``, a
    Kruskal–Wallis test of equal distributions across the setting's values.

    A rank test of all the values at once, so one test per variant instead of one per cell:
    it has the power the cell-by-cell comparisons lack, and allows an effect that is not
    monotone (capacity: "too small ... too large"). A copied plain-A3C reference is
    constant across values and left out. Needs scipy.

    Returns:
        Columns ``measure, env, variant, values, runs, statistic`` (H), ``p_value`` (1.0
        when every run has the same value), ``best`` (the values with the highest median
        final return or the fewest median steps, ties included, as text: ``"4, 8, 16"``) and
        ``best_median``; empty for ``regime``.
    """
    from scipy.stats import kruskal

    setting = get_axis(name).setting
    columns = ["measure", "env", "variant", "values", "runs", "statistic", "p_value", "best"]
    if setting is None:
        return pd.DataFrame(columns=[*columns, "best_median"])
    own = runs[runs["source"] == name] if "source" in runs else runs
    rows = []
    for measure, column in MEASURES.items():
        for (env_id, variant), group in own.groupby(["env", "variant"], sort=False):
            samples = [g[column].dropna().to_numpy(dtype=float) for _, g in group.groupby(setting)]
            samples = [sample for sample in samples if len(sample)]
            medians = group.groupby(setting)[column].median()
            top = medians.max() if HIGHER_IS_BETTER[measure] else medians.min()
            best = ", ".join(f"{value:g}" for value in medians.index[medians == top])
            row = {"measure": measure, "env": env_id, "variant": variant}
            row.update(values=len(samples), runs=int(sum(len(x) for x in samples)))
            row.update(best=best, best_median=float(top))
            if len(samples) < 2:
                row.update(statistic=np.nan, p_value=np.nan)
            elif np.ptp(np.concatenate(samples)) == 0:
                row.update(statistic=0.0, p_value=1.0)
            else:
                row["statistic"], row["p_value"] = (float(x) for x in kruskal(*samples))
            rows.append(row)
    return pd.DataFrame(rows, columns=[*columns, "best_median"])


def compare_axis(
    runs: pd.DataFrame, name: str, *, seed: int = 0, resamples: int = 10_000
) -> AxisTests:
    """Test every variant of axis ``name`` against plain A3C within every (env, setting value),
    and whether the setting matters (:func:`setting_effect`).

    Args:
        runs: :func:`~a3cmem_lib.experiments.axes_results.load_axis`'s table.
        seed, resamples: of the bootstrap intervals.

    Location measures: :data:`MEASURES`; a swept axis adds :data:`POOLED` (every value's runs
    together, per env, a copied reference run counted once), an axis measuring staleness
    (:attr:`~a3cmem_lib.experiments.axes.Axis.staleness`) the spread of the final return
    (:data:`SPREAD`). Holm's correction covers all of them and the setting tests at once:
    the reference runs copied to every setting value make the tests dependent, which Holm's
    procedure allows.
    """
    axis = get_axis(name)
    by = grouping(name)
    parts = {
        measure: compare_to_baseline(runs, column, by=by, seed=seed, resamples=resamples)
        for measure, column in MEASURES.items()
    }
    if axis.setting is not None:
        once = runs.drop_duplicates(subset=["run_id"])
        parts[POOLED] = compare_to_baseline(
            once, "final_return", by=["env"], seed=seed, resamples=resamples
        )
    location = pd.concat(parts, names=["measure"]).reset_index(level=0).reset_index(drop=True)
    if axis.staleness:
        spread = compare_spread_to_baseline(runs, "final_return", by=by).assign(measure=SPREAD)
    else:
        spread = pd.DataFrame(columns=["measure", *by, "variant", "iqr", "baseline_iqr", "p_value"])
    tests = AxisTests(location, spread, setting_effect(runs, name))
    p_values = pd.concat([table["p_value"] for table in tests.tables()], ignore_index=True)
    tested = p_values.notna().to_numpy()
    adjusted = np.full(len(p_values), np.nan)
    if tested.any():
        adjusted[tested] = holm(p_values[tested].to_numpy(dtype=float))
    start = 0
    for table in tests.tables():
        table["p_holm"] = adjusted[start : start + len(table)]
        start += len(table)
    location["verdict"] = [_location_verdict(row) for row in location.to_dict("records")]
    spread["verdict"] = [_spread_verdict(row) for row in spread.to_dict("records")]
    tests.setting["verdict"] = np.where(
        tests.setting["p_holm"] <= ALPHA, "depends", "not detectable"
    )
    return tests


def _location_verdict(row: dict) -> str:
    if pd.isna(row["p_holm"]):
        return "no reference"
    if row["p_holm"] > ALPHA or row["p_superior"] == 0.5:
        return "not detectable"
    larger = row["p_superior"] > 0.5
    return "better" if larger == HIGHER_IS_BETTER[row["measure"]] else "worse"


def _spread_verdict(row: dict) -> str:
    if pd.isna(row["p_holm"]):
        return "no reference"
    if row["p_holm"] > ALPHA:
        return "not detectable"
    wider = (row["iqr"], row["std"]) > (row["baseline_iqr"], row["baseline_std"])
    return "worse" if wider else "better"


def seeds_per_cell(runs: pd.DataFrame, name: str) -> tuple[int, int]:
    """(fewest runs of a memory variant, fewest plain-A3C runs) in any (env, setting value)
    cell of axis ``name``; plain A3C's is 0 without a reference."""
    cells = runs.groupby([*grouping(name), "variant"]).size().reset_index(name="runs")
    memory = cells.loc[cells["variant"] != BASELINE, "runs"]
    plain = cells.loc[cells["variant"] == BASELINE, "runs"]
    return int(memory.min()) if len(memory) else 0, int(plain.min()) if len(plain) else 0


def detectable_effect(runs: pd.DataFrame, name: str, tests: int = 1) -> float:
    """The smallest probability of superiority a test of one cell of axis ``name`` can call
    significant when it is the most significant of ``tests`` Holm-corrected tests (its
    p-value must be ``<= ALPHA / tests``); NaN: none can, too few seeds.

    :func:`~a3cmem_lib.experiments.study_stats.detectable_superiority` at
    :func:`seeds_per_cell`'s counts.
    """
    if isinstance(tests, bool) or not isinstance(tests, int) or tests < 1:
        raise ValueError(f"tests must be an int >= 1, got {tests!r}")
    n, m = seeds_per_cell(runs, name)
    return detectable_superiority(n, m, ALPHA / tests) if n and m else float("nan")


def rates_that_solve(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (env, variant, learning rate): ``seeds``, ``solved`` (seeds that reached the
    threshold), ``solves`` (``solved >= SOLVING_FRACTION * seeds``: at least half) and the
    ``final_return_median`` over seeds."""
    rows = []
    for (env_id, variant, rate), group in runs.groupby(
        ["env", "variant", "learning_rate"], sort=False
    ):
        solved = int(group["steps_to_threshold"].notna().sum())
        rows.append(
            {
                "env": env_id,
                "variant": variant,
                "learning_rate": rate,
                "seeds": len(group),
                "solved": solved,
                "solves": solved >= SOLVING_FRACTION * len(group),
                "final_return_median": float(group["final_return"].median()),
            }
        )
    return pd.DataFrame(rows).sort_values(["env", "variant", "learning_rate"], kind="stable")


def fraction_of_rates_that_solve(runs: pd.DataFrame) -> pd.DataFrame:
    """The A3C paper's robustness measure (Mnih et al., 2016, Figure 2), per (env, variant):
    ``rates`` tried, ``rates_solved`` (rates that solve, :func:`rates_that_solve`), their
    ``fraction``, and the ``lowest`` and ``highest`` rate that solves (NaN if none does)."""
    rows = []
    table = rates_that_solve(runs)
    for (env_id, variant), group in table.groupby(["env", "variant"], sort=False):
        solving = group.loc[group["solves"], "learning_rate"]
        rows.append(
            {
                "env": env_id,
                "variant": variant,
                "rates": len(group),
                "rates_solved": len(solving),
                "fraction": len(solving) / len(group),
                "lowest": solving.min() if len(solving) else np.nan,
                "highest": solving.max() if len(solving) else np.nan,
            }
        )
    order = list(dict.fromkeys(runs["variant"]))
    frame = pd.DataFrame(rows)
    return frame.sort_values(
        ["env", "variant"], key=lambda c: c.map(order.index) if c.name == "variant" else c
    ).reset_index(drop=True)


def policy_lag_table(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs of an axis measuring staleness per (env, ``num_workers``, variant), over
    seeds: the median and quartiles of each run's mean policy lag (updates of the shared
    model), the median of its 90th percentile, and the median and IQR of the final return
    (the spread over seeds)."""
    rows = []
    for (env_id, workers, variant), group in runs.groupby(
        ["env", "num_workers", "variant"], sort=False
    ):
        lag = group["policy_lag_mean"].dropna()
        q25, q75 = group["final_return"].quantile([0.25, 0.75])
        rows.append(
            {
                "env": env_id,
                "num_workers": workers,
                "variant": variant,
                "seeds": len(group),
                "lag_median": lag.median() if len(lag) else np.nan,
                "lag_q25": lag.quantile(0.25) if len(lag) else np.nan,
                "lag_q75": lag.quantile(0.75) if len(lag) else np.nan,
                "lag_p90_median": group["policy_lag_p90"].median(),
                "final_return_median": group["final_return"].median(),
                "final_return_iqr": q75 - q25,
            }
        )
    return pd.DataFrame(rows)
