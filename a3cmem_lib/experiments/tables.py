"""A study's files on disk: the tidy tables it writes, resumes from and is read back from.

A study's folder holds ``episodes.csv`` (one row per episode), ``runs.csv`` (one row per
run), ``summary.csv`` (one row per group of runs) and ``MACHINE.txt`` (the machine it ran
on). :class:`StudyTables` keeps them up to date after every run, so a study stopped at any
moment keeps what it finished; :func:`read_results_table` reads a committed table from a
folder or a URL.

Explained in notebooks/06_stability_study.ipynb.
"""

from __future__ import annotations

import urllib.error
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from a3cmem_lib.atomic import atomic_path

from .jobs import JobResult, StudyJob
from .machine import machine_description
from .measures import summarize

EPISODES_FILE = "episodes.csv"
RUNS_FILE = "runs.csv"
SUMMARY_FILE = "summary.csv"
MACHINE_FILE = "MACHINE.txt"


class StudyTables:
    """The files of a study in ``out``: what is finished, and recording one more run.

    Args:
        out: the study's folder (created if missing).
        jobs: all runs of the study, in table order.
        summary_by: the label columns ``summary.csv`` groups by.
        episodes_file: name of the episode table (``.csv`` or compressed ``.csv.gz``).
    """

    def __init__(
        self, out: Path, jobs: Sequence[StudyJob], summary_by: Sequence[str], episodes_file: str
    ) -> None:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.order = {job.run_id: position for position, job in enumerate(jobs)}
        self.summary_by = list(summary_by)
        self.episodes_path = out / episodes_file
        self.results: dict[str, JobResult] = {}
        self._read_finished(jobs)

    @property
    def finished(self) -> set[str]:
        """Ids of the runs whose rows are in the tables."""
        return set(self.results)

    def _read_finished(self, jobs: Sequence[StudyJob]) -> None:
        runs_path = self.out / RUNS_FILE
        if not runs_path.exists() or not self.episodes_path.exists():
            return
        runs = pd.read_csv(runs_path)
        if "run_id" not in runs.columns:  # written before studies were resumable
            keys = list(jobs[0].labels) if jobs else []
            if not set(keys) <= set(runs.columns):
                raise ValueError(
                    f"out: {runs_path} has neither run_id nor the label columns {keys}; "
                    "choose a new out directory"
                )
            runs["run_id"] = [
                "/".join(f"{key}={row[key]}" for key in keys) for row in runs.to_dict("records")
            ]
        episodes = pd.read_csv(self.episodes_path)
        wanted = {job.run_id: job for job in jobs}
        for run in runs.to_dict("records"):
            job = wanted.get(run["run_id"])
            if job is None:
                continue  # a run of another configuration of this folder: left out
            mask = np.ones(len(episodes), dtype=bool)
            for column, value in job.labels.items():
                mask &= (episodes[column] == value).to_numpy()
            self.results[job.run_id] = JobResult(episodes[mask].reset_index(drop=True), run)

    def record(self, job: StudyJob, result: JobResult) -> None:
        """Add a finished run and rewrite every table (atomically)."""
        self.results[job.run_id] = result
        runs = self.runs()
        # the temporary name hides the suffix: say how to compress (mtime 0: same bytes for
        # the same table)
        gzip = {"method": "gzip", "mtime": 0} if self.episodes_path.suffix == ".gz" else None
        with atomic_path(self.episodes_path) as temporary:
            self.episodes().to_csv(temporary, index=False, compression=gzip)
        with atomic_path(self.out / SUMMARY_FILE) as temporary:
            summarize(runs, by=self.summary_by).to_csv(temporary, index=False)
        # runs.csv last: a run counts as finished once its row is there
        with atomic_path(self.out / RUNS_FILE) as temporary:
            runs.to_csv(temporary, index=False)

    def _in_order(self) -> list[JobResult]:
        return [self.results[i] for i in sorted(self.results, key=self.order.__getitem__)]

    def runs(self) -> pd.DataFrame:
        """``runs.csv``: one row per finished run, in job order."""
        return pd.DataFrame([result.run for result in self._in_order()])

    def episodes(self) -> pd.DataFrame:
        """The tidy episode table of the finished runs, in job order."""
        tables = [result.episodes for result in self._in_order()]
        return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()

    def write_machine(self) -> None:
        """``MACHINE.txt``: the machine the study ran on."""
        (self.out / MACHINE_FILE).write_text(machine_description())


def read_results_table(root: str | Path, relative: str) -> pd.DataFrame | None:
    """The CSV file ``<root>/<relative>`` (``root`` a folder or a URL), ``None`` if there is
    none (not committed yet)."""
    location = f"{str(root).rstrip('/')}/{relative}"
    if location.startswith(("https://", "http://")):
        try:
            return pd.read_csv(location)
        except urllib.error.URLError:  # HTTPError (404: not committed yet) included
            return None
    return pd.read_csv(location) if Path(location).exists() else None
