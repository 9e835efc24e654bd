"""FIFOBuffer: ring order, batched writes, sample structure, uniformity, checkpoints."""

from __future__ import annotations

import pickle
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from a3cmem_lib.memory import FIFOBuffer, Transition


class TransitionWithLogProb(NamedTuple):
    """A user-defined record with an extra field (the behaviour policy's log-probability)."""

    state: np.ndarray
    action: int
    reward: float
    next_state: np.ndarray
    done: bool
    log_prob: float


def stored_ids(buffer: FIFOBuffer) -> list[int]:
    """The id of the item in every slot, slot order."""
    return [int(v) for v in buffer.get(np.arange(len(buffer))).state[:, 0]]


# -- order and wrap-around -------------------------------------------------------------------
def test_push_fills_slots_in_order_then_overwrites_oldest(item):
    buffer = FIFOBuffer(5)
    for i in range(12):
        slot = buffer.push(item(i))
        assert slot == i % 5
        assert isinstance(slot, int)
        assert len(buffer) == min(i + 1, 5)
        assert buffer.next_slot == (i + 1) % 5
    # items 0..6 were overwritten; slot s holds the newest item i with i % 5 == s
    assert stored_ids(buffer) == [10, 11, 7, 8, 9]
    assert buffer.capacity == 5


def test_next_slot_points_at_the_oldest_item_once_full(item):
    buffer = FIFOBuffer(4)
    for i in range(6):
        buffer.push(item(i))
    oldest = buffer.get([buffer.next_slot]).state[0, 0]
    assert oldest == min(stored_ids(buffer)) == 2
    buffer.push(item(6))
    assert 2 not in stored_ids(buffer)
    assert sorted(stored_ids(buffer)) == [3, 4, 5, 6]


def test_capacity_one_keeps_only_the_newest(item):
    buffer = FIFOBuffer(1)
    for i in range(3):
        assert buffer.push(item(i)) == 0
        assert len(buffer) == 1 and buffer.next_slot == 0
    assert stored_ids(buffer) == [2]


def test_stored_item_is_bit_exact(item):
    buffer = FIFOBuffer(3)
    buffer.push(item(7))
    got = buffer.get([0])
    want = item(7)
    np.testing.assert_array_equal(got.state, want.state[None])
    assert got.state.dtype == np.float32
    assert got.action.dtype == np.int64 and got.action[0] == want.action
    assert got.reward.dtype == np.float64 and got.reward[0] == want.reward
    assert got.done.dtype == np.bool_ and got.done[0] == want.done
    np.testing.assert_array_equal(got.next_state, want.next_state[None])


def test_extend_returns_slots_across_the_wrap(batch):
    buffer = FIFOBuffer(5)
    np.testing.assert_array_equal(buffer.extend(batch([0, 1, 2])), [0, 1, 2])
    slots = buffer.extend(batch([3, 4, 5, 6]))
    assert slots.dtype == np.int64
    np.testing.assert_array_equal(slots, [3, 4, 0, 1])
    assert len(buffer) == 5 and buffer.next_slot == 2
    assert stored_ids(buffer) == [5, 6, 2, 3, 4]


def test_extend_of_whole_capacity_replaces_everything(batch):
    buffer = FIFOBuffer(4)
    buffer.extend(batch([0, 1]))
    np.testing.assert_array_equal(buffer.extend(batch([10, 11, 12, 13])), [2, 3, 0, 1])
    assert stored_ids(buffer) == [12, 13, 10, 11]
    assert buffer.next_slot == 2


