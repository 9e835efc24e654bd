"""Short import path for the notebooks' exercise checks: ``from a3cmem_lib.exercises import ...``.

The checks live in :mod:`a3cmem_lib.teaching.exercises`; this module only re-exports them.
"""

from .teaching.exercises import *  # noqa: F403
from .teaching.exercises import __all__  # noqa: F401
