"""Automatic checks for the notebooks' exercises (one ``check_*`` function per exercise).

Each check runs the reader's code on small cases with known answers. It prints a one-line
pass message, or raises :class:`ExerciseCheckError` whose message says what went wrong and
what was expected, so a classroom sees a clear pass/fail in the cell's output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


class ExerciseCheckError(AssertionError):
    """An exercise check failed; the message says which case and what was expected."""


def resolve_seed(seed: int | None) -> int:
    """The seed of a check's random cases: ``seed`` itself, or a fresh one for ``None``.

    The visible check in a notebook uses the default seed 0; nbgrader's hidden tests call the
    check with ``seed=None``, so every grading draws new random cases and an answer that
    hard-codes the visible cases fails. A failure names the seed, so it can be replayed.
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy % 2**32)
    return int(seed)


def run_checks(
    name: str, cases: list[tuple[str, Callable[[], Any]]], seed: int | None = None
) -> None:
    """Run ``cases`` (description, callable raising AssertionError on failure) in order.

    A ``NotImplementedError`` (the student copy's placeholder) and any other exception are
    reported as a failed check naming the case; the first failure stops the check. ``seed``
    is the seed the random cases were drawn with (from :func:`resolve_seed`), named in a
    failure (given for fresh seeds only) so the student can rerun exactly those cases.
    """
    replay = (
        ""
        if seed is None
        else f" (random cases drawn with seed={seed}; pass seed={seed} to replay them)"
    )
    for description, case in cases:
        try:
            case()
        except NotImplementedError:
            raise ExerciseCheckError(
                f"✗ {name}: not implemented yet — replace `raise NotImplementedError()` "
                "with your code."
            ) from None
        except AssertionError as error:
            raise ExerciseCheckError(f"✗ {name} failed on {description}: {error}{replay}") from None
        except Exception as error:  # the reader's code crashed: say where, keep the cause
            raise ExerciseCheckError(
                f"✗ {name} raised {type(error).__name__} on {description}: {error}{replay}"
            ) from error
    print(f"✓ {name} passed ({len(cases)} checks).")


def result_array(value: Any, what: str, length: int, unit: str) -> np.ndarray:
    """The reader's ``value`` as a float64 array of shape (length,), or an ``AssertionError``
    saying what it should have been (``unit`` names one entry, e.g. "one value per step")."""
    if hasattr(value, "detach"):  # a torch tensor, possibly requiring grad
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{what} must be an array of numbers, got {type(value).__name__}"
        ) from None
    assert array.shape == (length,), (
        f"{what} must have shape ({length},) ({unit}), got {array.shape}"
    )
    return array
