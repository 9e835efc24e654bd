"""The book's answer to "when does a memory layer help A3C?", rendered from the results.

:func:`render_answer` writes the answer as Markdown from the committed tables alone: the
axes of chapter 07 (:mod:`~a3cmem_lib.experiments.axes_report`), its two follow-ups
(:data:`~a3cmem_lib.experiments.follow_up.FOLLOW_UPS`) and what each run cost
(:func:`compute_table`). Chapter 07 displays it and the README quotes it (``python
tools/render_readme.py`` rewrites the README's copy; a test checks that the two agree), so
no number in it is typed by hand.

Explained in notebooks/07_when_does_memory_help.ipynb (section "The answer").
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from a3cmem_lib.training import TrainConfig

from .axes import AXES, BUDGETS
from .axes_conclusions import format_number, listing
from .axes_report import (
    AxisReport,
    axis_report,
    fraction_of_rates_that_solve,
    policy_lag_table,
)
from .follow_up import CLAIM_WORDS, FOLLOW_UPS, FollowUp, follow_up_results, seed_span


def compute_table(runs: pd.DataFrame) -> pd.DataFrame:
    """What each variant's runs cost, per (env, variant), medians over seeds: ``env_steps``
    (the budget, run to the end), ``updates_per_env_step`` (updates of the shared model:
    workers' gradients and learner updates), ``learner_share`` (the learner's fraction of
    them), ``cpu_seconds`` (parent and workers) and ``cpu_ms_per_env_step``."""
    needed = {"env", "variant", "env_steps", "updates", "learner_updates", "cpu_seconds"}
    needed.add("updates_per_env_step")
    if missing := sorted(needed - set(runs.columns)):
        raise ValueError(f"runs lacks the columns {missing}")
    frame = runs.assign(
        learner_share=runs["learner_updates"] / runs["updates"],
        cpu_ms_per_env_step=1000 * runs["cpu_seconds"] / runs["env_steps"],
    )
    columns = [
        "env_steps",
        "updates_per_env_step",
        "learner_share",
        "cpu_seconds",
        "cpu_ms_per_env_step",
    ]
    table = frame.groupby(["env", "variant"], sort=False)[columns].median()
    table.insert(0, "runs", frame.groupby(["env", "variant"], sort=False).size())
    return table.reset_index()


def _verdict(row: dict) -> str:
    """A tested hypothesis in a few words, with its numbers."""
    word = "**holds**" if row["supported"] else "**not supported**"
    return (
        f"{word} (median {format_number(row['median'])} against "
        f"{format_number(row['baseline_median'])}, {row['n']} seeds against "
        f"{row['baseline_n']}; A = {row['p_superior']:.2f}, p_Holm = {row['p_holm']:.2g})"
    )


def _rows(tests: pd.DataFrame, variants: Sequence[str], measure: str) -> list[dict]:
    chosen = tests[tests["variant"].isin(variants) & (tests["measure"] == measure)]
    return chosen.to_dict("records")


_WORSE = {
    "steps_to_threshold": "greater",
    "steps_to_threshold_100": "greater",
    "final_return": "less",
    "greedy_return": "less",
}
"""The direction in which a measure says the memory variant did worse than plain A3C."""

REPLACING = ("fifo-ratio-8", "per-ratio-16")
"""The ``replay-pays`` variants whose learner replaces A3C's updates."""
ADDING = ("hybrid-fifo", "hybrid-mixture")
"""The ``replay-pays`` variants whose learner adds to A3C's updates (``--hybrid``)."""


def _replaces_bullet(reports: dict[str, AxisReport], regime: pd.DataFrame | None) -> str:
    text = (
        "- **Replay that replaces A3C's updates, at the defaults** (`--memory KIND`: the "
        "workers only act and one learner makes every update from the buffer, replay ratio "
        f"{TrainConfig().replay_ratio:g})."
    )
    if regime is None:
        return text + " The regime follow-up is not complete; no conclusion yet."
    return (
        text
        + _held_sentence(regime)
        + _unconfirmed_sentence(reports["regime"].runs, regime)
        + _mountain_car_sentence(reports["regime"].runs)
    )


def _claims(rows: pd.DataFrame) -> str:
    """Each hypothesis of ``rows`` in words, with its corrected p-value."""
    return listing(
        [
            f"`{row['variant']}` {CLAIM_WORDS[(row['measure'], row['direction'])]} on "
            f"{row['env']} (p_Holm = {row['p_holm']:.2g})"
            for row in rows.to_dict("records")
        ]
    )


