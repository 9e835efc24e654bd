"""Adam and RMSProp whose state lives in shared memory, for Hogwild training across processes.

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

_ANY = object()
"""Marks an option of ``torch.optim`` that a loaded state dict may hold with any value."""


def _scalar_step(fused: bool = False) -> torch.Tensor:
    # The dtype PyTorch itself gives a step counter (always float32 for fused kernels).
    if fused or torch.get_default_dtype() != torch.float64:
        return torch.zeros((), dtype=torch.float32).share_memory_()
    return torch.zeros((), dtype=torch.float64).share_memory_()


def _check_non_negative(group: dict[str, Any], names: tuple[str, ...]) -> None:
    """Raise a ``ValueError`` naming the first option of ``names`` that is below 0 (or NaN)."""
    for name in names:
        if not group[name] >= 0:
            raise ValueError(f"{name} must be >= 0, got {group[name]!r}")


def _shared_zeros(parameter: torch.Tensor) -> torch.Tensor:
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
    accepts from a loaded state dict (:data:`_ANY`: any value, the arithmetic is the same)."""

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
                if accepted is not _ANY and value != accepted:
                    raise ValueError(f"{type(self).__name__} does not implement {key}={value!r}")
            elif key not in ("params", "param_names"):
                raise ValueError(f"unknown option {key!r} in the state dict")
        return known


class SharedAdam(SharedOptimizer):
    """Adam (Kingma & Ba, 2015, Algorithm 1) with its state in shared memory, equal step for
    step to :class:`torch.optim.Adam` with the same options.

    ALGO LOGIC, for each parameter θ with a gradient g, at its step t = 1, 2, ...::

        g   ← g + weight_decay · θ                      (L2 penalty; skipped when 0)
        m   ← β₁ m + (1 − β₁) g                         (first moment, ``exp_avg``)
        v   ← β₂ v + (1 − β₂) g²                        (second moment, ``exp_avg_sq``)
        v̂   ← max(v̂, v) with ``amsgrad`` (``max_exp_avg_sq``); v̂ = v without it
        θ   ← θ − lr / (1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε)   (bias-corrected moments)

    State per parameter ``p``: ``step`` (0-dim float, t), ``exp_avg`` and ``exp_avg_sq``
    (shape of ``p``), plus ``max_exp_avg_sq`` with ``amsgrad=True``; all created at
    construction in shared memory. Pass the optimizer (with the model) to worker processes.
    CPU parameters only.

    Args:
        params: the shared model's parameters, or a list of parameter-group dicts.
        lr: learning rate, >= 0 (roughly the largest change of a parameter in one step).
        betas: decay rates (β₁, β₂) of the two moments, each in [0, 1).
        eps: ε, added to the denominator, >= 0.
        weight_decay: L2 penalty coefficient, >= 0.
        amsgrad: divide by the running maximum of v (Reddi et al., 2018).
        fused: one kernel for all parameters (``torch._fused_adam_``, the kernel of
            ``torch.optim.Adam(fused=True)``), several times faster than the per-tensor ops
            for a small network and equal to them up to float rounding. It uses OpenMP, which
            hangs in a process forked after its parent used OpenMP, so a forked child must call
            ``torch.set_num_threads(1)`` before stepping (the A3C workers do).

    Explained in notebooks/01_a3c_basics.ipynb.
    """

    _TORCH_OPTIONS = {
        "foreach": _ANY,
        "maximize": False,
        "capturable": False,
        "differentiable": False,
        "decoupled_weight_decay": False,
    }

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "fused": fused,
        }
        super().__init__(params, defaults)

    def _check(self, group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        _check_non_negative(group, ("lr", "eps", "weight_decay"))
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"betas must lie in [0, 1), got {group['betas']}")
        group["fused"] = bool(group["fused"])
        if group["fused"] and len({p.dtype for p in group["params"]}) != 1:
            raise ValueError("fused=True needs parameters of one dtype in a group")

    def _new_state(self, p: torch.Tensor, group: dict[str, Any]) -> dict[str, torch.Tensor]:
        state = {
            "step": _scalar_step(fused=group["fused"]),
            "exp_avg": _shared_zeros(p),
            "exp_avg_sq": _shared_zeros(p),
        }
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _shared_zeros(p)
        return state

    def _update(self, group: dict[str, Any], params: list[torch.Tensor]) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
        grads = [p.grad for p in params]
        states = [self.state[p] for p in params]
        steps = [state["step"] for state in states]
        exp_avgs = [state["exp_avg"] for state in states]
        exp_avg_sqs = [state["exp_avg_sq"] for state in states]
        max_exp_avg_sqs = [state["max_exp_avg_sq"] for state in states] if amsgrad else []
        # ALGO LOGIC
        torch._foreach_add_(steps, 1.0)
        if group["fused"]:
            torch._fused_adam_(
                params,
                grads,
                exp_avgs,
                exp_avg_sqs,
                max_exp_avg_sqs,
                steps,
                amsgrad=amsgrad,
                lr=lr,
                beta1=beta1,
                beta2=beta2,
                weight_decay=weight_decay,
                eps=eps,
                maximize=False,
            )
            return
        if weight_decay != 0:
            grads = torch._foreach_add(grads, params, alpha=weight_decay)
        torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
        torch._foreach_mul_(exp_avg_sqs, beta2)
        torch._foreach_addcmul_(exp_avg_sqs, grads, grads, value=1 - beta2)
        # The bias corrections in Python floats, as torch.optim.Adam computes them.
        t = [step.item() for step in steps]
        step_sizes = [-lr / (1 - beta1**n) for n in t]
        bias_correction2_sqrt = [(1 - beta2**n) ** 0.5 for n in t]
        if amsgrad:
            torch._foreach_maximum_(max_exp_avg_sqs, exp_avg_sqs)
            denominators = torch._foreach_sqrt(max_exp_avg_sqs)
        else:
            denominators = torch._foreach_sqrt(exp_avg_sqs)
        torch._foreach_div_(denominators, bias_correction2_sqrt)
        torch._foreach_add_(denominators, eps)
        torch._foreach_addcdiv_(params, exp_avgs, denominators, step_sizes)


