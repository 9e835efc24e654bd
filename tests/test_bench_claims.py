"""What the website's Benchmarks page (``book/benchmarks.md``) and the README say of the
committed benchmark results is what they hold: the targets of the benchmarks, met or not, with
the numbers the page quotes, and the chapters' time limit the README states. (Benchmarks
measure speed; these tests only read their committed results, never time anything.)"""

from __future__ import annotations

import importlib.util
import json
import re
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BENCHMARKS = (ROOT / "book" / "benchmarks.md").read_text()


def _results(name: str) -> dict:
    return json.loads((ROOT / "bench/results" / f"{name}.json").read_text())


def _target_row(number: int) -> str:
    (row,) = [line for line in BENCHMARKS.splitlines() if line.startswith(f"| {number}. ")]
    return row


def test_a3c_against_ppo_is_quoted_as_measured() -> None:
    ratio = _results("a3c_cartpole")["ratios"]["a3c_tuned_vs_ppo"]
    row = _target_row(1)
    for words, value, limit in (
        ("whole-process wall time", ratio["process_seconds"], 1 / 3),
        ("CPU seconds", ratio["cpu_seconds"], 1 / 2),
        ("env steps", ratio["steps"], 1.0),
    ):
        verdict = "met" if value <= limit and (words != "env steps" or value < 1) else "not met"
        assert f"{words} **{verdict}** ({value:.2f}×)" in row, (words, value, row)


def test_start_up_under_spawn_is_quoted_as_measured() -> None:
    startup = _results("startup")
    runs = startup["runs"]["spawn"]["train()"]
    medians = {
        version: {
            key: statistics.median(run[key] for run in runs[version])
            for key in ("first_step", "total")
        }
        for version in (startup["before"], startup["after"])
    }
    after, before = medians[startup["after"]], medians[startup["before"]]
    row = _target_row(5)
    assert row.startswith("| 5. start-up measured and cut where it dominates | met: ")
    assert after["first_step"] <= 1.5 and after["total"] <= 4.0
    assert (
        f"first env step in {after['first_step']:.2f} s (from {before['first_step']:.2f} s)" in row
    )
    assert f"ends in {after['total']:.2f} s (from {before['total']:.2f} s)" in row
    section = BENCHMARKS[
        BENCHMARKS.index("## Start-up") : BENCHMARKS.index("## The chapters' running times")
    ]
    quoted = re.search(r"takes the\s+(\S+) s and (\S+) s of the table", section)
    assert quoted.groups() == (f"{before['first_step']:.2f}", f"{before['total']:.2f}")


def test_every_chapter_runs_under_the_limit_the_readme_states() -> None:
    chapters = _results("chapters")["chapters"]
    notebooks = sorted(path.name for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(chapters) == notebooks
    assert "none above 90 s" in README
    assert max(run["pytest_seconds"] for run in chapters.values()) <= 90


def _median_steps(runs: list[dict], key: str) -> float:
    return statistics.median(float("inf") if run[key] is None else run[key] for run in runs)


def test_acers_targets_in_the_readme_are_recomputed_from_its_runs() -> None:
    """Each target of ACER against plain A3C, with the ratio reached and by how much it
    missed, recomputed from the committed runs one by one."""
    runs = _results("acer_cartpole")["runs"]
    acer, plain = runs["acer"], runs["a3c"]
    wall = statistics.median(
        mine["process_seconds"] / theirs["process_seconds"]
        for mine, theirs in zip(acer, plain, strict=True)
    )
    for words, value, bound in (
        (
            "env steps to the 100-episode criterion",
            _median_steps(acer, "steps") / _median_steps(plain, "steps"),
            0.75,
        ),
        (
            "env steps to the 20-episode criterion",
            _median_steps(acer, "steps_20") / _median_steps(plain, "steps_20"),
            0.5,
        ),
        ("whole-process wall time", wall, 1.0),
    ):
        (row,) = [line for line in README.splitlines() if line.startswith(f"| {words} (")]
        verdict = "met" if value <= bound else f"not met: {value / bound:.2f}× the bound"
        assert row.endswith(f"| ≤ {bound:g} | {value:.2f} | {verdict} |"), (row, value)


def test_make_bench_reruns_the_command_each_results_file_records() -> None:
    """``python bench/run_all.py`` (``make bench``) repeats, exactly, the command each file of
    ``bench/results/`` says wrote it; only the runs that chose ACER's defaults (seeds
    100-104, tuning) are not repeated."""
    spec = importlib.util.spec_from_file_location("run_all", ROOT / "bench/run_all.py")
    run_all = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_all)
    commands = {
        "python " + " ".join(["bench/" + script, *args]) for script, *args in run_all.COMMANDS
    }
    tuning = {"acer_cartpole_seeds100.md", "acer_cartpole_seeds103.md"}
    recorded = {}
    for result in sorted((ROOT / "bench/results").glob("*.md")):
        (command,) = re.findall(r"^Command: `([^`]+)`", result.read_text(), flags=re.MULTILINE)
        recorded[result.name] = command
    assert {name for name, command in recorded.items() if command not in commands} == tuning
    assert len(commands) == len(recorded) - len(tuning)
