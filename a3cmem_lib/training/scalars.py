"""TensorBoard scalars of a run, written by the training process as it goes, under the
names CleanRL uses (``charts/...``, ``losses/...``) and the memory layer's (``memory/...``).

Open them with ``tensorboard --logdir DIR`` (or ``%tensorboard --logdir DIR`` in a
notebook). TensorBoard is optional: ``pip install "a3cmem[tensorboard]"``.

Explained in notebooks/01_a3c_basics.ipynb (section "From the command line").
"""

from __future__ import annotations

import time
from pathlib import Path

from a3cmem_lib.training.config import TrainConfig
from a3cmem_lib.training.errors import SetupError
from a3cmem_lib.training.messages import Episode
from a3cmem_lib.training.schedules import Schedule

INSTALL_HINT = 'TensorBoard logging needs TensorBoard: pip install "a3cmem[tensorboard]"'
"""The one line a missing TensorBoard is reported with."""
EVERY_SECONDS = 1.0
"""How often the rates, the losses and the memory layer's counters are written."""


class ScalarLog:
    """Writes one run's scalars into ``config.tensorboard_dir``.

    Raises :class:`SetupError` (``tensorboard_dir: ...``) before any worker starts when
    TensorBoard is not installed or the folder cannot be one (an existing file).

    Args:
        config: the run's configuration (``tensorboard_dir`` set).
        start_step: the global step the run starts from (a resumed checkpoint's).
    """

    def __init__(self, config: TrainConfig, start_step: int = 0) -> None:
        folder = Path(str(config.tensorboard_dir))
        if folder.exists() and not folder.is_dir():
            raise SetupError(f"tensorboard_dir: {str(folder)!r} is a file, not a folder")
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise SetupError(f"tensorboard_dir: {INSTALL_HINT}") from None
        try:
            self.writer = SummaryWriter(log_dir=str(folder))
        except OSError as error:
            raise SetupError(
                f"tensorboard_dir: cannot write into {str(folder)!r} ({error.strerror or error})"
            ) from None
        self.schedule = Schedule(config)
        self.last_time, self.last_step = time.monotonic(), start_step

    def episodes(self, episodes: list[Episode]) -> None:
        """``charts/episodic_return`` and ``charts/episodic_length`` of each finished
        episode, at the global step it ended."""
        for episode in episodes:
            self.writer.add_scalar(
                "charts/episodic_return", episode.episode_return, episode.global_step
            )
            self.writer.add_scalar("charts/episodic_length", episode.length, episode.global_step)

    def progress(self, step: int, stats: dict[str, float], *, force: bool = False) -> None:
        """At most every :data:`EVERY_SECONDS` (or now, with ``force``): ``charts/SPS``
        (environment steps per second since the last call), ``charts/learning_rate`` and
        ``stats`` (a backend's losses and memory-layer counters), at global step ``step``."""
        now = time.monotonic()
        if not force and now - self.last_time < EVERY_SECONDS:
            return
        if now > self.last_time:
            self.writer.add_scalar(
                "charts/SPS", (step - self.last_step) / (now - self.last_time), step
            )
        self.writer.add_scalar("charts/learning_rate", self.schedule.learning_rate(step), step)
        for name, value in stats.items():
            self.writer.add_scalar(name, value, step)
        self.last_time, self.last_step = now, step

    def close(self) -> None:
        """Flush and close the event file."""
        self.writer.close()
