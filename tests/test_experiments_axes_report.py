"""The analysis of the regime study's axes and its conclusions (chapter 07), on synthetic
runs.csv tables whose answers are known, and once on tables written by ``run_axis`` with the
fake trainer."""

from __future__ import annotations

import types
import urllib.error
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from study_fakes import CountingTrainer

from a3cmem_lib.experiments import axes_conclusions as conclusions
from a3cmem_lib.experiments import axes_report as report
from a3cmem_lib.experiments import axes_results as results
from a3cmem_lib.experiments import axes_stats as stats
from a3cmem_lib.experiments import tables
from a3cmem_lib.experiments.axes import AXES, BUDGETS, run_axis
from a3cmem_lib.experiments.formatting import format_number
from a3cmem_lib.experiments.jobs import RUN_COLUMNS
from a3cmem_lib.experiments.study_stats import detectable_superiority, smallest_p_value


def synthetic_runs(name: str, effect=None, *, seeds: int | None = None, noise: float = 5.0):
    """One runs.csv row per run of axis ``name``: final return 100 + noise + ``effect(labels)``;
    a run solves when its final return is above 100, the sooner the higher it ends (steps to
    the threshold 1,000 × (200 − final return))."""
    rng = np.random.default_rng(0)
    rows = []
    for job in AXES[name].jobs(seeds):
        final = 100.0 + rng.normal(0, noise) + (effect(job.labels) if effect else 0.0)
        lag = 3.0 * job.config.num_workers + (10.0 if job.labels["variant"] != "none" else 0.0)
        row = {
            "run_id": job.run_id,
            **job.labels,
            "episodes": 100,
            "env_steps": job.config.total_steps,
            "wall_time": 36.0,
            "final_return": final,
            "threshold": 100.0,
            "steps_to_threshold": 1_000.0 * (200 - final) if final > 100 else np.nan,
            "seconds_to_threshold": 1.0 if final > 100 else np.nan,
            "policy_lag_mean": lag,
            "policy_lag_median": lag,
            "policy_lag_p90": 2 * lag,
        }
        row.update({column: getattr(job.config, column) for column in RUN_COLUMNS})
        rows.append(row)
    return pd.DataFrame(rows)


def write(root: Path, name: str, runs: pd.DataFrame) -> None:
    (root / name).mkdir(parents=True, exist_ok=True)
    runs.to_csv(root / name / "runs.csv", index=False)


def test_find_results_looks_in_the_library_repository_then_up_from_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nowhere = tmp_path / "site-packages" / "a3cmem_lib" / "__init__.py"
    monkeypatch.setattr(results, "a3cmem_lib", types.SimpleNamespace(__file__=str(nowhere)))
    clone = tmp_path / "clone"
    write(clone / "results", "asynchrony", synthetic_runs("asynchrony").head(3))
    (clone / "course" / "student").mkdir(parents=True)
    assert results.find_results(clone / "course" / "student") == str(clone / "results")
    assert results.find_results(tmp_path / "site-packages") == results.RESULTS_URL
    installed = tmp_path / "repo" / "a3cmem_lib" / "__init__.py"
    write(tmp_path / "repo" / "results", "regime", synthetic_runs("regime").head(1))
    monkeypatch.setattr(results, "a3cmem_lib", types.SimpleNamespace(__file__=str(installed)))
    assert results.find_results(clone) == str(tmp_path / "repo" / "results")


def test_read_runs_reads_a_folder_or_a_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert results.read_runs(tmp_path, "capacity") is None
    runs = synthetic_runs("capacity").head(4)
    write(tmp_path, "capacity", runs)
    pd.testing.assert_frame_equal(results.read_runs(tmp_path, "capacity"), runs)
    asked = []

    def not_there(location):
        asked.append(location)
        raise urllib.error.HTTPError(location, 404, "Not Found", None, None)

    monkeypatch.setattr(tables.pd, "read_csv", not_there)
    assert results.read_runs("https://example.org/results/", "capacity") is None
    assert asked == ["https://example.org/results/capacity/runs.csv"]
    with pytest.raises(ValueError, match="axis must be one of"):
        results.read_runs(tmp_path, "gravity")


