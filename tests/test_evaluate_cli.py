"""``python -m a3cmem_lib evaluate``: a saved agent scored and recorded; ``evaluate(...,
record=...)`` from Python draws CartPole, the grid worlds and MinAtar; bad input is one
line naming the flag."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import pytest
from gymnasium.envs.classic_control.cartpole import CartPoleEnv
from PIL import Image

from a3cmem_lib.cli import main
from a3cmem_lib.training import TrainConfig, evaluate, load_checkpoint


@pytest.fixture(scope="module")
def cartpole_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cartpole")
    argv = ["train", "--steps", "3000", "--workers", "1", "--no-progress", "--out", str(out)]
    assert main(argv) == 0
    return out


def frames_of(path: Path) -> int:
    with Image.open(path) as image:
        assert image.format == "GIF"
        return image.n_frames


def test_evaluate_prints_writes_json_and_records(cartpole_run: Path, tmp_path: Path, capsys):
    pytest.importorskip("pygame")
    video, scores = tmp_path / "agent.gif", tmp_path / "scores.json"
    argv = ["evaluate", "--checkpoint", str(cartpole_run / "checkpoint.pt"), "--episodes", "3"]
    assert main([*argv, "--seed", "5", "--video", str(video), "--json", str(scores)]) == 0
    printed = capsys.readouterr().out
    report = json.loads(scores.read_text())
    model = load_checkpoint(cartpole_run / "checkpoint.pt").build_model()
    expected = evaluate(model, "CartPole-v1", 3, seed=5, policies=("greedy",))
    assert report["mean_return"] == pytest.approx(expected["greedy_mean"])
    assert report["std_return"] == pytest.approx(expected["greedy_std"])
    assert report["policy"] == "greedy" and report["episodes"] == 3
    assert f"return {report['mean_return']:.2f} ± {report['std_return']:.2f}" in printed
    assert frames_of(video) > 1  # the pole moves at every step


def test_the_default_json_goes_beside_the_checkpoint(cartpole_run: Path) -> None:
    argv = ["evaluate", "--checkpoint", str(cartpole_run / "checkpoint.pt"), "--sampled"]
    assert main([*argv, "--episodes", "2"]) == 0
    report = json.loads((cartpole_run / "evaluation.json").read_text())
    assert report["policy"] == "sampled"


@pytest.mark.parametrize(
    "env_id", ["a3cmem/GridWorld-v0", "a3cmem/KeyDoor-v0", "CartPole-v1", "MinAtar/Breakout-v1"]
)
def test_every_kind_of_environment_records_a_small_gif(env_id: str, tmp_path: Path) -> None:
    if env_id.startswith("MinAtar/"):
        pytest.importorskip("minatar")
    if env_id == "CartPole-v1":
        pytest.importorskip("pygame")
    env = gym.make(env_id)
    from a3cmem_lib.envs import space_shapes

    model = TrainConfig().build_model(*space_shapes(env))
    env.close()
    video = tmp_path / "episode.gif"
    evaluate(model, env_id, 1, seed=0, policies=("greedy",), record=video)
    assert frames_of(video) >= 1  # a GIF merges identical frames (an agent facing a wall)
    assert video.stat().st_size < 1024**2


class _Undrawable(CartPoleEnv):
    metadata = {"render_modes": [], "render_fps": 50}


def _bad_inputs(run: Path, folder: Path) -> dict[str, tuple[list[str], str, str]]:
    """name -> (argv, the flag its error names, what the error says)."""
    folder.mkdir()
    garbage = folder / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    checkpoint = str(run / "checkpoint.pt")
    if "TestUndrawable-v0" not in gym.registry:
        gym.register("TestUndrawable-v0", entry_point=_Undrawable, max_episode_steps=50)
    return {
        "missing": (["--checkpoint", str(folder / "none.pt")], "--checkpoint", "no checkpoint"),
        "garbage": (["--checkpoint", str(garbage)], "--checkpoint", "not a readable"),
        "other env": (
            ["--checkpoint", checkpoint, "--env", "Acrobot-v1"],
            "--checkpoint",
            "trained for observations (4,)",
        ),
        "suffix": (["--checkpoint", checkpoint, "--video", "a.avi"], "--video", "['.gif', '.mp4']"),
        "undrawable": (
            ["--checkpoint", checkpoint, "--env", "TestUndrawable-v0", "--video", "a.gif"],
            "--video",
            "cannot be drawn",
        ),
        "episodes": (["--checkpoint", checkpoint, "--episodes", "0"], "--episodes", ">= 1"),
    }


@pytest.mark.parametrize(
    "case", ["missing", "garbage", "other env", "suffix", "undrawable", "episodes"]
)
def test_bad_input_is_one_line_naming_the_flag(cartpole_run, tmp_path, capsys, case) -> None:
    argv, flag, says = _bad_inputs(cartpole_run, tmp_path / "inputs")[case]
    assert main(["evaluate", *argv]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"a3cmem evaluate: error: argument {flag}: "), error
    assert "\n" not in error and says in error
