"""Checks for the exercise of ``notebooks/08_scaling_out.ipynb``.

Exercise, ``study_wall_time(runs, run_seconds, cluster_cpus, num_workers)``: a study of
``runs`` runs on Ray, each a task that trains for ``run_seconds`` seconds and reserves
``num_workers + 1`` CPUs (its worker processes and the process that runs ``train``, as
:func:`~a3cmem_lib.experiments.backends.ray.run_jobs_on_ray` reserves), on a cluster of
``cluster_cpus`` CPUs. Ray runs

    p = floor(cluster_cpus / (num_workers + 1))

tasks at once, so the study takes ``ceil(runs / p) * run_seconds`` seconds; a cluster too
small for one task (``p = 0``) raises ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .runner import resolve_seed, run_checks


def _parallel(cluster_cpus: int, num_workers: int) -> int:
    """Tasks of ``num_workers + 1`` CPUs that fit on ``cluster_cpus`` CPUs at once."""
    return cluster_cpus // (num_workers + 1)


def _expected(runs: int, run_seconds: float, cluster_cpus: int, num_workers: int) -> float:
    return math.ceil(runs / _parallel(cluster_cpus, num_workers)) * run_seconds


def _call(runs: int, run_seconds: float, cluster_cpus: int, num_workers: int) -> str:
    return (
        f"study_wall_time(runs={runs}, run_seconds={run_seconds:g}, "
        f"cluster_cpus={cluster_cpus}, num_workers={num_workers})"
    )


def check_study_wall_time(
    study_wall_time: Callable[[int, float, int, int], Any], *, seed: int | None = 0
) -> None:
    """Check ``study_wall_time(runs, run_seconds, cluster_cpus, num_workers)`` (seconds).

    Explained in ``notebooks/08_scaling_out.ipynb`` (exercise).
    ``seed`` draws the random cases (``None``: fresh ones, nbgrader's hidden tests).
    Prints a pass message or raises
    :class:`~a3cmem_lib.teaching.exercises.ExerciseCheckError` naming the failed case.
    """

    def agrees(runs: int, run_seconds: float, cluster_cpus: int, num_workers: int) -> None:
        call = _call(runs, run_seconds, cluster_cpus, num_workers)
        parallel = _parallel(cluster_cpus, num_workers)
        if parallel == 0:
            try:
                result = study_wall_time(runs, run_seconds, cluster_cpus, num_workers)
            except ValueError:
                return
            raise AssertionError(
                f"{call} returned {result!r}: a task reserves num_workers + 1 = "
                f"{num_workers + 1} CPUs, more than the cluster's {cluster_cpus}, so no run "
                "can ever start; raise ValueError"
            )
        expected = _expected(runs, run_seconds, cluster_cpus, num_workers)
        result = study_wall_time(runs, run_seconds, cluster_cpus, num_workers)
        try:
            got = float(result)
        except (TypeError, ValueError):
            raise AssertionError(
                f"{call}: expected a number of seconds, got {type(result).__name__} {result!r}"
            ) from None
        waves = math.ceil(runs / parallel)
        assert math.isclose(got, expected, rel_tol=1e-9), (
            f"{call}: expected {expected:g} s, got {got:g} s. Each run reserves num_workers + 1 "
            f"= {num_workers + 1} CPUs, so floor({cluster_cpus} / {num_workers + 1}) = "
            f"{parallel} runs train at once, and the {runs} runs take ceil({runs} / "
            f"{parallel}) = {waves} rounds of {run_seconds:g} s"
        )

    def by_hand() -> None:
        agrees(10, 60.0, 8, 1)  # 4 at once, 3 rounds

    def the_parent_cpu() -> None:
        agrees(6, 100.0, 6, 2)  # 2 at once (not 3): the parent process reserves a CPU too

    def whole_tasks() -> None:
        agrees(7, 30.0, 7, 2)  # floor(7 / 3) = 2 at once: a third of a task cannot start

    def last_round() -> None:
        agrees(5, 45.5, 4, 1)  # 2 at once: the fifth run trains alone, a third round

    def one_round() -> None:
        agrees(3, 120.0, 16, 1)  # 8 at once, only 3 runs: one round

    def this_machine() -> None:
        agrees(2, 12.0, 2, 1)  # the chapter's two-run study: 2 CPUs, one run at a time

    def too_small() -> None:
        agrees(4, 60.0, 3, 3)  # 4 CPUs per task on 3 CPUs
        agrees(1, 60.0, 1, 1)

    used = resolve_seed(seed)

    def random_studies() -> None:
        rng = np.random.default_rng(used)
        for _ in range(50):
            num_workers = int(rng.integers(1, 17))
            cluster_cpus = int(rng.integers(1, 129))
            runs = int(rng.integers(1, 301))
            run_seconds = float(np.round(rng.uniform(1.0, 900.0), 1))
            agrees(runs, run_seconds, cluster_cpus, num_workers)

    run_checks(
        "check_study_wall_time",
        [
            ("a study small enough to schedule by hand", by_hand),
            ("each run's parent process (num_workers + 1 CPUs)", the_parent_cpu),
            ("CPUs left over after the last whole task", whole_tasks),
            ("a last round that is not full", last_round),
            ("fewer runs than the cluster runs at once", one_round),
            ("a cluster with room for one task", this_machine),
            ("a cluster too small for one task", too_small),
            ("50 random studies", random_studies),
        ],
        seed=used if seed is None else None,
    )
