"""Figures of a stability study (see :mod:`a3cmem_lib.experiments.study`).

Explained in notebooks/06_stability_study.ipynb.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .measures import WINDOW, learning_curves
from .tables import EPISODES_FILE, RUNS_FILE

COLORS = {
    "none": "#444444",
    "fifo": "#1f77b4",
    "per": "#d62728",
    "fifo+dedup": "#9467bd",
    "per+dedup": "#2ca02c",
    "mixture": "#ff7f0e",
    "acer": "#17becf",
}


def _panels(envs: list[str], height: float = 3.6) -> tuple[Figure, np.ndarray]:
    figure = Figure(figsize=(5.2 * len(envs), height), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(envs), squeeze=False)[0])
    return figure, axes


def plot_learning_curves(episodes: pd.DataFrame, runs: pd.DataFrame) -> Figure:
    """Median smoothed return over seeds against env steps, inter-quartile band shaded."""
    curves = learning_curves(episodes)
    envs = list(dict.fromkeys(episodes["env"]))
    figure, axes = _panels(envs)
    for axis, env_id in zip(axes, envs, strict=True):
        for variant, curve in curves[curves["env"] == env_id].groupby("variant", sort=False):
            color = COLORS.get(variant)
            axis.plot(curve["env_step"], curve["median"], label=variant, color=color)
            axis.fill_between(curve["env_step"], curve["q25"], curve["q75"], alpha=0.2, color=color)
        threshold = runs.loc[runs["env"] == env_id, "threshold"].iloc[0]
        axis.axhline(threshold, color="black", linestyle=":", linewidth=1, label="threshold")
        seeds = runs.loc[runs["env"] == env_id, "seed"].nunique()
        axis.set(
            title=f"{env_id} ({seeds} seeds)",
            xlabel="environment steps",
            ylabel=f"return (mean of last {WINDOW} episodes)",
        )
        axis.legend(fontsize="small")
    figure.suptitle("Median learning curve, inter-quartile band")
    return figure


def _by_variant(runs: pd.DataFrame, env_id: str, column: str) -> tuple[list[str], list]:
    rows = runs[runs["env"] == env_id]
    variants = list(dict.fromkeys(rows["variant"]))
    return variants, [rows.loc[rows["variant"] == v, column].dropna().to_numpy() for v in variants]


def _boxes(axis, variants: list[str], samples: list) -> None:
    positions = np.arange(len(variants))
    filled = [(p, s) for p, s in zip(positions, samples, strict=True) if len(s)]
    if filled:
        axis.boxplot([s for _, s in filled], positions=[p for p, _ in filled], widths=0.5)
    jitter = np.random.default_rng(0)
    for position, variant, sample in zip(positions, variants, samples, strict=True):
        x = position + jitter.uniform(-0.12, 0.12, len(sample))
        axis.scatter(x, sample, s=14, color=COLORS.get(variant), alpha=0.8, zorder=3)
    axis.set_xticks(positions, variants)


def plot_final_returns(runs: pd.DataFrame) -> Figure:
    """Spread over seeds of each run's final return (mean of its last episodes)."""
    envs = list(dict.fromkeys(runs["env"]))
    figure, axes = _panels(envs)
    for axis, env_id in zip(axes, envs, strict=True):
        variants, samples = _by_variant(runs, env_id, "final_return")
        _boxes(axis, variants, samples)
        axis.set(title=env_id, ylabel=f"final return (mean of last {WINDOW} episodes)")
    figure.suptitle("Final return, one point per seed")
    return figure


def plot_steps_to_threshold(runs: pd.DataFrame) -> Figure:
    """Env steps each run needed to reach its threshold; runs that never did are counted."""
    envs = list(dict.fromkeys(runs["env"]))
    figure, axes = _panels(envs)
    for axis, env_id in zip(axes, envs, strict=True):
        variants, samples = _by_variant(runs, env_id, "steps_to_threshold")
        _boxes(axis, variants, samples)
        totals = runs[runs["env"] == env_id].groupby("variant", sort=False)["seed"].count()
        labels = [
            f"{v}\n{len(s)}/{totals[v]} solved" for v, s in zip(variants, samples, strict=True)
        ]
        axis.set_xticks(np.arange(len(variants)), labels)
        threshold = runs.loc[runs["env"] == env_id, "threshold"].iloc[0]
        axis.set(title=f"{env_id}: steps until return ≥ {threshold:g}", ylabel="environment steps")
    figure.suptitle("Steps to threshold (solved runs only)")
    return figure


def plot_steps_against_cpu(
    runs: pd.DataFrame, column: str = "steps_to_threshold_100", env_id: str = "CartPole-v1"
) -> Figure:
    """The price of sample efficiency: each run's env steps to its threshold (``column``)
    against the CPU seconds it took to get there, one point per run of ``env_id``, one colour
    per variant, runs that never got there left out.

    CPU seconds to the threshold are estimated as ``cpu_seconds * steps / env_steps`` (the
    run's CPU rate taken as constant; the runs go on to their budget).
    """
    rows = runs[(runs["env"] == env_id) & runs[column].notna()]
    figure = Figure(figsize=(6.4, 4.2), layout="constrained")
    axis = figure.subplots()
    for variant, group in rows.groupby("variant", sort=False):
        cpu = group["cpu_seconds"] * group[column] / group["env_steps"]
        axis.scatter(group[column], cpu, s=22, label=variant, color=COLORS.get(variant))
    axis.set(
        xlabel=f"environment steps to the threshold ({column})",
        ylabel="CPU seconds to get there (parent and workers)",
        title=f"{env_id}: env steps against CPU seconds, one point per run",
    )
    axis.legend(fontsize="small")
    return figure


def write_figures(results: str | Path, episodes_file: str = EPISODES_FILE) -> list[Path]:
    """Draw the three study figures from the CSV files in ``results``; return their paths."""
    results = Path(results)
    episodes = pd.read_csv(results / episodes_file)
    runs = pd.read_csv(results / RUNS_FILE)
    figures = {
        "learning_curves.png": plot_learning_curves(episodes, runs),
        "final_returns.png": plot_final_returns(runs),
        "steps_to_threshold.png": plot_steps_to_threshold(runs),
    }
    paths = []
    for name, figure in figures.items():
        figure.savefig(results / name, dpi=110)
        paths.append(results / name)
    return paths
