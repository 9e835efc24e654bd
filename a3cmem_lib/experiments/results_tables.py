"""The tables of chapter 07's studies as Markdown, rendered from the committed results.

:func:`render_tables` writes what every axis and follow-up under ``results/`` measured — the
cost of each study, one table per axis (solved seeds, final returns, steps to the threshold,
policy lag) and one per follow-up (its hypotheses' tests) — for the README, which quotes it
after the answer of :func:`~a3cmem_lib.experiments.answer.render_answer` (``python
tools/render_readme.py``).

Explained in notebooks/07_when_does_memory_help.ipynb (section "The answer").
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .axes import REGIMES
from .axes_report import axis_report
from .axes_results import axis_progress
from .follow_ups import FOLLOW_UP_FOLDERS, follow_up_results
from .formatting import format_number, seed_span
from .hypotheses import BASELINE, CLAIM_WORDS


def _cell_text(group: pd.DataFrame, *, steps: bool = True, final: bool = True) -> str:
    """One table cell: median steps to threshold of the seeds that reached it · median final
    return (seeds that reached it / seeds)."""
    reached = group["steps_to_threshold"].dropna()
    parts = []
    if steps:
        parts.append(format_number(reached.median()) if len(reached) else "—")
    if final:
        parts.append(format_number(group["final_return"].median()))
    return " · ".join(parts) + f" ({len(reached)}/{len(group)})"


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _swept_table(runs: pd.DataFrame, setting: str, label: str) -> str:
    """One row per (setting value, variant): solved, final return median [IQR], median steps
    of the solved runs, median of the runs' mean policy lag."""
    rows = []
    for (value, variant), group in runs.groupby([setting, "variant"], sort=True):
        final = group["final_return"]
        reached = group["steps_to_threshold"].dropna()
        rows.append(
            (
                value,
                variant,
                [
                    variant,
                    f"{value:g}",
                    f"{len(reached)}/{len(group)}",
                    f"{format_number(final.median())} [{format_number(final.quantile(0.25))}, "
                    f"{format_number(final.quantile(0.75))}]",
                    format_number(reached.median()) if len(reached) else "—",
                    format_number(group["policy_lag_mean"].median()),
                ],
            )
        )
    order = list(dict.fromkeys(runs["variant"]))
    rows.sort(key=lambda row: (row[0], order.index(row[1])))
    header = [
        "variant",
        label,
        "solved",
        "final return, median [IQR]",
        "steps to threshold, median of the solved",
        "policy lag, median of run means",
    ]
    return _markdown_table(header, [row[2] for row in rows])


def render_tables(root: str | Path) -> str:
    """The tables of every complete axis and follow-up under ``root`` as Markdown (the
    README's copy of chapter 07's tables; a ``ValueError`` if ``root`` holds no axis's
    results): "solved" is the 20-episode mean reaching the threshold."""
    reports = {name: axis_report(root, name) for name in _AXIS_SECTIONS}
    if all(report is None for report in reports.values()):
        raise ValueError(f"root: no axis's runs.csv under {str(root)!r}")
    sections = [_cost_overview(root)]
    for name, section in _AXIS_SECTIONS.items():
        report = reports[name]
        if report is not None and report.complete:
            sections.append(section(report.runs[report.runs["source"] == name]))
    sections += [_follow_up_section(root, name) for name in FOLLOW_UP_FOLDERS]
    return "\n\n".join(sections)


def _replay_ratio_section(runs: pd.DataFrame) -> str:
    return "**Replay ratio** (`results/replay-ratio/`, CartPole-v1):\n\n" + _swept_table(
        runs, "replay_ratio", "replay ratio"
    )


def _asynchrony_section(runs: pd.DataFrame) -> str:
    return (
        "**Asynchrony** (`results/asynchrony/`, CartPole-v1; policy lag: updates of the "
        "shared model between the weights an experience was acted or a gradient computed "
        "with and the update that used it):\n\n" + _swept_table(runs, "num_workers", "workers")
    )


def _regime_section(runs: pd.DataFrame) -> str:
    variants = list(dict.fromkeys(runs["variant"]))
    rows = []
    for env_id, in_env in runs.groupby("env", sort=False):
        cells = [_cell_text(in_env[in_env["variant"] == v]) for v in variants]
        threshold = format_number(in_env["threshold"].iloc[0])
        rows.append([f"{env_id} ({REGIMES[env_id]})", threshold, *cells])
    return (
        "**Regime** (`results/regime/`; per cell: median steps to threshold of the seeds "
        "that reached it · median final return (seeds that reached the threshold / "
        "seeds)):\n\n" + _markdown_table(["environment (regime)", "threshold", *variants], rows)
    )


