"""NumpyPolicy: the numpy copy of the policy agrees with the PyTorch model."""

import numpy as np
import pytest
import torch
from torch import nn

from a3cmem_lib.agent import ActorCritic, NumpyPolicy


@pytest.mark.parametrize(
    ("hidden_sizes", "activation"), [((16,), "tanh"), ((8, 8), "relu"), ((), "tanh")]
)
def test_logits_match_the_torch_forward_pass(hidden_sizes, activation):
    torch.manual_seed(0)
    model = ActorCritic(5, 3, hidden_sizes, activation)
    policy = NumpyPolicy(model)
    obs = np.random.default_rng(0).normal(size=(10, 5)).astype(np.float32)
    expected, _ = model(torch.from_numpy(obs))
    actual = np.stack([policy.logits(row) for row in obs])
    np.testing.assert_allclose(actual, expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert [policy.greedy(row) for row in obs] == expected.argmax(-1).tolist()


def test_policy_sees_in_place_weight_updates():
    model = ActorCritic(2, 2, hidden_sizes=(4,))
    policy = NumpyPolicy(model)
    with torch.no_grad():
        model.policy_head.bias.copy_(torch.tensor([0.0, 100.0]))
    assert policy.greedy(np.zeros(2, dtype=np.float32)) == 1


def test_sample_follows_the_softmax_distribution():
    model = ActorCritic(2, 3, hidden_sizes=())
    with torch.no_grad():
        model.policy_head.weight.zero_()
        model.policy_head.bias.copy_(torch.log(torch.tensor([0.2, 0.3, 0.5])))
    policy, rng = NumpyPolicy(model), np.random.default_rng(1)
    draws = [policy.sample(np.zeros(2, dtype=np.float32), rng) for _ in range(20_000)]
    frequencies = np.bincount(draws, minlength=3) / len(draws)
    np.testing.assert_allclose(frequencies, [0.2, 0.3, 0.5], atol=0.015)


def test_unsupported_layers_are_rejected():
    model = ActorCritic(2, 2, hidden_sizes=(4,))
    model.trunk.append(nn.Dropout())
    with pytest.raises(TypeError, match="Dropout"):
        NumpyPolicy(model)
