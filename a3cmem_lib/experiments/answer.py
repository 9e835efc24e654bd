"""The book's answer to "when does a memory layer help A3C?", rendered from the results.

:func:`render_answer` writes the answer as Markdown from the committed tables alone: the
axes of chapter 07 (:mod:`~a3cmem_lib.experiments.axes_report`, their bullets in
:mod:`~a3cmem_lib.experiments.answer_axes`), its three follow-ups
(:data:`~a3cmem_lib.experiments.follow_ups.FOLLOW_UPS`; the ``replay-pays`` one's bullets
here, the ``acer`` one's in :mod:`~a3cmem_lib.experiments.answer_acer`) and what each run
cost (:func:`~a3cmem_lib.experiments.measures.compute_table`).
Chapter 07 displays it and the README quotes it (``python tools/render_readme.py`` rewrites
the README's copy; a test checks that the two agree), so no number in it is typed by hand.
:func:`render_who_or_what` answers chapter 06's open question from the same follow-up.

Explained in notebooks/07_when_does_memory_help.ipynb (section "The answer").
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .answer_acer import acer_bullet, acer_lead
from .answer_axes import axes_bullets, replaces_bullet
from .axes import AXES
from .axes_report import axis_report
from .follow_up import FollowUp
from .follow_ups import follow_up_results
from .formatting import format_number, listing, number_span, ratio_span, seed_span
from .hypotheses import claim_and_verdict, verdict_of
from .measures import compute_table


def _rows(tests: pd.DataFrame, variants: Sequence[str], measure: str) -> list[dict]:
    chosen = tests[tests["variant"].isin(variants) & (tests["measure"] == measure)]
    return chosen.to_dict("records")


REPLACING = ("fifo-ratio-8", "per-ratio-16")
"""The ``replay-pays`` variants whose learner replaces A3C's updates."""
ADDING = ("hybrid-fifo", "hybrid-mixture")
"""The ``replay-pays`` variants whose learner adds to A3C's updates (``--hybrid``)."""


def _replay_pays_bullets(tests: pd.DataFrame | None, follow_up: FollowUp) -> list[str]:
    seeds = seed_span(follow_up.seeds)
    if tests is None:
        return [
            "- **High replay ratios and replay added to A3C's updates** (`--hybrid`): the "
            f"`replay-pays` follow-up (seeds {seeds}) is not complete; no conclusion yet."
        ]
    lines = []
    for title, variants, what in (
        (
            "High replay ratios",
            REPLACING,
            "`fifo` at replay ratio 8 and `per` at 16, which replace A3C's updates",
        ),
        (
            "Replay added to A3C's updates",
            ADDING,
            "`--hybrid`: the workers keep applying their own gradients and the learner "
            "replays a 500-segment FIFO on top; `hybrid-mixture` also takes a quarter of "
            "each batch fresh",
        ),
    ):
        parts = []
        for measure, criterion in (
            ("steps_to_threshold", "the 20-episode threshold"),
            ("steps_to_threshold_100", "a 100-episode mean of 475 (CartPole's own criterion)"),
        ):
            for row in _rows(tests, variants, measure):
                fewer = "fewer" if row["direction"] == "less" else "more"
                parts.append(
                    f"`{row['variant']}` needs {fewer} steps to {criterion}: {verdict_of(row)}"
                )
        lines.append(
            f"- **{title}** ({what}), tested on seeds {seeds} of CartPole-v1: "
            + "; ".join(parts)
            + "."
            + _criteria_sentence(tests, variants)
        )
    grid = tests[tests["env"] == "a3cmem/GridWorld-v0"]
    if len(grid):
        lines.append(_gridworld_bullet(grid, seeds))
    return lines


def _gridworld_bullet(grid: pd.DataFrame, seeds: str) -> str:
    """Chapter 06's GridWorld exception: the sampled policy's final return against the greedy
    policy's, and what the two say together."""
    words = {
        "final_return": "final return (actions sampled, as in training)",
        "greedy_return": "greedy return (arg-max actions, the policy itself)",
    }
    parts = [
        f"a higher {words[row['measure']]}: {verdict_of(row)}" for row in grid.to_dict("records")
    ]
    sampled = grid[grid["measure"] == "final_return"]
    greedy = grid[grid["measure"] == "greedy_return"]
    reading = ""
    if len(sampled) and len(greedy) and sampled["supported"].all():
        if not greedy["supported"].any() and (greedy["median"] == greedy["baseline_median"]).all():
            reading = (
                " The greedy policies are equally good (median "
                f"{format_number(greedy['median'].iloc[0])} both): `per+dedup`'s gain is in "
                "how rarely its sampled actions stray from the best one, not in the policy's "
                "choices."
            )
        elif greedy["supported"].all():
            reading = " The greedy policy is better too, not only less random."
    return (
        "- **Deterministic GridWorld, `per+dedup`** (chapter 06's one exception, "
        f"seeds {seeds}): " + "; ".join(parts) + "." + reading
    )


