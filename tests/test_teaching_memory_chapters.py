"""Teaching helpers of chapters 02 (FIFO) and 03 (prioritized replay): exercise checks accept
a correct answer and reject plausible wrong ones; the widget updates; the plots draw."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from a3cmem_lib.exercises import (
    ExerciseCheckError,
    check_fifo,
    check_importance_weights,
    check_stratified_targets,
)
from a3cmem_lib.memory import PrioritizedReplayBuffer, SumTree
from a3cmem_lib.teaching import plots
from a3cmem_lib.teaching.widgets import priority_explorer, sampling_distribution


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# -- check_fifo -----------------------------------------------------------------------------
class GoodFIFO:
    def __init__(self, capacity):
        self.capacity, self.items, self.next = capacity, [], 0

    def push(self, item):
        slot = self.next
        if len(self.items) < self.capacity:
            self.items.append(item)
        else:
            self.items[slot] = item
        self.next = (slot + 1) % self.capacity
        return slot

    def sample(self, batch_size, rng):
        return [self.items[i] for i in rng.integers(0, len(self.items), size=batch_size)]

    def __len__(self):
        return len(self.items)


class NeverOverwrites(GoodFIFO):
    def push(self, item):
        slot = self.next
        if len(self.items) < self.capacity:
            self.items.append(item)
        self.next = (slot + 1) % self.capacity
        return slot


class OverwritesNewest(GoodFIFO):
    def push(self, item):
        if len(self.items) < self.capacity:
            self.items.append(item)
            return len(self.items) - 1
        self.items[-1] = item
        return self.capacity - 1


class SamplesEmptySlots(GoodFIFO):
    def __init__(self, capacity):
        super().__init__(capacity)
        self.items = [None] * capacity
        self.size = 0

    def push(self, item):
        slot = self.next
        self.items[slot] = item
        self.next = (slot + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)
        return slot

    def sample(self, batch_size, rng):
        return [self.items[i] for i in rng.integers(0, self.capacity, size=batch_size)]

    def __len__(self):
        return self.size


class IgnoresRng(GoodFIFO):
    def sample(self, batch_size, rng):
        return [self.items[i] for i in np.random.randint(0, len(self.items), size=batch_size)]  # noqa: NPY002


class FavoursRecent(GoodFIFO):
    def sample(self, batch_size, rng):
        n = len(self.items)
        weights = np.arange(1, n + 1) / np.arange(1, n + 1).sum()
        return [self.items[i] for i in rng.choice(n, size=batch_size, p=weights)]


class Stub:
    def __init__(self, capacity):
        raise NotImplementedError()


def test_check_fifo_passes_a_correct_ring(capsys):
    check_fifo(GoodFIFO)
    assert "✓ check_fifo passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (NeverOverwrites, "oldest"),
        (OverwritesNewest, "slots"),
        (SamplesEmptySlots, "empty slots"),
        (IgnoresRng, "seed"),
        (FavoursRecent, "not uniform"),
        (Stub, "not implemented"),
    ],
)
def test_check_fifo_rejects_wrong_rings(wrong, message):
    with pytest.raises(ExerciseCheckError, match=message):
        check_fifo(wrong)


# -- check_importance_weights ---------------------------------------------------------------
def good_weights(probabilities, indices, beta):
    n = len(probabilities)
    return (n * probabilities[indices]) ** (-beta) / (n * probabilities.min()) ** (-beta)


def unnormalised_weights(probabilities, indices, beta):
    return (len(probabilities) * probabilities[indices]) ** (-beta)


def batch_normalised_weights(probabilities, indices, beta):
    weights = (len(probabilities) * probabilities[indices]) ** (-beta)
    return weights / weights.max()


def positive_exponent(probabilities, indices, beta):
    n = len(probabilities)
    weights = (n * probabilities[indices]) ** beta
    return weights / weights.max()


def weights_stub(probabilities, indices, beta):
    raise NotImplementedError()


def test_check_importance_weights_passes_the_formula(capsys):
    check_importance_weights(good_weights)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (unnormalised_weights, "expected weights"),
        (batch_normalised_weights, "misses the least likely"),
        (positive_exponent, "expected weights"),
        (weights_stub, "not implemented"),
    ],
)
def test_check_importance_weights_rejects_wrong_formulas(wrong, message):
    with pytest.raises(ExerciseCheckError, match=message):
        check_importance_weights(wrong)


def test_library_weights_match_the_exercise_formula():
    buffer = PrioritizedReplayBuffer(6, alpha=0.7, eps=1e-6, seed=0)
    buffer.extend((np.arange(6),), priorities=np.array([4.0, 1.0, 2.0, 0.5, 8.0, 1.0]))
    _, indices, weights = buffer.sample(6, beta=0.5)
    expected = good_weights(buffer.probabilities(), indices, 0.5)
    np.testing.assert_allclose(weights, expected, rtol=1e-5)


# -- check_stratified_targets ---------------------------------------------------------------
def good_targets(total, batch_size, rng):
    return (np.arange(batch_size) + rng.random(batch_size)) * total / batch_size


def iid_targets(total, batch_size, rng):
    return rng.random(batch_size) * total


def midpoint_targets(total, batch_size, rng):
    return (np.arange(batch_size) + 0.5) * total / batch_size


def first_segment_only(total, batch_size, rng):
    return rng.random(batch_size) * total / batch_size


def targets_stub(total, batch_size, rng):
    raise NotImplementedError()


def test_check_stratified_targets_passes(capsys):
    check_stratified_targets(good_targets)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (iid_targets, "segment"),
        (midpoint_targets, "uniform"),
        (first_segment_only, "segment"),
        (targets_stub, "not implemented"),
    ],
)
def test_check_stratified_targets_rejects_wrong_answers(wrong, message):
    with pytest.raises(ExerciseCheckError, match=message):
        check_stratified_targets(wrong)


# -- widget ---------------------------------------------------------------------------------
def test_priority_explorer_builds_and_redraws_on_slider_change():
    explorer = priority_explorer([1.0, 2.0, 4.0, 8.0, 0.5], alpha=0.6, beta=0.4)
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    probabilities, weights, png = explorer.probabilities, explorer.weights, explorer.image.value
    np.testing.assert_allclose(probabilities.sum(), 1.0)

    explorer.alpha_slider.value = 1.0
    assert explorer.image.value != png
    assert explorer.probabilities[3] > probabilities[3]  # sharper towards the top priority
    np.testing.assert_allclose(explorer.probabilities, np.array([1, 2, 4, 8, 0.5]) / 15.5, 1e-5)

    explorer.beta_slider.value = 0.0
    np.testing.assert_allclose(explorer.weights, 1.0)
    assert "largest P(i)" in explorer.summary.value
    assert not np.array_equal(weights, explorer.weights)


def test_sampling_distribution_is_uniform_at_alpha_zero():
    probabilities, weights = sampling_distribution([1.0, 5.0, 9.0], alpha=0.0, beta=1.0)
    np.testing.assert_allclose(probabilities, 1 / 3)
    np.testing.assert_allclose(weights, 1.0)


# -- plots ----------------------------------------------------------------------------------
def test_prefix_sum_path_agrees_with_the_library_tree():
    rng = np.random.default_rng(0)
    for branching, size in [(2, 8), (2, 13), (4, 10)]:
        leaves = rng.integers(0, 5, size).astype(float)
        leaves[0] = 1.0
        tree = SumTree(size, branching=branching, top_size=1)
        tree.update(np.arange(size), leaves)
        levels = plots.sum_tree_levels(leaves, branching)
        assert levels[0][0] == pytest.approx(tree.total)
        for target in rng.random(100) * leaves.sum():
            assert plots.prefix_sum_path(levels, branching, target)[-1][0] == tree.find(target)[0]


def test_plot_helpers_return_figures():
    steps = np.array([4, 5, 2, 3, -1, -1])
    figures = [
        plots.ring_buffer_figure([("after 6 pushes", steps, 2)], capacity=6),
        plots.slot_histogram(np.array([9, 11, 10]), expected=10.0, title="t"),
        plots.batch_comparison_figure(np.arange(4.0), np.ones(4), ylabel="y", title="t"),
        plots.sum_tree_figure([3, 1, 4, 1, 5], target=6.5),
        plots.priority_panels(
            np.array([1.0, 2.0]), [(0.5, 0.4, np.array([0.4, 0.6]), np.array([1.0, 0.9]))]
        ),
        plots.frequency_figure(np.array([0.4, 0.6]), np.array([0.41, 0.59]), draws=100),
        plots.timing_figure(
            [10, 100],
            {"a": (np.array([1.0, 2.0]), np.array([0.1, 0.1]))},
            xlabel="x",
            ylabel="y",
            title="t",
        ),
        plots.beta_schedule_figure(np.arange(3), np.array([0.4, 0.7, 1.0])),
    ]
    for figure in figures:
        assert isinstance(figure, Figure)
        assert figure.axes and all(ax.get_title() or ax.axison is False for ax in figure.axes[:1])
