"""Replay memories (numpy only): FIFO ring, sum-tree prioritized replay, deduplication.

Every buffer is a :class:`ReplayMemory` (one ``push`` / ``sample`` / ``update_priorities`` /
``state_dict`` interface). Explained in notebooks 02 (FIFO), 03 (prioritized replay) and 04
(deduplication).
"""

from .dedup import DedupBuffer, hash_fields
from .fifo import FIFOBuffer
from .kinds import REPLAY_MEMORIES, MemoryKind
from .prioritized import PrioritizedReplayBuffer, anneal_beta
from .protocol import ReplayMemory
from .storage import StoredItems, Transition
from .sumtree import SumTree

__all__ = [
    "DedupBuffer",
    "FIFOBuffer",
    "MemoryKind",
    "PrioritizedReplayBuffer",
    "REPLAY_MEMORIES",
    "ReplayMemory",
    "StoredItems",
    "SumTree",
    "Transition",
    "anneal_beta",
    "hash_fields",
]
