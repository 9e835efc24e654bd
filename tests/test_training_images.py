"""Image observations through the whole training path: rollouts, segments, replay buffers,
dedup keys, the learner and checkpoints keep MinAtar's (10, 10, C) booleans compact, and every
memory variant trains the conv net."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

import a3cmem_lib.envs  # noqa: F401  (registers the MinAtar ids)
from a3cmem_lib.agent import ConvActorCritic, NumpyPolicy
from a3cmem_lib.envs import make_env, observation_dtype, space_shapes
from a3cmem_lib.training import TrainConfig, load_checkpoint, train
from a3cmem_lib.training.memory_layer import MemoryLayer, build_memory
from a3cmem_lib.training.rollout import RolloutCollector, rollout_segments
from a3cmem_lib.training.segments import random_policy_segments

BREAKOUT = "MinAtar/Breakout-v1"


def test_image_spaces_are_supported_and_kept_compact() -> None:
    env = make_env(BREAKOUT)
    obs_shape, n_actions = space_shapes(env)
    assert obs_shape == (10, 10, 4) and n_actions == 3
    assert observation_dtype(env.observation_space) == np.dtype(bool)
    assert observation_dtype(gym.make("CartPole-v1").observation_space) == np.float32
    env.close()


def test_rollouts_and_segments_hold_booleans() -> None:
    env = make_env(BREAKOUT)
    model = TrainConfig().build_model(*space_shapes(env))
    assert isinstance(model, ConvActorCritic)
    collector = RolloutCollector(env, NumpyPolicy(model), 10, seed=0, record_log_probs=True)
    rollout = collector.collect()
    assert rollout.obs.dtype == np.dtype(bool) and rollout.obs.shape[1:] == (10, 10, 4)
    with torch.no_grad():
        _, values = model(torch.from_numpy(rollout.obs))
    items = rollout_segments(rollout, values.numpy(), gamma=0.99)
    for segment, priority in items:
        assert segment.obs.dtype == np.dtype(bool) and segment.obs.shape == (10, 10, 10, 4)
        assert segment.last_obs.dtype == np.dtype(bool) and segment.last_obs.shape == (10, 10, 4)
        assert priority >= 0
    env.close()


@pytest.mark.parametrize("kind", ["fifo", "per", "fifo+dedup", "per+dedup"])
def test_replay_buffers_store_one_byte_per_pixel(kind: str) -> None:
    segments = random_policy_segments(BREAKOUT, 20, 10, seed=0)
    memory = build_memory(kind, 50, seed=0)
    for segment in segments:
        memory.push(segment, 1.0)
    batch, _, _ = memory.sample(4)
    assert batch.obs.dtype == np.dtype(bool) and batch.obs.shape == (4, 10, 10, 10, 4)
    inner = memory.buffer if hasattr(memory, "buffer") else memory
    # obs (10·10·10·4) + last_obs (10·10·4) booleans, μ(·|s) in float16 (10·3·2), plus
    # actions, rewards, ... per segment
    per_segment = inner.nbytes / inner.capacity
    assert 4_460 <= per_segment < 4_460 + 200, per_segment


def test_dedup_keys_tell_image_segments_apart() -> None:
    segments = random_policy_segments(BREAKOUT, 30, 10, seed=0)
    memory = build_memory("fifo+dedup", 100, seed=0)
    for segment in segments:
        memory.push(segment)
    assert memory.push(segments[0]) is None, "the same image segment again is a duplicate"
    changed = segments[0]._replace(obs=~segments[0].obs)
    assert memory.push(changed) is not None


def test_the_learner_updates_a_conv_net_on_image_batches() -> None:
    config = TrainConfig(memory="per", capacity=64, batch_size=8, replay_ratio=1.0)
    torch.manual_seed(0)
    model = config.build_model((10, 10, 4), 3)
    layer = MemoryLayer(config, model, torch.optim.Adam(model.parameters(), lr=1e-3))
    before = [p.detach().clone() for p in model.parameters()]
    items = [(s, 1.0) for s in random_policy_segments(BREAKOUT, 16, 10, seed=1)]
    layer.receive(0, items, step=0)
    assert layer.updates >= 1 and np.isfinite(layer.last_update.loss)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


@pytest.mark.parametrize("memory", ["none", "fifo", "per", "per+dedup"])
def test_every_variant_trains_on_minatar(memory: str, tmp_path, no_leftovers) -> None:
    config = TrainConfig(
        env_id=BREAKOUT,
        num_workers=2,
        total_steps=600,
        memory=memory,
        batch_size=8,
        progress=False,
        start_method="spawn",
    )
    result = train(config)
    assert result.global_step >= 600 and isinstance(result.model, ConvActorCritic)
    assert result.obs_shape == (10, 10, 4) and result.obs_dim == 400
    if memory != "none":
        assert result.memory_stats["steps_received"] == result.steps_this_run
    path = tmp_path / "minatar.pt"
    result.save_checkpoint(path)
    checkpoint = load_checkpoint(path)
    assert checkpoint.obs_shape == (10, 10, 4)
    rebuilt = checkpoint.build_model()
    obs = torch.zeros(2, 10, 10, 4, dtype=torch.bool)
    assert torch.equal(rebuilt(obs)[0], result.model(obs)[0])
    resumed = train(
        TrainConfig(**{**config.to_dict(), "total_steps": 900, "resume_from": str(path)})
    )
    assert resumed.global_step >= 900


def test_a_minatar_id_without_minatar_says_how_to_install_it(monkeypatch) -> None:
    import a3cmem_lib.envs.making as making

    monkeypatch.setattr(making, "minatar_available", lambda: False)
    with pytest.raises(ValueError, match=r"env_id 'MinAtar/Breakout-v1' needs MinAtar.*pip"):
        make_env(BREAKOUT)


def test_other_image_shapes_are_refused_naming_the_supported_spaces() -> None:
    with pytest.raises(ValueError, match="supported: a 1-D Box .* or a 3-D Box"):
        make_env("Pendulum-v1")
