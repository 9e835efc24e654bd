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

    An ``OSError`` in the block or the rename (a full disk, a read-only file system, no
    permission) is raised again as an ``OSError`` of the same ``errno`` whose ``filename``
    is ``path`` (the temporary name means nothing to the reader); ``path`` keeps what it
    held before.

    Example::

        with atomic_path("runs.csv") as temporary:
            table.to_csv(temporary, index=False)
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as error:
        raise OSError(error.errno, error.strerror or str(error), str(path)) from error
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
