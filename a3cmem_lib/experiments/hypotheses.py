"""A hypothesis about a memory variant against plain A3C (or another variant), written down
before it is tested, and testing it: once, one-sided in its stated direction.

:func:`evaluate_hypotheses` tests each :class:`Hypothesis` with the exact Mann–Whitney test
and one Holm correction over all of them; :func:`render_follow_up` says what held, in
words (:func:`claim_words`). The follow-ups that state them are
:data:`~a3cmem_lib.experiments.follow_ups.FOLLOW_UPS`.

Explained in notebooks/07_when_does_memory_help.ipynb (section "Follow-up").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .axes import BUDGETS
from .formatting import format_number
from .study_stats import holm, probability_of_superiority, rank_sum_test, steps_or_budget

MEASURES = ("steps_to_threshold", "steps_to_threshold_100", "final_return", "greedy_return")
"""What a hypothesis compares, per run: steps to the threshold as a 20-episode mean or as a
100-episode mean (a run that never reached it counts as exactly its budget), the final
return (mean of the last 20 training episodes, actions sampled from the policy) or the
greedy return (the final policy evaluated with arg-max actions)."""
STEP_MEASURES = ("steps_to_threshold", "steps_to_threshold_100")
DIRECTIONS = ("less", "greater")
"""Whether the variant's values are expected below or above its baseline's."""
BASELINE = "none"
"""The variant a hypothesis compares with unless it names another: plain A3C."""


@dataclass(frozen=True)
class Hypothesis:
    """One difference between a memory variant and its baseline (plain A3C unless it names
    another variant), stated before it is tested."""

    env: str
    variant: str
    measure: str
    """One of :data:`MEASURES`."""
    direction: str
    """One of :data:`DIRECTIONS`: the variant's values against the baseline's."""
    evidence: str
    """What the exploratory run showed (where the hypothesis comes from)."""
    baseline: str = BASELINE
    """The variant it is compared with: plain A3C (``none``) or another one, e.g. ACER
    against the best memory variant of chapter 07."""

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise ValueError(f"measure must be one of {list(MEASURES)}, got {self.measure!r}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {list(DIRECTIONS)}, got {self.direction!r}")
        if self.variant == "none":
            raise ValueError("variant must be a memory variant (plain A3C is the reference)")
        if self.baseline == self.variant:
            raise ValueError(f"baseline must differ from the variant, got {self.baseline!r} twice")
        if self.env not in BUDGETS:
            raise ValueError(f"env must be one of {list(BUDGETS)}, got {self.env!r}")


def evaluate_hypotheses(
    runs: pd.DataFrame, hypotheses: Sequence[Hypothesis], alpha: float = 0.05
) -> pd.DataFrame:
    """Test each hypothesis once on ``runs`` (``runs.csv`` of the follow-up).

    One-sided exact Mann-Whitney test (:func:`~.study_stats.rank_sum_test`, ties included)
    of the variant's values against its baseline's on the same environment, in the
    hypothesis's direction; Holm's correction over the hypotheses that have data in both
    groups. A run that never reached the threshold counts as exactly its budget.

    Returns:
        One row per hypothesis: ``env, variant, baseline, measure, direction, n, baseline_n,
        median, baseline_median, p_superior`` (probability of superiority of the variant over
        its baseline), ``p_value``, ``p_holm``, ``supported`` (``p_holm <= alpha``) and
        ``evidence``.
        Without runs for a group, its statistics are NaN and ``supported`` is False.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    runs = runs.assign(**{m: steps_or_budget(runs, m) for m in STEP_MEASURES if m in runs.columns})
    rows = []
    for hypothesis in hypotheses:
        in_env = runs[runs["env"] == hypothesis.env]
        measured = in_env.get(hypothesis.measure, pd.Series(np.nan, index=in_env.index))
        values = measured[in_env["variant"] == hypothesis.variant].dropna()
        reference = measured[in_env["variant"] == hypothesis.baseline].dropna()
        row: dict[str, Any] = {
            "env": hypothesis.env,
            "variant": hypothesis.variant,
            "baseline": hypothesis.baseline,
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
            row["p_value"] = rank_sum_test(values, reference, hypothesis.direction)
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


CLAIM_WORDS = {
    ("steps_to_threshold", "less"): "needs fewer steps to the threshold than plain A3C",
    ("steps_to_threshold", "greater"): "needs more steps to the threshold than plain A3C",
    ("steps_to_threshold_100", "less"): (
        "needs fewer steps to a 100-episode mean at the threshold than plain A3C"
    ),
    ("steps_to_threshold_100", "greater"): (
        "needs more steps to a 100-episode mean at the threshold than plain A3C"
    ),
    ("greedy_return", "less"): "ends with a lower greedy return than plain A3C",
    ("greedy_return", "greater"): "ends with a higher greedy return than plain A3C",
    ("final_return", "less"): "ends with a lower final return than plain A3C",
    ("final_return", "greater"): "ends with a higher final return than plain A3C",
}
"""What a hypothesis against plain A3C claims, by ``(measure, direction)``."""


def claim_words(measure: str, direction: str, baseline: str = BASELINE) -> str:
    """What a hypothesis claims, in words: :data:`CLAIM_WORDS`, against ``baseline``
    (named in backticks unless it is plain A3C)."""
    words = CLAIM_WORDS[(measure, direction)]
    return words if baseline == BASELINE else words.replace("plain A3C", f"`{baseline}`")


def hypothesis_claim(row: dict[str, Any]) -> str:
    """A row of :func:`evaluate_hypotheses`'s table as a claim: "`variant` needs fewer ..."."""
    return f"`{row['variant']}` {claim_words(row['measure'], row['direction'], row['baseline'])}"


def verdict_of(row: dict[str, Any]) -> str:
    """A tested hypothesis's verdict in a few words, with its numbers: "**holds** (median
    ... against ..., n seeds against m; A = ..., p_Holm = ...)"."""
    word = "**holds**" if row["supported"] else "**not supported**"
    return (
        f"{word} (median {format_number(row['median'])} against "
        f"{format_number(row['baseline_median'])}, {row['n']} seeds against "
        f"{row['baseline_n']}; A = {row['p_superior']:.2f}, p_Holm = {row['p_holm']:.2g})"
    )


def claim_and_verdict(row: dict[str, Any]) -> str:
    """``hypothesis_claim(row): verdict_of(row)``: a tested hypothesis in one clause."""
    return f"{hypothesis_claim(row)}: {verdict_of(row)}"


def render_follow_up(table: pd.DataFrame, alpha: float = 0.05) -> str:
    """The follow-up's conclusion as Markdown, from :func:`evaluate_hypotheses`'s ``table``:
    how many hypotheses held, then one bullet per hypothesis with its numbers, pointing at
    its row of the table (rows numbered from 1)."""
    tested = table["p_value"].notna()
    supported = table["supported"].astype(bool)
    lines = [
        f"{int(supported.sum())} of the {len(table)} hypotheses hold on the new seeds "
        f"(one-sided Mann-Whitney, Holm over the {int(tested.sum())} tested, "
        f"α = {alpha:g}; table *follow-up tests*):",
        "",
    ]
    for number, row in enumerate(table.to_dict("records"), start=1):
        claim = hypothesis_claim(row)
        where = f"on {row['env']}"
        verdict = verdict_of(row) if tested.iloc[number - 1] else "**not tested** (no runs yet)"
        lines.append(f"- {claim} {where}: {verdict} (row {number}).")
    return "\n".join(lines)
