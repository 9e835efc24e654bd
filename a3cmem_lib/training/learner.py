"""The learner: sample segments from the replay memory, correct off-policy, update the model.

Explained in notebooks/05_async_training_with_memory.ipynb (section "The learner").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from a3cmem_lib.agent.losses import actor_critic_loss
from a3cmem_lib.agent.model import ActorCritic
from a3cmem_lib.agent.vtrace import vtrace
from a3cmem_lib.memory import DedupBuffer, FIFOBuffer, PrioritizedReplayBuffer, anneal_beta

from .segments import Segment, segment_priority


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
    beta: float
    """Importance-sampling exponent used (1.0 when the memory is not prioritized)."""


class Learner:
    """Owns the replay memory; turns sampled segments into updates of the shared model.

    ALGO LOGIC of one update (:meth:`update`):

    1. sample ``batch_size`` segments (PER: with importance-sampling weights w, β annealed
       linearly to 1 over ``total_steps``);
    2. evaluate π and V of the current model on them, and V at each bootstrap state;
    3. V-trace targets v_t and advantages from ratios π(a|s)/μ(a|s), truncated at ρ̄, c̄;
    4. loss = weighted actor-critic loss (weights w on every real step), clip, step the
       shared optimizer;
    5. new priorities from |v_t − V(s_t)| (PER only).

    Args:
        model: the global model (parameters in shared memory).
        optimizer: the shared optimizer over ``model``'s parameters.
        memory: a buffer from :func:`~a3cmem_lib.training.memory_layer.build_memory`.
        batch_size: segments per update.
        gamma: discount factor.
        total_steps: environment steps at which β reaches 1.
        rho_bar, c_bar: V-trace truncation levels.
        off_policy_correction: ``False`` treats replayed data as on-policy (ratios 1): the
            naive memory layer of the seed, kept to show why the correction matters.
        value_coef, entropy_coef, max_grad_norm: as for the workers' A3C loss.
    """

    def __init__(
        self,
        model: ActorCritic,
        optimizer: torch.optim.Optimizer,
        memory: FIFOBuffer | DedupBuffer,
        *,
        batch_size: int,
        gamma: float,
        total_steps: int,
        rho_bar: float = 1.0,
        c_bar: float = 1.0,
        off_policy_correction: bool = True,
        value_coef: float = 0.5,
        entropy_coef: float = 0.01,
        max_grad_norm: float = 0.5,
    ) -> None:
        self.model = model
        self.optimizer = optimizer
        self.memory = memory
        self.batch_size = batch_size
        self.gamma = gamma
        self.total_steps = total_steps
        self.rho_bar = rho_bar
        self.c_bar = c_bar
        self.off_policy_correction = off_policy_correction
        self.value_coef = value_coef
        self.entropy_coef = entropy_coef
        self.max_grad_norm = max_grad_norm
        inner = memory.buffer if isinstance(memory, DedupBuffer) else memory
        self.prioritized = isinstance(inner, PrioritizedReplayBuffer)
        self.beta_start = inner.beta if self.prioritized else 1.0
        self.updates = 0
        self.sampled = 0

    @property
    def ready(self) -> bool:
        """Whether the memory holds at least one batch."""
        return len(self.memory) >= self.batch_size

    def push(self, segment: Segment, priority: float) -> None:
        """Store one segment (its initial priority is used only by prioritized memories)."""
        if self.prioritized:
            self.memory.push(segment, priority)
        else:
            self.memory.push(segment)

    def update(self, global_step: int) -> LearnerUpdate:
        """One gradient step on a sampled batch; ``global_step`` anneals β."""
        if self.prioritized:
            beta = anneal_beta(
                min(global_step, self.total_steps), self.total_steps, start=self.beta_start
            )
            batch, indices, weights = self.memory.sample(self.batch_size, beta=beta)
        else:
            beta = 1.0
            batch, indices, weights = self.memory.sample(self.batch_size)
        segments = Segment(*(torch.from_numpy(np.asarray(field)) for field in batch))
        size, length, obs_dim = segments.obs.shape

        logits, values = self.model(segments.obs.reshape(size * length, obs_dim))
        logits = logits.reshape(size, length, -1)
        values = values.reshape(size, length)
        with torch.no_grad():
            _, bootstrap = self.model(segments.last_obs)
        log_pi = F.log_softmax(logits, dim=-1).gather(-1, segments.actions.unsqueeze(-1))
        log_pi = log_pi.squeeze(-1)

        valid = segments.valid
        # The step after the last real one is the bootstrap state; padding never continues.
        valid_next = torch.zeros_like(valid)
        valid_next[:, :-1] = valid[:, 1:]
        last = valid & ~valid_next
        next_values = torch.where(valid_next, values.detach().roll(-1, dims=1), bootstrap[:, None])
        terminated = last & segments.terminated[:, None]
        truncated = (last & ~terminated) | ~valid
        log_rhos = log_pi.detach() - segments.log_probs
        if not self.off_policy_correction:
            log_rhos = torch.zeros_like(log_rhos)
        targets = vtrace(
            log_rhos,
            segments.rewards,
            values.detach(),
            next_values,
            terminated,
            truncated,
            gamma=self.gamma,
            rho_bar=self.rho_bar,
            c_bar=self.c_bar,
        )

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

        if self.prioritized:
            td_errors = (targets.values - values.detach()).numpy()
            self.memory.update_priorities(indices, segment_priority(td_errors, valid.numpy()))
        self.updates += 1
        self.sampled += size
        real_rhos = targets.rhos[valid]
        return LearnerUpdate(
            loss=loss.total.item(),
            policy_loss=loss.policy.item(),
            value_loss=loss.value.item(),
            entropy=loss.entropy.item(),
            mean_rho=float(real_rhos.mean()),
            # float32 π against float64 μ: on-policy ratios are 1 ± 1e-6, not clipped
            clipped_fraction=float((real_rhos > self.rho_bar * (1 + 1e-4)).float().mean()),
            beta=beta,
        )
