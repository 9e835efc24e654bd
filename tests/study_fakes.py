"""Fakes for study bookkeeping tests: a trainer with no training and a known learning curve,
and made-up committed results of a follow-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from a3cmem_lib.experiments.follow_ups import FOLLOW_UP_FOLDERS, FOLLOW_UPS
from a3cmem_lib.training.config import TrainConfig


@dataclass
class FakeResult:
    episodes: pd.DataFrame
    wall_time: float
    global_step: int


def fake_trainer(config: TrainConfig) -> FakeResult:
    """Returns rise linearly to 'seed + 1' per 10 episodes for every variant but 'none'."""
    episodes = 60
    slope = 0.0 if config.memory == "none" else (config.seed + 1) / 10
    returns = slope * np.arange(episodes)
    steps = np.linspace(100, config.total_steps, episodes).astype(int)
    frame = pd.DataFrame(
        {"global_step": steps, "wall_time": steps / 1000.0, "return": returns, "length": 10}
    )
    return FakeResult(frame, wall_time=float(steps[-1]) / 1000, global_step=int(steps[-1]))


class CountingTrainer:
    """The fake trainer, counting calls, raising on call number ``fail_on`` (1-based)."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.calls: list[TrainConfig] = []
        self.fail_on = fail_on

    def __call__(self, config: TrainConfig) -> FakeResult:
        self.calls.append(config)
        if len(self.calls) == self.fail_on:
            raise RuntimeError("power cut")
        return fake_trainer(config)


def run_jobs_backwards(jobs, on_done, *, trainer, address=None) -> None:
    """A job backend (:class:`a3cmem_lib.experiments.backends.JobBackend`) that finishes the
    jobs last to first, as a cluster may."""
    from a3cmem_lib.experiments.jobs import run_job

    for job in reversed(jobs):
        on_done(job, run_job(job, trainer))


def fake_follow_up(
    root: Path, name: str, results: Path, factor: Callable[[str, str], float]
) -> Path:
    """``root``: the committed ``results`` folders (linked) with follow-up ``name``'s
    replaced by made-up complete runs, in which variant ``v`` on environment ``e`` needs
    ``factor(e, v)`` times plain A3C's steps (and each variant has its own cost)."""
    root.mkdir(exist_ok=True)
    folder_name = FOLLOW_UP_FOLDERS[name]
    for path in results.iterdir():
        if path.name != folder_name:
            (root / path.name).symlink_to(path)
    rows = []
    for number, job in enumerate(FOLLOW_UPS[name].jobs()):
        plain = job.labels["variant"] == "none"
        scale = factor(job.labels["env"], job.labels["variant"])
        steps = 50_000 + 100 * (number % 10)
        rows.append(
            {
                "run_id": job.run_id,
                **job.labels,
                "episodes": 900,
                "env_steps": job.config.total_steps + 10,
                "total_steps": job.config.total_steps,
                "wall_time": 60.0,
                "threshold": job.threshold,
                "final_return": 0.9 if plain else 0.92,
                "greedy_return": 0.93,
                "steps_to_threshold": steps * scale,
                "steps_to_threshold_100": 2 * steps * scale,
                "updates": 30_000.0 if plain else 40_000.0,
                "learner_updates": 0.0 if plain else 10_000.0,
                "updates_per_env_step": 0.1 if plain else 0.133,
                "cpu_seconds": 50.0 if plain else 80.0 + 40.0 * (job.labels["variant"] == "acer"),
            }
        )
    folder = root / folder_name
    folder.mkdir()
    pd.DataFrame(rows).to_csv(folder / "runs.csv", index=False)
    return root
