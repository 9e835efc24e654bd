"""What Ray costs on a small machine: env steps/s and learner updates/s of one run, local
backend vs Ray, and the wall time of a tiny study, local vs Ray; the backends interleaved
(their order alternates from round to round), so both see the same machine load.

Besides the whole run's rates, the steady rate is read off the run's own episode table
(steps between its first and last episode over the seconds between them: the workers are
running by then), and the fixed cost is the rest of the wall time (starting and stopping
the workers or actors).

Run from the repository root::

    python bench/bench_ray.py                   # 3 rounds of 40,000-step runs
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

from a3cmem_lib.experiments.machine import describe_machine
from a3cmem_lib.experiments.study import StudyConfig, run_study
from a3cmem_lib.training import TrainConfig, train
from a3cmem_lib.training.backends.ray_runtime import ensure_ray

RESULTS = Path(__file__).resolve().parent / "results"
MEMORIES = ["none", "fifo"]
BACKENDS = ["local", "ray"]
WORKERS = 2


def timed_run(memory: str, backend: str, steps: int) -> dict:
    """One CartPole run: wall time, env steps, learner updates and the steady step rate."""
    config = TrainConfig(
        num_workers=WORKERS,
        total_steps=steps,
        memory=memory,
        backend=backend,
        progress=False,
        # this process is connected to Ray: forking it can break Ray's connections
        start_method="forkserver" if backend == "local" else None,
    )
    result = train(config)
    updates = result.memory_stats["learner_updates"] if result.memory_stats else 0
    first, last = result.episodes.iloc[0], result.episodes.iloc[-1]
    steady = (last["global_step"] - first["global_step"]) / (last["wall_time"] - first["wall_time"])
    return {
        "seconds": result.wall_time,
        "steps": result.steps_this_run,
        "updates": updates,
        "steady_steps_per_s": float(steady),
    }


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


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure(rounds: int, steps: int, seeds: int, study_steps: int) -> dict:
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
                runs[f"{memory}/{backend}"].append(timed_run(memory, backend, steps))
                print(memory, backend, runs[f"{memory}/{backend}"][-1], flush=True)
        for backend in order:
            studies[backend].append(timed_study(backend, seeds, study_steps))
            print("study", backend, studies[backend][-1], flush=True)
    return {"ray_start_seconds": ray_start, "runs": runs, "studies": studies}


def table_rows(results: dict) -> list[dict]:
    """One row per (memory, backend): medians over the rounds."""
    rows = []
    for key, runs in results["runs"].items():
        memory, backend = key.split("/")
        row = {
            "memory": memory,
            "backend": backend,
            "steps_per_s": summary([r["steps"] / r["seconds"] for r in runs]),
            "steady_steps_per_s": summary([r["steady_steps_per_s"] for r in runs]),
            "fixed_seconds": summary(
                [r["seconds"] - r["steps"] / r["steady_steps_per_s"] for r in runs]
            ),
        }
        if memory != "none":
            row["updates_per_s"] = summary([r["updates"] / r["seconds"] for r in runs])
            # replays follow the pushes: steady updates/s = updates per step x steady steps/s
            row["steady_updates_per_s"] = summary(
                [r["updates"] / r["steps"] * r["steady_steps_per_s"] for r in runs]
            )
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
        f"## One run: {settings['steps']:,} env steps",
        "",
        "Whole run: the run's steps (updates) over its wall time. Steady: between the run's "
        "first and last episode. Fixed cost: wall time minus steps over the steady rate.",
        "",
        "| memory | backend | env steps/s (whole run) | env steps/s (steady) | fixed cost (s) "
        "| learner updates/s (whole run) | learner updates/s (steady) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results["rows"]:
        updates = fmt(row["updates_per_s"]) if "updates_per_s" in row else "—"
        steady_updates = fmt(row["steady_updates_per_s"]) if "steady_updates_per_s" in row else "—"
        lines.append(
            f"| {row['memory']} | {row['backend']} | {fmt(row['steps_per_s'])} "
            f"| {fmt(row['steady_steps_per_s'])} | {fmt(row['fixed_seconds'], 1)} | {updates} "
            f"| {steady_updates} |"
        )
    ratios = results["ratios"]
    lines += [
        "",
        "Ray ÷ local, medians: "
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
    parser.add_argument("--steps", type=int, default=40_000, help="budget of each run")
    parser.add_argument("--seeds", type=int, default=2, help="seeds per variant in the study")
    parser.add_argument("--study-steps", type=int, default=5_000, help="budget of a study run")
    args = parser.parse_args()
    results = measure(args.rounds, args.steps, args.seeds, args.study_steps)
    results["settings"] = vars(args)
    results["command"] = " ".join(["python", "bench/bench_ray.py", *sys.argv[1:]])
    results["date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    results["machine"] = describe_machine()
    results["rows"] = table_rows(results)
    by_key = {(row["memory"], row["backend"]): row for row in results["rows"]}
    results["ratios"] = {
        f"{rate.replace('_', ' ')} ({memory})": by_key[(memory, "ray")][rate]["median"]
        / by_key[(memory, "local")][rate]["median"]
        for memory in MEMORIES
        for rate in ("steps_per_s", "steady_steps_per_s")
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