@settings(max_examples=40, deadline=None)
@given(
    capacity=st.integers(1, 9),
    sizes=st.lists(st.integers(0, 9), min_size=1, max_size=8),
)
def test_extend_equals_repeated_push(item, batch, capacity, sizes):
    by_push = FIFOBuffer(capacity, seed=3)
    by_extend = FIFOBuffer(capacity, seed=3)
    first = 0
    for size in sizes:
        size = min(size, capacity)
        ids = list(range(first, first + size))
        first += size
        push_slots = [by_push.push(item(i)) for i in ids]
        extend_slots = by_extend.extend(batch(ids))
        assert list(extend_slots) == push_slots
        assert len(by_push) == len(by_extend)
        assert by_push.next_slot == by_extend.next_slot
    if len(by_push):
        a = by_push.get(np.arange(len(by_push)))
        b = by_extend.get(np.arange(len(by_extend)))
        for x, y in zip(a, b, strict=True):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)
        batch_size = len(by_push)
        np.testing.assert_array_equal(
            by_push.sample(batch_size)[1], by_extend.sample(batch_size)[1]
        )


# -- sampling: structure ---------------------------------------------------------------------
def test_sample_namedtuple_has_leading_batch_axis_and_matches_indices(item):
    buffer = FIFOBuffer(10, seed=0)
    for i in range(6):
        buffer.push(item(i))
    batch, indices, weights = buffer.sample(4)
    assert type(batch) is Transition
    assert batch.state.shape == (4, 3) and batch.state.dtype == np.float32
    assert batch.next_state.shape == (4, 3)
    assert batch.action.shape == batch.reward.shape == batch.done.shape == (4,)
    assert indices.shape == (4,) and indices.dtype == np.int64
    assert np.all((0 <= indices) & (indices < 6))
    # the batch rows are the items in the sampled slots (slot s holds item s here)
    np.testing.assert_array_equal(batch.state[:, 0], indices.astype(np.float32))
    np.testing.assert_array_equal(batch.action, indices % 4)
    assert weights.dtype == np.float32
    np.testing.assert_array_equal(weights, np.ones(4))


def test_sample_plain_tuple_items():
    buffer = FIFOBuffer(8, seed=1)
    for i in range(5):
        buffer.push((np.array([i, -i], dtype=np.int32), float(i)))
    batch, indices, _ = buffer.sample(3)
    assert type(batch) is tuple and len(batch) == 2
    assert batch[0].shape == (3, 2) and batch[0].dtype == np.int32
    assert batch[1].shape == (3,)
    np.testing.assert_array_equal(batch[0][:, 0], indices)
    np.testing.assert_array_equal(batch[1], indices.astype(float))


def test_sample_dict_items():
    buffer = FIFOBuffer(8, seed=2)
    for i in range(5):
        buffer.push({"obs": np.full((2, 2), i, dtype=np.uint8), "ret": float(i)})
    batch, indices, _ = buffer.sample(5)
    assert type(batch) is dict and list(batch) == ["obs", "ret"]
    assert batch["obs"].shape == (5, 2, 2) and batch["obs"].dtype == np.uint8
    np.testing.assert_array_equal(batch["obs"][:, 0, 0], indices)
    np.testing.assert_array_equal(batch["ret"], indices.astype(float))


def test_sample_custom_namedtuple_with_extra_field():
    buffer = FIFOBuffer(8, seed=3)
    for i in range(5):
        buffer.push(
            TransitionWithLogProb(
                np.full(3, i, np.float32), i, 1.0, np.zeros(3, np.float32), False, -0.5 * i
            )
        )
    batch, indices, _ = buffer.sample(4)
    assert type(batch) is TransitionWithLogProb
    assert batch.log_prob.shape == (4,)
    np.testing.assert_array_equal(batch.log_prob, -0.5 * indices)


def test_sample_draws_only_stored_slots(item):
    buffer = FIFOBuffer(100, seed=4)
    for i in range(3):
        buffer.push(item(i))
    seen = set()
    for _ in range(200):
        seen.update(buffer.sample(3)[1].tolist())
    assert seen == {0, 1, 2}


def test_sample_is_statistically_uniform(batch):
    n = 25
    buffer = FIFOBuffer(40, seed=5)
    buffer.extend(batch(range(n)))
    counts = np.zeros(n, dtype=np.int64)
    for _ in range(4000):  # 100k draws
        counts += np.bincount(buffer.sample(n)[1], minlength=n)
    assert counts.sum() == 100_000
    assert chisquare(counts).pvalue > 1e-4
    # the same test rejects a wrong hypothesis, so it can fail
    skewed = np.linspace(1, 2, n)
    assert chisquare(counts, skewed / skewed.sum() * counts.sum()).pvalue < 1e-4


