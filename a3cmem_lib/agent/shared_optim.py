"""Optimizers whose state lives in shared memory, for Hogwild training across processes.

In A3C every worker applies its gradients to one global model with one *shared* optimizer:
the paper's "shared RMSProp" keeps a single set of moving averages for all threads (Mnih et
al., 2016, section 4 and supplementary section 7). PyTorch creates optimizer state lazily, in
the process that takes the first step, where other processes cannot see it. These subclasses
create the state eagerly and move it to shared memory before the workers start.

Explained in notebooks/01_a3c_basics.ipynb (section "Hogwild! and the shared optimizer").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch


def _scalar_step(fused: bool = False) -> torch.Tensor:
    # The dtype PyTorch itself gives a step counter (always float32 for fused kernels).
    if fused or torch.get_default_dtype() != torch.float64:
        return torch.zeros((), dtype=torch.float32)
    return torch.zeros((), dtype=torch.float64)


class _SharedStateMixin(torch.optim.Optimizer):
    def share_memory(self) -> None:
        """Move every state tensor to shared memory (in place; idempotent)."""
        for state in self.state.values():
            for value in state.values():
                if torch.is_tensor(value):
                    value.share_memory_()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict, then put the loaded state back into shared memory."""
        super().load_state_dict(state_dict)
        self.share_memory()


class SharedAdam(_SharedStateMixin, torch.optim.Adam):
    """:class:`torch.optim.Adam` with eagerly created state tensors in shared memory.

    State per parameter ``p``: ``step`` (scalar), ``exp_avg`` and ``exp_avg_sq`` (shape of
    ``p``), plus ``max_exp_avg_sq`` with ``amsgrad=True``. Pass it (with the model) to worker
    processes; each worker's :meth:`step` updates the shared tensors in place, without a lock.
    CPU parameters only; ``fused=True`` (one kernel for all parameters) is about three times
    faster than the default per-tensor loop for a small network. A fused step uses OpenMP,
    which hangs in a process forked after its parent used OpenMP, so a forked child must call
    ``torch.set_num_threads(1)`` before stepping (the A3C workers do).

    Explained in notebooks/01_a3c_basics.ipynb.
    """

    def __init__(self, params: Iterable[torch.nn.Parameter], **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        for group in self.param_groups:
            if group["capturable"]:
                raise ValueError("SharedAdam does not support capturable=True")
            for p in group["params"]:
                if p.device.type != "cpu":
                    raise ValueError(f"SharedAdam needs CPU parameters, got one on {p.device}")
                state = self.state[p]
                state["step"] = _scalar_step(fused=bool(group["fused"]))
                state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = torch.zeros_like(
                        p, memory_format=torch.preserve_format
                    )
        self.share_memory()


class SharedRMSprop(_SharedStateMixin, torch.optim.RMSprop):
    """:class:`torch.optim.RMSprop` with eagerly created state tensors in shared memory.

    State per parameter ``p``: ``step`` (scalar) and ``square_avg`` (shape of ``p``), plus
    ``momentum_buffer`` with ``momentum > 0`` and ``grad_avg`` with ``centered=True``. This is
    the paper's "shared RMSProp" (one ``square_avg`` for all workers).

    Explained in notebooks/01_a3c_basics.ipynb.
    """

    def __init__(self, params: Iterable[torch.nn.Parameter], **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        for group in self.param_groups:
            if group["capturable"]:
                raise ValueError("SharedRMSprop does not support capturable=True")
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _scalar_step()
                state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                if group["momentum"] > 0:
                    state["momentum_buffer"] = torch.zeros_like(
                        p, memory_format=torch.preserve_format
                    )
                if group["centered"]:
                    state["grad_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        self.share_memory()
