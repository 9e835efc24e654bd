"""Chapter 07's follow-up: its runs, its one-sided tests with Holm, resuming, the CLI."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from study_fakes import CountingTrainer

from a3cmem_lib.cli import main
from a3cmem_lib.experiments.axes import BUDGETS, threshold
from a3cmem_lib.experiments.follow_up import (
    GREEDY_EPISODES,
    HYPOTHESES,
    REPLAY_PAYS,
    REPLAY_PAYS_VARIANTS,
    SEEDS,
    FollowUp,
    follow_up_jobs,
    run_follow_up,
)
from a3cmem_lib.experiments.follow_ups import FOLLOW_UPS
from a3cmem_lib.experiments.hypotheses import (
    Hypothesis,
    evaluate_hypotheses,
    hypothesis_claim,
    render_follow_up,
)
from a3cmem_lib.experiments.jobs import StudyJob
from a3cmem_lib.experiments.results_tables import follow_up_table
from a3cmem_lib.experiments.tables import RUNS_FILE


def test_the_follow_up_runs_plain_a3c_and_each_hypothesis_variant_on_new_seeds() -> None:
    jobs = follow_up_jobs()
    cells = Counter((job.labels["env"], job.labels["variant"]) for job in jobs)
    needed = {(h.env, h.variant) for h in HYPOTHESES} | {(h.env, "none") for h in HYPOTHESES}
    assert set(cells) == needed
    assert set(cells.values()) == {len(SEEDS)}
    assert not set(SEEDS) & set(range(5))  # the axes' seeds 0-4 are not reused
    assert len({job.run_id for job in jobs}) == len(jobs)
    for job in jobs:
        assert job.config.total_steps == BUDGETS[job.labels["env"]]
        assert job.config.seed == job.labels["seed"] in SEEDS
        assert job.threshold == threshold(job.labels["env"])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"measure": "wall_time"}, "measure"),
        ({"direction": "two-sided"}, "direction"),
        ({"variant": "none"}, "variant"),
        ({"env": "Acrobot-v1"}, "env"),
        ({"baseline": "fifo"}, "baseline must differ"),
    ],
)
def test_a_bad_hypothesis(kwargs: dict, match: str) -> None:
    fields = {
        "env": "CartPole-v1",
        "variant": "fifo",
        "measure": "final_return",
        "direction": "less",
        "evidence": "none",
    }
    with pytest.raises(ValueError, match=match):
        Hypothesis(**{**fields, **kwargs})


def test_bad_jobs_arguments() -> None:
    with pytest.raises(ValueError, match="hypotheses"):
        follow_up_jobs(())
    with pytest.raises(ValueError, match="seeds"):
        follow_up_jobs(seeds=(1, 1))


def _runs(cells: dict[str, list[float]], measure: str, budget: int = 1000) -> pd.DataFrame:
    rows = []
    for variant, values in cells.items():
        for seed, value in enumerate(values):
            rows.append(
                {
                    "env": "CartPole-v1",
                    "variant": variant,
                    "seed": seed,
                    "env_steps": budget + 10 * (variant != "none"),  # memory runs overshoot
                    "total_steps": budget,
                    "final_return": value if measure == "final_return" else 0.0,
                    "steps_to_threshold": value if measure == "steps_to_threshold" else np.nan,
                }
            )
    return pd.DataFrame(rows)


def _hypothesis(variant: str, measure: str, direction: str) -> Hypothesis:
    return Hypothesis("CartPole-v1", variant, measure, direction, "made up")


def test_a_separated_difference_in_the_stated_direction_is_supported() -> None:
    runs = _runs({"none": [10.0, 11, 12, 13, 14, 15], "fifo": [1.0, 2, 3, 4, 5, 6]}, "final_return")
    table = evaluate_hypotheses(runs, [_hypothesis("fifo", "final_return", "less")])
    row = table.iloc[0]
    assert row["n"] == 6 and row["baseline_n"] == 6
    assert row["median"] == 3.5 and row["baseline_median"] == 12.5
    assert row["p_superior"] == 0.0
    assert row["p_value"] == pytest.approx(1 / 924)  # one of C(12, 6) orderings
    assert bool(row["supported"])
    # the same data against the opposite direction: no support at all
    opposite = evaluate_hypotheses(runs, [_hypothesis("fifo", "final_return", "greater")])
    assert opposite.iloc[0]["p_value"] > 0.99 and not opposite.iloc[0]["supported"]


def test_a_hypothesis_against_another_variant_compares_with_that_variant() -> None:
    runs = _runs(
        {"none": [1.0, 2, 3], "per": [10.0, 11, 12], "acer": [20.0, 21, 22]}, "final_return"
    )
    against_per = Hypothesis("CartPole-v1", "acer", "final_return", "greater", "x", "per")
    table = evaluate_hypotheses(runs, [against_per])
    row = table.iloc[0]
    assert row["baseline"] == "per" and row["baseline_median"] == 11.0
    assert row["p_value"] == pytest.approx(0.05)  # 1 of C(6, 3) = 20 orderings
    assert hypothesis_claim(row.to_dict()) == ("`acer` ends with a higher final return than `per`")
    assert "`acer` ends with a higher final return than `per` on CartPole-v1" in (
        render_follow_up(table)
    )
    plain = evaluate_hypotheses(runs, [_hypothesis("acer", "final_return", "greater")])
    assert plain.iloc[0]["baseline"] == "none" and plain.iloc[0]["baseline_median"] == 2.0
    assert hypothesis_claim(plain.iloc[0].to_dict()).endswith("than plain A3C")
    table_text = follow_up_table(table)
    assert "| against |" in table_text and "| per |" in table_text


def test_a_hypothesis_against_another_variant_runs_that_variant_too() -> None:
    hypothesis = Hypothesis("CartPole-v1", "acer", "final_return", "greater", "x", "per")
    jobs = follow_up_jobs((hypothesis,), seeds=(5,))
    assert [job.labels["variant"] for job in jobs] == ["none", "per", "acer"]
    with pytest.raises(ValueError, match="baseline 'per'"):
        follow_up_jobs((hypothesis,), seeds=(5,), variants={"none": {}, "acer": {}})


def test_holm_corrects_over_every_hypothesis() -> None:
    values = {"none": [10.0, 11, 12], "fifo": [1.0, 2, 3], "per": [1.0, 2, 3]}
    runs = _runs(values, "final_return")
    one = evaluate_hypotheses(runs, [_hypothesis("fifo", "final_return", "less")])
    two = evaluate_hypotheses(
        runs,
        [_hypothesis("fifo", "final_return", "less"), _hypothesis("per", "final_return", "less")],
    )
    assert one.iloc[0]["p_value"] == pytest.approx(0.05)  # 1 of C(6, 3) = 20 orderings
    assert bool(one.iloc[0]["supported"])
    assert list(two["p_holm"]) == pytest.approx([0.1, 0.1])
    assert not two["supported"].any()


def test_a_run_that_never_reached_the_threshold_counts_as_its_budget() -> None:
    nan = float("nan")
    runs = _runs(
        {"none": [100.0, 120, 110, 90], "fifo": [nan, nan, nan, nan]}, "steps_to_threshold"
    )
    row = evaluate_hypotheses(runs, [_hypothesis("fifo", "steps_to_threshold", "greater")]).iloc[0]
    assert row["median"] == 1000 and row["p_superior"] == 1.0
    # ties (four budgets) and all: the exact test, one of C(8, 4) = 70 splits
    assert row["p_value"] == pytest.approx(1 / 70)


def test_runs_that_never_reached_the_threshold_in_either_group_tie() -> None:
    nan = float("nan")
    runs = _runs({"none": [nan] * 5, "fifo": [nan] * 5}, "steps_to_threshold")
    for measure in ("steps_to_threshold", "steps_to_threshold_100"):
        frame = runs.assign(steps_to_threshold_100=nan)
        row = evaluate_hypotheses(frame, [_hypothesis("fifo", measure, "greater")]).iloc[0]
        assert row["p_superior"] == 0.5 and row["p_value"] == 1.0 and not row["supported"]


def test_a_hypothesis_without_runs_is_not_tested_and_not_supported() -> None:
    runs = _runs({"none": [1.0, 2, 3], "fifo": [0.0, 0, 0]}, "final_return")
    table = evaluate_hypotheses(
        runs,
        [_hypothesis("fifo", "final_return", "less"), _hypothesis("per", "final_return", "less")],
    )
    missing = table.iloc[1]
    assert missing["n"] == 0 and np.isnan(missing["p_value"]) and np.isnan(missing["p_holm"])
    assert not missing["supported"]
    assert table.iloc[0]["p_holm"] == table.iloc[0]["p_value"]  # the only test made


def test_equal_values_are_no_evidence() -> None:
    runs = _runs({"none": [5.0, 5, 5], "fifo": [5.0, 5, 5]}, "final_return")
    row = evaluate_hypotheses(runs, [_hypothesis("fifo", "final_return", "less")]).iloc[0]
    assert row["p_value"] == 1.0 and row["p_superior"] == 0.5 and not row["supported"]


def test_run_follow_up_writes_the_tables_and_resumes(tmp_path) -> None:
    hypotheses = [Hypothesis("a3cmem/GridWorld-v0", "fifo", "final_return", "greater", "x")]
    first = CountingTrainer()
    runs = run_follow_up(
        tmp_path, hypotheses=hypotheses, seeds=(100, 101), progress=False, trainer=first
    )
    assert len(first.calls) == 4 and len(runs) == 4
    assert sorted(set(runs["seed"])) == [100, 101]
    assert (tmp_path / RUNS_FILE).exists() and (tmp_path / "final_returns.png").exists()
    # the fake's returns rise for every variant but plain A3C: fifo ends higher
    table = evaluate_hypotheses(runs, hypotheses)
    assert table.iloc[0]["p_superior"] == 1.0
    again = CountingTrainer()
    run_follow_up(tmp_path, hypotheses=hypotheses, seeds=(100, 101), progress=False, trainer=again)
    assert again.calls == []


def test_jobs_are_study_jobs() -> None:
    assert all(isinstance(job, StudyJob) for job in follow_up_jobs())


def test_replay_pays_runs_its_variants_on_seeds_no_earlier_study_used() -> None:
    follow_up = FOLLOW_UPS["replay-pays"]
    assert follow_up is REPLAY_PAYS and FOLLOW_UPS["regime"].hypotheses == HYPOTHESES
    used = set(range(5)) | set(SEEDS) | set(range(200, 205)) | {100, 101, 102}
    assert not set(follow_up.seeds) & used and len(follow_up.seeds) == 10
    jobs = follow_up.jobs()
    cells = Counter((job.labels["env"], job.labels["variant"]) for job in jobs)
    assert set(cells.values()) == {10}
    assert {variant for env_id, variant in cells if env_id == "CartPole-v1"} == {
        "none",
        "fifo-ratio-8",
        "per-ratio-16",
        "hybrid-fifo",
        "hybrid-mixture",
    }
    for job in jobs:
        config, variant = job.config, job.labels["variant"]
        for name, value in REPLAY_PAYS_VARIANTS[variant].items():
            assert getattr(config, name) == value
        if job.labels["env"] == "CartPole-v1":
            assert config.total_steps == 300_000 and job.greedy_episodes == 0
        else:
            assert config.total_steps == BUDGETS["a3cmem/GridWorld-v0"]
            assert job.greedy_episodes == GREEDY_EPISODES  # a greedy_return hypothesis
    assert REPLAY_PAYS_VARIANTS["hybrid-mixture"]["hybrid"] is True


def test_a_hypothesis_needs_a_declared_variant_and_budget() -> None:
    hypothesis = Hypothesis("CartPole-v1", "fifo-ratio-8", "final_return", "less", "x")
    with pytest.raises(ValueError, match="not among the variants"):
        follow_up_jobs([hypothesis])
    with pytest.raises(ValueError, match="no budget for env"):
        follow_up_jobs([hypothesis], variants=REPLAY_PAYS_VARIANTS, budgets={})


def test_a_missing_measure_is_not_tested() -> None:
    runs = _runs({"none": [1.0, 2, 3], "fifo": [0.0, 0, 0]}, "final_return")
    row = evaluate_hypotheses(runs, [_hypothesis("fifo", "greedy_return", "greater")]).iloc[0]
    assert row["n"] == 0 and np.isnan(row["p_value"]) and not row["supported"]


def test_the_cli_runs_a_named_follow_up_into_its_own_folder(tmp_path, capsys, monkeypatch) -> None:
    calls = []

    def fake_run(self, out, **options):
        calls.append((self.name, Path(out)))
        return _runs({"none": [1.0, 2], "fifo-ratio-8": [0.0, 0]}, "final_return")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(FollowUp, "run", fake_run)
    assert main(["study", "--follow-up", "replay-pays"]) == 0
    assert main(["study", "--follow-up"]) == 0
    assert calls == [
        ("replay-pays", Path("results/follow-up-replay-pays")),
        ("regime", Path("results/follow-up")),
    ]
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["study", "--follow-up", "nonsense"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--follow-up" in err[0] and "replay-pays" in err[0]


@pytest.mark.parametrize(
    "extra",
    [
        ["--axis", "regime"],
        ["--envs", "CartPole-v1"],
        ["--variants", "fifo"],
        ["--seeds", "3"],
        ["--first-seed", "7"],
        ["--budget", "CartPole-v1=100"],
    ],
)
def test_the_follow_up_takes_no_run_selection_flags(tmp_path, capsys, extra) -> None:
    out = tmp_path / "follow-up"
    assert main(["study", "--follow-up", "--out", str(out), *extra]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"a3cmem study: error: argument {extra[0]}: not with --follow-up")
    assert not out.exists()


def test_the_conclusion_is_rendered_from_the_table() -> None:
    runs = _runs({"none": [10.0, 11, 12, 13, 14, 15], "fifo": [1.0, 2, 3, 4, 5, 6]}, "final_return")
    hypotheses = [
        _hypothesis("fifo", "final_return", "less"),
        _hypothesis("fifo", "final_return", "greater"),
        _hypothesis("per", "final_return", "less"),
    ]
    text = render_follow_up(evaluate_hypotheses(runs, hypotheses))
    lines = text.splitlines()
    assert lines[0].startswith("1 of the 3 hypotheses hold") and "Holm over the 2 tested" in text
    assert "`fifo` ends with a lower final return than plain A3C on CartPole-v1: **holds**" in text
    assert "**holds** (median 3.5 against 12.5, 6 seeds against 6; A = 0.00" in text
    assert "a higher final return than plain A3C on CartPole-v1: **not supported**" in text
    assert "`per` ends with a lower final return" in lines[-1] and "**not tested**" in lines[-1]
    assert [line.endswith(f"(row {k}).") for k, line in enumerate(lines[2:], start=1)] == [True] * 3


def test_each_hypothesis_quotes_what_the_committed_regime_axis_shows() -> None:
    """The evidence strings are the record of what led to each hypothesis: their numbers
    must be those of results/regime/runs.csv (seeds 0-4), not stale copies."""
    from pathlib import Path

    from a3cmem_lib.experiments.formatting import format_number
    from a3cmem_lib.experiments.study_stats import probability_of_superiority, steps_or_budget

    regime = pd.read_csv(Path(__file__).resolve().parents[1] / "results" / "regime" / RUNS_FILE)
    regime = regime.assign(steps_to_threshold=steps_or_budget(regime))
    for hypothesis in HYPOTHESES:
        in_env = regime[regime["env"] == hypothesis.env]
        values = in_env.loc[in_env["variant"] == hypothesis.variant, hypothesis.measure]
        reference = in_env.loc[in_env["variant"] == "none", hypothesis.measure]
        assert sorted(in_env["seed"].unique()) == [0, 1, 2, 3, 4]
        evidence = hypothesis.evidence
        assert f"median {format_number(values.median())} steps" in evidence or (
            f"median final return {format_number(values.median())} " in evidence
        ), hypothesis
        assert f"vs {format_number(reference.median())}" in evidence or (
            f"vs plain A3C's {format_number(reference.median())}" in evidence
        ), hypothesis
        assert f"A = {probability_of_superiority(values, reference):.2f}" in evidence, hypothesis


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.05])
def test_a_bad_alpha_is_refused(alpha: float) -> None:
    runs = _runs({"none": [1.0, 2, 3], "fifo": [0.0, 0, 0]}, "final_return")
    with pytest.raises(ValueError, match="alpha must be in"):
        evaluate_hypotheses(runs, [_hypothesis("fifo", "final_return", "less")], alpha=alpha)


def test_replay_pays_evidence_quotes_the_committed_data() -> None:
    """Each replay-pays hypothesis's evidence is the record of what led to it: its numbers are
    recomputed from results/ and bench/results/replay_pays.json."""
    import json

    from a3cmem_lib.experiments.formatting import format_number
    from a3cmem_lib.experiments.measures import first_solved_episode
    from a3cmem_lib.experiments.study_stats import probability_of_superiority, rank_sum_test

    root = Path(__file__).resolve().parents[1]
    evidence = [h.evidence for h in REPLAY_PAYS.hypotheses]

    def steps(folder: str, variant: str, **setting: float) -> pd.Series:
        runs = pd.read_csv(root / "results" / folder / RUNS_FILE)
        chosen = (runs["env"] == "CartPole-v1") & (runs["variant"] == variant)
        for column, value in setting.items():
            chosen &= runs[column] == value
        runs = runs[chosen]
        return runs["steps_to_threshold"].fillna(runs["total_steps"].astype(float))

    plain = steps("regime", "none")
    for number, (variant, ratio) in enumerate((("fifo", 8.0), ("per", 16.0))):
        values = steps("replay-ratio", variant, replay_ratio=ratio)
        assert f"median {format_number(values.median())} steps" in evidence[number]
        assert f"plain A3C's {format_number(plain.median())}" in evidence[number]
        assert f"A = {probability_of_superiority(values, plain):.2f}" in evidence[number]
        assert f"exact p = {rank_sum_test(values, plain):.2g}" in evidence[number]

    def steps_100(path: str, variant: str, **setting: float) -> pd.Series:
        episodes = pd.read_csv(root / "results" / path)
        chosen = (episodes["env"] == "CartPole-v1") & (episodes["variant"] == variant)
        for column, value in setting.items():
            chosen &= episodes[column] == value
        result = {}
        for seed, run in episodes[chosen].groupby("seed"):
            first = first_solved_episode(run["return"].to_numpy(), 475.0, 100)
            result[seed] = 150_000.0 if first is None else float(run["env_step"].iloc[first])
        return pd.Series(result)

    plain_100 = steps_100("regime/episodes.csv.gz", "none")
    for number, (variant, ratio) in ((2, ("fifo", 8.0)), (3, ("per", 16.0))):
        values = steps_100("replay-ratio/episodes.csv.gz", variant, replay_ratio=ratio)
        assert format_number(values.median()) in evidence[number]
        assert f"plain A3C's {format_number(plain_100.median())}" in evidence[number]
        assert f"A = {probability_of_superiority(values, plain_100):.2f}" in evidence[number]
        assert f"exact p = {rank_sum_test(values, plain_100):.2g}" in evidence[number]
    unsolved = int(
        (steps_100("replay-ratio/episodes.csv.gz", "fifo", replay_ratio=8.0) >= 150_000).sum()
    )
    assert f"{unsolved} of 5 runs never reached 475" in evidence[2]

    bench = json.loads((root / "bench/results/replay_pays.json").read_text())

    def bench_median(phase: str, name: str) -> float:
        return float(np.median([trial["steps"] for trial in bench[phase][name].values()]))

    hybrid = [
        trial["steps"] for trial in bench["report"]["hybrid mixture 1/4, capacity 500"].values()
    ]
    report_plain = [trial["steps"] for trial in bench["report"]["plain A3C"].values()]
    assert f"median {format_number(np.median(hybrid))} vs plain A3C's " in evidence[4]
    assert format_number(np.median(report_plain)) in evidence[4]
    assert f"one-sided p = {rank_sum_test(hybrid, report_plain, 'less'):.1g}" in evidence[4]
    assert format_number(bench_median("tune", "hybrid fifo, capacity 500")) in evidence[5]
    assert format_number(bench_median("tune", "plain A3C")) in evidence[5]
    assert format_number(bench_median("tune", "fifo, replay ratio 8")) in evidence[2]

    follow = pd.read_csv(root / "results/follow-up" / RUNS_FILE)
    grid = follow[follow["env"] == "a3cmem/GridWorld-v0"]
    values = grid.loc[grid["variant"] == "per+dedup", "final_return"]
    reference = grid.loc[grid["variant"] == "none", "final_return"]
    assert f"median {values.median():.4f} vs plain A3C's {reference.median():.4f}" in evidence[8]
    assert f"A = {probability_of_superiority(values, reference):.2f}" in evidence[8]
    assert f"p = {rank_sum_test(values, reference, 'greater'):.2g}" in evidence[8]
