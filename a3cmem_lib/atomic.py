"""Write files so that a reader, or a process killed mid-write, never sees half of one.

Explained in notebooks/01_a3c_basics.ipynb (section "Stopping and resuming").
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path next to ``path`` to write to; renamed over ``path`` when the block
    succeeds (``os.replace`` is atomic on one file system), removed when it fails.

    Example::

        with atomic_path("runs.csv") as temporary:
            table.to_csv(temporary, index=False)
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
