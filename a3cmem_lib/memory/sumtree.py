"""Sum-tree: prefix-sum search over non-negative values in O(log n), batched in numpy.

Explained in ``notebooks/03_prioritized_replay.ipynb``, where the tree is drawn.

Layout. A textbook sum-tree is binary: every node holds the sum of its two children, so a
search walks log2(n) levels. In numpy each level is one round of vectorised operations over
the whole batch, and the cost of a round is dominated by its fixed overhead, not its width.
So we use a *wide* tree: every node has ``branching`` children (16 by default), stored
level by level in flat arrays; a million leaves need 5 levels instead of 20. A search step
gathers the ``branching`` children of every node in the batch with one fancy index, takes
their running sum (``cumsum``) and counts how many running sums lie at or below the target.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import check_indices, check_positive_int, check_priorities


class SumTree:
    """A complete ``branching``-ary tree whose leaves hold non-negative values.

    Every internal node holds the sum of its children, so the root holds the total, and
    finding the leaf where a running (prefix) sum crosses a target takes one step per level.
    The tree also keeps the minimum over the leaves that were written (prioritized replay
    needs it to normalise its importance-sampling weights).

    Args:
        capacity: number of leaves, ``>= 1``.
        branching: children per node, ``>= 2`` (2 gives the classic binary tree).

    All operations are vectorised over a batch of n indices and cost O(n log capacity) with
    one numpy call per level, no Python loop over the batch.
    """

    def __init__(self, capacity: int, *, branching: int = 16) -> None:
        self.capacity = check_positive_int("capacity", capacity)
        self.branching = check_positive_int("branching", branching)
        if self.branching < 2:
            raise ValueError(f"branching must be an integer >= 2, got {branching}")
        depth = 0
        while self.branching**depth < self.capacity:
            depth += 1
        self.depth = depth
        # Level d has branching**d nodes; level `depth` holds the leaves (padded with zeros).
        self._sums = [np.zeros(self.branching**d) for d in range(depth + 1)]
        self._mins = [np.full(self.branching**d, np.inf) for d in range(depth + 1)]

    # -- reading ---------------------------------------------------------------------------
    @property
    def total(self) -> float:
        """The sum of all leaf values."""
        return float(self._sums[0][0])

    @property
    def min(self) -> float:
        """The smallest value among the leaves written so far (``inf`` if none)."""
        return float(self._mins[0][0])

    @property
    def leaves(self) -> np.ndarray:
        """Read-only view of the leaf values, float64 array (capacity,)."""
        view = self._sums[-1][: self.capacity]
        view.flags.writeable = False
        return view

    def get(self, indices: Any) -> np.ndarray:
        """Leaf values at ``indices`` (int array (n,) in [0, capacity)), float64 (n,)."""
        return self._sums[-1][check_indices("indices", indices, self.capacity)]

    def __getitem__(self, indices: Any) -> np.ndarray | float:
        if np.ndim(indices) == 0:
            return float(self.get(indices)[0])
        return self.get(indices)

    # -- writing ---------------------------------------------------------------------------
    def update(self, indices: Any, values: Any) -> None:
        """Set the leaves at ``indices`` (int (n,), in [0, capacity)) to ``values`` (float (n,),
        finite, >= 0) and refresh their ancestors. With repeated indices the last value wins.
        """
        indices = check_indices("indices", indices, self.capacity)
        values = check_priorities("values", values, len(indices))
        self.update_unchecked(indices, values)

    def update_unchecked(self, indices: np.ndarray, values: np.ndarray) -> None:
        """:meth:`update` for callers that validated ``indices`` (int64 (n,)) and ``values``."""
        k = self.branching
        self._sums[-1][indices] = values
        self._mins[-1][indices] = values
        nodes = indices
        for level in range(self.depth - 1, -1, -1):
            nodes = nodes // k
            # Recompute each parent from its children (no running deltas: no drift).
            self._sums[level][nodes] = self._sums[level + 1].reshape(-1, k)[nodes].sum(axis=1)
            self._mins[level][nodes] = self._mins[level + 1].reshape(-1, k)[nodes].min(axis=1)

    def clear(self) -> None:
        """Set every leaf back to empty (sum 0, no minimum)."""
        for sums, mins in zip(self._sums, self._mins, strict=True):
            sums.fill(0.0)
            mins.fill(np.inf)

    # -- searching -------------------------------------------------------------------------
    def find(self, prefix_sums: Any) -> np.ndarray:
        """For each target t in ``prefix_sums`` (float (n,), in [0, total)), the leaf i with
        ``sum(leaves[:i]) <= t < sum(leaves[:i + 1])``.

        Returns int64 (n,). A leaf of value 0 is never returned. Targets at or past the total
        (possible only through rounding) map to the last non-empty leaf.
        """
        targets = np.array(prefix_sums, dtype=np.float64, ndmin=1)
        if targets.ndim != 1:
            raise ValueError(f"prefix_sums must be one-dimensional, got shape {targets.shape}")
        if not self.total > 0:
            raise ValueError("cannot search an empty tree (total is 0)")
        if not np.all(np.isfinite(targets)) or np.any(targets < 0):
            raise ValueError(f"prefix_sums must be finite and >= 0, got {targets}")
        return self.find_unchecked(targets)

    def find_unchecked(self, targets: np.ndarray) -> np.ndarray:
        """:meth:`find` for validated targets (float64 (n,)); ``targets`` is overwritten."""
        k = self.branching
        nodes = np.zeros(len(targets), dtype=np.int64)
        for level in range(1, self.depth + 1):
            children = self._sums[level].reshape(-1, k)[nodes]  # (n, k)
            running = np.cumsum(children, axis=1)
            # A target must stay below its node's sum; rounding may push it to the edge.
            np.minimum(targets, running[:, -1] * (1.0 - 1e-12), out=targets)
            child = np.count_nonzero(running <= targets[:, None], axis=1)
            before = np.take_along_axis(running, np.maximum(child - 1, 0)[:, None], axis=1)[:, 0]
            targets -= np.where(child > 0, before, 0.0)
            nodes = nodes * k + child
        return nodes

    # -- checkpoints -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "capacity": self.capacity,
            "branching": self.branching,
            "leaves": self._sums[-1][: self.capacity].copy(),
            "written": np.isfinite(self._mins[-1][: self.capacity]),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state["capacity"] != self.capacity or state["branching"] != self.branching:
            raise ValueError(
                f"state_dict is for capacity {state['capacity']}, branching "
                f"{state['branching']}; this tree has {self.capacity}, {self.branching}"
            )
        self.clear()
        written = np.flatnonzero(state["written"])
        self.update_unchecked(written, np.asarray(state["leaves"], dtype=np.float64)[written])