def test_an_axis_is_complete_only_with_every_run(tmp_path: Path) -> None:
    write(tmp_path, "asynchrony", synthetic_runs("asynchrony"))
    partial = synthetic_runs("replay-ratio")
    write(tmp_path, "replay-ratio", partial.drop(index=[3, 40]))
    assert results.complete_axes(tmp_path) == ["asynchrony"]
    assert results.missing_runs(partial.drop(index=[3]), "replay-ratio") == [partial["run_id"][3]]
    assert len(results.missing_runs(None, "regime")) == len(AXES["regime"].jobs()) == 5 * 6 * 5
    progress = results.axis_progress(tmp_path).set_index("axis")
    assert progress.loc["asynchrony", ["runs", "expected", "complete"]].tolist() == [75, 75, True]
    replay_ratio_runs = len(partial)
    assert replay_ratio_runs == 5 * len(AXES["replay-ratio"].variants) * 5
    assert progress.loc["replay-ratio", ["runs", "expected", "complete"]].tolist() == [
        replay_ratio_runs - 2,
        replay_ratio_runs,
        False,
    ]
    assert progress.loc["regime", "runs"] == 0 and progress.loc["regime", "hours"] == 0
    assert progress.loc["asynchrony", "hours"] == pytest.approx(75 * 36.0 / 3600)
    assert progress.loc["learning-rate", "setting"] == "learning_rate"
    assert progress.loc["regime", "setting"] == "env"


def test_extra_seeds_do_not_make_an_axis_incomplete(tmp_path: Path) -> None:
    write(tmp_path, "asynchrony", synthetic_runs("asynchrony", seeds=7))
    assert results.complete_axes(tmp_path) == ["asynchrony"]


def test_reference_comes_from_regime_then_asynchrony_copied_per_value(tmp_path: Path) -> None:
    write(tmp_path, "replay-ratio", synthetic_runs("replay-ratio"))
    assert results.reference_runs(tmp_path, "replay-ratio") is None  # none committed yet
    write(tmp_path, "asynchrony", synthetic_runs("asynchrony"))
    reference = results.reference_runs(tmp_path, "replay-ratio")
    assert set(reference["source"]) == {"asynchrony"}
    assert set(reference["num_workers"]) == {2} and set(reference["variant"]) == {"none"}
    values = AXES["replay-ratio"].values
    assert sorted(reference["replay_ratio"].unique()) == sorted(values)
    assert len(reference) == 5 * len(values)  # five seeds, copied once per value
    regime = synthetic_runs("regime")
    plain = regime["variant"] == "none"
    write(tmp_path, "regime", regime.drop(index=regime.index[plain][:1]))  # one plain run short
    assert set(results.reference_runs(tmp_path, "replay-ratio")["source"]) == {"asynchrony"}
    write(tmp_path, "regime", regime)
    reference = results.reference_runs(tmp_path, "replay-ratio")
    assert set(reference["source"]) == {"regime"}
    assert set(reference["total_steps"]) == {BUDGETS["CartPole-v1"]}
    capacity = results.reference_runs(tmp_path, "capacity")
    assert set(capacity["env"]) == {"CartPole-v1", "a3cmem/KeyDoor-v0"}
    assert results.reference_runs(tmp_path, "asynchrony") is None  # has its own


def test_a_memory_only_axis_without_regime_has_no_reference_for_keydoor(tmp_path: Path) -> None:
    write(tmp_path, "asynchrony", synthetic_runs("asynchrony"))
    write(tmp_path, "capacity", synthetic_runs("capacity"))
    runs = results.load_axis(tmp_path, "capacity")
    plain = runs[runs["variant"] == "none"]
    assert set(plain["env"]) == {"CartPole-v1"} and set(plain["source"]) == {"asynchrony"}
    assert runs["variant"].iloc[0] == "none"  # the reference first: tables list it first
    tests = stats.compare_axis(runs, "capacity", resamples=200)
    keydoor = tests.location[tests.location["env"] == "a3cmem/KeyDoor-v0"]
    assert len(keydoor) and set(keydoor["verdict"]) == {"no reference"}
    tested = tests.location["p_value"].notna().sum() + tests.setting["p_value"].notna().sum()
    assert tests.count == tested and tests.spread.empty
    assert len(tests.setting) == 2 * 2 * 2  # envs x variants x measures: no reference needed


def test_steps_or_budget_counts_an_unsolved_run_as_its_budget(tmp_path: Path) -> None:
    write(tmp_path, "asynchrony", synthetic_runs("asynchrony"))
    runs = results.load_axis(tmp_path, "asynchrony")
    unsolved = runs["steps_to_threshold"].isna()
    assert unsolved.any() and (~unsolved).any()
    assert (runs.loc[unsolved, "steps_or_budget"] == runs.loc[unsolved, "total_steps"]).all()
    solved = runs.loc[~unsolved]
    assert (solved["steps_or_budget"] == solved["steps_to_threshold"]).all()


