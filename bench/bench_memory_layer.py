"""The memory layer's cost and payoff: learner throughput per memory variant, and env steps
and wall time to solve CartPole-v1 per variant, side by side with plain A3C in one run.

Run from the repository root::

    python bench/bench_memory_layer.py              # 3 seeds, 300k-step budget
    python bench/bench_memory_layer.py --seeds 5 --budget 500000

Writes ``bench/results/memory_layer.json`` and ``bench/results/memory_layer.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from cartpole_solve import TARGET, train_until_solved

from a3cmem_lib.agent.model import ActorCritic
from a3cmem_lib.agent.shared_optim import SharedAdam
from a3cmem_lib.experiments.machine import describe_machine
from a3cmem_lib.training import TrainConfig
from a3cmem_lib.training.learner import Learner
from a3cmem_lib.training.memory_layer import MemoryLayer
from a3cmem_lib.training.segments import Segment, random_policy_segments

RESULTS = Path(__file__).resolve().parent / "results"
REPLAY_VARIANTS = ["fifo", "per", "fifo+dedup", "per+dedup"]
SOLVE_VARIANTS = ["none", "fifo", "per", "per+dedup"]


def learner_throughput(variant: str, segments: list[Segment], seconds: float) -> dict:
    """Replays per second of one memory layer (sample, learner update, new priorities),
    threads pinned to 1. Seconds are this thread's CPU time, so that other jobs on the
    machine do not lower the rate (on a free core it is the wall-clock rate)."""
    config = TrainConfig(memory=variant, total_steps=10**6, learning_rate=1e-4)
    torch.manual_seed(0)
    model = ActorCritic(4, 2, config.hidden_sizes)
    model.share_memory()
    optimizer = SharedAdam(model.parameters(), lr=config.learning_rate, fused=True)
    layer = MemoryLayer(config, model, optimizer)
    for segment in segments:
        layer.memory.push(segment, 1.0)
    for _ in range(20):
        layer.replay(0)
    updates, start = 0, time.thread_time()
    while time.thread_time() - start < seconds:
        layer.replay(updates)
        updates += 1
    elapsed = time.thread_time() - start
    steps_per_segment = float(np.mean([segment.valid.sum() for segment in segments]))
    return {
        "updates_per_s": updates / elapsed,
        "segments_per_s": updates * config.batch_size / elapsed,
        "transitions_per_s": updates * config.batch_size * steps_per_segment / elapsed,
    }


def learner_alone(segments: list[Segment], seconds: float) -> float:
    """Updates per second of :meth:`Learner.update` alone, on batches sampled beforehand
    (the same batch size as the memory layer's), threads pinned to 1, per CPU second of this
    thread as in :func:`learner_throughput`."""
    config = TrainConfig(memory="fifo", total_steps=10**6, learning_rate=1e-4)
    torch.manual_seed(0)
    model = ActorCritic(4, 2, config.hidden_sizes)
    model.share_memory()
    learner = Learner.from_config(
        config, model, SharedAdam(model.parameters(), lr=config.learning_rate, fused=True)
    )
    rng = np.random.default_rng(0)
    batches = [
        Segment(*(np.stack(field) for field in zip(*chosen, strict=True)))
        for chosen in (
            [segments[i] for i in rng.choice(len(segments), config.batch_size)] for _ in range(64)
        )
    ]
    for batch in batches[:20]:
        learner.update(batch)
    updates, start = 0, time.thread_time()
    while time.thread_time() - start < seconds:
        learner.update(batches[updates % len(batches)])
        updates += 1
    return updates / (time.thread_time() - start)


def solve(variant: str, seed: int, budget: int) -> dict:
    """Train until the 100-episode mean return reaches 475 (or the budget runs out)."""
    result, first = train_until_solved(seed, budget, memory=variant)
    return {
        "variant": variant,
        "seed": seed,
        "solved": first is not None,
        "steps": int(first["global_step"]) if first is not None else None,
        "seconds": float(first["wall_time"]) if first is not None else None,
        "steps_per_s": result.steps_per_second,
    }


def spread(values: list[float], digits: int = 0) -> str:
    """Median (min–max) of ``values``, or a dash when there are none."""
    if not values:
        return "–"
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid:,.{digits}f} ({low:,.{digits}f}–{high:,.{digits}f})"


def markdown(results: dict, command: str) -> str:
    info = results["machine"]
    lines = [
        "# The memory layer: learner throughput and time to solve CartPole-v1",
        "",
        f"Command: `{command}`  ",
        f"Machine: {info['processor']} ({info['cpus']} CPUs), Python {info['python']}, "
        f"torch {info['torch']}, numpy {info['numpy']}; {info['date']}.",
        "",
        "## Learner throughput (one learner, 1 thread, batch of "
        f"{results['batch_size']} segments of up to {results['t_max']} steps)",
        "",
        "Rates per CPU second of the learner's thread (other jobs on the machine do not "
        "lower them; on a free core they are wall-clock rates).",
        "",
        "| memory | updates/s | segments sampled/s | transitions sampled/s |",
        "|---|---|---|---|",
    ]
    for variant, row in results["throughput"].items():
        lines.append(
            f"| {variant} | {row['updates_per_s']:,.0f} | {row['segments_per_s']:,.0f} | "
            f"{row['transitions_per_s']:,.0f} |"
        )
    if "learner_alone_updates_per_s" in results:  # results files before issue 13 lack it
        lines += [
            "",
            "`Learner.update` alone, on batches sampled beforehand: "
            f"{results['learner_alone_updates_per_s']:,.0f} updates/s.",
        ]
    lines += [
        "",
        f"## Solving CartPole-v1 (100-episode mean ≥ {TARGET:g}), {results['seeds']} seeds, "
        f"budget {results['budget']:,} steps, {results['workers']} workers",
        "",
        "Median (range) over the seeds that solved it.",
        "",
        "| memory | solved | env steps to solve | seconds to solve | env steps/s |",
        "|---|---|---|---|---|",
    ]
    for variant in results["variants"]:
        runs = [run for run in results["solve"] if run["variant"] == variant]
        solved = [run for run in runs if run["solved"]]
        rate = statistics.median(run["steps_per_s"] for run in runs)
        lines.append(
            f"| {variant} | {len(solved)}/{len(runs)} | {spread([r['steps'] for r in solved])} | "
            f"{spread([r['seconds'] for r in solved], digits=1)} | {rate:,.0f} |"
        )
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=int, default=300_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="per throughput measurement")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the .md from the saved .json"
    )
    args = parser.parse_args()
    if args.report_only:
        results = json.loads((RESULTS / "memory_layer.json").read_text())
        (RESULTS / "memory_layer.md").write_text(markdown(results, _command(results)))
        return
    torch.set_num_threads(1)
    config = TrainConfig()
    segments = random_policy_segments("CartPole-v1", config.capacity, config.t_max)
    throughput = {}
    for variant in REPLAY_VARIANTS:
        throughput[variant] = learner_throughput(variant, segments, args.seconds)
        print(variant, throughput[variant], flush=True)
    learner_rate = learner_alone(segments, args.seconds)
    print("learner alone", learner_rate, flush=True)
    runs = []
    for seed in range(args.seeds):
        for variant in SOLVE_VARIANTS:  # interleaved, so background load hits all alike
            runs.append(solve(variant, seed, args.budget))
            print(runs[-1], flush=True)
    results = {
        "throughput": throughput,
        "learner_alone_updates_per_s": learner_rate,
        "solve": runs,
        "variants": SOLVE_VARIANTS,
        "seeds": args.seeds,
        "budget": args.budget,
        "workers": config.num_workers,
        "batch_size": config.batch_size,
        "t_max": config.t_max,
        "machine": {
            **describe_machine(),
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "memory_layer.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "memory_layer.md").write_text(markdown(results, _command(results)))
    print(markdown(results, _command(results)))


def _command(results: dict) -> str:
    command = "python bench/bench_memory_layer.py"
    if (results["seeds"], results["budget"]) != (3, 300_000):
        command += f" --seeds {results['seeds']} --budget {results['budget']}"
    return command


if __name__ == "__main__":
    main()
