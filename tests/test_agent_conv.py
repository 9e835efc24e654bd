"""ConvActorCritic (the MinAtar network), build_actor_critic and NumpyPolicy on images."""

import io

import numpy as np
import pytest
import torch
from torch import nn

from a3cmem_lib.agent import ActorCritic, ConvActorCritic, NumpyPolicy, build_actor_critic

MINATAR_SHAPE = (10, 10, 4)
N_ACTIONS = 6


def images(batch, shape=MINATAR_SHAPE, dtype=np.bool_, seed=0):
    """Random sparse 0/1 images like MinAtar's, ``(batch, H, W, C)`` of ``dtype``."""
    return (np.random.default_rng(seed).random((batch, *shape)) < 0.2).astype(dtype)


def conv_model(seed=0, shape=MINATAR_SHAPE, **sizes):
    torch.manual_seed(seed)
    return ConvActorCritic(shape, N_ACTIONS, **sizes)


# -- the network --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 7])
def test_forward_shapes_and_dtypes(dtype, batch):
    logits, values = conv_model()(torch.from_numpy(images(batch, dtype=dtype)))
    assert logits.shape == (batch, N_ACTIONS) and logits.dtype == torch.float32
    assert values.shape == (batch,) and values.dtype == torch.float32


def test_input_dtypes_are_cast_not_rescaled():
    model, obs = conv_model(), images(5)
    outputs = [model(torch.from_numpy(obs.astype(dtype))) for dtype in (bool, np.uint8, float)]
    for logits, values in outputs[1:]:
        torch.testing.assert_close(logits, outputs[0][0], rtol=0, atol=0)
        torch.testing.assert_close(values, outputs[0][1], rtol=0, atol=0)


def test_layer_shapes_follow_the_docstring_table():
    model = conv_model()
    x = torch.from_numpy(images(3)).float().permute(0, 3, 1, 2)
    conv = model.trunk[1](model.trunk[0](x))
    assert conv.shape == (3, 16, 8, 8)
    assert model.trunk[2](conv).shape == (3, 1024)
    assert model.trunk(x).shape == (3, 128)
    assert [type(layer) for layer in model.trunk] == [
        nn.Conv2d,
        nn.ReLU,
        nn.Flatten,
        nn.Linear,
        nn.ReLU,
    ]
    assert model.trunk[0].kernel_size == (3, 3) and model.trunk[0].stride == (1, 1)
    assert model.trunk[0].padding == (0, 0)


def test_sizes_are_configurable():
    model = conv_model(shape=(7, 9, 3), channels=5, kernel_size=2, hidden_size=12)
    assert model.trunk[0].out_channels == 5 and model.trunk[0].kernel_size == (2, 2)
    assert model.trunk[3].in_features == 5 * 6 * 8 and model.trunk[3].out_features == 12
    logits, values = model(torch.from_numpy(images(4, shape=(7, 9, 3))))
    assert logits.shape == (4, N_ACTIONS) and values.shape == (4,)


def test_flat_rows_give_the_same_outputs_as_images():
    model, obs = conv_model(), images(4, dtype=np.float32)
    from_images = model(torch.from_numpy(obs))
    from_rows = model(torch.from_numpy(obs.reshape(4, -1)))
    for expected, actual in zip(from_images, from_rows, strict=True):
        torch.testing.assert_close(actual, expected, rtol=0, atol=0)


@pytest.mark.parametrize("shape", [(2, 10, 10), (2, 4, 10, 10), (2, 10, 10, 5), (2, 399), (400,)])
def test_wrong_observation_shapes_are_rejected(shape):
    with pytest.raises(ValueError, match=r"obs must be \(batch, 10, 10, 4\)"):
        conv_model()(torch.zeros(shape))


def test_initial_policy_is_near_uniform():
    model = conv_model()
    for density in (0.1, 0.5, 1.0):
        obs = np.random.default_rng(1).random((64, *MINATAR_SHAPE)) < density
        probs = torch.softmax(model(torch.from_numpy(obs))[0], dim=-1)
        assert (probs - 1 / N_ACTIONS).abs().max() < 0.01


