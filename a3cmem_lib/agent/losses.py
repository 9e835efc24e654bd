"""The actor-critic loss: policy gradient, value regression and entropy bonus.

Explained in notebooks/01_a3c_basics.ipynb (section "The A3C loss").
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class ActorCriticLoss:
    """The terms of one rollout's loss, each a scalar tensor.

    ``total = policy + value_coef * value - entropy_coef * entropy`` is what is
    differentiated; the other three are kept for logging and teaching.
    """

    total: torch.Tensor
    """The loss to minimise (has a gradient)."""
    policy: torch.Tensor
    """``-mean_t(log pi(a_t | s_t) * A_t)``: minimising it raises the probability of
    actions with positive advantage."""
    value: torch.Tensor
    """``mean_t(0.5 * (target_t - V(s_t))^2)``, in squared units of return."""
    entropy: torch.Tensor
    """``mean_t(H[pi(. | s_t)])`` in nats; a bonus, so it enters ``total`` with a minus sign.
    An action of probability 0 (logit -inf, a masked action) adds ``0 * log 0 = 0``."""


def actor_critic_loss(
    logits: torch.Tensor,
    values: torch.Tensor,
    actions: torch.Tensor,
    advantages: torch.Tensor,
    value_targets: torch.Tensor,
    *,
    value_coef: float = 0.5,
    entropy_coef: float = 0.01,
    weights: torch.Tensor | None = None,
) -> ActorCriticLoss:
    """A3C's loss for one rollout (Mnih et al., 2016, Algorithm S3 and section 4).

    The paper sums over the rollout; this averages, so the learning rate does not depend on
    ``t_max``. Advantages and targets are treated as constants (no gradient flows into them).

    Args:
        logits: ``(T, n_actions)`` policy logits for the visited states; -inf masks an action
            (probability 0, adds 0 to the entropy and to its gradient), at least one logit per
            row must be finite.
        values: ``(T,)`` critic outputs ``V(s_t)`` for the same states.
        actions: ``(T,)`` int64 actions taken.
        advantages: ``(T,)`` advantage estimates, e.g. from :func:`gae_advantages`.
        value_targets: ``(T,)`` regression targets for ``V(s_t)``, e.g. n-step returns.
        value_coef: weight of the value loss, >= 0.
        entropy_coef: weight of the entropy bonus, >= 0.
        weights: optional ``(T,)`` non-negative per-step weights, e.g. prioritized replay's
            importance-sampling weights; every term becomes ``mean_t(w_t * term_t)``.

    Returns:
        The loss terms; call ``.total.backward()``.

    Explained in notebooks/01_a3c_basics.ipynb.
    """
    return actor_critic_loss_from_log_probs(
        F.log_softmax(logits, dim=-1),
        values,
        actions,
        advantages,
        value_targets,
        value_coef=value_coef,
        entropy_coef=entropy_coef,
        weights=weights,
    )


def actor_critic_loss_from_log_probs(
    log_probs: torch.Tensor,
    values: torch.Tensor,
    actions: torch.Tensor,
    advantages: torch.Tensor,
    value_targets: torch.Tensor,
    *,
    value_coef: float = 0.5,
    entropy_coef: float = 0.01,
    weights: torch.Tensor | None = None,
) -> ActorCriticLoss:
    """:func:`actor_critic_loss` from ``log_probs = log_softmax(logits, dim=-1)``.

    For a caller that needs the log-probabilities anyway (the learner's V-trace ratios), so
    that they are computed once. Same arguments as :func:`actor_critic_loss`, except
    ``log_probs``: ``(T, n_actions)`` normalised log-probabilities ``log pi(. | s_t)``, -inf
    for a masked action.
    """
    if value_coef < 0:
        raise ValueError(f"value_coef must be >= 0, got {value_coef!r}")
    if entropy_coef < 0:
        raise ValueError(f"entropy_coef must be >= 0, got {entropy_coef!r}")
    taken_log_probs = log_probs.gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    if weights is None:
        weights = torch.ones_like(values)
    elif weights.shape != values.shape:
        raise ValueError(
            f"weights must have shape {tuple(values.shape)}, got {tuple(weights.shape)}"
        )
    weights = weights.detach()
    policy_loss = -(weights * taken_log_probs * advantages.detach()).mean()
    value_loss = 0.5 * (weights * (value_targets.detach() - values).pow(2)).mean()
    # 0 * log 0 = 0 for a masked action: select rather than multiply, as 0 * -inf is nan, in the
    # value and in the gradient.
    finite_log_probs = torch.where(log_probs.isneginf(), 0.0, log_probs)
    entropy = -(weights * (log_probs.exp() * finite_log_probs).sum(-1)).mean()
    total = policy_loss + value_coef * value_loss - entropy_coef * entropy
    return ActorCriticLoss(total=total, policy=policy_loss, value=value_loss, entropy=entropy)
