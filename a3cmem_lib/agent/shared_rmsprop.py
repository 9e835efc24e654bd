"""RMSProp with its state in shared memory (:class:`SharedRMSprop`), equal to
``torch.optim.RMSprop``.

Explained in notebooks/01_a3c_basics.ipynb (section "Why asynchronous workers?").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from a3cmem_lib.agent.shared_optim import (
    ANY_VALUE,
    SharedOptimizer,
    check_non_negative,
    scalar_step,
    shared_zeros,
)


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
        "foreach": ANY_VALUE,
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
        check_non_negative(group, ("lr", "alpha", "eps", "weight_decay", "momentum"))

    def _new_state(self, p: torch.Tensor, group: dict[str, Any]) -> dict[str, torch.Tensor]:
        state = {"step": scalar_step(), "square_avg": shared_zeros(p)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = shared_zeros(p)
        if group["centered"]:
            state["grad_avg"] = shared_zeros(p)
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
