"""Bad input: every call raises ValueError or TypeError naming the argument, and a failed call
leaves the buffer exactly as it was (nothing stored half-way)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import pytest

from a3cmem_lib.memory import (
    DedupBuffer,
    FIFOBuffer,
    PrioritizedReplayBuffer,
    SumTree,
    Transition,
    anneal_beta,
)


class OtherRecord(NamedTuple):
    """Same field names as Transition, but a different record type."""

    state: np.ndarray
    action: int
    reward: float
    next_state: np.ndarray
    done: bool


class ShortRecord(NamedTuple):
    state: np.ndarray
    action: int


KINDS = ["fifo", "prioritized", "dedup-fifo", "dedup-prioritized"]


def make_buffer(kind: str, capacity: int = 8):
    if kind == "fifo":
        return FIFOBuffer(capacity, seed=0)
    if kind == "prioritized":
        return PrioritizedReplayBuffer(capacity, seed=0)
    inner = FIFOBuffer if kind == "dedup-fifo" else PrioritizedReplayBuffer
    return DedupBuffer(inner(capacity, seed=0))


@pytest.fixture(params=KINDS)
def kind(request):
    return request.param


def fill(buffer, batch):
    """Items 0..4 into a buffer of capacity 8 (priorities 1..5 when prioritized)."""
    if prioritized(buffer):
        buffer.extend(batch(range(5)), np.arange(1.0, 6.0))
    else:
        buffer.extend(batch(range(5)))
    return buffer


@pytest.fixture
def partly_filled(kind, batch):
    """Each kind of buffer, capacity 8, holding items 0..4."""
    return fill(make_buffer(kind), batch)


@pytest.fixture(params=["prioritized", "dedup-prioritized"])
def per_filled(request, batch):
    """Each kind of prioritized buffer, capacity 8, holding items 0..4 with priorities 1..5."""
    return fill(make_buffer(request.param), batch)


@pytest.fixture
def unchanged(same_state):
    """``with unchanged(buffer, Error, "name"):`` — the body raises Error naming ``name``, and
    the buffer's full checkpoint (items, ring position, priorities, keys, rng) is unchanged."""

    @contextmanager
    def check(buffer, error, name):
        before = buffer.state_dict()
        size = len(buffer)
        with pytest.raises(error, match=name):
            yield
        assert len(buffer) == size
        same_state(buffer.state_dict(), before)

    return check


def prioritized(buffer) -> bool:
    return isinstance(buffer, PrioritizedReplayBuffer) or (
        isinstance(buffer, DedupBuffer) and buffer.prioritized
    )


# -- constructors ----------------------------------------------------------------------------
CONSTRUCTORS = [
    FIFOBuffer,
    PrioritizedReplayBuffer,
    SumTree,
    lambda capacity: DedupBuffer(FIFOBuffer(capacity)),
]


@pytest.mark.parametrize("make", CONSTRUCTORS)
@pytest.mark.parametrize(
    "capacity, error",
    [(0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError), ("3", TypeError)],
)
def test_bad_capacity(make, capacity, error):
    with pytest.raises(error, match="capacity"):
        make(capacity)


def test_numpy_integer_capacity_is_fine():
    assert FIFOBuffer(np.int64(3)).capacity == 3


@pytest.mark.parametrize("name", ["alpha", "beta"])
@pytest.mark.parametrize(
    "value, error",
    [(-0.1, ValueError), (1.1, ValueError), (np.nan, ValueError), (np.inf, ValueError)]
    + [("0.5", TypeError), (None, TypeError)],
)
def test_bad_alpha_beta_in_constructor(name, value, error):
    with pytest.raises(error, match=name):
        PrioritizedReplayBuffer(8, **{name: value})


@pytest.mark.parametrize("name", ["alpha", "beta"])
@pytest.mark.parametrize("value", [0, 0.0, 1, 1.0, np.float32(0.5)])
def test_alpha_beta_bounds_are_allowed(name, value):
    PrioritizedReplayBuffer(8, **{name: value})


