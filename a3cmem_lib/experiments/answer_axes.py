"""The answer's bullets on chapter 07's axes and on the regime follow-up, from their tables.

:func:`replaces_bullet` says what replay that replaces A3C's updates did on the regime axis
and its follow-up; :func:`axes_bullets` what the replay-ratio, learning-rate, asynchrony and
capacity axes measured. :func:`~a3cmem_lib.experiments.answer.render_answer` puts them in
the answer.

Explained in notebooks/07_when_does_memory_help.ipynb (section "The answer").
"""

from __future__ import annotations

import pandas as pd

from a3cmem_lib.training import TrainConfig

from .axes import BUDGETS
from .axes_report import AxisReport
from .axes_stats import fraction_of_rates_that_solve, policy_lag_table
from .follow_ups import FOLLOW_UPS
from .formatting import format_number, listing, number_span, seed_span
from .hypotheses import hypothesis_claim

_WORSE = {
    "steps_to_threshold": "greater",
    "steps_to_threshold_100": "greater",
    "final_return": "less",
    "greedy_return": "less",
}
"""The direction in which a measure says the memory variant did worse than plain A3C."""


def replaces_bullet(reports: dict[str, AxisReport], regime: pd.DataFrame | None) -> str:
    """The bullet on replay that replaces A3C's updates: the ``regime`` axis's report (in
    ``reports``, by axis name) and the regime follow-up's tests (``None``: not complete)."""
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
            f"{hypothesis_claim(row)} on {row['env']} (p_Holm = {row['p_holm']:.2g})"
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
                f"threshold (medians {number_span(costs['median'])} against "
                f"{number_span(costs['baseline_median'])}; p_Holm ≤ "
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


def axes_bullets(reports: dict[str, AxisReport]) -> list[str]:
    """One bullet per axis of ``reports`` (complete ones, by name) that the answer quotes:
    replay ratio, learning rate, asynchrony and capacity, in that order."""
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