def test_initialisation_is_orthogonal_with_zero_biases():
    model = conv_model()
    policy = model.policy_head.weight.detach()
    torch.testing.assert_close(policy @ policy.T, 0.01**2 * torch.eye(N_ACTIONS))
    assert torch.linalg.vector_norm(model.value_head.weight).item() == pytest.approx(1.0)
    conv = model.trunk[0].weight.detach().reshape(16, -1)
    torch.testing.assert_close(conv @ conv.T, 2.0 * torch.eye(16), atol=1e-5, rtol=0)
    for name, param in model.named_parameters():
        if name.endswith("bias"):
            assert torch.count_nonzero(param) == 0, name


def test_gradients_reach_every_parameter():
    model = conv_model()
    logits, values = model(torch.from_numpy(images(16, dtype=np.uint8)))
    actions = torch.arange(16) % N_ACTIONS
    chosen = torch.log_softmax(logits, dim=-1)[torch.arange(16), actions]
    (-chosen.mean() + (values - 1.0).pow(2).mean()).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and torch.count_nonzero(param.grad) > 0, name


def test_state_dict_round_trip():
    source, target = conv_model(seed=0), conv_model(seed=1)
    assert list(source.state_dict()) == [
        "trunk.0.weight",
        "trunk.0.bias",
        "trunk.3.weight",
        "trunk.3.bias",
        "policy_head.weight",
        "policy_head.bias",
        "value_head.weight",
        "value_head.bias",
    ]
    buffer = io.BytesIO()
    torch.save(source.state_dict(), buffer)
    buffer.seek(0)
    target.load_state_dict(torch.load(buffer, weights_only=True))
    obs = torch.from_numpy(images(5))
    for expected, actual in zip(source(obs), target(obs), strict=True):
        torch.testing.assert_close(actual, expected, rtol=0, atol=0)


def test_same_seed_same_weights():
    first, second, other = conv_model(seed=3), conv_model(seed=3), conv_model(seed=4)
    for name, param in first.state_dict().items():
        assert torch.equal(param, second.state_dict()[name]), name
    assert not torch.equal(first.trunk[0].weight, other.trunk[0].weight)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"obs_shape": (10, 10)}, ValueError, "obs_shape"),
        ({"obs_shape": (10, 0, 4)}, ValueError, r"obs_shape\[1\]"),
        ({"obs_shape": 10}, TypeError, "obs_shape"),
        ({"n_actions": 1}, ValueError, "n_actions"),
        ({"channels": 0}, ValueError, "channels"),
        ({"channels": 2.0}, TypeError, "channels"),
        ({"kernel_size": 11}, ValueError, "kernel_size"),
        ({"hidden_size": True}, TypeError, "hidden_size"),
    ],
)
def test_invalid_sizes_are_rejected(kwargs, error, match):
    arguments = {"obs_shape": MINATAR_SHAPE, "n_actions": N_ACTIONS, **kwargs}
    with pytest.raises(error, match=match):
        ConvActorCritic(**arguments)


# -- the factory --------------------------------------------------------------------------
def test_factory_builds_the_mlp_for_vectors_bit_identical_to_the_constructor():
    torch.manual_seed(5)
    expected = ActorCritic(4, 2, (16, 8), "relu")
    torch.manual_seed(5)
    built = build_actor_critic((4,), 2, hidden_sizes=(16, 8), activation="relu")
    assert type(built) is ActorCritic
    assert str(built) == str(expected)
    for name, param in expected.state_dict().items():
        assert torch.equal(param, built.state_dict()[name]), name


def test_factory_defaults_match_the_mlp_defaults():
    torch.manual_seed(0)
    expected = ActorCritic(4, 2)
    torch.manual_seed(0)
    built = build_actor_critic((np.int64(4),), 2)
    obs = torch.randn(3, 4)
    torch.testing.assert_close(built(obs), expected(obs), rtol=0, atol=0)


def test_factory_builds_the_conv_net_for_images():
    torch.manual_seed(2)
    expected = ConvActorCritic((10, 10, 6), 4, channels=8, kernel_size=4, hidden_size=32)
    torch.manual_seed(2)
    built = build_actor_critic(
        (10, 10, 6), 4, conv_channels=8, conv_kernel=4, conv_hidden=32, hidden_sizes=(3,)
    )
    assert type(built) is ConvActorCritic and built.obs_shape == (10, 10, 6)
    assert built.trunk[0].out_channels == 8 and built.trunk[0].kernel_size == (4, 4)
    assert built.trunk[3].out_features == 32
    for name, param in expected.state_dict().items():
        assert torch.equal(param, built.state_dict()[name]), name


