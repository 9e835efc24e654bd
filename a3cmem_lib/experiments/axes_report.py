"""When does a memory layer help A3C? The analysis of the regime study's axes, from their CSVs.

Every axis of :mod:`a3cmem_lib.experiments.axes` writes ``results/<axis>/runs.csv``, one row
per run. This module reads them and answers each axis's question with chapter 06's tools
(:mod:`a3cmem_lib.experiments.study_stats`): per (environment, setting value), every memory
variant against plain A3C (``none``) by Mann–Whitney tests and bootstrap intervals of the
median difference, Holm-corrected over all the tests of the axis; the learning-rate axis's
robustness measure (the A3C paper's Figure 2); the asynchrony axis's policy lag and spread;
what the number of seeds can detect; and each axis's conclusion rendered as Markdown from
those tables (:mod:`a3cmem_lib.experiments.axes_conclusions` writes them as Markdown). Only
an axis whose every run is in its ``runs.csv`` (:func:`complete_axes`) gets a conclusion.

``capacity`` and ``replay-ratio`` have no plain-A3C runs of their own (plain A3C has no
buffer): their reference is plain A3C of the same environment and budget from the
``regime`` axis, or from ``asynchrony`` at the default number of workers (CartPole-v1),
copied to every value of the setting (:func:`reference_runs`).

Explained in notebooks/07_when_does_memory_help.ipynb.
"""

from __future__ import annotations

import urllib.error
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

import a3cmem_lib
from a3cmem_lib.training import TrainConfig

from .axes import AXES, BUDGETS, Axis
from .study import RUNS_FILE
from .study_stats import (
    compare_spread_to_baseline,
    compare_to_baseline,
    detectable_superiority,
    holm,
    steps_or_budget,
)

RESULTS_URL = "https://raw.githubusercontent.com/a3cmem/a3cmem/main/results"
"""The committed results on GitHub, read when no local copy is found (Colab)."""
BASELINE = "none"
"""The variant every other one is compared with: plain A3C."""
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
"""The asynchrony axis's spread measure (Brown–Forsythe test of the final return)."""
HIGHER_IS_BETTER = {"final return": True, "steps to threshold*": False, POOLED: True}
REFERENCE_AXES = ("regime", "asynchrony")
"""Where the plain-A3C reference of an axis without ``none`` runs comes from, in order."""


def find_results(start: str | Path | None = None) -> str:
    """The results root: ``results/`` of the repository the library was installed from, or
    of ``start`` (default: the working directory) or a folder above it, whichever first holds
    an axis's ``runs.csv``; else :data:`RESULTS_URL` (the library installed alone, Colab).

    The way chapter 06 finds its data, so a chapter works from any folder.
    """
    here = Path.cwd() if start is None else Path(start)
    here = here.resolve()
    candidates = [Path(a3cmem_lib.__file__).resolve().parent.parent, here, *here.parents]
    for repository in candidates:
        folder = repository / "results"
        if any((folder / name / RUNS_FILE).exists() for name in AXES):
            return str(folder)
    return RESULTS_URL


def _axis(name: str) -> Axis:
    if name not in AXES:
        raise ValueError(f"axis must be one of {list(AXES)}, got {name!r}")
    return AXES[name]


def read_runs(root: str | Path, name: str) -> pd.DataFrame | None:
    """``<root>/<name>/runs.csv`` (``root`` a folder or a URL), ``None`` if there is none."""
    _axis(name)
    return read_results_table(root, f"{name}/{RUNS_FILE}")


def read_results_table(root: str | Path, relative: str) -> pd.DataFrame | None:
    """The CSV file ``<root>/<relative>`` (``root`` a folder or a URL), ``None`` if there is
    none (not committed yet)."""
    location = f"{str(root).rstrip('/')}/{relative}"
    if location.startswith(("https://", "http://")):
        try:
            return pd.read_csv(location)
        except urllib.error.URLError:  # HTTPError (404: not committed yet) included
            return None
    return pd.read_csv(location) if Path(location).exists() else None


@cache
def expected_runs(name: str) -> tuple[str, ...]:
    """The ``run_id`` of every run of axis ``name`` at its default number of seeds."""
    return tuple(job.run_id for job in _axis(name).jobs())


def missing_runs(runs: pd.DataFrame | None, name: str) -> list[str]:
    """The runs of axis ``name`` not in ``runs`` (its ``runs.csv``; ``None``: all)."""
    finished = set() if runs is None else set(runs["run_id"])
    return [run_id for run_id in expected_runs(name) if run_id not in finished]


