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
    ["bench_memory.py", "--rounds", "20"],
    ["bench_acting.py"],
    ["bench_a3c_cartpole.py", "--seeds", "5", "--budget", "500000"],
    ["bench_memory_layer.py"],
    ["bench_regimes.py", "--seeds", "3"],
    ["bench_startup.py"],
    ["bench_chapters.py"],
    ["bench_replay_pays.py"],
    ["bench_ray.py", "--rounds", "3", "--steps", "40000", "--seeds", "2", "--study-steps", "5000"],
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
results, as each results file records them (the runs that chose ACER's defaults,
``bench_acer.py --first-seed 100`` and ``--first-seed 103``, were tuning and are not
repeated)."""


def main() -> None:
    for script, *arguments in COMMANDS:
        print(f"== {script} {' '.join(arguments)}", flush=True)
        subprocess.run([sys.executable, str(BENCH / script), *arguments], check=True)


if __name__ == "__main__":
    main()
