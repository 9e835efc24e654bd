"""The answer's ACER bullet follows the ``acer`` follow-up's data (made-up results)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from study_fakes import fake_follow_up

from a3cmem_lib.experiments import answer, answer_acer
from a3cmem_lib.experiments.follow_up import REPLAY_PAYS
from a3cmem_lib.experiments.follow_up_acer import ACER, BEST_MEMORY_VARIANTS
from a3cmem_lib.experiments.follow_ups import FOLLOW_UP_FOLDERS, follow_up_results
from a3cmem_lib.experiments.formatting import format_number
from a3cmem_lib.experiments.results_tables import render_tables
from a3cmem_lib.experiments.study_stats import (
    probability_of_superiority,
    rank_sum_test,
    steps_or_budget,
)
from a3cmem_lib.experiments.tables import RUNS_FILE

ROOT = Path(__file__).resolve().parents[1]


def _acer_faster(env_id: str, variant: str) -> float:
    """ACER at half of everyone's steps, the best memory variant at 0.8 of plain A3C's."""
    return {"none": 1.0, "acer": 0.5}.get(variant, 0.8)


def test_the_bullet_says_what_held_against_whom(tmp_path: Path) -> None:
    root = fake_follow_up(tmp_path, "acer", ROOT / "results", _acer_faster)
    text = answer_acer.acer_bullet(root)
    assert text.startswith("- **ACER** (`--learner acer`, chapter 09")
    assert "tested on seeds 400–409" in text
    assert (
        "on CartPole-v1, `acer` needs fewer steps to a 100-episode mean at the threshold "
        "than plain A3C: **holds**" in text
    )
    assert "than `hybrid-fifo`: **holds**" in text
    # the made-up data contradict the KeyDoor hypothesis against per (ACER slower)
    assert "`acer` needs more steps to the threshold than `per`: **not supported**" in text
    assert "than `mixture`: **holds**" in text
    # costs: 120 CPU s against 50 (plain) and 80 (memory variant) for the same steps
    assert "CartPole-v1 0.133 updates" in text
    assert "(2.4× plain A3C's and 1.5× `hybrid-fifo`'s)" in text
    assert text in answer.render_answer(root)


def test_the_answer_opens_with_where_acer_needed_fewer_steps(tmp_path: Path) -> None:
    faster = fake_follow_up(tmp_path / "faster", "acer", ROOT / "results", _acer_faster)
    opening = answer.render_answer(faster).split("\n\n")[0]
    assert (
        "needed fewer environment steps than plain A3C on CartPole-v1, a3cmem/KeyDoor-v0, "
        "a3cmem/GridWorld-v0 and MinAtar/Breakout-v1 (held-out seeds), at 2.4× its CPU per "
        "environment step." in opening
    )
    slower = fake_follow_up(
        tmp_path / "slower", "acer", ROOT / "results", lambda env_id, variant: 1.0
    )
    assert "ACER (chapter 09)" not in answer.render_answer(slower).split("\n\n")[0]
    _, runs, tests = follow_up_results(slower, "acer")
    assert answer_acer.acer_lead(tests, runs) == "" and answer_acer.acer_lead(None, None) == ""


def test_an_incomplete_acer_follow_up_gives_no_conclusion(tmp_path: Path) -> None:
    root = fake_follow_up(tmp_path, "acer", ROOT / "results", _acer_faster)
    runs_path = root / FOLLOW_UP_FOLDERS["acer"] / "runs.csv"
    runs = pd.read_csv(runs_path)
    runs.iloc[:-3].to_csv(runs_path, index=False)
    text = answer_acer.acer_bullet(root)
    total = len(ACER.jobs())
    assert f"is not complete ({total - 3} of {total} runs committed); no conclusion yet" in text
    assert "**holds**" not in text
    assert f"**Follow-up `acer`**: {total - 3} of {total} runs committed" in render_tables(root)


def test_acers_hybrid_fifo_is_the_replay_pays_one() -> None:
    assert ACER.variants["hybrid-fifo"] == REPLAY_PAYS.variants["hybrid-fifo"]


@pytest.mark.parametrize("env_id", sorted(BEST_MEMORY_VARIANTS))
def test_each_hypothesis_against_a_memory_variant_names_the_best_one(env_id: str) -> None:
    against = {h.baseline for h in ACER.hypotheses if h.env == env_id} - {"none"}
    assert against == {BEST_MEMORY_VARIANTS[env_id]}
    assert {h.variant for h in ACER.hypotheses} == {"acer"}


def test_acer_evidence_quotes_the_committed_regime_axis() -> None:
    """Each ``acer`` hypothesis drawn from the regime axis quotes results/regime/runs.csv
    (seeds 0-4): ACER's median, its baseline's, A and the two-sided exact p."""
    regime = pd.read_csv(ROOT / "results" / "regime" / RUNS_FILE)
    regime = regime.assign(steps_to_threshold=steps_or_budget(regime))
    quoted = [h for h in ACER.hypotheses if h.evidence.startswith("regime axis, seeds 0-4")]
    assert len(quoted) >= 4
    for hypothesis in quoted:
        in_env = regime[regime["env"] == hypothesis.env]
        assert sorted(in_env.loc[in_env["variant"] == "acer", "seed"]) == [0, 1, 2, 3, 4]
        values = in_env.loc[in_env["variant"] == hypothesis.variant, hypothesis.measure]
        reference = in_env.loc[in_env["variant"] == hypothesis.baseline, hypothesis.measure]
        whose = "plain A3C's" if hypothesis.baseline == "none" else f"{hypothesis.baseline}'s"
        assert hypothesis.evidence.startswith(
            f"regime axis, seeds 0-4: median {format_number(values.median())} vs {whose} "
            f"{format_number(reference.median())} "
            f"(A = {probability_of_superiority(values, reference):.2f}, "
            f"p = {rank_sum_test(values, reference):.2g}"
        ), hypothesis


def test_acer_evidence_quotes_the_committed_benchmark() -> None:
    """The CartPole hypotheses drawn from ``bench/results/acer_cartpole.json`` (seeds 0-4)
    quote its medians, A and, where given, the one-sided exact p."""
    bench = json.loads((ROOT / "bench" / "results" / "acer_cartpole.json").read_text())
    assert bench["seeds"] == [0, 1, 2, 3, 4]
    for key, criterion in (("steps", "steps_to_threshold_100"), ("steps_20", "steps_to_threshold")):
        acer = pd.Series([run[key] for run in bench["runs"]["acer"]], dtype=float)
        plain = pd.Series([run[key] for run in bench["runs"]["a3c"]], dtype=float)
        quoting = [
            h
            for h in ACER.hypotheses
            if h.env == "CartPole-v1" and h.measure == criterion and h.baseline == "none"
        ]
        assert len(quoting) == 1
        evidence = quoting[0].evidence
        assert f"{format_number(acer.median())} vs " in evidence
        assert f"{format_number(plain.median())}" in evidence
        assert f"A = {probability_of_superiority(acer, plain):.2f}" in evidence
        if "one-sided p" in evidence:
            assert f"one-sided p = {rank_sum_test(acer, plain, 'less'):.1g}" in evidence


def test_the_best_memory_variants_are_the_fastest_committed_ones() -> None:
    """``BEST_MEMORY_VARIANTS`` is what its docstring says: the memory variant with the lowest
    median steps to the threshold over every committed run of chapter 07."""
    results = ROOT / "results"
    memory = {"fifo", "per", "per+dedup", "mixture"}
    pooled = pd.concat(
        [pd.read_csv(results / folder / RUNS_FILE) for folder in ("regime", "follow-up")]
    )
    pooled = pooled[pooled["variant"].isin(memory)]
    pooled = pooled.assign(steps=steps_or_budget(pooled))
    for env_id in ("a3cmem/KeyDoor-v0", "MinAtar/Breakout-v1"):
        medians = pooled[pooled["env"] == env_id].groupby("variant")["steps"].median()
        assert medians.idxmin() == BEST_MEMORY_VARIANTS[env_id], medians
    pays = pd.read_csv(results / FOLLOW_UP_FOLDERS["replay-pays"] / RUNS_FILE)
    pays = pays[(pays["env"] == "CartPole-v1") & (pays["variant"] != "none")]
    pays = pays.assign(steps=steps_or_budget(pays, "steps_to_threshold_100"))
    medians = pays.groupby("variant")["steps"].median()
    assert medians.idxmin() == BEST_MEMORY_VARIANTS["CartPole-v1"], medians
