"""train() with the memory layer: every step reaches the learner exactly once, duplicates are
counted, clean shutdown under spawn and fork, each memory variant learns, config and CLI."""

from __future__ import annotations

import pytest

from a3cmem_lib.cli import main
from a3cmem_lib.training import TrainConfig, WorkerError, train
from a3cmem_lib.training.memory_layer import MemoryLayer

GRID = "a3cmem/GridWorld-v0"


def config(**overrides) -> TrainConfig:
    values = {"progress": False, "num_workers": 2, "total_steps": 4_000, "seed": 0}
    return TrainConfig(**{**values, **overrides})


@pytest.mark.parametrize("start_method", ["spawn", "fork"])
def test_every_step_reaches_the_memory_exactly_once(start_method, no_leftovers) -> None:
    result = train(config(env_id=GRID, memory="per+dedup", start_method=start_method))
    stats = result.memory_stats
    assert stats is not None
    # N workers x their rollouts: each environment step sits in exactly one segment
    assert stats["steps_received"] == result.steps_this_run
    assert stats["segments_received"] == stats["segments_stored"] + stats["duplicates"]
    assert stats["duplicates"] > 0  # the deterministic grid repeats itself
    assert stats["buffer_size"] == min(stats["segments_stored"], 5_000)
    assert stats["learner_updates"] > 0
    assert stats["segments_sampled"] >= 4.0 * stats["segments_received"] - 32


def test_a_memory_run_without_dedup_stores_everything(no_leftovers) -> None:
    stats = train(config(memory="fifo", num_workers=1)).memory_stats
    assert stats["duplicates"] == 0 and stats["duplicate_rate"] == 0.0
    assert stats["segments_stored"] == stats["segments_received"] > 0


def test_lost_segments_are_detected() -> None:
    layer = MemoryLayer(config(memory="fifo"), *_model_and_optimizer())
    layer.finish(0, 0)
    with pytest.raises(RuntimeError, match="lost or duplicated"):
        layer.finish(1, 3)


def _model_and_optimizer():
    from a3cmem_lib.agent.model import ActorCritic
    from a3cmem_lib.agent.shared_adam import SharedAdam

    model = ActorCritic(4, 2)
    return model, SharedAdam(model.parameters(), lr=1e-3)


def test_worker_crash_with_a_memory_layer_surfaces(no_leftovers) -> None:
    with pytest.raises(WorkerError, match="deliberate failure"):
        train(config(env_id="a3c_test_envs:CrashOnStep-v0", memory="per", num_workers=2))


@pytest.mark.parametrize(
    "overrides",
    [{"memory": "per", "hybrid": True}, {"memory": "fifo", "off_policy_correction": False}],
    ids=["hybrid", "no-correction"],
)
def test_hybrid_and_uncorrected_modes_run(overrides, no_leftovers) -> None:
    result = train(config(**overrides))
    assert result.memory_stats["learner_updates"] > 0


@pytest.mark.parametrize("memory", ["fifo", "per", "per+dedup"])
def test_each_memory_variant_learns_cartpole(memory) -> None:
    """A random policy scores ~22 on CartPole-v1; 80k seeded steps reach several times that."""
    result = train(config(memory=memory, total_steps=80_000))
    best = result.episodes["return"].rolling(20).mean().max()
    assert best > 75, f"{memory}: best 20-episode mean return {best:.1f}"


@pytest.mark.parametrize(
    "field, value, error",
    [
        ("memory", "lru", ValueError),
        ("capacity", 0, ValueError),
        ("alpha", 1.5, ValueError),
        ("beta", -0.1, ValueError),
        ("batch_size", 0, ValueError),
        ("replay_ratio", 0.0, ValueError),
        ("rho_bar", 0.0, ValueError),
        ("dedup_key", "bytes", ValueError),
        ("dedup_decimals", 1.5, TypeError),
        ("hybrid", "yes", TypeError),
    ],
)
def test_invalid_memory_fields_are_named(field, value, error) -> None:
    with pytest.raises(error, match=field):
        TrainConfig(**{"memory": "per", field: value})


def test_hybrid_needs_a_memory_and_batches_fit_the_buffer() -> None:
    with pytest.raises(ValueError, match="hybrid"):
        TrainConfig(hybrid=True)
    with pytest.raises(ValueError, match="batch_size"):
        TrainConfig(memory="fifo", capacity=8, batch_size=16)


def test_cli_trains_with_a_memory_layer(tmp_path, capsys) -> None:
    code = main(
        [
            "train",
            "--env", GRID,
            "--memory", "per+dedup",
            "--steps", "3000",
            "--capacity", "500",
            "--alpha", "0.5",
            "--beta", "0.5",
            "--dedup-key", "state-action",
            "--no-progress",
            "--out", str(tmp_path),
        ]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "memory layer: segments_received" in printed and "duplicates" in printed
    assert (tmp_path / "episodes.csv").exists() and (tmp_path / "checkpoint.pt").exists()


def test_cli_rejects_a_bad_memory_option(capsys) -> None:
    assert main(["train", "--memory", "fifo", "--capacity", "0", "--no-progress"]) == 2
    assert "capacity" in capsys.readouterr().err
