"""When does a memory layer help A3C? The axes of the regime study, one resumable study each.

Each :class:`Axis` sweeps one setting — the environment (``regime``), ``num_workers``
(``asynchrony``), ``learning_rate``, ``capacity`` or ``replay_ratio`` — for plain A3C and
memory variants (:data:`~a3cmem_lib.experiments.jobs.VARIANTS`) over seeds, with every
other hyperparameter at its TrainConfig default. :func:`run_axis` writes the tidy tables
(``episodes.csv.gz``, ``runs.csv``, ``summary.csv``) and the figures under ``results/<axis>``;
a rerun skips finished runs. The CLI is ``python -m a3cmem_lib study --axis NAME``.

Explained in notebooks/07_when_does_memory_help.ipynb.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from a3cmem_lib.training import TrainConfig, train

from .axes_plots import plot_sweep
from .jobs import StudyJob, make_job, reward_threshold
from .runner import run_jobs
from .study_plots import write_figures
from .tables import RUNS_FILE

EPISODES_FILE = "episodes.csv.gz"
"""The axes' episode tables are compressed (pandas reads them like plain CSV)."""

BUDGETS = {
    "CartPole-v1": 150_000,
    "MountainCar-v0": 300_000,
    "a3cmem/KeyDoor-v0": 200_000,
    "a3cmem/GridWorld-v0": 30_000,
    "MinAtar/Breakout-v1": 300_000,
}
"""Environment steps of every run, per environment (the same on every axis, so plain A3C
of one axis is the reference of another)."""

THRESHOLDS = {"MinAtar/Breakout-v1": 5.0}
"""Thresholds of environments without a ``reward_threshold`` in their spec. Breakout: 5,
between the random policy's 0.4 and plain A3C's 8.5 after 500,000 steps
(bench/results/regimes.md)."""

REGIMES = {
    "CartPole-v1": "dense",
    "MountainCar-v0": "sparse",
    "a3cmem/KeyDoor-v0": "sparse",
    "a3cmem/GridWorld-v0": "deterministic",
    "MinAtar/Breakout-v1": "image",
}
"""The regime each environment of the ``regime`` axis stands for."""


@dataclass(frozen=True)
class Axis:
    """One axis of the regime study: which setting it sweeps, where, for which variants."""

    name: str
    question: str
    """What the axis asks, in one sentence."""
    setting: str | None
    """The TrainConfig field swept (``None``: the environment, ``env``)."""
    values: tuple[Any, ...]
    """The swept values (for ``regime``: environment ids)."""
    envs: tuple[str, ...]
    variants: tuple[str, ...]
    seeds: int
    """Default number of seeds (0, 1, ...)."""
    log_x: bool = False
    """Figures against the setting put it on a logarithmic axis."""
    staleness: bool = False
    """The axis sweeps ``num_workers`` and measures staleness: each run's policy lag (table
    and figure) and the spread of the final return over seeds, tested against plain A3C
    (Brown–Forsythe)."""
    rates_that_solve: bool = False
    """The axis sweeps ``learning_rate`` and counts the rates that solve the task (the A3C
    paper's robustness measure)."""

    def __post_init__(self) -> None:
        if self.staleness and self.setting != "num_workers":
            raise ValueError(f"staleness needs setting 'num_workers', got {self.setting!r}")
        if self.rates_that_solve and self.setting != "learning_rate":
            raise ValueError(
                f"rates_that_solve needs setting 'learning_rate', got {self.setting!r}"
            )

    @property
    def columns(self) -> list[str]:
        """The label columns of every table row: ``env``, ``variant``, the setting, ``seed``."""
        return ["env", "variant", *([self.setting] if self.setting else []), "seed"]

    def jobs(self, seeds: int | None = None, base: TrainConfig | None = None) -> list[StudyJob]:
        """Every run of the axis: environments × values × variants × seeds."""
        seeds = self.seeds if seeds is None else seeds
        if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
            raise ValueError(f"seeds must be an int >= 1, got {seeds!r}")
        base = TrainConfig(progress=False) if base is None else base
        jobs = []
        for env_id in self.envs:
            for value in self.values if self.setting else (None,):
                for variant in self.variants:
                    for seed in range(seeds):
                        labels = {"env": env_id, "variant": variant}
                        overrides: dict[str, Any] = {"total_steps": BUDGETS[env_id]}
                        if self.setting:
                            labels[self.setting] = value
                            overrides[self.setting] = value
                        labels["seed"] = seed
                        jobs.append(make_job(labels, base, threshold(env_id), **overrides))
        return jobs


