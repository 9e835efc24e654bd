"""ACER's pieces against brute-force implementations of the paper's equations."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.optimize import minimize

from a3cmem_lib.agent import build_actor_critic
from a3cmem_lib.agent.acer import (
    acer_loss,
    acer_policy_objective,
    retrace,
    trust_region_projection,
    update_average,
)
from a3cmem_lib.agent.returns import gae_advantages, n_step_returns


def random_segments(rng: np.random.Generator, batch: int, steps: int) -> dict[str, np.ndarray]:
    """Random Retrace inputs with episode ends and padding at random places."""
    terminated = rng.random((batch, steps)) < 0.15
    truncated = ~terminated & (rng.random((batch, steps)) < 0.15)
    return {
        "rewards": rng.normal(size=(batch, steps)),
        "q_taken": rng.normal(size=(batch, steps)),
        "next_values": rng.normal(size=(batch, steps)),
        "rhos": rng.exponential(size=(batch, steps)),
        "terminated": terminated,
        "truncated": truncated,
    }


def retrace_by_sums(inputs: dict[str, np.ndarray], gamma: float, lam: float) -> np.ndarray:
    """Q^ret_t − Q_t = Σ_{s ≥ t} γ^{s−t} (Π_{i=t+1..s} c_i) δ_s with
    δ_s = r_s + γ V_{s+1} − Q_s, the sum stopping at the first step that ends the trace:
    the closed form of the paper's recursion (eq. 5), term by term."""
    rewards, q, next_v = inputs["rewards"], inputs["q_taken"], inputs["next_values"]
    rho, term, trunc = inputs["rhos"], inputs["terminated"], inputs["truncated"]
    batch, steps = rewards.shape
    targets = np.zeros_like(rewards)
    for b in range(batch):
        for t in range(steps):
            total, product = 0.0, 1.0
            for s in range(t, steps):
                if s > t:
                    product *= lam * min(1.0, rho[b, s])
                ahead = 0.0 if term[b, s] else next_v[b, s]
                total += gamma ** (s - t) * product * (rewards[b, s] + gamma * ahead - q[b, s])
                if term[b, s] or trunc[b, s]:
                    break
            targets[b, t] = q[b, t] + total
    return targets


@pytest.mark.parametrize("lam", [1.0, 0.7])
def test_retrace_equals_the_closed_form_of_the_paper(lam: float) -> None:
    rng = np.random.default_rng(0)
    for _ in range(5):
        inputs = random_segments(rng, 4, 9)
        got = retrace(**inputs, gamma=0.95, trace_lambda=lam)
        np.testing.assert_allclose(got, retrace_by_sums(inputs, 0.95, lam), rtol=1e-10)


def test_retrace_ignores_what_a_terminal_step_would_bootstrap_from() -> None:
    inputs = random_segments(np.random.default_rng(1), 3, 6)
    inputs["terminated"][:, 2] = True
    clean = retrace(**inputs, gamma=0.9)
    inputs["next_values"] = np.where(inputs["terminated"], np.nan, inputs["next_values"])
    np.testing.assert_array_equal(retrace(**inputs, gamma=0.9), clean)


def one_rollout(rng: np.random.Generator, steps: int) -> dict[str, np.ndarray]:
    """A rollout across episode ends: values V(s_t), next values V(s_{t+1}) (the next
    step's value inside an episode), terminations and truncations."""
    values = rng.normal(size=steps)
    terminated = rng.random(steps) < 0.2
    truncated = ~terminated & (rng.random(steps) < 0.2)
    next_values = np.append(values[1:], rng.normal())
    ends = terminated | truncated
    next_values[ends] = rng.normal(size=ends.sum())  # a truncated episode's own last state
    return {
        "rewards": rng.normal(size=steps),
        "values": values,
        "next_values": next_values,
        "terminated": terminated,
        "truncated": truncated,
    }