def _held_sentence(regime: pd.DataFrame) -> str:
    """Which of the regime follow-up's hypotheses held, and whether all were costs."""
    held = regime[regime["supported"]]
    costs = held[held["direction"] == held["measure"].map(_WORSE)]
    text = (
        f" Of the {len(regime)} differences the regime axis pointed at, {len(held)} held on "
        f"seeds {seed_span(FOLLOW_UPS['regime'].seeds)}"
    )
    if len(held) and len(costs) == len(held):
        if (costs["measure"] == "steps_to_threshold").all():
            text += (
                f", all of them costs: on {listing(sorted(set(costs['env'])))} "
                f"{listing([f'`{v}`' for v in costs['variant']])} needed more steps to the "
                f"threshold (medians {_span(costs['median'])} against "
                f"{_span(costs['baseline_median'])}; p_Holm ≤ "
                f"{costs['p_holm'].max():.2g})"
            )
        else:
            text += ", all of them costs: " + _claims(costs)
    elif len(held):
        text += ": " + _claims(held)
    return text + "."


def _unconfirmed_sentence(axis: pd.DataFrame, regime: pd.DataFrame) -> str:
    """The article's sparse-reward (KeyDoor) and image (Breakout) signals of the regime axis,
    and that they did not hold on the follow-up's seeds."""
    keydoor = regime[regime["env"] == "a3cmem/KeyDoor-v0"]
    if not len(keydoor):
        return ""
    in_env = axis[axis["env"] == "a3cmem/KeyDoor-v0"].groupby("variant")["steps_or_budget"]
    medians = in_env.median()
    ratios = medians[keydoor["variant"]] / medians["none"]
    text = (
        " The sparse-reward signal the article predicts (KeyDoor: "
        f"{listing([f'`{v}`' for v in keydoor['variant']])} at "
        f"{ratios.min():.2f}–{ratios.max():.2f} of plain A3C's median steps on seeds 0–4) "
        f"did not hold on new seeds (smallest p_Holm {keydoor['p_holm'].min():.2g})"
    )
    breakout = regime[regime["env"] == "MinAtar/Breakout-v1"]
    if len(breakout) and not breakout["supported"].any():
        text += (
            ", nor did the image regime's (Breakout: "
            f"{len(breakout)} hypotheses, smallest p_Holm {breakout['p_holm'].min():.2g})"
        )
    return text + "."


def _mountain_car_sentence(axis: pd.DataFrame) -> str:
    mountain = axis[axis["env"] == "MountainCar-v0"]
    if not len(mountain) or mountain["steps_to_threshold"].notna().any():
        return ""
    return (
        f" On MountainCar-v0 no run of any variant reached "
        f"{format_number(mountain['threshold'].iloc[0])} in "
        f"{format_number(BUDGETS['MountainCar-v0'])} steps."
    )


def _span(values: pd.Series) -> str:
    """``low–high`` of ``values`` as the tables print them (one number when equal)."""
    low, high = format_number(values.min()), format_number(values.max())
    return low if low == high else f"{low}–{high}"


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
                    f"`{row['variant']}` needs {fewer} steps to {criterion}: {_verdict(row)}"
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
        f"a higher {words[row['measure']]}: {_verdict(row)}" for row in grid.to_dict("records")
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


