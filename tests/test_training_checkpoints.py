"""Checkpoints: the replay buffer inside them, periodic checkpoints, and every way a resume or
an environment can fail before any worker starts (SetupError, naming the argument)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from a3cmem_lib.training import (
    SetupError,
    TrainConfig,
    load_checkpoint,
    train,
)
from a3cmem_lib.training.memory_layer import MemoryLayer


def _config(**overrides) -> TrainConfig:
    values = {"num_workers": 1, "total_steps": 3_000, "progress": False, "seed": 0}
    values.update(overrides)
    return TrainConfig(**values)


@pytest.mark.parametrize("memory", ["fifo", "per+dedup"])
def test_a_memory_checkpoint_holds_the_buffer_bit_exactly(tmp_path, same_state, memory) -> None:
    config = _config(memory=memory, capacity=400, batch_size=16, env_id="a3cmem/GridWorld-v0")
    result = train(config)
    assert result.memory_state is not None
    path = tmp_path / "checkpoint.pt"
    result.save_checkpoint(path)
    loaded = load_checkpoint(path)
    same_state(loaded.memory_state, result.memory_state)
    # a fresh memory layer restored from it holds exactly the same items, priorities, keys
    # and sampling state, so it samples exactly as the saved one would have
    layer = MemoryLayer(config, loaded.build_model(), torch.optim.Adam([torch.zeros(1)]))
    layer.memory.load_state_dict(loaded.memory_state)
    same_state(layer.memory.state_dict(), result.memory_state)
    twin = MemoryLayer(config, loaded.build_model(), torch.optim.Adam([torch.zeros(1)]))
    twin.memory.load_state_dict(result.memory_state)
    first, second = layer.memory.sample(16), twin.memory.sample(16)
    assert np.array_equal(first[1], second[1])
    same_state(tuple(first[0]), tuple(second[0]))


def test_a_resumed_memory_run_continues_with_the_saved_buffer(tmp_path) -> None:
    config = _config(memory="per+dedup", capacity=2_000, env_id="a3cmem/GridWorld-v0")
    first = train(config)
    path = tmp_path / "checkpoint.pt"
    first.save_checkpoint(path)
    before = first.memory_stats
    resumed = train(
        _config(
            memory="per+dedup",
            capacity=2_000,
            env_id="a3cmem/GridWorld-v0",
            total_steps=first.global_step + 500,
            resume_from=str(path),
        )
    )
    after = resumed.memory_stats
    assert after["segments_received"] > 0
    # nothing overwritten yet (capacity 2,000): the old items are all still there
    assert after["buffer_size"] == before["buffer_size"] + after["segments_stored"]
    # the dedup keys came back too: the deterministic gridworld repeats old segments
    assert after["duplicates"] > 0


def test_plain_a3c_checkpoints_hold_no_buffer(tmp_path) -> None:
    result = train(_config())
    assert result.memory_state is None
    result.save_checkpoint(tmp_path / "c.pt")
    assert load_checkpoint(tmp_path / "c.pt").memory_state is None


def test_periodic_checkpoints_are_written_and_reported(tmp_path) -> None:
    path = tmp_path / "run" / "checkpoint.pt"
    seen: list[int] = []
    result = train(
        _config(total_steps=3_000, checkpoint_every=1_000, checkpoint_path=str(path)),
        on_checkpoint=lambda partial: seen.append(partial.global_step),
    )
    assert len(seen) >= 3 and seen == sorted(seen)
    assert all(step >= 1_000 for step in seen)
    assert seen[-1] == result.global_step, "the last checkpoint is the end of the run"
    assert load_checkpoint(path).global_step == result.global_step
    assert not list(path.parent.glob("*.tmp")), "no temporary file is left behind"


def test_checkpoint_every_must_be_positive() -> None:
    with pytest.raises(ValueError, match="checkpoint_every"):
        TrainConfig(checkpoint_every=0)
    with pytest.raises(TypeError, match="checkpoint_every"):
        TrainConfig(checkpoint_every=10.0)


@pytest.mark.parametrize(
    ("env_id", "match"),
    [
        ("NoSuchEnv-v9", "NoSuchEnv"),
        ("nosuchns/Env-v0", "nosuchns"),
        ("Pendulum-v1", "Discrete"),
    ],
)
def test_an_unusable_environment_is_a_setup_error(env_id, match, no_leftovers) -> None:
    with pytest.raises(SetupError, match=match) as error:
        train(_config(env_id=env_id))
    assert "env_id" in str(error.value)
    assert isinstance(error.value, ValueError)


def test_resume_from_a_missing_or_broken_file_is_a_setup_error(tmp_path, no_leftovers) -> None:
    with pytest.raises(SetupError, match="resume_from.*no checkpoint"):
        train(_config(resume_from=str(tmp_path / "missing.pt")))
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"this is not a checkpoint")
    with pytest.raises(SetupError, match="resume_from.*not a readable"):
        train(_config(resume_from=str(garbage)))
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(SetupError, match="resume_from"):
        train(_config(resume_from=str(empty)))
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(SetupError, match="resume_from.*not an a3cmem checkpoint"):
        train(_config(resume_from=str(other)))


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"env_id": "Acrobot-v1"}, "env_id 'Acrobot-v1'"),
        ({"hidden_sizes": (64,)}, "hidden_sizes"),
        ({"activation": "relu"}, "activation"),
        ({"optimizer": "rmsprop"}, "optimizer"),
    ],
)
def test_a_mismatched_checkpoint_is_a_setup_error(tmp_path, overrides, match) -> None:
    path = tmp_path / "cartpole.pt"
    train(_config(total_steps=200)).save_checkpoint(path)
    with pytest.raises(SetupError, match=f"resume_from.*{match}"):
        train(_config(resume_from=str(path), **overrides))


def test_a_memory_checkpoint_resumed_with_another_buffer_is_a_setup_error(tmp_path) -> None:
    path = tmp_path / "fifo.pt"
    train(_config(total_steps=500, memory="fifo", capacity=100)).save_checkpoint(path)
    with pytest.raises(SetupError, match="capacity 200"):
        train(_config(memory="fifo", capacity=200, resume_from=str(path)))
    with pytest.raises(SetupError, match="memory 'per'"):
        train(_config(memory="per", capacity=100, resume_from=str(path)))
    # plain A3C needs no buffer: resuming a memory run without one is allowed
    assert train(_config(total_steps=1_000, resume_from=str(path))).global_step >= 1_000
