"""The follow-up: test on new seeds what the ``regime`` axis suggested.

A sweep with 5 seeds per cell and dozens of cells can point at effects but, after Holm's
correction, confirm none of them (chapter 07, eq. 5). The follow-up does what an
exploratory study calls for next: it writes down, before running anything, the few
differences the ``regime`` axis (seeds 0-4) suggested — :data:`HYPOTHESES`, each with its
direction — then trains plain A3C and those variants on seeds the axis never used
(:data:`SEEDS`) and tests each hypothesis once, one-sided in its stated direction, with one
Holm correction over all of them (:func:`evaluate_hypotheses`). Budgets and thresholds are the
axes' (:data:`~a3cmem_lib.experiments.axes.BUDGETS`). The CLI is
``python -m a3cmem_lib study --follow-up``.

Explained in notebooks/07_when_does_memory_help.ipynb (section "Follow-up").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from a3cmem_lib.training import TrainConfig, train

from .axes import BUDGETS, EPISODES_FILE, threshold
from .study import RUNS_FILE, StudyJob, make_job, run_jobs
from .study_plots import write_figures
from .study_stats import holm, probability_of_superiority, steps_or_budget

MEASURES = ("steps_to_threshold", "final_return")
"""What a hypothesis compares, per run: steps to the threshold (a run that never reached it
counts as its whole budget) or the final return (mean of the last 20 episodes)."""
DIRECTIONS = ("less", "greater")
"""Whether the variant's values are expected below or above plain A3C's."""


@dataclass(frozen=True)
class Hypothesis:
    """One difference between a memory variant and plain A3C, stated before it is tested."""

    env: str
    variant: str
    measure: str
    """One of :data:`MEASURES`."""
    direction: str
    """One of :data:`DIRECTIONS`: the variant's values against plain A3C's."""
    evidence: str
    """What the exploratory run showed (where the hypothesis comes from)."""

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise ValueError(f"measure must be one of {list(MEASURES)}, got {self.measure!r}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {list(DIRECTIONS)}, got {self.direction!r}")
        if self.variant == "none":
            raise ValueError("variant must be a memory variant (plain A3C is the reference)")
        if self.env not in BUDGETS:
            raise ValueError(f"env must be one of {list(BUDGETS)}, got {self.env!r}")


HYPOTHESES = (
    Hypothesis(
        "a3cmem/KeyDoor-v0",
        "per",
        "steps_to_threshold",
        "less",
        "regime, seeds 0-4: median 33,176 steps vs plain A3C's 77,506 (A = 0.16, p = 0.095)",
    ),
    Hypothesis(
        "a3cmem/KeyDoor-v0",
        "per+dedup",
        "steps_to_threshold",
        "less",
        "regime, seeds 0-4: median 31,134 steps vs 77,506 (A = 0.28, p = 0.31)",
    ),
    Hypothesis(
        "a3cmem/KeyDoor-v0",
        "mixture",
        "steps_to_threshold",
        "less",
        "regime, seeds 0-4: median 40,048 steps vs 77,506 (A = 0.28, p = 0.31)",
    ),
    *(
        Hypothesis(
            "a3cmem/GridWorld-v0",
            variant,
            "steps_to_threshold",
            "greater",
            f"regime, seeds 0-4: median {steps} steps vs plain A3C's 2,807 (A = 1.00, p = 0.0079)",
        )
        for variant, steps in (
            ("fifo", "5,930"),
            ("per", "6,492"),
            ("per+dedup", "6,404"),
            ("mixture", "5,056"),
        )
    ),
    Hypothesis(
        "MinAtar/Breakout-v1",
        "fifo",
        "steps_to_threshold",
        "greater",
        "regime, seeds 0-4: median 71,396 steps vs plain A3C's 31,486 (A = 1.00, p = 0.0079)",
    ),
    Hypothesis(
        "MinAtar/Breakout-v1",
        "fifo",
        "final_return",
        "less",
        "regime, seeds 0-4: median final return 7.15 vs plain A3C's 9.45 (A = 0.00, p = 0.0079)",
    ),
    Hypothesis(
        "MinAtar/Breakout-v1",
        "mixture",
        "steps_to_threshold",
        "greater",
        "regime, seeds 0-4: median 43,468 steps vs plain A3C's 31,486 (A = 1.00, p = 0.0079)",
    ),
)
"""The follow-up's hypotheses, written down from ``results/regime`` before any follow-up run
(A: probability of superiority of the variant over plain A3C; p: two-sided Mann-Whitney,
uncorrected; none survived the axis's Holm correction over 40 tests)."""

SEEDS = tuple(range(100, 110))
"""Seeds of the follow-up: 10 per cell, none of them used by any axis (those use 0-4)."""


def follow_up_jobs(
    hypotheses: Sequence[Hypothesis] = HYPOTHESES,
    seeds: Sequence[int] = SEEDS,
    base: TrainConfig | None = None,
) -> list[StudyJob]:
    """The runs the ``hypotheses`` need: plain A3C and each hypothesis's variant on its
    environment, once per seed, environment by environment (each (env, variant) once)."""
    if not hypotheses:
        raise ValueError("hypotheses must not be empty")
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct and at least one, got {list(seeds)!r}")
    base = TrainConfig(progress=False) if base is None else base
    cells: dict[str, list[str]] = {}
    for hypothesis in hypotheses:
        variants = cells.setdefault(hypothesis.env, ["none"])
        if hypothesis.variant not in variants:
            variants.append(hypothesis.variant)
    return [
        make_job(
            {"env": env_id, "variant": variant, "seed": int(seed)},
            base,
            threshold(env_id),
            total_steps=BUDGETS[env_id],
        )
        for env_id, variants in cells.items()
        for variant in variants
        for seed in seeds
    ]


def run_follow_up(
    out: str | Path,
    *,
    hypotheses: Sequence[Hypothesis] = HYPOTHESES,
    seeds: Sequence[int] = SEEDS,
    base: TrainConfig | None = None,
    progress: bool = True,
    backend: str = "local",
    address: str | None = None,
    trainer: Callable[[TrainConfig], Any] = train,
) -> pd.DataFrame:
    """Run (or resume) the follow-up into ``out``: the tables of
    :func:`~a3cmem_lib.experiments.study.run_jobs` and chapter 06's figures.

    Returns:
        ``runs.csv`` as a table: one row per run.
    """
    jobs = follow_up_jobs(hypotheses, seeds, base)
    run_jobs(
        jobs,
        out,
        episodes_file=EPISODES_FILE,
        progress=progress,
        backend=backend,
        address=address,
        trainer=trainer,
    )
    write_figures(out, episodes_file=EPISODES_FILE)
    return pd.read_csv(Path(out) / RUNS_FILE)


def evaluate_hypotheses(
    runs: pd.DataFrame, hypotheses: Sequence[Hypothesis] = HYPOTHESES, alpha: float = 0.05
) -> pd.DataFrame:
    """Test each hypothesis once on ``runs`` (``runs.csv`` of the follow-up).

    One-sided Mann-Whitney U test of the variant's values against plain A3C's on the same
    environment, in the hypothesis's direction; Holm's correction over the hypotheses that
    have data in both groups.

    Returns:
        One row per hypothesis: ``env, variant, measure, direction, n, baseline_n, median,
        baseline_median, p_superior`` (probability of superiority of the variant over plain
        A3C), ``p_value``, ``p_holm``, ``supported`` (``p_holm <= alpha``) and ``evidence``.
        Without runs for a group, its statistics are NaN and ``supported`` is False.
    """
    from scipy.stats import mannwhitneyu

    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    runs = runs.assign(steps_to_threshold=steps_or_budget(runs))
    rows = []
    for hypothesis in hypotheses:
        in_env = runs[runs["env"] == hypothesis.env]
        values = in_env.loc[in_env["variant"] == hypothesis.variant, hypothesis.measure]
        reference = in_env.loc[in_env["variant"] == "none", hypothesis.measure]
        row: dict[str, Any] = {
            "env": hypothesis.env,
            "variant": hypothesis.variant,
            "measure": hypothesis.measure,
            "direction": hypothesis.direction,
            "n": len(values),
            "baseline_n": len(reference),
            "median": values.median() if len(values) else np.nan,
            "baseline_median": reference.median() if len(reference) else np.nan,
            "p_superior": np.nan,
            "p_value": np.nan,
        }
        if len(values) and len(reference):
            row["p_superior"] = probability_of_superiority(values, reference)
            if np.ptp(np.concatenate([values, reference])) == 0:
                row["p_value"] = 1.0  # every value equal: no evidence either way
            else:
                row["p_value"] = float(
                    mannwhitneyu(values, reference, alternative=hypothesis.direction).pvalue
                )
        row["evidence"] = hypothesis.evidence
        rows.append(row)
    table = pd.DataFrame(rows)
    tested = table["p_value"].notna()
    table["p_holm"] = np.nan
    if tested.any():
        table.loc[tested, "p_holm"] = holm(table.loc[tested, "p_value"].to_numpy())
    table["supported"] = table["p_holm"].le(alpha)
    columns = [*table.columns.drop(["evidence", "p_holm", "supported"]), "p_holm", "supported"]
    return table[[*columns, "evidence"]]


_WORDS = {
    ("steps_to_threshold", "less"): "needs fewer steps to the threshold than plain A3C",
    ("steps_to_threshold", "greater"): "needs more steps to the threshold than plain A3C",
    ("final_return", "less"): "ends with a lower final return than plain A3C",
    ("final_return", "greater"): "ends with a higher final return than plain A3C",
}


def render_follow_up(table: pd.DataFrame, alpha: float = 0.05) -> str:
    """The follow-up's conclusion as Markdown, from :func:`evaluate_hypotheses`'s ``table``:
    how many hypotheses held, then one bullet per hypothesis with its numbers, pointing at
    its row of the table (rows numbered from 1)."""
    from .axes_conclusions import format_number

    tested = table["p_value"].notna()
    supported = table["supported"].astype(bool)
    lines = [
        f"{int(supported.sum())} of the {len(table)} hypotheses hold on the new seeds "
        f"(one-sided Mann-Whitney, Holm over the {int(tested.sum())} tested, "
        f"α = {alpha:g}; table *follow-up tests*):",
        "",
    ]
    for number, row in enumerate(table.to_dict("records"), start=1):
        claim = f"`{row['variant']}` {_WORDS[(row['measure'], row['direction'])]}"
        where = f"on {row['env']}"
        if not tested.iloc[number - 1]:
            verdict = "**not tested** (no runs yet)"
        else:
            verdict = "**holds**" if row["supported"] else "**not supported**"
            verdict += (
                f": median {format_number(row['median'])} against "
                f"{format_number(row['baseline_median'])} ({row['n']} seeds against "
                f"{row['baseline_n']}; A = {row['p_superior']:.2f}, "
                f"p_Holm = {row['p_holm']:.2g})"
            )
        lines.append(f"- {claim} {where}: {verdict} (row {number}).")
    return "\n".join(lines)
