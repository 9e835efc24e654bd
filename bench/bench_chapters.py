"""How long each chapter takes under the test command's nbval run, one chapter at a time.

Each chapter runs in a fresh ``pytest`` process with the README's test command's nbval
options; the seconds are pytest's own (kernel start to the last cell), the wall seconds
include starting pytest. Binder's and CI's machines have 2 cores, and a chapter should run
in well under 90 s there::

    python bench/bench_chapters.py

Writes ``bench/results/chapters.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
NBVAL_OPTIONS = [
    "--nbval-lax",
    "--nbval-current-env",
    "--nbval-sanitize-with",
    "notebooks/sanitize.cfg",
]
"""The notebook options of the README's test command (``make test``)."""
LIMIT_SECONDS = 90.0
"""What a chapter may take on 2 cores."""


def time_chapter(notebook: Path) -> dict:
    """Run one chapter under nbval; its cells, pytest's seconds and the wall seconds."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    command += [str(notebook.relative_to(ROOT)), *NBVAL_OPTIONS]
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - start
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    match = re.search(r"(\d+) passed.* in ([\d.]+)s", summary)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"{notebook.name} failed under nbval:\n{done.stdout[-3000:]}")
    return {"cells": int(match.group(1)), "pytest_seconds": float(match.group(2)), "wall": wall}


def markdown(results: dict) -> str:
    lines = [
        "# Chapters under the test command (nbval)",
        "",
        f"Command: `{results['command']}`  ",
        f"{results['date']}, {results['machine']}. Each chapter alone in a fresh pytest "
        f"process; a chapter should take under {LIMIT_SECONDS:.0f} s on 2 cores.",
        "",
        "| chapter | cells checked | seconds (pytest) | wall seconds (with pytest's start) |",
        "|---|---|---|---|",
    ]
    for name, run in results["chapters"].items():
        lines.append(
            f"| {name} | {run['cells']} | {run['pytest_seconds']:.1f} | {run['wall']:.1f} |"
        )
    total = sum(run["pytest_seconds"] for run in results["chapters"].values())
    slowest = max(results["chapters"].items(), key=lambda item: item[1]["pytest_seconds"])
    lines += [
        "",
        f"All chapters: {total:.0f} s; the slowest, {slowest[0]}, "
        f"{slowest[1]['pytest_seconds']:.1f} s.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.parse_args()
    chapters = {}
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        chapters[notebook.name] = time_chapter(notebook)
        print(notebook.name, chapters[notebook.name], flush=True)
    results = {
        "command": "python bench/bench_chapters.py",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        "chapters": chapters,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "chapters.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "chapters.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
