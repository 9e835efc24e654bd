"""Where a study's runs train: one module per job backend, chosen by name from a registry.

:func:`~a3cmem_lib.experiments.runner.run_jobs` asks :func:`job_backend` for the backend
named by its ``backend`` argument; only that backend's module is imported (Ray's only when
``"ray"`` is asked for). Every backend is a function with the signature of
:class:`JobBackend`; adding one is a module and an entry in :data:`JOB_BACKENDS`.

Explained in notebooks/08_scaling_out.ipynb (section "A study on a cluster").
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from a3cmem_lib.training import TrainConfig

from ..jobs import JobResult, StudyJob

JOB_BACKENDS = {
    "local": "a3cmem_lib.experiments.backends.local:run_jobs_here",
    "ray": "a3cmem_lib.experiments.backends.ray:run_jobs_on_ray",
}
"""Backend name (``study --backend NAME``) → its function, as ``module:function``."""


class JobBackend(Protocol):
    """Trains every job and hands each result to ``on_done``, in the caller's process, as
    it finishes.

    Args:
        jobs: the runs to train.
        on_done: called with each finished job and its result (it records them).
        trainer: what trains one configuration (tests pass a fake).
        address: a running cluster to join (``None``: this machine).
    """

    def __call__(
        self,
        jobs: Sequence[StudyJob],
        on_done: Callable[[StudyJob, JobResult], None],
        *,
        trainer: Callable[[TrainConfig], Any],
        address: str | None,
    ) -> None: ...


def job_backend(name: str) -> JobBackend:
    """The backend registered as ``name`` in :data:`JOB_BACKENDS` (its module imported now)."""
    if name not in JOB_BACKENDS:
        raise ValueError(f"backend must be one of {list(JOB_BACKENDS)}, got {name!r}")
    module, function = JOB_BACKENDS[name].split(":")
    return getattr(importlib.import_module(module), function)
