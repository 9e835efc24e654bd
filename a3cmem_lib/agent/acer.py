"""ACER's pieces (Wang et al., 2017, "Sample Efficient Actor-Critic with Experience Replay").

Each is a function a notebook calls and a test checks without processes:

- :func:`retrace`: the Retrace targets Q^ret of section 3.1, with truncated ratios min(1, ρ);
- :func:`acer_policy_objective`: the policy gradient of section 3.2, importance weights
  truncated at c plus the bias-correction term over all actions;
- :func:`trust_region_projection`: the closed-form projection of section 3.3 that keeps a
  step close to the average policy network;
- :func:`acer_loss`: the three together with the Q loss, one loss a backward pass
  differentiates; :func:`update_average` moves the average network.

Explained in notebooks/09_acer.ipynb.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike


def retrace(
    rewards: ArrayLike,
    q_taken: ArrayLike,
    next_values: ArrayLike,
    rhos: ArrayLike,
    terminated: ArrayLike,
    truncated: ArrayLike,
    *,
    gamma: float,
    trace_lambda: float = 1.0,
) -> np.ndarray:
    r"""Retrace targets Q^ret for segments of experience (Wang et al., 2017, eq. 5).

    .. math::

        Q^{ret}_t = r_t + \gamma \bigl[ \bar c_{t+1} (Q^{ret}_{t+1} - Q(s_{t+1}, a_{t+1}))
                    + V(s_{t+1}) \bigr],
        \qquad \bar c_t = \lambda \min(1, \rho_t),

    where the episode or the segment goes on after step t. Where it ends, the bracket is
    ``next_values[t]`` (a truncation, padding or the segment's last step: bootstrap) or 0
    (a terminal state). With all ratios 1 and λ = 1 it is the n-step return with a control
    variate; with ``q_taken == values`` (a Q that ignores the action) it is exactly the
    λ-return.

    Args:
        rewards: ``(..., T)`` rewards.
        q_taken: ``(..., T)`` Q(s_t, a_t) of the actions taken, under the current critic.
        next_values: ``(..., T)`` V(s_{t+1}) = Σ_a π(a|s_{t+1}) Q(s_{t+1}, a); inside a
            segment the next step's value, at its end the bootstrap value. Not read where
            ``terminated`` (may be NaN or inf).
        rhos: ``(..., T)`` importance ratios π(a_t|s_t) / μ(a_t|s_t), ``>= 0``.
        terminated: ``(..., T)`` bool, the episode ended in a terminal state at step t.
        truncated: ``(..., T)`` bool, the trace stops after step t (time limit, padding
            after a segment's last real step, or another episode follows).
        gamma: discount factor in [0, 1].
        trace_lambda: λ in [0, 1] multiplying the truncated ratios (1 in the paper).

    Returns:
        ``(..., T)`` float64 targets Q^ret, in units of discounted return.
    """
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must be in [0, 1], got {gamma!r}")
    if not 0.0 <= trace_lambda <= 1.0:
        raise ValueError(f"trace_lambda must be in [0, 1], got {trace_lambda!r}")
    reward = np.asarray(rewards, dtype=np.float64)
    arrays = {
        "q_taken": np.asarray(q_taken, dtype=np.float64),
        "next_values": np.asarray(next_values, dtype=np.float64),
        "rhos": np.asarray(rhos, dtype=np.float64),
        "terminated": np.asarray(terminated, dtype=bool),
        "truncated": np.asarray(truncated, dtype=bool),
    }
    for name, array in arrays.items():
        if array.shape != reward.shape:
            raise ValueError(
                f"{name} must have the shape of rewards {reward.shape}, got {array.shape}"
            )
    if np.any(arrays["rhos"] < 0) or np.isnan(arrays["rhos"]).any():
        raise ValueError("rhos must be >= 0 (ratios of probabilities)")
    q, next_value, rho = arrays["q_taken"], arrays["next_values"], arrays["rhos"]
    terminal, cut = arrays["terminated"], arrays["truncated"]
    # Selected, not multiplied by ~terminal: 0 * nan is nan.
    bootstrap = np.where(terminal, 0.0, next_value)
    traces = trace_lambda * np.minimum(rho, 1.0)
    targets = np.empty_like(reward)
    steps = reward.shape[-1]
    for t in reversed(range(steps)):
        if t == steps - 1:
            ahead = bootstrap[..., t]
        else:
            correction = traces[..., t + 1] * (targets[..., t + 1] - q[..., t + 1])
            carried = next_value[..., t] + correction
            ahead = np.where(terminal[..., t] | cut[..., t], bootstrap[..., t], carried)
        targets[..., t] = reward[..., t] + gamma * ahead
    return targets


def acer_policy_objective(
    log_probs: torch.Tensor,
    q_values: torch.Tensor,
    actions: torch.Tensor,
    q_ret: torch.Tensor,
    behaviour_probs: torch.Tensor,
    *,
    truncation: float = 10.0,
) -> torch.Tensor:
    r"""ACER's policy objective per step, whose gradient is eq. 8 of the paper.

    .. math::

        \hat g_t = \min(c, \rho_t)\, \nabla \log \pi(a_t|s_t)\,(Q^{ret}_t - V(s_t))
          + \sum_a \pi(a|s_t) \Bigl[1 - \frac{c}{\rho_t(a)}\Bigr]_+
            \nabla \log \pi(a|s_t)\,(Q(s_t, a) - V(s_t)),

    with ρ_t(a) = π(a|s_t)/μ(a|s_t) and V(s_t) = Σ_a π(a|s_t) Q(s_t, a). The first term is
    the importance-weighted policy gradient with its weight truncated at c (bounded
    variance); the second, an expectation under π computed exactly over all actions,
    corrects the bias the truncation leaves, and is zero where ρ_t(a) ≤ c. Only π carries a
    gradient: Q, Q^ret and μ are constants.

    Args:
        log_probs: ``(N, A)`` log π(·|s_t) of the current policy (with its gradient).
        q_values: ``(N, A)`` Q(s_t, ·) of the current critic.
        actions: ``(N,)`` int64 actions taken.
        q_ret: ``(N,)`` Retrace targets of the actions taken (:func:`retrace`).
        behaviour_probs: ``(N, A)`` μ(·|s_t) of the policy that acted; a probability of 0
            gives ρ = ∞ (a fully weighted correction term), never NaN.
        truncation: c > 0, where importance weights are truncated.

    Returns:
        ``(N,)`` the objective of each step (to be maximised): its gradient is ĝ_t.
    """
    if not truncation > 0:
        raise ValueError(f"truncation must be > 0, got {truncation!r}")
    n_steps, n_actions = log_probs.shape
    for name, tensor, shape in (
        ("q_values", q_values, (n_steps, n_actions)),
        ("behaviour_probs", behaviour_probs, (n_steps, n_actions)),
        ("actions", actions, (n_steps,)),
        ("q_ret", q_ret, (n_steps,)),
    ):
        if tuple(tensor.shape) != shape:
            raise ValueError(f"{name} must have shape {shape}, got {tuple(tensor.shape)}")
    probs = log_probs.detach().exp()
    q = q_values.detach()
    values = (probs * q).sum(-1)
    mu = behaviour_probs.detach().to(probs.dtype)
    taken = actions.unsqueeze(-1)
    rho_taken = (probs.gather(-1, taken) / mu.gather(-1, taken)).squeeze(-1)
    weight = torch.clamp(rho_taken, max=truncation)
    truncated_term = weight * log_probs.gather(-1, taken).squeeze(-1) * (q_ret.detach() - values)
    # [1 - c/ρ(a)]_+ = [1 - c μ(a)/π(a)]_+ : finite for μ(a) = 0; π > 0 under a softmax.
    correction_weight = torch.relu(1.0 - truncation * mu / probs.clamp(min=1e-30))
    correction = (probs * correction_weight * log_probs * (q - values.unsqueeze(-1))).sum(-1)
    return truncated_term + correction


def trust_region_projection(
    gradient: torch.Tensor, kl_gradient: torch.Tensor, delta: float = 1.0
) -> torch.Tensor:
    r"""The gradient closest to ``gradient`` whose step stays within δ of the average policy
    (Wang et al., 2017, eq. 12), row by row:

    .. math::

        z^* = g - \max\Bigl(0, \frac{k^\top g - \delta}{\lVert k \rVert_2^2}\Bigr) k,

    the solution of min ½‖g − z‖² subject to kᵀz ≤ δ, with k = ∇_φ KL(π_avg ‖ π_φ) the
    gradient of the divergence from the average policy network. A step that moves the
    policy towards π_avg, or not far from it, is left alone.

    Args:
        gradient: ``(N, A)`` g, the objective's gradient with respect to the policy's
            statistics φ (the action probabilities of each step).
        kl_gradient: ``(N, A)`` k, the gradient of KL(π_avg ‖ π_φ) with respect to φ.
        delta: δ > 0, the trust region's radius.

    Returns:
        ``(N, A)`` the projected gradient z*.
    """
    if not delta > 0:
        raise ValueError(f"delta must be > 0, got {delta!r}")
    if gradient.shape != kl_gradient.shape:
        raise ValueError(
            f"kl_gradient must have the shape of gradient {tuple(gradient.shape)}, "
            f"got {tuple(kl_gradient.shape)}"
        )
    scale = ((kl_gradient * gradient).sum(-1) - delta) / kl_gradient.pow(2).sum(-1).clamp(min=1e-12)
    return gradient - scale.clamp(min=0.0).unsqueeze(-1) * kl_gradient


@dataclass(frozen=True)
class AcerLoss:
    """The terms of one ACER loss, each a scalar tensor; ``total`` is what is
    differentiated, the others are for logging and teaching."""

    total: torch.Tensor
    """Policy surrogate (its gradient is the projected ĝ) + q_coef × Q loss."""
    policy: torch.Tensor
    """``-mean_t`` of :func:`acer_policy_objective` (no gradient)."""
    q: torch.Tensor
    """``mean_t(0.5 * w_t * (Q^ret_t - Q(s_t, a_t))^2)``, in squared units of return."""
    entropy: torch.Tensor
    """``mean_t(H[π(·|s_t)])`` in nats (no gradient)."""
    projected_fraction: float
    """Fraction of steps whose gradient the trust region changed (0 without one)."""


def acer_loss(
    logits: torch.Tensor,
    q_values: torch.Tensor,
    actions: torch.Tensor,
    q_ret: torch.Tensor,
    behaviour_probs: torch.Tensor,
    average_logits: torch.Tensor | None = None,
    *,
    truncation: float = 10.0,
    delta: float = 1.0,
    q_coef: float = 0.5,
    entropy_coef: float = 0.01,
    weights: torch.Tensor | None = None,
) -> AcerLoss:
    r"""ACER's loss for a batch of steps: policy gradient, trust region and Q regression.

    ALGO LOGIC (Wang et al., 2017, Algorithm 2, for discrete actions):

    1. φ = π(·|s_t), the policy's statistics; g = ∇_φ of Σ_t w_t (objective_t +
       entropy_coef · H[π(·|s_t)]) (:func:`acer_policy_objective`);
    2. with an average network, k = ∇_φ KL(π_avg ‖ π_φ) = −π_avg / π_φ and
       g ← :func:`trust_region_projection` (g, k, δ);
    3. the network's parameters get −(∂φ/∂θ)ᵀ g / N through the surrogate
       ``-(φ · g).sum() / N``, and the critic the gradient of
       ``q_coef · mean_t(0.5 w_t (Q^ret_t − Q(s_t, a_t))²)``.

    Args:
        logits: ``(N, A)`` policy logits (with their gradient).
        q_values: ``(N, A)`` Q(s_t, ·) (with their gradient: the Q loss trains them).
        actions: ``(N,)`` int64 actions taken.
        q_ret: ``(N,)`` Retrace targets (:func:`retrace`), constants.
        behaviour_probs: ``(N, A)`` μ(·|s_t) of the policy that acted.
        average_logits: ``(N, A)`` logits of the average policy network, or ``None`` for
            no trust region.
        truncation: c > 0 of :func:`acer_policy_objective`.
        delta: δ > 0 of :func:`trust_region_projection`.
        q_coef: weight of the Q loss, ``>= 0``.
        entropy_coef: weight of the entropy bonus, ``>= 0``.
        weights: ``(N,)`` non-negative per-step weights (prioritized replay's
            importance-sampling weights); ``None``: all 1.

    Returns:
        The loss terms; call ``.total.backward()``.
    """
    if q_coef < 0:
        raise ValueError(f"q_coef must be >= 0, got {q_coef!r}")
    if entropy_coef < 0:
        raise ValueError(f"entropy_coef must be >= 0, got {entropy_coef!r}")
    n_steps = len(actions)
    if weights is None:
        weights = torch.ones(n_steps, dtype=logits.dtype)
    elif tuple(weights.shape) != (n_steps,):
        raise ValueError(f"weights must have shape {(n_steps,)}, got {tuple(weights.shape)}")
    weights = weights.detach().to(logits.dtype)
    probs = F.softmax(logits, dim=-1)
    # g is taken with respect to the probabilities φ themselves, detached from the network.
    phi = probs.detach().requires_grad_(True)
    with torch.enable_grad():
        log_phi = phi.clamp(min=1e-30).log()
        objective = acer_policy_objective(
            log_phi, q_values, actions, q_ret, behaviour_probs, truncation=truncation
        )
        entropy = -(phi * log_phi).sum(-1)
        (gradient,) = torch.autograd.grad(
            (weights * (objective + entropy_coef * entropy)).sum(), phi
        )
    projected_fraction = 0.0
    if average_logits is not None:
        average_probs = F.softmax(average_logits.detach(), dim=-1).to(phi.dtype)
        kl_gradient = -average_probs / phi.detach().clamp(min=1e-30)
        projected = trust_region_projection(gradient, kl_gradient, delta)
        projected_fraction = float((projected != gradient).any(-1).float().mean())
        gradient = projected
    surrogate = -(probs * gradient).sum() / n_steps
    q_taken = q_values.gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    q_loss = 0.5 * (weights * (q_ret.detach().to(q_taken.dtype) - q_taken).pow(2)).mean()
    return AcerLoss(
        total=surrogate + q_coef * q_loss,
        policy=-(weights * objective.detach()).mean(),
        q=q_loss,
        entropy=(weights * entropy.detach()).mean(),
        projected_fraction=projected_fraction,
    )


def update_average(average: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """θ_avg ← α θ_avg + (1 − α) θ, in place: the average policy network of ACER's trust
    region (section 3.3) follows the model with decay α in (0, 1).

    Args:
        average: the average network (same architecture as ``model``).
        model: the network just updated.
        decay: α, in (0, 1); 0.99 in the paper.
    """
    if not 0.0 < decay < 1.0:
        raise ValueError(f"decay must be in (0, 1), got {decay!r}")
    with torch.no_grad():
        for mean, current in zip(average.parameters(), model.parameters(), strict=True):
            mean.lerp_(current, 1.0 - decay)
