"""The stability study: does the memory layer make A3C more stable? Measure it over seeds.

:class:`StudyConfig` says which environments, memory variants and seeds; :func:`run_study`
trains every (environment, memory variant, seed) combination with the same budget and writes
tidy CSV files (:mod:`a3cmem_lib.experiments.tables`), which
:func:`~a3cmem_lib.experiments.measures.summarize` turns into one row per (environment,
variant) with the median and spread over seeds. Figures are drawn by
:mod:`a3cmem_lib.experiments.study_plots`. The CLI is ``python -m a3cmem_lib study``.

Explained in notebooks/06_stability_study.ipynb.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from a3cmem_lib.training import TrainConfig, train

from .jobs import VARIANTS, StudyJob, make_job, reward_threshold
from .runner import run_jobs


@dataclass
class StudyConfig:
    """What :func:`run_study` runs: every env × variant × seed, each a fresh ``train`` call."""

    envs: tuple[str, ...] = ("CartPole-v1", "a3cmem/GridWorld-v0")
    """Gymnasium ids; each needs a ``reward_threshold`` in its spec (or in ``thresholds``)."""
    variants: tuple[str, ...] = ("none", "fifo", "per", "per+dedup")
    """Names of :data:`~a3cmem_lib.experiments.jobs.VARIANTS` to compare; ``none`` is plain
    A3C."""
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

    Resumable: runs already in ``out/runs.csv`` are skipped. See
    :func:`~a3cmem_lib.experiments.runner.run_jobs`.

    Returns:
        The tidy episode table: one row per episode with columns ``env, variant, seed,
        episode, env_step, wall_time, return``.
    """
    return run_jobs(
        study.jobs(), out, progress=progress, trainer=trainer, backend=backend, address=address
    )