def test_on_policy_retrace_with_a_state_value_critic_is_the_n_step_return() -> None:
    rng = np.random.default_rng(2)
    for _ in range(10):
        r = one_rollout(rng, 12)
        got = retrace(
            r["rewards"],
            r["values"],
            r["next_values"],
            np.ones(12),
            r["terminated"],
            r["truncated"],
            gamma=0.97,
        )
        expected = n_step_returns(
            r["rewards"], r["next_values"], r["terminated"], r["truncated"], 0.97
        )
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("lam", [0.0, 0.5, 0.95])
def test_on_policy_retrace_with_lambda_is_the_lambda_return(lam: float) -> None:
    rng = np.random.default_rng(3)
    r = one_rollout(rng, 15)
    got = retrace(
        r["rewards"],
        r["values"],
        r["next_values"],
        np.ones(15),
        r["terminated"],
        r["truncated"],
        gamma=0.9,
        trace_lambda=lam,
    )
    advantages = gae_advantages(
        r["rewards"], r["values"], r["next_values"], r["terminated"], r["truncated"], 0.9, lam
    )
    np.testing.assert_allclose(got, advantages + r["values"], rtol=1e-5, atol=1e-5)


def test_ratios_above_one_are_truncated_to_one_in_the_traces() -> None:
    inputs = random_segments(np.random.default_rng(4), 3, 7)
    capped = dict(inputs, rhos=np.minimum(inputs["rhos"], 1.0))
    np.testing.assert_array_equal(retrace(**inputs, gamma=0.9), retrace(**capped, gamma=0.9))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"gamma": 1.5}, "gamma must be in"),
        ({"trace_lambda": -0.1}, "trace_lambda must be in"),
        ({"rhos": -np.ones((2, 3))}, "rhos must be >= 0"),
        ({"q_taken": np.zeros((2, 4))}, "q_taken must have the shape"),
    ],
)
def test_retrace_rejects_bad_input(change: dict, message: str) -> None:
    inputs = random_segments(np.random.default_rng(5), 2, 3)
    arguments = {**inputs, "gamma": 0.9, **change}
    with pytest.raises(ValueError, match=message):
        retrace(**arguments)


def random_policy_inputs(rng: np.random.Generator, steps: int, actions: int) -> dict:
    return {
        "logits": torch.tensor(rng.normal(size=(steps, actions)), requires_grad=True),
        "q_values": torch.tensor(rng.normal(size=(steps, actions))),
        "actions": torch.tensor(rng.integers(actions, size=steps)),
        "q_ret": torch.tensor(rng.normal(size=steps)),
        "behaviour_probs": torch.tensor(rng.dirichlet(np.ones(actions), size=steps)),
    }


def paper_gradient_wrt_logits(inputs: dict, c: float) -> np.ndarray:
    """ĝ of eq. 8 with ∇_logits log π(a) = e_a − π, step by step and action by action."""
    logits = inputs["logits"].detach().numpy()
    q, a, q_ret = inputs["q_values"].numpy(), inputs["actions"].numpy(), inputs["q_ret"].numpy()
    mu = inputs["behaviour_probs"].numpy()
    steps, n_actions = logits.shape
    gradient = np.zeros_like(logits)
    for t in range(steps):
        pi = np.exp(logits[t] - logits[t].max())
        pi /= pi.sum()
        value = float(pi @ q[t])
        rho = pi / mu[t]
        basis = np.eye(n_actions)
        gradient[t] += min(c, rho[a[t]]) * (q_ret[t] - value) * (basis[a[t]] - pi)
        for action in range(n_actions):
            weight = max(0.0, 1.0 - c / rho[action])
            gradient[t] += pi[action] * weight * (q[t, action] - value) * (basis[action] - pi)
    return gradient


@pytest.mark.parametrize("c", [0.5, 1.0, 10.0])
def test_policy_objective_gradient_is_the_papers_truncated_gradient_with_bias_correction(
    c: float,
) -> None:
    inputs = random_policy_inputs(np.random.default_rng(6), 8, 4)
    log_probs = F.log_softmax(inputs["logits"], dim=-1)
    objective = acer_policy_objective(
        log_probs,
        inputs["q_values"],
        inputs["actions"],
        inputs["q_ret"],
        inputs["behaviour_probs"],
        truncation=c,
    )
    objective.sum().backward()
    np.testing.assert_allclose(
        inputs["logits"].grad.numpy(), paper_gradient_wrt_logits(inputs, c), atol=1e-10
    )


