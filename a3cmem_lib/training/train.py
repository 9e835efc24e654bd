"""``train(config)``: check the run, start its workers on a backend, drive them to the end.

Explained in notebooks/01_a3c_basics.ipynb (sections "Running A3C" and "Stopping and
resuming").
"""

from __future__ import annotations

from collections.abc import Callable

from a3cmem_lib.training.backends import backend_class
from a3cmem_lib.training.config import TrainConfig
from a3cmem_lib.training.driver import Driver
from a3cmem_lib.training.preflight import check_environment, read_resume_checkpoint
from a3cmem_lib.training.result import TrainResult
from a3cmem_lib.training.scalars import ScalarLog


def train(
    config: TrainConfig, *, on_checkpoint: Callable[[TrainResult], None] | None = None
) -> TrainResult:
    """Train an actor-critic with A3C: ``config.num_workers`` Hogwild workers, one shared model.

    The workers run on the backend ``config.backend`` names
    (:mod:`a3cmem_lib.training.backends`: worker processes on this machine, or Ray actors);
    one driver (:class:`~a3cmem_lib.training.driver.Driver`) logs their episodes, stops the
    run and builds the result, whichever backend runs them.

    Blocks until the global step counter reaches ``config.total_steps`` (or the mean return of
    the last 100 episodes reaches ``config.stop_return``). Whatever happens, every worker is
    joined (terminated after a timeout) and every pipe closed before this returns or raises;
    workers also exit by themselves if this process dies. The caller's torch random state is
    left untouched.

    Args:
        config: the run's hyperparameters; validated again here.
        on_checkpoint: with ``config.checkpoint_every``, called with the run so far after
            each periodic checkpoint is written (the CLI writes its CSV and plot there).

    Returns:
        The learning curve, the trained model and what a checkpoint needs.

    Raises:
        SetupError: the environment, the checkpoint to resume from or the backend's own
            inputs (e.g. an unreachable Ray cluster) do not fit (before any worker starts).
        WorkerError: a worker raised (its traceback is in the message) or died.
        TrainingInterrupted: Ctrl-C (a ``KeyboardInterrupt``) stopped the run; its
            ``result`` holds what was learned, and a checkpoint is written first if
            ``config.checkpoint_every`` is set.

    Explained in notebooks/01_a3c_basics.ipynb.
    """
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    config.validate()
    obs_shape, n_actions = check_environment(config.env_id)
    resumed = read_resume_checkpoint(config, obs_shape, n_actions)
    scalars = None
    if config.tensorboard_dir is not None:
        scalars = ScalarLog(config, resumed.global_step if resumed is not None else 0)
    try:
        backend = backend_class(config.backend)(config, obs_shape, n_actions, resumed)
    except BaseException:
        if scalars is not None:
            scalars.close()
        raise
    driver = Driver(config, backend, obs_shape, n_actions, resumed, on_checkpoint, scalars)
    return driver.run()
