"""A fake trainer for study bookkeeping tests: no training, a known learning curve."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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