def threshold(env_id: str) -> float:
    """The return at which a run of ``env_id`` counts as solved on every axis."""
    return THRESHOLDS[env_id] if env_id in THRESHOLDS else reward_threshold(env_id)


BASELINE = "none"
"""The variant every other one is compared with: plain A3C."""
MEMORY_VARIANTS = ("fifo", "per", "per+dedup", "mixture")

AXES = {
    "regime": Axis(
        "regime",
        "Does the memory layer help with dense, sparse, deterministic or image observations?",
        None,
        tuple(REGIMES),
        tuple(REGIMES),
        ("none", *MEMORY_VARIANTS, "acer"),
        5,
    ),
    "asynchrony": Axis(
        "asynchrony",
        "Does replay help more when more workers make gradients staler?",
        "num_workers",
        (1, 2, 4, 8, 16),
        ("CartPole-v1",),
        ("none", "fifo", "mixture"),
        5,
        log_x=True,
        staleness=True,
    ),
    "learning-rate": Axis(
        "learning-rate",
        "Does the memory layer widen the range of learning rates that solve the task?",
        "learning_rate",
        tuple(float(f"{rate:.3g}") for rate in np.geomspace(1e-4, 3e-2, 12)),
        ("CartPole-v1",),
        ("none", *MEMORY_VARIANTS),
        3,
        log_x=True,
        rates_that_solve=True,
    ),
    "capacity": Axis(
        "capacity",
        "Too small loses the smoothing, too large slows learning?",
        "capacity",
        (64, 250, 1_000, 5_000, 20_000, 100_000),
        ("CartPole-v1", "a3cmem/KeyDoor-v0"),
        ("fifo", "mixture"),
        5,
        log_x=True,
    ),
    "replay-ratio": Axis(
        "replay-ratio",
        "Does replaying each segment more often buy sample efficiency?",
        "replay_ratio",
        (1.0, 2.0, 4.0, 8.0, 16.0),
        ("CartPole-v1",),
        ("fifo", "per", "mixture", "acer"),
        5,
        log_x=True,
    ),
}
"""The axes of chapter 07, by the name ``study --axis`` takes."""


def get_axis(name: str) -> Axis:
    """The axis named ``name`` in :data:`AXES` (a ``ValueError`` naming them if none is)."""
    if name not in AXES:
        raise ValueError(f"axis must be one of {list(AXES)}, got {name!r}")
    return AXES[name]


def run_axis(
    name: str,
    out: str | Path,
    *,
    seeds: int | None = None,
    base: TrainConfig | None = None,
    progress: bool = True,
    backend: str = "local",
    address: str | None = None,
    trainer: Callable[[TrainConfig], Any] = train,
) -> pd.DataFrame:
    """Run (or resume) axis ``name`` into ``out``; write its tables and figures.

    ``seeds`` overrides the axis's number of seeds, ``base`` its TrainConfig defaults (the
    swept setting, ``env_id``, ``seed``, ``total_steps`` and the variant's fields are set per
    run); ``backend``/``address`` as for :func:`~a3cmem_lib.experiments.runner.run_jobs`.

    Returns:
        ``runs.csv`` as a table: one row per run.
    """
    axis = get_axis(name)
    jobs = axis.jobs(seeds, base)
    run_jobs(
        jobs,
        out,
        summary_by=axis.columns[:-1],
        episodes_file=EPISODES_FILE,
        progress=progress,
        backend=backend,
        address=address,
        trainer=trainer,
    )
    write_axis_figures(axis, out)
    return pd.read_csv(Path(out) / RUNS_FILE)


def write_axis_figures(axis: Axis, out: str | Path) -> list[Path]:
    """Draw the figures of ``axis`` from the tables in ``out``; return their paths.

    ``regime``: the learning curves, final returns and steps to threshold of chapter 06,
    one panel per environment. Swept settings: final return, fraction of seeds solved and
    steps to threshold against the setting (an axis measuring staleness adds the policy lag).
    """
    out = Path(out)
    runs = pd.read_csv(out / RUNS_FILE)
    if axis.setting is None:
        return write_figures(out, episodes_file=EPISODES_FILE)
    log_x = axis.log_x
    figures = {
        column + ".png": plot_sweep(runs, axis.setting, column, log_x=log_x)
        for column in ("final_return", "solved", "steps_to_threshold")
    }
    if axis.staleness:
        figures["policy_lag.png"] = plot_sweep(runs, axis.setting, "policy_lag_mean", log_x=log_x)
    paths = []
    for file_name, figure in figures.items():
        figure.savefig(out / file_name, dpi=110)
        paths.append(out / file_name)
    return paths
