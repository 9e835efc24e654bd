"""The values a :class:`~a3cmem_lib.training.config.TrainConfig` field can take, where the
field is a choice.

Explained in notebooks/01_a3c_basics.ipynb (section "Hyperparameters").
"""

from __future__ import annotations

from typing import Any

from a3cmem_lib.memory import REPLAY_MEMORIES
from a3cmem_lib.training.backends import BACKENDS as BACKEND_MODULES

MEMORY_KINDS = ("none", *REPLAY_MEMORIES)
"""Values of ``TrainConfig.memory``: ``none`` is plain A3C, the rest name the replay buffer
(:data:`a3cmem_lib.memory.REPLAY_MEMORIES`)."""

DEDUP_KEYS = ("experience", "state-action")
"""What makes two segments duplicates: ``experience`` compares everything the environment
produced (states, actions, rewards, the bootstrap state and the terminal flag) and ignores
the behaviour policy's log-probabilities, which change with every update; ``state-action``
compares only the states and actions."""

START_METHODS = ("spawn", "fork", "forkserver")
OPTIMIZERS = ("adam", "rmsprop")
ACTIVATIONS = ("tanh", "relu")
BACKENDS = tuple(BACKEND_MODULES)
"""Values of ``TrainConfig.backend``: worker processes on this machine, or Ray actors
(:mod:`a3cmem_lib.training.backends`)."""
LEARNERS = ("vtrace", "acer")
"""Values of ``TrainConfig.learner``: the memory layer's V-trace learner
(notebooks/05_async_training_with_memory.ipynb) or ACER (notebooks/09_acer.ipynb)."""

LEARNER_DEFAULTS: dict[str, dict[str, Any]] = {
    "vtrace": {"memory": "none", "batch_size": 32, "capacity": 5_000, "learning_rate": 3e-3},
    "acer": {"memory": "fifo", "batch_size": 4, "capacity": 500, "learning_rate": 5e-3},
}
"""Defaults that depend on ``TrainConfig.learner``: a field left at ``None`` takes the
learner's value, so that ``learner="acer"`` alone (``--learner acer``) is ACER's whole
recipe: a small replay memory of recent segments, replays of about the size of a worker's
on-policy update, and a higher learning rate. ACER's values were chosen on CartPole-v1 seeds
100-104 (``python bench/bench_acer.py --first-seed 100 --seeds 3`` and ``--first-seed 103
--seeds 2``; ``bench/results/acer_cartpole_seeds100.md`` and ``..._seeds103.md``), not on the
seeds the benchmark reports."""
