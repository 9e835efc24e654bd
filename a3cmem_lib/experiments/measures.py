"""What a run measured, and what a group of runs measured: the numbers every study records.

Per run (a row of ``runs.csv``): :func:`run_summary` reads its episode table (final return,
steps and seconds to the threshold), :func:`compute_columns` what it cost and
:func:`policy_lag_columns` how old its data was. Per group of runs: :func:`summarize`
(medians and spread over seeds), :func:`learning_curves` (smoothed returns on a common
env-step grid) and :func:`compute_table` (the cost of each variant).

Explained in notebooks/06_stability_study.ipynb and notebooks/07_when_does_memory_help.ipynb
(section "What each run cost").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

WINDOW = 20
"""Episodes in the moving average that learning curves, final returns and thresholds use."""
LONG_WINDOW = 100
"""Episodes of the stricter criterion of chapter 01 and the benchmarks: gymnasium's
convention for CartPole-v1 ("solved" when the mean return of the last 100 episodes reaches
the threshold). ``runs.csv`` records both (``steps_to_threshold`` and
``steps_to_threshold_100``)."""


def smoothed_returns(returns: Sequence[float], window: int = WINDOW) -> np.ndarray:
    """Moving average of the last ``window`` episode returns (fewer at the start)."""
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be an int >= 1, got {window!r}")
    return pd.Series(returns, dtype=float).rolling(window, min_periods=1).mean().to_numpy()


def first_solved_episode(
    returns: Sequence[float], threshold: float, window: int = WINDOW
) -> int | None:
    """Index of the first episode whose ``window``-episode mean return is ``>= threshold``.

    Only indices ``>= window - 1`` count (a full window); ``None`` if the run never got there.
    """
    smooth = smoothed_returns(returns, window)
    reached = np.flatnonzero((smooth >= threshold) & (np.arange(len(smooth)) >= window - 1))
    return int(reached[0]) if len(reached) else None


def run_summary(table: pd.DataFrame, threshold: float, wall_time: float, steps: int) -> dict:
    """A run's row of ``runs.csv``: its ``env``, ``variant`` and ``seed`` (if ``table``, its
    episodes, has them), final return, steps and seconds to the threshold (a ``WINDOW``-
    episode mean), and steps to the threshold as a ``LONG_WINDOW``-episode mean
    (``steps_to_threshold_100``); NaN where not reached."""
    first = first_solved_episode(table["return"], threshold)
    first_long = first_solved_episode(table["return"], threshold, LONG_WINDOW)
    labels = {name: table[name].iloc[0] for name in ("env", "variant", "seed") if name in table}
    if "seed" in labels:
        labels["seed"] = int(labels["seed"])
    return {
        **labels,
        "episodes": len(table),
        "env_steps": int(steps),
        "wall_time": float(wall_time),
        "final_return": float(table["return"].tail(WINDOW).mean()),
        "threshold": threshold,
        "steps_to_threshold": float(table["env_step"].iloc[first]) if first is not None else np.nan,
        "seconds_to_threshold": float(table["wall_time"].iloc[first])
        if first is not None
        else np.nan,
        "steps_to_threshold_100": float(table["env_step"].iloc[first_long])
        if first_long is not None
        else np.nan,
    }


def compute_columns(result: Any) -> dict[str, float]:
    """What a run cost: ``updates`` of the shared model (workers' gradients and learner
    updates), ``learner_updates`` (0 for plain A3C), ``updates_per_env_step`` and
    ``cpu_seconds`` (parent and workers); NaN where the trainer did not count them."""
    updates = getattr(result, "updates", None)
    stats = getattr(result, "memory_stats", None) or {}
    steps = getattr(result, "steps_this_run", 0)
    updates = np.nan if updates is None else float(updates)
    return {
        "updates": updates,
        "learner_updates": float(stats.get("learner_updates", 0)),
        "updates_per_env_step": updates / steps if steps else np.nan,
        "cpu_seconds": float(getattr(result, "cpu_seconds", np.nan)),
    }


def policy_lag_columns(lag: dict[str, float] | None) -> dict[str, float]:
    """``policy_lag_mean``, ``_median`` and ``_p90`` of a run (NaN when not measured)."""
    lag = lag or {}
    return {f"policy_lag_{key}": lag.get(key, np.nan) for key in ("mean", "median", "p90")}


def summarize(runs: pd.DataFrame, by: Sequence[str] = ("env", "variant")) -> pd.DataFrame:
    """Per group of ``by`` (default: env, variant): median and inter-quartile range over
    seeds, and how many solved.

    ``steps_to_threshold`` statistics cover the runs that reached the threshold; ``solved``
    says how many did, out of ``runs``. With measured policy lags, their median over seeds
    is in ``policy_lag_mean_median``.
    """
    rows = []
    by = list(by)
    for keys, group in runs.groupby(by, sort=False):
        final = group["final_return"]
        reached = group["steps_to_threshold"].dropna()
        row = dict(zip(by, keys, strict=True))
        row.update(
            {
                "runs": len(group),
                "final_return_median": final.median(),
                "final_return_q25": final.quantile(0.25),
                "final_return_q75": final.quantile(0.75),
                "final_return_mean": final.mean(),
                "final_return_std": final.std(ddof=1) if len(group) > 1 else 0.0,
                "solved": len(reached),
                "steps_to_threshold_median": reached.median() if len(reached) else np.nan,
                "steps_to_threshold_q25": reached.quantile(0.25) if len(reached) else np.nan,
                "steps_to_threshold_q75": reached.quantile(0.75) if len(reached) else np.nan,
                "wall_time_median": group["wall_time"].median(),
            }
        )
        if "policy_lag_mean" in group:
            row["policy_lag_mean_median"] = group["policy_lag_mean"].median()
        rows.append(row)
    return pd.DataFrame(rows)


def learning_curves(episodes: pd.DataFrame, points: int = 60) -> pd.DataFrame:
    """Median and quartiles over seeds of the smoothed return, on a common env-step grid.

    Each run's smoothed return is read at every grid step as the value after the last
    episode that ended at or before it. Returns columns ``env, variant, env_step, median,
    q25, q75, runs`` (``runs``: seeds with at least one finished episode by then).
    """
    rows = []
    for (env_id, variant), group in episodes.groupby(["env", "variant"], sort=False):
        grid = np.linspace(0, group["env_step"].max(), points)[1:]
        curves = []
        for _, run in group.groupby("seed"):
            smooth = smoothed_returns(run["return"])
            position = np.searchsorted(run["env_step"].to_numpy(), grid, side="right") - 1
            curves.append(np.where(position >= 0, smooth[np.maximum(position, 0)], np.nan))
        stacked = np.vstack(curves)
        for column, step in enumerate(grid):
            values = stacked[:, column][~np.isnan(stacked[:, column])]
            if len(values):
                q25, median, q75 = np.percentile(values, [25, 50, 75])
                rows.append([env_id, variant, step, median, q25, q75, len(values)])
    return pd.DataFrame(
        rows, columns=["env", "variant", "env_step", "median", "q25", "q75", "runs"]
    )


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
