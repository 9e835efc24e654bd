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
ACER_BUDGET = ["--seeds", "5", "--budget", "500000"]
COMMANDS = [
    ["bench_memory.py"],
    ["bench_acting.py"],
    ["bench_a3c_cartpole.py"],
    ["bench_memory_layer.py"],
    ["bench_regimes.py"],
    ["bench_startup.py"],
    ["bench_chapters.py"],
    ["bench_replay_pays.py"],
    ["bench_ray.py"],
    [
        "bench_acer.py",
        *ACER_BUDGET,
        "--methods",
        "acer_no_trust_region",
        "acer_no_bias_correction",
        "acer_replay_ratio_0",
        "acer_replay_ratio_1",
        "acer_replay_ratio_8",
    ],
    ["bench_acer.py", "--first-seed", "5", *ACER_BUDGET, "--methods", "a3c_tuned"],
]
"""Each benchmark as its script and arguments: the commands that wrote the committed
results (ACER's defaults were chosen with ``bench_acer.py --first-seed 100``, a tuning run,
not repeated here)."""


def main() -> None:
    for script, *arguments in COMMANDS:
        print(f"== {script} {' '.join(arguments)}", flush=True)
        subprocess.run([sys.executable, str(BENCH / script), *arguments], check=True)


if __name__ == "__main__":
    main()
