"""``python -m a3cmem_lib`` and the ``a3cmem`` console script."""

import sys

from a3cmem_lib.cli import main

if __name__ == "__main__":
    sys.exit(main())
