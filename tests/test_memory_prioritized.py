"""PrioritizedReplayBuffer: sampling distribution, importance weights, priorities, checkpoints."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy.stats import chisquare

from a3cmem_lib.memory import PrioritizedReplayBuffer, Transition, anneal_beta

PRIORITIES = np.array(
    [0.1, 3.0, 0.5, 1.0, 7.0, 0.2, 2.0, 0.0, 4.0, 1.5, 0.3, 5.0, 0.8, 2.5, 0.05, 6.0, 1.2, 0.6]
    + [3.5, 0.9]
)  # 20 unequal priorities, one of them 0


def expected_probabilities(priorities, alpha, eps):
    """P(i) = p_i^α / Σ_k p_k^α with p_i = priority_i + eps (Schaul et al., 2016, eq. 1)."""
    scaled = (np.asarray(priorities, dtype=np.float64) + eps) ** alpha
    return scaled / scaled.sum()


def expected_weights(priorities, alpha, eps, beta, indices):
    """w_i = (N·P(i))^(−β) / max_k (N·P(k))^(−β) (Schaul et al., 2016, section 3.4)."""
    probabilities = expected_probabilities(priorities, alpha, eps)
    n = len(probabilities)
    all_weights = (n * probabilities) ** (-beta)
    return all_weights[indices] / all_weights.max()


def filled(batch, priorities=PRIORITIES, capacity=32, **kwargs) -> PrioritizedReplayBuffer:
    buffer = PrioritizedReplayBuffer(capacity, **kwargs)
    buffer.extend(batch(range(len(priorities))), priorities)
    return buffer


# -- sampling distribution -------------------------------------------------------------------
@pytest.mark.parametrize(
    "alpha, batch_size, calls",
    [(0.0, 20, 2500), (0.6, 20, 2500), (1.0, 16, 3125), (0.3, 7, 7143)],
)
def test_sampling_frequencies_match_p_i(batch, alpha, batch_size, calls):
    # 4 cases x ~50k draws = 200k draws in total
    buffer = filled(batch, alpha=alpha, eps=0.01, seed=7)
    expected = expected_probabilities(PRIORITIES, alpha, 0.01)
    np.testing.assert_allclose(buffer.probabilities(), expected, rtol=1e-12)
    counts = np.zeros(len(PRIORITIES), dtype=np.int64)
    for _ in range(calls):
        batch_, indices, _ = buffer.sample(batch_size)
        np.testing.assert_array_equal(batch_.state[:, 0], indices)  # rows match the slots
        counts += np.bincount(indices, minlength=len(PRIORITIES))
    assert counts.sum() == batch_size * calls
    assert chisquare(counts, expected * counts.sum()).pvalue > 1e-4
    if alpha > 0:  # the test has the power to reject uniform sampling
        assert chisquare(counts).pvalue < 1e-4
    else:
        assert chisquare(counts).pvalue > 1e-4


def test_alpha_zero_ignores_priorities(batch):
    buffer = filled(batch, alpha=0.0)
    np.testing.assert_allclose(buffer.probabilities(), np.full(20, 1 / 20), rtol=1e-12)
    _, _, weights = buffer.sample(20, beta=1.0)
    np.testing.assert_allclose(weights, 1.0)


def test_samples_only_stored_slots(batch):
    buffer = PrioritizedReplayBuffer(1000, seed=1)
    buffer.extend(batch(range(5)), [1.0, 2.0, 3.0, 4.0, 5.0])
    for _ in range(200):
        indices = buffer.sample(5)[1]
        assert indices.dtype == np.int64
        assert np.all((0 <= indices) & (indices < 5))


def test_update_priorities_changes_the_distribution(batch):
    buffer = filled(batch, priorities=np.ones(20), alpha=1.0, seed=2)
    before = np.bincount(np.concatenate([buffer.sample(20)[1] for _ in range(200)]), minlength=20)
    assert before[3] < 0.15 * before.sum()
    buffer.update_priorities([3], [1000.0])
    np.testing.assert_allclose(buffer.priorities([3]), [1000.0])
    expected = expected_probabilities(np.r_[np.ones(3), 1000.0, np.ones(16)], 1.0, 1e-6)
    np.testing.assert_allclose(buffer.probabilities(), expected, rtol=1e-12)
    after = np.bincount(np.concatenate([buffer.sample(20)[1] for _ in range(200)]), minlength=20)
    assert after[3] > 0.95 * after.sum()
    buffer.update_priorities(np.arange(20), np.ones(20))
    np.testing.assert_allclose(buffer.probabilities(), np.full(20, 1 / 20), rtol=1e-12)


def test_sampling_with_fewer_nonzero_priorities_than_batch_size(batch):
    # the seed's np.random.choice(replace=False) raised here
    priorities = np.zeros(10)
    priorities[[2, 7]] = [1.0, 3.0]
    buffer = filled(batch, priorities=priorities, alpha=1.0, eps=1e-9, seed=3)
    _, indices, weights = buffer.sample(8)
    assert indices.shape == (8,)
    assert set(indices.tolist()) <= {2, 7}
    assert np.all(weights <= 1.0) and np.all(weights > 0)


def test_sampling_with_all_priorities_zero_is_uniform_through_eps(batch):
    buffer = filled(batch, priorities=np.zeros(10), alpha=0.6, seed=4)
    np.testing.assert_allclose(buffer.probabilities(), np.full(10, 0.1), rtol=1e-12)
    assert buffer.sample(10)[1].shape == (10,)


def test_batch_size_equal_to_len(batch):
    buffer = filled(batch, seed=5)
    _, indices, weights = buffer.sample(len(buffer))
    assert indices.shape == weights.shape == (20,)


def test_single_item_buffer(item):
    buffer = PrioritizedReplayBuffer(1, seed=0)
    buffer.push(item(0), 0.0)
    _, indices, weights = buffer.sample(1, beta=1.0)
    assert indices.tolist() == [0] and weights.tolist() == [1.0]


# -- importance-sampling weights -------------------------------------------------------------
@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
@pytest.mark.parametrize("beta", [0.0, 0.4, 1.0])
def test_weights_match_the_formula(batch, alpha, beta):
    buffer = filled(batch, alpha=alpha, beta=beta, eps=0.01, seed=6)
    for _ in range(20):
        _, indices, weights = buffer.sample(16)
        assert weights.dtype == np.float32 and weights.shape == (16,)
        want = expected_weights(PRIORITIES, alpha, 0.01, beta, indices)
        np.testing.assert_allclose(weights, want, rtol=1e-6)
        assert np.all(weights <= 1.0) and np.all(weights > 0)


def test_weights_use_the_stored_items_only(batch):
    # N counts stored items, and the maximal weight is over the stored items
    buffer = PrioritizedReplayBuffer(1000, alpha=1.0, eps=0.01, seed=8)
    buffer.extend(batch(range(4)), [1.0, 2.0, 3.0, 4.0])
    _, indices, weights = buffer.sample(4, beta=1.0)
    np.testing.assert_allclose(
        weights, expected_weights([1.0, 2.0, 3.0, 4.0], 1.0, 0.01, 1.0, indices), rtol=1e-6
    )


def test_beta_override_in_sample_leaves_default_alone(batch):
    buffer = filled(batch, alpha=0.7, beta=0.4, eps=0.01, seed=9)
    _, indices, weights = buffer.sample(16, beta=1.0)
    np.testing.assert_allclose(
        weights, expected_weights(PRIORITIES, 0.7, 0.01, 1.0, indices), rtol=1e-6
    )
    assert buffer.beta == 0.4
    _, indices, weights = buffer.sample(16)
    np.testing.assert_allclose(
        weights, expected_weights(PRIORITIES, 0.7, 0.01, 0.4, indices), rtol=1e-6
    )
    buffer.beta = 0.9
    _, indices, weights = buffer.sample(16)
    np.testing.assert_allclose(
        weights, expected_weights(PRIORITIES, 0.7, 0.01, 0.9, indices), rtol=1e-6
    )


def test_weights_forget_an_overwritten_smallest_priority(batch, item):
    buffer = PrioritizedReplayBuffer(3, alpha=1.0, eps=1e-6, seed=10)
    buffer.extend(batch([0, 1, 2]), [0.01, 1.0, 1.0])
    assert buffer.sample(3, beta=1.0)[2].min() < 0.1
    buffer.push(item(3), 1.0)  # overwrites slot 0, the smallest priority
    np.testing.assert_allclose(buffer.sample(3, beta=1.0)[2], 1.0, rtol=1e-6)


# -- priorities of new and overwritten items -------------------------------------------------
def test_new_items_get_the_largest_priority_seen_so_far(item, batch):
    buffer = PrioritizedReplayBuffer(20)
    assert buffer.max_priority == 1.0
    buffer.push(item(0))
    np.testing.assert_array_equal(buffer.priorities([0]), [1.0])
    buffer.push(item(1), 3.0)
    buffer.push(item(2))
    np.testing.assert_array_equal(buffer.priorities([1, 2]), [3.0, 3.0])
    buffer.update_priorities([0], [7.0])
    buffer.push(item(3))
    np.testing.assert_array_equal(buffer.priorities([3]), [7.0])
    buffer.update_priorities([0, 1, 2, 3], [0.1, 0.1, 0.1, 0.1])  # lowering keeps the maximum
    slots = buffer.extend(batch([4, 5, 6]))
    np.testing.assert_array_equal(buffer.priorities(slots), [7.0, 7.0, 7.0])
    buffer.extend(batch([7, 8]), [2.0, 9.5])
    buffer.push(item(9))
    np.testing.assert_array_equal(buffer.priorities([9]), [9.5])
    assert buffer.max_priority == 9.5
    # the tree holds (p + eps)^alpha for the default priority too
    p = buffer.priorities(np.arange(10))
    np.testing.assert_allclose(buffer.probabilities(), expected_probabilities(p, 0.6, 1e-6))


def test_priorities_of_overwritten_slots_are_replaced(batch, item):
    buffer = PrioritizedReplayBuffer(4, alpha=1.0, eps=1e-6, seed=11)
    buffer.extend(batch([0, 1, 2, 3]), [10.0, 1.0, 1.0, 1.0])
    assert buffer.push(item(4), 0.5) == 0
    np.testing.assert_array_equal(buffer.priorities(np.arange(4)), [0.5, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(
        buffer.probabilities(), expected_probabilities([0.5, 1, 1, 1], 1.0, 1e-6), rtol=1e-12
    )
    slots = buffer.extend(batch([5, 6, 7]), [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(slots, [1, 2, 3])
    np.testing.assert_array_equal(buffer.priorities(np.arange(4)), [0.5, 2.0, 3.0, 4.0])
    assert buffer.max_priority == 10.0  # the largest ever, even though it was overwritten
    assert len(buffer) == 4


def test_update_priorities_with_repeated_indices_last_wins(batch):
    buffer = filled(batch, alpha=1.0)
    buffer.update_priorities([4, 4], [100.0, 2.0])
    np.testing.assert_array_equal(buffer.priorities([4]), [2.0])
    p = PRIORITIES.copy()
    p[4] = 2.0
    np.testing.assert_allclose(buffer.probabilities(), expected_probabilities(p, 1.0, 1e-6))


def test_sampled_custom_structure(batch):
    buffer = filled(batch, seed=12)
    sampled, indices, _ = buffer.sample(5)
    assert type(sampled) is Transition
    assert sampled.state.shape == (5, 3) and sampled.state.dtype == np.float32
    np.testing.assert_array_equal(sampled.action, indices % 4)


# -- annealing ---------------------------------------------------------------------------------
def test_anneal_beta():
    assert anneal_beta(0, 100) == pytest.approx(0.4)
    assert anneal_beta(50, 100) == pytest.approx(0.7)
    assert anneal_beta(100, 100) == pytest.approx(1.0)
    assert anneal_beta(1000, 100) == pytest.approx(1.0)
    assert anneal_beta(25, 100, start=0.0, end=0.8) == pytest.approx(0.2)
    values = [anneal_beta(step, 10) for step in range(12)]
    assert values == sorted(values)


# -- housekeeping ------------------------------------------------------------------------------
def test_seeded_buffers_are_reproducible(batch):
    a, b = filled(batch, seed=13), filled(batch, seed=13)
    for _ in range(5):
        (_, ia, wa), (_, ib, wb) = a.sample(8), b.sample(8)
        np.testing.assert_array_equal(ia, ib)
        np.testing.assert_array_equal(wa, wb)
    c = filled(batch, seed=14)
    assert not all(np.array_equal(a.sample(8)[1], c.sample(8)[1]) for _ in range(5))


def test_clear_resets_priorities_and_maximum(batch, item):
    buffer = filled(batch, priorities=PRIORITIES * 3)
    buffer.clear()
    assert len(buffer) == 0 and buffer.next_slot == 0
    assert buffer.max_priority == 1.0 and buffer.tree.total == 0.0
    buffer.push(item(0))
    np.testing.assert_array_equal(buffer.priorities([0]), [1.0])
    np.testing.assert_allclose(buffer.probabilities(), [1.0])


@pytest.mark.parametrize("through_pickle", [False, True])
def test_state_dict_round_trip_is_bit_exact(batch, item, same_state, through_pickle):
    original = PrioritizedReplayBuffer(16, alpha=0.7, beta=0.5, eps=0.01, seed=15)
    original.extend(batch(range(12)), PRIORITIES[:12])
    original.extend(batch(range(12, 20)), PRIORITIES[12:])  # wraps
    original.update_priorities([1, 2], [8.0, 0.0])
    original.sample(5)
    state = original.state_dict()
    if through_pickle:
        state = pickle.loads(pickle.dumps(state))
    restored = PrioritizedReplayBuffer(16, alpha=0.7, eps=0.01, seed=0)
    restored.load_state_dict(state)
    same_state(restored.state_dict(), original.state_dict())
    assert restored.beta == 0.5 and restored.max_priority == original.max_priority == 8.0
    assert restored.next_slot == original.next_slot and len(restored) == len(original) == 16
    assert restored.tree.total == original.tree.total and restored.tree.min == original.tree.min
    np.testing.assert_array_equal(restored.probabilities(), original.probabilities())
    for _ in range(3):
        (ba, ia, wa), (bb, ib, wb) = original.sample(6), restored.sample(6)
        np.testing.assert_array_equal(ia, ib)
        np.testing.assert_array_equal(wa, wb)
        for x, y in zip(ba, bb, strict=True):
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes()
    assert original.push(item(99)) == restored.push(item(99))
    same_state(restored.state_dict(), original.state_dict())


def test_load_state_dict_rejects_other_alpha(batch):
    state = filled(batch, alpha=0.6).state_dict()
    with pytest.raises(ValueError, match="alpha"):
        PrioritizedReplayBuffer(32, alpha=0.5).load_state_dict(state)
