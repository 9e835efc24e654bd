"""The stability study's bookkeeping, with a fake trainer (no training): tidy CSVs, run
summaries (final return, steps to threshold), summary statistics and figures."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from study_fakes import CountingTrainer, fake_trainer

from a3cmem_lib.experiments import backends
from a3cmem_lib.experiments.jobs import make_job, run_job
from a3cmem_lib.experiments.measures import (
    WINDOW,
    first_solved_episode,
    learning_curves,
    run_summary,
    summarize,
)
from a3cmem_lib.experiments.study import StudyConfig, run_study
from a3cmem_lib.experiments.study_plots import write_figures
from a3cmem_lib.experiments.tables import EPISODES_FILE, RUNS_FILE, SUMMARY_FILE, StudyTables
from a3cmem_lib.training import TrainConfig
from a3cmem_lib.training.choices import LEARNER_DEFAULTS


def small_study() -> StudyConfig:
    return StudyConfig(
        envs=("CartPole-v1",),
        variants=("none", "per"),
        seeds=3,
        steps={"CartPole-v1": 6000},
        thresholds={"CartPole-v1": 3.0},
    )


def test_run_study_writes_tidy_tables(tmp_path) -> None:
    tidy = run_study(small_study(), tmp_path, progress=False, trainer=fake_trainer)
    assert list(tidy.columns) == [
        "env",
        "variant",
        "seed",
        "episode",
        "env_step",
        "wall_time",
        "return",
    ]
    assert len(tidy) == 2 * 3 * 60
    assert pd.read_csv(tmp_path / EPISODES_FILE).shape == tidy.shape
    runs = pd.read_csv(tmp_path / RUNS_FILE)
    per = runs[runs["variant"] == "per"].sort_values("seed")
    # final return = mean of the last WINDOW episodes of slope * episode
    slopes = (per["seed"].to_numpy() + 1) / 10
    expected = slopes * np.arange(60 - WINDOW, 60).mean()
    assert np.allclose(per["final_return"], expected)
    # the moving average of slope * k reaches 3.0 at different episodes per seed; 'none' never
    assert per["steps_to_threshold"].notna().all()
    assert per["steps_to_threshold"].is_monotonic_decreasing
    assert runs.loc[runs["variant"] == "none", "steps_to_threshold"].isna().all()
    summary = pd.read_csv(tmp_path / SUMMARY_FILE)
    row = summary.set_index("variant").loc["per"]
    assert row["solved"] == 3 and row["runs"] == 3
    assert row["final_return_median"] == pytest.approx(np.median(expected))
    assert (tmp_path / "MACHINE.txt").read_text().startswith("processor:")


def test_learning_curves_median_and_quartiles(tmp_path) -> None:
    tidy = run_study(small_study(), tmp_path, progress=False, trainer=fake_trainer)
    curves = learning_curves(tidy, points=10)
    last = curves[curves["variant"] == "per"].iloc[-1]
    finals = [(s + 1) / 10 * np.arange(40, 60).mean() for s in range(3)]
    assert last["median"] == pytest.approx(np.median(finals))
    assert last["q25"] <= last["median"] <= last["q75"] and last["runs"] == 3


def test_figures_are_written(tmp_path) -> None:
    run_study(small_study(), tmp_path, progress=False, trainer=fake_trainer)
    paths = write_figures(tmp_path)
    assert [p.name for p in paths] == [
        "learning_curves.png",
        "final_returns.png",
        "steps_to_threshold.png",
    ]
    assert all(p.stat().st_size > 10_000 for p in paths)


def test_summarize_counts_unsolved_runs() -> None:
    runs = pd.DataFrame(
        {
            "env": ["E"] * 3,
            "variant": ["fifo"] * 3,
            "seed": [0, 1, 2],
            "final_return": [1.0, 2.0, 3.0],
            "steps_to_threshold": [10.0, np.nan, 30.0],
            "wall_time": [1.0, 1.0, 1.0],
        }
    )
    row = summarize(runs).iloc[0]
    assert row["solved"] == 2 and row["steps_to_threshold_median"] == 20.0
    assert row["final_return_mean"] == 2.0 and row["final_return_std"] == 1.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"seeds": 0}, "seeds"),
        ({"first_seed": -1}, "first_seed"),
        ({"first_seed": 1.0}, "first_seed"),
        ({"first_seed": True}, "first_seed"),
        ({"variants": ("none", "lru")}, "variants"),
        ({"envs": ("CartPole-v1", "Acrobot-v1")}, "steps"),
        ({"envs": ("a3cmem/GridWorld-v0",), "steps": {"a3cmem/GridWorld-v0": 0}}, "steps"),
    ],
)
def test_bad_study_config(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        StudyConfig(**kwargs)


def test_first_seed_runs_new_seeds_and_names_them(tmp_path) -> None:
    study = dataclasses.replace(small_study(), first_seed=100)
    trainer = CountingTrainer()
    run_study(study, tmp_path, progress=False, trainer=trainer)
    assert sorted({config.seed for config in trainer.calls}) == [100, 101, 102]
    runs = pd.read_csv(tmp_path / RUNS_FILE)
    assert sorted(set(runs["seed"])) == [100, 101, 102]
    assert all("seed=10" in run_id for run_id in runs["run_id"])


def test_a_rerun_skips_finished_runs(tmp_path) -> None:
    first = CountingTrainer()
    tidy = run_study(small_study(), tmp_path, progress=False, trainer=first)
    assert len(first.calls) == 6
    again = CountingTrainer()
    resumed = run_study(small_study(), tmp_path, progress=False, trainer=again)
    assert again.calls == []
    pd.testing.assert_frame_equal(resumed, tidy)


def test_an_interrupted_study_resumes_where_it_stopped(tmp_path) -> None:
    straight = run_study(small_study(), tmp_path / "straight", progress=False, trainer=fake_trainer)
    broken = CountingTrainer(fail_on=4)
    with pytest.raises(RuntimeError, match="power cut"):
        run_study(small_study(), tmp_path / "resumed", progress=False, trainer=broken)
    runs = pd.read_csv(tmp_path / "resumed" / RUNS_FILE)
    assert len(runs) == 3  # the three runs before the failure are kept
    rest = CountingTrainer()
    resumed = run_study(small_study(), tmp_path / "resumed", progress=False, trainer=rest)
    assert [(c.memory, c.seed) for c in rest.calls] == [("per", 0), ("per", 1), ("per", 2)]
    pd.testing.assert_frame_equal(resumed, straight)
    for name in (RUNS_FILE, SUMMARY_FILE):
        pd.testing.assert_frame_equal(
            pd.read_csv(tmp_path / "resumed" / name).drop(columns="wall_time", errors="ignore"),
            pd.read_csv(tmp_path / "straight" / name).drop(columns="wall_time", errors="ignore"),
        )


def test_runs_record_the_settings_by_their_train_config_names(tmp_path) -> None:
    study = StudyConfig(
        envs=("CartPole-v1",),
        variants=("none", "mixture"),
        seeds=1,
        steps={"CartPole-v1": 1000},
    )
    trainer = CountingTrainer()
    run_study(study, tmp_path, progress=False, trainer=trainer)
    assert [(c.memory, c.fresh_fraction) for c in trainer.calls] == [("none", 0.0), ("fifo", 0.25)]
    runs = pd.read_csv(tmp_path / RUNS_FILE)
    for column in (
        "run_id",
        "env",
        "variant",
        "seed",
        "memory",
        "fresh_fraction",
        "num_workers",
        "learning_rate",
        "capacity",
        "replay_ratio",
        "policy_lag_mean",
    ):
        assert column in runs.columns
    assert list(runs["run_id"]) == [
        "env=CartPole-v1/variant=none/seed=0",
        "env=CartPole-v1/variant=mixture/seed=0",
    ]


def test_a_study_written_before_run_ids_is_resumed(tmp_path) -> None:
    run_study(small_study(), tmp_path, progress=False, trainer=fake_trainer)
    runs = pd.read_csv(tmp_path / RUNS_FILE)
    runs.drop(columns="run_id").to_csv(tmp_path / RUNS_FILE, index=False)  # an old study
    tables = StudyTables(tmp_path, small_study().jobs(), ["env", "variant"], EPISODES_FILE)
    assert tables.finished == set(runs["run_id"])
    again = CountingTrainer()
    run_study(small_study(), tmp_path, progress=False, trainer=again)
    assert again.calls == []


def test_a_run_records_what_it_cost_and_its_greedy_return() -> None:
    """Real training (tiny): updates of the shared model, learner updates, CPU seconds, the
    100-episode criterion and a greedy evaluation are in the run's row."""
    base = TrainConfig(progress=False, num_workers=2)
    rows = {}
    for variant, fields in (("none", {}), ("hybrid", {"memory": "fifo", "hybrid": True})):
        job = make_job(
            {"env": "a3cmem/GridWorld-v0", "variant": variant, "seed": 0},
            base,
            0.9,
            variants={variant: fields},
            greedy_episodes=2,
            total_steps=2000,
        )
        rows[variant] = run_job(job).run
    plain, hybrid = rows["none"], rows["hybrid"]
    # plain A3C: one update per t_max steps of a worker, no learner
    assert plain["learner_updates"] == 0
    assert plain["updates"] == pytest.approx(plain["env_steps"] / base.t_max, abs=2)
    assert plain["updates_per_env_step"] == pytest.approx(plain["updates"] / plain["env_steps"])
    # hybrid: the workers' updates and the learner's on top
    assert hybrid["learner_updates"] > 0
    assert hybrid["updates"] > hybrid["learner_updates"]
    for row in rows.values():
        assert row["cpu_seconds"] > 0
        assert -1.0 <= row["greedy_return"] <= 1.0
        assert "steps_to_threshold_100" in row


