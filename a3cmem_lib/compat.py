"""Old module paths that still import, with a ``DeprecationWarning`` naming the new one.

Modules moved when ``a3cmem_lib.training`` was narrowed to training alone; code written
against the old paths (``from a3cmem_lib.training.study import run_study``) keeps working
and gets the very same module object as the new path.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from types import ModuleType

MOVED_MODULES = {
    "a3cmem_lib.training.study": "a3cmem_lib.experiments.study",
    "a3cmem_lib.training.study_stats": "a3cmem_lib.experiments.study_stats",
    "a3cmem_lib.training.study_plots": "a3cmem_lib.experiments.study_plots",
    "a3cmem_lib.training.duplicates": "a3cmem_lib.experiments.duplicates",
    "a3cmem_lib.training.machine": "a3cmem_lib.experiments.machine",
    "a3cmem_lib.training.cli": "a3cmem_lib.cli",
    "a3cmem_lib.training.envs": "a3cmem_lib.envs.making",
    "a3cmem_lib.teaching.seed_buffers": "a3cmem_lib.teaching.article_buffers",
}
"""Old dotted module name -> the module that replaced it."""


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves an old name of :data:`MOVED_MODULES` to the new module."""

    def find_spec(self, fullname: str, path: object, target: object = None):  # noqa: ANN201
        if fullname not in MOVED_MODULES:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new_name = MOVED_MODULES[spec.name]
        warnings.warn(
            f"{spec.name} moved to {new_name}; import it from there",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(new_name)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the new module is already imported."""


def install() -> None:
    """Put the finder on ``sys.meta_path`` once (importing the package calls this)."""
    if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(_MovedModuleFinder())
