"""Every environment of the article's regimes trains from the command line, with and without a
memory layer (short runs: this checks the plumbing, bench/bench_regimes.py measures learning)."""

from __future__ import annotations

import pandas as pd
import pytest

from a3cmem_lib.cli import main
from a3cmem_lib.training import load_checkpoint

REGIME_ENVS = [
    "MountainCar-v0",
    "Acrobot-v1",
    "a3cmem/KeyDoor-v0",
    "MinAtar/Breakout-v1",
    "MinAtar/Freeway-v1",
]


@pytest.mark.parametrize("memory", ["none", "per+dedup"])
@pytest.mark.parametrize("env_id", REGIME_ENVS)
def test_each_regime_environment_trains_from_the_cli(env_id, memory, tmp_path, capsys) -> None:
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "--env",
            env_id,
            "--steps",
            "400",
            "--workers",
            "2",
            "--memory",
            memory,
            "--batch-size",
            "4",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0, capsys.readouterr().err
    checkpoint = load_checkpoint(out / "checkpoint.pt")
    assert checkpoint.global_step >= 400 and checkpoint.config.env_id == env_id
    assert (checkpoint.memory_state is None) == (memory == "none")
    episodes = pd.read_csv(out / "episodes.csv")
    assert list(episodes.columns)[:2] == ["episode", "global_step"]