def axis_progress(root: str | Path) -> pd.DataFrame:
    """One row per axis: its ``setting``, ``runs`` finished of ``expected``, ``complete``,
    and ``hours``: the sum of the finished runs' wall times (one run after another: the
    axis's cost on this machine, process start-ups excluded)."""
    rows = []
    for name, axis in AXES.items():
        runs = read_runs(root, name)
        expected = set(expected_runs(name))
        finished = runs[runs["run_id"].isin(expected)] if runs is not None else None
        rows.append(
            {
                "axis": name,
                "setting": axis.setting or "env",
                "runs": 0 if finished is None else len(finished),
                "expected": len(expected),
                "complete": not missing_runs(runs, name),
                "hours": 0.0 if finished is None else finished["wall_time"].sum() / 3600,
            }
        )
    return pd.DataFrame(rows)


def complete_axes(root: str | Path) -> list[str]:
    """The axes whose every run (``AXES[name].jobs()``) is in their ``runs.csv``."""
    return [name for name in AXES if not missing_runs(read_runs(root, name), name)]


def _plain_runs(root: str | Path, source: str, env_id: str) -> pd.DataFrame | None:
    """All plain-A3C runs of ``env_id`` at its budget and the default number of workers in
    axis ``source`` (extra seeds included), or ``None`` unless every one of the axis's
    default seeds is there."""
    axis = AXES[source]
    workers = TrainConfig().num_workers
    wanted = [
        job.run_id
        for job in axis.jobs()
        if job.labels["env"] == env_id
        and job.labels["variant"] == BASELINE
        and job.config.num_workers == workers
    ]
    runs = read_runs(root, source)
    if not wanted or runs is None or not set(wanted) <= set(runs["run_id"]):
        return None
    return runs[
        (runs["env"] == env_id)
        & (runs["variant"] == BASELINE)
        & (runs["num_workers"] == workers)
        & (runs["total_steps"] == BUDGETS[env_id])
    ]


def reference_runs(root: str | Path, name: str) -> pd.DataFrame | None:
    """Plain A3C for axis ``name`` if it has no ``none`` runs of its own, else ``None``.

    Per environment of the axis: the ``none`` runs of the same environment and budget at the
    default ``num_workers`` from the first axis of :data:`REFERENCE_AXES` that has all of
    them, copied once per value of the swept setting (plain A3C does not depend on a buffer
    setting), with ``source`` naming the axis they come from. An environment without such
    runs gets no reference (its comparisons stay empty).
    """
    axis = _axis(name)
    if BASELINE in axis.variants or axis.setting is None:
        return None
    parts = []
    for env_id in axis.envs:
        for source in REFERENCE_AXES:
            plain = _plain_runs(root, source, env_id)
            if plain is not None:
                break
        if plain is None:
            continue
        for value in axis.values:
            parts.append(plain.assign(**{axis.setting: value, "source": source}))
    return pd.concat(parts, ignore_index=True) if parts else None


def load_axis(root: str | Path, name: str) -> pd.DataFrame | None:
    """The runs of axis ``name`` with their plain-A3C reference (:func:`reference_runs`).

    Returns:
        ``runs.csv`` (``None`` if absent) with the reference's rows first, a ``source``
        column (the axis folder each row was read from: ``name``, or ``regime`` /
        ``asynchrony`` for a copied reference) and ``steps_or_budget`` (steps to the
        threshold, an unsolved run counted as its budget).
    """
    runs = read_runs(root, name)
    if runs is None:
        return None
    runs = runs.assign(source=name)
    reference = reference_runs(root, name)
    if reference is not None:
        runs = pd.concat([reference, runs], ignore_index=True)
    return runs.assign(steps_or_budget=steps_or_budget(runs))


def grouping(name: str) -> list[str]:
    """The columns an axis's comparisons are made within: ``env`` and the swept setting."""
    axis = _axis(name)
    return ["env", *([axis.setting] if axis.setting else [])]


