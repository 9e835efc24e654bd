"""The conclusions of chapter 07, rendered as Markdown from the tables of
:mod:`a3cmem_lib.experiments.axes_report`: per axis what its tests support, with the numbers
and the figure or table each sentence rests on, and the map of all axes.

Every number in the text comes from the report it is given, so a chapter that displays it
cannot disagree with its own tables. An incomplete axis gets no conclusion.

Explained in notebooks/07_when_does_memory_help.ipynb.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from a3cmem_lib.training import TrainConfig

from .axes import BASELINE, REGIMES
from .axes_report import AxisReport
from .axes_results import REFERENCE_AXES
from .axes_stats import (
    ALPHA,
    POOLED,
    SPREAD,
    detectable_effect,
    fraction_of_rates_that_solve,
    policy_lag_table,
    seeds_per_cell,
)
from .formatting import format_number, listing
from .study_stats import smallest_p_value


def _power(report: AxisReport, n: int, m: int) -> str:
    """What ``n`` seeds against ``m`` can detect in the axis's family of tests."""
    count = report.tests.count
    floor = smallest_p_value(n, m)
    if count * floor > ALPHA:
        return (
            f"with {n} seeds against {m} the smallest p-value a test can give is "
            f"{floor:.2g} (complete separation, A = 1 or 0), so after Holm's correction over "
            f"the axis's {count} tests no single cell can be significant"
        )
    edge = detectable_effect(report.runs, report.name, count)
    return (
        f"with {n} seeds against {m} a cell's difference is significant after Holm's "
        f"correction over the axis's {count} tests only if A ≥ {edge:.2f} (or ≤ "
        f"{1 - edge:.2f}) at the least"
    )


def _cell(report: AxisReport, row: dict) -> str:
    """Where a test was made: the environment and the setting value."""
    if row["measure"] == POOLED:
        return f"{row['env']}, all values of {report.setting}"
    if report.axis.setting is None:
        return f"{row['env']} ({REGIMES[row['env']]})"
    return f"{row['env']}, {report.setting} = {row[report.setting]:g}"


def _finding(report: AxisReport, row: dict) -> str:
    return (
        f"`{row['variant']}` on {_cell(report, row)}: median {format_number(row['median'])} "
        f"against {format_number(row['baseline_median'])} (A = {row['p_superior']:.2f}, "
        f"p_Holm = {row['p_holm']:.2g})"
    )


def _no_effect(rows: pd.DataFrame, n: int) -> str:
    tested = rows.dropna(subset=["p_value"])
    values = tested["p_superior"].to_numpy(dtype=float)
    extreme = values[np.argmax(np.abs(values - 0.5))]
    return (
        f"no effect detectable with {n} seeds ({len(tested)} tests; the most extreme A is "
        f"{extreme:.2f}, the smallest p_Holm {tested['p_holm'].min():.2g})"
    )


def _figure(report: AxisReport, measure: str) -> str:
    if report.axis.setting is None:
        return {"final return": "figure *final return*"}.get(measure, "figure *steps to threshold*")
    column = "steps to threshold" if measure.startswith("steps") else "final return"
    return f"figure *{column} against {report.setting}*"