def _learning_rate_section(runs: pd.DataFrame) -> str:
    variants = list(dict.fromkeys(runs["variant"]))
    rows = [
        [
            f"{rate:.3g}",
            *(_cell_text(in_rate[in_rate["variant"] == v], steps=False) for v in variants),
        ]
        for rate, in_rate in runs.groupby("learning_rate", sort=True)
    ]
    return (
        "**Learning rate** (`results/learning-rate/`, CartPole-v1; per cell: median final "
        "return (seeds that reached the threshold / seeds)):\n\n"
        + _markdown_table(["learning rate", *variants], rows)
    )


def _capacity_section(runs: pd.DataFrame) -> str:
    columns = list(dict.fromkeys(zip(runs["env"], runs["variant"], strict=True)))
    rows = []
    for capacity, in_capacity in runs.groupby("capacity", sort=True):
        cells = [
            _cell_text(in_capacity[(in_capacity["env"] == env_id) & (in_capacity["variant"] == v)])
            for env_id, v in columns
        ]
        rows.append([f"{capacity:,}", *cells])
    header = ["capacity (segments)", *(f"{env_id}, {v}" for env_id, v in columns)]
    return (
        "**Capacity** (`results/capacity/`; per cell: median steps to threshold of the "
        "seeds that reached it · median final return (seeds that reached the threshold / "
        "seeds)):\n\n" + _markdown_table(header, rows)
    )


_AXIS_SECTIONS = {
    "replay-ratio": _replay_ratio_section,
    "asynchrony": _asynchrony_section,
    "regime": _regime_section,
    "learning-rate": _learning_rate_section,
    "capacity": _capacity_section,
}
"""The README's section of each axis, in README order, given the axis's own runs."""


def _follow_up_section(root: str | Path, name: str) -> str:
    follow_up, runs, tests = follow_up_results(root, name)
    if tests is None:
        done = 0 if runs is None else len(runs)
        return (
            f"**Follow-up `{name}`**: {done} of {len(follow_up.jobs())} runs committed; "
            "tested once they are all there."
        )
    return (
        f"**Follow-up `{name}`** (`results/{FOLLOW_UP_FOLDERS[name]}/`, seeds "
        f"{seed_span(follow_up.seeds)}; one-sided exact Mann–Whitney, Holm over the "
        f"{int(tests['p_value'].notna().sum())} tested; A: probability of superiority of "
        "the variant over the hypothesis's baseline):\n\n" + follow_up_table(tests)
    )


def _cost_overview(root: str | Path) -> str:
    """One row per axis and follow-up: its command, runs committed, and training time (the
    sum of its runs' wall times, one run after another on this machine)."""
    rows = [
        [
            name,
            f"`python -m a3cmem_lib study --axis {name}`",
            f"{row['runs']}/{row['expected']}",
            f"{60 * row['hours']:.0f} min",
        ]
        for name, row in axis_progress(root).set_index("axis").iterrows()
    ]
    for name in FOLLOW_UP_FOLDERS:
        follow_up, runs, _ = follow_up_results(root, name)
        done = set() if runs is None else set(runs["run_id"])
        jobs = {job.run_id for job in follow_up.jobs()}
        minutes = 0.0 if runs is None else runs["wall_time"].sum() / 60
        rows.append(
            [
                f"follow-up `{name}`",
                f"`python -m a3cmem_lib study --follow-up {name}`",
                f"{len(jobs & done)}/{len(jobs)}",
                f"{minutes:.0f} min",
            ]
        )
    header = ["study", "command (results in `results/`)", "runs committed", "training time"]
    return _markdown_table(header, rows)


def follow_up_table(tests: pd.DataFrame) -> str:
    """:func:`~a3cmem_lib.experiments.hypotheses.evaluate_hypotheses`'s table as Markdown, one
    row per hypothesis, numbered from 1 as the conclusions point at them."""
    rows = []
    for number, row in enumerate(tests.to_dict("records"), start=1):
        claim = CLAIM_WORDS[(row["measure"], row["direction"])].replace(" than plain A3C", "")
        tested = not pd.isna(row["p_value"])
        baseline = row["baseline"]
        rows.append(
            [
                number,
                row["env"],
                row["variant"],
                claim,
                "plain A3C" if baseline == BASELINE else baseline,
                format_number(row["median"]),
                format_number(row["baseline_median"]),
                f"{row['p_superior']:.2f}" if tested else "—",
                f"{row['p_value']:.2g}" if tested else "—",
                f"{row['p_holm']:.2g}" if tested else "—",
                ("**yes**" if row["supported"] else "no") if tested else "not tested",
            ]
        )
    header = [
        "#",
        "environment",
        "variant",
        "hypothesis",
        "against",
        "median, variant",
        "median, against",
        "A",
        "p (one-sided)",
        "p_Holm",
        "holds?",
    ]
    return _markdown_table(header, rows)
