"""Asynchronous A3C training: config, workers, ``train()``, evaluation, checkpoints, CLI.

Explained in notebooks/01_a3c_basics.ipynb.
"""

from a3cmem_lib.training.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from a3cmem_lib.training.config import DEDUP_KEYS, MEMORY_KINDS, TrainConfig
from a3cmem_lib.training.evaluate import evaluate
from a3cmem_lib.training.train import TrainResult, WorkerError, train

__all__ = [
    "DEDUP_KEYS",
    "MEMORY_KINDS",
    "Checkpoint",
    "TrainConfig",
    "TrainResult",
    "WorkerError",
    "evaluate",
    "load_checkpoint",
    "save_checkpoint",
    "train",
]
