"""One run of a study: the memory variants it can train, its configuration, and training it.

A study is a list of :class:`StudyJob`, each a complete :class:`TrainConfig` with the labels
its table rows carry; :func:`make_job` builds one from a variant of :data:`VARIANTS` and
:func:`run_job` trains it into a :class:`JobResult` (its episode rows and its ``runs.csv``
row, measured by :mod:`a3cmem_lib.experiments.measures`).

Explained in notebooks/06_stability_study.ipynb.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd

import a3cmem_lib.envs  # noqa: F401  (registers the library's environment ids)
from a3cmem_lib.training import TrainConfig, evaluate, train

from .measures import compute_columns, policy_lag_columns, run_summary

VARIANTS: dict[str, dict[str, Any]] = {
    "none": {"memory": "none"},
    "fifo": {"memory": "fifo"},
    "per": {"memory": "per"},
    "fifo+dedup": {"memory": "fifo+dedup"},
    "per+dedup": {"memory": "per+dedup"},
    "mixture": {"memory": "fifo", "fresh_fraction": 0.25},
    "acer": {"learner": "acer", "memory": "fifo"},
}
"""The variants a study compares: a name and the :class:`TrainConfig` fields it sets. The
first five are the values of ``TrainConfig.memory`` (``none`` is plain A3C); ``mixture`` is
the LASER-style memory layer (Schmitt et al., 2020): uniform replay, and a quarter of every
learner batch is segments just received (see ``TrainConfig.fresh_fraction``); ``acer`` is
ACER with its defaults (Wang et al., 2017; notebooks/09_acer.ipynb)."""

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


def reward_threshold(env_id: str) -> float:
    """The ``reward_threshold`` of ``env_id``'s gymnasium spec (a ``ValueError`` if it has
    none)."""
    threshold = gym.spec(env_id).reward_threshold
    if threshold is None:
        raise ValueError(f"env {env_id!r} has no reward_threshold; pass thresholds=")
    return float(threshold)


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
    ``overrides`` (TrainConfig fields); ``greedy_episodes``: of :class:`StudyJob`. A variant
    with another learner (``acer``) gets that learner's defaults wherever ``base`` left a
    field to its own learner (:meth:`TrainConfig.for_learner`); what ``base`` was given
    applies to every variant."""
    variant = labels["variant"]
    if variant not in variants:
        raise ValueError(f"variant must be one of {list(variants)}, got {variant!r}")
    if isinstance(greedy_episodes, bool) or not isinstance(greedy_episodes, int):
        raise ValueError(f"greedy_episodes must be an int >= 0, got {greedy_episodes!r}")
    if greedy_episodes < 0:
        raise ValueError(f"greedy_episodes must be an int >= 0, got {greedy_episodes!r}")
    fields = {
        **base.for_learner(variants[variant].get("learner", base.learner)).to_dict(),
        **variants[variant],
        "env_id": labels["env"],
        "seed": labels["seed"],
        "progress": False,
        "stop_return": None,
        **overrides,
    }
    config = TrainConfig(**fields)
    run_id = "/".join(f"{key}={value}" for key, value in labels.items())
    return StudyJob(run_id, dict(labels), config, float(threshold), greedy_episodes)


def run_job(job: StudyJob, trainer: Callable[[TrainConfig], Any] = train) -> JobResult:
    """Train one run of a study (a picklable top-level function: job backends call it)."""
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
        scores = evaluate(
            result.model, job.config.env_id, job.greedy_episodes, seed=job.config.seed
        )
        run["greedy_return"] = scores["greedy_mean"]
    return JobResult(table, run)
