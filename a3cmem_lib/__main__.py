"""``python -m a3cmem_lib`` and the ``a3cmem`` console script."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run :func:`a3cmem_lib.cli.main`, imported only now: the ``a3cmem`` console script
    imports this module at its top, and a worker started with "spawn" runs that script again
    (as ``__mp_main__``), so it must not pay for the command line's imports (pandas,
    matplotlib, the study's modules) before its first environment step. (``python -m
    a3cmem_lib`` workers never re-run a package's ``__main__``.)"""
    from a3cmem_lib.cli import main as run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