def render_conclusion(report: AxisReport) -> str:
    """The axis's conclusion as Markdown, every number from ``report``'s tables.

    First what the seeds can detect after Holm's correction; then one bullet per measure:
    the differences from plain A3C that survive the correction, or "no effect detectable
    with n seeds"; then the analyses the axis declares (``rates_that_solve``: the fraction
    of rates that solve; ``staleness``: policy lag and spread) and, for a swept setting, the
    value each variant does best at.
    Each bullet names the figure or table it rests on. An incomplete axis raises a
    ``ValueError``: its data support no conclusion yet.
    """
    if not report.complete:
        raise ValueError(
            f"report: axis {report.name!r} is incomplete ({report.missing} runs missing); "
            "only complete axes get a conclusion"
        )
    tests = report.tests
    n, m = seeds_per_cell(report.runs, report.name)
    own = int((report.runs["source"] == report.name).sum())
    if report.reference is None:
        reference = "no plain-A3C reference is committed yet, so nothing is tested against it"
        power = ""
    else:
        reference = (
            "plain A3C is this axis's own `none` runs"
            if report.reference == report.name
            else f"plain A3C is the `none` runs of the `{report.reference}` axis (same "
            f"environment and budget, {TrainConfig().num_workers} workers), compared with "
            "every value"
        )
        power = f"; {_power(report, n, m)}"
    table = f"table *tests of `{report.name}`*"
    lines = [f"**{report.axis.question}** {own} runs; {reference}{power} ({table}).", ""]
    if tests.location["p_value"].isna().all():
        lines.append(
            "- **Against plain A3C**: no test possible until a plain-A3C reference is committed "
            f"(the `none` runs of {' or '.join(f'`{axis}`' for axis in REFERENCE_AXES)}) "
            f"({table})."
        )
    for measure, rows in tests.location.groupby("measure", sort=False):
        if rows["p_value"].isna().all():
            continue
        found = rows[rows["verdict"].isin(["better", "worse"])]
        pointer = f"({_figure(report, measure)}; {table}, rows `{measure}`)"
        label = measure.rstrip("*").capitalize()
        if found.empty:
            lines.append(f"- **{label}**: {_no_effect(rows, n)} {pointer}.")
            continue
        parts = []
        for verdict in ("better", "worse"):
            chosen = found[found["verdict"] == verdict]
            if len(chosen):
                findings = listing([_finding(report, row) for row in chosen.to_dict("records")])
                parts.append(f"{verdict} than plain A3C: {findings}")
        rest = int(rows["p_value"].notna().sum()) - len(found)
        others = f"; the other {rest} show no detectable difference" if rest else ""
        lines.append(f"- **{label}**: {'; '.join(parts)}{others} {pointer}.")
    if len(tests.setting):
        lines.append(_setting_bullet(report))
    if report.axis.rates_that_solve:
        lines.append(_rates_bullet(report))
    if report.axis.staleness:
        lines.extend(_staleness_bullets(report, n))
    if report.axis.setting is not None:
        lines.append(
            f"- **Where each memory variant ends highest** (medians, descriptive, not tested): "
            f"{_best_values(report)} ({_figure(report, 'final return')})."
        )
    return "\n".join(lines)


def _setting_bullet(report: AxisReport) -> str:
    setting = report.tests.setting.dropna(subset=["p_value"])
    found = setting[setting["verdict"] == "depends"]
    parts = [
        f"`{cell['variant']}`'s {cell['measure'].rstrip('*')} on {cell['env']} depends on it "
        f"(H = {cell['statistic']:.3g}, p_Holm = {cell['p_holm']:.2g}; best median "
        f"{format_number(cell['best_median'])} at {report.setting} = {cell['best']})"
        for cell in found.to_dict("records")
    ]
    rest = len(setting) - len(found)
    if rest:
        smallest = setting.loc[setting["verdict"] != "depends", "p_holm"].min()
        parts.append(
            f"{'the other' if parts else 'all'} {rest} show no dependence detectable with "
            f"{seeds_per_cell(report.runs, report.name)[0]} seeds per value (smallest p_Holm "
            f"{smallest:.2g})"
        )
    return (
        f"- **Does {report.setting} matter?** (Kruskal–Wallis across its values, per variant "
        f"and measure): {'; '.join(parts)} ({_figure(report, 'final return')}; table *tests "
        f"of `{report.name}`*, rows `across values`)."
    )


def _rates_bullet(report: AxisReport) -> str:
    parts = []
    for row in fraction_of_rates_that_solve(report.runs).to_dict("records"):
        span = (
            f" ({format_number(row['lowest'])} to {format_number(row['highest'])})"
            if row["rates_solved"]
            else ""
        )
        parts.append(f"`{row['variant']}` {row['rates_solved']} of {row['rates']}{span}")
    return (
        "- **Learning rates that solve** (a rate solves when at least half its seeds reached "
        f"the threshold): {listing(parts)} (table *rates that solve*; figure *fraction of "
        "seeds that reached the threshold against learning_rate*)."
    )