def test_the_acer_variant_gets_acers_recipe_and_the_studys_own_settings() -> None:
    """A study's base is resolved for V-trace; the ``acer`` variant must still train with
    ``--learner acer``'s defaults, while a setting the study chose applies to it too."""
    labels = {"env": "CartPole-v1", "variant": "acer", "seed": 0}
    acer = make_job(labels, TrainConfig(progress=False), 475.0).config
    recipe = LEARNER_DEFAULTS["acer"]
    assert acer.learner == "acer"
    assert {name: getattr(acer, name) for name in recipe} == recipe
    assert acer == TrainConfig(learner="acer", seed=0, progress=False, stop_return=None)
    chosen = TrainConfig(progress=False, learning_rate=1e-3, capacity=64)
    acer = make_job(labels, chosen, 475.0).config
    assert (acer.learning_rate, acer.capacity, acer.batch_size) == (1e-3, 64, recipe["batch_size"])
    at_vtraces_value = TrainConfig(progress=False, learning_rate=3e-3)  # study --lr 0.003
    assert make_job(labels, at_vtraces_value, 475.0).config.learning_rate == 3e-3
    plain = make_job({**labels, "variant": "none"}, TrainConfig(progress=False), 475.0).config
    assert (
        plain.learner == "vtrace"
        and plain.learning_rate == LEARNER_DEFAULTS["vtrace"]["learning_rate"]
    )
    swept = make_job(labels, TrainConfig(progress=False), 475.0, learning_rate=3e-3).config
    assert swept.learning_rate == 3e-3  # an axis's override wins, even at V-trace's default


