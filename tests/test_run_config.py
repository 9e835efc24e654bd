"""A run's ``config.json``: written with the run's files, holding every ``TrainConfig``
field and what produced it; ``train --config FILE`` repeats the run (flags override the
file); a bad file is one line naming ``--config``."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pandas as pd
import pytest

import a3cmem_lib
from a3cmem_lib.cli import main
from a3cmem_lib.cli.run_config import SCHEMA
from a3cmem_lib.training import TrainConfig

ONE_WORKER = ["--workers", "1", "--steps", "1500", "--seed", "3", "--no-progress"]
"""With one worker a seeded run is bit-reproducible."""


def test_a_run_writes_its_config_and_repeats_from_it(tmp_path: Path, capsys) -> None:
    first, again, changed = tmp_path / "first", tmp_path / "again", tmp_path / "changed"
    assert main(["train", *ONE_WORKER, "--lr", "0.004", "--out", str(first)]) == 0
    description = json.loads((first / "config.json").read_text())
    assert description["schema"] == SCHEMA
    assert description["a3cmem"] == a3cmem_lib.__version__
    assert {"torch", "numpy", "gymnasium"} <= set(description["packages"])
    assert set(description["config"]) == {field.name for field in fields(TrainConfig)}
    assert description["config"]["learning_rate"] == 0.004
    assert description["config"]["num_workers"] == 1
    assert "config.json" in capsys.readouterr().out

    assert main(["train", "--config", str(first / "config.json"), "--out", str(again)]) == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(first / "episodes.csv").drop(columns="wall_time"),
        pd.read_csv(again / "episodes.csv").drop(columns="wall_time"),
    )
    repeated = json.loads((again / "config.json").read_text())["config"]
    assert {k: v for k, v in repeated.items() if k != "checkpoint_path"} == {
        k: v for k, v in description["config"].items() if k != "checkpoint_path"
    }

    argv = ["train", "--config", str(first / "config.json"), "--steps", "1000"]
    assert main([*argv, "--out", str(changed)]) == 0
    overridden = json.loads((changed / "config.json").read_text())["config"]
    assert overridden["total_steps"] == 1000 and overridden["learning_rate"] == 0.004


def _bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (a bad --config file, what its one-line error must say)."""
    folder.mkdir()
    garbage, other, unknown = folder / "garbage", folder / "other.json", folder / "unknown.json"
    garbage.write_bytes(b"\x00\x01 not json")
    other.write_text(json.dumps({"schema": "someone-else/3", "config": {}}))
    unknown.write_text(json.dumps({"schema": SCHEMA, "config": {"learning_rat": 0.1}}))
    return {
        "missing": (folder / "nowhere.json", "cannot read"),
        "garbage": (garbage, "is not JSON"),
        "other schema": (other, "is not a run's config.json (schema 'someone-else/3'"),
        "unknown field": (unknown, "fields TrainConfig does not know: ['learning_rat']"),
    }


@pytest.mark.parametrize("case", ["missing", "garbage", "other schema", "unknown field"])
def test_a_bad_config_file_is_one_line_naming_config(tmp_path: Path, capsys, case: str) -> None:
    path, says = _bad_files(tmp_path / "files")[case]
    out = tmp_path / "out"
    assert main(["train", "--config", str(path), "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("a3cmem train: error: argument --config: ") and "\n" not in error
    assert says in error
    assert not out.exists()
