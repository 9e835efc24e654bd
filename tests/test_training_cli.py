"""The command line: ``python -m a3cmem_lib train ...`` and its output files."""

import shlex
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pandas as pd
import pytest

from a3cmem_lib.cli import build_parser, main
from a3cmem_lib.cli.config_flags import flag_of
from a3cmem_lib.cli.train_command import resume_command
from a3cmem_lib.training import TrainConfig, load_checkpoint


def test_every_config_field_has_a_flag():
    args = build_parser().parse_args(["train"])
    # Deliberately no --checkpoint-path: the CLI's checkpoint is always <--out>/checkpoint.pt,
    # next to the CSV and the plot it rewrites with every periodic checkpoint.
    config_fields = {field.name for field in fields(TrainConfig)} - {"checkpoint_path"}
    assert config_fields <= set(vars(args))
    values = {name: getattr(args, name) for name in config_fields}
    values["hidden_sizes"] = tuple(values["hidden_sizes"])
    assert TrainConfig(**values) == TrainConfig()
    assert (
        build_parser().parse_args(["train", flag_of("checkpoint_every"), "500"]).checkpoint_every
        == 500
    )


def test_resume_command_repeats_every_flag_that_differs_from_its_default():
    argv = "train --env Acrobot-v1 --workers 3 --steps 1234 --seed 7 --lr 0.01 --no-anneal-lr"
    argv += " --hidden-sizes 32 16 --start-method spawn --no-progress --memory per+dedup"
    argv += " --checkpoint-every 100 --dedup-decimals 2 --hybrid --resume-from old.pt"
    args = build_parser().parse_args([*argv.split(), "--stop-return", "-80.5"])
    command = resume_command(args, Path("runs/my run"), Path("runs/my run/checkpoint.pt"))
    words = shlex.split(command)
    assert words[:4] == ["python", "-m", "a3cmem_lib", "train"]
    assert words[4:10] == ["--env", "Acrobot-v1", "--steps", "1234", "--out", "runs/my run"]
    resumed = build_parser().parse_args(words[3:])
    assert resumed.resume_from == "runs/my run/checkpoint.pt"
    assert resumed.out == Path("runs/my run")
    expected = {
        **vars(args),
        "resume_from": "runs/my run/checkpoint.pt",
        "out": Path("runs/my run"),
    }
    assert vars(resumed) == expected
    defaults = resume_command(build_parser().parse_args(["train"]), Path("o"), Path("o/c.pt"))
    assert shlex.split(defaults)[4:] == [
        "--env", "CartPole-v1", "--steps", "500000", "--out", "o", "--resume-from", "o/c.pt"
    ]  # fmt: skip


def test_flags_map_to_config_fields():
    argv = "train --env Acrobot-v1 --workers 3 --steps 1234 --seed 7 --t-max 5 --lr 0.01"
    argv += " --no-anneal-lr --hidden-sizes 32 16 --start-method spawn --no-progress"
    args = build_parser().parse_args([*argv.split(), "--stop-return", "-80"])
    assert (args.env_id, args.num_workers, args.total_steps, args.seed) == (
        "Acrobot-v1",
        3,
        1234,
        7,
    )
    assert (args.t_max, args.learning_rate, args.anneal_lr) == (5, 0.01, False)
    assert (args.hidden_sizes, args.start_method, args.progress) == ([32, 16], "spawn", False)
    assert args.stop_return == -80.0


def test_train_writes_csv_plot_and_checkpoint_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--env", "CartPole-v1", "--workers", "1", "--steps", "3000", "--seed", "0"]
    assert main([*argv, "--out", str(out), "--no-progress"]) == 0
    episodes = pd.read_csv(out / "episodes.csv")
    columns = ["episode", "global_step", "wall_time", "return", "length", "worker"]
    assert list(episodes.columns) == columns
    assert len(episodes) > 0 and episodes["global_step"].is_monotonic_increasing
    assert (out / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    checkpoint = load_checkpoint(out / "checkpoint.pt")
    assert checkpoint.global_step >= 3000
    assert "steps/s" in capsys.readouterr().out

    resumed = tmp_path / "resumed"
    resume_argv = [*argv[:6], "6000", "--out", str(resumed), "--no-progress"]
    assert main([*resume_argv, "--resume-from", str(out / "checkpoint.pt")]) == 0
    assert load_checkpoint(resumed / "checkpoint.pt").global_step >= 6000


def test_invalid_value_exits_with_code_2_naming_the_field(tmp_path, capsys):
    assert main(["train", "--workers", "0", "--out", str(tmp_path)]) == 2
    assert "num_workers" in capsys.readouterr().err


def test_a_subcommand_is_required():
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2


def test_python_dash_m_entry_point():
    completed = subprocess.run(
        [sys.executable, "-m", "a3cmem_lib", "train", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for flag in ("--env", "--workers", "--steps", "--seed", "--out", "--resume-from"):
        assert flag in completed.stdout