def _staleness_bullets(report: AxisReport, n: int) -> list[str]:
    lags = policy_lag_table(report.runs)
    low, high = lags["num_workers"].min(), lags["num_workers"].max()
    lag_parts, iqr_parts = [], []
    for variant, group in lags.groupby("variant", sort=False):
        by_workers = group.set_index("num_workers")["lag_median"]
        if by_workers.notna().all():
            lag_parts.append(
                f"`{variant}` {format_number(by_workers[low])} → {format_number(by_workers[high])}"
            )
        iqr_parts.append(
            f"`{variant}` {format_number(group['final_return_iqr'].min())} to "
            f"{format_number(group['final_return_iqr'].max())}"
        )
    spread = report.tests.spread
    found = spread[spread["verdict"].isin(["better", "worse"])]
    if found.empty:
        tested = spread.dropna(subset=["p_value"])
        verdict = (
            f"no difference in spread detectable with {n} seeds ({len(tested)} tests, "
            f"smallest p_Holm {tested['p_holm'].min():.2g})"
            if len(tested)
            else "no test possible"
        )
    else:
        verdict = listing(
            [
                f"`{row['variant']}` at {row['num_workers']:g} workers is "
                f"{'more' if row['verdict'] == 'worse' else 'less'} spread out (IQR "
                f"{format_number(row['iqr'])} against {format_number(row['baseline_iqr'])}, "
                f"p_Holm = {row['p_holm']:.2g})"
                for row in found.to_dict("records")
            ]
        )
    lag = (
        f"{listing(lag_parts)} updates of the shared model"
        if len(lag_parts) == lags["variant"].nunique()
        else "not measured in every cell, nothing to compare"
    )
    return [
        f"- **Policy lag** (median over seeds of each run's mean, {low} → {high} workers): "
        f"{lag} (table *policy lag*; figure *mean policy lag against num_workers*).",
        f"- **Spread over seeds** (IQR of the final return, smallest to largest over worker "
        f"counts): {listing(iqr_parts)}; Brown–Forsythe against plain A3C: {verdict} (table "
        f"*policy lag*, column `final_return_iqr`; table *tests of `{report.name}`*, rows "
        f"`{SPREAD}`).",
    ]


def _best_values(report: AxisReport) -> str:
    """Per env and memory variant, the setting values with the highest and the lowest median
    final return (ties all named)."""
    setting = report.setting
    medians = (
        report.runs[report.runs["variant"] != BASELINE]
        .groupby(["env", "variant", setting], sort=False)["final_return"]
        .median()
        .reset_index()
    )
    parts = []
    for (env_id, variant), group in medians.groupby(["env", "variant"], sort=False):
        high, low = group["final_return"].max(), group["final_return"].min()
        parts.append(
            f"`{variant}` on {env_id} at {setting} = {_values(group, setting, high)} (median "
            f"{format_number(high)}; lowest {format_number(low)} at "
            f"{_values(group, setting, low)})"
        )
    return listing(parts)


def _values(group: pd.DataFrame, setting: str, median: float) -> str:
    return ", ".join(f"{v:g}" for v in group.loc[group["final_return"] == median, setting])


def _measure(measure: str) -> str:
    """A measure's name in a sentence (a pooled test names its cell instead)."""
    return "final return" if measure == POOLED else measure.rstrip("*")


def render_map(reports: Sequence[AxisReport], progress: pd.DataFrame) -> str:
    """The map as Markdown, one bullet per axis of ``progress``
    (:func:`~a3cmem_lib.experiments.axes_results.axis_progress`): for a complete axis of
    ``reports``, where a memory variant was significantly better or worse than plain A3C and
    where a variant's measure depends on the setting, or that nothing was detectable in its
    tests; for an incomplete axis how many runs are there."""
    complete = {report.name: report for report in reports if report.complete}
    lines = []
    for row in progress.to_dict("records"):
        name = row["axis"]
        if name not in complete:
            lines.append(
                f"- **{name}**: not complete ({row['runs']} of {row['expected']} runs), no "
                "conclusion yet."
            )
            continue
        report = complete[name]
        location = report.tests.location
        parts = []
        for verdict in ("better", "worse"):
            chosen = location[location["verdict"] == verdict]
            items = [
                f"`{cell['variant']}` ({_measure(cell['measure'])}, {_cell(report, cell)})"
                for cell in chosen.to_dict("records")
            ]
            spread = report.tests.spread
            items += [
                f"`{cell['variant']}` (spread, {cell['env']}, {cell['num_workers']:g} workers)"
                for cell in spread[spread["verdict"] == verdict].to_dict("records")
            ]
            if items:
                parts.append(f"{verdict} than plain A3C: {listing(items)}")
        setting = report.tests.setting
        depends = [
            f"`{cell['variant']}`'s {cell['measure'].rstrip('*')} on {cell['env']} (best at "
            f"{report.setting} = {cell['best']})"
            for cell in setting[setting["verdict"] == "depends"].to_dict("records")
        ]
        if depends:
            parts.append(f"the setting matters for {listing(depends)}")
        if parts:
            lines.append(f"- **{name}**: {'; '.join(parts)}.")
        elif report.reference is None and setting.empty:
            lines.append(f"- **{name}**: no plain-A3C reference committed yet, nothing tested.")
        else:
            lines.append(
                f"- **{name}**: nothing detectable in its {report.tests.count} tests "
                f"(with {seeds_per_cell(report.runs, name)[0]} seeds per cell)."
            )
    return "\n".join(lines)
