"""When does a memory layer help A3C? Each axis's report: its runs and their tests together.

:func:`axis_report` reads an axis's runs with their plain-A3C reference
(:mod:`a3cmem_lib.experiments.axes_results`) and tests them
(:mod:`a3cmem_lib.experiments.axes_stats`); :func:`summary_map` lays the verdicts of every
complete axis side by side. :mod:`a3cmem_lib.experiments.axes_conclusions` writes each
report's conclusion as Markdown. Only an axis whose every run is in its ``runs.csv``
(:func:`~a3cmem_lib.experiments.axes_results.complete_axes`) gets a conclusion.

Explained in notebooks/07_when_does_memory_help.ipynb.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .axes import AXES, BASELINE, Axis
from .axes_results import load_axis, missing_runs
from .axes_stats import POOLED, AxisTests, compare_axis


@dataclass
class AxisReport:
    """Everything chapter 07 shows about one axis (built by :func:`axis_report`)."""

    name: str
    runs: pd.DataFrame
    """:func:`~a3cmem_lib.experiments.axes_results.load_axis`'s table."""
    tests: AxisTests
    complete: bool
    """Every run of the axis is there
    (:func:`~a3cmem_lib.experiments.axes_results.missing_runs` is empty)."""
    missing: int
    """Runs of the axis not finished."""

    @property
    def axis(self) -> Axis:
        """The axis reported on (:data:`~a3cmem_lib.experiments.axes.AXES`)."""
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
    not tested. Rows ``... across values`` are
    :func:`~a3cmem_lib.experiments.axes_stats.setting_effect`'s: ``depends, best at 4``
    where the variant's measure depends on the setting."""
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
