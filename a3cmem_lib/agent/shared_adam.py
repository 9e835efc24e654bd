"""Adam with its state in shared memory (:class:`SharedAdam`), equal to ``torch.optim.Adam``.

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
        "foreach": ANY_VALUE,
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
        check_non_negative(group, ("lr", "eps", "weight_decay"))
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"betas must lie in [0, 1), got {group['betas']}")
        group["fused"] = bool(group["fused"])
        if group["fused"] and len({p.dtype for p in group["params"]}) != 1:
            raise ValueError("fused=True needs parameters of one dtype in a group")

    def _new_state(self, p: torch.Tensor, group: dict[str, Any]) -> dict[str, torch.Tensor]:
        state = {
            "step": scalar_step(fused=group["fused"]),
            "exp_avg": shared_zeros(p),
            "exp_avg_sq": shared_zeros(p),
        }
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = shared_zeros(p)
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
