"""The learner and the memory layer on segments made in-process: V-trace loss, IS weights,
the replay schedule, priority updates."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from a3cmem_lib.agent.losses import actor_critic_loss
from a3cmem_lib.agent.model import ActorCritic
from a3cmem_lib.agent.shared_adam import SharedAdam
from a3cmem_lib.agent.vtrace import vtrace
from a3cmem_lib.memory import DedupBuffer, PrioritizedReplayBuffer
from a3cmem_lib.training import TrainConfig
from a3cmem_lib.training.learner import FlatGradients, Learner
from a3cmem_lib.training.memory_layer import MemoryLayer, SegmentKey, build_memory
from a3cmem_lib.training.segments import Segment, random_policy_segments, segment_priority


def random_segments(count: int, length: int = 8, seed: int = 0) -> list:
    """Segments of CartPole played by a uniform random policy (log μ = log 1/2)."""
    return random_policy_segments("CartPole-v1", count, length, seed=seed)


def make_learner(**kwargs) -> Learner:
    torch.manual_seed(0)
    model = ActorCritic(4, 2, (32,))
    optimizer = SharedAdam(model.parameters(), lr=1e-3)
    return Learner(model, optimizer, gamma=0.99, **kwargs)


def make_layer(memory: str, **overrides) -> MemoryLayer:
    """A memory layer over a fresh model, fed in-process (no workers)."""
    config = TrainConfig(memory=memory, capacity=256, batch_size=16, total_steps=1000, **overrides)
    torch.manual_seed(0)
    model = ActorCritic(4, 2, (32,))
    return MemoryLayer(config, model, SharedAdam(model.parameters(), lr=1e-3))


def test_segments_are_padded_and_end_on_episode_boundaries() -> None:
    segments = random_segments(40)
    for segment in segments:
        steps = int(segment.valid.sum())
        assert steps >= 1 and segment.valid[:steps].all() and not segment.valid[steps:].any()
        assert (segment.rewards[steps:] == 0).all()
    assert any(bool(s.terminated) for s in segments)
    assert any(s.valid.all() for s in segments)


def test_the_learner_is_a_function_of_a_batch_and_its_weights() -> None:
    batch = stack(random_segments(16))
    learner = make_learner()
    before = [p.detach().clone() for p in learner.model.parameters()]
    report = learner.update(batch, np.ones(16, dtype=np.float32))
    after = list(learner.model.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))
    assert np.isfinite(report.loss) and report.mean_rho > 0 and 0 <= report.clipped_fraction <= 1
    assert report.priorities.shape == (16,) and (report.priorities >= 0).all()
    # zero weights: no gradient from any step, so the model does not move
    frozen = make_learner()
    weights_before = [p.detach().clone() for p in frozen.model.parameters()]
    frozen.update(batch, np.zeros(16, dtype=np.float32))
    assert all(
        torch.equal(a, b) for a, b in zip(weights_before, frozen.model.parameters(), strict=True)
    )


@pytest.mark.parametrize("kind", ["fifo", "per", "per+dedup", "fifo+dedup"])
def test_the_memory_layer_replays_on_schedule(kind: str) -> None:
    layer = make_layer(kind, replay_ratio=2.0)
    segments = random_segments(64)
    layer.receive(0, [(segment, 1.0) for segment in segments[:8]], step=0)
    assert layer.updates == 0, "no replay before the buffer holds a batch"
    layer.receive(0, [(segment, 1.0) for segment in segments[8:]], step=500)
    assert layer.sampled >= 2.0 * 64 and layer.sampled - 16 < 2.0 * 64
    assert layer.updates == layer.sampled // 16
    stats = layer.stats()
    assert stats["segments_received"] == 64 and stats["learner_updates"] == layer.updates
    assert stats["steps_received"] == sum(int(s.valid.sum()) for s in segments)


def test_priorities_updated_from_new_td_errors() -> None:
    layer = make_layer("per", replay_ratio=16 / 64)
    buffer = layer.memory
    assert isinstance(buffer, PrioritizedReplayBuffer)
    layer.receive(0, [(segment, 1.0) for segment in random_segments(64)], step=0)
    assert layer.updates == 1
    priorities = buffer.priorities(np.arange(len(buffer)))
    changed = priorities != 1.0
    assert 0 < changed.sum() <= 16
    assert buffer.max_priority >= priorities.max()


def test_beta_and_learning_rate_follow_the_schedule() -> None:
    layer = make_layer("per", replay_ratio=1.0, learning_rate=1e-3)
    layer.receive(0, [(segment, 1.0) for segment in random_segments(16)], step=250)
    assert layer.optimizer.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.75)
    assert layer.schedule.beta(250) == pytest.approx(0.4 + 0.6 * 0.25)


def test_on_policy_data_has_ratio_one_and_no_correction_ignores_ratios() -> None:
    corrected = make_learner()
    naive = make_learner(off_policy_correction=False)
    segments = random_segments(32)
    # behaviour log-probs equal to the (initial, near-uniform) policy's: ratios ~ 1
    with torch.no_grad():
        on_policy = []
        for segment in segments:
            logits, _ = corrected.model(torch.from_numpy(segment.obs))
            log_pi = torch.log_softmax(logits, -1)[torch.arange(8), segment.actions].numpy()
            on_policy.append(segment._replace(log_probs=log_pi.astype(np.float32)))
    assert abs(corrected.update(stack(on_policy)).mean_rho - 1.0) < 1e-4
    # a behaviour policy that was far more sure of its actions than π: ratios well below 1
    sure = stack([segment._replace(log_probs=np.zeros(8, np.float32)) for segment in segments])
    assert corrected.update(sure).mean_rho < 0.9
    assert naive.update(sure).mean_rho == pytest.approx(1.0)


def stack(segments: list[Segment]) -> Segment:
    """Segments batched along a new leading axis, as a buffer samples them."""
    return Segment(*(np.stack(field) for field in zip(*segments, strict=True)))


def test_weights_scale_every_loss_term() -> None:
    torch.manual_seed(0)
    logits, values = torch.randn(6, 3), torch.randn(6)
    actions, adv, targets = torch.randint(0, 3, (6,)), torch.randn(6), torch.randn(6)
    plain = actor_critic_loss(logits, values, actions, adv, targets)
    doubled = actor_critic_loss(
        logits, values, actions, adv, targets, weights=torch.full((6,), 2.0)
    )
    for name in ("total", "policy", "value", "entropy"):
        assert torch.allclose(getattr(doubled, name), 2 * getattr(plain, name))
    half = torch.tensor([1.0, 1, 1, 0, 0, 0])
    masked = actor_critic_loss(logits, values, actions, adv, targets, weights=half)
    first = actor_critic_loss(logits[:3], values[:3], actions[:3], adv[:3], targets[:3])
    assert torch.allclose(masked.total * 2, first.total)
    with pytest.raises(ValueError, match="weights"):
        actor_critic_loss(logits, values, actions, adv, targets, weights=torch.ones(5))


def test_segment_priority_mixes_max_and_mean() -> None:
    td = np.array([[1.0, -3.0, 100.0], [2.0, 0.0, 0.0]])
    valid = np.array([[True, True, False], [True, False, False]])
    assert np.allclose(segment_priority(td, valid, eta=0.9), [0.9 * 3 + 0.1 * 2, 2.0])
    with pytest.raises(ValueError, match="eta"):
        segment_priority(td, valid, eta=1.5)


def test_dedup_key_ignores_behaviour_log_probs() -> None:
    segment = random_segments(1)[0]
    other_policy = segment._replace(log_probs=segment.log_probs - 1.0)
    assert SegmentKey("experience")(segment) == SegmentKey("experience")(other_policy)
    memory = build_memory("per+dedup", 16)
    assert isinstance(memory, DedupBuffer)
    memory.push(segment, 0.5)
    assert memory.push(other_policy, 0.7) is None and memory.duplicates == 1
    nudged = segment._replace(obs=segment.obs + 1e-6)
    assert SegmentKey("state-action", 3)(segment) == SegmentKey("state-action", 3)(nudged)
    assert SegmentKey("state-action")(segment) != SegmentKey("state-action")(nudged)


@pytest.mark.parametrize(
    "kind, key, match", [("lru", "experience", "memory"), ("fifo+dedup", "bytes", "dedup_key")]
)
def test_bad_memory_options(kind: str, key: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_memory(kind, 8, dedup_key=key)


def reference_update(learner: Learner, batch: Segment, weights: np.ndarray) -> dict:
    """The learner's update written out the straightforward way: every step of the batch
    through the model, the bootstrap states in a second pass, the A3C loss on the real steps,
    torch's own gradient clipping."""
    tensors = Segment(*(torch.from_numpy(np.asarray(field)) for field in batch))
    size, length = tensors.actions.shape
    model = learner.model
    logits, values = model(tensors.obs.reshape(size * length, -1))
    logits, values = logits.reshape(size, length, -1), values.reshape(size, length)
    log_pi = torch.log_softmax(logits, -1).gather(-1, tensors.actions[..., None])[..., 0]
    with torch.no_grad():
        _, bootstrap = model(tensors.last_obs)
    valid = tensors.valid
    valid_next = torch.zeros_like(valid)
    valid_next[:, :-1] = valid[:, 1:]
    last = valid & ~valid_next
    terminated = last & tensors.terminated[:, None]
    next_values = torch.where(valid_next, values.detach().roll(-1, 1), bootstrap[:, None])
    targets = vtrace(
        log_pi.detach() - tensors.log_probs,
        tensors.rewards,
        values.detach(),
        next_values,
        terminated,
        (last & ~terminated) | ~valid,
        gamma=learner.gamma,
        rho_bar=learner.rho_bar,
        c_bar=learner.c_bar,
    )
    step_weights = torch.from_numpy(weights)[:, None].expand(size, length)
    loss = actor_critic_loss(
        logits[valid],
        values[valid],
        tensors.actions[valid],
        targets.advantages[valid],
        targets.values[valid],
        value_coef=learner.value_coef,
        entropy_coef=learner.entropy_coef,
        weights=step_weights[valid],
    )
    learner.optimizer.zero_grad()
    loss.total.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), learner.max_grad_norm)
    learner.optimizer.step()
    rhos = targets.rhos[valid]
    return {
        "loss": loss.total.item(),
        "policy_loss": loss.policy.item(),
        "value_loss": loss.value.item(),
        "entropy": loss.entropy.item(),
        "mean_rho": rhos.mean().item(),
        "clipped_fraction": (rhos > learner.rho_bar * (1 + 1e-4)).float().mean().item(),
        "priorities": segment_priority((targets.values - values.detach()).numpy(), valid.numpy()),
    }


