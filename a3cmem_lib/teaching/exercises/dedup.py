"""Checks for the exercises of ``notebooks/04_deduplication.ipynb``.

Exercise, ``rounded_key(item, decimals)``: ``item`` is one
:class:`~a3cmem_lib.memory.Transition` (``state`` and ``next_state`` float arrays
``(obs_dim,)``, ``action`` an integer, ``reward`` a float, ``done`` a bool; inside
:class:`~a3cmem_lib.memory.DedupBuffer` each field arrives as a numpy array, scalars as 0-d
arrays). Return a hashable key such that two transitions get the same key exactly when their
float fields agree after rounding to ``decimals`` decimals (so -0.0 and 0.0 agree) and their
action and ``done`` are equal.

Exercise 2, ``MyDedupRing(capacity)``: a ring of ``capacity`` slots that stores keys, each at
most once. ``push(key)`` returns ``None`` if ``key`` is held (a duplicate: nothing changes),
else stores it in the slot after the previous one (0, 1, ..., capacity - 1, then 0 again) and
returns that slot; ``len(ring)`` is the number of keys held. When the ring overwrites a slot,
the key it held is **forgotten**: the same key offered later is new again. The reference is
:class:`~a3cmem_lib.memory.DedupBuffer` around a :class:`~a3cmem_lib.memory.FIFOBuffer`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from a3cmem_lib.memory import DedupBuffer, FIFOBuffer, Transition

from .runner import resolve_seed, run_checks


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


def check_dedup_key(rounded_key: Callable[[Any, int], Hashable], *, seed: int | None = 0) -> None:
    """Check ``rounded_key(item, decimals)`` on near-duplicates, signed zeros and distinct items.

    Explained in ``notebooks/04_deduplication.ipynb`` (exercise).
    ``seed`` draws the random cases (``None``: fresh ones, nbgrader's hidden tests).
    Prints a pass message or raises
    :class:`~a3cmem_lib.teaching.exercises.ExerciseCheckError` naming the failed case.
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

    def near_duplicate_next_states_merge() -> None:
        noisy = base._replace(next_state=base.next_state + np.float32(0.0004))
        same(
            base,
            noisy,
            2,
            f"next states {np.round(base.next_state, 4).tolist()} and "
            f"{np.round(noisy.next_state, 4).tolist()} (0.0004 apart): next_state is a float "
            "field too and must be rounded like state",
        )

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

    used = resolve_seed(seed)

    def works_inside_dedup_buffer() -> None:
        rng = np.random.default_rng(used)
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
            ("near-duplicate next states", near_duplicate_next_states_merge),
            ("-0.0 and 0.0", signed_zeros_merge),
            ("distinct actions", distinct_actions_stay_distinct),
            ("a difference in any one field", every_field_counts),
            ("the decimals argument", decimals_is_honoured),
            ("use as DedupBuffer's key", works_inside_dedup_buffer),
        ],
        seed=used if seed is None else None,
    )


def _reference_slots(capacity: int, keys: list[int]) -> list[int | None]:
    """What ``DedupBuffer(FIFOBuffer(capacity))`` returns for each of ``keys`` pushed in turn."""
    buffer = DedupBuffer(FIFOBuffer(capacity), key=lambda record: int(record[0]))
    return [buffer.push((key,)) for key in keys]


def check_dedup_eviction(ring_class: Callable[[int], Any], *, seed: int | None = 0) -> None:
    """Check ``MyDedupRing(capacity)`` (``push(key) -> slot | None``, ``len``) against
    :class:`~a3cmem_lib.memory.DedupBuffer`: duplicates refused, evicted keys forgotten.

    Explained in ``notebooks/04_deduplication.ipynb`` (exercise 2).
    ``seed`` draws the random cases (``None``: fresh ones, nbgrader's hidden tests).
    Prints a pass message or raises
    :class:`~a3cmem_lib.teaching.exercises.ExerciseCheckError` naming the failed case.
    """

    def agrees(capacity: int, keys: list[int], why: str) -> None:
        ring = ring_class(capacity)
        expected = _reference_slots(capacity, keys)
        for step, (key, want) in enumerate(zip(keys, expected, strict=True)):
            got = ring.push(key)
            got = None if got is None else int(got)
            pushed = f"capacity {capacity}, keys pushed {keys[: step + 1]}"
            if got != want:
                if want is None:
                    concept = f"key {key} is held, so it is a duplicate: push returns None"
                elif key in keys[:step]:
                    concept = (
                        f"key {key} was held once, but its slot has been overwritten since: an "
                        "evicted item's key must be forgotten, so the key is new again"
                    )
                else:
                    concept = "a new key goes into the slot after the previous stored one"
                raise AssertionError(
                    f"{why}: {pushed}: push({key}) returned {got}, expected {want} ({concept})"
                )
            stored = min(capacity, sum(slot is not None for slot in expected[: step + 1]))
            assert len(ring) == stored, (
                f"{why}: {pushed}: len() is {len(ring)}, expected {stored} keys held"
            )

    def duplicates_are_refused() -> None:
        agrees(4, [7, 8, 7, 8, 9], "keys offered twice while held")

    def evicted_keys_are_forgotten() -> None:
        agrees(3, [1, 2, 3, 1, 4, 1, 2], "a key whose slot the ring overwrote")

    def capacity_one() -> None:
        agrees(1, [5, 5, 6, 5, 5], "a ring of one slot")

    used = resolve_seed(seed)

    def random_sequences() -> None:
        rng = np.random.default_rng(used)
        for _ in range(20):
            capacity = int(rng.integers(1, 8))
            keys = rng.integers(0, 2 * capacity + 2, size=int(rng.integers(1, 40))).tolist()
            agrees(capacity, keys, "random keys")

    run_checks(
        "check_dedup_eviction",
        [
            ("duplicates of held keys", duplicates_are_refused),
            ("keys of overwritten items", evicted_keys_are_forgotten),
            ("capacity 1", capacity_one),
            ("20 random key sequences", random_sequences),
        ],
        seed=used if seed is None else None,
    )
