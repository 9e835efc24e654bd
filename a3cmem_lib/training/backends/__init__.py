"""Backends: what runs the workers of a training run, behind one seam
(:class:`~a3cmem_lib.training.driver.Backend`); the driver's loop is the same for all.

Adding a backend is one module with a class that follows the protocol and one entry in
:data:`BACKENDS`. A backend's module is imported only when a run asks for it, so nothing
imports Ray unless ``backend="ray"`` is chosen.

Explained in notebooks/01_a3c_basics.ipynb and notebooks/08_scaling_out.ipynb.
"""

from __future__ import annotations

import importlib

BACKENDS = {
    "local": "a3cmem_lib.training.backends.local:LocalBackend",
    "ray": "a3cmem_lib.training.backends.ray:RayBackend",
}
"""Backend name (``TrainConfig.backend``) → ``module:class`` that runs it: ``local``,
worker processes on this machine around a model in shared memory; ``ray``, workers and the
learner as Ray actors."""


def backend_class(name: str) -> type:
    """The class of backend ``name`` (one of :data:`BACKENDS`), its module imported now."""
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {sorted(BACKENDS)}, got {name!r}")
    module_name, class_name = BACKENDS[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)