def _axes_bullets(reports: dict[str, AxisReport]) -> list[str]:
    lines = []
    if "replay-ratio" in reports:
        runs = reports["replay-ratio"].runs
        own = runs[runs["source"] == "replay-ratio"]
        solved = own.groupby(["replay_ratio", "variant"], sort=True)["steps_to_threshold"]
        counts = solved.apply(lambda s: int(s.notna().sum())).unstack()
        seeds = int(own.groupby(["replay_ratio", "variant"]).size().min())
        parts = [
            f"{ratio:g}: {', '.join(f'`{v}` {counts.loc[ratio, v]}' for v in counts.columns)}"
            for ratio in counts.index
        ]
        lines.append(
            "- **Replay ratio** (how often each segment is replayed; CartPole-v1): seeds of "
            f"{seeds} that reached the 20-episode threshold, per ratio: " + "; ".join(parts) + "."
        )
    if "learning-rate" in reports:
        table = fraction_of_rates_that_solve(reports["learning-rate"].runs)
        parts = [
            f"`{row['variant']}` {row['rates_solved']} of {row['rates']}"
            for row in table.to_dict("records")
        ]
        lines.append(
            "- **Learning rates that solve CartPole-v1** (the A3C paper's robustness measure; "
            "a rate solves when at least half its seeds reach the threshold): "
            + listing(parts)
            + "."
        )
    if "asynchrony" in reports:
        lags = policy_lag_table(reports["asynchrony"].runs)
        plain = lags[lags["variant"] == "none"].set_index("num_workers")["lag_median"]
        replay = lags.loc[lags["variant"] != "none", "lag_median"]
        runs = reports["asynchrony"].runs
        plain_runs = runs[(runs["variant"] == "none") & (runs["source"] == "asynchrony")]
        solved = int(plain_runs["steps_to_threshold"].notna().sum())
        lines.append(
            f"- **Asynchrony**: plain A3C's policy lag grew from {format_number(plain.iloc[0])} "
            f"to {format_number(plain.iloc[-1])} updates from {plain.index[0]} to "
            f"{plain.index[-1]} workers, and {solved} of its {len(plain_runs)} runs solved; "
            f"replayed data was {format_number(replay.min())}–{format_number(replay.max())} "
            "updates old at every worker count."
        )
    if "capacity" in reports:
        lines.append(_capacity_bullet(reports["capacity"]))
    return lines


def _capacity_bullet(report: AxisReport) -> str:
    runs = report.runs[report.runs["source"] == "capacity"]
    parts, fills = [], []
    for env_id, in_env in runs.groupby("env", sort=False):
        small = in_env[in_env["capacity"] <= 250]
        cells = [
            f"`{variant}` {int(group['steps_to_threshold'].notna().sum())} of {len(group)} "
            f"at {capacity:,}"
            for (capacity, variant), group in small.groupby(["capacity", "variant"])
        ]
        parts.append(f"{env_id}: {listing(cells)}")
        # one segment per t_max steps of a worker, and one more where an episode ends
        pushed = (in_env["env_steps"] / TrainConfig().t_max + in_env["episodes"]).max()
        never = sorted(c for c in in_env["capacity"].unique() if c > pushed)
        fills.append(
            f"{env_id} pushes at most about {format_number(pushed)} segments, so "
            + (
                f"{listing([f'{c:,}' for c in never])} never fill"
                if never
                else "every buffer fills"
            )
        )
    return (
        "- **Capacity** (descriptive; seeds that reached the threshold with the two smallest "
        "buffers): " + "; ".join(parts) + ". " + "; ".join(fills) + "."
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
            f"seeds (medians {_span(added['median'])} against "
            f"{_span(added['baseline_median'])})"
        )
        if runs is not None and "cpu_seconds" in runs:
            cost = compute_table(runs[runs["env"] == "CartPole-v1"]).set_index("variant")
            if "none" in cost.index and set(added["variant"]) <= set(cost.index):
                ratio = (
                    cost.loc[list(added["variant"]), "cpu_ms_per_env_step"]
                    / cost.loc["none", "cpu_ms_per_env_step"]
                )
                text += f", at {ratio.min():.2g}–{ratio.max():.2g}× its CPU per environment step"
        text += "."
    later = replaced[replaced["supported"] & (replaced["direction"] == "greater")]
    if len(replaced) and (replaced["median"] >= replaced["baseline_median"]).all():
        text += (
            " Replay that *replaces* them, at the high replay ratios that reach the lenient "
            "20-episode threshold sooner, did not reach that criterion sooner (medians "
            f"{_span(replaced['median'])})"
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
    lines = [
        "**When does a memory layer help A3C?** In these experiments — A3C with 2 workers on "
        "2 CPU cores, the `TrainConfig` defaults, the budgets of `axes.BUDGETS` — it depends "
        "on whether replay *replaces* A3C's own updates or is *added* to them."
        + _lead(pays_tests, pays_runs)
        + " Every claim below was tested once, one-sided, on seeds the exploration that "
        "suggested it did not use, with the exact Mann–Whitney test and Holm's correction "
        "(chapter 07).",
        "",
    ]
    if "regime" in reports:
        lines.append(_replaces_bullet(reports, regime))
    lines += _replay_pays_bullets(pays_tests, replay_pays)
    cost = render_cost(pays_runs) if pays_tests is not None else None
    if cost:
        lines.append(cost)
    lines += _axes_bullets(reports)
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
    rows = [
        f"`{row['variant']}` {CLAIM_WORDS[(row['measure'], row['direction'])]}: {_verdict(row)}"
        for row in tests[steps].to_dict("records")
    ]
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
