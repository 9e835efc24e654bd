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
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

import a3cmem_lib.envs  # noqa: F401  (registers the library's environment ids)
from a3cmem_lib.atomic import atomic_path
from a3cmem_lib.training import TrainConfig, train

from .machine import describe_machine

EPISODES_FILE = "episodes.csv"
RUNS_FILE = "runs.csv"
SUMMARY_FILE = "summary.csv"
WINDOW = 20
"""Episodes in the moving average that learning curves, final returns and thresholds use."""
LONG_WINDOW = 100
"""Episodes of the stricter criterion of chapter 01 and the benchmarks: gymnasium's
convention for CartPole-v1 ("solved" when the mean return of the last 100 episodes reaches
the threshold). ``runs.csv`` records both (``steps_to_threshold`` and
``steps_to_threshold_100``)."""

VARIANTS: dict[str, dict[str, Any]] = {
    "none": {"memory": "none"},
    "fifo": {"memory": "fifo"},
    "per": {"memory": "per"},
    "fifo+dedup": {"memory": "fifo+dedup"},
    "per+dedup": {"memory": "per+dedup"},
    "mixture": {"memory": "fifo", "fresh_fraction": 0.25},
}
"""The variants a study compares: a name and the :class:`TrainConfig` fields it sets. The
first five are the values of ``TrainConfig.memory`` (``none`` is plain A3C); ``mixture`` is
the LASER-style memory layer (Schmitt et al., 2020): uniform replay, and a quarter of every
learner batch is segments just received (see ``TrainConfig.fresh_fraction``)."""

RUN_COLUMNS = (
    "memory",
    "fresh_fraction",
    "num_workers",
    "learning_rate",
    "capacity",
    "replay_ratio",
    "batch_size",
    "total_steps",
)
"""TrainConfig fields every row of ``runs.csv`` records, whatever the study sweeps, so any
axis can be re-analysed from the CSV files alone."""


@dataclass(frozen=True)
class StudyJob:
    """One run of a study: a complete configuration and the labels its rows carry."""

    run_id: str
    """Unique within a study and stable across reruns (a rerun skips finished ids)."""
    labels: dict[str, Any]
    """Columns identifying the run in every table: ``env``, ``variant``, ``seed`` and the
    swept setting, named by its TrainConfig field (``learning_rate``, ...)."""
    config: TrainConfig
    threshold: float
    """Return at which the run counts as solved."""
    greedy_episodes: int = 0
    """Episodes of a greedy evaluation of the final policy (``greedy_return`` in
    ``runs.csv``); 0: none."""


@dataclass
class JobResult:
    """What :func:`run_job` returns: the run's episode rows and its ``runs.csv`` row."""

    episodes: pd.DataFrame
    run: dict[str, Any]


def make_job(
    labels: dict[str, Any],
    base: TrainConfig,
    threshold: float,
    *,
    variants: dict[str, dict[str, Any]] = VARIANTS,
    greedy_episodes: int = 0,
    **overrides: Any,
) -> StudyJob:
    """A :class:`StudyJob` training ``base`` with ``labels["variant"]``'s fields (from
    ``variants``: name → TrainConfig fields), the labels' ``env`` and ``seed``, and
    ``overrides`` (TrainConfig fields); ``greedy_episodes``: of :class:`StudyJob`."""
    variant = labels["variant"]
    if variant not in variants:
        raise ValueError(f"variant must be one of {list(variants)}, got {variant!r}")
    if isinstance(greedy_episodes, bool) or not isinstance(greedy_episodes, int):
        raise ValueError(f"greedy_episodes must be an int >= 0, got {greedy_episodes!r}")
    if greedy_episodes < 0:
        raise ValueError(f"greedy_episodes must be an int >= 0, got {greedy_episodes!r}")
    config = TrainConfig(
        **{
            **base.to_dict(),
            **variants[variant],
            "env_id": labels["env"],
            "seed": labels["seed"],
            "progress": False,
            "stop_return": None,
            **overrides,
        }
    )
    run_id = "/".join(f"{key}={value}" for key, value in labels.items())
    return StudyJob(run_id, dict(labels), config, float(threshold), greedy_episodes)


