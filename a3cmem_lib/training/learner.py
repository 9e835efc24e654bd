"""The learner: one off-policy-corrected update of the model from a batch of segments.

The learner owns no data: the memory layer samples a batch, the learner turns it and its
importance-sampling weights into a gradient step and returns the loss statistics and the
batch's new priorities (the update block of a CleanRL script, as a function).

Explained in notebooks/05_async_training_with_memory.ipynb (section "The learner").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from a3cmem_lib.agent.losses import actor_critic_loss
from a3cmem_lib.agent.model import ActorCriticModel
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
        optimizer: torch.optim.Optimizer,
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

    @classmethod
    def from_config(
        cls, config: TrainConfig, model: ActorCriticModel, optimizer: torch.optim.Optimizer
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
        segments = Segment(*(torch.from_numpy(np.asarray(field)) for field in batch))
        if weights is None:
            weights = np.ones(len(segments.actions), dtype=np.float32)
        size, length = segments.actions.shape

        logits, values = self.model(segments.obs.reshape(size * length, *segments.obs.shape[2:]))
        logits = logits.reshape(size, length, -1)
        values = values.reshape(size, length)
        log_pi = F.log_softmax(logits, dim=-1).gather(-1, segments.actions.unsqueeze(-1))
        targets = self.vtrace_targets(segments, log_pi.squeeze(-1).detach(), values.detach())
        valid = segments.valid

        step_weights = torch.from_numpy(np.asarray(weights, dtype=np.float32))[:, None]
        step_weights = step_weights.expand(size, length)
        loss = actor_critic_loss(
            logits[valid],
            values[valid],
            segments.actions[valid],
            targets.advantages[valid],
            targets.values[valid],
            value_coef=self.value_coef,
            entropy_coef=self.entropy_coef,
            weights=step_weights[valid],
        )
        self.optimizer.zero_grad(set_to_none=True)
        loss.total.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.max_grad_norm)
        self.optimizer.step()

        td_errors = (targets.values - values.detach()).numpy()
        real_rhos = targets.rhos[valid]
        return LearnerUpdate(
            loss=loss.total.item(),
            policy_loss=loss.policy.item(),
            value_loss=loss.value.item(),
            entropy=loss.entropy.item(),
            mean_rho=float(real_rhos.mean()),
            # float32 π against float64 μ: on-policy ratios are 1 ± 1e-6, not clipped
            clipped_fraction=float((real_rhos > self.rho_bar * (1 + 1e-4)).float().mean()),
            priorities=segment_priority(td_errors, valid.numpy()),
        )

    def vtrace_targets(
        self, segments: Segment, log_pi: torch.Tensor, values: torch.Tensor
    ) -> VTraceTargets:
        """V-trace targets of a batch from the current policy's log π(a_t|s_t) and V(s_t).

        The step after the last real one is the segment's bootstrap state (V evaluated on
        ``last_obs`` here), unless the segment ended its episode in a terminal state;
        padding steps never continue a trace.

        Args:
            segments: the batch as tensors (``valid``: (B, T) bool, ...).
            log_pi: (B, T) log π of the taken actions under the current model.
            values: (B, T) V(s_t) under the current model, without gradient.
        """
        with torch.no_grad():
            _, bootstrap = self.model(segments.last_obs)
        valid = segments.valid
        valid_next = torch.zeros_like(valid)
        valid_next[:, :-1] = valid[:, 1:]
        last = valid & ~valid_next
        next_values = torch.where(valid_next, values.roll(-1, dims=1), bootstrap[:, None])
        terminated = last & segments.terminated[:, None]
        truncated = (last & ~terminated) | ~valid
        log_rhos = log_pi - segments.log_probs
        if not self.off_policy_correction:
            log_rhos = torch.zeros_like(log_rhos)
        return vtrace(
            log_rhos,
            segments.rewards,
            values,
            next_values,
            terminated,
            truncated,
            gamma=self.gamma,
            rho_bar=self.rho_bar,
            c_bar=self.c_bar,
        )
