"""The README's answer and the benchmark tables the README and the website's pages quote
are rendered from the committed results, not typed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest
from study_fakes import fake_follow_up

from a3cmem_lib.experiments import answer
from a3cmem_lib.experiments.follow_ups import FOLLOW_UP_FOLDERS
from a3cmem_lib.experiments.measures import compute_table
from a3cmem_lib.experiments.results_tables import render_tables

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("render_readme", ROOT / "tools/render_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_rendered_block_is_what_the_committed_results_render() -> None:
    tool = _tool()
    files = tool.rendered_files(ROOT)
    assert ROOT / "README.md" in files and ROOT / "book" / "benchmarks.md" in files
    readme = (ROOT / "README.md").read_text()
    assert tool.updated(readme, ROOT / "results") == readme, (
        "README.md's rendered block is out of date: run python tools/render_readme.py"
    )
    stale = [str(path.relative_to(ROOT)) for path, (text, new) in files.items() if new != text]
    assert stale == [], f"rendered blocks out of date in {stale}: run python tools/render_readme.py"


def test_the_quoted_benchmark_tables_are_where_the_prose_expects_them() -> None:
    """The tables the README quoted before it became a landing page are quoted on the pages
    they moved to; the README keeps the answer and ACER's targets with the ratios reached."""
    quoted = {
        path.name: {match["file"] for match in _tool().TABLE_BEGIN.finditer(path.read_text())}
        for path in (ROOT / "README.md", ROOT / "book" / "benchmarks.md")
    }
    assert quoted["benchmarks.md"] == {
        "bench/results/a3c_cartpole.md",
        "bench/results/acer_cartpole.md",
        "bench/results/acer_cartpole_seeds5.md",
        "bench/results/startup.md",
        "bench/results/chapters.md",
    }
    assert quoted["README.md"] == {"bench/results/acer_cartpole.md"}  # ACER's targets


def test_the_tool_needs_both_markers_once() -> None:
    tool = _tool()
    with pytest.raises(ValueError, match="each marker once"):
        tool.updated("no markers here", ROOT / "results")


def test_the_tool_rewrites_only_the_block(tmp_path: Path) -> None:
    tool = _tool()
    readme = f"before\n{tool.BEGIN}\nstale 1,234\n{tool.END}\nafter\n"
    new = tool.updated(readme, ROOT / "results")
    assert new.startswith(f"before\n{tool.BEGIN}\n") and new.endswith(f"{tool.END}\nafter\n")
    assert "stale 1,234" not in new and "**When does a memory layer help A3C?**" in new
    rendered = answer.render_answer(ROOT / "results")
    assert new == f"before\n{tool.BEGIN}\n{rendered}\n{tool.END}\nafter\n"


def test_the_tool_rewrites_the_pages_quoted_tables(tmp_path: Path) -> None:
    tool = _tool()
    for folder in ("book", "bench/results", "results"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "bench/results/x.md").write_text("# X\n\n| a |\n|---|\n| 1.5 |\n")
    for quoted in ("acer_cartpole.md",):  # what the README quotes
        (tmp_path / "bench/results" / quoted).symlink_to(ROOT / "bench/results" / quoted)
    (tmp_path / "results").rmdir()
    (tmp_path / "results").symlink_to(ROOT / "results")
    # The README as this environment renders it (its answer's digits may differ in another
    # environment's pandas and scipy; the main environment's test compares them with the
    # committed README): a page without quoted tables is left as it is.
    readme = tool.updated((ROOT / "README.md").read_text(), tmp_path / "results")
    (tmp_path / "README.md").write_text(readme)
    opening = "<!-- table from bench/results/x.md: do not edit by hand -->"
    page = f"# P\n\n{opening}\n| a |\n|---|\n| 9.9 |\n{tool.TABLE_END}\n"
    (tmp_path / "book/p.md").write_text(page)
    (tmp_path / "book/q.md").write_text("# Q, no quoted table\n")
    files = tool.rendered_files(tmp_path)
    assert files[tmp_path / "book/p.md"] == (page, page.replace("9.9", "1.5"))
    assert files[tmp_path / "book/q.md"][0] == files[tmp_path / "book/q.md"][1]
    assert files[tmp_path / "README.md"] == (readme, readme)


