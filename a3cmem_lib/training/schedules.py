"""What changes with the global step: the learning rate, PER's β, and the step counter itself.

Workers and the learner read every schedule here, so a plain A3C update and a replayed one
made at the same global step use the same learning rate.

Explained in notebooks/01_a3c_basics.ipynb (section "Hyperparameters") and
notebooks/05_async_training_with_memory.ipynb (section "The learner").
"""

from __future__ import annotations

import multiprocessing
from typing import Any

from a3cmem_lib.agent.shared_optim import SharedOptimizer
from a3cmem_lib.memory import anneal_beta
from a3cmem_lib.training.config import TrainConfig


class Schedule:
    """Learning rate and importance-sampling exponent as functions of the global step.

    - learning rate: ``lr(t) = learning_rate · max(0, 1 − t / total_steps)`` with
      ``anneal_lr`` (the A3C paper's linear decay), else ``learning_rate``;
    - β of prioritized replay: linear from ``beta`` at ``t = 0`` to 1 at ``total_steps``
      (Schaul et al., 2016), constant 1 after.

    ``t`` counts environment steps of all workers (see :class:`StepCounter`).
    """

    def __init__(self, config: TrainConfig) -> None:
        self.total_steps = config.total_steps
        self.initial_learning_rate = config.learning_rate
        self.anneal_lr = config.anneal_lr
        self.initial_beta = config.beta

    def learning_rate(self, step: int) -> float:
        """The learning rate at global step ``step`` (>= 0)."""
        if not self.anneal_lr:
            return self.initial_learning_rate
        return self.initial_learning_rate * max(0.0, 1.0 - step / self.total_steps)

    def set_learning_rate(self, optimizer: SharedOptimizer, step: int) -> None:
        """Write :meth:`learning_rate` at ``step`` into every parameter group of ``optimizer``."""
        rate = self.learning_rate(step)
        for group in optimizer.param_groups:
            group["lr"] = rate

    def beta(self, step: int) -> float:
        """PER's importance-sampling exponent at global step ``step`` (>= 0), in [beta, 1]."""
        return anneal_beta(min(step, self.total_steps), self.total_steps, start=self.initial_beta)


class StepCounter:
    """A global counter (environment steps, or updates of the shared model): one integer in
    shared memory for all processes.

    Args:
        value: a ``multiprocessing.Value("q", ...)`` (made by the parent, passed to workers).
    """

    def __init__(self, value: Any) -> None:
        self.shared = value

    @classmethod
    def local(cls) -> StepCounter:
        """A counter starting at 0 for one process (and those it forks)."""
        return cls(multiprocessing.Value("q", 0))

    def add(self, steps: int) -> int:
        """Count ``steps`` more environment steps (atomically); the new total."""
        with self.shared.get_lock():
            self.shared.value += steps
            return self.shared.value

    @property
    def value(self) -> int:
        """The current total, read without the lock (a progress bar never blocks a worker)."""
        return self.shared.get_obj().value
