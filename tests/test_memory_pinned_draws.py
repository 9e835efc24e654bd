"""PrioritizedReplayBuffer draws pinned bit for bit: a seed gives the indices, weights and
batches it gave before the sampling path was optimised (issue 13), so the outputs printed by
chapters 02-04 stay the same. The digests were recorded from the implementation of
commit c4b612d."""

from __future__ import annotations

import copy
import hashlib
import pickle

import numpy as np
import pytest

from a3cmem_lib.memory import PrioritizedReplayBuffer, Transition


def draws(capacity: int, stored: int, batch_size: int, steps: int = 5):
    """Fill a seeded buffer (wrapping when ``stored > capacity``), push one item, then
    alternate sample and update_priorities ``steps`` times (β given every other step).

    Returns the first draw's leading indices and weights, and a digest of every draw's
    indices, weights and batch fields."""
    rng = np.random.default_rng(123)
    data = Transition(
        rng.standard_normal((stored, 4), dtype=np.float32),
        rng.integers(0, 2, stored),
        rng.random(stored, dtype=np.float32),
        rng.standard_normal((stored, 4), dtype=np.float32),
        rng.random(stored) < 0.1,
    )
    buffer = PrioritizedReplayBuffer(capacity, alpha=0.6, beta=0.4, seed=3)
    for start in range(0, stored, capacity):
        part = Transition(*(field[start : start + capacity] for field in data))
        buffer.extend(part, rng.random(len(part.action)) + 0.01)
    buffer.push(Transition(*(field[0] for field in data)), 0.5)
    digest = hashlib.sha256()
    first = None
    for step in range(steps):
        batch, indices, weights = buffer.sample(batch_size, beta=None if step % 2 else 0.7)
        first = first or (indices[:4].tolist(), weights[:4].tolist())
        for array in (indices, weights, *batch):
            digest.update(np.ascontiguousarray(array).tobytes())
        buffer.update_priorities(indices, rng.random(batch_size) * 2)
    return first, digest.hexdigest()[:32]


# (capacity, stored, batch): sum-trees of depth 0, 1, 2 and 2 (capacity 1M, partly filled)
PINNED = [
    (
        (50, 80, 8),
        [0, 7, 16, 22],
        [0.4565480649471283, 0.38374289870262146, 0.4141344130039215, 0.3887452483177185],
        "0abfca7a3c0010547c679ac7c74c8df6",
    ),
    (
        (5000, 5000, 32),
        [16, 187, 432, 552],
        [0.1468934714794159, 0.1514693647623062, 0.1567373424768448, 0.2476443499326706],
        "d7deba9cfc1689837619c8f9edae6a44",
    ),
    (
        (70000, 70000, 256),
        [23, 348, 795, 999],
        [0.25795161724090576, 0.15092843770980835, 0.24173496663570404, 0.1592426747083664],
        "c4836bdb822bd45898ce43299da8de78",
    ),
    (
        (1_000_000, 300_000, 256),
        [96, 1430, 3254, 4183],
        [0.15839740633964539, 0.15490245819091797, 0.17181836068630219, 0.1611459106206894],
        "ab0f70ab2fcb24c1097466e319ad563b",
    ),
]


@pytest.mark.parametrize("shape, indices, weights, digest", PINNED, ids=lambda v: str(v))
def test_seeded_draws_are_pinned(shape, indices, weights, digest):
    (first_indices, first_weights), got = draws(*shape)
    assert first_indices == indices
    assert first_weights == weights  # float32 values, compared exactly
    assert got == digest


@pytest.mark.parametrize("copy_buffer", [copy.deepcopy, lambda b: pickle.loads(pickle.dumps(b))])
def test_a_copied_buffer_draws_as_the_original(copy_buffer):
    # The sum-tree keeps views of its own arrays; a copy must rebuild them, or its searches
    # would read arrays its updates no longer write.
    rng = np.random.default_rng(1)
    original = PrioritizedReplayBuffer(5000, seed=2)
    original.extend(
        Transition(
            rng.random((5000, 4)),
            np.zeros(5000, int),
            np.ones(5000),
            rng.random((5000, 4)),
            np.zeros(5000, bool),
        ),
        rng.random(5000),
    )
    original.sample(32)
    copied = copy_buffer(original)
    for step in range(10):
        _, indices, weights = original.sample(32)
        _, copied_indices, copied_weights = copied.sample(32)
        np.testing.assert_array_equal(copied_indices, indices)
        np.testing.assert_array_equal(copied_weights, weights)
        original.update_priorities(indices, np.arange(32.0) + step)
        copied.update_priorities(copied_indices, np.arange(32.0) + step)