def test_seeded_buffers_are_reproducible_and_seeds_matter(batch):
    def draws(seed):
        buffer = FIFOBuffer(50, seed=seed)
        buffer.extend(batch(range(50)))
        return np.concatenate([buffer.sample(20)[1] for _ in range(5)])

    np.testing.assert_array_equal(draws(11), draws(11))
    assert not np.array_equal(draws(11), draws(12))


# -- housekeeping ----------------------------------------------------------------------------
def test_clear_empties_and_forgets_structure(item):
    buffer = FIFOBuffer(4)
    for i in range(6):
        buffer.push(item(i))
    buffer.clear()
    assert len(buffer) == 0 and buffer.next_slot == 0
    with pytest.raises(ValueError, match="batch_size"):
        buffer.sample(1)
    # a different structure is accepted after clear()
    assert buffer.push((np.zeros(2),)) == 0
    assert len(buffer) == 1


def test_nbytes_counts_the_preallocated_columns(item):
    buffer = FIFOBuffer(10)
    assert buffer.nbytes == 0
    buffer.push(item(0))
    per_item = 3 * 4 + 8 + 8 + 3 * 4 + 1  # state, action, reward, next_state, done
    assert buffer.nbytes == 10 * per_item


# -- checkpoints -----------------------------------------------------------------------------
def filled_buffer(batch) -> FIFOBuffer:
    buffer = FIFOBuffer(7, seed=21)
    buffer.extend(batch(range(5)))
    buffer.extend(batch(range(5, 10)))  # wraps
    buffer.sample(3)  # advance the generator
    return buffer


@pytest.mark.parametrize("through_pickle", [False, True])
def test_state_dict_round_trip_is_bit_exact(item, batch, same_state, through_pickle):
    original = filled_buffer(batch)
    state = original.state_dict()
    if through_pickle:
        state = pickle.loads(pickle.dumps(state))
    restored = FIFOBuffer(7, seed=999)
    restored.load_state_dict(state)
    assert len(restored) == len(original) == 7
    assert restored.next_slot == original.next_slot == 3
    same_state(restored.state_dict(), original.state_dict())
    a, b = original.get(np.arange(7)), restored.get(np.arange(7))
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes()
    for _ in range(3):
        (batch_a, idx_a, _), (batch_b, idx_b, _) = original.sample(5), restored.sample(5)
        np.testing.assert_array_equal(idx_a, idx_b)
        np.testing.assert_array_equal(batch_a.state, batch_b.state)
    # and both continue identically
    assert original.push(item(50)) == restored.push(item(50)) == 3
    same_state(restored.state_dict(), original.state_dict())


def test_whole_buffer_pickles(batch, same_state):
    original = filled_buffer(batch)
    copy = pickle.loads(pickle.dumps(original))
    same_state(copy.state_dict(), original.state_dict())
    np.testing.assert_array_equal(copy.sample(4)[1], original.sample(4)[1])


def test_state_dict_is_a_snapshot(batch, item):
    buffer = filled_buffer(batch)
    state = buffer.state_dict()
    before = state["storage"]["columns"][0].copy()
    for i in range(100, 107):
        buffer.push(item(i))
    np.testing.assert_array_equal(state["storage"]["columns"][0], before)
    restored = FIFOBuffer(7)
    restored.load_state_dict(state)
    assert 100 not in stored_ids(restored)


def test_load_state_dict_of_empty_buffer(batch):
    buffer = filled_buffer(batch)
    buffer.load_state_dict(FIFOBuffer(7).state_dict())
    assert len(buffer) == 0 and buffer.next_slot == 0


def test_load_state_dict_rejects_other_capacity(batch):
    with pytest.raises(ValueError, match="capacity"):
        FIFOBuffer(8).load_state_dict(filled_buffer(batch).state_dict())