def _names(rows: pd.DataFrame) -> str:
    """The variants of ``rows``, as code, listed."""
    return listing([f"`{variant}`" for variant in dict.fromkeys(rows["variant"])])


def _criteria_sentence(tests: pd.DataFrame, variants: Sequence[str]) -> str:
    """What the two criteria of "solved" say together about ``variants``, from the tests."""
    rows = tests[tests["variant"].isin(variants)]
    lenient = rows[rows["measure"] == "steps_to_threshold"]
    strict = rows[rows["measure"] == "steps_to_threshold_100"]
    sooner_lenient = lenient[lenient["supported"] & (lenient["direction"] == "less")]
    sooner_strict = strict[strict["supported"] & (strict["direction"] == "less")]
    later_strict = strict[strict["supported"] & (strict["direction"] == "greater")]
    if len(sooner_lenient) == len(lenient) and len(sooner_strict) == len(strict) == len(variants):
        return " Both criteria agree: sooner under each."
    if len(sooner_lenient) and not len(sooner_strict):
        text = (
            f" {_names(sooner_lenient)} reached the lenient 20-episode threshold sooner, but "
            "not CartPole's own criterion"
        )
        if len(later_strict):
            text += f": {_names(later_strict)} needed more steps to it"
        unsettled = strict[~strict["supported"]]
        if len(unsettled):
            text += f" ({_names(unsettled)}: no difference established)"
        return (
            text
            + ". Reaching the threshold early is not solving for good (chapter 06's collapses)."
        )
    return ""


def render_cost(runs: pd.DataFrame | None) -> str | None:
    """The cost bullet of the answer: updates and CPU milliseconds per env step of each
    variant on CartPole-v1 (``None`` without runs that recorded them)."""
    if runs is None or "cpu_seconds" not in runs:
        return None
    table = compute_table(runs[runs["env"] == "CartPole-v1"])
    if table.empty:
        return None
    plain = table[table["variant"] == "none"]
    plain_cpu = float(plain["cpu_ms_per_env_step"].iloc[0]) if len(plain) else np.nan
    parts = []
    for row in table.to_dict("records"):
        part = (
            f"`{row['variant']}` {row['updates_per_env_step']:.3f} updates and "
            f"{row['cpu_ms_per_env_step']:.2f} CPU ms per env step"
        )
        if row["variant"] != "none" and np.isfinite(plain_cpu):
            part += f" ({row['cpu_ms_per_env_step'] / plain_cpu:.2g}× plain A3C's CPU)"
        parts.append(part)
    return (
        "- **What each costs** (CartPole-v1, medians over the follow-up's runs, each run "
        f"to its {format_number(table['env_steps'].median())} steps): " + listing(parts) + "."
    )


def _lead(tests: pd.DataFrame | None, runs: pd.DataFrame | None) -> str:
    """The answer in two sentences, where the ``replay-pays`` follow-up's tests say so."""
    if tests is None:
        return ""
    strict = tests[tests["measure"] == "steps_to_threshold_100"]
    added = strict[strict["variant"].isin(ADDING)]
    replaced = strict[strict["variant"].isin(REPLACING)]
    text = ""
    if len(added) and (added["supported"] & (added["direction"] == "less")).all():
        text += (
            " Replay *added* to them (`--hybrid`) reached CartPole's own criterion, a "
            "100-episode mean of 475, in fewer environment steps than plain A3C on held-out "
            f"seeds (medians {number_span(added['median'])} against "
            f"{number_span(added['baseline_median'])})"
        )
        if runs is not None and "cpu_seconds" in runs:
            cost = compute_table(runs[runs["env"] == "CartPole-v1"]).set_index("variant")
            if "none" in cost.index and set(added["variant"]) <= set(cost.index):
                ratio = (
                    cost.loc[list(added["variant"]), "cpu_ms_per_env_step"]
                    / cost.loc["none", "cpu_ms_per_env_step"]
                )
                text += f", at {ratio_span(ratio)}× its CPU per environment step"
        text += "."
    later = replaced[replaced["supported"] & (replaced["direction"] == "greater")]
    if len(replaced) and (replaced["median"] >= replaced["baseline_median"]).all():
        text += (
            " Replay that *replaces* them, at the high replay ratios that reach the lenient "
            "20-episode threshold sooner, did not reach that criterion sooner (medians "
            f"{number_span(replaced['median'])})"
            + (f"; {_names(later)} significantly later" if len(later) else "")
            + "."
        )
    return text


