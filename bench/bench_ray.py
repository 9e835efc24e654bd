"""What Ray costs on a small machine: env steps/s and learner updates/s of one run, local
backend vs Ray, and the wall time of a tiny study, local vs Ray; the backends interleaved
(their order alternates from round to round), so both see the same machine load.

Each run is timed at two budgets: the difference gives the steady rate (steps/s once the
workers run) and the rest is the fixed cost of starting and stopping them.

Run from the repository root::

    python bench/bench_ray.py                   # 3 rounds, 20,000 and 4,000 steps
    python bench/bench_ray.py --rounds 5 --steps 50000

Writes ``bench/results/ray.json`` and ``bench/results/ray.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from a3cmem_lib.distributed.ray_runtime import ensure_ray
from a3cmem_lib.experiments.machine import describe_machine
from a3cmem_lib.experiments.study import StudyConfig, run_study
from a3cmem_lib.training import TrainConfig, train

RESULTS = Path(__file__).resolve().parent / "results"
MEMORIES = ["none", "fifo"]
BACKENDS = ["local", "ray"]
WORKERS = 2


def timed_run(memory: str, backend: str, steps: int) -> dict:
    """One CartPole run: wall time, env steps and learner updates."""
    config = TrainConfig(
        num_workers=WORKERS, total_steps=steps, memory=memory, backend=backend, progress=False
    )
    result = train(config)
    updates = result.memory_stats["learner_updates"] if result.memory_stats else 0
    return {"seconds": result.wall_time, "steps": result.steps_this_run, "updates": updates}


def timed_study(backend: str, seeds: int, steps: int) -> float:
    """Wall time of a study of 2 variants x ``seeds`` seeds (1 worker each) in a fresh folder."""
    study = StudyConfig(
        envs=("CartPole-v1",),
        variants=("none", "fifo"),
        seeds=seeds,
        steps={"CartPole-v1": steps},
        base=TrainConfig(num_workers=1, progress=False),
    )
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        run_study(study, out, progress=False, backend=backend)
        return time.perf_counter() - start


def steady(long: dict, short: dict, key: str) -> float:
    """The rate of ``key`` between the short and the long run (per second)."""
    return (long[key] - short[key]) / (long["seconds"] - short["seconds"])


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure(rounds: int, steps: int, short: int, seeds: int, study_steps: int) -> dict:
    """Every measurement, ``rounds`` times, backends interleaved."""
    start = time.perf_counter()
    ensure_ray(num_cpus=WORKERS + 1)
    ray_start = time.perf_counter() - start
    runs = {f"{m}/{b}": [] for m in MEMORIES for b in BACKENDS}
    studies = {b: [] for b in BACKENDS}
    for round_index in range(rounds):
        order = BACKENDS if round_index % 2 == 0 else BACKENDS[::-1]
        for memory in MEMORIES:
            for backend in order:
                long, brief = timed_run(memory, backend, steps), timed_run(memory, backend, short)
                runs[f"{memory}/{backend}"].append({"long": long, "short": brief})
                print(memory, backend, long, brief, flush=True)
        for backend in order:
            studies[backend].append(timed_study(backend, seeds, study_steps))
            print("study", backend, studies[backend][-1], flush=True)
    return {"ray_start_seconds": ray_start, "runs": runs, "studies": studies}


def table_rows(results: dict) -> list[dict]:
    """One row per (memory, backend): medians over the rounds."""
    rows = []
    for key, pairs in results["runs"].items():
        memory, backend = key.split("/")
        longs = [pair["long"] for pair in pairs]
        row = {
            "memory": memory,
            "backend": backend,
            "steps_per_s": summary([r["steps"] / r["seconds"] for r in longs]),
            "steady_steps_per_s": summary([steady(p["long"], p["short"], "steps") for p in pairs]),
            "fixed_seconds": summary(
                [
                    p["short"]["seconds"]
                    - p["short"]["steps"] / steady(p["long"], p["short"], "steps")
                    for p in pairs
                ]
            ),
        }
        if memory != "none":
            row["updates_per_s"] = summary([r["updates"] / r["seconds"] for r in longs])
        rows.append(row)
    return rows


def markdown(results: dict) -> str:
    settings = results["settings"]
    fmt = lambda s, d=0: f"{s['median']:,.{d}f} ({s['min']:,.{d}f}–{s['max']:,.{d}f})"  # noqa: E731
    lines = [
        "# Ray backend vs local backend (CartPole-v1)",
        "",
        f"Command: `{results['command']}`  ",
        f"Measured {results['date']} on: {results['machine']}",
        "",
        f"{settings['rounds']} rounds, the backends interleaved; median (range) over the rounds. "
        f"{WORKERS} workers; the Ray instance was started once "
        f"({results['ray_start_seconds']:.1f} s, not in the times below) with "
        f"{WORKERS + 1} logical CPUs (one per actor) on this machine's cores.",
        "",
        f"## One run: {settings['steps']:,} env steps (and {settings['short']:,} for the "
        "steady rate)",
        "",
        "| memory | backend | env steps/s (whole run) | env steps/s (steady) | fixed cost (s) "
        "| learner updates/s |",
        "|---|---|---|---|---|---|",
    ]
    for row in results["rows"]:
        updates = fmt(row["updates_per_s"]) if "updates_per_s" in row else "—"
        lines.append(
            f"| {row['memory']} | {row['backend']} | {fmt(row['steps_per_s'])} "
            f"| {fmt(row['steady_steps_per_s'])} | {fmt(row['fixed_seconds'], 1)} | {updates} |"
        )
    ratios = results["ratios"]
    lines += [
        "",
        "Ray ÷ local, medians of the whole-run rates: "
        + ", ".join(f"{name} {value:.2f}" for name, value in ratios.items())
        + ".",
        "",
        f"## A study: 2 variants × {settings['seeds']} seeds × {settings['study_steps']:,} "
        "steps, 1 worker per run",
        "",
        "| backend | wall time (s) |",
        "|---|---|",
    ]
    for backend, times in results["studies"].items():
        lines.append(f"| {backend} | {fmt(summary(times), 1)} |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20_000, help="budget of the long runs")
    parser.add_argument("--short", type=int, default=4_000, help="budget of the short runs")
    parser.add_argument("--seeds", type=int, default=2, help="seeds per variant in the study")
    parser.add_argument("--study-steps", type=int, default=5_000, help="budget of a study run")
    args = parser.parse_args()
    results = measure(args.rounds, args.steps, args.short, args.seeds, args.study_steps)
    results["settings"] = vars(args)
    results["command"] = " ".join(["python", "bench/bench_ray.py", *sys.argv[1:]])
    results["date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    results["machine"] = describe_machine()
    results["rows"] = table_rows(results)
    by_key = {(row["memory"], row["backend"]): row for row in results["rows"]}
    results["ratios"] = {
        f"env steps/s ({memory})": by_key[(memory, "ray")]["steps_per_s"]["median"]
        / by_key[(memory, "local")]["steps_per_s"]["median"]
        for memory in MEMORIES
    }
    results["ratios"]["learner updates/s (fifo)"] = (
        by_key[("fifo", "ray")]["updates_per_s"]["median"]
        / by_key[("fifo", "local")]["updates_per_s"]["median"]
    )
    results["ratios"]["study wall time"] = statistics.median(
        results["studies"]["ray"]
    ) / statistics.median(results["studies"]["local"])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ray.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "ray.md").write_text(markdown(results))
    print((RESULTS / "ray.md").read_text())


if __name__ == "__main__":
    main()