@pytest.mark.parametrize("eps, error", [(0, ValueError), (-1e-6, ValueError), (np.nan, ValueError)])
def test_bad_eps(eps, error):
    with pytest.raises(error, match="eps"):
        PrioritizedReplayBuffer(8, eps=eps)


@pytest.mark.parametrize("branching, error", [(1, ValueError), (0, ValueError), (2.0, TypeError)])
def test_bad_branching(branching, error):
    with pytest.raises(error, match="branching"):
        SumTree(8, branching=branching)
    with pytest.raises(error, match="branching"):
        PrioritizedReplayBuffer(8, branching=branching)


def test_dedup_around_a_non_buffer():
    for bad in (SumTree(4), [], None):
        with pytest.raises(TypeError, match="buffer"):
            DedupBuffer(bad)


def test_dedup_around_a_non_empty_buffer(item):
    inner = FIFOBuffer(4)
    inner.push(item(0))
    with pytest.raises(ValueError, match="buffer"):
        DedupBuffer(inner)


def test_dedup_key_and_decimals():
    with pytest.raises(ValueError, match="decimals"):
        DedupBuffer(FIFOBuffer(4), key=lambda t: t.action, decimals=3)
    with pytest.raises(TypeError, match="decimals"):
        DedupBuffer(FIFOBuffer(4), decimals=1.5)
    with pytest.raises(TypeError, match="key"):
        DedupBuffer(FIFOBuffer(4), key="state")


# -- sampling arguments ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "batch_size, error",
    [(0, ValueError), (-3, ValueError), (6, ValueError), (100, ValueError)]
    + [(2.0, TypeError), (True, TypeError)],
)
def test_bad_batch_size(partly_filled, unchanged, batch_size, error):
    with unchanged(partly_filled, error, "batch_size"):
        partly_filled.sample(batch_size)


def test_batch_size_on_an_empty_buffer(kind):
    with pytest.raises(ValueError, match="batch_size"):
        make_buffer(kind).sample(1)


@pytest.mark.parametrize("beta", [-0.5, 1.5, np.nan])
def test_bad_beta_in_sample_and_setter(per_filled, unchanged, beta):
    buffer = per_filled
    with unchanged(buffer, ValueError, "beta"):
        buffer.sample(2, beta=beta)
    per = buffer.buffer if isinstance(buffer, DedupBuffer) else buffer
    with unchanged(buffer, ValueError, "beta"):
        per.beta = beta
    assert per.beta == 0.4


# -- priorities ------------------------------------------------------------------------------
BAD_PRIORITIES = [
    pytest.param(-1.0, ValueError, id="negative"),
    pytest.param(np.nan, ValueError, id="nan"),
    pytest.param(np.inf, ValueError, id="inf"),
    pytest.param("high", TypeError, id="string"),
]


@pytest.mark.parametrize("bad, error", BAD_PRIORITIES)
def test_bad_priority_in_push(per_filled, unchanged, item, bad, error):
    with unchanged(per_filled, error, "priority"):
        per_filled.push(item(10), bad)
    with unchanged(per_filled, error, "priority"):
        per_filled.push(item(1), bad)  # a duplicate under DedupBuffer


@pytest.mark.parametrize("bad, error", BAD_PRIORITIES)
def test_bad_priorities_in_extend(per_filled, unchanged, batch, bad, error):
    with unchanged(per_filled, error, "priorities"):
        per_filled.extend(batch([10, 11, 1]), [1.0, bad, 2.0])


@pytest.mark.parametrize("bad, error", BAD_PRIORITIES)
def test_bad_priorities_in_update(per_filled, unchanged, bad, error):
    with unchanged(per_filled, error, "priorities"):
        per_filled.update_priorities([0, 1, 2], [1.0, bad, 2.0])


@pytest.mark.parametrize("count", [0, 2, 4])
def test_priorities_of_wrong_length(per_filled, unchanged, item, batch, count):
    with unchanged(per_filled, ValueError, "priorities"):
        per_filled.extend(batch([10, 11, 12]), np.ones(count))
    with unchanged(per_filled, ValueError, "priorities"):
        per_filled.update_priorities([0, 1, 2], np.ones(count))
    with unchanged(per_filled, ValueError, "priorities"):
        per_filled.extend(batch([10, 11, 12]), np.ones((3, 1)))
    if count != 1:
        with unchanged(per_filled, ValueError, "priority"):
            per_filled.push(item(10), np.ones(count))


