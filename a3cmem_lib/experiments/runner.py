"""Running a study's jobs: skip the finished ones, train the rest on the chosen backend, and
record each as it finishes.

:func:`run_jobs` is what every study calls (:func:`~a3cmem_lib.experiments.study.run_study`,
:func:`~a3cmem_lib.experiments.axes.run_axis`,
:func:`~a3cmem_lib.experiments.follow_up.run_follow_up`); the backend, chosen by name from
:data:`~a3cmem_lib.experiments.backends.JOB_BACKENDS`, decides where the runs train.

Explained in notebooks/06_stability_study.ipynb.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from a3cmem_lib.training import TrainConfig, train

from .backends import job_backend
from .jobs import JobResult, StudyJob
from .tables import EPISODES_FILE, StudyTables


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
    its ``run_id``, labels, :func:`~a3cmem_lib.experiments.measures.run_summary` and the
    :data:`~a3cmem_lib.experiments.jobs.RUN_COLUMNS` settings), ``summary.csv``
    (:func:`~a3cmem_lib.experiments.measures.summarize` over ``summary_by``) and
    ``MACHINE.txt``. Every file is rewritten atomically after every run, so a study stopped
    at any moment keeps what it finished, and a rerun with the same ``out`` skips those runs
    (resumable).

    Args:
        jobs: the runs, in the order of the tables (ids unique).
        backend: a name of :data:`~a3cmem_lib.experiments.backends.JOB_BACKENDS`:
            ``"local"`` runs one job after the other here (each uses ``num_workers``
            processes); ``"ray"`` runs them as Ray tasks, at ``address`` (``None``: a Ray
            instance on this machine).
        trainer: what trains one configuration (tests pass a fake).

    Returns:
        The tidy episode table of every finished run, in job order.
    """
    run_on_backend = job_backend(backend)
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

        run_on_backend(pending, on_done, trainer=trainer, address=address)
    table.write_machine()
    return table.episodes()
