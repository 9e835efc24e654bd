"""Figures of a swept setting (see :mod:`a3cmem_lib.experiments.axes`): a measurement of
every run against the setting, median over seeds with the inter-quartile range.

Explained in notebooks/07_when_does_memory_help.ipynb.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .measures import WINDOW
from .study_plots import COLORS

LABELS = {
    "final_return": f"final return (mean of last {WINDOW} episodes)",
    "solved": "fraction of seeds that reached the threshold",
    "steps_to_threshold": "environment steps to threshold (solved seeds)",
    "policy_lag_mean": "mean policy lag (updates of the shared model)",
}


def sweep_table(runs: pd.DataFrame, setting: str, column: str) -> pd.DataFrame:
    """Per (env, variant, setting value): median, quartiles and count of ``column`` over seeds.

    ``column`` is a ``runs.csv`` column, or ``"solved"``: the fraction of seeds whose
    ``steps_to_threshold`` is not NaN (then median = that fraction, quartiles equal to it).
    """
    rows = []
    for (env_id, variant, value), group in runs.groupby(["env", "variant", setting], sort=False):
        if column == "solved":
            fraction = float(group["steps_to_threshold"].notna().mean())
            rows.append([env_id, variant, value, fraction, fraction, fraction, len(group)])
            continue
        values = group[column].dropna().to_numpy(dtype=float)
        if len(values):
            q25, median, q75 = np.percentile(values, [25, 50, 75])
            rows.append([env_id, variant, value, median, q25, q75, len(values)])
    return pd.DataFrame(
        rows, columns=["env", "variant", setting, "median", "q25", "q75", "count"]
    ).sort_values(["env", "variant", setting], kind="stable")


def plot_sweep(runs: pd.DataFrame, setting: str, column: str, *, log_x: bool = False) -> Figure:
    """``column`` against ``setting``, one line per variant, one panel per environment."""
    table = sweep_table(runs, setting, column)
    envs = list(dict.fromkeys(runs["env"]))
    figure = Figure(figsize=(5.6 * len(envs), 3.8), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(envs), squeeze=False)[0])
    variants = list(dict.fromkeys(runs["variant"]))
    for axis, env_id in zip(axes, envs, strict=True):
        for variant in variants:
            line = table[(table["env"] == env_id) & (table["variant"] == variant)]
            if line.empty:
                continue
            color = COLORS.get(variant)
            axis.plot(line[setting], line["median"], "o-", color=color, label=variant)
            axis.fill_between(line[setting], line["q25"], line["q75"], color=color, alpha=0.15)
        seeds = runs.loc[runs["env"] == env_id, "seed"].nunique()
        axis.set(title=f"{env_id} ({seeds} seeds)", xlabel=setting, ylabel=LABELS[column])
        if log_x:
            axis.set_xscale("log")
            axis.minorticks_off()
        values = sorted(table.loc[table["env"] == env_id, setting].unique())
        axis.set_xticks(values, [f"{value:g}" for value in values])
        if axis.lines:
            axis.legend(fontsize="small")
    figure.suptitle(f"Median over seeds and inter-quartile band, against {setting}")
    return figure