@pytest.mark.parametrize("indices", [[-1], [5], [7], [0, 8], [100]])
def test_update_priorities_indices_out_of_range(per_filled, unchanged, indices):
    # slots 5..7 exist in the ring but hold no item yet
    with unchanged(per_filled, ValueError, "indices"):
        per_filled.update_priorities(indices, np.ones(len(indices)))


def test_update_priorities_float_indices(per_filled, unchanged):
    with unchanged(per_filled, TypeError, "indices"):
        per_filled.update_priorities([0.0, 1.0], [1.0, 1.0])


def test_update_priorities_on_an_empty_buffer():
    with pytest.raises(ValueError, match="indices"):
        PrioritizedReplayBuffer(4).update_priorities([0], [1.0])


# -- sum-tree --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "indices, values, error, name",
    [
        ([-1], [1.0], ValueError, "indices"),
        ([10], [1.0], ValueError, "indices"),
        ([0.5], [1.0], TypeError, "indices"),
        ([1, 2], [1.0, -1.0], ValueError, "values"),
        ([1, 2], [1.0, np.nan], ValueError, "values"),
        ([1, 2], [np.inf, 1.0], ValueError, "values"),
        ([1, 2], [1.0], ValueError, "values"),
    ],
)
def test_sumtree_bad_update_changes_nothing(indices, values, error, name):
    tree = SumTree(10, branching=3)
    tree.update([0, 3], [2.0, 5.0])
    with pytest.raises(error, match=name):
        tree.update(indices, values)
    np.testing.assert_array_equal(tree.leaves, [2, 0, 0, 5, 0, 0, 0, 0, 0, 0])
    assert tree.total == 7.0 and tree.min == 2.0


def test_sumtree_get_out_of_range():
    with pytest.raises(ValueError, match="indices"):
        SumTree(4).get([4])


# -- items of a different structure, shape or dtype ------------------------------------------
BAD_ITEMS = [  # (change of a good item, error, name the message must contain)
    pytest.param(tuple, TypeError, "item", id="tuple-vs-namedtuple"),
    pytest.param(lambda g: OtherRecord(*g), TypeError, "item", id="other-namedtuple"),
    pytest.param(lambda g: ShortRecord(g.state, g.action), TypeError, "item", id="fewer-fields"),
    pytest.param(lambda g: dict(g._asdict()), TypeError, "item", id="dict"),
    pytest.param(list, TypeError, "item", id="list"),
    pytest.param(lambda g: g.state, TypeError, "item", id="bare-array"),
    pytest.param(
        lambda g: g._replace(state=np.zeros(4, np.float32)), ValueError, "state", id="shape"
    ),
    pytest.param(
        lambda g: g._replace(state=np.zeros((1, 3), np.float32)), ValueError, "state", id="rank"
    ),
    pytest.param(
        lambda g: g._replace(state=np.zeros(3)), TypeError, "state", id="float64-into-float32"
    ),
    pytest.param(lambda g: g._replace(action=1.5), TypeError, "action", id="float-action"),
    pytest.param(lambda g: g._replace(action="left"), TypeError, "action", id="string-action"),
    pytest.param(lambda g: g._replace(done=None), TypeError, "done", id="none-done"),
]


@pytest.mark.parametrize("change, error, name", BAD_ITEMS)
def test_push_of_a_different_item(partly_filled, unchanged, item, change, error, name):
    with unchanged(partly_filled, error, name):
        partly_filled.push(change(item(20)))


def test_push_python_float_into_float32_column_is_fine(kind, item):
    buffer = make_buffer(kind)
    buffer.push(item(0)._replace(reward=np.float32(0.5)))
    assert buffer.push(item(1)._replace(reward=0.25)) == 1
    got = (buffer.buffer if isinstance(buffer, DedupBuffer) else buffer).get([1]).reward
    assert got.dtype == np.float32 and got[0] == 0.25
    # a float32 array fits a float64 column too (no information lost)
    assert buffer.push(item(2)._replace(next_state=np.ones(3, np.float32))) == 2


