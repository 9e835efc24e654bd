"""ACER in the memory layer: the workers' on-policy update and the learner's off-policy one.

Both turn model outputs into :func:`a3cmem_lib.agent.acer.acer_loss`: Retrace targets
(:func:`~a3cmem_lib.agent.acer.retrace`), the truncated policy gradient with its bias
correction, the trust region around the average policy network, and the Q loss. A worker
learns from its own rollout (all ratios 1: on-policy); :class:`AcerLearner` from a batch of
replayed segments (ratios π/μ from the behaviour distribution each segment stores). After
every update the average network follows the model
(:func:`~a3cmem_lib.agent.acer.update_average`).

Explained in notebooks/09_acer.ipynb.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from a3cmem_lib.agent.acer import AcerLoss, acer_loss, retrace, update_average
from a3cmem_lib.agent.model import ActorCriticModel
from a3cmem_lib.agent.shared_optim import SharedOptimizer
from a3cmem_lib.training.config import TrainConfig
from a3cmem_lib.training.learner import FlatGradients, LearnerUpdate, trace_boundaries
from a3cmem_lib.training.rollout import Rollout
from a3cmem_lib.training.segments import Segment, segment_priority


def acer_rollout_loss(
    rollout: Rollout,
    logits: torch.Tensor,
    q_values: torch.Tensor,
    average_logits: torch.Tensor | None,
    config: TrainConfig,
) -> AcerLoss:
    """ACER's on-policy loss of a worker's rollout (every ratio π/μ is 1).

    ALGO LOGIC: V(s) = Σ_a π(a|s) Q(s, a) on every row; Retrace targets with ratios 1 and
    bootstrap values V(s_{t+1}) from ``next_row`` (0 after a terminal step); then
    :func:`~a3cmem_lib.agent.acer.acer_loss` with μ = π (no importance weight exceeds 1,
    so the bias correction vanishes for c ≥ 1) and the config's coefficients.

    Args:
        rollout: what :meth:`~a3cmem_lib.training.rollout.RolloutCollector.collect` returned.
        logits: (rows, n_actions) and q_values: (rows, n_actions), the model's
            :meth:`policy_and_q` on all of ``rollout.obs``.
        average_logits: (T, n_actions) the average network's logits on the acted states,
            or ``None`` without a trust region.
        config: supplies gamma, value_coef (the Q loss's weight), entropy_coef,
            acer_truncation and trust_region_delta.
    """
    steps = rollout.length
    probs = F.softmax(logits.detach(), dim=-1)
    row_values = (probs * q_values.detach()).sum(-1).numpy()
    actions = torch.from_numpy(rollout.actions)
    q_taken = q_values.detach()[:steps].gather(-1, actions[:, None]).squeeze(-1).numpy()
    q_ret = retrace(
        rollout.rewards,
        q_taken,
        row_values[rollout.next_row],
        np.ones(steps),
        rollout.terminated,
        rollout.truncated,
        gamma=config.gamma,
    )
    return acer_loss(
        logits[:steps],
        q_values[:steps],
        actions,
        torch.from_numpy(q_ret.astype(np.float32)),
        probs[:steps],
        average_logits,
        truncation=config.acer_truncation,
        delta=config.trust_region_delta,
        q_coef=config.value_coef,
        entropy_coef=config.entropy_coef,
    )


def average_policy_logits(
    average_model: ActorCriticModel | None, obs: torch.Tensor
) -> torch.Tensor | None:
    """The average network's logits on ``obs`` (no gradient), or ``None`` without one."""
    if average_model is None:
        return None
    with torch.no_grad():
        return average_model.policy_and_q(obs)[0]


class AcerLearner:
    """ACER's off-policy update of the shared model from a batch of replayed segments.

    ALGO LOGIC of one update (:meth:`update`):

    1. π and Q of the current model on the batch's real steps and bootstrap states;
       V = Σ_a π Q;
    2. ratios ρ_t = π(a_t|s_t)/μ(a_t|s_t) from the stored log μ; Retrace targets Q^ret
       with traces min(1, ρ) (Wang et al., 2017, section 3.1);
    3. :func:`~a3cmem_lib.agent.acer.acer_loss` with the stored μ(·|s) for the bias
       correction and the average network's π for the trust region, prioritized replay's
       importance weights on every step; clip, step the shared optimizer, move the average
       network;
    4. new priorities from |Q^ret − Q(s_t, a_t)|.

    Args:
        config: the run's configuration (``learner="acer"``).
        model: the global model, with a Q head (parameters in shared memory).
        optimizer: the shared optimizer over ``model``'s parameters.
        average_model: the average policy network (shared with the workers), or ``None``
            without a trust region.
    """

    def __init__(
        self,
        config: TrainConfig,
        model: ActorCriticModel,
        optimizer: SharedOptimizer,
        average_model: ActorCriticModel | None,
    ) -> None:
        if not model.has_q_head:
            raise ValueError("AcerLearner needs a model with a Q head (learner='acer')")
        self.config = config
        self.model = model
        self.optimizer = optimizer
        self.average_model = average_model
        self.gradients = FlatGradients(model.parameters())

    def update(self, batch: Segment, weights: np.ndarray | None = None) -> LearnerUpdate:
        """One gradient step on ``batch`` (fields with a leading batch axis, as a buffer's
        ``sample`` returns them); ``weights``: (B,) importance-sampling weights (``None``:
        all 1). Returns the loss statistics and the batch's new priorities."""
        config = self.config
        valid = np.asarray(batch.valid)
        behaviour = np.asarray(batch.behaviour_probs)
        if behaviour.shape[-1] == 0:
            raise ValueError(
                "ACER needs the behaviour distribution of every step: these segments were "
                "recorded without it (SegmentRecorder(..., n_actions=...))"
            )
        size = len(valid)
        states = torch.from_numpy(
            np.concatenate((np.asarray(batch.obs)[valid], np.asarray(batch.last_obs)))
        )
        logits, q_values = self.model.policy_and_q(states)
        steps = len(states) - size
        probs = F.softmax(logits.detach(), dim=-1)
        all_values = (probs * q_values.detach()).sum(-1).numpy()
        actions = torch.from_numpy(np.asarray(batch.actions)[valid])
        taken = actions[:, None]
        values = np.zeros(valid.shape)
        values[valid] = all_values[:steps]
        q_taken = np.zeros(valid.shape)
        q_taken[valid] = q_values.detach()[:steps].gather(-1, taken).squeeze(-1).numpy()
        rhos = np.zeros(valid.shape)
        log_pi = F.log_softmax(logits.detach()[:steps], dim=-1).gather(-1, taken).squeeze(-1)
        log_pi = log_pi.numpy()
        rhos[valid] = np.exp(log_pi - np.asarray(batch.log_probs)[valid])
        next_values, terminated, truncated = trace_boundaries(batch, values, all_values[steps:])
        q_ret = retrace(
            batch.rewards, q_taken, next_values, rhos, terminated, truncated, gamma=config.gamma
        )
        if weights is None:
            weights = np.ones(size, dtype=np.float32)
        step_weights = np.broadcast_to(np.asarray(weights, dtype=np.float32)[:, None], valid.shape)
        loss = acer_loss(
            logits[:steps],
            q_values[:steps],
            actions,
            torch.from_numpy(q_ret[valid].astype(np.float32)),
            torch.from_numpy(behaviour[valid].astype(np.float32)),
            average_policy_logits(self.average_model, states[:steps]),
            truncation=config.acer_truncation,
            delta=config.trust_region_delta,
            q_coef=config.value_coef,
            entropy_coef=config.entropy_coef,
            weights=torch.from_numpy(step_weights[valid]),
        )
        self.gradients.step(loss.total, self.optimizer, config.max_grad_norm)
        if self.average_model is not None:
            update_average(self.average_model, self.model, config.average_decay)
        real_rhos = rhos[valid]
        return LearnerUpdate(
            loss=float(loss.total.detach()),
            policy_loss=float(loss.policy),
            value_loss=float(loss.q.detach()),
            entropy=float(loss.entropy),
            mean_rho=float(real_rhos.mean()),
            clipped_fraction=float((real_rhos > config.acer_truncation).mean()),
            priorities=segment_priority(q_ret - q_taken, valid),
        )
