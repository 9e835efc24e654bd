"""Every follow-up of chapter 07 by name, where its results are committed, and reading them:
:data:`FOLLOW_UPS` (``study --follow-up NAME``), :data:`FOLLOW_UP_FOLDERS` and
:func:`follow_up_results`. The follow-ups themselves are defined in
:mod:`~a3cmem_lib.experiments.follow_up` (``regime``, ``replay-pays``) and
:mod:`~a3cmem_lib.experiments.follow_up_acer` (``acer``).

Explained in notebooks/07_when_does_memory_help.ipynb (section "Follow-up").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .follow_up import REGIME, REPLAY_PAYS, FollowUp
from .follow_up_acer import ACER
from .tables import RUNS_FILE, read_results_table

FOLLOW_UPS = {follow_up.name: follow_up for follow_up in (REGIME, REPLAY_PAYS, ACER)}
"""Every follow-up, by name (``study --follow-up NAME``)."""


FOLLOW_UP_FOLDERS = {
    "regime": "follow-up",
    "replay-pays": "follow-up-replay-pays",
    "acer": "follow-up-acer",
}
"""Where each follow-up's results are committed, under ``results/``."""


def follow_up_results(
    root: str | Path, name: str
) -> tuple[FollowUp, pd.DataFrame | None, pd.DataFrame | None]:
    """``(follow_up, runs, tests)`` of follow-up ``name`` under ``root`` (a folder or a URL):
    its committed ``runs.csv`` (``None`` if absent) and :meth:`FollowUp.evaluate` of it
    (``None`` unless every run is there)."""
    follow_up = FOLLOW_UPS[name]
    runs = read_results_table(root, f"{FOLLOW_UP_FOLDERS[name]}/{RUNS_FILE}")
    if runs is None:
        return follow_up, None, None
    missing = {job.run_id for job in follow_up.jobs()} - set(runs["run_id"])
    return follow_up, runs, None if missing else follow_up.evaluate(runs)
