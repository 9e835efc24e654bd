"""The local job backend: a study's runs one after the other in this process (each run
starts its own ``num_workers`` worker processes).

Explained in notebooks/06_stability_study.ipynb.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from a3cmem_lib.training import TrainConfig

from ..jobs import JobResult, StudyJob, run_job


def run_jobs_here(
    jobs: Sequence[StudyJob],
    on_done: Callable[[StudyJob, JobResult], None],
    *,
    trainer: Callable[[TrainConfig], Any],
    address: str | None = None,
) -> None:
    """Train every job here, in order, and hand each result to ``on_done`` (a
    :class:`~a3cmem_lib.experiments.backends.JobBackend`; ``address`` must be ``None``)."""
    if address is not None:
        raise ValueError(f"address: the local backend runs on this machine, got {address!r}")
    for job in jobs:
        on_done(job, run_job(job, trainer))
