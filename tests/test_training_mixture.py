"""The LASER-style mixture (fresh segments in every learner batch) and the policy lag, on
segments made in-process, plus the policy lag of real runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from a3cmem_lib.agent.model import ActorCritic
from a3cmem_lib.agent.shared_adam import SharedAdam
from a3cmem_lib.training import TrainConfig, train
from a3cmem_lib.training.learner import LearnerUpdate
from a3cmem_lib.training.memory_layer import MemoryLayer
from a3cmem_lib.training.policy_lag import PolicyLag
from a3cmem_lib.training.segments import random_policy_segments


def spied_layer(memory: str = "fifo", **overrides) -> tuple[MemoryLayer, list]:
    """A memory layer fed in-process whose learner records every batch it is given."""
    values = {"capacity": 256, "batch_size": 16, "total_steps": 1000, **overrides}
    config = TrainConfig(memory=memory, **values)
    torch.manual_seed(0)
    model = ActorCritic(4, 2, (32,))
    layer = MemoryLayer(config, model, SharedAdam(model.parameters(), lr=1e-3))
    batches: list = []
    update = layer.learner.update

    def recording_update(batch, weights) -> LearnerUpdate:
        batches.append((batch, np.array(weights)))
        return update(batch, weights)

    layer.learner.update = recording_update
    return layer, batches


def segments(count: int, seed: int = 0) -> list:
    return random_policy_segments("CartPole-v1", count, 8, seed=seed)


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"fresh_fraction": -0.1, "memory": "fifo"}, "fresh_fraction must be in"),
        ({"fresh_fraction": 1.5, "memory": "fifo"}, "fresh_fraction must be in"),
        ({"fresh_fraction": 0.5}, "fresh_fraction needs a memory"),
        ({"fresh_fraction": 0.01, "memory": "fifo", "batch_size": 8}, "round to >= 1"),
    ],
)
def test_bad_fresh_fraction(overrides: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TrainConfig(**overrides)
    with pytest.raises(TypeError, match="fresh_fraction"):
        TrainConfig(memory="fifo", fresh_fraction="half")


def test_a_mixture_batch_starts_with_the_newest_untrained_segments() -> None:
    # batch 16, fresh 4; replay ratio 2 -> one update per 8 segments received
    layer, batches = spied_layer(fresh_fraction=0.25, replay_ratio=2.0)
    assert layer.config.fresh_per_batch == 4
    pool = segments(40)
    layer.receive(0, [(s, 1.0) for s in pool[:16]], step=0)  # buffer holds a batch: 2 updates
    assert len(batches) == 2
    first, weights = batches[0]
    # the 4 newest of the 16 received (the fresh queue keeps the latest 4), weight 1
    for row, segment in enumerate(pool[12:16]):
        assert np.array_equal(first.obs[row], segment.obs)
    assert np.array_equal(weights[:4], np.ones(4))
    # the second update had nothing fresh left: the whole batch is replayed
    assert layer.stats()["fresh_segments_trained"] == 4
    layer.receive(0, [(s, 1.0) for s in pool[16:24]], step=10)
    newest, _ = batches[-1]
    for row, segment in enumerate(pool[20:24]):
        assert np.array_equal(newest.obs[row], segment.obs)
    assert all(batch.obs.shape[0] == 16 for batch, _ in batches)
    assert layer.stats()["segments_sampled"] == 16 * len(batches)


def test_an_all_fresh_batch_needs_no_replay() -> None:
    layer, batches = spied_layer(memory="per", fresh_fraction=1.0, replay_ratio=1.0)
    pool = segments(16)
    layer.receive(0, [(s, 1.0) for s in pool], step=0)
    ((batch, weights),) = batches
    assert np.array_equal(batch.obs, np.stack([s.obs for s in pool]))
    assert np.array_equal(weights, np.ones(16))


def test_no_mixture_keeps_whole_sampled_batches() -> None:
    layer, batches = spied_layer(replay_ratio=2.0)
    layer.receive(0, [(s, 1.0) for s in segments(16)], step=0)
    assert len(batches) == 2 and layer.stats()["fresh_segments_trained"] == 0


def test_the_lag_of_replayed_segments_counts_updates_since_acting() -> None:
    layer, batches = spied_layer(replay_ratio=1.0, batch_size=8, capacity=8)
    pool = segments(16)
    layer.receive(0, [(s, 1.0) for s in pool[:8]], step=0, version=0)  # 1 update, lag 0
    assert layer.versions.value == 1
    assert np.array_equal(layer.lag.values(), np.zeros(8))
    layer.receive(0, [(s, 1.0) for s in pool[8:16]], step=0, version=1)  # ring: all new
    assert layer.versions.value == 2
    # the second batch samples only the second 8, acted at version 1, used at version 1
    assert np.array_equal(layer.lag.values()[8:], np.zeros(8))
    layer.receive(0, [], step=0)
    layer.versions.add(5)  # five updates elsewhere (hybrid workers)
    layer.replay(step=0)
    assert np.array_equal(layer.lag.values()[16:], np.full(8, 7 - 1))


def test_policy_lag_summary() -> None:
    lag = PolicyLag()
    assert lag.summary() is None
    lag.add([0, 1, 2, 3])
    lag.add(np.array([10]))
    summary = lag.summary()
    assert summary["mean"] == 3.2 and summary["median"] == 2 and summary["max"] == 10
    assert summary["count"] == 5
    with pytest.raises(ValueError, match="lags must be >= 0"):
        lag.add([-1])


def test_one_worker_has_no_policy_lag() -> None:
    result = train(TrainConfig(num_workers=1, total_steps=400, t_max=10, progress=False))
    assert result.policy_lag == {
        "mean": 0.0,
        "median": 0.0,
        "p90": 0.0,
        "max": 0.0,
        "count": 40.0,
    }


def test_replayed_data_lags_behind_and_the_mixture_trains_fresh_segments() -> None:
    config = TrainConfig(
        num_workers=2, total_steps=3000, memory="fifo", fresh_fraction=0.25, progress=False
    )
    result = train(config)
    stats = result.memory_stats
    assert stats["steps_received"] == result.steps_this_run
    assert stats["segments_sampled"] == stats["learner_updates"] * config.batch_size
    assert 0 < stats["fresh_segments_trained"] <= stats["learner_updates"] * 8
    assert result.policy_lag["count"] == stats["segments_sampled"]
    assert result.policy_lag["max"] >= 1
