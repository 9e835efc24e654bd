"""Checks for the exercises of ``notebooks/03_prioritized_replay.ipynb``.

Exercise 1, ``importance_weights(probabilities, indices, beta)``: ``probabilities`` is P(i)
for every stored item (float array (N,), summing to 1), ``indices`` the sampled slots (int
array (batch,)); return the float array (batch,) of weights
``w_j = (N · P(indices[j]))^(-β) / max_k (N · P(k))^(-β)`` (Schaul et al., 2016), so the
item of smallest probability in the whole buffer would get weight 1.

Exercise 2, ``stratified_targets(total, batch_size, rng)``: return a float array
(batch_size,) whose entry j is drawn uniformly from the j-th of ``batch_size`` equal
segments of [0, total), using only the ``numpy.random.Generator`` it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .runner import run_checks


def _reference_weights(probabilities: np.ndarray, indices: np.ndarray, beta: float) -> np.ndarray:
    n = len(probabilities)
    return (n * probabilities[indices]) ** (-beta) / (n * probabilities.min()) ** (-beta)


def check_importance_weights(importance_weights: Callable[..., Any]) -> None:
    """Check ``importance_weights(probabilities, indices, beta)`` against the formula above.

    Explained in ``notebooks/03_prioritized_replay.ipynb`` (exercise 1). Prints a pass message
    or raises :class:`~a3cmem_lib.teaching.exercises.ExerciseCheckError` naming the failed case.
    """
    priorities = np.array([4.0, 1.0, 2.0, 0.5, 8.0, 1.0])
    probabilities = priorities / priorities.sum()

    def compare(indices: list[int], beta: float) -> None:
        indices_array = np.array(indices, dtype=np.int64)
        got = np.asarray(
            importance_weights(probabilities.copy(), indices_array.copy(), beta), dtype=float
        )
        expected = _reference_weights(probabilities, indices_array, beta)
        assert got.shape == expected.shape, (
            f"expected one weight per sampled index, shape {expected.shape}, got {got.shape}"
        )
        assert np.allclose(got, expected, rtol=1e-6, atol=1e-9), (
            f"P = {np.round(probabilities, 4).tolist()}, indices = {indices}, beta = {beta}: "
            f"expected weights {np.round(expected, 4).tolist()}, got {np.round(got, 4).tolist()}"
        )

    def full_correction() -> None:
        compare([0, 1, 2, 3, 4, 5], beta=1.0)

    def batch_without_the_rarest_item() -> None:
        # Item 3 (smallest P) is not sampled: dividing by the batch's own largest weight
        # would give 1 to item 1, but the normalisation is over the whole buffer.
        compare([0, 4, 1, 4], beta=0.5)

    def no_correction_at_beta_zero() -> None:
        compare([2, 0, 4], beta=0.0)

    def partial_correction() -> None:
        compare([3, 4, 4, 0], beta=0.4)

    def weights_at_most_one() -> None:
        rng = np.random.default_rng(0)
        p = rng.random(1000) + 0.01
        p /= p.sum()
        indices = rng.integers(0, 1000, size=256)
        got = np.asarray(importance_weights(p, indices, 0.7), dtype=float)
        assert np.all(got > 0) and np.all(got <= 1 + 1e-9), (
            f"weights must lie in (0, 1], got range [{got.min():.4g}, {got.max():.4g}]"
        )
        assert np.allclose(got, _reference_weights(p, indices, 0.7), rtol=1e-6), (
            "weights differ from the formula on a buffer of 1000 random probabilities"
        )

    run_checks(
        "check_importance_weights",
        [
            ("β = 1 with every item sampled once", full_correction),
            ("a batch that misses the least likely item", batch_without_the_rarest_item),
            ("β = 0 (all weights 1)", no_correction_at_beta_zero),
            ("β = 0.4 with a repeated index", partial_correction),
            ("1000 random probabilities, 256 samples", weights_at_most_one),
        ],
    )


def check_stratified_targets(stratified_targets: Callable[..., Any]) -> None:
    """Check ``stratified_targets(total, batch_size, rng)`` against the contract above.

    Explained in ``notebooks/03_prioritized_replay.ipynb`` (exercise 2). Prints a pass message
    or raises :class:`~a3cmem_lib.teaching.exercises.ExerciseCheckError` naming the failed case.
    """

    def draw(total: float, batch_size: int, seed: int) -> np.ndarray:
        targets = np.asarray(
            stratified_targets(total, batch_size, np.random.default_rng(seed)), dtype=float
        )
        assert targets.shape == (batch_size,), (
            f"expected an array of shape ({batch_size},), got shape {targets.shape}"
        )
        return targets

    def one_target_per_segment() -> None:
        total, batch_size = 10.0, 5
        targets = draw(total, batch_size, seed=0)
        segment = np.floor(targets / (total / batch_size)).astype(int)
        assert np.array_equal(segment, np.arange(batch_size)), (
            f"targets {np.round(targets, 3).tolist()} for total 10, batch 5 fall in segments "
            f"{segment.tolist()}; target j must lie in [2j, 2j + 2)"
        )

    def uniform_inside_segments() -> None:
        total, batch_size, rounds = 3.0, 4, 5000
        targets = np.stack([draw(total, batch_size, seed) for seed in range(1, rounds + 1)])
        width = total / batch_size
        offsets = targets / width - np.arange(batch_size)  # position inside the segment, [0, 1)
        assert offsets.min() >= 0 and offsets.max() < 1, (
            "some targets fall outside their own segment"
        )
        # A uniform [0, 1) position has mean 1/2 and standard deviation 1/sqrt(12) = 0.289.
        mean, std = float(offsets.mean()), float(offsets.std())
        assert abs(mean - 0.5) < 0.01 and abs(std - 12**-0.5) < 0.01, (
            f"positions inside the segments have mean {mean:.3f} and std {std:.3f}; a uniform "
            "draw in each segment gives 0.500 and 0.289"
        )

    def uses_the_rng() -> None:
        first, again, other = draw(1.0, 8, seed=7), draw(1.0, 8, seed=7), draw(1.0, 8, seed=8)
        assert np.array_equal(first, again), (
            "two generators with the same seed gave different targets"
        )
        assert not np.array_equal(first, other), (
            "generators with different seeds gave the same targets"
        )

    run_checks(
        "check_stratified_targets",
        [
            ("total 10, batch 5: one target per segment", one_target_per_segment),
            ("5000 draws: uniform inside each segment", uniform_inside_segments),
            ("drawing from the rng argument", uses_the_rng),
        ],
    )