def effects(labels: dict) -> float:
    """``mixture`` ends 30 higher everywhere, ``fifo`` 30 lower at replay ratio 16."""
    if labels["variant"] == "mixture":
        return 30.0
    if labels["variant"] == "fifo" and labels.get("replay_ratio") == 16.0:
        return -30.0
    return 0.0


@pytest.fixture(scope="module")
def strong(tmp_path_factory: pytest.TempPathFactory) -> report.AxisReport:
    """replay-ratio with 20 seeds and clear effects, its reference from the regime axis."""
    root = tmp_path_factory.mktemp("results")
    write(root, "regime", synthetic_runs("regime", seeds=20))
    write(root, "replay-ratio", synthetic_runs("replay-ratio", effects, seeds=20))
    return report.axis_report(root, "replay-ratio")


def test_compare_axis_finds_the_effects_and_only_them(strong: report.AxisReport) -> None:
    location = strong.tests.location
    cells = location[location["measure"] == "final return"]
    variants = len(AXES["replay-ratio"].variants)
    assert len(cells) == variants * 5  # variants x 5 replay ratios
    found = cells[cells["verdict"] != "not detectable"]
    assert set(zip(found["variant"], found["replay_ratio"], found["verdict"], strict=True)) == {
        *(("mixture", value, "better") for value in AXES["replay-ratio"].values),
        ("fifo", 16.0, "worse"),
    }
    steps = location[location["measure"] == "steps to threshold*"]
    assert set(steps.loc[steps["verdict"] == "better", "variant"]) == {"mixture"}
    assert set(steps.loc[steps["verdict"] == "worse", "variant"]) == {"fifo"}
    pooled = location[location["measure"] == stats.POOLED].set_index("variant")
    assert pooled.loc["mixture", "verdict"] == "better"
    assert pooled.loc["mixture", "baseline_n"] == 20  # each copied reference run once
    tested = location["p_value"].notna()
    assert tested.sum() == variants * 5 * 2 + variants
    # and one setting test per variant and measure
    assert strong.tests.count == tested.sum() + variants * 2
    assert (location["p_holm"] >= location["p_value"]).all()
    assert strong.tests.spread.empty


def test_setting_effect_finds_where_the_setting_matters(strong: report.AxisReport) -> None:
    setting = strong.tests.setting.set_index(["measure", "variant"])
    assert setting.loc[("final return", "fifo"), "verdict"] == "depends"  # lower at 16
    assert "16" not in setting.loc[("final return", "fifo"), "best"].split(", ")
    assert setting.loc[("final return", "mixture"), "verdict"] == "not detectable"  # constant
    assert setting.loc[("final return", "per"), "verdict"] == "not detectable"
    assert set(setting["values"]) == {5} and set(setting["runs"]) == {100}
    assert "none" not in setting.index.get_level_values("variant")  # the copied reference
    assert (setting["p_holm"] >= setting["p_value"]).all()
    assert stats.setting_effect(strong.runs, "regime").empty


def test_conclusion_quotes_the_tables_and_points_at_them(strong: report.AxisReport) -> None:
    text = conclusions.render_conclusion(strong)
    assert text.startswith("**Does replaying each segment more often buy sample efficiency?**")
    assert "the `none` runs of the `regime` axis" in text
    row = strong.tests.location.query(
        "measure == 'final return' and variant == 'fifo' and replay_ratio == 16"
    ).iloc[0]
    assert (
        f"`fifo` on CartPole-v1, replay_ratio = 16: median "
        f"{format_number(row['median'])} against "
        f"{format_number(row['baseline_median'])}" in text
    )
    assert f"p_Holm = {row['p_holm']:.2g}" in text
    assert "figure *final return against replay_ratio*" in text
    assert "table *tests of `replay-ratio`*, rows `final return`" in text
    assert "**Where each memory variant ends highest**" in text
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert all("figure *" in line or "table *" in line for line in lines)


def test_conclusion_says_no_effect_detectable_with_n_seeds(tmp_path: Path) -> None:
    write(tmp_path, "asynchrony", synthetic_runs("asynchrony"))
    five = report.axis_report(tmp_path, "asynchrony")
    text = conclusions.render_conclusion(five)
    assert "no effect detectable with 5 seeds" in text
    floor = smallest_p_value(5, 5)
    assert f"the smallest p-value a test can give is {floor:.2g}" in text
    assert "no single cell can be significant" in text
    assert "**Policy lag** (median over seeds of each run's mean, 1 → 16 workers)" in text
    lags = stats.policy_lag_table(five.runs).set_index(["num_workers", "variant"])
    assert f"`fifo` {format_number(lags.loc[(1, 'fifo'), 'lag_median'])} →" in text
    assert "rows `final-return spread`" in text and "Brown–Forsythe" in text


