"""Automatic checks for the notebooks' exercises, one module per chapter.

Usage in a notebook: ``from a3cmem_lib.exercises import check_fifo; check_fifo(MyFIFO)``.
"""

from .runner import ExerciseCheckError, run_checks

__all__ = ["ExerciseCheckError", "run_checks"]
