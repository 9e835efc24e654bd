"""Signs of the actor-critic loss gradients on toy cases (a3cmem_lib.agent.losses)."""

import pytest
import torch

from a3cmem_lib.agent import ActorCritic, actor_critic_loss


def _loss(logits, values, advantage, target, **coefs):
    return actor_critic_loss(
        logits,
        values,
        torch.tensor([0]),
        torch.tensor([advantage]),
        torch.tensor([target]),
        **coefs,
    )


def _prob_of_action_0_after_a_step(advantage):
    logits = torch.zeros(1, 2, requires_grad=True)
    loss = _loss(logits, torch.zeros(1), advantage, 0.0, entropy_coef=0.0)
    loss.total.backward()
    with torch.no_grad():
        return (logits - 0.1 * logits.grad).softmax(-1)[0, 0].item()


def test_positive_advantage_raises_probability_of_taken_action():
    assert _prob_of_action_0_after_a_step(+1.0) > 0.5


def test_negative_advantage_lowers_probability_of_taken_action():
    assert _prob_of_action_0_after_a_step(-1.0) < 0.5


def test_value_gradient_moves_value_toward_target():
    values = torch.tensor([1.0], requires_grad=True)
    _loss(torch.zeros(1, 2), values, 0.0, 3.0, value_coef=0.5).total.backward()
    assert values.grad.item() == pytest.approx(-0.5 * (3.0 - 1.0))


def test_entropy_bonus_pushes_policy_toward_uniform():
    logits = torch.tensor([[2.0, 0.0]], requires_grad=True)
    _loss(logits, torch.zeros(1), 0.0, 0.0, entropy_coef=1.0).total.backward()
    # descending the gradient lowers the larger logit and raises the smaller one
    assert logits.grad[0, 0] > 0 > logits.grad[0, 1]


def test_masked_action_adds_zero_entropy_and_no_nan_gradient():
    masked = torch.tensor([[0.0, -torch.inf, 1.0]], requires_grad=True)
    unmasked = torch.tensor([[0.0, 1.0]], requires_grad=True)
    with_mask = _loss(masked, torch.zeros(1), 1.0, 0.0, entropy_coef=1.0)
    without = _loss(unmasked, torch.zeros(1), 1.0, 0.0, entropy_coef=1.0)
    torch.testing.assert_close(with_mask.entropy, without.entropy, rtol=0, atol=0)
    with_mask.total.backward()
    without.total.backward()
    assert masked.grad[0, 1] == 0.0
    torch.testing.assert_close(masked.grad[:, [0, 2]], unmasked.grad, rtol=0, atol=0)


def test_entropy_of_finite_logits_is_minus_sum_p_log_p():
    torch.manual_seed(0)
    logits = 10 * torch.randn(6, 4)
    log_probs = logits.log_softmax(-1)
    loss = actor_critic_loss(
        logits, torch.zeros(6), torch.zeros(6, dtype=torch.int64), torch.zeros(6), torch.zeros(6)
    )
    expected = -(torch.ones(6) * (log_probs.exp() * log_probs).sum(-1)).mean()
    assert torch.equal(loss.entropy, expected)


def test_total_combines_terms_and_no_gradient_reaches_the_targets():
    model = ActorCritic(3, 4, hidden_sizes=(8,))
    torch.manual_seed(0)
    logits, values = model(torch.randn(5, 3))
    advantages = torch.randn(5, requires_grad=True)
    targets = torch.randn(5, requires_grad=True)
    loss = actor_critic_loss(
        logits,
        values,
        torch.tensor([0, 1, 2, 3, 0]),
        advantages,
        targets,
        value_coef=0.25,
        entropy_coef=0.1,
    )
    expected = loss.policy + 0.25 * loss.value - 0.1 * loss.entropy
    torch.testing.assert_close(loss.total, expected)
    assert 0.0 < loss.entropy.item() <= torch.log(torch.tensor(4.0)).item() + 1e-6
    loss.total.backward()
    assert advantages.grad is None and targets.grad is None
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("name", ["value_coef", "entropy_coef"])
def test_negative_weights_are_rejected(name):
    with pytest.raises(ValueError, match=name):
        _loss(torch.zeros(1, 2), torch.zeros(1), 0.0, 0.0, **{name: -1.0})
