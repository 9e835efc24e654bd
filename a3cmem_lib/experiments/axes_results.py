"""Finding and reading the regime study's results: where they are, which runs are there, and
each axis's runs with its plain-A3C reference.

Every axis of :mod:`a3cmem_lib.experiments.axes` writes ``results/<axis>/runs.csv``, one row
per run. :func:`find_results` finds the folder (or the copy on GitHub), :func:`axis_progress`
and :func:`complete_axes` say what is finished, and :func:`load_axis` reads an axis's runs for
its tests (:mod:`a3cmem_lib.experiments.axes_stats`).

``capacity`` and ``replay-ratio`` have no plain-A3C runs of their own (plain A3C has no
buffer): their reference is plain A3C of the same environment and budget from the
``regime`` axis, or from ``asynchrony`` at the default number of workers (CartPole-v1),
copied to every value of the setting (:func:`reference_runs`).

Explained in notebooks/07_when_does_memory_help.ipynb (section "The data").
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

import a3cmem_lib
from a3cmem_lib.training import TrainConfig

from .axes import AXES, BASELINE, BUDGETS, get_axis
from .study_stats import steps_or_budget
from .tables import RUNS_FILE, read_results_table

RESULTS_URL = "https://raw.githubusercontent.com/a3cmem/a3cmem/main/results"
"""The committed results on GitHub, read when no local copy is found (Colab)."""
REFERENCE_AXES = ("regime", "asynchrony")
"""Where the plain-A3C reference of an axis without ``none`` runs comes from, in order."""


def find_results(start: str | Path | None = None) -> str:
    """The results root: ``results/`` of the repository the library was installed from, or
    of ``start`` (default: the working directory) or a folder above it, whichever first holds
    an axis's ``runs.csv``; else :data:`RESULTS_URL` (the library installed alone, Colab).

    The way chapter 06 finds its data, so a chapter works from any folder.
    """
    here = Path.cwd() if start is None else Path(start)
    here = here.resolve()
    candidates = [Path(a3cmem_lib.__file__).resolve().parent.parent, here, *here.parents]
    for repository in candidates:
        folder = repository / "results"
        if any((folder / name / RUNS_FILE).exists() for name in AXES):
            return str(folder)
    return RESULTS_URL


def read_runs(root: str | Path, name: str) -> pd.DataFrame | None:
    """``<root>/<name>/runs.csv`` (``root`` a folder or a URL), ``None`` if there is none."""
    get_axis(name)
    return read_results_table(root, f"{name}/{RUNS_FILE}")


@cache
def expected_runs(name: str) -> tuple[str, ...]:
    """The ``run_id`` of every run of axis ``name`` at its default number of seeds."""
    return tuple(job.run_id for job in get_axis(name).jobs())


def missing_runs(runs: pd.DataFrame | None, name: str) -> list[str]:
    """The runs of axis ``name`` not in ``runs`` (its ``runs.csv``; ``None``: all)."""
    finished = set() if runs is None else set(runs["run_id"])
    return [run_id for run_id in expected_runs(name) if run_id not in finished]


def axis_progress(root: str | Path) -> pd.DataFrame:
    """One row per axis: its ``setting``, ``runs`` finished of ``expected``, ``complete``,
    and ``hours``: the sum of the finished runs' wall times (one run after another: the
    axis's cost on this machine, process start-ups excluded)."""
    rows = []
    for name, axis in AXES.items():
        runs = read_runs(root, name)
        expected = set(expected_runs(name))
        finished = runs[runs["run_id"].isin(expected)] if runs is not None else None
        rows.append(
            {
                "axis": name,
                "setting": axis.setting or "env",
                "runs": 0 if finished is None else len(finished),
                "expected": len(expected),
                "complete": not missing_runs(runs, name),
                "hours": 0.0 if finished is None else finished["wall_time"].sum() / 3600,
            }
        )
    return pd.DataFrame(rows)


def complete_axes(root: str | Path) -> list[str]:
    """The axes whose every run (``AXES[name].jobs()``) is in their ``runs.csv``."""
    return [name for name in AXES if not missing_runs(read_runs(root, name), name)]


def _plain_runs(root: str | Path, source: str, env_id: str) -> pd.DataFrame | None:
    """All plain-A3C runs of ``env_id`` at its budget and the default number of workers in
    axis ``source`` (extra seeds included), or ``None`` unless every one of the axis's
    default seeds is there."""
    axis = AXES[source]
    workers = TrainConfig().num_workers
    wanted = [
        job.run_id
        for job in axis.jobs()
        if job.labels["env"] == env_id
        and job.labels["variant"] == BASELINE
        and job.config.num_workers == workers
    ]
    runs = read_runs(root, source)
    if not wanted or runs is None or not set(wanted) <= set(runs["run_id"]):
        return None
    return runs[
        (runs["env"] == env_id)
        & (runs["variant"] == BASELINE)
        & (runs["num_workers"] == workers)
        & (runs["total_steps"] == BUDGETS[env_id])
    ]


def reference_runs(root: str | Path, name: str) -> pd.DataFrame | None:
    """Plain A3C for axis ``name`` if it has no ``none`` runs of its own, else ``None``.

    Per environment of the axis: the ``none`` runs of the same environment and budget at the
    default ``num_workers`` from the first axis of :data:`REFERENCE_AXES` that has all of
    them, copied once per value of the swept setting (plain A3C does not depend on a buffer
    setting), with ``source`` naming the axis they come from. An environment without such
    runs gets no reference (its comparisons stay empty).
    """
    axis = get_axis(name)
    if BASELINE in axis.variants or axis.setting is None:
        return None
    parts = []
    for env_id in axis.envs:
        for source in REFERENCE_AXES:
            plain = _plain_runs(root, source, env_id)
            if plain is not None:
                break
        if plain is None:
            continue
        for value in axis.values:
            parts.append(plain.assign(**{axis.setting: value, "source": source}))
    return pd.concat(parts, ignore_index=True) if parts else None


def load_axis(root: str | Path, name: str) -> pd.DataFrame | None:
    """The runs of axis ``name`` with their plain-A3C reference (:func:`reference_runs`).

    Returns:
        ``runs.csv`` (``None`` if absent) with the reference's rows first, a ``source``
        column (the axis folder each row was read from: ``name``, or ``regime`` /
        ``asynchrony`` for a copied reference) and ``steps_or_budget`` (steps to the
        threshold, an unsolved run counted as its budget).
    """
    runs = read_runs(root, name)
    if runs is None:
        return None
    runs = runs.assign(source=name)
    reference = reference_runs(root, name)
    if reference is not None:
        runs = pd.concat([reference, runs], ignore_index=True)
    return runs.assign(steps_or_budget=steps_or_budget(runs))
