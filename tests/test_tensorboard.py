"""TensorBoard scalars (``TrainConfig.tensorboard_dir``, ``--tensorboard DIR``): written by
the training process under CleanRL's names and the memory layer's, read back here with
TensorBoard's own reader; a missing TensorBoard or a folder that is a file is one line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from a3cmem_lib.cli import main
from a3cmem_lib.training import SetupError, TrainConfig, train
from a3cmem_lib.training.scalars import INSTALL_HINT

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator,
)

CHARTS = {"charts/episodic_return", "charts/episodic_length", "charts/SPS", "charts/learning_rate"}
LOSSES = {"losses/policy_loss", "losses/value_loss", "losses/entropy"}
MEMORY = {
    "memory/replay_ratio",
    "memory/mean_rho",
    "memory/clipped_fraction",
    "memory/policy_lag",
    "memory/buffer_size",
}


def scalars_in(folder: Path) -> dict[str, list]:
    events = EventAccumulator(str(folder))
    events.Reload()
    return {tag: events.Scalars(tag) for tag in events.Tags()["scalars"]}


@pytest.mark.parametrize("memory", ["none", "fifo"])
def test_a_run_writes_cleanrl_scalars_and_the_memory_layers(tmp_path: Path, memory: str) -> None:
    folder = tmp_path / "tb"
    config = TrainConfig(
        total_steps=4000, memory=memory, tensorboard_dir=str(folder), progress=False
    )
    result = train(config)
    scalars = scalars_in(folder)
    expected = CHARTS | LOSSES | (MEMORY if memory != "none" else set())
    assert expected <= set(scalars), sorted(expected - set(scalars))
    returns = [event.value for event in scalars["charts/episodic_return"]]
    assert returns == pytest.approx(result.episodes["return"].tolist())
    steps = [event.step for event in scalars["charts/episodic_return"]]
    assert steps == result.episodes["global_step"].tolist()
    assert all(event.value > 0 for event in scalars["charts/SPS"])
    assert scalars["charts/learning_rate"][-1].step == result.global_step
    if memory != "none":
        assert scalars["memory/buffer_size"][-1].value == result.memory_stats["buffer_size"]


def test_the_command_line_flag_writes_there(tmp_path: Path) -> None:
    folder = tmp_path / "tb"
    argv = ["train", "--steps", "2000", "--no-progress", "--out", str(tmp_path / "run")]
    assert main([*argv, "--tensorboard", str(folder)]) == 0
    assert "charts/episodic_return" in scalars_in(folder)


def test_a_folder_that_is_a_file_is_one_line_naming_the_flag(tmp_path: Path, capsys) -> None:
    path = tmp_path / "a_file"
    path.write_text("")
    out = tmp_path / "run"
    assert main(["train", "--steps", "1000", "--tensorboard", str(path), "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("a3cmem train: error: argument --tensorboard: ") and "\n" not in error
    assert "is a file" in error
    assert not out.exists()


def test_missing_tensorboard_is_one_line_saying_how_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import now fails
    with pytest.raises(SetupError, match="pip install"):
        train(TrainConfig(total_steps=100, tensorboard_dir=str(tmp_path / "tb"), progress=False))
    out = tmp_path / "run"
    argv = ["train", "--steps", "100", "--tensorboard", str(tmp_path / "tb"), "--out", str(out)]
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert error == f"a3cmem train: error: argument --tensorboard: {INSTALL_HINT}"
