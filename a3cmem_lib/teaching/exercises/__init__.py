"""Automatic checks for the notebooks' exercises, one module per chapter.

Usage in a notebook: ``from a3cmem_lib.exercises import check_fifo; check_fifo(MyFIFO)``.
Every check takes ``seed`` (default 0) for its random cases; nbgrader's hidden tests call it
with ``seed=None``, fresh random cases at every grading.
"""

from .acer import check_retrace
from .dedup import check_dedup_eviction, check_dedup_key
from .fifo import check_fifo
from .offpolicy import check_vtrace
from .prioritized import (
    check_importance_weights,
    check_new_item_priority,
    check_stratified_targets,
)
from .regimes import check_fraction_of_rates_that_solve
from .returns import check_gae, check_n_step_returns
from .runner import ExerciseCheckError, resolve_seed, run_checks
from .scaling import check_study_wall_time
from .study import check_steps_to_threshold

__all__ = [
    "ExerciseCheckError",
    "check_dedup_eviction",
    "check_dedup_key",
    "check_fifo",
    "check_fraction_of_rates_that_solve",
    "check_gae",
    "check_importance_weights",
    "check_n_step_returns",
    "check_new_item_priority",
    "check_retrace",
    "check_steps_to_threshold",
    "check_stratified_targets",
    "check_study_wall_time",
    "check_vtrace",
    "resolve_seed",
    "run_checks",
]
