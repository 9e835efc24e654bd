"""DedupBuffer: duplicate counting, priority raising, key eviction, rounding, custom keys."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from a3cmem_lib.memory import DedupBuffer, FIFOBuffer, PrioritizedReplayBuffer, Transition


def stored_ids(buffer) -> list[int]:
    return [int(v) for v in buffer.buffer.get(np.arange(len(buffer))).state[:, 0]]


@pytest.fixture(params=["fifo", "prioritized"])
def inner(request):
    """A fresh inner buffer of either kind, by capacity."""
    if request.param == "fifo":
        return lambda capacity: FIFOBuffer(capacity, seed=0)
    return lambda capacity: PrioritizedReplayBuffer(capacity, seed=0)


# -- counting --------------------------------------------------------------------------------
def test_duplicate_push_returns_none_and_is_counted(inner, item):
    buffer = DedupBuffer(inner(10))
    assert buffer.duplicate_rate == 0.0
    assert buffer.push(item(0)) == 0
    assert buffer.push(item(1)) == 1
    assert buffer.push(item(0)) is None
    assert buffer.push(item(0)) is None
    assert buffer.push(item(2)) == 2
    assert len(buffer) == 3 and buffer.buffer.next_slot == 3
    assert buffer.duplicates == 2
    assert buffer.duplicate_rate == pytest.approx(2 / 5)
    assert stored_ids(buffer) == [0, 1, 2]
    assert buffer.capacity == 10


def test_items_differing_in_any_field_are_distinct(item):
    buffer = DedupBuffer(FIFOBuffer(10))
    base = item(1)
    variants = [
        base,
        base._replace(action=base.action + 1),
        base._replace(reward=base.reward + 1e-9),
        base._replace(done=not base.done),
        base._replace(next_state=base.next_state + np.float32(1)),
    ]
    assert [buffer.push(v) for v in variants] == [0, 1, 2, 3, 4]
    assert buffer.duplicates == 0
    assert buffer.push(base._replace(state=base.state.copy())) is None  # equal values, new array


def test_dict_and_tuple_items(item):
    buffer = DedupBuffer(FIFOBuffer(5))
    assert buffer.push({"obs": np.arange(3), "r": 1.0}) == 0
    assert buffer.push({"obs": np.arange(3), "r": 1.0}) is None
    assert buffer.push({"obs": np.arange(3), "r": 2.0}) == 1
    other = DedupBuffer(FIFOBuffer(5))
    assert other.push((np.zeros(2), 1)) == 0
    assert other.push((np.zeros(2), 1)) is None
    assert other.duplicates == 1


def test_extend_with_in_batch_duplicates(inner, batch):
    buffer = DedupBuffer(inner(10))
    buffer.push(Transition(*[f[0] for f in batch([5])]))
    slots = buffer.extend(batch([1, 2, 1, 5, 3, 2, 2]))
    assert slots.dtype == np.int64
    np.testing.assert_array_equal(slots, [1, 2, -1, -1, 3, -1, -1])
    assert buffer.duplicates == 4
    assert stored_ids(buffer) == [5, 1, 2, 3]
    assert buffer.buffer.next_slot == 4
    assert buffer.duplicate_rate == pytest.approx(4 / 8)


def test_extend_of_only_duplicates_stores_nothing(inner, batch):
    buffer = DedupBuffer(inner(6))
    buffer.extend(batch([0, 1]))
    np.testing.assert_array_equal(buffer.extend(batch([1, 0, 1])), [-1, -1, -1])
    assert len(buffer) == 2 and buffer.buffer.next_slot == 2 and buffer.duplicates == 3


# -- priorities ------------------------------------------------------------------------------
def test_duplicate_raises_stored_priority_to_the_larger(item):
    buffer = DedupBuffer(PrioritizedReplayBuffer(10))
    assert buffer.push(item(0), 2.0) == 0
    buffer.push(item(1), 0.5)
    assert buffer.push(item(0), 5.0) is None
    np.testing.assert_array_equal(buffer.buffer.priorities([0, 1]), [5.0, 0.5])
    assert buffer.push(item(0), 1.0) is None  # a lower priority does not lower it
    np.testing.assert_array_equal(buffer.buffer.priorities([0]), [5.0])
    assert buffer.push(item(1)) is None  # missing priority = largest so far (5.0)
    np.testing.assert_array_equal(buffer.buffer.priorities([1]), [5.0])
    assert buffer.duplicates == 3


def test_extend_raises_priority_of_stored_and_in_batch_copies(batch):
    buffer = DedupBuffer(PrioritizedReplayBuffer(10))
    buffer.extend(batch([0, 1]), [1.0, 1.0])
    given_priorities = np.array([2.0, 4.0, 0.5, 9.0, 3.0])
    slots = buffer.extend(batch([2, 2, 2, 1, 0]), given_priorities)
    np.testing.assert_array_equal(slots, [2, -1, -1, -1, -1])
    # item 2: its in-batch copies 4.0 and 0.5 -> 4.0; items 1, 0: stored copies raised
    np.testing.assert_array_equal(buffer.buffer.priorities([0, 1, 2]), [3.0, 9.0, 4.0])
    np.testing.assert_array_equal(given_priorities, [2.0, 4.0, 0.5, 9.0, 3.0])  # caller's array
    assert buffer.buffer.max_priority == 9.0


def test_a_duplicate_evicted_in_the_same_batch_still_counts_towards_max_priority(batch, item):
    # one by one: 0 raises its stored copy to 2.0 (max priority 2.0), then 3 overwrites it
    buffer = DedupBuffer(PrioritizedReplayBuffer(4))
    buffer.extend(batch([0, 1, 4]))
    np.testing.assert_array_equal(buffer.extend(batch([2, 0, 3]), [0.0, 2.0, 0.0]), [3, -1, 0])
    assert buffer.buffer.max_priority == 2.0
    assert buffer.push(item(0)) == 1
    np.testing.assert_array_equal(buffer.buffer.priorities([0, 1, 2, 3]), [0.0, 2.0, 1.0, 0.0])


def test_update_priorities_passes_through_for_prioritized_inner(batch):
    buffer = DedupBuffer(PrioritizedReplayBuffer(10))
    buffer.extend(batch([0, 1, 2]))
    buffer.update_priorities([1], [6.0])
    np.testing.assert_array_equal(buffer.buffer.priorities([0, 1, 2]), [1.0, 6.0, 1.0])


def test_priorities_around_a_fifo_inner_are_checked_and_ignored(batch, item, same_state):
    # a ReplayMemory has one signature: a uniform buffer accepts priorities, keeps nothing
    buffer = DedupBuffer(FIFOBuffer(10))
    buffer.extend(batch([0, 1]))
    before = buffer.state_dict()
    buffer.update_priorities([0], [1.0])
    same_state(buffer.state_dict(), before)
    assert buffer.push(item(7), 3.0) == 2
    assert buffer.push(item(7), 9.0) is None  # a duplicate: nothing to raise
    np.testing.assert_array_equal(buffer.extend(batch([8, 0]), [1.0, 2.0]), [3, -1])
    assert len(buffer) == 4 and buffer.duplicates == 2
    with pytest.raises(ValueError, match="priority"):
        buffer.push(item(9), -1.0)
    with pytest.raises(ValueError, match="priorities"):
        buffer.extend(batch([9]), [np.nan])
    with pytest.raises(ValueError, match="priorities"):
        buffer.update_priorities([0], [np.inf])
    with pytest.raises(ValueError, match="indices"):
        buffer.update_priorities([4], [1.0])
    assert len(buffer) == 4 and buffer.duplicates == 2


def test_sample_delegates(inner, batch):
    buffer = DedupBuffer(inner(10))
    buffer.extend(batch([3, 4, 5]))
    sampled, indices, weights = buffer.sample(3)
    assert type(sampled) is Transition and sampled.state.shape == (3, 3)
    np.testing.assert_array_equal(sampled.state[:, 0], np.array([3, 4, 5])[indices])
    assert weights.shape == (3,)


# -- eviction --------------------------------------------------------------------------------
def test_overwritten_item_can_be_stored_again(inner, item):
    buffer = DedupBuffer(inner(3))
    for i in range(3):
        buffer.push(item(i))
    assert buffer.push(item(0)) is None  # still stored
    assert buffer.push(item(3)) == 0  # overwrites item 0
    assert buffer.push(item(0)) == 1  # its key was forgotten: stored again, over item 1
    assert buffer.push(item(1)) == 2  # item 1 was just overwritten too
    assert buffer.push(item(3)) is None
    assert sorted(stored_ids(buffer)) == [0, 1, 3]
    assert buffer.duplicates == 2


def test_extend_evicts_keys_in_order(batch):
    buffer = DedupBuffer(FIFOBuffer(3))
    buffer.extend(batch([0, 1, 2]))
    # 3 evicts 0, so the later 0 in the same batch is new and evicts 1; 2 is still stored
    np.testing.assert_array_equal(buffer.extend(batch([3, 0, 2])), [0, 1, -1])
    assert stored_ids(buffer) == [3, 0, 2]
    assert buffer.duplicates == 1


class Reference:
    """Dedup over a ring, written the obvious way: a list of stored keys and priorities."""

    def __init__(self, capacity):
        self.keys = [None] * capacity
        self.priorities = [0.0] * capacity
        self.next = 0
        self.duplicates = 0
        self.max_priority = 1.0

    def push(self, key, priority):
        if key in self.keys:
            slot = self.keys.index(key)
            self.priorities[slot] = max(self.priorities[slot], priority)
            self.duplicates += 1
            self.max_priority = max(self.max_priority, priority)
            return -1
        slot = self.next
        self.keys[slot] = key
        self.priorities[slot] = priority
        self.max_priority = max(self.max_priority, priority)
        self.next = (slot + 1) % len(self.keys)
        return slot


operations = st.lists(
    st.tuples(
        st.lists(st.integers(0, 12), min_size=1, max_size=6),  # item ids (1 = push)
        st.one_of(st.none(), st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 4.0]), min_size=6)),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@example(
    capacity=4, ops=[([0, 1, 4], None), ([2, 0, 3], [0.0, 2.0, 0.0]), ([0], None)], prioritized=True
)
@given(capacity=st.integers(1, 6), ops=operations, prioritized=st.booleans())
def test_random_streams_match_the_reference(item, batch, capacity, ops, prioritized):
    inner = PrioritizedReplayBuffer(capacity) if prioritized else FIFOBuffer(capacity)
    buffer = DedupBuffer(inner)
    reference = Reference(capacity)
    for ids, priorities in ops:
        ids = ids[:capacity]
        if not prioritized:
            priorities = None
        wanted = (
            [reference.max_priority] * len(ids) if priorities is None else priorities[: len(ids)]
        )
        if len(ids) == 1:
            slot = buffer.push(item(ids[0]), None if priorities is None else priorities[0])
            got = [-1 if slot is None else slot]
        else:
            given_p = None if priorities is None else np.array(priorities[: len(ids)])
            got = buffer.extend(batch(ids), given_p).tolist()
        want = [reference.push(i, p) for i, p in zip(ids, wanted, strict=True)]
        assert got == want
        assert buffer.duplicates == reference.duplicates
        stored = [k for k in reference.keys if k is not None]
        assert len(buffer) == len(stored)
        assert stored_ids(buffer) == stored
        assert buffer.buffer.next_slot == reference.next
        assert len(buffer._slot_of) <= capacity  # the key table never outgrows the ring
        if prioritized:
            np.testing.assert_array_equal(
                buffer.buffer.priorities(np.arange(len(buffer))),
                reference.priorities[: len(stored)],
            )


def test_key_table_stays_bounded_on_a_long_stream(batch):
    rng = np.random.default_rng(0)
    buffer = DedupBuffer(PrioritizedReplayBuffer(50, seed=0))
    for _ in range(300):
        ids = rng.integers(0, 400, rng.integers(1, 20))
        buffer.extend(batch(ids), rng.uniform(0, 2, len(ids)))
        assert len(buffer._slot_of) <= 50  # private: the key table
        assert len(buffer) <= 50
    stored = stored_ids(buffer)
    assert len(set(stored)) == len(stored) == 50
    assert buffer.duplicates > 0


# -- rounding and custom keys ----------------------------------------------------------------
def test_decimals_merges_near_duplicates_and_keeps_exact_values(item):
    a = item(1)
    near = a._replace(state=a.state + np.float32(1e-4), reward=a.reward + 1e-7)
    exact = DedupBuffer(FIFOBuffer(5))
    assert exact.push(a) == 0 and exact.push(near) == 1
    rounded = DedupBuffer(FIFOBuffer(5), decimals=2)
    assert rounded.push(near) == 0
    assert rounded.push(a) is None
    assert rounded.duplicates == 1
    # what is stored is the item as given, not its rounded key
    np.testing.assert_array_equal(rounded.buffer.get([0]).state[0], near.state)
    # rounding to 2 decimals still tells 0.1 from 0.2
    assert rounded.push(a._replace(reward=a.reward + 0.1)) == 1


def test_decimals_merges_negative_and_positive_zero(item):
    a = item(0)._replace(state=np.array([0.0, 1.0, -0.0], np.float32))
    b = a._replace(state=np.array([-0.0, 1.0, 0.0], np.float32))
    exact = DedupBuffer(FIFOBuffer(5))
    assert exact.push(a) == 0 and exact.push(b) == 1  # different bytes
    rounded = DedupBuffer(FIFOBuffer(5), decimals=3)
    assert rounded.push(a) == 0 and rounded.push(b) is None
    tiny = a._replace(state=np.array([-1e-6, 1.0, 1e-6], np.float32))  # rounds to -0.0 and 0.0
    assert rounded.push(tiny) is None


def test_decimals_leaves_integer_and_bool_fields_alone():
    buffer = DedupBuffer(FIFOBuffer(10), decimals=-1)  # floats rounded to tens
    assert buffer.push((np.array([11.0]), np.array([11]), True)) == 0
    assert buffer.push((np.array([12.0]), np.array([11]), True)) is None  # 11.0 ~ 12.0
    assert buffer.push((np.array([11.0]), np.array([12]), True)) == 1  # 11 != 12 (integers)
    assert buffer.push((np.array([11.0]), np.array([11]), False)) == 2


def test_decimals_applies_in_extend(batch):
    buffer = DedupBuffer(FIFOBuffer(10), decimals=3)
    items = batch([1, 1, 2])
    items = items._replace(state=items.state + np.array([[0], [1e-5], [0]], np.float32))
    np.testing.assert_array_equal(buffer.extend(items), [0, -1, 1])


def test_custom_key_on_state_and_action(item, batch):
    buffer = DedupBuffer(
        FIFOBuffer(10), key=lambda t: (np.asarray(t.state).tobytes(), int(t.action))
    )
    a = item(4)
    assert buffer.push(a) == 0
    assert buffer.push(a._replace(reward=-100.0, done=not a.done)) is None  # same state+action
    assert buffer.push(a._replace(action=a.action + 1)) == 1
    slots = buffer.extend(batch([4, 5, 5]))
    np.testing.assert_array_equal(slots, [-1, 2, -1])
    assert buffer.duplicates == 3
    assert buffer.key_of(a) == (a.state.tobytes(), a.action)


def test_default_key_is_stable_and_ignores_array_identity(item):
    buffer = DedupBuffer(FIFOBuffer(3))
    assert buffer.key_of(item(3)) == buffer.key_of(item(3))
    assert buffer.key_of(item(3)) != buffer.key_of(item(4))


# -- housekeeping ----------------------------------------------------------------------------
def test_clear_forgets_keys_and_counters(inner, item):
    buffer = DedupBuffer(inner(4))
    buffer.push(item(0))
    buffer.push(item(0))
    buffer.clear()
    assert len(buffer) == 0 and buffer.duplicates == 0 and buffer.duplicate_rate == 0.0
    assert buffer.push(item(0)) == 0


@pytest.mark.parametrize("through_pickle", [False, True])
def test_state_dict_round_trip(inner, batch, item, same_state, through_pickle):
    original = DedupBuffer(inner(6))
    original.extend(batch([0, 1, 2, 1]))
    original.extend(batch([3, 4, 5, 6]))  # wraps: 6 evicts 0
    original.sample(3)
    state = original.state_dict()
    if through_pickle:
        state = pickle.loads(pickle.dumps(state))
    restored = DedupBuffer(inner(6))
    restored.load_state_dict(state)
    same_state(restored.state_dict(), original.state_dict())
    assert restored.duplicates == 1 and restored.duplicate_rate == original.duplicate_rate
    for _ in range(3):
        (ba, ia, wa), (bb, ib, wb) = original.sample(4), restored.sample(4)
        np.testing.assert_array_equal(ia, ib)
        np.testing.assert_array_equal(wa, wb)
        np.testing.assert_array_equal(ba.state, bb.state)
    for copy in (original, restored):
        assert copy.push(item(4)) is None  # still stored
        assert copy.push(item(0)) == 1  # evicted earlier: stored again
        assert copy.push(item(1)) == 2  # just evicted by 0
    same_state(restored.state_dict(), original.state_dict())
