"""The axes of the regime study (chapter 07): their runs, labels and files, with tiny budgets
and with the fake trainer of the stability-study tests."""

from __future__ import annotations

import pandas as pd
import pytest
from study_fakes import CountingTrainer

from a3cmem_lib.experiments import axes
from a3cmem_lib.experiments.axes import AXES, run_axis
from a3cmem_lib.training import TrainConfig


@pytest.mark.parametrize("name", list(AXES))
def test_every_axis_names_its_setting_in_every_row(name: str, tmp_path, monkeypatch) -> None:
    axis = AXES[name]
    trainer = CountingTrainer()
    runs = run_axis(name, tmp_path, seeds=2, progress=False, trainer=trainer)
    values = len(axis.values) if axis.setting else 1
    assert len(runs) == len(trainer.calls) == len(axis.envs) * values * len(axis.variants) * 2
    for column in axis.columns:
        assert column in runs.columns
    if axis.setting:
        swept = [getattr(config, axis.setting) for config in trainer.calls]
        assert sorted(set(swept)) == sorted(axis.values)
        assert sorted(runs[axis.setting].unique()) == sorted(axis.values)
    assert {c.seed for c in trainer.calls} == {0, 1}
    assert all(c.total_steps == axes.BUDGETS[c.env_id] for c in trainer.calls)
    episodes = pd.read_csv(tmp_path / axes.EPISODES_FILE)
    assert set(axis.columns) <= set(episodes.columns)
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert len(summary) == len(runs) // 2
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert "steps_to_threshold.png" in pngs and len(pngs) >= 3
    assert ("policy_lag.png" in pngs) == axis.staleness
    again = CountingTrainer()
    run_axis(name, tmp_path, seeds=2, progress=False, trainer=again)
    assert again.calls == []  # resumable: nothing left to run
    more = CountingTrainer()
    run_axis(name, tmp_path, seeds=3, progress=False, trainer=more)
    assert {c.seed for c in more.calls} == {2}  # a third seed adds only its runs


def test_axes_use_train_config_defaults_besides_their_setting() -> None:
    defaults = TrainConfig()
    for job in AXES["learning-rate"].jobs(seeds=1):
        assert job.config.num_workers == defaults.num_workers
        assert job.config.learning_rate == job.labels["learning_rate"]
    mixture = [j for j in AXES["regime"].jobs(seeds=1) if j.labels["variant"] == "mixture"]
    assert {(j.config.memory, j.config.fresh_fraction) for j in mixture} == {("fifo", 0.25)}


def test_bad_axis_input() -> None:
    with pytest.raises(ValueError, match="axis must be one of"):
        run_axis("gravity", "unused")
    with pytest.raises(ValueError, match="seeds must be an int >= 1"):
        AXES["regime"].jobs(seeds=0)


def test_an_axis_declares_its_analyses_and_they_fit_its_setting() -> None:
    declared = {name: (a.staleness, a.rates_that_solve) for name, a in AXES.items()}
    assert declared["asynchrony"] == (True, False)
    assert declared["learning-rate"] == (False, True)
    assert all(a.log_x for a in AXES.values() if a.setting)
    with pytest.raises(ValueError, match="staleness needs setting 'num_workers'"):
        axes.Axis("lag", "?", "capacity", (1, 2), ("CartPole-v1",), ("fifo",), 1, staleness=True)
    with pytest.raises(ValueError, match="rates_that_solve needs setting 'learning_rate'"):
        axes.Axis(
            "lr", "?", None, ("CartPole-v1",), ("CartPole-v1",), ("none",), 1, rates_that_solve=True
        )
