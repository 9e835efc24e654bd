"""Optimizers whose state lives in shared memory, for Hogwild training across processes:
the base they share (:class:`SharedOptimizer`); Adam and RMSProp are in
:mod:`.shared_adam` and :mod:`.shared_rmsprop`.

In A3C every worker applies its gradients to one global model with one *shared* optimizer:
the paper's "shared RMSProp" keeps a single set of moving averages for all threads (Mnih et
al., 2016, section 4 and supplementary section 7). The classes here create that state eagerly,
in shared memory, before the workers start; each worker's :meth:`step` then updates the shared
tensors in place, without a lock.

They are written over ``torch._foreach_*`` ops (and Adam's fused kernel) rather than as
subclasses of ``torch.optim``: a ``torch.optim`` optimizer imports ``torch._dynamo`` in its
constructor and first step, about a second per process, which every spawned worker would pay.
The arithmetic is the same, op for op, as ``torch.optim.Adam`` / ``torch.optim.RMSprop`` on
CPU, and ``state_dict()`` has their format, so checkpoints load in either direction.

Explained in notebooks/01_a3c_basics.ipynb (section "Why asynchronous workers?").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

ANY_VALUE = object()
"""Marks an option of ``torch.optim`` that a loaded state dict may hold with any value."""


def scalar_step(fused: bool = False) -> torch.Tensor:
    """A 0-dim step counter in shared memory, of the dtype PyTorch itself gives one
    (always float32 for fused kernels)."""
    if fused or torch.get_default_dtype() != torch.float64:
        return torch.zeros((), dtype=torch.float32).share_memory_()
    return torch.zeros((), dtype=torch.float64).share_memory_()


def check_non_negative(group: dict[str, Any], names: tuple[str, ...]) -> None:
    """Raise a ``ValueError`` naming the first option of ``names`` that is below 0 (or NaN)."""
    for name in names:
        if not group[name] >= 0:
            raise ValueError(f"{name} must be >= 0, got {group[name]!r}")


def shared_zeros(parameter: torch.Tensor) -> torch.Tensor:
    """Zeros shaped like ``parameter``, in shared memory."""
    return torch.zeros_like(parameter, memory_format=torch.preserve_format).share_memory_()


class SharedOptimizer:
    """What :class:`SharedAdam` and :class:`SharedRMSprop` have in common: parameter groups,
    per-parameter state in shared memory, ``zero_grad`` and the state dict. A subclass defines
    its options (:meth:`_check`), its state (:meth:`_new_state`) and the update (:meth:`_update`).

    Attributes:
        param_groups: list of dicts, each ``{"params": [tensors], <option>: value, ...}``;
            an option such as ``"lr"`` may be changed between steps (a learning-rate schedule).
        state: parameter -> ``{name: tensor}``, every tensor in shared memory.
        defaults: the options given to the constructor.
    """

    _TORCH_OPTIONS: dict[str, Any] = {}
    """Options ``torch.optim`` saves that this class does not implement, with the only value it
    accepts from a loaded state dict (:data:`ANY_VALUE`: any value, the arithmetic is the same)."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[torch.Tensor, dict[str, torch.Tensor]] = {}
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for given in groups:
            unknown = given.keys() - defaults.keys() - {"params"}
            if unknown:
                raise TypeError(f"unknown option(s) {sorted(unknown)} in a parameter group")
            group = {**defaults, **given, "params": list(given["params"])}
            self._check(group)
            for p in group["params"]:
                if p.device.type != "cpu":
                    raise ValueError(f"{type(self).__name__} needs CPU parameters, got {p.device}")
                if p in self.state:
                    raise ValueError("a parameter appears twice in the optimizer")
                self.state[p] = self._new_state(p, group)
            self.param_groups.append(group)

    def _check(self, group: dict[str, Any]) -> None:
        """Raise ``ValueError`` for an invalid option of ``group``; normalise the others."""
        raise NotImplementedError

    def _new_state(self, p: torch.Tensor, group: dict[str, Any]) -> dict[str, torch.Tensor]:
        """The state of parameter ``p`` before its first step, in shared memory."""
        raise NotImplementedError

    def _update(self, group: dict[str, Any], params: list[torch.Tensor]) -> None:
        """The update of ``params`` (those of ``group`` with a gradient), in place."""
        raise NotImplementedError

    def step(self) -> None:
        """One update of every parameter whose ``.grad`` is not ``None`` (in place, no lock)."""
        with torch.no_grad():
            for group in self.param_groups:
                params = [p for p in group["params"] if p.grad is not None]
                if params:
                    self._update(group, params)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: set it to ``None``, or zero it in place (the same
        tensor, so views of a flat gradient buffer stay views)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if p.grad.grad_fn is not None:
                    p.grad.detach_()
                else:
                    p.grad.requires_grad_(False)
                p.grad.zero_()

    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {name: tensor}}, "param_groups": [{..., "params": [index]}]}``,
        the format of ``torch.optim``: parameters numbered in group order. The tensors are the
        live shared ones (copy them to keep a snapshot)."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: dict(values) for p, values in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a :meth:`state_dict` of this class, or of the matching ``torch.optim``
        optimizer: the saved options replace the current ones (as in ``torch.optim``) and the
        saved state is copied into fresh tensors in shared memory. A parameter with no saved
        state starts from zeros, as it would in ``torch.optim``."""
        saved_groups = state_dict["param_groups"]
        if [len(g["params"]) for g in saved_groups] != [
            len(g["params"]) for g in self.param_groups
        ]:
            raise ValueError("the state dict's parameter groups do not match the optimizer's")
        groups, state = [], {}
        for current, saved in zip(self.param_groups, saved_groups, strict=True):
            group = {**current, **self._known_options(saved)}
            self._check(group)
            groups.append(group)
            for p, key in zip(group["params"], saved["params"], strict=True):
                fresh = self._new_state(p, group)
                loaded = state_dict["state"].get(key, {})
                if loaded and loaded.keys() != fresh.keys():
                    raise ValueError(f"saved state {sorted(loaded)}, expected {sorted(fresh)}")
                for name, value in loaded.items():
                    value = torch.as_tensor(value)
                    if value.shape != fresh[name].shape:
                        raise ValueError(f"saved {name!r} has shape {tuple(value.shape)}")
                    fresh[name].copy_(value)
                state[p] = fresh
        self.param_groups, self.state = groups, state

    def _known_options(self, saved: dict[str, Any]) -> dict[str, Any]:
        known = {}
        for key, value in saved.items():
            if key in self.defaults:
                known[key] = value
            elif key in self._TORCH_OPTIONS:
                accepted = self._TORCH_OPTIONS[key]
                if accepted is not ANY_VALUE and value != accepted:
                    raise ValueError(f"{type(self).__name__} does not implement {key}={value!r}")
            elif key not in ("params", "param_names"):
                raise ValueError(f"unknown option {key!r} in the state dict")
        return known
