"""Check for the ring-buffer exercise of ``notebooks/02_fifo_buffer.ipynb``.

The exercise contract (stated in the notebook): ``MyFIFO(capacity)`` holds at most
``capacity`` items; ``push(item) -> slot`` stores any Python object in the slot after the
previous one (0, 1, ..., capacity - 1, then 0 again, overwriting the oldest item) and returns
that slot; ``len(buffer)`` is the number of items held; ``sample(batch_size, rng)`` returns a
sequence of ``batch_size`` stored items drawn uniformly at random, with replacement, using
only the ``numpy.random.Generator`` it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .runner import resolve_seed, run_checks


def _fill(fifo_class: Callable[[int], Any], capacity: int, count: int) -> tuple[Any, list[int]]:
    buffer = fifo_class(capacity)
    slots = [buffer.push(item) for item in range(count)]
    return buffer, slots


def _draw(buffer: Any, batch_size: int, seed: int) -> list[Any]:
    batch = list(buffer.sample(batch_size, np.random.default_rng(seed)))
    assert len(batch) == batch_size, (
        f"sample({batch_size}, rng) returned {len(batch)} items, expected {batch_size}"
    )
    return batch


def check_fifo(fifo_class: Callable[[int], Any], *, seed: int | None = 0) -> None:
    """Check a reader's ring buffer class against the contract above.

    Explained in ``notebooks/02_fifo_buffer.ipynb`` (exercise 1).
    ``seed`` draws the random cases (``None``: fresh ones, nbgrader's hidden tests).
    Prints a pass message or raises
    :class:`~a3cmem_lib.teaching.exercises.ExerciseCheckError` naming the failed case.

    Args:
        fifo_class: the class (not an instance); ``fifo_class(capacity)`` builds an empty buffer.
    """

    def slots_run_in_a_ring() -> None:
        _, slots = _fill(fifo_class, 4, 10)
        expected = [step % 4 for step in range(10)]
        assert [int(slot) for slot in slots] == expected, (
            f"push returned slots {slots} for 10 pushes into capacity 4, expected {expected}"
        )

    def length_grows_then_stops() -> None:
        buffer = fifo_class(3)
        lengths = [len(buffer)]
        for item in range(5):
            buffer.push(item)
            lengths.append(len(buffer))
        assert lengths == [0, 1, 2, 3, 3, 3], (
            f"len() after 0..5 pushes into capacity 3 was {lengths}, expected [0, 1, 2, 3, 3, 3]"
        )

    def samples_only_stored_items() -> None:
        buffer, _ = _fill(fifo_class, 8, 3)
        seen = set(_draw(buffer, 300, seed=1))
        assert seen <= {0, 1, 2}, (
            f"with items 0, 1, 2 pushed into capacity 8, sample returned {sorted(seen, key=str)}"
            " (empty slots must never be sampled)"
        )
        assert seen == {0, 1, 2}, f"300 draws from items 0, 1, 2 only returned {sorted(seen)}"

    def oldest_item_is_overwritten() -> None:
        buffer, _ = _fill(fifo_class, 5, 7)
        seen = set(_draw(buffer, 500, seed=2))
        assert seen == {2, 3, 4, 5, 6}, (
            f"after pushing 0..6 into capacity 5 the buffer should hold 2..6 (0 and 1, the "
            f"oldest, overwritten); 500 draws returned {sorted(seen, key=str)}"
        )

    def sampling_is_uniform() -> None:
        buffer, _ = _fill(fifo_class, 10, 10)
        draws = 20_000
        counts = np.bincount(np.asarray(_draw(buffer, draws, seed=3), dtype=np.int64), minlength=10)
        expected = draws / 10
        # Chi-square with 9 degrees of freedom: 27.9 is its 0.999 quantile.
        chi2 = float(((counts - expected) ** 2 / expected).sum())
        assert chi2 < 27.9, (
            f"counts of items 0..9 in {draws} draws were {counts.tolist()}, too far from "
            f"{expected:.0f} each (chi-square {chi2:.1f} > 27.9): sampling is not uniform"
        )

    def sampling_uses_the_rng() -> None:
        buffer, _ = _fill(fifo_class, 10, 10)
        first, again = _draw(buffer, 50, seed=4), _draw(buffer, 50, seed=4)
        other = _draw(buffer, 50, seed=5)
        assert first == again, "two generators with the same seed gave different batches"
        assert first != other, "generators with different seeds gave the same batch"

    used = resolve_seed(seed)

    def random_rings() -> None:
        rng = np.random.default_rng(used)
        for _ in range(10):
            capacity = int(rng.integers(1, 21))
            pushes = int(rng.integers(1, 3 * capacity + 1))
            buffer, slots = _fill(fifo_class, capacity, pushes)
            where = f"items 0..{pushes - 1} pushed into capacity {capacity}"
            expected_slots = [step % capacity for step in range(pushes)]
            assert [int(slot) for slot in slots] == expected_slots, (
                f"{where}: push returned slots {slots}, expected slot = push number % capacity, "
                f"{expected_slots}"
            )
            assert len(buffer) == min(pushes, capacity), (
                f"{where}: len() is {len(buffer)}, expected min(pushes, capacity) = "
                f"{min(pushes, capacity)}"
            )
            held = set(range(max(0, pushes - capacity), pushes))
            seen = set(_draw(buffer, 2000, seed=int(rng.integers(2**31))))
            assert seen == held, (
                f"{where}: the ring holds the newest {min(pushes, capacity)} items "
                f"{sorted(held)}; 2000 draws returned {sorted(seen, key=str)}"
            )

    run_checks(
        "check_fifo",
        [
            ("push returning the next slot in the ring", slots_run_in_a_ring),
            ("len() while filling and once full", length_grows_then_stops),
            ("sampling a partly filled buffer", samples_only_stored_items),
            ("overwriting the oldest item first", oldest_item_is_overwritten),
            ("uniform sampling", sampling_is_uniform),
            ("drawing from the rng argument", sampling_uses_the_rng),
            ("10 rings of random capacity", random_rings),
        ],
        seed=used if seed is None else None,
    )
