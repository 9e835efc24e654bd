"""Prioritized experience replay (Schaul et al., 2016, "proportional" variant) on a sum-tree.

Explained in ``notebooks/03_prioritized_replay.ipynb``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import (
    check_indices,
    check_positive_float,
    check_positive_int,
    check_priorities,
    check_priority,
    check_unit_interval,
)
from .fifo import FIFOBuffer
from .sumtree import SumTree


class PrioritizedReplayBuffer(FIFOBuffer):
    """A ring buffer that samples item i with probability P(i) = p_i^α / Σ_k p_k^α.

    ``p_i = priority_i + eps``, where the priority is usually the magnitude of the item's
    last TD error. The sum-tree holds ``p_i^α`` per slot, so sampling a batch costs
    O(batch · log capacity). Sampling is *stratified*: the total mass is cut into
    ``batch_size`` equal segments and one item is drawn from each (with replacement across
    segments, so a batch can never run out of items with non-zero priority).

    Importance-sampling weights correct the bias of non-uniform sampling (Schaul et al.,
    2016, section 3.4): ``w_i = (N · P(i))^(-β)``, with N the number of stored items,
    normalised "by 1/max_i w_i" so that they only scale updates down. The paper does not say
    whether that maximum runs over the sampled batch or over the whole memory; this library
    chooses the whole memory, as OpenAI baselines does (through the smallest stored priority):
    ``w_i = (N · P(i))^(-β) / max_k (N · P(k))^(-β)``, k over the stored items. The largest
    weight belongs to the item of smallest priority, so ``w_i = (p_i^α / p_min^α)^(-β)``;
    every weight lies in (0, 1], and an item's weight does not depend on which other items
    share its batch. (Dividing by the largest weight *in the batch* is the other reading.)

    Args:
        capacity: maximum number of items, ``>= 1``; the oldest is overwritten first.
        alpha: how strongly priorities shape sampling, in [0, 1] (0 is uniform).
        beta: default importance-sampling exponent for :meth:`sample`, in [0, 1]
            (1 corrects fully); anneal it towards 1 with :func:`anneal_beta`.
        eps: added to every priority so no item gets probability 0, ``> 0``.
        seed: seed of the buffer's random generator.
        branching: children per sum-tree node (see :class:`SumTree`).

    Attributes:
        max_priority: the largest priority given so far (1.0 at first), what an item pushed
            without a priority gets. Every priority set by ``push``, ``extend`` or
            :meth:`update_priorities` raises it; :class:`~a3cmem_lib.memory.DedupBuffer`
            raises it for the priority of a refused duplicate too.
    """

    def __init__(
        self,
        capacity: int,
        *,
        alpha: float = 0.6,
        beta: float = 0.4,
        eps: float = 1e-6,
        seed: int | None = None,
        branching: int = 16,
    ) -> None:
        super().__init__(capacity, seed=seed)
        self.alpha = check_unit_interval("alpha", alpha)
        self.beta = beta
        self.eps = check_positive_float("eps", eps)
        self.tree = SumTree(self.capacity, branching=branching)
        self._priorities = np.zeros(self.capacity)
        self.max_priority = 1.0
        self._strata_cache = np.zeros(0)

    @property
    def beta(self) -> float:
        """Default importance-sampling exponent of :meth:`sample`, in [0, 1]."""
        return self._beta

    @beta.setter
    def beta(self, value: float) -> None:
        self._beta = check_unit_interval("beta", value)

    @property
    def prioritized(self) -> bool:
        """Whether priorities shape sampling: ``True`` (P(i) ∝ p_i^α)."""
        return True

    # -- adding items ----------------------------------------------------------------------
    def push(self, item: Any, priority: float | None = None) -> int:
        """Store one item with ``priority`` (finite, >= 0); ``None`` means
        :attr:`max_priority`, the largest priority given so far (1.0 at first). No stored
        item has a larger priority, so this maximises the new item's probability of being
        drawn (equal to that of any item with the same priority), no more: sampling is
        random, and nothing guarantees that the item is drawn before it is overwritten.

        ``item`` is one record, or :class:`~a3cmem_lib.memory.StoredItems` from
        :meth:`as_stored`."""
        stored = self.as_stored(item)
        value = self.max_priority if priority is None else check_priority("priority", priority)
        slots = self._store(stored)
        self._set_priorities(slots, np.array([value]))
        return int(slots[0])

    def extend(self, items: Any, priorities: Any = None) -> np.ndarray:
        """Store a batch of items (fields batched along axis 0) with ``priorities`` (float
        (n,), finite, >= 0; ``None`` means the largest priority seen so far for all).

        Returns the slots, int64 (n,)."""
        stored = self.as_stored(items, batched=True)
        self._check_fits(stored.count)
        if priorities is None:
            values = np.full(stored.count, self.max_priority)
        else:
            values = check_priorities("priorities", priorities, stored.count)
        slots = self._store(stored)
        self._set_priorities(slots, values)
        return slots

    def _set_priorities(self, slots: np.ndarray, priorities: np.ndarray) -> None:
        if len(priorities):
            self.max_priority = max(self.max_priority, float(priorities.max()))
        self._priorities[slots] = priorities
        scaled = priorities + self.eps  # p_i = priority_i + ε, stored as p_i^α
        scaled **= self.alpha
        self.tree.update_unchecked(slots, scaled)

    def update_priorities(self, indices: Any, priorities: Any) -> None:
        """Set new priorities (e.g. |TD error| after a learning step) for sampled slots.

        Args:
            indices: int (n,), slots of stored items (as returned by :meth:`sample`).
            priorities: float (n,), finite and >= 0.
        """
        indices = check_indices("indices", indices, len(self))
        self._set_priorities(indices, check_priorities("priorities", priorities, len(indices)))

    def priorities(self, indices: Any) -> np.ndarray:
        """Current priorities of stored slots, float64 (n,) (as given, before ``eps`` and α)."""
        indices = check_indices("indices", indices, len(self))
        return self._priorities[indices]

    def probabilities(self) -> np.ndarray:
        """P(i) of every stored item, float64 (len,): what :meth:`sample` draws from."""
        return self.tree.leaves[: len(self)] / self.tree.total

    # -- sampling --------------------------------------------------------------------------
    def sample(self, batch_size: int, beta: float | None = None) -> tuple[Any, np.ndarray, Any]:
        """Draw ``batch_size`` items by stratified proportional sampling.

        Args:
            batch_size: ``1 <= batch_size <= len(self)``.
            beta: importance-sampling exponent in [0, 1]; ``None`` uses :attr:`beta`.

        Returns:
            batch: the item structure with a leading batch axis.
            indices: int64 (batch,), the slots drawn (pass them to :meth:`update_priorities`).
            weights: float32 (batch,), importance-sampling weights in (0, 1].
        """
        batch_size = self._check_batch_size(batch_size)
        beta = self._beta if beta is None else check_unit_interval("beta", beta)
        tree = self.tree
        segment = tree.total / batch_size
        # Segment j of the total mass is [j, j + 1) · segment; one uniform draw in each.
        # (In place, with the same operations in the same order as arange + u, then · segment.)
        targets = self._rng.random(batch_size)
        targets += self._strata(batch_size)
        targets *= segment
        indices = tree.find_unchecked(targets)
        # w_i = (N P(i))^-β / max_k (N P(k))^-β = (p_i^α / p_min^α)^-β
        weights = tree.leaves.take(indices)
        weights /= tree.min
        weights **= -beta
        return self._storage.read(indices), indices, weights.astype(np.float32)

    def _strata(self, batch_size: int) -> np.ndarray:
        """``[0, 1, ..., batch_size - 1]`` as float64, made once per batch size."""
        if len(self._strata_cache) != batch_size:
            self._strata_cache = np.arange(batch_size, dtype=np.float64)
        return self._strata_cache

    # -- housekeeping ----------------------------------------------------------------------
    def clear(self) -> None:
        """Remove every item and reset the running maximum priority to 1.0."""
        super().clear()
        self.tree.clear()
        self._priorities.fill(0.0)
        self.max_priority = 1.0

    def state_dict(self) -> dict[str, Any]:
        """:meth:`FIFOBuffer.state_dict` plus α, β, ε, the maximum priority, the priorities
        (float64 (capacity,)) and the sum-tree: plain values and numpy arrays only."""
        state = super().state_dict()
        state.update(
            alpha=self.alpha,
            beta=self.beta,
            eps=self.eps,
            max_priority=self.max_priority,
            tree=self.tree.state_dict(),
            priorities=self._priorities.copy(),
        )
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if (state["alpha"], state["eps"]) != (self.alpha, self.eps):
            raise ValueError(
                f"state_dict has alpha={state['alpha']}, eps={state['eps']}; this buffer has "
                f"alpha={self.alpha}, eps={self.eps} (stored priorities depend on both)"
            )
        super().load_state_dict(state)
        self.tree.load_state_dict(state["tree"])
        self._priorities = np.array(state["priorities"], dtype=np.float64)
        self.beta = state["beta"]
        self.max_priority = float(state["max_priority"])


def anneal_beta(step: int, total_steps: int, *, start: float = 0.4, end: float = 1.0) -> float:
    """Importance-sampling exponent β, annealed linearly from ``start`` to ``end``.

    Schaul et al. (2016) anneal β to 1 by the end of training, when unbiased updates matter
    most. Returns ``start + (end - start) * min(step / total_steps, 1)``.

    Args:
        step: current training step, ``>= 0``.
        total_steps: step at which β reaches ``end``, ``>= 1``.
        start, end: values in [0, 1].
    """
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0:
        raise ValueError(f"step must be an integer >= 0, got {step!r}")
    total_steps = check_positive_int("total_steps", total_steps)
    start = check_unit_interval("start", start)
    end = check_unit_interval("end", end)
    return start + (end - start) * min(step / total_steps, 1.0)