def test_factory_conv_defaults_are_the_minatar_network():
    model = build_actor_critic(MINATAR_SHAPE, N_ACTIONS)
    assert type(model) is ConvActorCritic
    assert model.trunk[0].out_channels == 16 and model.trunk[0].kernel_size == (3, 3)
    assert model.trunk[3].in_features == 1024 and model.trunk[3].out_features == 128


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (((), 2), {}, ValueError, r"obs_shape.*\(obs_dim,\).*\(H, W, C\)"),
        (((4, 4), 2), {}, ValueError, r"obs_shape.*\(obs_dim,\).*\(H, W, C\).*2-D"),
        (((1, 2, 3, 4), 2), {}, ValueError, r"obs_shape.*4-D"),
        (("abc", 2), {}, TypeError, "obs_shape"),
        (((4.0,), 2), {}, TypeError, r"obs_shape\[0\]"),
        (((4,), 1), {}, ValueError, "n_actions"),
        (((4,), 2), {"activation": "sigmoid"}, ValueError, "activation"),
        (((4,), 2), {"hidden_sizes": (0,)}, ValueError, "hidden_sizes"),
        (((5, 10, 4), 2), {"conv_kernel": 6}, ValueError, r"conv_kernel.*min\(H, W\) = 5"),
        (((10, 10, 4), 2), {"conv_kernel": 0}, ValueError, "conv_kernel"),
        (((10, 10, 4), 2), {"conv_channels": -1}, ValueError, "conv_channels"),
        (((10, 10, 4), 2), {"conv_hidden": "128"}, TypeError, "conv_hidden"),
    ],
)
def test_factory_errors_name_the_argument(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        build_actor_critic(*args, **kwargs)


# -- NumpyPolicy on the conv net ----------------------------------------------------------
CONV_CASES = [
    (MINATAR_SHAPE, {}),
    ((10, 10, 6), {}),
    ((7, 9, 3), {"channels": 5, "kernel_size": 2, "hidden_size": 12}),
    ((6, 5, 1), {"channels": 3, "kernel_size": 5, "hidden_size": 4}),
]


def assert_numpy_matches_torch(model, obs):
    """NumpyPolicy's logits and greedy actions, one observation at a time, against a batch
    forward of the torch model."""
    policy = NumpyPolicy(model)
    with torch.no_grad():
        expected = model(torch.from_numpy(obs))[0].numpy()
    actual = np.stack([policy.logits(row) for row in obs])
    assert actual.dtype == np.float32 and actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-6)
    assert [policy.greedy(row) for row in obs] == expected.argmax(-1).tolist()


@pytest.mark.parametrize(("shape", "sizes"), CONV_CASES)
@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.float32, np.float64])
def test_numpy_policy_matches_the_conv_net(shape, sizes, dtype):
    model = conv_model(shape=shape, **sizes)
    # Larger logits than at initialisation, so a layout mistake cannot hide in the noise.
    with torch.no_grad():
        model.policy_head.weight.normal_()
    assert_numpy_matches_torch(model, images(20, shape=shape, dtype=dtype, seed=1))


def test_numpy_policy_reads_flat_rows_like_the_rollout_stores_them():
    model = conv_model()
    with torch.no_grad():
        model.policy_head.weight.normal_()
    policy, obs = NumpyPolicy(model), images(6, dtype=np.float32)
    for row in obs:
        np.testing.assert_array_equal(policy.logits(row.reshape(-1)), policy.logits(row))


@pytest.mark.parametrize(
    ("obs_shape", "kwargs"), [((4,), {}), ((8,), {"hidden_sizes": (16, 16), "activation": "relu"})]
)
def test_numpy_policy_matches_the_mlp_built_by_the_factory(obs_shape, kwargs):
    torch.manual_seed(0)
    model = build_actor_critic(obs_shape, 3, **kwargs)
    with torch.no_grad():
        model.policy_head.weight.normal_()
    obs = np.random.default_rng(0).normal(size=(10, *obs_shape)).astype(np.float32)
    assert_numpy_matches_torch(model, obs)


def test_numpy_policy_sees_in_place_weight_updates():
    model, obs = conv_model(), images(10, seed=2)
    policy = NumpyPolicy(model)
    before = policy.logits(obs[0])
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    logits, values = model(torch.from_numpy(obs))
    (logits[:, 0].mean() - values.mean()).backward()
    optimizer.step()
    with torch.no_grad():
        model.trunk[0].weight.mul_(1.5)
    assert not np.allclose(policy.logits(obs[0]), before, rtol=0, atol=1e-6)
    assert_numpy_matches_torch(model, obs)