@pytest.mark.parametrize("rho_bar", [1.0, 0.8])
def test_the_update_equals_the_straightforward_reference(rho_bar: float) -> None:
    rng = np.random.default_rng(3)
    segments = random_segments(24, length=6, seed=5)
    # off-policy behaviour log-probs, and weights that differ per segment
    segments = [
        s._replace(log_probs=np.log(rng.uniform(0.2, 0.9, 6)).astype(np.float32) * s.valid)
        for s in segments
    ]
    batch = stack(segments)
    assert not batch.valid.all() and batch.terminated.any() and (~batch.terminated).any()
    weights = rng.uniform(0.1, 1.0, 24).astype(np.float32)
    fast, slow = make_learner(rho_bar=rho_bar), make_learner(rho_bar=rho_bar)
    slow.max_grad_norm = fast.max_grad_norm = 0.05  # small enough that the clip acts
    for _ in range(3):  # a few steps, so that the optimizer's moments matter too
        report = fast.update(batch, weights)
        expected = reference_update(slow, batch, weights)
        for name, value in expected.items():
            assert np.allclose(getattr(report, name), value, rtol=1e-5, atol=1e-6), name
        for a, b in zip(fast.model.parameters(), slow.model.parameters(), strict=True):
            assert torch.allclose(a, b, rtol=1e-5, atol=1e-7)
    if rho_bar < 1:
        assert report.clipped_fraction > 0, "the truncation acted"


def test_flat_gradients_clip_as_torch_does() -> None:
    torch.manual_seed(1)
    model = ActorCritic(4, 3, (16, 8))
    gradients = FlatGradients(model.parameters())
    for max_norm in (0.01, 100.0):  # clipped, then left alone
        gradients.zero()
        model(torch.randn(5, 4))[0].pow(2).sum().backward()
        expected = [p.grad.clone() for p in model.parameters()]
        norm = torch.linalg.vector_norm(torch.stack([e.norm() for e in expected]))
        scale = min(1.0, max_norm / (float(norm) + 1e-6))
        assert gradients.clip_norm(max_norm) == pytest.approx(float(norm), rel=1e-6)
        for p, e in zip(model.parameters(), expected, strict=True):
            assert torch.allclose(p.grad, e * scale, rtol=1e-5, atol=1e-8)
    model.policy_head.weight.grad = None
    with pytest.raises(RuntimeError, match="replaced"):
        gradients.clip_norm(1.0)