def test_make_job_refuses_a_bad_greedy_episodes() -> None:
    with pytest.raises(ValueError, match="greedy_episodes must be an int >= 0"):
        make_job(
            {"env": "CartPole-v1", "variant": "none", "seed": 0},
            TrainConfig(),
            1.0,
            greedy_episodes=-1,
        )


def test_steps_to_the_100_episode_criterion_is_recorded() -> None:
    returns = np.r_[np.zeros(50), np.ones(200)]
    table = pd.DataFrame(
        {"return": returns, "env_step": np.arange(250) * 10, "wall_time": np.arange(250.0)}
    )
    row = run_summary(table, 0.99, 1.0, 2500)
    # the 20-episode mean reaches 0.99 at episode 69 (20 ones), the 100-episode one at 148 (99)
    assert row["steps_to_threshold"] == 690 and row["steps_to_threshold_100"] == 1480
    assert np.isnan(run_summary(table.head(120), 0.99, 1.0, 1200)["steps_to_threshold_100"])


@pytest.mark.parametrize("window", [0, -3, 2.5, True])
def test_a_bad_window_is_refused(window) -> None:
    with pytest.raises(ValueError, match="window must be an int >= 1"):
        first_solved_episode([1.0, 2.0], 1.5, window)


def test_a_backend_is_chosen_from_the_registry(tmp_path, monkeypatch) -> None:
    here = run_study(small_study(), tmp_path / "here", progress=False, trainer=fake_trainer)
    monkeypatch.setitem(backends.JOB_BACKENDS, "backwards", "study_fakes:run_jobs_backwards")
    backwards = run_study(
        small_study(), tmp_path / "b", progress=False, trainer=fake_trainer, backend="backwards"
    )
    pd.testing.assert_frame_equal(backwards, here)  # the tables keep the jobs' order
    runs = [pd.read_csv(tmp_path / name / RUNS_FILE) for name in ("here", "b")]
    pd.testing.assert_series_equal(runs[1]["run_id"], runs[0]["run_id"])


def test_a_bad_backend_or_address_is_named(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"backend must be one of \['local', 'ray'\], got 'dask'"):
        run_study(small_study(), tmp_path, progress=False, backend="dask")
    with pytest.raises(ValueError, match="address: the local backend runs on this machine"):
        run_study(small_study(), tmp_path, progress=False, trainer=fake_trainer, address="x:1")
