"""ACER in the memory layer: the learner's update on replayed segments, training runs with
``learner="acer"``, its configuration and its command-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from a3cmem_lib.agent import build_actor_critic
from a3cmem_lib.agent.acting import NumpyPolicy
from a3cmem_lib.agent.shared_adam import SharedAdam
from a3cmem_lib.cli import main
from a3cmem_lib.envs import make_env
from a3cmem_lib.training import TrainConfig, train
from a3cmem_lib.training.acer import AcerLearner
from a3cmem_lib.training.rollout import RolloutCollector, rollout_segments
from a3cmem_lib.training.segments import Segment, random_policy_segments


def stacked(segments: list[Segment]) -> Segment:
    return Segment(*(np.stack(field) for field in zip(*segments, strict=True)))


def acer_setup(
    trust_region: bool = True,
) -> tuple[TrainConfig, torch.nn.Module, torch.nn.Module | None, AcerLearner]:
    config = TrainConfig(learner="acer", trust_region=trust_region, progress=False)
    torch.manual_seed(0)
    model = config.build_model((4,), 2)
    average = config.build_model((4,), 2) if trust_region else None
    if average is not None:
        average.load_state_dict(model.state_dict())
    learner = AcerLearner(config, model, SharedAdam(model.parameters(), lr=1e-3), average)
    return config, model, average, learner


def test_an_update_on_replayed_segments_changes_the_model_and_its_average() -> None:
    _, model, average, learner = acer_setup()
    batch = stacked(random_policy_segments("CartPole-v1", 8, 5, seed=0))
    before = [p.detach().clone() for p in model.parameters()]
    update = learner.update(batch, np.linspace(0.5, 1.0, 8))
    assert np.isfinite([update.loss, update.policy_loss, update.value_loss, update.entropy]).all()
    assert update.priorities.shape == (8,) and (update.priorities >= 0).all()
    # a uniform behaviour policy and a near-uniform initial π: ratios near 1
    assert 0.9 < update.mean_rho < 1.1 and update.clipped_fraction == 0.0
    moved = [not torch.equal(b, p) for b, p in zip(before, model.parameters(), strict=True)]
    assert all(moved)
    for mean, old, new in zip(average.parameters(), before, model.parameters(), strict=True):
        torch.testing.assert_close(mean, 0.99 * old + 0.01 * new.detach())


def test_segments_acted_by_the_current_policy_have_ratios_of_one() -> None:
    config, model, _, learner = acer_setup(trust_region=False)
    env = make_env("CartPole-v1")
    collector = RolloutCollector(
        env, NumpyPolicy(model), config.t_max, seed=0, record_log_probs=True
    )
    segments = []
    for _ in range(4):
        rollout = collector.collect()
        with torch.no_grad():
            values = model(torch.from_numpy(rollout.obs))[1].numpy()
        segments += [s for s, _ in rollout_segments(rollout, values, config.gamma)]
    env.close()
    update = learner.update(stacked(segments))
    assert update.mean_rho == pytest.approx(1.0, abs=1e-5)
    probs = np.concatenate([s.behaviour_probs[s.valid] for s in segments]).astype(np.float32)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=2e-3)


def test_segments_without_the_behaviour_distribution_are_refused() -> None:
    _, _, _, learner = acer_setup()
    batch = stacked(random_policy_segments("CartPole-v1", 4, 5, seed=0))
    batch = batch._replace(behaviour_probs=np.zeros((4, 5, 0), dtype=np.float16))
    with pytest.raises(ValueError, match="behaviour distribution"):
        learner.update(batch)


def test_the_acer_learner_needs_a_q_head() -> None:
    model = build_actor_critic((4,), 2)
    config = TrainConfig(learner="acer", progress=False)
    with pytest.raises(ValueError, match="Q head"):
        AcerLearner(config, model, SharedAdam(model.parameters()), None)


def test_learner_acer_alone_is_a_complete_configuration() -> None:
    config = TrainConfig(learner="acer")
    assert config.memory == "fifo" and config.workers_learn
    assert (config.capacity, config.batch_size, config.learning_rate) == (500, 4, 5e-3)
    assert TrainConfig(learner="acer", capacity=64, learning_rate=1e-3).capacity == 64
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert TrainConfig().memory == "none" and TrainConfig().learner == "vtrace"
    assert config.build_model((4,), 2).has_q_head


def test_for_learner_changes_only_the_fields_left_to_the_learner() -> None:
    """A field given explicitly keeps its value under another learner, even when it equals
    the old learner's default; a field left to the learner takes the new one's default."""
    given = TrainConfig(learning_rate=3e-3, memory="per").for_learner("acer")
    assert (given.learning_rate, given.memory) == (3e-3, "per")
    assert (given.capacity, given.batch_size) == (500, 4)
    assert TrainConfig().for_learner("acer") == TrainConfig(learner="acer")
    assert TrainConfig(learner="acer").for_learner("vtrace") == TrainConfig()
    copied = TrainConfig.from_dict(TrainConfig().to_dict())
    with pytest.raises(ValueError, match="needs a replay memory"):
        copied.for_learner("acer")  # its memory="none" now counts as given
    with pytest.raises(ValueError, match="learner"):
        TrainConfig().for_learner("ppo")


def short(**overrides) -> TrainConfig:
    values = {"progress": False, "num_workers": 2, "total_steps": 3_000, "learner": "acer"}
    return TrainConfig(**{**values, **overrides})


@pytest.mark.parametrize(
    "overrides",
    [
        {"start_method": "spawn"},
        {"start_method": "fork", "trust_region": False, "memory": "per"},
        {"replay_ratio": 0.0},
        {"env_id": "MinAtar/Breakout-v1", "t_max": 5, "batch_size": 8, "num_workers": 1},
    ],
)
def test_acer_runs_end_to_end(overrides, no_leftovers) -> None:
    result = train(short(**overrides))
    stats = result.memory_stats
    assert stats["steps_received"] == result.steps_this_run
    if result.config.replay_ratio > 0:
        assert stats["learner_updates"] > 0
    else:
        assert stats["learner_updates"] == 0 and result.updates > 0
    assert result.model.has_q_head


def test_acer_learns_cartpole(no_leftovers) -> None:
    result = train(short(total_steps=40_000, seed=3))
    returns = result.episodes["return"]
    assert returns.tail(20).mean() > 3 * returns.head(20).mean()


def test_acer_is_a_study_variant(tmp_path, no_leftovers) -> None:
    argv = ["study", "--env", "CartPole-v1", "--variants", "none", "acer", "--seeds", "1"]
    assert (
        main([*argv, "--budget", "CartPole-v1=1000", "--out", str(tmp_path), "--no-progress"]) == 0
    )
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert sorted(runs["variant"]) == ["acer", "none"]
    assert runs.set_index("variant").loc["acer", "memory"] == "fifo"


def test_a_checkpoint_resumes_with_acer_and_refuses_another_learner(tmp_path: Path) -> None:
    first = train(short(checkpoint_every=1_000, checkpoint_path=str(tmp_path / "c.pt")))
    resumed = train(short(total_steps=5_000, resume_from=str(tmp_path / "c.pt")))
    assert resumed.global_step > first.global_step and resumed.model.has_q_head
    with pytest.raises(Exception, match="learner 'vtrace' \\(the checkpoint has 'acer'\\)"):
        train(short(learner="vtrace", memory="fifo", resume_from=str(tmp_path / "c.pt")))


def run_train(*argv: str, out: Path) -> int:
    """The exit code of ``a3cmem train ARGV``, also when argparse itself exits."""
    try:
        return main(["train", "--steps", "200", "--no-progress", "--out", str(out), *argv])
    except SystemExit as stop:
        return int(stop.code)


@pytest.mark.parametrize(
    ("flags", "flag", "words"),
    [
        (["--learner", "dqn"], "--learner", "invalid choice"),
        (["--learner", "acer", "--memory", "none"], "--learner", "needs a replay memory"),
        (["--learner", "acer", "--acer-truncation", "0"], "--acer-truncation", "must be > 0"),
        (["--learner", "acer", "--trust-region-delta", "-1"], "--trust-region-delta", "> 0"),
        (["--learner", "acer", "--average-decay", "1"], "--average-decay", "(0, 1)"),
        (["--learner", "acer", "--average-decay", "0"], "--average-decay", "(0, 1)"),
        (["--learner", "acer", "--backend", "ray"], "--learner", "backend='local' only"),
    ],
)
def test_bad_acer_input_is_one_line_naming_the_flag(tmp_path, capsys, flags, flag, words) -> None:
    assert run_train(*flags, out=tmp_path / "run") == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    assert lines[0].startswith(f"a3cmem train: error: argument {flag}: "), lines[0]
    assert words in lines[0] and captured.out == ""


def test_the_readers_command_solves_cartpole_on_an_untuned_seed(tmp_path, capsys, no_leftovers):
    """``train --learner acer --stop-return 475`` (ACER's defaults were chosen on seeds
    100-104) stops on solving: the last 100 episodes average at least 475."""
    argv = ["--learner", "acer", "--stop-return", "475", "--seed", "7"]
    assert (
        main(
            [
                "train",
                "--env",
                "CartPole-v1",
                "--steps",
                "500000",
                "--no-progress",
                "--out",
                str(tmp_path),
                *argv,
            ]
        )
        == 0
    )
    episodes = pd.read_csv(tmp_path / "episodes.csv")
    assert len(episodes) >= 100 and episodes["return"].tail(100).mean() >= 475
    assert json.loads((tmp_path / "config.json").read_text())["config"]["learner"] == "acer"


def test_help_states_the_defaults_that_depend_on_the_learner(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "learning rate (default: 0.003; 0.005 with --learner acer)" in text
    assert "segments the buffer holds (default: 5000; 500 with --learner acer)" in text
    assert "segments per learner update (default: 32; 4 with --learner acer)" in text
    assert "(default: None)" not in text


def test_a_checkpoint_without_a_q_head_resumed_with_acer_is_one_line(
    tmp_path, capsys, no_leftovers
) -> None:
    assert run_train("--workers", "1", out=tmp_path / "plain") == 0
    capsys.readouterr()
    checkpoint = tmp_path / "plain" / "checkpoint.pt"
    assert run_train("--learner", "acer", "--resume-from", str(checkpoint), out=tmp_path / "b") == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and line.startswith("a3cmem train: error: argument --resume-from: ")
    assert "learner 'acer' (the checkpoint has 'vtrace')" in line
