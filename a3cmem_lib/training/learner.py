"""The learner: one off-policy-corrected update of the model from a batch of segments.

The learner owns no data: the memory layer samples a batch, the learner turns it and its
importance-sampling weights into a gradient step and returns the loss statistics and the
batch's new priorities (the update block of a CleanRL script, as a function).

Explained in notebooks/05_async_training_with_memory.ipynb (section "The learner").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from a3cmem_lib.agent.losses import actor_critic_loss_from_log_probs
from a3cmem_lib.agent.model import ActorCriticModel
from a3cmem_lib.agent.shared_optim import SharedOptimizer
from a3cmem_lib.agent.vtrace import VTraceTargets, vtrace
from a3cmem_lib.training.config import TrainConfig
from a3cmem_lib.training.segments import Segment, segment_priority


@dataclass(frozen=True)
class LearnerUpdate:
    """What one learner update did (for logging and teaching)."""

    loss: float
    """Total loss of the batch."""
    policy_loss: float
    value_loss: float
    entropy: float
    """Mean policy entropy in nats."""
    mean_rho: float
    """Mean importance ratio π/μ over the batch's steps before truncation: 1.0 is on-policy."""
    clipped_fraction: float
    """Fraction of steps whose ratio exceeded ρ̄ (by more than rounding, 1e-4) and was
    truncated."""
    priorities: np.ndarray = field(repr=False)
    """(batch,) float64: each sampled segment's new priority, from |v_t − V(s_t)| (R2D2's
    max/mean mix over its steps); a prioritized memory stores them."""


class Learner:
    """Turns a sampled batch of segments into one update of the shared model.

    ALGO LOGIC of one update (:meth:`update`):

    1. evaluate π and V of the current model on the batch, and V at each bootstrap state;
    2. V-trace targets v_t and advantages from ratios π(a|s)/μ(a|s), truncated at ρ̄, c̄
       (Espeholt et al., 2018);
    3. loss = actor-critic loss with the importance-sampling weights w on every real step;
       clip the gradient, step the shared optimizer;
    4. new priorities from |v_t − V(s_t)|.

    Args:
        model: the global model (parameters in shared memory).
        optimizer: the shared optimizer over ``model``'s parameters.
        gamma: discount factor.
        rho_bar, c_bar: V-trace truncation levels.
        off_policy_correction: ``False`` treats replayed data as on-policy (ratios 1): the
            naive memory layer of the original article, kept to show why the correction
            matters.
        value_coef, entropy_coef, max_grad_norm: as for the workers' A3C loss.
    """

    def __init__(
        self,
        model: ActorCriticModel,
        optimizer: SharedOptimizer,
        *,
        gamma: float,
        rho_bar: float = 1.0,
        c_bar: float = 1.0,
        off_policy_correction: bool = True,
        value_coef: float = 0.5,
        entropy_coef: float = 0.01,
        max_grad_norm: float = 0.5,
    ) -> None:
        self.model = model
        self.optimizer = optimizer
        self.gamma = gamma
        self.rho_bar = rho_bar
        self.c_bar = c_bar
        self.off_policy_correction = off_policy_correction
        self.value_coef = value_coef
        self.entropy_coef = entropy_coef
        self.max_grad_norm = max_grad_norm
        self.gradients = FlatGradients(model.parameters())

    @classmethod
    def from_config(
        cls, config: TrainConfig, model: ActorCriticModel, optimizer: SharedOptimizer
    ) -> Learner:
        """A learner with the hyperparameters of ``config``."""
        return cls(
            model,
            optimizer,
            gamma=config.gamma,
            rho_bar=config.rho_bar,
            c_bar=config.c_bar,
            off_policy_correction=config.off_policy_correction,
            value_coef=config.value_coef,
            entropy_coef=config.entropy_coef,
            max_grad_norm=config.max_grad_norm,
        )

    def update(self, batch: Segment, weights: np.ndarray | None = None) -> LearnerUpdate:
        """One gradient step on ``batch``.

        Args:
            batch: a :class:`Segment` whose fields have a leading batch axis, as a replay
                buffer's ``sample`` returns them (``obs``: (B, T, *obs_shape), ...).
            weights: (B,) importance-sampling weights (``None``: all 1).

        Returns:
            The loss statistics and the batch's new priorities.
        """
        valid = np.asarray(batch.valid)
        size = len(valid)
        # One forward pass through the real steps' states and the bootstrap states. Padding
        # steps are not evaluated: a trace stops at a segment's last real step, so their
        # values reach no target.
        states = np.concatenate((np.asarray(batch.obs)[valid], np.asarray(batch.last_obs)))
        logits, all_values = self.model(torch.from_numpy(states))
        steps = len(states) - size
        log_probs = F.log_softmax(logits[:steps], dim=-1)
        values = all_values[:steps]
        actions = torch.from_numpy(np.asarray(batch.actions)[valid])
        log_pi = np.zeros(valid.shape, dtype=np.float32)
        log_pi[valid] = log_probs.detach().gather(-1, actions[:, None]).squeeze(-1).numpy()
        state_values = np.zeros(valid.shape, dtype=np.float32)
        state_values[valid] = values.detach().numpy()
        targets = self.vtrace_targets(
            batch, log_pi, state_values, all_values[steps:].detach().numpy()
        )

        if weights is None:
            weights = np.ones(size, dtype=np.float32)
        step_weights = np.broadcast_to(np.asarray(weights, dtype=np.float32)[:, None], valid.shape)
        loss = actor_critic_loss_from_log_probs(
            log_probs,
            values,
            actions,
            torch.from_numpy(targets.advantages.numpy()[valid]),
            torch.from_numpy(targets.values.numpy()[valid]),
            value_coef=self.value_coef,
            entropy_coef=self.entropy_coef,
            weights=torch.from_numpy(step_weights[valid]),
        )
        self.gradients.step(loss.total, self.optimizer, self.max_grad_norm)

        td_errors = targets.values.numpy() - state_values
        real_rhos = targets.rhos.numpy()[valid]
        total, policy, value, entropy = torch.stack(
            (loss.total, loss.policy, loss.value, loss.entropy)
        ).tolist()
        return LearnerUpdate(
            loss=total,
            policy_loss=policy,
            value_loss=value,
            entropy=entropy,
            mean_rho=float(real_rhos.mean()),
            # float32 π against float64 μ: on-policy ratios are 1 ± 1e-6, not clipped
            clipped_fraction=float((real_rhos > self.rho_bar * (1 + 1e-4)).mean()),
            priorities=segment_priority(td_errors, valid),
        )

    def vtrace_targets(
        self,
        batch: Segment,
        log_pi: np.ndarray,
        values: np.ndarray,
        bootstrap: np.ndarray,
    ) -> VTraceTargets:
        """V-trace targets of a batch from the current policy's log π(a_t|s_t) and V(s_t).

        The step after the last real one is the segment's bootstrap state (V of ``last_obs``),
        unless the segment ended its episode in a terminal state; padding steps never
        continue a trace (their entries in ``log_pi`` and ``values`` are ignored).

        Args:
            batch: the batch as a buffer samples it (``valid``: (B, T) bool, ...).
            log_pi: (B, T) float32 log π of the taken actions under the current model.
            values: (B, T) float32 V(s_t) under the current model.
            bootstrap: (B,) float32 V(last_obs) under the current model.
        """
        next_values, terminated, truncated = trace_boundaries(batch, values, bootstrap)
        if self.off_policy_correction:
            log_rhos = log_pi - np.asarray(batch.log_probs)
        else:
            log_rhos = np.zeros(values.shape, dtype=np.float32)
        return vtrace(
            *(
                torch.from_numpy(array)
                for array in (log_rhos, np.asarray(batch.rewards), values, next_values)
            ),
            torch.from_numpy(terminated),
            torch.from_numpy(truncated),
            gamma=self.gamma,
            rho_bar=self.rho_bar,
            c_bar=self.c_bar,
        )


