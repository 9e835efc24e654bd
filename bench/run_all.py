"""Run every benchmark, one after the other (``make bench``).

Each script writes its own results to ``bench/results/``; the website's Benchmarks page
(``book/benchmarks.md``) quotes and discusses them.
Benchmarks measure speed on the machine they run on and are never part of ``make test``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = [
    "bench_memory.py",
    "bench_acting.py",
    "bench_a3c_cartpole.py",
    "bench_memory_layer.py",
    "bench_regimes.py",
    "bench_startup.py",
    "bench_chapters.py",
    "bench_replay_pays.py",
    "bench_ray.py",
]


def main() -> None:
    for script in SCRIPTS:
        print(f"== {script}", flush=True)
        subprocess.run([sys.executable, str(BENCH / script)], check=True)


if __name__ == "__main__":
    main()
