"""The exercise checks' shared promises, and the checks of the two newest exercises.

- every check accepts ``seed`` and, with ``seed=None`` (nbgrader's hidden tests), draws fresh
  random cases and names the seed in a failure, so it can be replayed;
- failure messages name the concept and show the inputs needed to recompute the answer;
- ``check_new_item_priority`` (chapter 03) and ``check_dedup_eviction`` (chapter 04) pass on
  correct answers and reject the typical mistakes.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from a3cmem_lib.exercises import (
    ExerciseCheckError,
    check_dedup_eviction,
    check_gae,
    check_importance_weights,
    check_new_item_priority,
    resolve_seed,
)


def test_resolve_seed_keeps_a_seed_and_draws_a_fresh_one_for_none() -> None:
    assert resolve_seed(7) == 7
    assert len({resolve_seed(None) for _ in range(5)}) > 1


# -- check_new_item_priority ----------------------------------------------------------------
class RunningMax:
    def __init__(self):
        self.maximum = 1.0

    def new_item(self):
        return self.maximum

    def update(self, priorities):
        self.maximum = max(self.maximum, float(np.max(priorities)))


class FixedOne(RunningMax):
    def new_item(self):
        return 1.0


class Zero(RunningMax):
    def new_item(self):
        return 0.0


class LastUpdateOnly(RunningMax):
    def update(self, priorities):
        self.maximum = float(np.max(priorities))


class StartsAtZero(RunningMax):
    def __init__(self):
        self.maximum = 0.0


@pytest.mark.parametrize("seed", [0, None])
def test_new_item_priority_passes_the_running_maximum(seed, capsys) -> None:
    check_new_item_priority(RunningMax, seed=seed)
    assert "✓ check_new_item_priority passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (FixedOne, "a fixed 1.0"),
        (LastUpdateOnly, "the maximum of the last update only"),
        (Zero, "before any update a new item gets priority 1.0"),
        (StartsAtZero, "before any update"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_new_item_priority_rejects_typical_mistakes(wrong, message) -> None:
    with pytest.raises(ExerciseCheckError, match=re.escape(message)):
        check_new_item_priority(wrong)


# -- check_dedup_eviction -------------------------------------------------------------------
class Ring:
    def __init__(self, capacity):
        self.capacity, self.keys, self.slot_of = capacity, [None] * capacity, {}
        self.next, self.size = 0, 0

    def push(self, key):
        if key in self.slot_of:
            return None
        slot = self.next
        self.forget(self.keys[slot])
        self.keys[slot], self.slot_of[key] = key, slot
        self.next, self.size = (slot + 1) % self.capacity, min(self.size + 1, self.capacity)
        return slot

    def forget(self, key):
        self.slot_of.pop(key, None)

    def __len__(self):
        return self.size


class NeverForgets(Ring):
    def forget(self, key):
        pass


class NoDedup(Ring):
    def push(self, key):
        self.slot_of.clear()
        return super().push(key)


@pytest.mark.parametrize("seed", [0, None])
def test_dedup_eviction_passes_a_correct_ring(seed, capsys) -> None:
    check_dedup_eviction(Ring, seed=seed)
    assert "✓ check_dedup_eviction passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [(NeverForgets, "evicted item's key must be forgotten"), (NoDedup, "is a duplicate")],
    ids=["never_forgets", "no_dedup"],
)
def test_dedup_eviction_rejects_typical_mistakes(wrong, message) -> None:
    with pytest.raises(ExerciseCheckError, match=message):
        check_dedup_eviction(wrong)


# -- messages --------------------------------------------------------------------------------
def test_batch_normalised_weights_are_named_as_such() -> None:
    def batch_normalised(probabilities, indices, beta):
        weights = (len(probabilities) * probabilities[indices]) ** (-beta)
        return weights / weights.max()

    with pytest.raises(ExerciseCheckError, match="largest weight in this batch") as info:
        check_importance_weights(batch_normalised)
    assert "largest weight any stored item could get" in str(info.value)


def test_gae_failure_shows_the_values() -> None:
    def no_lambda(rewards, values, next_values, terminated, truncated, gamma, gae_lambda):
        return rewards + gamma * ~terminated * next_values - values

    with pytest.raises(ExerciseCheckError, match=r"values=\[1\.5, 2\.5"):
        check_gae(no_lambda)


def test_a_hidden_failure_names_its_seed() -> None:
    def never_forgets_on_random_only(capacity):
        return NeverForgets(capacity) if capacity > 3 else Ring(capacity)

    with pytest.raises(ExerciseCheckError, match=r"seed=\d+; pass seed=\d+ to replay"):
        check_dedup_eviction(never_forgets_on_random_only, seed=None)