def run_job(job: StudyJob, trainer: Callable[[TrainConfig], Any] = train) -> JobResult:
    """Train one run of a study (a picklable top-level function: study backends call it)."""
    result = trainer(job.config)
    episodes = result.episodes
    table = pd.DataFrame(
        {
            **job.labels,
            "episode": np.arange(len(episodes)),
            "env_step": episodes["global_step"].to_numpy(),
            "wall_time": episodes["wall_time"].to_numpy(),
            "return": episodes["return"].to_numpy(),
        }
    )
    run = {"run_id": job.run_id, **job.labels}
    run.update(run_summary(table, job.threshold, result.wall_time, result.global_step))
    run.update({name: getattr(job.config, name) for name in RUN_COLUMNS})
    run.update(policy_lag_columns(getattr(result, "policy_lag", None)))
    run.update(compute_columns(result))
    if job.greedy_episodes:
        from a3cmem_lib.training import evaluate

        scores = evaluate(
            result.model, job.config.env_id, job.greedy_episodes, seed=job.config.seed
        )
        run["greedy_return"] = scores["greedy_mean"]
    return JobResult(table, run)


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


@dataclass
class StudyConfig:
    """What :func:`run_study` runs: every env × variant × seed, each a fresh ``train`` call."""

    envs: tuple[str, ...] = ("CartPole-v1", "a3cmem/GridWorld-v0")
    """Gymnasium ids; each needs a ``reward_threshold`` in its spec (or in ``thresholds``)."""
    variants: tuple[str, ...] = ("none", "fifo", "per", "per+dedup")
    """Names of :data:`VARIANTS` to compare; ``none`` is plain A3C."""
    seeds: int = 10
    """Seeds per (env, variant): ``first_seed``, ..., ``first_seed + seeds - 1``."""
    first_seed: int = 0
    """The first seed: a study that tests what an earlier one suggested runs on seeds the
    earlier one did not use (``first_seed=100``)."""
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
        first = self.first_seed
        if isinstance(first, bool) or not isinstance(first, int) or not 0 <= first < 2**31:
            raise ValueError(f"first_seed must be an int in [0, 2**31), got {first!r}")
        for variant in self.variants:
            if variant not in VARIANTS:
                raise ValueError(f"variants must be among {tuple(VARIANTS)}, got {variant!r}")
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
        return reward_threshold(env_id)

    def jobs(self) -> list[StudyJob]:
        """Every run, environment by environment, variant by variant, seed by seed."""
        return [
            make_job(
                {"env": env_id, "variant": variant, "seed": seed},
                self.base,
                self.threshold(env_id),
                total_steps=self.steps[env_id],
            )
            for env_id in self.envs
            for variant in self.variants
            for seed in range(self.first_seed, self.first_seed + self.seeds)
        ]


def reward_threshold(env_id: str) -> float:
    """The ``reward_threshold`` of ``env_id``'s gymnasium spec (a ``ValueError`` if it has
    none)."""
    threshold = gym.spec(env_id).reward_threshold
    if threshold is None:
        raise ValueError(f"env {env_id!r} has no reward_threshold; pass thresholds=")
    return float(threshold)


def run_study(
    study: StudyConfig,
    out: str | Path,
    *,
    progress: bool = True,
    trainer: Callable[[TrainConfig], Any] = train,
    backend: str = "local",
    address: str | None = None,
) -> pd.DataFrame:
    """Train every run of ``study``; write ``episodes.csv``, ``runs.csv`` and ``summary.csv``.

    Resumable: runs already in ``out/runs.csv`` are skipped. See :func:`run_jobs`.

    Returns:
        The tidy episode table: one row per episode with columns ``env, variant, seed,
        episode, env_step, wall_time, return``.
    """
    return run_jobs(
        study.jobs(), out, progress=progress, trainer=trainer, backend=backend, address=address
    )


BACKENDS = ("local", "ray")