def render_answer(root: str | Path) -> str:
    """The answer as Markdown, from the results under ``root`` (``results/``; a
    ``ValueError`` if it holds no axis's results)."""
    reports = {name: axis_report(root, name) for name in AXES}
    if all(report is None for report in reports.values()):
        raise ValueError(f"root: no axis's runs.csv under {str(root)!r}")
    reports = {name: r for name, r in reports.items() if r is not None and r.complete}
    _, _, regime = follow_up_results(root, "regime")
    replay_pays, pays_runs, pays_tests = follow_up_results(root, "replay-pays")
    _, acer_runs, acer_tests = follow_up_results(root, "acer")
    lines = [
        "**When does a memory layer help A3C?** In these experiments — A3C with 2 workers on "
        "2 CPU cores, the `TrainConfig` defaults, the budgets of `axes.BUDGETS` — it depends "
        "on whether replay *replaces* A3C's own updates or is *added* to them."
        + _lead(pays_tests, pays_runs)
        + acer_lead(acer_tests, acer_runs)
        + " Every claim below was tested once, one-sided, on seeds the exploration that "
        "suggested it did not use, with the exact Mann–Whitney test and Holm's correction "
        "(chapter 07).",
        "",
    ]
    if "regime" in reports:
        lines.append(replaces_bullet(reports, regime))
    lines += _replay_pays_bullets(pays_tests, replay_pays)
    cost = render_cost(pays_runs) if pays_tests is not None else None
    if cost:
        lines.append(cost)
    lines.append(acer_bullet(root))
    lines += axes_bullets(reports)
    return "\n".join(lines)


def render_who_or_what(root: str | Path) -> str:
    """Chapter 06's open question — does a memory layer's effect come from *who* updates
    (one learner instead of the Hogwild workers) or from *what data* (replayed segments)? —
    answered as far as the ``replay-pays`` follow-up under ``root`` allows, as Markdown."""
    follow_up, runs, tests = follow_up_results(root, "replay-pays")
    if tests is None:
        done = 0 if runs is None else len(runs)
        return (
            "Chapter 07's `replay-pays` follow-up separates the two: it is not complete yet "
            f"({done} of {len(follow_up.jobs())} runs committed), so this stays open."
        )
    steps = tests["measure"].isin(["steps_to_threshold", "steps_to_threshold_100"])
    held = tests["supported"] & steps
    added = (held & (tests["direction"] == "less") & tests["variant"].isin(ADDING)).any()
    replaced_slower = held & (tests["direction"] == "greater") & tests["variant"].isin(REPLACING)
    replaced_slower = (replaced_slower & (tests["measure"] == "steps_to_threshold_100")).any()
    rows = [claim_and_verdict(row) for row in tests[steps].to_dict("records")]
    if added and replaced_slower:
        verdict = (
            "Replay *added* to A3C's own updates reached the threshold in fewer environment "
            "steps, while replay that *replaces* them needed more to CartPole's 100-episode "
            "criterion: replayed data as such did not cost environment steps while the "
            "workers kept their own updates."
        )
    elif added:
        verdict = (
            "Replay *added* to A3C's own updates reached the threshold in fewer environment "
            "steps; for replay that *replaces* them no difference under CartPole's 100-episode "
            "criterion was established. The evidence points at who updates, without ruling "
            "out the data."
        )
    else:
        verdict = (
            "Adding replay to A3C's own updates did not reach the threshold in fewer "
            "environment steps on these seeds, so the follow-up does not single out who "
            "updates as the cause."
        )
    if added and runs is not None and "updates_per_env_step" in runs:
        cost = compute_table(runs[runs["env"] == "CartPole-v1"])
        rates = cost.set_index("variant")["updates_per_env_step"]
        verdict += (
            " Who updates also changes how often the model is updated: "
            + listing([f"`{v}` {rates[v]:.3f}" for v in rates.index])
            + " updates per environment step (eq. 6 of chapter 07). Whether the hybrid's "
            "advantage comes from keeping the workers' on-policy updates or from making more "
            "updates, this follow-up does not separate."
        )
    return (
        "Chapter 07's `replay-pays` follow-up separates the two on CartPole-v1 (seeds "
        f"{seed_span(follow_up.seeds)}, hypotheses written down before the runs): "
        f"{'; '.join(rows)}. {verdict}"
    )
