"""Automatic checks for the notebooks' exercises, one module per chapter.

Usage in a notebook: ``from a3cmem_lib.exercises import check_fifo; check_fifo(MyFIFO)``.
"""

from .dedup import check_dedup_key
from .fifo import check_fifo
from .offpolicy import check_vtrace
from .prioritized import check_importance_weights, check_stratified_targets
from .returns import check_gae, check_n_step_returns
from .runner import ExerciseCheckError, run_checks
from .study import check_steps_to_threshold

__all__ = [
    "ExerciseCheckError",
    "check_dedup_key",
    "check_fifo",
    "check_gae",
    "check_importance_weights",
    "check_n_step_returns",
    "check_steps_to_threshold",
    "check_stratified_targets",
    "check_vtrace",
    "run_checks",
]