@dataclass
class AxisTests:
    """Every test of one axis, Holm-adjusted together.

    ``location``: one row per (measure, ``env``, setting value, variant), the columns of
    :func:`~a3cmem_lib.experiments.study_stats.compare_to_baseline` plus ``measure``,
    ``p_holm`` and ``verdict``. ``spread`` (asynchrony only, else empty): those of
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

    setting = _axis(name).setting
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
        runs: :func:`load_axis`'s table.
        seed, resamples: of the bootstrap intervals.

    Location measures: :data:`MEASURES`; a swept axis adds :data:`POOLED` (every value's runs
    together, per env, a copied reference run counted once), the asynchrony axis the spread
    of the final return. Holm's correction covers all of them and the setting tests at once:
    the reference runs copied to every setting value make the tests dependent, which Holm's
    procedure allows.
    """
    by = grouping(name)
    parts = {
        measure: compare_to_baseline(runs, column, by=by, seed=seed, resamples=resamples)
        for measure, column in MEASURES.items()
    }
    if _axis(name).setting is not None:
        once = runs.drop_duplicates(subset=["run_id"])
        parts[POOLED] = compare_to_baseline(
            once, "final_return", by=["env"], seed=seed, resamples=resamples
        )
    location = pd.concat(parts, names=["measure"]).reset_index(level=0).reset_index(drop=True)
    if name == "asynchrony":
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
    """The asynchrony axis per (env, ``num_workers``, variant), over seeds: the median and
    quartiles of each run's mean policy lag (updates of the shared model), the median of its
    90th percentile, and the median and IQR of the final return (the spread over seeds)."""
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


@dataclass
class AxisReport:
    """Everything chapter 07 shows about one axis (built by :func:`axis_report`)."""

    name: str
    runs: pd.DataFrame
    """:func:`load_axis`'s table."""
    tests: AxisTests
    complete: bool
    """Every run of the axis is there (:func:`missing_runs` is empty)."""
    missing: int
    """Runs of the axis not finished."""

    @property
    def axis(self) -> Axis:
        return AXES[self.name]

    @property
    def setting(self) -> str:
        """The swept column: the axis's TrainConfig field, ``env`` for ``regime``."""
        return self.axis.setting or "env"

    @property
    def reference(self) -> str | None:
        """Where the plain-A3C runs come from (an axis name), ``None`` if there are none."""
        plain = self.runs.loc[self.runs["variant"] == BASELINE, "source"]
        return " and ".join(dict.fromkeys(plain)) if len(plain) else None


def axis_report(root: str | Path, name: str, *, seed: int = 0) -> AxisReport | None:
    """Load axis ``name`` from ``root`` and test it (``None`` if it has no ``runs.csv``)."""
    runs = load_axis(root, name)
    if runs is None:
        return None
    own = runs[runs["source"] == name]
    missing = len(missing_runs(own, name))
    tests = compare_axis(runs, name, seed=seed)
    return AxisReport(name, runs, tests, complete=missing == 0, missing=missing)


def summary_map(reports: Sequence[AxisReport]) -> pd.DataFrame:
    """The map of chapter 07: one row per (axis, env, measure) of the complete axes, one
    column per variant, each cell saying where the variant differs significantly from
    plain A3C: ``better at 1, 2`` / ``worse at 16`` (setting values; ``better`` alone for a
    regime or a pooled test), ``·`` where no difference is detectable, ``""`` where it was
    not tested. Rows ``... across values`` are :func:`setting_effect`'s: ``depends, best
    at 4`` where the variant's measure depends on the setting."""
    rows = []
    for report in reports:
        if not report.complete:
            continue
        frames = [frame for frame in (report.tests.location, report.tests.spread) if len(frame)]
        tests = pd.concat(frames, ignore_index=True).dropna(subset=["p_value"])
        for (env_id, measure), group in tests.groupby(["env", "measure"], sort=False):
            row = {"axis": report.name, "env": env_id, "measure": measure}
            for variant, cells in group.groupby("variant", sort=False):
                row[variant] = _map_cell(report, measure, cells)
            rows.append(row)
        setting = report.tests.setting.dropna(subset=["p_value"])
        for (env_id, measure), group in setting.groupby(["env", "measure"], sort=False):
            row = {"axis": report.name, "env": env_id, "measure": f"{measure} across values"}
            for cell in group.to_dict("records"):
                depends = cell["verdict"] == "depends"
                row[cell["variant"]] = f"depends, best at {cell['best']}" if depends else "·"
            rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.fillna("") if len(frame) else pd.DataFrame(columns=["axis", "env", "measure"])


def _map_cell(report: AxisReport, measure: str, cells: pd.DataFrame) -> str:
    parts = []
    for verdict in ("better", "worse"):
        chosen = cells[cells["verdict"] == verdict]
        if chosen.empty:
            continue
        if report.axis.setting is None or measure == POOLED:
            parts.append(verdict)
        else:
            values = ", ".join(f"{value:g}" for value in chosen[report.setting])
            parts.append(f"{verdict} at {values}")
    return "; ".join(parts) or "·"
