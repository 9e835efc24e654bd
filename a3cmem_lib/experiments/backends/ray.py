"""The Ray job backend: a study's runs as Ray tasks. Each (environment, variant, seed)
trains where the cluster has room, and its result is recorded here, in the process that
called the study.

``on_done`` writes the study's tables after every run, so a study stopped at any moment
keeps what finished and a rerun skips it (resumable, as with the local backend). Ray is
imported when this backend is chosen (:func:`~a3cmem_lib.experiments.backends.job_backend`),
never before.

Explained in notebooks/08_scaling_out.ipynb (section "A study on a cluster").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from a3cmem_lib.training import TrainConfig, train
from a3cmem_lib.training.backends.ray_runtime import ensure_ray

from ..jobs import JobResult, StudyJob, run_job

_POLL_SECONDS = 1.0


def run_jobs_on_ray(
    jobs: Sequence[StudyJob],
    on_done: Callable[[StudyJob, JobResult], None],
    *,
    trainer: Callable[[TrainConfig], Any] = train,
    address: str | None = None,
    max_retries: int = 2,
) -> None:
    """Train every job as a Ray task and hand each result to ``on_done`` as it finishes (a
    :class:`~a3cmem_lib.experiments.backends.JobBackend`).

    Each task reserves ``job.config.num_workers + 1`` CPUs (its worker processes and the
    process that runs ``train`` and, with a memory, the learner) and trains with the local
    backend on the node Ray picks, whatever ``job.config.backend`` says (the run is on Ray
    already; ``study --backend ray`` sets it for every run). A task that raises or is lost
    (its process or node died) is run again up to ``max_retries`` times (Ray's
    ``max_retries``, with ``retry_exceptions``). Ctrl-C cancels every task still running.

    Args:
        jobs: the runs to train.
        on_done: called here, in the caller's process, with each finished job and its
            result, in the order they finish.
        trainer: what each task trains with (a picklable top-level function).
        address: a running Ray cluster's address; ``None`` starts (or reuses) a local Ray.
        max_retries: extra attempts per job, >= 0.

    Raises:
        ValueError: a job needs more CPUs than any node has.
        RuntimeError: after every other job was handed to ``on_done``: the jobs that failed
            all their attempts, each run_id with its error.
    """
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries must be an int >= 0, got {max_retries!r}")
    if not jobs:
        return
    ray = ensure_ray(address, num_cpus=max(job.config.num_workers + 1 for job in jobs))
    largest = max(
        (node["Resources"].get("CPU", 0) for node in ray.nodes() if node["Alive"]), default=0
    )
    for job in jobs:
        if job.config.num_workers + 1 > largest:
            raise ValueError(
                f"job {job.run_id!r}: num_workers={job.config.num_workers} needs "
                f"{job.config.num_workers + 1} CPUs on one node; the largest node has {largest:g}"
            )
    task = ray.remote(run_job_locally)
    pending = {
        task.options(
            num_cpus=job.config.num_workers + 1,
            max_retries=max_retries,
            retry_exceptions=True,
        ).remote(job, trainer): job
        for job in jobs
    }
    failures: list[tuple[str, str]] = []
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=_POLL_SECONDS)
            for ref in ready:
                job = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayError as error:
                    failures.append((job.run_id, _short_message(error)))
                    continue
                on_done(job, result)
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
    if failures:
        listed = "\n".join(f"  {run_id}: {error}" for run_id, error in failures)
        raise RuntimeError(
            f"{len(failures)} of {len(jobs)} study runs failed on Ray after "
            f"{max_retries + 1} attempts each (the others are recorded):\n{listed}"
        )


def run_job_locally(job: StudyJob, trainer: Callable[[TrainConfig], Any] = train) -> JobResult:
    """:func:`~a3cmem_lib.experiments.jobs.run_job` with the local backend (what a Ray task
    runs: a picklable top-level function). Its worker processes are started with
    ``forkserver`` unless the job asks for ``spawn``: a process connected to Ray must not
    fork (the children inherit its connections to Ray, and can break them)."""
    start_method = "spawn" if job.config.start_method == "spawn" else "forkserver"
    config = dataclasses.replace(
        job.config, backend="local", ray_address=None, start_method=start_method
    )
    return run_job(dataclasses.replace(job, config=config), trainer)


def _short_message(error: Exception) -> str:
    """The last line of a Ray error's message: the exception the task raised, e.g.
    ``SetupError: env_id ...`` (a task's full traceback is many lines)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__