@pytest.mark.parametrize("c", [0.3, 1.0, 3.0])
def test_truncation_with_bias_correction_is_unbiased(c: float) -> None:
    """With Q^ret = Q(s, a), the expectation of ĝ over actions drawn from μ is the
    on-policy gradient E_{a~π}[∇ log π(a) (Q(a) − V)], whatever the truncation c."""
    rng = np.random.default_rng(7)
    n_actions = 5
    logits = torch.tensor(rng.normal(size=(1, n_actions)))
    q = torch.tensor(rng.normal(size=(1, n_actions)))
    mu = torch.tensor(rng.dirichlet(np.ones(n_actions), size=1))
    expected_gradient = torch.zeros(1, n_actions, dtype=torch.float64)
    for action in range(n_actions):
        leaf = logits.clone().requires_grad_(True)
        objective = acer_policy_objective(
            F.log_softmax(leaf, dim=-1),
            q,
            torch.tensor([action]),
            q[:, action],
            mu,
            truncation=c,
        )
        objective.sum().backward()
        expected_gradient += mu[0, action] * leaf.grad
    leaf = logits.clone().requires_grad_(True)
    probs = F.softmax(leaf, dim=-1)
    on_policy = (probs * (q - (probs.detach() * q).sum(-1, keepdim=True))).sum()
    on_policy.backward()  # Σ_a ∇π(a) (Q(a) − V) = E_π[∇ log π(a) (Q(a) − V)]
    torch.testing.assert_close(expected_gradient, leaf.grad)


def test_a_behaviour_probability_of_zero_gives_a_full_correction_not_nan() -> None:
    inputs = random_policy_inputs(np.random.default_rng(8), 3, 3)
    inputs["behaviour_probs"] = torch.tensor([[0.0, 0.5, 0.5]] * 3, dtype=torch.float64)
    inputs["actions"] = torch.tensor([1, 2, 1])
    objective = acer_policy_objective(
        F.log_softmax(inputs.pop("logits"), dim=-1), **inputs, truncation=10.0
    )
    assert torch.isfinite(objective).all()


def test_trust_region_projection_solves_the_constrained_problem() -> None:
    """z* minimises ½‖g − z‖² subject to kᵀz ≤ δ: compared with a numerical solver."""
    rng = np.random.default_rng(9)
    g = rng.normal(size=(6, 3))
    k = rng.normal(size=(6, 3))
    delta = 0.5
    projected = trust_region_projection(torch.tensor(g), torch.tensor(k), delta).numpy()
    for row in range(6):
        solved = minimize(
            lambda z, row=row: 0.5 * np.sum((g[row] - z) ** 2),
            g[row],
            constraints=[{"type": "ineq", "fun": lambda z, row=row: delta - k[row] @ z}],
            method="SLSQP",
            options={"ftol": 1e-12},
        )
        np.testing.assert_allclose(projected[row], solved.x, atol=1e-5)
        assert k[row] @ projected[row] <= delta + 1e-9


def test_trust_region_leaves_a_step_inside_it_alone() -> None:
    g = torch.tensor([[1.0, -2.0]])
    k = torch.tensor([[0.1, 0.1]])  # kᵀg = -0.1 <= δ
    assert torch.equal(trust_region_projection(g, k, 1.0), g)