def test_python_int_out_of_range_of_an_integer_column(kind, unchanged):
    buffer = make_buffer(kind)
    buffer.push((np.int8(1), np.zeros(2)))
    assert buffer.push((100, np.ones(2))) == 1  # a Python int that fits is fine
    for value in (300, -129):
        with unchanged(buffer, (TypeError, ValueError), "item"):
            buffer.push((value, np.ones(2)))


def test_dict_items_with_different_keys(kind, unchanged):
    buffer = make_buffer(kind)
    buffer.push({"obs": np.zeros(2), "reward": 1.0})
    with unchanged(buffer, TypeError, "item"):
        buffer.push({"obs": np.zeros(2), "return": 1.0})
    with unchanged(buffer, TypeError, "item"):
        buffer.push({"obs": np.zeros(2)})
    with unchanged(buffer, TypeError, "item"):
        buffer.push((np.zeros(2), 1.0))


def test_failed_first_push_fixes_no_structure(kind, item):
    buffer = make_buffer(kind)
    with pytest.raises(TypeError, match="item"):
        buffer.push(item(0)._replace(action="left"))
    with pytest.raises(ValueError, match="items"):
        buffer.extend(
            Transition(np.zeros((2, 3)), np.zeros(3), np.zeros(2), np.zeros(2), np.zeros(2))
        )
    assert len(buffer) == 0
    assert buffer.push((np.zeros(2),)) == 0  # any structure is still welcome


# -- batches ---------------------------------------------------------------------------------
def test_extend_with_more_items_than_capacity(partly_filled, unchanged, batch):
    with unchanged(partly_filled, ValueError, "items"):
        partly_filled.extend(batch(range(100, 109)))


def test_extend_with_mismatched_batch_lengths(partly_filled, unchanged, batch):
    good = batch([10, 11, 12])
    with unchanged(partly_filled, ValueError, "items"):
        partly_filled.extend(good._replace(reward=good.reward[:2]))


def test_extend_with_a_scalar_field(partly_filled, unchanged, batch):
    with unchanged(partly_filled, ValueError, "items"):
        partly_filled.extend(batch([10, 11])._replace(reward=1.0))


@pytest.mark.parametrize(
    "change, error, name",
    [
        (lambda b: tuple(b), TypeError, "items"),
        (lambda b: b._replace(state=b.state[:, :2]), ValueError, "state"),
        (lambda b: b._replace(state=b.state.astype(np.float64)), TypeError, "state"),
        (lambda b: b._replace(action=b.action.astype(np.float32)), TypeError, "action"),
    ],
)
def test_extend_of_a_different_batch(partly_filled, unchanged, batch, change, error, name):
    with unchanged(partly_filled, error, name):
        partly_filled.extend(change(batch([10, 11, 2])))


def test_a_full_buffer_rejects_bad_input_too(kind, batch, item, unchanged):
    buffer = make_buffer(kind, capacity=4)
    buffer.extend(batch(range(4)))
    buffer.extend(batch(range(4, 7)))  # wrapped, next_slot 3
    with unchanged(buffer, ValueError, "state"):
        buffer.push(item(9)._replace(state=np.zeros(2, np.float32)))
    with unchanged(buffer, ValueError, "items"):
        buffer.extend(batch(range(10, 15)))


# -- other helpers ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"step": -1, "total_steps": 10}, "step"),
        ({"step": 1.5, "total_steps": 10}, "step"),
        ({"step": 1, "total_steps": 0}, "total_steps"),
        ({"step": 1, "total_steps": 10, "start": 1.5}, "start"),
        ({"step": 1, "total_steps": 10, "end": -0.1}, "end"),
    ],
)
def test_bad_anneal_beta(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        anneal_beta(**kwargs)


def test_get_out_of_range(partly_filled):
    inner = partly_filled.buffer if isinstance(partly_filled, DedupBuffer) else partly_filled
    with pytest.raises(ValueError, match="indices"):
        inner.get([5])