def test_a_quoted_benchmark_table_is_the_table_its_marker_names(tmp_path: Path) -> None:
    tool = _tool()
    (tmp_path / "bench/results").mkdir(parents=True)
    (tmp_path / "bench/results/x.md").write_text("# X\n\n| a |\n|---|\n| 1.5 |\n\n| b |\n")
    opening = "<!-- table from bench/results/x.md: do not edit by hand -->"
    readme = f"intro\n{opening}\n| a |\n|---|\n| 9.9 |\n{tool.TABLE_END}\noutro\n"
    assert tool.quote_tables(readme, tmp_path) == (
        f"intro\n{opening}\n| a |\n|---|\n| 1.5 |\n{tool.TABLE_END}\noutro\n"
    )
    second = opening.replace("table from", "table 2 from")
    assert tool.quote_tables(readme.replace(opening, second), tmp_path) == (
        f"intro\n{second}\n| b |\n{tool.TABLE_END}\noutro\n"
    )
    with pytest.raises(ValueError, match="no Markdown table number 3 in the file \\(2 there\\)"):
        tool.quote_tables(readme.replace(opening, opening.replace("table", "table 3")), tmp_path)
    with pytest.raises(ValueError, match="has no"):
        tool.quote_tables(f"{opening}\n| a |\n", tmp_path)
    (tmp_path / "bench/results/x.md").write_text("no table\n")
    with pytest.raises(ValueError, match="no Markdown table number 1"):
        tool.quote_tables(readme, tmp_path)


def _fake_replay_pays(tmp_path: Path, faster: float) -> Path:
    """results/ with the committed axes and a made-up complete replay-pays follow-up in which
    every memory variant needs ``faster`` times plain A3C's steps."""
    return fake_follow_up(
        tmp_path,
        "replay-pays",
        ROOT / "results",
        lambda env_id, variant: 1.0 if variant == "none" else faster,
    )


def test_the_answer_follows_the_data(tmp_path: Path) -> None:
    faster = answer.render_answer(_fake_replay_pays(tmp_path / "a", 0.5))
    assert "`hybrid-fifo` needs fewer steps to the 20-episode threshold: **holds**" in faster
    assert "`fifo-ratio-8` needs more steps to a 100-episode mean" in faster
    assert "**not supported** (median 50,450 against 100,900" in faster
    assert "`none` 0.100 updates and 0.17 CPU ms per env step" in faster
    slower = answer.render_answer(_fake_replay_pays(tmp_path / "b", 2.0))
    assert "`hybrid-fifo` needs fewer steps to the 20-episode threshold: **not supported**" in (
        slower
    )
    table = render_tables(tmp_path / "b")
    assert "| 5 | CartPole-v1 | hybrid-mixture | needs fewer steps to a 100-episode mean" in table


def test_an_incomplete_follow_up_gives_no_conclusion(tmp_path: Path) -> None:
    root = _fake_replay_pays(tmp_path, 0.5)
    runs_path = root / FOLLOW_UP_FOLDERS["replay-pays"] / "runs.csv"
    runs = pd.read_csv(runs_path)
    runs.iloc[:-1].to_csv(runs_path, index=False)
    text = answer.render_answer(root)
    assert "is not complete; no conclusion yet" in text
    assert "`fifo-ratio-8` needs" not in text and "`hybrid-fifo` needs" not in text
    assert "69/70 runs committed" not in text
    assert "**Follow-up `replay-pays`**: 69 of 70 runs committed" in render_tables(root)


def test_compute_table_reports_updates_and_cpu_per_env_step() -> None:
    runs = pd.DataFrame(
        {
            "env": "E",
            "variant": ["none", "none", "fifo"],
            "env_steps": [1000, 1000, 1000],
            "updates": [100.0, 120.0, 150.0],
            "learner_updates": [0.0, 0.0, 50.0],
            "updates_per_env_step": [0.1, 0.12, 0.15],
            "cpu_seconds": [2.0, 4.0, 5.0],
        }
    )
    table = compute_table(runs).set_index("variant")
    assert table.loc["none", "runs"] == 2 and table.loc["none", "cpu_ms_per_env_step"] == 3.0
    assert table.loc["fifo", "learner_share"] == pytest.approx(1 / 3)
    assert table.loc["none", "updates_per_env_step"] == pytest.approx(0.11)


def test_who_or_what_follows_the_follow_up(tmp_path: Path) -> None:
    faster = answer.render_who_or_what(_fake_replay_pays(tmp_path / "a", 0.5))
    assert "Replay *added* to A3C's own updates reached the threshold in fewer" in faster
    slower = answer.render_who_or_what(_fake_replay_pays(tmp_path / "b", 2.0))
    assert "Replay that *replaces* them" not in slower
    assert "does not single out who updates as the cause" in slower
    root = _fake_replay_pays(tmp_path / "c", 0.5)
    runs_path = root / FOLLOW_UP_FOLDERS["replay-pays"] / "runs.csv"
    pd.read_csv(runs_path).iloc[:3].to_csv(runs_path, index=False)
    assert "not complete yet (3 of 70 runs committed)" in answer.render_who_or_what(root)


def test_bad_inputs_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="root: no axis's runs.csv"):
        answer.render_answer(tmp_path)
    with pytest.raises(ValueError, match="root: no axis's runs.csv"):
        render_tables(tmp_path)
    runs = pd.DataFrame({"env": ["E"], "variant": ["none"], "env_steps": [10]})
    with pytest.raises(ValueError, match=r"runs lacks the columns \['cpu_seconds', 'learner_upd"):
        compute_table(runs)
