"""The files of a run: ``episodes.csv``, ``learning_curve.png`` and ``checkpoint.pt`` in its
output folder, each written atomically.

Explained in notebooks/01_a3c_basics.ipynb (section "Stopping and resuming").
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from a3cmem_lib.atomic import atomic_path
from a3cmem_lib.training import TrainResult

from .errors import bad_argument
from .run_config import write_run_config

CSV_NAME, PLOT_NAME, CHECKPOINT_NAME = "episodes.csv", "learning_curve.png", "checkpoint.pt"


def prepare_out(out: Path) -> list[Path]:
    """Create the output folder ``out`` and prove that a file can be written into it.

    Returns the folders this created, outermost first, so that a run that cannot start
    removes them again (:func:`remove_empty`). Raises a usage error of ``--out`` otherwise.
    """
    if out.exists() and not out.is_dir():
        raise bad_argument("--out", f"{str(out)!r} is an existing file, not a directory")
    missing = [folder for folder in (*reversed(out.parents), out) if not folder.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        remove_empty(missing)
        raise bad_argument(
            "--out", f"cannot create directory {str(out)!r} ({error.strerror or error})"
        ) from None
    try:
        with tempfile.NamedTemporaryFile(dir=out, prefix=".a3cmem-write-test-"):
            pass
    except OSError as error:
        remove_empty(missing)
        raise bad_argument(
            "--out", f"cannot write into directory {str(out)!r} ({error.strerror or error})"
        ) from None
    return missing


def remove_empty(folders: list[Path]) -> None:
    """Remove those of ``folders`` that are (still) empty, innermost first."""
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


def write_run(result: TrainResult, out: Path) -> None:
    """Write ``config.json``, ``episodes.csv``, ``learning_curve.png`` and ``checkpoint.pt``
    into ``out``, each atomically."""
    write_progress(result, out)
    result.save_checkpoint(out / CHECKPOINT_NAME)


def write_progress(result: TrainResult, out: Path) -> None:
    """Write ``config.json`` and the curves (:func:`write_curves`) into ``out``: what the
    CLI writes with every periodic checkpoint."""
    write_run_config(result.config, out)
    write_curves(result, out)


def write_curves(result: TrainResult, out: Path) -> None:
    """Write ``episodes.csv`` and ``learning_curve.png`` into ``out``, each atomically (what
    the CLI does after every periodic checkpoint)."""
    with atomic_path(out / CSV_NAME) as temporary:
        result.episodes.to_csv(temporary, index=False)
    plot_learning_curve(result.episodes, out / PLOT_NAME, title=result.config.env_id)


def plot_learning_curve(episodes: pd.DataFrame, path: Path, *, title: str) -> None:
    """Save episode returns and their 100-episode moving average against global steps (a
    PNG, written atomically)."""
    # A bare Figure renders with Agg and leaves pyplot's backend alone (safe in notebooks).
    figure = Figure(figsize=(7, 4))
    axes = figure.subplots()
    axes.plot(episodes["global_step"], episodes["return"], ".", alpha=0.25, label="episode")
    moving = episodes["return"].rolling(100, min_periods=1).mean()
    axes.plot(episodes["global_step"], moving, label="mean of last 100")
    axes.set(xlabel="environment steps (all workers)", ylabel="episode return", title=title)
    axes.legend()
    figure.tight_layout()
    with atomic_path(Path(path)) as temporary:
        figure.savefig(temporary, dpi=100, format="png")
