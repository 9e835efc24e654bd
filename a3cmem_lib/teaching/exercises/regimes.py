"""Checks for the exercise of ``notebooks/07_when_does_memory_help.ipynb``.

Exercise, ``fraction_of_rates_that_solve(runs)``: the A3C paper's robustness measure
(Mnih et al., 2016, Figure 2) on the learning-rate axis. ``runs`` is a table with one row per
run and the columns ``variant`` (str), ``learning_rate`` (float), ``seed`` (int) and
``steps_to_threshold`` (float, NaN when the run never reached the threshold). A learning rate
*solves* for a variant when at least half of that variant's seeds at that rate reached the
threshold; return ``{variant: fraction of its learning rates that solve}``. The reference
answer is :func:`~a3cmem_lib.experiments.axes_stats.fraction_of_rates_that_solve`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from a3cmem_lib.experiments.axes_stats import fraction_of_rates_that_solve as _reference

from .runner import resolve_seed, run_checks


def _table(solved: dict[str, dict[float, list[bool]]]) -> pd.DataFrame:
    """Runs from ``{variant: {learning_rate: [solved?, one per seed]}}``; a solved run
    reaches the threshold after 1,000 steps per seed number (any positive number)."""
    rows = [
        {
            "env": "CartPole-v1",
            "variant": variant,
            "learning_rate": rate,
            "seed": seed,
            "steps_to_threshold": 1_000.0 * (seed + 1) if hit else np.nan,
            "final_return": 500.0 if hit else 20.0,
        }
        for variant, rates in solved.items()
        for rate, seeds in rates.items()
        for seed, hit in enumerate(seeds)
    ]
    return pd.DataFrame(rows)


def _expected(runs: pd.DataFrame) -> dict[str, float]:
    table = _reference(runs.assign(env="CartPole-v1"))
    return dict(zip(table["variant"], table["fraction"], strict=True))


def _describe(runs: pd.DataFrame) -> str:
    """The solved seeds per (variant, rate), to recompute the expected value by hand."""
    parts = []
    for (variant, rate), group in runs.groupby(["variant", "learning_rate"], sort=True):
        solved = int(group["steps_to_threshold"].notna().sum())
        parts.append(f"{variant} @ {rate:g}: {solved}/{len(group)} seeds solved")
    return "; ".join(parts)


def check_fraction_of_rates_that_solve(
    fraction_of_rates_that_solve: Callable[[pd.DataFrame], Any], *, seed: int | None = 0
) -> None:
    """Check ``fraction_of_rates_that_solve(runs)`` against the library's measure.

    Explained in ``notebooks/07_when_does_memory_help.ipynb`` (exercise).
    ``seed`` draws the random cases (``None``: fresh ones, nbgrader's hidden tests).
    Prints a pass message or raises
    :class:`~a3cmem_lib.teaching.exercises.ExerciseCheckError` naming the failed case.
    """

    def agrees(runs: pd.DataFrame, why: str) -> None:
        expected = _expected(runs)
        result = fraction_of_rates_that_solve(runs.drop(columns="env").copy())
        try:
            got = {str(key): float(value) for key, value in dict(result).items()}
        except (TypeError, ValueError):
            raise AssertionError(
                f"expected a dict {{variant: fraction}}, got {type(result).__name__} {result!r}"
            ) from None
        assert got.keys() == expected.keys(), (
            f"{why}: expected one fraction per variant {sorted(expected)}, got {sorted(got)}"
        )
        for variant, fraction in expected.items():
            assert np.isclose(got[variant], fraction), (
                f"{why}: for `{variant}` expected {fraction:g} (rates where at least half the "
                f"seeds reached the threshold, over its rates), got {got[variant]:g}. "
                f"Runs: {_describe(runs)}"
            )

    def by_hand() -> None:
        runs = _table(
            {
                "none": {1e-3: [True, True, True], 1e-2: [False, False, False]},
                "fifo": {1e-3: [True, False, True], 1e-2: [True, True, False]},
            }
        )
        agrees(runs, "two variants, two rates, three seeds")

    def at_least_half() -> None:
        runs = _table(
            {"per": {1e-3: [True, True, False, False], 1e-2: [True, False, False, False]}}
        )
        agrees(runs, "four seeds, two of them solved at one rate (at least half counts)")

    def rates_not_runs() -> None:
        runs = _table({"mixture": {r: [True, True, False] for r in (1e-4, 1e-3, 1e-2)}})
        agrees(runs, "two of three seeds solved at every rate (a fraction of rates, not of runs)")

    def nothing_solves() -> None:
        runs = _table({"none": {1e-3: [False] * 3, 3e-2: [False, False, True]}})
        agrees(runs, "a variant whose rates never solve")

    def uneven_grids() -> None:
        runs = _table(
            {
                "none": {1e-4: [True, True], 1e-3: [True, False], 1e-2: [False, False]},
                "fifo": {1e-3: [True, True]},
            }
        )
        agrees(
            runs.sample(frac=1.0, random_state=3), "variants with different rates, rows shuffled"
        )

    used = resolve_seed(seed)

    def random_studies() -> None:
        rng = np.random.default_rng(used)
        for _ in range(20):
            variants = rng.choice(["none", "fifo", "per", "mixture"], rng.integers(1, 5), False)
            study = {}
            for variant in variants:
                rates = np.geomspace(1e-4, 3e-2, int(rng.integers(1, 13)))
                seeds = int(rng.integers(1, 7))
                chance = rng.uniform(0, 1)
                study[str(variant)] = {float(r): list(rng.random(seeds) < chance) for r in rates}
            runs = _table(study).sample(frac=1.0, random_state=int(rng.integers(1_000)))
            agrees(runs, f"a random study of {len(runs)} runs")

    run_checks(
        "check_fraction_of_rates_that_solve",
        [
            ("a study small enough to count by hand", by_hand),
            ("exactly half the seeds solved", at_least_half),
            ("most seeds solved at every rate", rates_not_runs),
            ("a variant that never solves", nothing_solves),
            ("variants with different grids", uneven_grids),
            ("20 random studies", random_studies),
        ],
        seed=used if seed is None else None,
    )