def test_only_a_complete_axis_gets_a_conclusion(tmp_path: Path) -> None:
    write(tmp_path, "asynchrony", synthetic_runs("asynchrony").iloc[:-1])
    partial = report.axis_report(tmp_path, "asynchrony")
    assert not partial.complete and partial.missing == 1
    with pytest.raises(ValueError, match="incomplete \\(1 runs missing\\)"):
        conclusions.render_conclusion(partial)
    assert report.summary_map([partial]).empty
    assert report.axis_report(tmp_path, "regime") is None


def test_asynchrony_spread_tests_join_the_family(tmp_path: Path) -> None:
    def wide(labels: dict) -> float:
        return 0.0 if labels["variant"] == "none" else 40.0 * (labels["seed"] % 2)

    write(tmp_path, "asynchrony", synthetic_runs("asynchrony", wide, seeds=20, noise=1.0))
    tests = report.axis_report(tmp_path, "asynchrony").tests
    assert len(tests.spread) == 2 * 5
    assert set(tests.spread["verdict"]) == {"worse"}  # far more spread out than plain A3C
    setting = tests.setting["p_value"].notna().sum()
    assert tests.count == len(tests.spread) + tests.location["p_value"].notna().sum() + setting


def test_learning_rate_robustness_counts_rates_with_at_least_half_solved() -> None:
    rows = []
    solved = {  # variant -> solved seeds of 4 at three rates
        "none": [4, 2, 0],
        "fifo": [1, 1, 3],
    }
    for variant, counts in solved.items():
        for rate, count in zip((1e-4, 1e-3, 1e-2), counts, strict=True):
            for seed in range(4):
                hit = seed < count
                rows.append(
                    {
                        "env": "CartPole-v1",
                        "variant": variant,
                        "learning_rate": rate,
                        "seed": seed,
                        "steps_to_threshold": 10.0 if hit else np.nan,
                        "final_return": 500.0 if hit else 9.0,
                    }
                )
    runs = pd.DataFrame(rows)
    rates = stats.rates_that_solve(runs).set_index(["variant", "learning_rate"])
    assert rates.loc[("none", 1e-3), "solves"]  # 2 of 4: at least half
    assert not rates.loc[("fifo", 1e-4), "solves"]
    fraction = stats.fraction_of_rates_that_solve(runs).set_index("variant")
    assert fraction.loc["none", ["rates", "rates_solved"]].tolist() == [3, 2]
    assert fraction.loc["none", "fraction"] == pytest.approx(2 / 3)
    assert fraction.loc["none", ["lowest", "highest"]].tolist() == [1e-4, 1e-3]
    assert fraction.loc["fifo", "fraction"] == pytest.approx(1 / 3)
    assert list(fraction.index) == ["none", "fifo"]  # in the table's order


def test_learning_rate_conclusion_states_the_rule(tmp_path: Path) -> None:
    write(tmp_path, "learning-rate", synthetic_runs("learning-rate"))
    rates = report.axis_report(tmp_path, "learning-rate")
    text = conclusions.render_conclusion(rates)
    assert "a rate solves when at least half its seeds reached the threshold" in text
    fraction = stats.fraction_of_rates_that_solve(rates.runs).set_index("variant")
    assert f"`none` {fraction.loc['none', 'rates_solved']} of 12" in text
    assert "no effect detectable with 3 seeds" in text
    assert "smallest p-value a test can give is 0.1" in text


def test_detectable_effect_and_smallest_p_value() -> None:
    table = synthetic_runs("asynchrony")
    assert stats.seeds_per_cell(table, "asynchrony") == (5, 5)
    assert stats.detectable_effect(table, "asynchrony") == detectable_superiority(5, 5)
    assert np.isnan(stats.detectable_effect(table, "asynchrony", tests=30))
    assert smallest_p_value(5, 5) == pytest.approx(2 / 252)
    assert stats.seeds_per_cell(synthetic_runs("capacity"), "capacity") == (5, 0)
    assert np.isnan(stats.detectable_effect(synthetic_runs("capacity"), "capacity"))
    with pytest.raises(ValueError, match="tests must be an int >= 1"):
        stats.detectable_effect(table, "asynchrony", tests=0)
    with pytest.raises(ValueError, match="n and m must be ints >= 1"):
        smallest_p_value(0, 5)