def test_numpy_policy_sees_weights_loaded_into_the_model():
    # Workers copy the shared weights in place before every rollout.
    local, shared, obs = conv_model(seed=0), conv_model(seed=1), images(10, seed=3)
    with torch.no_grad():
        shared.policy_head.weight.normal_()
    policy = NumpyPolicy(local)
    local.load_state_dict(shared.state_dict())
    np.testing.assert_allclose(
        np.stack([policy.logits(row) for row in obs]),
        np.stack([NumpyPolicy(shared).logits(row) for row in obs]),
        rtol=0,
        atol=0,
    )


def test_sampling_is_reproducible_with_a_seeded_generator():
    obs = images(50, seed=4)
    first, second = NumpyPolicy(conv_model(seed=0)), NumpyPolicy(conv_model(seed=0))
    rng_a, rng_b, rng_c = (np.random.default_rng(s) for s in (7, 7, 8))
    draws_a = [first.sample_with_log_prob(row, rng_a) for row in obs]
    draws_b = [second.sample_with_log_prob(row, rng_b) for row in obs]
    draws_c = [first.sample_with_log_prob(row, rng_c) for row in obs]
    assert draws_a == draws_b
    assert [a for a, _ in draws_a] != [a for a, _ in draws_c]
    rng_a, rng_b = np.random.default_rng(9), np.random.default_rng(9)
    assert [first.sample(row, rng_a) for row in obs] == [second.sample(row, rng_b) for row in obs]


def test_sample_with_log_prob_returns_the_torch_log_probability():
    model, obs = conv_model(), images(20, seed=5)
    with torch.no_grad():
        model.policy_head.weight.normal_()
        log_probs = torch.log_softmax(model(torch.from_numpy(obs))[0], dim=-1).numpy()
    policy, rng = NumpyPolicy(model), np.random.default_rng(0)
    for row, expected in zip(obs, log_probs, strict=True):
        action, log_prob = policy.sample_with_log_prob(row, rng)
        assert log_prob == pytest.approx(expected[action], abs=1e-5)


def test_conv_sample_follows_the_softmax_distribution():
    model = conv_model()
    probabilities = torch.tensor([0.05, 0.1, 0.15, 0.2, 0.2, 0.3])
    with torch.no_grad():
        model.policy_head.weight.zero_()
        model.policy_head.bias.copy_(torch.log(probabilities))
    policy, rng, obs = NumpyPolicy(model), np.random.default_rng(1), images(1)[0]
    draws = [policy.sample(obs, rng) for _ in range(20_000)]
    frequencies = np.bincount(draws, minlength=N_ACTIONS) / len(draws)
    np.testing.assert_allclose(frequencies, probabilities.numpy(), atol=0.015)


def test_numpy_policy_rejects_observations_of_the_wrong_size():
    policy = NumpyPolicy(conv_model())
    with pytest.raises(ValueError, match=r"obs must be \(10, 10, 4\)"):
        policy.logits(np.zeros((10, 10, 3), dtype=bool))


def test_numpy_policy_rejects_convolutions_it_cannot_evaluate():
    model = conv_model()
    model.trunk[0] = nn.Conv2d(4, 16, 3, stride=2)
    with pytest.raises(TypeError, match="stride-1"):
        NumpyPolicy(model)


def test_numpy_policy_rejects_a_conv_layer_after_the_first():
    model = conv_model()
    model.trunk.append(nn.Conv2d(1, 1, 1))
    with pytest.raises(TypeError, match=r"Conv2d layer at trunk\[5\]"):
        NumpyPolicy(model)


def test_a_real_minatar_observation():
    minatar = pytest.importorskip("minatar")
    env = minatar.Environment("breakout")
    env.seed(0)
    env.reset()
    state = env.state()
    assert state.shape == MINATAR_SHAPE and state.dtype == np.bool_
    model = build_actor_critic(state.shape, env.num_actions())
    logits, values = model(torch.from_numpy(state[None]))
    assert logits.shape == (1, env.num_actions()) and values.shape == (1,)
    np.testing.assert_allclose(
        NumpyPolicy(model).logits(state), logits[0].detach().numpy(), rtol=1e-4, atol=1e-6
    )
