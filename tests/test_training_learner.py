"""The learner on segments made in-process: V-trace loss, IS weights, priority updates."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from a3cmem_lib.agent.losses import actor_critic_loss
from a3cmem_lib.agent.model import ActorCritic
from a3cmem_lib.agent.shared_optim import SharedAdam
from a3cmem_lib.memory import DedupBuffer, PrioritizedReplayBuffer
from a3cmem_lib.training.learner import Learner
from a3cmem_lib.training.memory_layer import SegmentKey, build_memory
from a3cmem_lib.training.segments import random_policy_segments, segment_priority


def random_segments(count: int, length: int = 8, seed: int = 0) -> list:
    """Segments of CartPole played by a uniform random policy (log μ = log 1/2)."""
    return random_policy_segments("CartPole-v1", count, length, seed=seed)


def make_learner(kind: str, **kwargs) -> Learner:
    torch.manual_seed(0)
    model = ActorCritic(4, 2, (32,))
    memory = build_memory(kind, 256, seed=0)
    optimizer = SharedAdam(model.parameters(), lr=1e-3)
    return Learner(model, optimizer, memory, batch_size=16, gamma=0.99, total_steps=1000, **kwargs)


def test_segments_are_padded_and_end_on_episode_boundaries() -> None:
    segments = random_segments(40)
    for segment in segments:
        steps = int(segment.valid.sum())
        assert steps >= 1 and segment.valid[:steps].all() and not segment.valid[steps:].any()
        assert (segment.rewards[steps:] == 0).all()
    assert any(bool(s.terminated) for s in segments)
    assert any(s.valid.all() for s in segments)


@pytest.mark.parametrize("kind", ["fifo", "per", "per+dedup", "fifo+dedup"])
def test_update_changes_the_model_and_reports_ratios(kind: str) -> None:
    learner = make_learner(kind)
    for segment in random_segments(64):
        learner.push(segment, priority=1.0)
    before = [p.detach().clone() for p in learner.model.parameters()]
    report = learner.update(global_step=500)
    after = list(learner.model.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))
    assert np.isfinite(report.loss)
    assert report.mean_rho > 0 and 0 <= report.clipped_fraction <= 1
    assert (0.4 < report.beta < 1.0) if kind.startswith("per") else report.beta == 1.0
    assert learner.updates == 1 and learner.sampled == 16


def test_priorities_updated_from_new_td_errors() -> None:
    learner = make_learner("per")
    for segment in random_segments(64):
        learner.push(segment, priority=1.0)
    buffer = learner.memory
    assert isinstance(buffer, PrioritizedReplayBuffer)
    learner.update(global_step=0)
    priorities = buffer.priorities(np.arange(len(buffer)))
    changed = priorities != 1.0
    assert 0 < changed.sum() <= 16
    assert buffer.max_priority >= priorities.max()


def test_on_policy_data_has_ratio_one_and_no_correction_ignores_ratios() -> None:
    corrected = make_learner("fifo")
    naive = make_learner("fifo", off_policy_correction=False)
    segments = random_segments(32)
    # behaviour log-probs equal to the (initial, near-uniform) policy's: ratios ~ 1
    with torch.no_grad():
        for learner in (corrected, naive):
            for segment in segments:
                logits, _ = learner.model(torch.from_numpy(segment.obs))
                log_pi = torch.log_softmax(logits, -1)[torch.arange(8), segment.actions].numpy()
                learner.push(segment._replace(log_probs=log_pi.astype(np.float32)), 1.0)
    assert abs(corrected.update(0).mean_rho - 1.0) < 1e-4
    # a behaviour policy that was far more sure of its actions than π: ratios well below 1
    for segment in segments:
        naive.push(segment._replace(log_probs=np.zeros(8, np.float32)), 1.0)
        corrected.push(segment._replace(log_probs=np.zeros(8, np.float32)), 1.0)
    assert corrected.update(0).mean_rho < 0.9


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
