"""Checks for the exercises of ``notebooks/04_deduplication.ipynb``.

Exercise, ``rounded_key(item, decimals)``: ``item`` is one
:class:`~a3cmem_lib.memory.Transition` (``state`` and ``next_state`` float arrays
``(obs_dim,)``, ``action`` an integer, ``reward`` a float, ``done`` a bool; inside
:class:`~a3cmem_lib.memory.DedupBuffer` each field arrives as a numpy array, scalars as 0-d
arrays). Return a hashable key such that two transitions get the same key exactly when their
float fields agree after rounding to ``decimals`` decimals (so -0.0 and 0.0 agree) and their
action and ``done`` are equal.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from a3cmem_lib.memory import DedupBuffer, FIFOBuffer, Transition

from .runner import run_checks


def _transition(state: list[float], action: int = 0, reward: float = 1.0, **fields: Any) -> Any:
    """A CartPole-like transition: float32 states of shape (4,)."""
    state_array = np.asarray(state, dtype=np.float32)
    next_state = fields.get("next_state", state_array + np.float32(0.02))
    return Transition(
        state=state_array,
        action=action,
        reward=reward,
        next_state=np.asarray(next_state, dtype=np.float32),
        done=fields.get("done", False),
    )


def check_dedup_key(rounded_key: Callable[[Any, int], Hashable]) -> None:
    """Check ``rounded_key(item, decimals)`` on near-duplicates, signed zeros and distinct items.

    Explained in ``notebooks/04_deduplication.ipynb`` (exercise). Prints a pass message or
    raises :class:`~a3cmem_lib.teaching.exercises.ExerciseCheckError` naming the failed case.
    """
    base = _transition([0.31, -0.52, 0.07, 1.26], action=1)

    def same(a: Any, b: Any, decimals: int, why: str) -> None:
        key_a, key_b = rounded_key(a, decimals), rounded_key(b, decimals)
        assert key_a == key_b, f"{why}: expected the same key at decimals={decimals}"

    def different(a: Any, b: Any, decimals: int, why: str) -> None:
        key_a, key_b = rounded_key(a, decimals), rounded_key(b, decimals)
        assert key_a != key_b, f"{why}: expected different keys at decimals={decimals}"

    def hashable() -> None:
        key = rounded_key(base, 2)
        try:
            hash(key)
        except TypeError:
            raise AssertionError(
                f"the key must be hashable (a dict key), got {type(key).__name__}; "
                "numpy arrays are not, their .tobytes() or a tuple of numbers is"
            ) from None

    def equal_values_in_new_arrays() -> None:
        copy = base._replace(state=base.state.copy(), next_state=base.next_state.copy())
        same(base, copy, 2, "the same values in new arrays")

    def near_duplicates_merge() -> None:
        noisy = base._replace(state=base.state + np.float32(0.0004))
        same(base, noisy, 2, "states 0.0004 apart (both round to the same hundredths)")

    def signed_zeros_merge() -> None:
        positive = _transition([0.001, 0.0, 0.2, 0.3], next_state=[0.0, 0.0, 0.2, 0.3])
        negative = _transition([-0.001, -0.0, 0.2, 0.3], next_state=[-0.0, 0.0, 0.2, 0.3])
        same(positive, negative, 2, "0.001 and -0.001 (which round to 0.0 and -0.0)")

    def distinct_actions_stay_distinct() -> None:
        different(base, base._replace(action=0), 2, "actions 1 and 0 with the same states")

    def every_field_counts() -> None:
        different(base, base._replace(state=base.state + np.float32(0.01)), 2, "states 0.01 apart")
        different(
            base,
            base._replace(next_state=base.next_state - np.float32(0.01)),
            2,
            "next states 0.01 apart",
        )
        different(base, base._replace(reward=0.0), 2, "rewards 1.0 and 0.0")
        different(base, base._replace(done=True), 2, "done False and True")

    def decimals_is_honoured() -> None:
        close = base._replace(state=base.state + np.float32(0.004))
        same(base, close, 2, "states 0.004 apart")
        different(base, close, 3, "states 0.004 apart")
        same(base, base._replace(state=base.state - np.float32(0.2)), 0, "states 0.2 apart")

    def works_inside_dedup_buffer() -> None:
        rng = np.random.default_rng(0)
        centres = rng.integers(-150, 150, size=(10, 4)) / 100  # 10 distinct hundredths
        buffer = DedupBuffer(FIFOBuffer(100), key=lambda item: rounded_key(item, 2))
        for _ in range(3):
            for number, centre in enumerate(centres):
                noise = rng.uniform(-0.002, 0.002, size=4)
                buffer.push(_transition(list(centre + noise), action=number % 2))
        assert (len(buffer), buffer.duplicates) == (10, 20), (
            "DedupBuffer(FIFOBuffer(100), key=lambda item: rounded_key(item, 2)) offered "
            "10 transitions 3 times each (with noise below 0.005) should store 10 and count "
            f"20 duplicates, got {len(buffer)} stored and {buffer.duplicates} duplicates"
        )

    run_checks(
        "check_dedup_key",
        [
            ("a hashable key", hashable),
            ("equal values in new arrays", equal_values_in_new_arrays),
            ("near-duplicates", near_duplicates_merge),
            ("-0.0 and 0.0", signed_zeros_merge),
            ("distinct actions", distinct_actions_stay_distinct),
            ("a difference in any one field", every_field_counts),
            ("the decimals argument", decimals_is_honoured),
            ("use as DedupBuffer's key", works_inside_dedup_buffer),
        ],
    )
