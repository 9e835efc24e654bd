"""How the command line fails: one line ``a3cmem COMMAND: error: ...`` and an exit code.

Explained in notebooks/01_a3c_basics.ipynb (section "From the command line").
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import NoReturn

USAGE_ERROR, WORKER_FAILED, WRITE_FAILED = 2, 1, 1
"""Exit codes: bad input (as argparse's own), a worker raised, a file could not be written."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, like every other CLI error."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class CommandError(Exception):
    """What the CLI reports as ``a3cmem COMMAND: error: MESSAGE``, exiting with ``code``."""

    def __init__(self, message: str, code: int = USAGE_ERROR) -> None:
        super().__init__(message)
        self.code = code


def bad_argument(name: str, message: str) -> CommandError:
    """A usage error of the flag ``name`` (``--out``) on one line, like argparse's own."""
    one_line = " ".join(line.strip() for line in message.splitlines() if line.strip())
    return CommandError(f"argument {name}: {one_line}")


@contextlib.contextmanager
def write_failures() -> Iterator[None]:
    """A file of the run that cannot be written (a full disk, a read-only file system, no
    permission): one line naming it and why, exit code 1. The workers are stopped by then,
    and every file written before keeps its last complete version."""
    try:
        yield
    except OSError as error:
        where = f"cannot write {error.filename}" if error.filename else "cannot write the run"
        raise CommandError(
            f"{where}: {error.strerror or error}; the files there before are kept",
            code=WRITE_FAILED,
        ) from None
