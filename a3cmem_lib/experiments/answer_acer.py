"""The answer's ACER bullet: what the ``acer`` follow-up tested, and what ACER costs.

:func:`acer_bullet` renders, from the committed ``results/follow-up-acer`` alone, each of the
follow-up's hypotheses with its verdict (ACER against plain A3C and against the best memory
variant of chapter 07 on each environment) and ACER's updates and CPU time per environment
step against every other variant's on the same environment. :func:`~.answer.render_answer`
puts it in the answer; chapter 09 displays it too.

Explained in notebooks/07_when_does_memory_help.ipynb (section "Third follow-up") and
notebooks/09_acer.ipynb.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .follow_ups import FOLLOW_UPS, follow_up_results
from .formatting import listing, ratio_span, seed_span
from .hypotheses import claim_and_verdict
from .measures import compute_table

NAME = "acer"
"""The follow-up this bullet reports (:data:`~.follow_ups.FOLLOW_UPS`)."""

WHAT = (
    "`--learner acer`, chapter 09: the workers keep their on-policy updates and the learner "
    "adds off-policy ones with Retrace targets, truncated importance weights with bias "
    "correction and a trust region"
)


def acer_cost(runs: pd.DataFrame) -> str:
    """ACER's updates and CPU milliseconds per environment step on each environment of
    ``runs`` (the follow-up's ``runs.csv``), against each other variant's CPU there."""
    table = compute_table(runs)
    parts = []
    for env_id, in_env in table.groupby("env", sort=False):
        by_variant = in_env.set_index("variant")
        if "acer" not in by_variant.index:
            continue
        acer = by_variant.loc["acer"]
        others = [
            f"{acer['cpu_ms_per_env_step'] / row['cpu_ms_per_env_step']:.2g}× "
            + ("plain A3C's" if variant == "none" else f"`{variant}`'s")
            for variant, row in by_variant.drop(index="acer").iterrows()
            if np.isfinite(row["cpu_ms_per_env_step"]) and row["cpu_ms_per_env_step"] > 0
        ]
        parts.append(
            f"{env_id} {acer['updates_per_env_step']:.3f} updates and "
            f"{acer['cpu_ms_per_env_step']:.2f} CPU ms per env step ({listing(others)})"
        )
    return listing(parts)


def acer_lead(tests: pd.DataFrame | None, runs: pd.DataFrame | None) -> str:
    """One sentence for the answer's opening: where ACER needed fewer environment steps than
    plain A3C (its hypotheses on steps that held) and at what CPU per step; ``""`` if none
    held or the follow-up is not complete."""
    if tests is None or runs is None:
        return ""
    steps = tests["measure"].str.startswith("steps_to_threshold")
    held = tests[
        steps & tests["supported"] & (tests["baseline"] == "none") & (tests["direction"] == "less")
    ]
    if held.empty:
        return ""
    cost = compute_table(runs).set_index(["env", "variant"])["cpu_ms_per_env_step"]
    envs = list(dict.fromkeys(held["env"]))
    ratios = pd.Series([cost[(env, "acer")] / cost[(env, "none")] for env in envs])
    return (
        f" ACER (chapter 09), which adds replay to the workers' updates with off-policy "
        f"corrections, needed fewer environment steps than plain A3C on {listing(envs)} "
        f"(held-out seeds), at {ratio_span(ratios)}× its CPU per environment step."
    )


def acer_bullet(root: str | Path) -> str:
    """The answer's ACER bullet as Markdown, from the ``acer`` follow-up under ``root``."""
    follow_up = FOLLOW_UPS[NAME]
    _, runs, tests = follow_up_results(root, NAME)
    seeds = seed_span(follow_up.seeds)
    if tests is None:
        done = 0 if runs is None else len(runs)
        return (
            f"- **ACER** ({WHAT}): the `acer` follow-up (seeds {seeds}) is not complete "
            f"({done} of {len(follow_up.jobs())} runs committed); no conclusion yet."
        )
    parts = []
    for env_id, in_env in tests.groupby("env", sort=False):
        claims = [claim_and_verdict(row) for row in in_env.to_dict("records")]
        parts.append(f"on {env_id}, " + "; ".join(claims))
    return (
        f"- **ACER** ({WHAT}), tested on seeds {seeds} at the axes' budgets: "
        + "; ".join(parts)
        + f". What it costs: {acer_cost(runs)}."
    )
