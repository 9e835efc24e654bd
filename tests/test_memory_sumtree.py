"""SumTree: invariants under random updates (hypothesis) against a plain numpy reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from a3cmem_lib.memory import SumTree

# Leaf values: zeros (empty leaves) or a moderate dynamic range, so every leaf is visible in
# float64 prefix sums (a leaf below the rounding of the total cannot be found by anyone).
leaf_values = st.one_of(st.just(0.0), st.floats(1e-3, 1e3, allow_nan=False))


@st.composite
def update_sequences(draw):
    branching = draw(st.sampled_from([2, 3, 16]))
    # a small top level forces several levels below it even for few leaves
    top_size = draw(st.sampled_from([1, 2, 5, 4096]))
    capacity = draw(st.integers(1, 300))
    index = st.integers(0, capacity - 1)
    updates = draw(
        st.lists(
            st.lists(st.tuples(index, leaf_values), min_size=0, max_size=40),
            min_size=1,
            max_size=6,
        )
    )
    return branching, top_size, capacity, updates


def check_against_reference(tree: SumTree, reference: np.ndarray, written: np.ndarray, rng):
    np.testing.assert_array_equal(tree.leaves, reference)
    assert np.isclose(tree.total, reference.sum(), rtol=1e-12, atol=1e-12)
    if written.any():
        assert tree.min == reference[written].min()
    else:
        assert tree.min == np.inf
    if not reference.sum() > 0:
        return
    cumsum = np.cumsum(reference)
    total = cumsum[-1]
    # (targets exactly at leaf boundaries: see test_find_at_exact_leaf_boundaries below)
    targets = rng.uniform(0, total, 200)
    found = tree.find(targets)
    assert found.dtype == np.int64
    assert np.all((0 <= found) & (found < tree.capacity))
    assert np.all(reference[found] > 0), "find returned an empty leaf"
    # away from the leaf boundaries the answer is unique
    distance = np.min(np.abs(targets[:, None] - np.concatenate([[0.0], cumsum])[None]), axis=1)
    away = distance > 1e-9 * total
    expected = np.searchsorted(cumsum, targets[away], side="right")
    np.testing.assert_array_equal(found[away], expected)
    # targets at or past the total fall on the last non-empty leaf
    last = np.flatnonzero(reference)[-1]
    np.testing.assert_array_equal(tree.find([total, total * (1 + 1e-9), 2 * total]), last)


@settings(max_examples=300, deadline=None)
@given(case=update_sequences(), seed=st.integers(0, 2**32 - 1))
def test_random_update_sequences_match_reference(case, seed):
    branching, top_size, capacity, updates = case
    rng = np.random.default_rng(seed)
    tree = SumTree(capacity, branching=branching, top_size=top_size)
    reference = np.zeros(capacity)
    written = np.zeros(capacity, dtype=bool)
    for update in updates:
        indices = [index for index, _ in update]
        values = [value for _, value in update]
        tree.update(np.array(indices, dtype=np.int64), np.array(values, dtype=np.float64))
        for index, value in update:  # one by one: repeated indices, last wins
            reference[index] = value
            written[index] = True
        check_against_reference(tree, reference, written, rng)


@settings(max_examples=300, deadline=None)
@given(
    branching=st.sampled_from([2, 3, 16]),
    top_size=st.sampled_from([1, 2, 4096]),
    capacity=st.integers(1, 200),
    data=st.data(),
)
def test_min_of_a_full_tree_under_updates_with_ties_and_repeats(
    branching, top_size, capacity, data
):
    # Once every leaf is written the tree keeps its minimum without refreshing its minima
    # unless an overwritten leaf held it: few distinct values make ties and repeats common,
    # and the minimum is read after some updates only (a stale one is refreshed late).
    values = st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0])
    tree = SumTree(capacity, branching=branching, top_size=top_size)
    reference = np.array(data.draw(st.lists(values, min_size=capacity, max_size=capacity)))
    tree.update(np.arange(capacity), reference)
    for _ in range(data.draw(st.integers(1, 8))):
        update = data.draw(st.lists(st.tuples(st.integers(0, capacity - 1), values), max_size=30))
        tree.update(
            np.array([index for index, _ in update], dtype=np.int64),
            np.array([value for _, value in update], dtype=np.float64),
        )
        for index, value in update:  # one by one: repeated indices, last wins
            reference[index] = value
        if data.draw(st.booleans()):
            assert tree.min == reference.min()
    assert tree.min == reference.min()
    np.testing.assert_array_equal(tree.leaves, reference)


@pytest.mark.parametrize("capacity", [48, 40])
def test_min_ignores_blocks_that_hold_padding_only(capacity):
    # One top node over 16 blocks of 16 leaves, 3 of them holding leaves; after many writes
    # the minima of every block holding leaves are refreshed, never those of padding (0).
    tree = SumTree(capacity, branching=16, top_size=1)
    assert tree.depth == 2
    tree.update(np.arange(capacity), np.full(capacity, 2.0))
    assert tree.min == 2.0
    tree.update(np.arange(capacity), np.linspace(3.0, 4.0, capacity))  # every holder replaced
    assert tree.min == 3.0


def test_find_at_exact_leaf_boundaries_never_returns_an_empty_leaf():
    # the case hypothesis found: boundary 256.87769338080625 lands in the empty leaf 80
    tree = SumTree(193, branching=16, top_size=1)
    reference = np.zeros(193)
    reference[[0, 16, 64, 192]] = [1.7776933808062836, 63.1, 192.0, 1.0]
    tree.update(np.arange(193), reference)
    rng = np.random.default_rng(0)
    cumsum = np.cumsum(reference)
    targets = np.concatenate([rng.uniform(0, cumsum[-1], 200), cumsum[:-1][reference[1:] > 0]])
    bad = []
    found = tree.find(targets)
    if not np.all(reference[found] > 0):
        bad.append((193, len(targets), targets[reference[found] == 0]))
    # and a sweep: sparse 16-leaf trees, their boundaries in batches of every size (which
    # columns a BLAS kernel rounds differently depends on the batch size and the machine)
    for _ in range(40):
        reference = np.zeros(16)
        count = int(rng.integers(3, 7))
        reference[rng.choice(16, count, replace=False)] = rng.uniform(1e-3, 1e3, count)
        tree = SumTree(16, branching=16, top_size=1)
        tree.update(np.arange(16), reference)
        boundaries = np.cumsum(reference)[:-1]
        for size in range(1, 260):
            targets = np.resize(boundaries, size)
            found = tree.find(targets)
            ok = (found < 16) & (reference[np.minimum(found, 15)] > 0)
            if not ok.all():
                bad.append((16, size, targets[~ok]))
    assert not bad, f"empty leaves found for (capacity, batch size, targets): {bad[:3]}"


@pytest.mark.parametrize("top_size", [1, 2, 4096])
@pytest.mark.parametrize("branching", [2, 3, 16])
def test_find_on_a_small_tree_by_hand(branching, top_size):
    tree = SumTree(7, branching=branching, top_size=top_size)
    tree.update([0, 1, 2, 3, 4, 5, 6], [1.0, 0.0, 2.0, 0.0, 0.0, 3.0, 0.0])
    assert tree.total == 6.0 and tree.min == 0.0
    #           leaf 0: [0, 1), leaf 2: [1, 3), leaf 5: [3, 6)
    targets = [0.0, 0.5, 0.999, 1.0, 2.5, 3.0, 5.9, 6.0, 100.0]
    np.testing.assert_array_equal(tree.find(targets), [0, 0, 0, 2, 2, 5, 5, 5, 5])


@pytest.mark.parametrize("top_size", [1, 4096])
@pytest.mark.parametrize("branching", [2, 3, 16])
def test_find_skips_leading_and_trailing_zero_leaves(branching, top_size):
    tree = SumTree(40, branching=branching, top_size=top_size)
    tree.update([17], [0.25])
    np.testing.assert_array_equal(tree.find([0.0, 0.1, 0.25, 1.0]), [17, 17, 17, 17])


@pytest.mark.parametrize("top_size", [1, 4096])
def test_repeated_indices_last_value_wins(top_size):
    tree = SumTree(10, branching=3, top_size=top_size)
    tree.update([4, 4, 2, 4], [1.0, 7.0, 2.0, 5.0])
    assert tree[4] == 5.0 and tree[2] == 2.0
    assert tree.total == 7.0
    assert tree.min == 2.0


@pytest.mark.parametrize("top_size", [1, 4096])
def test_min_tracks_written_leaves_only_and_forgets_replaced_values(top_size):
    tree = SumTree(20, branching=4, top_size=top_size)
    assert tree.min == np.inf
    tree.update([3, 5], [4.0, 0.5])
    assert tree.min == 0.5  # the 18 never-written leaves do not count as 0
    tree.update([5], [9.0])
    assert tree.min == 4.0
    tree.update([7], [0.0])
    assert tree.min == 0.0


@pytest.mark.parametrize("top_size", [1, 4096])
def test_capacity_one(top_size):
    tree = SumTree(1, branching=2, top_size=top_size)
    tree.update([0], [2.5])
    assert tree.total == 2.5 and tree.min == 2.5
    np.testing.assert_array_equal(tree.find([0.0, 2.4, 2.5, 9.0]), [0, 0, 0, 0])


@pytest.mark.parametrize("top_size", [1, 4096])
@pytest.mark.parametrize("capacity, branching", [(16, 16), (17, 16), (8, 2), (9, 2), (27, 3)])
def test_capacities_at_and_past_a_full_level(capacity, branching, top_size):
    tree = SumTree(capacity, branching=branching, top_size=top_size)
    values = np.arange(1, capacity + 1, dtype=np.float64)
    tree.update(np.arange(capacity), values)
    assert tree.total == values.sum()
    cumsum = np.cumsum(values)
    targets = cumsum - 0.5
    np.testing.assert_array_equal(tree.find(targets), np.arange(capacity))
    assert tree.leaves.shape == (capacity,)


def test_get_and_getitem():
    tree = SumTree(6)
    tree.update([1, 4], [3.0, 2.0])
    np.testing.assert_array_equal(tree.get([4, 1, 0]), [2.0, 3.0, 0.0])
    assert tree[1] == 3.0 and isinstance(tree[1], float)
    np.testing.assert_array_equal(tree[[1, 4]], [3.0, 2.0])


def test_leaves_view_is_read_only():
    tree = SumTree(4)
    tree.update([0], [1.0])
    with pytest.raises(ValueError):
        tree.leaves[0] = 5.0
    assert tree.total == 1.0
    tree.update([0], [2.0])  # the tree itself can still write
    assert tree.leaves[0] == 2.0


@pytest.mark.parametrize("top_size", [1, 4096])
def test_update_recomputes_without_drift(top_size):
    tree = SumTree(50, branching=2, top_size=top_size)
    rng = np.random.default_rng(0)
    for _ in range(2000):
        tree.update(rng.integers(0, 50, 8), rng.uniform(0, 1e6, 8))
    tree.update(np.arange(50), np.full(50, 0.1))
    assert np.isclose(tree.total, 5.0, rtol=1e-12, atol=0)
    tree.update(np.arange(50), np.zeros(50))
    assert tree.total == 0.0


def test_clear():
    tree = SumTree(5)
    tree.update([0, 1], [1.0, 2.0])
    tree.clear()
    assert tree.total == 0.0 and tree.min == np.inf
    np.testing.assert_array_equal(tree.leaves, np.zeros(5))
    with pytest.raises(ValueError, match="empty"):
        tree.find([0.0])


def test_state_dict_round_trip():
    tree = SumTree(30, branching=3, top_size=2)
    rng = np.random.default_rng(1)
    tree.update(np.arange(20), rng.uniform(0.1, 5.0, 20))
    restored = SumTree(30, branching=3, top_size=2)
    restored.load_state_dict(tree.state_dict())
    np.testing.assert_array_equal(restored.leaves, tree.leaves)
    assert restored.total == tree.total and restored.min == tree.min
    targets = rng.uniform(0, tree.total, 100)
    np.testing.assert_array_equal(restored.find(targets), tree.find(targets))
    with pytest.raises(ValueError, match="branching"):
        SumTree(30, branching=2).load_state_dict(tree.state_dict())


def test_find_rejects_bad_targets():
    tree = SumTree(4)
    tree.update([0], [1.0])
    for bad in ([-0.1], [np.nan], [np.inf]):
        with pytest.raises(ValueError, match="prefix_sums"):
            tree.find(bad)
    with pytest.raises(ValueError, match="prefix_sums"):
        tree.find([[0.1, 0.2]])
