"""Figures of the replay-memory chapters: ``notebooks/02_fifo_buffer.ipynb`` (ring buffer,
uniform sampling, replay vs consecutive batches) and ``notebooks/03_prioritized_replay.ipynb``
(sum-tree, sampling distribution and weights, frequency check, timings).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Wedge


# -- chapter 02: the FIFO ring --------------------------------------------------------------
def ring_buffer_figure(snapshots: Sequence[tuple[str, np.ndarray, int]], capacity: int) -> Figure:
    """The ring at a few moments: one circle of ``capacity`` slots per snapshot.

    Explained in ``notebooks/02_fifo_buffer.ipynb``.

    Args:
        snapshots: ``(title, steps, next_slot)`` per panel; ``steps`` is an int array
            (capacity,) holding the push step (time) of the item in each slot, -1 if empty;
            ``next_slot`` is where the next push writes (drawn as an arrow).
        capacity: number of slots.
    """
    fig, axes = plt.subplots(1, len(snapshots), figsize=(3.2 * len(snapshots), 3.6))
    axes = np.atleast_1d(axes)
    latest = max(int(np.max(steps)) for _, steps, _ in snapshots)
    cmap = plt.get_cmap("viridis")
    for ax, (title, steps, next_slot) in zip(axes, snapshots, strict=True):
        for slot in range(capacity):
            # Slot 0 at twelve o'clock, slots running clockwise.
            start = 90 - 360 * (slot + 1) / capacity
            step = int(steps[slot])
            color = "0.9" if step < 0 else cmap(step / max(latest, 1))
            ax.add_patch(
                Wedge(
                    (0, 0),
                    1.0,
                    start,
                    start + 360 / capacity,
                    width=0.4,
                    facecolor=color,
                    edgecolor="white",
                    linewidth=2,
                )
            )
            angle = np.deg2rad(start + 180 / capacity)
            label = "" if step < 0 else str(step)
            text_color = "black" if step < 0 or step / max(latest, 1) > 0.6 else "white"
            ax.text(
                0.8 * np.cos(angle),
                0.8 * np.sin(angle),
                label,
                ha="center",
                va="center",
                fontsize=9,
                color=text_color,
            )
            ax.text(
                1.15 * np.cos(angle),
                1.15 * np.sin(angle),
                str(slot),
                ha="center",
                va="center",
                fontsize=7,
                color="0.4",
            )
        angle = np.deg2rad(90 - 360 * (next_slot + 0.5) / capacity)
        ax.annotate(
            "",
            xy=(0.55 * np.cos(angle), 0.55 * np.sin(angle)),
            xytext=(0, 0),
            arrowprops={"arrowstyle": "->", "color": "crimson", "linewidth": 2},
        )
        ax.set_title(title, fontsize=10)
        ax.set_xlim(-1.3, 1.3)
        ax.set_ylim(-1.3, 1.3)
        ax.set_aspect("equal")
        ax.axis("off")
    mappable = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, latest))
    fig.colorbar(mappable, ax=list(axes), fraction=0.02, label="push step of the item (time)")
    fig.suptitle(
        f"A ring of {capacity} slots (grey: empty; small numbers: slot; red arrow: next write)",
        fontsize=11,
    )
    return fig


def slot_histogram(counts: np.ndarray, expected: float, title: str) -> Figure:
    """Bars of how often each slot was sampled, against the uniform expectation.

    Explained in ``notebooks/02_fifo_buffer.ipynb``.

    Args:
        counts: int array (slots,), times each slot was drawn.
        expected: draws per slot under uniform sampling (total draws / slots).
    """
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.plot(np.arange(len(counts)), counts, "o", color="tab:blue", label="sampled")
    ax.axhline(expected, color="crimson", linestyle="--", label=f"uniform: {expected:.0f}")
    spread = np.sqrt(expected)
    ax.axhspan(
        expected - 2 * spread,
        expected + 2 * spread,
        color="crimson",
        alpha=0.12,
        label="± 2 std (binomial)",
    )
    ax.set_xlabel("slot")
    ax.set_ylabel("times drawn")
    ax.set_title(title)
    ax.set_ylim(expected - 6 * spread, expected + 6 * spread)
    ax.legend(loc="upper right", ncols=3, fontsize=8)
    return fig


def batch_comparison_figure(
    consecutive: np.ndarray, replayed: np.ndarray, ylabel: str, title: str
) -> Figure:
    """One batch of consecutive steps next to one batch drawn from a replay buffer.

    Explained in ``notebooks/02_fifo_buffer.ipynb``.

    Args:
        consecutive: float array (batch,), one state feature over consecutive steps.
        replayed: float array (batch,), the same feature for a uniformly sampled batch.
    """
    fig, ax = plt.subplots(figsize=(8, 3.2))
    positions = np.arange(len(consecutive))
    ax.plot(positions, consecutive, "o-", label="consecutive steps (on-policy batch)")
    ax.plot(positions, replayed, "s-", alpha=0.8, label="uniform sample from the buffer")
    ax.set_xlabel("position in the batch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="best", fontsize=9)
    return fig


# -- chapter 03: sum-tree and prioritized sampling ------------------------------------------
def sum_tree_levels(leaves: Sequence[float], branching: int = 2) -> list[np.ndarray]:
    """Node sums of a tree over ``leaves``, root level first (leaves zero-padded).

    Explained in ``notebooks/03_prioritized_replay.ipynb``: the same sums a
    :class:`~a3cmem_lib.memory.SumTree` keeps, recomputed here from its leaves for drawing.
    """
    values = np.asarray(leaves, dtype=float)
    width = 1
    while width < len(values):
        width *= branching
    level = np.zeros(width)
    level[: len(values)] = values
    levels = [level]
    while len(level) > 1:
        level = level.reshape(-1, branching).sum(axis=1)
        levels.append(level)
    return levels[::-1]


def prefix_sum_path(
    levels: list[np.ndarray], branching: int, target: float
) -> list[tuple[int, float]]:
    """``(node, remaining target)`` on each level of a prefix-sum search, root first.

    At each node the search walks the children left to right, subtracting the sum of every
    child it passes, and descends into the child whose running sum first exceeds the target.
    The last entry's node is the leaf found.
    """
    node, path = 0, [(0, float(target))]
    for level in levels[1:]:
        children = level[node * branching : (node + 1) * branching]
        running = np.cumsum(children)
        child = int(min(np.searchsorted(running, target, side="right"), branching - 1))
        target -= running[child] - children[child]
        node = node * branching + child
        path.append((node, float(target)))
    return path


def sum_tree_figure(leaves: Sequence[float], target: float, branching: int = 2) -> Figure:
    """Draw a small sum-tree with every node's sum and the path of a search for ``target``.

    Explained in ``notebooks/03_prioritized_replay.ipynb``.

    Args:
        leaves: leaf values (priorities p_i^α), a few dozen at most.
        target: prefix sum searched for, in [0, sum(leaves)).
        branching: children per node.
    """
    levels = sum_tree_levels(leaves, branching)
    steps = prefix_sum_path(levels, branching, target)
    path = [node for node, _ in steps]
    depth = len(levels) - 1
    fig, ax = plt.subplots(figsize=(10, 1.3 * (depth + 1) + 0.6))
    width = len(levels[-1])

    def position(level: int, node: int) -> tuple[float, float]:
        span = width / len(levels[level])
        return (node + 0.5) * span, depth - level

    for level, sums in enumerate(levels):
        for node, value in enumerate(sums):
            x, y = position(level, node)
            if level < depth:
                for child in range(node * branching, (node + 1) * branching):
                    cx, cy = position(level + 1, child)
                    on_path = path[level] == node and path[level + 1] == child
                    ax.plot(
                        [x, cx],
                        [y, cy],
                        color="crimson" if on_path else "0.7",
                        linewidth=2.5 if on_path else 1,
                        zorder=1,
                    )
            on_path = path[level] == node
            ax.add_patch(
                FancyBboxPatch(
                    (x - 0.38, y - 0.2),
                    0.76,
                    0.4,
                    boxstyle="round,pad=0.02",
                    zorder=2,
                    facecolor="mistyrose" if on_path else "white",
                    edgecolor="crimson" if on_path else "0.4",
                )
            )
            ax.text(x, y, f"{value:g}", ha="center", va="center", fontsize=9, zorder=3)
            if on_path:
                remaining = steps[level][1]
                ax.text(
                    x + 0.45,
                    y + 0.12,
                    f"t = {remaining:g}",
                    ha="left",
                    va="center",
                    fontsize=8,
                    color="crimson",
                    zorder=3,
                )
    for leaf in range(width):
        x, y = position(depth, leaf)
        ax.text(x, y - 0.38, f"i={leaf}", ha="center", va="center", fontsize=8, color="0.4")
    ax.set_xlim(0, width)
    ax.set_ylim(-0.7, depth + 0.4)
    ax.axis("off")
    ax.set_title(
        f"Sum-tree over {len(leaves)} leaves: searching prefix sum {target:g} "
        f"ends at leaf {path[-1]} (red path)"
    )
    return fig


def priority_panels(
    priorities: np.ndarray,
    rows: Sequence[tuple[float, float, np.ndarray, np.ndarray]],
    figure: Figure | None = None,
) -> Figure:
    """Bars of the sampling distribution P(i) and the importance weights w_i per setting.

    Explained in ``notebooks/03_prioritized_replay.ipynb``; the interactive
    :func:`~a3cmem_lib.teaching.widgets.priority_explorer` draws one row of it.

    Args:
        priorities: float array (n,), the items' priorities p_i.
        rows: ``(alpha, beta, probabilities, weights)`` per row, arrays of shape (n,).
        figure: draw into this figure (e.g. a non-pyplot one for a widget); default: new.
    """
    fig = figure if figure is not None else plt.figure(figsize=(10, 2.4 * len(rows) + 0.4))
    axes = fig.subplots(len(rows), 2, squeeze=False)
    items = np.arange(len(priorities))
    uniform = 1 / len(priorities)
    for (alpha, beta, probabilities, weights), (left, right) in zip(rows, axes, strict=True):
        left.bar(items, probabilities, color="tab:blue")
        left.axhline(uniform, color="0.3", linestyle=":", label="uniform 1/N")
        left.set_ylabel("P(i)")
        left.set_title(f"sampling distribution, α = {alpha:.2f}", fontsize=10)
        left.legend(loc="upper left", fontsize=8)
        right.bar(items, weights, color="tab:orange")
        right.set_ylim(0, 1.05)
        right.set_ylabel("w_i")
        right.set_title(f"importance weights, α = {alpha:.2f}, β = {beta:.2f}", fontsize=10)
    for ax in axes[-1]:
        ax.set_xlabel("item i")
    for ax in axes.ravel():
        labels = [f"{i}\n(p={p:g})" for i, p in enumerate(priorities)]
        ax.set_xticks(items, labels if len(items) <= 10 else None, fontsize=7)
    fig.tight_layout()
    return fig


def frequency_figure(probabilities: np.ndarray, frequencies: np.ndarray, draws: int) -> Figure:
    """Sampled frequencies against the target distribution P(i).

    Explained in ``notebooks/03_prioritized_replay.ipynb``.

    Args:
        probabilities: float array (n,), P(i).
        frequencies: float array (n,), fraction of the ``draws`` that picked item i.
    """
    fig, ax = plt.subplots(figsize=(8, 3.2))
    items = np.arange(len(probabilities))
    ax.bar(items, probabilities, color="0.8", label="P(i) = p_i^α / Σ p^α")
    ax.plot(items, frequencies, "o", color="crimson", label=f"sampled frequency ({draws:,} draws)")
    ax.set_xlabel("item i")
    ax.set_ylabel("probability")
    ax.set_title("Stratified sampling from the sum-tree reproduces P(i)")
    ax.legend(loc="upper left")
    return fig


def timing_figure(
    sizes: Sequence[int],
    timings: dict[str, tuple[np.ndarray, np.ndarray]],
    xlabel: str,
    ylabel: str,
    title: str,
) -> Figure:
    """Log-log plot of mean ± std timings against a size, one line per implementation.

    Explained in ``notebooks/03_prioritized_replay.ipynb``.

    Args:
        sizes: the x values (e.g. capacities).
        timings: label -> (means, stds), float arrays (len(sizes),) in the unit of ``ylabel``.
    """
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, (means, stds) in timings.items():
        ax.errorbar(sizes, means, yerr=stds, marker="o", capsize=3, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return fig


def beta_schedule_figure(steps: np.ndarray, betas: np.ndarray) -> Figure:
    """β against training step (the annealing schedule). Explained in notebook 03."""
    fig, ax = plt.subplots(figsize=(6, 2.6))
    ax.plot(steps, betas)
    ax.set_xlabel("training step")
    ax.set_ylabel("β")
    ax.set_ylim(0, 1.05)
    ax.set_title("Importance-sampling exponent β annealed to 1")
    return fig
