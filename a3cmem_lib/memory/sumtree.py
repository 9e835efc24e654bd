"""Sum-tree: prefix-sum search over non-negative values in O(log n), batched in numpy.

Explained in ``notebooks/03_prioritized_replay.ipynb``, where the tree is drawn.

Layout. A textbook sum-tree is binary: every node holds the sum of its two children, so a
search walks log2(n) levels. In numpy each level is one round of vectorised operations over
the whole batch, and a round costs about the same whether it handles 2 or 16 numbers per
node: its fixed overhead dominates. So the tree here is *wide* and *short*:

- every node has ``branching`` children (16 by default), stored level by level in flat
  arrays, so the children of node ``i`` are the contiguous block ``[i*k, (i+1)*k)``;
- the top level (at most ``top_size`` nodes) is kept as one running-sum array and searched
  with a single ``np.searchsorted``; refreshing it costs one ``np.cumsum`` per update call.

A million leaves then need one ``searchsorted`` and two rounds of 16-wide steps, instead of
twenty binary levels. A 16-wide step gathers the children of every node in the batch with
one fancy index, forms their running sums (16 vector additions over the whole batch), and
counts how many running sums lie at or below the target.

The minimum over the leaves (prioritized replay normalises its weights by it) has a tree of
minima of its own, refreshed lazily: once every leaf is written, an update that overwrites
no leaf holding the minimum keeps it from the new values alone (two reductions), and only
when it may be gone are the minima of the blocks written since the last refresh recomputed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import check_indices, check_positive_int, check_priorities


class SumTree:
    """A wide tree over ``capacity`` non-negative leaf values.

    Every internal node holds the sum of its children, so the top holds the total, and
    finding the leaf where a running (prefix) sum crosses a target takes one step per level.
    The tree also keeps the minimum over the leaves written so far (prioritized replay needs
    it to normalise its importance-sampling weights).

    Args:
        capacity: number of leaves, ``>= 1``.
        branching: children per node, ``>= 2`` (2 gives the classic binary tree).
        top_size: largest number of nodes in the top level, searched as one running-sum
            array, ``>= 1`` (1 gives a classic tree with a single root).

    Costs, for a batch of n indices: O(n · log_k(capacity / top_size) + top_size) with one
    numpy call per level and no Python loop over the batch; the top-level term is a single
    vectorised pass over at most ``top_size`` (4096) numbers.
    """

    def __init__(self, capacity: int, *, branching: int = 16, top_size: int = 4096) -> None:
        self.capacity = check_positive_int("capacity", capacity)
        self.branching = check_positive_int("branching", branching)
        if self.branching < 2:
            raise ValueError(f"branching must be an integer >= 2, got {branching}")
        self.top_size = check_positive_int("top_size", top_size)
        k = self.branching
        depth = 0  # levels below the top
        while -(-self.capacity // k**depth) > self.top_size:
            depth += 1
        self.depth = depth
        top = -(-self.capacity // k**depth)
        # Level 0 is the top (``top`` nodes); level ``depth`` holds the leaves, zero-padded.
        self._sums = [np.zeros(top * k**level) for level in range(depth + 1)]
        # Minima of the internal levels only; at the leaves a written-flag per leaf is enough
        # (the minimum of a leaf is its value) and costs 1 byte instead of 8.
        self._mins = [np.full(top * k**level, np.inf) for level in range(depth)]
        self._written = np.zeros(top * k**depth, dtype=bool)
        self._top_running = np.zeros(top + 1)  # [0, s_0, s_0 + s_1, ...]
        self._min = np.inf
        # The minima are refreshed only when an update may have overwritten the minimum
        # (then ``_min_stale``), for the leaf blocks written since the last refresh.
        # ``_min_holders`` is a lower bound on the number of leaves holding the minimum.
        self._min_stale = False
        self._min_holders = 0
        # Leaf blocks written since the last refresh: arrays of block indices (repeats
        # allowed), or None for "all of them" once they would hold more than a quarter.
        self._written_since: list[np.ndarray] | None = []
        self._written_since_count = 0
        self._written_since_limit = max(len(self._sums[depth - 1]) // 4, 1) if depth else 0
        self._ones = np.ones(k)
        # Leaves never written among the first ``capacity``; once 0 (and no leaf-level node
        # holds padding) a leaf's minimum is its value and updates skip the written-flags.
        self._unwritten = self.capacity
        self._padded = self.capacity % k != 0
        self._make_views()

    def _make_views(self) -> None:
        """Views of levels 1 .. depth as (parents, k) blocks of children, made once: the hot
        paths gather whole blocks, and a reshape per call costs as much as a small gather.
        ``_child_sums[level]`` are the children of the nodes of ``level``."""
        k = self.branching
        self._child_sums = [sums.reshape(-1, k) for sums in self._sums[1:]]
        self._child_mins = [mins.reshape(-1, k) for mins in self._mins[1:]]
        self._written_blocks = self._written.reshape(-1, k) if self.depth else None
        self._top_bounds = self._top_running[1:]  # [s_0, s_0 + s_1, ...]
        self._leaf_view = self._sums[-1][: self.capacity]
        self._leaf_view.flags.writeable = False
        self._find_scratch: tuple[Any, ...] | None = None

    # A pickle or deep copy would turn the views into arrays of their own: leave them out
    # and make them again from the copied arrays.
    _VIEWS = (
        "_child_sums",
        "_child_mins",
        "_written_blocks",
        "_top_bounds",
        "_leaf_view",
        "_find_scratch",
    )

    def __getstate__(self) -> dict[str, Any]:
        return {name: value for name, value in self.__dict__.items() if name not in self._VIEWS}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._make_views()

    # -- reading ---------------------------------------------------------------------------
    @property
    def total(self) -> float:
        """The sum of all leaf values."""
        return float(self._top_running[-1])

    @property
    def min(self) -> float:
        """The smallest value among the leaves written so far (``inf`` if none)."""
        if self._min_stale:
            self._refresh_min()
        return self._min

    @property
    def leaves(self) -> np.ndarray:
        """Read-only view of the leaf values, float64 array (capacity,)."""
        return self._leaf_view

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
        leaves = self._sums[-1]
        if not len(indices):
            return
        if self.depth and not self._min_stale:
            self._forget_overwritten_min(leaves[indices])
        leaves[indices] = values
        if self._unwritten:
            fresh = indices[~self._written[indices]]
            if len(fresh):
                self._written[fresh] = True
                self._unwritten -= len(np.unique(fresh))
        ones = self._ones
        nodes = indices
        for level in range(self.depth - 1, -1, -1):
            nodes = nodes // k
            # Recompute each parent from its children (no running deltas: no drift).
            self._sums[level][nodes] = self._child_sums[level].take(nodes, axis=0) @ ones
            if level == self.depth - 1 and self._written_since is not None:
                self._written_since.append(nodes)
                self._written_since_count += len(nodes)
                if self._written_since_count > self._written_since_limit:
                    self._written_since = None
        # np.cumsum itself, without the dispatch of the function wrapper (1-2 µs a call)
        np.add.accumulate(self._sums[0], out=self._top_bounds)
        if not self.depth:
            self._min = float(np.where(self._written, self._sums[0], np.inf).min())
        elif not self._min_stale and values.min() < self._min:
            # With repeated indices a smaller value may not be the last one written.
            written = float(leaves[indices].min())
            if written < self._min:
                self._min, self._min_holders = written, 1

    def _forget_overwritten_min(self, old: np.ndarray) -> None:
        """Before leaves holding ``old`` (float64 (n,)) are overwritten: the minimum survives
        while some leaf not overwritten still holds it, else it is marked stale."""
        if self._unwritten:  # an unwritten leaf's 0 is no minimum: refresh when read
            self._min_stale = True
        elif old.min() <= self._min:
            # A repeated index is counted once per occurrence: the bound stays a lower bound.
            self._min_holders -= int(np.count_nonzero(old == self._min))
            self._min_stale = self._min_holders <= 0

    def _refresh_min(self) -> None:
        """Recompute the minima of the leaf blocks written since the last refresh and of
        their ancestors, then the minimum over the top level."""
        k = self.branching
        everything = self._written_since is None
        if everything:  # the blocks holding leaves (later ones hold padding only)
            nodes = np.arange(-(-self.capacity // k))
        else:
            nodes = np.concatenate(self._written_since or [np.zeros(0, dtype=np.int64)])
        self._written_since, self._written_since_count = [], 0
        flags_needed = self._unwritten > 0 or self._padded
        for level in range(self.depth - 1, -1, -1):
            if level == self.depth - 1:  # leaves: their values, where written
                children = self._child_sums[level].take(nodes, axis=0)
                if flags_needed:
                    assert self._written_blocks is not None
                    written = self._written_blocks.take(nodes, axis=0)
                    children = np.where(written, children, np.inf)
            else:
                children = self._child_mins[level].take(nodes, axis=0)
            # A minimum over the leading axis of a contiguous (k, n) array is k-1 fast
            # vector operations; over the trailing axis of (n, k) it is n slow short loops.
            self._mins[level][nodes] = np.minimum.reduce(np.ascontiguousarray(children.T))
            if level:  # (repeated nodes cost time only; "all of them" has k of each)
                nodes = np.arange(len(self._mins[level - 1])) if everything else nodes // k
        self._min = float(self._mins[0].min())
        # Every top node whose minimum it is holds at least one leaf of that value.
        self._min_holders = int(np.count_nonzero(self._mins[0] == self._min))
        self._min_stale = False

    def clear(self) -> None:
        """Set every leaf back to empty (sum 0, no minimum)."""
        for sums in self._sums:
            sums.fill(0.0)
        for mins in self._mins:
            mins.fill(np.inf)
        self._written.fill(False)
        self._unwritten = self.capacity
        self._top_running.fill(0.0)
        self._min = np.inf
        self._min_stale = False
        self._min_holders = 0
        self._written_since, self._written_since_count = [], 0

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
        running = self._top_running
        # A target must stay below the total; rounding may push it to the edge. Then the
        # running sum rises at the chosen node, so that node has a positive sum.
        np.minimum(targets, running[-1] * (1.0 - 1e-12), out=targets)
        nodes = self._top_bounds.searchsorted(targets, "right")
        targets -= running[nodes]
        if not self.depth:
            return nodes
        n = len(targets)
        if self._find_scratch is None or self._find_scratch[0] != n:
            self._find_scratch = self._make_find_scratch(n)
        _, flat, sums, steps, last, edge, passed, words, chosen, columns = self._find_scratch
        add, multiply = np.add, np.multiply
        for level, blocks in enumerate(self._child_sums, start=1):
            children = blocks.take(nodes, axis=0).T  # (k, n)
            # Added in order, so each row is >= the one before it, exactly. (A matrix
            # product is faster, but BLAS may round rows differently and break that.)
            for (total, previous), addend in zip(steps, children, strict=True):
                add(previous, addend, total)
            multiply(last, 1.0 - 1e-12, edge)
            np.minimum(targets, edge, out=targets)
            np.less_equal(sums, targets, passed)
            if words is None:
                child = np.add.reduce(passed, axis=0, dtype=np.int64)
            else:
                child = np.add.reduce(words, axis=0).view(np.uint8)
            if level < self.depth:  # the leaf level leaves no target to carry down
                multiply(child, n, chosen, dtype=np.int64)
                add(chosen, columns, chosen)
                targets -= flat[chosen]
            multiply(nodes, k, nodes)
            add(nodes, child, nodes)
        return nodes

    def _make_find_scratch(self, n: int) -> tuple[Any, ...]:
        """Arrays :meth:`find_unchecked` reuses while the batch size ``n`` is unchanged."""
        k = self.branching
        running = np.zeros((k + 1, n))  # row j: sum of the first j children; row 0 stays 0
        rows = list(running)
        passed = np.empty((k, n), dtype=bool)
        # Counting the True flags of each column: summed as uint64 words, 8 flags per word
        # (a byte cannot overflow while k < 256), it is one reduction over k short rows.
        words = passed.view(np.uint64) if n % 8 == 0 and k < 256 else None
        steps = list(zip(rows[1:], rows[:-1], strict=True))  # (row j + 1, row j)
        return (
            n,
            running.ravel(),
            running[1:],
            steps,
            rows[k],
            np.empty(n),
            passed,
            words,
            np.empty(n, dtype=np.int64),
            np.arange(n),
        )

    # -- checkpoints -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Leaves, written-flags and the internal sums: numpy arrays and ints only.

        The internal sums are saved, not recomputed on load: a sum over a node's children
        may round differently with the batch size of the update that computed it (BLAS picks
        kernels by size), and a restored tree must search exactly as the saved one did.
        """
        return {
            "capacity": self.capacity,
            "branching": self.branching,
            "top_size": self.top_size,
            "leaves": self._sums[-1][: self.capacity].copy(),
            "written": self._written[: self.capacity].copy(),
            "sums": [sums.copy() for sums in self._sums[:-1]],  # levels 0 .. depth - 1
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        shape = (state["capacity"], state["branching"], state["top_size"])
        if shape != (self.capacity, self.branching, self.top_size):
            raise ValueError(
                f"state_dict is for (capacity, branching, top_size) = {shape}; this tree has "
                f"{(self.capacity, self.branching, self.top_size)}"
            )
        self.clear()
        written = np.flatnonzero(state["written"])
        self.update_unchecked(written, np.asarray(state["leaves"], dtype=np.float64)[written])
        if "sums" in state:  # absent in checkpoints written before the sums were saved
            for level, sums in enumerate(state["sums"]):
                self._sums[level][:] = sums
            np.add.accumulate(self._sums[0], out=self._top_bounds)
