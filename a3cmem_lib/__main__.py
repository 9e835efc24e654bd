"""``python -m a3cmem_lib`` and the ``a3cmem`` console script."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run :func:`a3cmem_lib.cli.main`, imported only now: a worker started with "spawn"
    imports this module again (as ``__mp_main__``) and must not pay for the command line's
    imports (pandas, matplotlib, the study's modules) before its first environment step."""
    from a3cmem_lib.cli import main as run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