def test_acer_loss_without_trust_region_differentiates_objective_entropy_and_q_loss() -> None:
    inputs = random_policy_inputs(np.random.default_rng(10), 6, 3)
    q_values = inputs["q_values"].clone().requires_grad_(True)
    loss = acer_loss(
        inputs["logits"],
        q_values,
        inputs["actions"],
        inputs["q_ret"],
        inputs["behaviour_probs"],
        truncation=2.0,
        q_coef=0.5,
        entropy_coef=0.01,
    )
    loss.total.backward()
    logits = inputs["logits"].detach().clone().requires_grad_(True)
    log_probs = F.log_softmax(logits, dim=-1)
    objective = acer_policy_objective(
        log_probs,
        inputs["q_values"],
        inputs["actions"],
        inputs["q_ret"],
        inputs["behaviour_probs"],
        truncation=2.0,
    )
    entropy = -(log_probs.exp() * log_probs).sum(-1)
    (-(objective + 0.01 * entropy).mean()).backward()
    torch.testing.assert_close(inputs["logits"].grad, logits.grad)
    q_taken = inputs["q_values"].gather(-1, inputs["actions"][:, None]).squeeze(-1)
    expected_q_grad = torch.zeros_like(q_values)
    expected_q_grad.scatter_(
        -1, inputs["actions"][:, None], (0.5 * (q_taken - inputs["q_ret"]) / 6)[:, None]
    )
    torch.testing.assert_close(q_values.grad, expected_q_grad)
    assert loss.projected_fraction == 0.0


def test_a_wide_trust_region_changes_nothing_and_a_narrow_one_projects() -> None:
    inputs = random_policy_inputs(np.random.default_rng(11), 6, 3)
    average = inputs["logits"].detach() + torch.tensor(
        np.random.default_rng(12).normal(size=(6, 3))
    )

    def logits_gradient(average_logits: torch.Tensor | None, delta: float) -> torch.Tensor:
        logits = inputs["logits"].detach().clone().requires_grad_(True)
        loss = acer_loss(
            logits,
            inputs["q_values"],
            inputs["actions"],
            inputs["q_ret"],
            inputs["behaviour_probs"],
            average_logits,
            delta=delta,
        )
        loss.total.backward()
        return logits.grad, loss.projected_fraction

    free, _ = logits_gradient(None, 1.0)
    wide, wide_fraction = logits_gradient(average, 1e9)
    narrow, narrow_fraction = logits_gradient(average, 1e-6)
    torch.testing.assert_close(free, wide)
    assert wide_fraction == 0.0 and narrow_fraction > 0.0
    assert not torch.allclose(free, narrow)


def test_update_average_moves_by_one_minus_decay() -> None:
    torch.manual_seed(0)
    model = build_actor_critic((4,), 2, q_head=True)
    average = build_actor_critic((4,), 2, q_head=True)
    before = [p.detach().clone() for p in average.parameters()]
    update_average(average, model, 0.9)
    for new, old, current in zip(average.parameters(), before, model.parameters(), strict=True):
        torch.testing.assert_close(new, 0.9 * old + 0.1 * current)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: update_average(torch.nn.Linear(1, 1), torch.nn.Linear(1, 1), 1.0), "decay"),
        (lambda: update_average(torch.nn.Linear(1, 1), torch.nn.Linear(1, 1), 0.0), "decay"),
        (lambda: trust_region_projection(torch.ones(1, 2), torch.ones(1, 2), 0.0), "delta"),
        (lambda: trust_region_projection(torch.ones(1, 2), torch.ones(1, 3), 1.0), "kl_gradient"),
        (
            lambda: acer_policy_objective(
                torch.zeros(1, 2),
                torch.zeros(1, 2),
                torch.zeros(1, dtype=torch.int64),
                torch.zeros(1),
                torch.full((1, 2), 0.5),
                truncation=0.0,
            ),
            "truncation",
        ),
    ],
)
def test_acer_pieces_reject_bad_arguments(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("obs_shape", [(4,), (10, 10, 4)])
def test_a_q_head_gives_values_as_the_policy_weighted_mean_of_q(obs_shape: tuple) -> None:
    torch.manual_seed(0)
    model = build_actor_critic(obs_shape, 3, q_head=True)
    obs = torch.rand(5, *obs_shape)
    logits, values = model(obs)
    _, q_values = model.policy_and_q(obs)
    assert q_values.shape == (5, 3) and not hasattr(model, "value_head")
    torch.testing.assert_close(values, (F.softmax(logits, -1) * q_values).sum(-1))
    loss = acer_loss(
        logits,
        q_values,
        torch.zeros(5, dtype=torch.int64),
        torch.ones(5),
        torch.full((5, 3), 1 / 3),
    )
    loss.total.backward()
    assert all(p.grad is not None for p in model.parameters())