def test_summary_map_marks_where_a_variant_differs(strong: report.AxisReport) -> None:
    table = report.summary_map([strong]).set_index("measure")
    assert table.loc["final return", "mixture"] == "better at 1, 2, 4, 8, 16"
    assert table.loc["final return", "fifo"] == "worse at 16"
    assert table.loc["final return", "per"] == "·"
    assert table.loc[stats.POOLED, "mixture"] == "better"
    assert set(table["axis"]) == {"replay-ratio"}


def test_format_number() -> None:
    assert format_number(46401.2) == "46,401"
    assert format_number(0.91434) == "0.914"
    assert format_number(np.nan) == "-"


def test_tables_written_by_run_axis_are_read_back(tmp_path: Path) -> None:
    run_axis("asynchrony", tmp_path / "asynchrony", progress=False, trainer=CountingTrainer())
    assert results.complete_axes(tmp_path) == ["asynchrony"]
    axis = report.axis_report(tmp_path, "asynchrony")
    assert len(axis.runs) == 75 and set(axis.runs["source"]) == {"asynchrony"}
    # the fake trainer's plain A3C never learns, its memory variants do: every seed apart
    pooled = axis.tests.location.query(f"measure == '{stats.POOLED}'")
    assert set(pooled["verdict"]) == {"better"}
    text = conclusions.render_conclusion(axis)
    assert "**Final return, all values**: better than plain A3C" in text
    assert "not measured in every cell" in text  # the fake trainer measures no policy lag


def test_render_map_names_every_axis(strong: report.AxisReport, tmp_path: Path) -> None:
    write(tmp_path, "asynchrony", synthetic_runs("asynchrony"))
    five = report.axis_report(tmp_path, "asynchrony")
    progress = results.axis_progress(tmp_path)
    replay_ratio_runs = len(AXES["replay-ratio"].jobs())
    progress.loc[progress["axis"] == "replay-ratio", ["complete", "runs"]] = [
        True,
        replay_ratio_runs,
    ]
    text = conclusions.render_map([strong, five], progress)
    lines = text.splitlines()
    assert len(lines) == len(AXES)
    assert lines[0] == "- **regime**: not complete (0 of 150 runs), no conclusion yet."
    count = five.tests.count
    assert (
        lines[1]
        == f"- **asynchrony**: nothing detectable in its {count} tests (with 5 seeds per cell)."
    )
    replay = next(line for line in lines if line.startswith("- **replay-ratio**"))
    assert (
        "better than plain A3C: `mixture` (final return, CartPole-v1, replay_ratio = 1)" in replay
    )
    assert "worse than plain A3C: `fifo` (final return, CartPole-v1, replay_ratio = 16)" in replay
    assert "the setting matters for `fifo`'s final return on CartPole-v1" in replay
    assert "`mixture` (final return, CartPole-v1, all values of replay_ratio)" in replay


def test_every_value_tied_for_best_is_named(tmp_path: Path) -> None:
    runs = synthetic_runs("replay-ratio")
    runs["final_return"] = np.where(runs["replay_ratio"] >= 4, 500.0, 20.0 + runs["seed"])
    write(tmp_path, "replay-ratio", runs)
    tied = report.axis_report(tmp_path, "replay-ratio")
    best = tied.tests.setting[tied.tests.setting["measure"] == "final return"]
    assert set(best["best"]) == {"4, 8, 16"} and set(best["best_median"]) == {500.0}
    text = conclusions.render_conclusion(tied)
    assert (
        "`fifo` on CartPole-v1 at replay_ratio = 4, 8, 16 (median 500; lowest 22 at 1, 2)" in text
    )


def test_an_axis_without_reference_is_read_within_its_variants(tmp_path: Path) -> None:
    write(tmp_path, "replay-ratio", synthetic_runs("replay-ratio", effects))
    alone = report.axis_report(tmp_path, "replay-ratio")
    assert alone.complete and alone.reference is None
    assert alone.tests.count == len(AXES["replay-ratio"].variants) * 2  # the setting tests only
    text = conclusions.render_conclusion(alone)
    assert "no plain-A3C reference is committed yet" in text
    assert "- **Against plain A3C**: no test possible until a plain-A3C reference" in text
    assert "- **Does replay_ratio matter?**" in text
    assert "rows `final return`" not in text  # no bullet for a measure without tests
