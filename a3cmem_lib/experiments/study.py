"""The stability study: does the memory layer make A3C more stable? Measure it over seeds.

:func:`run_study` trains every (environment, memory variant, seed) combination with the
same budget and writes tidy CSV files; :func:`summarize` turns them into one row per
(environment, variant) with the median and spread over seeds. Figures are drawn by
:mod:`a3cmem_lib.experiments.study_plots`. The CLI is ``python -m a3cmem_lib study``.

Explained in notebooks/06_stability_study.ipynb.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import gymnasium as gym
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

import a3cmem_lib.envs  # noqa: F401  (registers the library's environment ids)
from a3cmem_lib.training import MEMORY_KINDS, TrainConfig, train

from .machine import describe_machine

EPISODES_FILE = "episodes.csv"
RUNS_FILE = "runs.csv"
SUMMARY_FILE = "summary.csv"
WINDOW = 20
"""Episodes in the moving average that learning curves, final returns and thresholds use."""


@dataclass
class StudyConfig:
    """What :func:`run_study` runs: every env × variant × seed, each a fresh ``train`` call."""

    envs: tuple[str, ...] = ("CartPole-v1", "a3cmem/GridWorld-v0")
    """Gymnasium ids; each needs a ``reward_threshold`` in its spec (or in ``thresholds``)."""
    variants: tuple[str, ...] = ("none", "fifo", "per", "per+dedup")
    """Values of ``TrainConfig.memory`` to compare; ``none`` is plain A3C."""
    seeds: int = 10
    """Seeds per (env, variant): 0, 1, ..., seeds - 1."""
    steps: dict[str, int] = field(
        default_factory=lambda: {"CartPole-v1": 200_000, "a3cmem/GridWorld-v0": 30_000}
    )
    """Environment-step budget of each run, per environment id."""
    thresholds: dict[str, float] = field(default_factory=dict)
    """Return thresholds overriding the specs' ``reward_threshold``."""
    base: TrainConfig = field(default_factory=lambda: TrainConfig(progress=False))
    """Every other hyperparameter (workers, learning rate, replay ratio...)."""

    def __post_init__(self) -> None:
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or self.seeds < 1:
            raise ValueError(f"seeds must be an int >= 1, got {self.seeds!r}")
        for variant in self.variants:
            if variant not in MEMORY_KINDS:
                raise ValueError(f"variants must be among {MEMORY_KINDS}, got {variant!r}")
        for env_id in self.envs:
            if env_id not in self.steps:
                raise ValueError(f"steps has no budget for env {env_id!r}")
            if self.steps[env_id] < 1:
                raise ValueError(f"steps[{env_id!r}] must be >= 1, got {self.steps[env_id]}")
            self.threshold(env_id)

    def threshold(self, env_id: str) -> float:
        """The return at which ``env_id`` counts as solved."""
        if env_id in self.thresholds:
            return float(self.thresholds[env_id])
        threshold = gym.spec(env_id).reward_threshold
        if threshold is None:
            raise ValueError(f"env {env_id!r} has no reward_threshold; pass thresholds=")
        return float(threshold)


def run_study(
    study: StudyConfig,
    out: str | Path,
    *,
    progress: bool = True,
    trainer: Callable[[TrainConfig], object] = train,
) -> pd.DataFrame:
    """Train every run of ``study``; write ``episodes.csv``, ``runs.csv`` and ``summary.csv``.

    Runs go one after the other (each uses ``base.num_workers`` processes). Files are
    rewritten after every run, so an interrupted study keeps what it finished.

    Returns:
        The tidy episode table: one row per episode with columns ``env, variant, seed,
        episode, env_step, wall_time, return``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(e, v, s) for e in study.envs for v in study.variants for s in range(study.seeds)]
    tables: list[pd.DataFrame] = []
    runs: list[dict] = []
    with tqdm(jobs, desc="study", unit="run", disable=not progress) as bar:
        for env_id, variant, seed in bar:
            bar.set_postfix(env=env_id, variant=variant, seed=seed)
            config = TrainConfig(
                **{
                    **study.base.to_dict(),
                    "env_id": env_id,
                    "memory": variant,
                    "seed": seed,
                    "total_steps": study.steps[env_id],
                    "progress": False,
                    "stop_return": None,
                }
            )
            result = trainer(config)
            episodes = result.episodes
            table = pd.DataFrame(
                {
                    "env": env_id,
                    "variant": variant,
                    "seed": seed,
                    "episode": np.arange(len(episodes)),
                    "env_step": episodes["global_step"].to_numpy(),
                    "wall_time": episodes["wall_time"].to_numpy(),
                    "return": episodes["return"].to_numpy(),
                }
            )
            tables.append(table)
            runs.append(
                run_summary(table, study.threshold(env_id), result.wall_time, result.global_step)
            )
            tidy = pd.concat(tables, ignore_index=True)
            tidy.to_csv(out / EPISODES_FILE, index=False)
            pd.DataFrame(runs).to_csv(out / RUNS_FILE, index=False)
            summarize(pd.DataFrame(runs)).to_csv(out / SUMMARY_FILE, index=False)
    (out / "MACHINE.txt").write_text(machine_description())
    return pd.concat(tables, ignore_index=True)


def smoothed_returns(returns: Sequence[float]) -> np.ndarray:
    """Moving average of the last :data:`WINDOW` episode returns (fewer at the start)."""
    return pd.Series(returns, dtype=float).rolling(WINDOW, min_periods=1).mean().to_numpy()


def first_solved_episode(returns: Sequence[float], threshold: float) -> int | None:
    """Index of the first episode whose ``WINDOW``-episode mean return is ``>= threshold``.

    Only indices ``>= WINDOW - 1`` count (a full window); ``None`` if the run never got there.
    """
    smooth = smoothed_returns(returns)
    reached = np.flatnonzero((smooth >= threshold) & (np.arange(len(smooth)) >= WINDOW - 1))
    return int(reached[0]) if len(reached) else None


def run_summary(table: pd.DataFrame, threshold: float, wall_time: float, steps: int) -> dict:
    """One run's row of ``runs.csv``: final return, steps and seconds to the threshold."""
    first = first_solved_episode(table["return"], threshold)
    return {
        "env": table["env"].iloc[0],
        "variant": table["variant"].iloc[0],
        "seed": int(table["seed"].iloc[0]),
        "episodes": len(table),
        "env_steps": int(steps),
        "wall_time": float(wall_time),
        "final_return": float(table["return"].tail(WINDOW).mean()),
        "threshold": threshold,
        "steps_to_threshold": float(table["env_step"].iloc[first]) if first is not None else np.nan,
        "seconds_to_threshold": float(table["wall_time"].iloc[first])
        if first is not None
        else np.nan,
    }


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (env, variant): median and inter-quartile range over seeds, and how many solved.

    ``steps_to_threshold`` statistics cover the runs that reached the threshold; ``solved``
    says how many did, out of ``runs``.
    """
    rows = []
    for (env_id, variant), group in runs.groupby(["env", "variant"], sort=False):
        final = group["final_return"]
        reached = group["steps_to_threshold"].dropna()
        rows.append(
            {
                "env": env_id,
                "variant": variant,
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


def machine_description() -> str:
    """The machine a study ran on, one ``key: value`` per line (stored with its results)."""
    return "".join(f"{key}: {value}\n" for key, value in describe_machine().items())
