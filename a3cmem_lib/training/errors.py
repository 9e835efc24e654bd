"""How :func:`~a3cmem_lib.training.train` reports what went wrong, or that it was stopped.

Explained in notebooks/01_a3c_basics.ipynb (section "Stopping and resuming").
"""

from __future__ import annotations

from typing import Any


class SetupError(ValueError):
    """``train()`` cannot start: the environment or the checkpoint to resume from does not
    fit. Raised before any worker starts; the message names the argument."""


class WorkerError(RuntimeError):
    """A worker process failed; the message contains its formatted traceback."""


class WorkerStopped(KeyboardInterrupt):
    """A worker process was ended by SIGTERM or SIGINT before it could report, as when a
    stop signal reaches the whole process group while a worker started with ``spawn`` is
    still importing: the run stops as after Ctrl-C (and :func:`train` raises
    :class:`TrainingInterrupted`), it does not fail."""


class TrainingInterrupted(KeyboardInterrupt):
    """Training was stopped (Ctrl-C, or SIGTERM through the CLI) after the workers were shut
    down cleanly. Nothing learned is lost: :attr:`result` holds it. (Ctrl-C before the
    workers have started, when nothing has been learned, is a plain ``KeyboardInterrupt``.)

    Catch it to keep the run::

        try:
            result = train(config)
        except TrainingInterrupted as stop:
            result = stop.result  # a TrainResult with result.interrupted == True
            result.save_checkpoint("checkpoint.pt")  # resume later from here
    """

    def __init__(self, result: Any) -> None:
        super().__init__(
            f"training stopped at step {result.global_step} of {result.config.total_steps}"
        )
        self.result = result
        """The :class:`~a3cmem_lib.training.train.TrainResult` of what was done."""