def run_jobs(
    jobs: Sequence[StudyJob],
    out: str | Path,
    *,
    summary_by: Sequence[str] = ("env", "variant"),
    episodes_file: str = EPISODES_FILE,
    progress: bool = True,
    trainer: Callable[[TrainConfig], Any] = train,
    backend: str = "local",
    address: str | None = None,
) -> pd.DataFrame:
    """Run the ``jobs`` not finished yet; keep ``out``'s tables up to date after each one.

    ``out`` gets ``episodes_file`` (the tidy episode table), ``runs.csv`` (one row per run:
    its ``run_id``, labels, :func:`run_summary` and the :data:`RUN_COLUMNS` settings),
    ``summary.csv`` (:func:`summarize` over ``summary_by``) and ``MACHINE.txt``. Every
    file is rewritten atomically after every run, so a study stopped at any moment keeps
    what it finished, and a rerun with the same ``out`` skips those runs (resumable).

    Args:
        jobs: the runs, in the order of the tables (ids unique).
        backend: ``"local"`` runs one job after the other here (each uses
            ``num_workers`` processes); ``"ray"`` runs them as Ray tasks, at ``address``
            (``None``: a Ray instance on this machine).
        trainer: what trains one configuration (local backend; tests pass a fake).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    ids = [job.run_id for job in jobs]
    if len(set(ids)) != len(ids):
        raise ValueError("jobs must have unique run_id values")
    table = StudyTables(Path(out), jobs, summary_by, episodes_file)
    pending = [job for job in jobs if job.run_id not in table.finished]
    with tqdm(
        total=len(jobs),
        initial=len(jobs) - len(pending),
        desc="study",
        unit="run",
        disable=not progress,
    ) as bar:

        def on_done(job: StudyJob, result: JobResult) -> None:
            table.record(job, result)
            bar.set_postfix(**{k: v for k, v in job.labels.items()})
            bar.update()

        if backend == "ray":
            from a3cmem_lib.distributed.ray_study import run_jobs_on_ray

            run_jobs_on_ray(pending, on_done, address=address)
        else:
            for job in pending:
                on_done(job, run_job(job, trainer))
    table.write_machine()
    return table.episodes()


class StudyTables:
    """The files of a study in ``out``: what is finished, and recording one more run.

    Args:
        out: the study's folder (created if missing).
        jobs: all runs of the study, in table order.
        summary_by: the label columns ``summary.csv`` groups by.
        episodes_file: name of the episode table (``.csv`` or compressed ``.csv.gz``).
    """

    def __init__(
        self, out: Path, jobs: Sequence[StudyJob], summary_by: Sequence[str], episodes_file: str
    ) -> None:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.order = {job.run_id: position for position, job in enumerate(jobs)}
        self.summary_by = list(summary_by)
        self.episodes_path = out / episodes_file
        self.results: dict[str, JobResult] = {}
        self._read_finished(jobs)

    @property
    def finished(self) -> set[str]:
        """Ids of the runs whose rows are in the tables."""
        return set(self.results)

    def _read_finished(self, jobs: Sequence[StudyJob]) -> None:
        runs_path = self.out / RUNS_FILE
        if not runs_path.exists() or not self.episodes_path.exists():
            return
        runs = pd.read_csv(runs_path)
        if "run_id" not in runs.columns:  # written before studies were resumable
            keys = list(jobs[0].labels) if jobs else []
            if not set(keys) <= set(runs.columns):
                raise ValueError(
                    f"out: {runs_path} has neither run_id nor the label columns {keys}; "
                    "choose a new out directory"
                )
            runs["run_id"] = [
                "/".join(f"{key}={row[key]}" for key in keys) for row in runs.to_dict("records")
            ]
        episodes = pd.read_csv(self.episodes_path)
        wanted = {job.run_id: job for job in jobs}
        for run in runs.to_dict("records"):
            job = wanted.get(run["run_id"])
            if job is None:
                continue  # a run of another configuration of this folder: left out
            mask = np.ones(len(episodes), dtype=bool)
            for column, value in job.labels.items():
                mask &= (episodes[column] == value).to_numpy()
            self.results[job.run_id] = JobResult(episodes[mask].reset_index(drop=True), run)

    def record(self, job: StudyJob, result: JobResult) -> None:
        """Add a finished run and rewrite every table (atomically)."""
        self.results[job.run_id] = result
        runs = self.runs()
        # the temporary name hides the suffix: say how to compress (mtime 0: same bytes for
        # the same table)
        gzip = {"method": "gzip", "mtime": 0} if self.episodes_path.suffix == ".gz" else None
        with atomic_path(self.episodes_path) as temporary:
            self.episodes().to_csv(temporary, index=False, compression=gzip)
        with atomic_path(self.out / SUMMARY_FILE) as temporary:
            summarize(runs, by=self.summary_by).to_csv(temporary, index=False)
        # runs.csv last: a run counts as finished once its row is there
        with atomic_path(self.out / RUNS_FILE) as temporary:
            runs.to_csv(temporary, index=False)

    def _in_order(self) -> list[JobResult]:
        return [self.results[i] for i in sorted(self.results, key=self.order.__getitem__)]

    def runs(self) -> pd.DataFrame:
        """``runs.csv``: one row per finished run, in job order."""
        return pd.DataFrame([result.run for result in self._in_order()])

    def episodes(self) -> pd.DataFrame:
        """The tidy episode table of the finished runs, in job order."""
        tables = [result.episodes for result in self._in_order()]
        return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()

    def write_machine(self) -> None:
        """``MACHINE.txt``: the machine the study ran on."""
        (self.out / "MACHINE.txt").write_text(machine_description())


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


def machine_description() -> str:
    """The machine a study ran on, one ``key: value`` per line (stored with its results)."""
    return "".join(f"{key}: {value}\n" for key, value in describe_machine().items())