def trace_boundaries(
    batch: Segment, values: np.ndarray, bootstrap: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the traces of a batch of segments go on and where they stop.

    Inside a segment, the value after step t is the next step's; after its last real step,
    the bootstrap state's (V of ``last_obs``), unless the segment ended its episode in a
    terminal state; padding steps never continue a trace.

    Args:
        batch: the batch as a buffer samples it (``valid``: (B, T) bool, ...).
        values: (B, T) V(s_t) under the current model (padding entries ignored).
        bootstrap: (B,) V(last_obs) under the current model.

    Returns:
        ``(next_values, terminated, truncated)``, each (B, T): V(s_{t+1}), the steps that
        ended their episode in a terminal state, and the steps after which the trace stops
        otherwise (the last real step of a segment that did not terminate, and padding).
    """
    valid = np.asarray(batch.valid)
    valid_next = np.zeros_like(valid)
    valid_next[:, :-1] = valid[:, 1:]
    last = valid & ~valid_next
    terminated = last & np.asarray(batch.terminated)[:, None]
    truncated = (last & ~terminated) | ~valid
    next_values = np.where(valid_next, np.roll(values, -1, axis=1), bootstrap[:, None])
    return next_values, terminated, truncated


class FlatGradients:
    """A model's gradients as views into one flat buffer: zeroing them, taking their norm and
    clipping them are one operation each, where ``zero_grad`` and ``clip_grad_norm_`` loop
    over the parameter tensors (at this network size the loops cost more than the arithmetic).

    Every parameter must receive a gradient in each backward pass (as both heads of an
    actor-critic do): a parameter left out would keep a zero gradient, not ``None``.

    Args:
        parameters: the model's parameters, all of one dtype and device.
    """

    def __init__(self, parameters: Iterable[torch.nn.Parameter]) -> None:
        self.parameters = list(parameters)
        first = self.parameters[0]
        if any(p.dtype != first.dtype or p.device != first.device for p in self.parameters):
            raise ValueError("parameters must all have one dtype and one device")
        self.flat = torch.zeros(
            sum(p.numel() for p in self.parameters), dtype=first.dtype, device=first.device
        )
        sizes = [p.numel() for p in self.parameters]
        self.views = [
            part.view_as(p) for part, p in zip(self.flat.split(sizes), self.parameters, strict=True)
        ]

    def zero(self) -> None:
        """Set every gradient to zero, as views of the buffer (backward adds into them)."""
        self.flat.zero_()
        for parameter, view in zip(self.parameters, self.views, strict=True):
            parameter.grad = view

    def step(self, loss: torch.Tensor, optimizer: SharedOptimizer, max_norm: float) -> None:
        """One gradient step on ``loss``: zero, back-propagate, clip to ``max_norm``, step
        ``optimizer``."""
        self.zero()
        loss.backward()
        self.clip_norm(max_norm)
        optimizer.step()

    def clip_norm(self, max_norm: float) -> float:
        """Scale the gradients so that their global L2 norm is at most ``max_norm``, as
        :func:`torch.nn.utils.clip_grad_norm_` does; returns the norm before clipping."""
        if any(p.grad is not v for p, v in zip(self.parameters, self.views, strict=True)):
            raise RuntimeError("a gradient was replaced after zero(): backward must add into it")
        norm = torch.linalg.vector_norm(self.flat)
        self.flat.mul_((max_norm / (norm + 1e-6)).clamp(max=1.0))
        return float(norm)