class SharedRMSprop(SharedOptimizer):
    """RMSProp (Tieleman & Hinton, 2012) with its state in shared memory: the paper's "shared
    RMSProp", one ``square_avg`` for all workers. Equal step for step to
    :class:`torch.optim.RMSprop` with the same options.

    ALGO LOGIC, for each parameter θ with a gradient g::

        g   ← g + weight_decay · θ                      (L2 penalty; skipped when 0)
        v   ← α v + (1 − α) g²                          (``square_avg``)
        ḡ   ← α ḡ + (1 − α) g;  ṽ ← v − ḡ²              (``grad_avg``, with ``centered``)
        d   ← √ṽ + ε                                    (ṽ = v when not centered)
        b   ← μ b + g / d;  θ ← θ − lr · b              (``momentum_buffer``, with μ > 0)
        θ   ← θ − lr · g / d                            (without momentum)

    State per parameter ``p``: ``step`` (0-dim float, the number of updates) and
    ``square_avg`` (shape of ``p``), plus ``momentum_buffer`` with ``momentum > 0`` and
    ``grad_avg`` with ``centered=True``; all created at construction in shared memory. CPU
    parameters only.

    Args:
        params: the shared model's parameters, or a list of parameter-group dicts.
        lr: learning rate, >= 0.
        alpha: decay rate α of the averages, >= 0 (the paper's 0.99).
        eps: ε, added to the denominator, >= 0.
        weight_decay: L2 penalty coefficient, >= 0.
        momentum: μ, >= 0.
        centered: normalise by an estimate of the gradient's variance instead of its second
            moment (Graves, 2013).

    Explained in notebooks/01_a3c_basics.ipynb.
    """

    _TORCH_OPTIONS = {
        "foreach": _ANY,
        "maximize": False,
        "capturable": False,
        "differentiable": False,
    }

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
        }
        super().__init__(params, defaults)

    def _check(self, group: dict[str, Any]) -> None:
        _check_non_negative(group, ("lr", "alpha", "eps", "weight_decay", "momentum"))

    def _new_state(self, p: torch.Tensor, group: dict[str, Any]) -> dict[str, torch.Tensor]:
        state = {"step": _scalar_step(), "square_avg": _shared_zeros(p)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = _shared_zeros(p)
        if group["centered"]:
            state["grad_avg"] = _shared_zeros(p)
        return state

    def _update(self, group: dict[str, Any], params: list[torch.Tensor]) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        grads = [p.grad for p in params]
        states = [self.state[p] for p in params]
        square_avgs = [state["square_avg"] for state in states]
        # ALGO LOGIC
        torch._foreach_add_([state["step"] for state in states], 1.0)
        if weight_decay != 0:
            grads = torch._foreach_add(grads, params, alpha=weight_decay)
        torch._foreach_mul_(square_avgs, alpha)
        torch._foreach_addcmul_(square_avgs, grads, grads, value=1 - alpha)
        if group["centered"]:
            grad_avgs = [state["grad_avg"] for state in states]
            torch._foreach_lerp_(grad_avgs, grads, 1 - alpha)
            denominators = torch._foreach_addcmul(square_avgs, grad_avgs, grad_avgs, value=-1)
            torch._foreach_sqrt_(denominators)
        else:
            denominators = torch._foreach_sqrt(square_avgs)
        torch._foreach_add_(denominators, eps)
        if momentum > 0:
            buffers = [state["momentum_buffer"] for state in states]
            torch._foreach_mul_(buffers, momentum)
            torch._foreach_addcdiv_(buffers, grads, denominators)
            torch._foreach_add_(params, buffers, alpha=-lr)
        else:
            torch._foreach_addcdiv_(params, grads, denominators, value=-lr)
