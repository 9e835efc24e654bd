"""Replay memories (numpy only): FIFO ring, sum-tree prioritized replay, deduplication.

Explained in notebooks 02 (FIFO), 03 (prioritized replay) and 04 (deduplication).
"""

from .dedup import DedupBuffer, hash_fields
from .fifo import FIFOBuffer
from .prioritized import PrioritizedReplayBuffer, anneal_beta
from .storage import Transition
from .sumtree import SumTree

__all__ = [
    "DedupBuffer",
    "FIFOBuffer",
    "PrioritizedReplayBuffer",
    "SumTree",
    "Transition",
    "anneal_beta",
    "hash_fields",
]
