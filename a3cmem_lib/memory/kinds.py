"""The kinds of replay memory a run can ask for by name (``TrainConfig.memory``), in one
registry: what each builds, whether it prioritises and whether it deduplicates.

Explained in notebooks/05_async_training_with_memory.ipynb (section "The memory layer");
the buffers themselves in notebooks 02 (FIFO), 03 (prioritized replay) and 04
(deduplication).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from .dedup import DedupBuffer
from .fifo import FIFOBuffer
from .prioritized import PrioritizedReplayBuffer
from .protocol import ReplayMemory


@dataclass(frozen=True)
class MemoryKind:
    """One kind of replay memory: a uniform or prioritized ring, with or without
    deduplication."""

    name: str
    """Its name, as ``TrainConfig.memory`` and ``--memory`` spell it."""
    prioritized: bool
    """Whether it samples in proportion to priority^α (:class:`PrioritizedReplayBuffer`)
    rather than uniformly (:class:`FIFOBuffer`)."""
    deduplicates: bool
    """Whether a :class:`DedupBuffer` around it refuses items equal (by key) to stored ones."""

    def build(
        self,
        capacity: int,
        *,
        alpha: float = 0.6,
        beta: float = 0.4,
        key: Callable[[Any], Hashable] | None = None,
        seed: int | None = None,
    ) -> ReplayMemory:
        """A new, empty memory of this kind.

        Args:
            capacity: items it holds.
            alpha, beta: prioritization and importance-sampling exponents (prioritized
                kinds only).
            key: an item's dedup key (deduplicating kinds; required there).
            seed: seed of its sampling generator.
        """
        if self.prioritized:
            buffer: FIFOBuffer = PrioritizedReplayBuffer(
                capacity, alpha=alpha, beta=beta, seed=seed
            )
        else:
            buffer = FIFOBuffer(capacity, seed=seed)
        if not self.deduplicates:
            return buffer
        if key is None:
            raise ValueError(f"memory {self.name!r} deduplicates: it needs a key function")
        return DedupBuffer(buffer, key=key)


REPLAY_MEMORIES = {
    kind.name: kind
    for kind in (
        MemoryKind("fifo", prioritized=False, deduplicates=False),
        MemoryKind("per", prioritized=True, deduplicates=False),
        MemoryKind("fifo+dedup", prioritized=False, deduplicates=True),
        MemoryKind("per+dedup", prioritized=True, deduplicates=True),
    )
}
"""Every kind of replay memory by name. Adding a kind is one entry here."""
