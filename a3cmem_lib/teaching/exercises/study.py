"""Checks for the exercises of ``notebooks/06_stability_study.ipynb``.

Exercise, ``steps_to_threshold(env_steps, returns, threshold)``: one run's learning curve,
``env_steps[i]`` the global environment step at which episode ``i`` ended (ints, ``(E,)``,
non-decreasing) and ``returns[i]`` its return (floats, ``(E,)``). Return the env step of the
first episode ``i >= WINDOW - 1`` at which the mean of the last ``WINDOW`` returns,

    R̄_i = (1 / WINDOW) * sum_{j = i - WINDOW + 1}^{i} returns[j],

is ``>= threshold``, as a float; ``nan`` if there is none. The rule of
:func:`~a3cmem_lib.experiments.measures.run_summary`, the reference answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from a3cmem_lib.experiments.measures import WINDOW, run_summary

from .runner import resolve_seed, run_checks


def _reference(env_steps: np.ndarray, returns: np.ndarray, threshold: float) -> float:
    table = pd.DataFrame(
        {
            "env": "test",
            "variant": "test",
            "seed": 0,
            "env_step": env_steps,
            "wall_time": 0.0,
            "return": returns,
        }
    )
    return run_summary(table, threshold, wall_time=1.0, steps=int(env_steps[-1]))[
        "steps_to_threshold"
    ]


def _curve(returns: list[float] | np.ndarray, step: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Episodes ending every ``step`` env steps (the first at ``step``)."""
    returns = np.asarray(returns, dtype=float)
    return step * np.arange(1, len(returns) + 1, dtype=np.int64), returns


def check_steps_to_threshold(
    steps_to_threshold: Callable[[Any, Any, float], float], *, seed: int | None = 0
) -> None:
    """Check ``steps_to_threshold(env_steps, returns, threshold)`` against ``run_summary``.

    Explained in ``notebooks/06_stability_study.ipynb`` (exercise).
    ``seed`` draws the random cases (``None``: fresh ones, nbgrader's hidden tests).
    Prints a pass message or raises
    :class:`~a3cmem_lib.teaching.exercises.ExerciseCheckError` naming the failed case.
    """

    def answer(env_steps: np.ndarray, returns: np.ndarray, threshold: float) -> float:
        result = steps_to_threshold(env_steps.copy(), returns.copy(), threshold)
        try:
            return float(result)
        except (TypeError, ValueError):
            raise AssertionError(
                f"expected a float (or nan), got {type(result).__name__} {result!r}"
            ) from None

    def agrees(env_steps: np.ndarray, returns: np.ndarray, threshold: float, why: str) -> None:
        expected = _reference(env_steps, returns, threshold)
        got = answer(env_steps, returns, threshold)
        if math.isnan(expected):
            assert math.isnan(got), (
                f"{why}: the {WINDOW}-episode mean never reaches {threshold:g}, so the answer "
                f"is nan (never solved), got {got!r}"
            )
        else:
            assert not math.isnan(got), f"{why}: expected {expected:g}, got nan"
            assert got == expected, (
                f"{why}: expected env step {expected:g}, got {got:g} (threshold {threshold:g}, "
                f"WINDOW = {WINDOW}; the first {WINDOW}-episode mean >= the threshold ends at "
                f"episode {int(np.searchsorted(env_steps, expected))}; {len(returns)} returns: "
                f"{np.round(returns, 2).tolist()}, env_steps: {env_steps.tolist()})"
            )

    def a_clean_rise() -> None:
        # mean of episodes i-19..i of 10*i reaches 300 at i = 39.5 -> first at i = 40
        env_steps, returns = _curve(10.0 * np.arange(80))
        agrees(env_steps, returns, 300.0, "returns 0, 10, 20, ... (threshold 300)")

    def never_solved() -> None:
        env_steps, returns = _curve(np.full(60, 5.0))
        agrees(env_steps, returns, 6.0, "every return 5 (threshold 6)")

    def equal_counts() -> None:
        env_steps, returns = _curve(np.r_[np.zeros(30), np.full(40, 2.0)])
        agrees(env_steps, returns, 2.0, "a mean exactly equal to the threshold (>= counts)")

    def full_window_only() -> None:
        # The first episodes average above the threshold over fewer than WINDOW episodes.
        returns = np.r_[[500.0, 500.0, 500.0], np.full(40, 10.0), np.full(40, 500.0)]
        env_steps, returns = _curve(returns)
        agrees(
            env_steps,
            returns,
            475.0,
            f"three returns of 500 first (only a full window of {WINDOW} episodes counts)",
        )

    def the_first_time() -> None:
        returns = np.r_[np.zeros(25), np.full(30, 10.0), np.zeros(30), np.full(30, 10.0)]
        env_steps, returns = _curve(returns)
        agrees(env_steps, returns, 9.0, "a curve that solves, collapses and solves again")

    def smoothed_not_raw() -> None:
        # A single lucky episode is not a solved run.
        returns = np.r_[np.zeros(30), [100.0], np.zeros(30), np.full(30, 100.0)]
        env_steps, returns = _curve(returns)
        agrees(env_steps, returns, 90.0, f"one return of 100 among zeros (the {WINDOW}-mean)")

    def env_steps_not_episodes() -> None:
        rng = np.random.default_rng(6)
        returns = np.minimum(500.0, 5.0 * np.arange(150) + rng.normal(0, 20, 150))
        lengths = rng.integers(10, 500, size=150)
        agrees(np.cumsum(lengths), returns, 475.0, "episodes of uneven length (steps ≠ index)")

    used = resolve_seed(seed)

    def random_curves() -> None:
        rng = np.random.default_rng(used)
        for _ in range(30):
            episodes = int(rng.integers(1, 120))
            returns = np.cumsum(rng.normal(0.2, 3.0, episodes))
            env_steps = np.cumsum(rng.integers(1, 50, size=episodes))
            threshold = float(np.quantile(returns, rng.uniform(0.3, 1.0)))
            agrees(env_steps, returns, threshold, f"a random walk of {episodes} episodes")

    run_checks(
        "check_steps_to_threshold",
        [
            ("a steadily rising curve", a_clean_rise),
            ("a run that never solves", never_solved),
            ("a mean equal to the threshold", equal_counts),
            ("a high start with fewer than WINDOW episodes", full_window_only),
            ("a run that solves twice", the_first_time),
            ("one lucky episode", smoothed_not_raw),
            ("episodes of uneven length", env_steps_not_episodes),
            ("30 random curves", random_curves),
        ],
        seed=used if seed is None else None,
    )
