"""Asynchronous A3C training: config, workers, the memory layer, ``train()``, checkpoints.

One experience's path: a worker's :class:`~.rollout.RolloutCollector` steps the environment
→ :func:`~.rollout.rollout_segments` cuts the rollout into segments → the worker's pipe →
:class:`~.memory_layer.MemoryLayer` pushes them into its replay buffer; the memory layer
samples batches for the :class:`~.learner.Learner` and writes the new priorities back.
Without a memory layer each worker applies its own gradient (:func:`~.worker.hogwild_step`).

Explained in notebooks/01_a3c_basics.ipynb and notebooks/05_async_training_with_memory.ipynb.
"""

from a3cmem_lib.training.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from a3cmem_lib.training.config import DEDUP_KEYS, MEMORY_KINDS, TrainConfig
from a3cmem_lib.training.errors import SetupError, TrainingInterrupted, WorkerError
from a3cmem_lib.training.evaluate import evaluate
from a3cmem_lib.training.result import TrainResult
from a3cmem_lib.training.schedules import Schedule
from a3cmem_lib.training.train import train

__all__ = [
    "DEDUP_KEYS",
    "MEMORY_KINDS",
    "Checkpoint",
    "Schedule",
    "SetupError",
    "TrainConfig",
    "TrainResult",
    "TrainingInterrupted",
    "WorkerError",
    "evaluate",
    "load_checkpoint",
    "save_checkpoint",
    "train",
]
