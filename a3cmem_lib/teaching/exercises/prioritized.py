"""Checks for the exercises of ``notebooks/03_prioritized_replay.ipynb``.

Exercise 1, ``importance_weights(probabilities, indices, beta)``: ``probabilities`` is P(i)
for every stored item (float array (N,), summing to 1), ``indices`` the sampled slots (int
array (batch,)); return the float array (batch,) of weights
``w_j = (N · P(indices[j]))^(-β) / max_k (N · P(k))^(-β)`` (Schaul et al., 2016), so the
item of smallest probability in the whole buffer would get weight 1.

Exercise 2, ``stratified_targets(total, batch_size, rng)``: return a float array
(batch_size,) whose entry j is drawn uniformly from the j-th of ``batch_size`` equal
segments of [0, total), using only the ``numpy.random.Generator`` it is given.

Exercise 3, ``MyMaxPriority()``: the priority a new item gets. ``new_item()`` returns it as a
float; ``update(priorities)`` is told the priorities the learner just gave sampled items (a
float array). A new item has no TD error yet, so it gets the **running maximum** of every
priority given so far, 1.0 before any (Schaul et al., 2016, Algorithm 1): not 0 (it would
never be replayed), not 1 (it would be replayed less than items the learner finds
surprising), and the maximum never decreases when the item that held it is updated lower.
The reference is :attr:`~a3cmem_lib.memory.PrioritizedReplayBuffer.max_priority`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from a3cmem_lib.memory import PrioritizedReplayBuffer

from .runner import resolve_seed, run_checks


def _reference_weights(probabilities: np.ndarray, indices: np.ndarray, beta: float) -> np.ndarray:
    n = len(probabilities)
    return (n * probabilities[indices]) ** (-beta) / (n * probabilities.min()) ** (-beta)


def _weights_message(
    probabilities: np.ndarray,
    indices: np.ndarray,
    beta: float,
    expected: np.ndarray,
    got: np.ndarray,
    show: bool = True,
) -> str:
    """What is wrong with ``got``, naming the normalisation mistake when that is it."""
    n = len(probabilities)
    largest = (n * probabilities.min()) ** (-beta)
    inputs = (
        f"P = {np.round(probabilities, 4).tolist()}, indices = {indices.tolist()}, "
        if show
        else f"N = {n} stored items, {len(indices)} sampled, "
    )
    raw = (n * probabilities[indices]) ** (-beta)
    if got.shape == raw.shape and np.allclose(got, raw / raw.max(), rtol=1e-6):
        concept = (
            "the weights are divided by the largest weight in this batch; divide by the "
            "largest weight any stored item could get, (N · min_k P(k))^(-β) = "
            f"({n} · {probabilities.min():.4g})^(-{beta:g}) = {largest:.4g}, so the weights "
            "do not depend on which items the batch happened to draw"
        )
    elif got.shape == raw.shape and np.allclose(got, raw, rtol=1e-6):
        concept = (
            "the weights are not normalised: divide (N · P(i))^(-β) by its maximum over the "
            f"buffer, (N · min_k P(k))^(-β) = {largest:.4g}, so that every weight is <= 1"
        )
    else:
        concept = "w_j = (N · P(indices[j]))^(-β) / (N · min_k P(k))^(-β)"
    return (
        f"{inputs}beta = {beta}: expected weights {np.round(expected, 4).tolist()[:8]}, "
        f"got {np.round(got, 4).tolist()[:8]}: {concept}"
    )


def check_importance_weights(
    importance_weights: Callable[..., Any], *, seed: int | None = 0
) -> None:
    """Check ``importance_weights(probabilities, indices, beta)`` against the formula above.

    Explained in ``notebooks/03_prioritized_replay.ipynb`` (exercise 1).
    ``seed`` draws the random cases (``None``: fresh ones, nbgrader's hidden tests).
    Prints a pass message or raises
    :class:`~a3cmem_lib.teaching.exercises.ExerciseCheckError` naming the failed case.
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
        assert np.allclose(got, expected, rtol=1e-6, atol=1e-9), _weights_message(
            probabilities, indices_array, beta, expected, got
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

    used = resolve_seed(seed)

    def weights_at_most_one() -> None:
        rng = np.random.default_rng(used)
        p = rng.random(1000) + 0.01
        p /= p.sum()
        indices = rng.integers(0, 1000, size=256)
        got = np.asarray(importance_weights(p, indices, 0.7), dtype=float)
        assert np.all(got > 0) and np.all(got <= 1 + 1e-9), (
            f"weights must lie in (0, 1], got range [{got.min():.4g}, {got.max():.4g}]"
        )
        expected = _reference_weights(p, indices, 0.7)
        assert np.allclose(got, expected, rtol=1e-6), _weights_message(
            p, indices, 0.7, expected, got, show=False
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
        seed=used if seed is None else None,
    )


def check_stratified_targets(
    stratified_targets: Callable[..., Any], *, seed: int | None = 0
) -> None:
    """Check ``stratified_targets(total, batch_size, rng)`` against the contract above.

    Explained in ``notebooks/03_prioritized_replay.ipynb`` (exercise 2).
    ``seed`` draws the random cases (``None``: fresh ones, nbgrader's hidden tests).
    Prints a pass message or raises
    :class:`~a3cmem_lib.teaching.exercises.ExerciseCheckError` naming the failed case.
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

    used = resolve_seed(seed)

    def random_totals_and_batches() -> None:
        rng = np.random.default_rng(used)
        for _ in range(20):
            total, batch_size = float(rng.uniform(0.1, 1000.0)), int(rng.integers(1, 64))
            targets = draw(total, batch_size, seed=int(rng.integers(2**31)))
            width = total / batch_size
            segment = np.floor(targets / width).astype(int)
            assert np.array_equal(segment, np.arange(batch_size)), (
                f"total {total:.6g}, batch_size {batch_size}: each segment is {width:.6g} wide, "
                f"so target j must lie in [j * {width:.6g}, (j + 1) * {width:.6g}); the targets "
                f"{np.round(targets, 4).tolist()} fall in segments {segment.tolist()}"
            )

    run_checks(
        "check_stratified_targets",
        [
            ("total 10, batch 5: one target per segment", one_target_per_segment),
            ("5000 draws: uniform inside each segment", uniform_inside_segments),
            ("drawing from the rng argument", uses_the_rng),
            ("20 random totals and batch sizes", random_totals_and_batches),
        ],
        seed=used if seed is None else None,
    )


def _reference_max(updates: list[np.ndarray]) -> list[float]:
    """The library's running maximum after each of ``updates`` (one item, updated in turn)."""
    buffer = PrioritizedReplayBuffer(1, alpha=1.0, seed=0)
    buffer.push((0,))
    maxima = []
    for priorities in updates:
        for priority in priorities:
            buffer.update_priorities(np.array([0]), np.array([priority]))
        maxima.append(float(buffer.max_priority))
    return maxima


def check_new_item_priority(max_priority_class: Callable[[], Any], *, seed: int | None = 0) -> None:
    """Check ``MyMaxPriority`` (``new_item()``, ``update(priorities)``) against the running
    maximum of :class:`~a3cmem_lib.memory.PrioritizedReplayBuffer`.

    Explained in ``notebooks/03_prioritized_replay.ipynb`` (exercise 3).
    ``seed`` draws the random cases (``None``: fresh ones, nbgrader's hidden tests).
    Prints a pass message or raises
    :class:`~a3cmem_lib.teaching.exercises.ExerciseCheckError` naming the failed case.
    """

    def agrees(updates: list[list[float]], why: str) -> None:
        tracker = max_priority_class()
        first = float(tracker.new_item())
        assert first == 1.0, (
            f"before any update a new item gets priority 1.0 (the running maximum starts at "
            f"1), got {first:g}"
        )
        arrays = [np.asarray(update, dtype=np.float64) for update in updates]
        for count, (update, expected) in enumerate(
            zip(arrays, _reference_max(arrays), strict=True)
        ):
            tracker.update(update.copy())
            got = float(tracker.new_item())
            assert np.isclose(got, expected, rtol=1e-12), (
                f"{why}: after the updates {[np.round(a, 4).tolist() for a in arrays[: count + 1]]}"
                f" a new item gets the running maximum of every priority given so far (1.0 at "
                f"first), {expected:.6g}, got {got:.6g}"
                + (
                    " (the maximum of the last update only)"
                    if np.isclose(got, update.max())
                    else ""
                )
                + (
                    " (a fixed 1.0: items the learner found more surprising would outrank it)"
                    if got == 1.0
                    else ""
                )
            )

    def rises_with_a_larger_priority() -> None:
        agrees([[0.5, 2.5], [0.3]], "a priority above 1 raises the maximum")

    def small_priorities_keep_the_start() -> None:
        agrees([[0.2, 0.4], [0.1]], "priorities below 1 leave the starting 1.0")

    def never_decreases() -> None:
        agrees([[4.0], [0.5, 0.2], [3.0]], "the maximum's holder updated lower")

    used = resolve_seed(seed)

    def random_updates() -> None:
        rng = np.random.default_rng(used)
        for _ in range(20):
            updates = [
                rng.exponential(float(rng.uniform(0.2, 3.0)), size=int(rng.integers(1, 6)))
                for _ in range(int(rng.integers(1, 10)))
            ]
            agrees([update.tolist() for update in updates], "random updates")

    run_checks(
        "check_new_item_priority",
        [
            ("a priority above the maximum", rises_with_a_larger_priority),
            ("priorities below 1", small_priorities_keep_the_start),
            ("a lower update of the maximum's holder", never_decreases),
            ("20 random sequences of updates", random_updates),
        ],
        seed=used if seed is None else None,
    )
