"""Benchmark: plain A3C on the article's regimes (sparse rewards, image observations) against a
uniform random policy, at a fixed budget per environment.

For each environment and seed, trains plain A3C (2 worker processes, every other setting at
``TrainConfig``'s default) for the environment's budget and reports the mean return of the
last 100 episodes, next to the mean return of 100 episodes of a uniform random policy; also
the environment steps per second (all workers, and per worker) and the bytes one stored
environment step takes in a replay buffer. Resumable: finished runs are kept in the JSON file
and skipped when the command runs again.

    python bench/bench_regimes.py                 # 3 seeds, the budgets below
    python bench/bench_regimes.py --seeds 5
    python bench/bench_regimes.py --report-only   # rewrite the table from the JSON

Writes ``bench/results/regimes.json`` and ``bench/results/regimes.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np

from a3cmem_lib.envs import make_env, observation_dtype
from a3cmem_lib.experiments.machine import describe_machine
from a3cmem_lib.memory import FIFOBuffer
from a3cmem_lib.training import TrainConfig, train
from a3cmem_lib.training.segments import random_policy_segments

RESULTS = Path(__file__).resolve().parent / "results"
WINDOW = 100
ENVIRONMENTS = {
    # env id: (regime, environment-step budget of one run)
    "MountainCar-v0": ("sparse: -1 per step until the flag", 300_000),
    "Acrobot-v1": ("sparse: -1 per step until the swing-up", 300_000),
    "a3cmem/KeyDoor-v0": ("sparse and deterministic: 1 at the goal only", 300_000),
    "MinAtar/Breakout-v1": ("image (10, 10, 4) bool", 500_000),
    "MinAtar/Freeway-v1": ("image (10, 10, 7) bool, sparse", 500_000),
}


def run_a3c(env_id: str, seed: int, budget: int) -> dict:
    """One plain-A3C run: final return, steps per second."""
    result = train(
        TrainConfig(env_id=env_id, num_workers=2, total_steps=budget, seed=seed, progress=False)
    )
    returns = result.episodes["return"]
    return {
        "env": env_id,
        "seed": seed,
        "budget": budget,
        "final_return": float(returns.tail(WINDOW).mean()) if len(returns) else None,
        "episodes": len(returns),
        "steps": result.global_step,
        "seconds": result.wall_time,
        "steps_per_second": result.steps_per_second,
    }


def random_returns(env_id: str, episodes: int = WINDOW, seed: int = 0) -> list[float]:
    """Returns of ``episodes`` episodes of a uniform random policy."""
    env = make_env(env_id)
    env.action_space.seed(seed)
    returns = []
    try:
        for episode in range(episodes):
            env.reset(seed=seed + episode)
            total, done = 0.0, False
            while not done:
                _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
                total += float(reward)
                done = terminated or truncated
            returns.append(total)
    finally:
        env.close()
    return returns


def bytes_per_step(env_id: str, t_max: int = TrainConfig.t_max) -> dict:
    """Bytes one stored environment step takes in a replay buffer of segments."""
    segments = random_policy_segments(env_id, 64, t_max, seed=0)
    buffer = FIFOBuffer(64)
    for segment in segments:
        buffer.push(segment)
    env = make_env(env_id)
    dtype = observation_dtype(env.observation_space)
    env.close()
    return {"bytes_per_step": buffer.nbytes / (64 * t_max), "obs_dtype": str(dtype)}


def summarize(runs: list[dict], baselines: dict) -> list[dict]:
    """One row per environment: A3C's final returns over seeds against random."""
    rows = []
    for env_id, (regime, budget) in ENVIRONMENTS.items():
        mine = [run for run in runs if run["env"] == env_id and run["budget"] == budget]
        if not mine or env_id not in baselines:
            continue
        finals = [run["final_return"] for run in mine if run["final_return"] is not None]
        random = baselines[env_id]
        # "clearly above": every seed beats the random policy's mean by more than two
        # standard errors of that mean
        bar = random["mean"] + 2 * random["std"] / np.sqrt(random["episodes"])
        rows.append(
            {
                "env": env_id,
                "regime": regime,
                "budget": budget,
                "seeds": len(finals),
                "a3c_median": statistics.median(finals),
                "a3c_min": min(finals),
                "a3c_max": max(finals),
                "random_mean": random["mean"],
                "random_std": random["std"],
                "above_random": all(value > bar for value in finals),
                "steps_per_second": statistics.median(run["steps_per_second"] for run in mine),
                "bytes_per_step": random["bytes_per_step"],
                "obs_dtype": random["obs_dtype"],
            }
        )
    return rows


def markdown(rows: list[dict], machine: dict, command: str) -> str:
    lines = [
        "# Plain A3C on sparse-reward and image environments, against a random policy",
        "",
        f"Command: `{command}`. Machine: {machine['processor']}, {machine['cpus']} CPUs, "
        f"torch {machine['torch']}. Plain A3C, 2 workers, TrainConfig defaults; final = mean "
        f"return of the last {WINDOW} episodes of a run; random = {WINDOW} episodes of a "
        "uniform random policy. *Above random*: every seed's final return exceeds the random "
        "mean by more than two standard errors.",
        "",
        "| environment | regime | budget (steps) | A3C final, median [min, max] over seeds "
        "| random, mean ± std | above random | env steps/s (2 workers) | bytes per stored step |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['env']} | {row['regime']} | {row['budget']:,} | "
            f"{row['a3c_median']:.2f} [{row['a3c_min']:.2f}, {row['a3c_max']:.2f}] "
            f"({row['seeds']} seeds) | {row['random_mean']:.2f} ± {row['random_std']:.2f} | "
            f"{'yes' if row['above_random'] else 'no'} | {row['steps_per_second']:,.0f} "
            f"({row['steps_per_second'] / 2:,.0f} per worker) | "
            f"{row['bytes_per_step']:,.0f} ({row['obs_dtype']} observations) |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per environment")
    parser.add_argument("--envs", nargs="+", default=list(ENVIRONMENTS), choices=ENVIRONMENTS)
    parser.add_argument("--report-only", action="store_true", help="only rewrite the table")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "regimes.json"
    saved = json.loads(path.read_text()) if path.exists() else {"runs": [], "random": {}}
    command = f"python bench/bench_regimes.py --seeds {args.seeds}"
    if not args.report_only:
        for env_id in args.envs:
            if env_id not in saved["random"]:
                returns = random_returns(env_id)
                saved["random"][env_id] = {
                    "mean": float(np.mean(returns)),
                    "std": float(np.std(returns)),
                    "episodes": len(returns),
                    **bytes_per_step(env_id),
                }
            budget = ENVIRONMENTS[env_id][1]
            for seed in range(args.seeds):
                done = {(r["env"], r["seed"], r["budget"]) for r in saved["runs"]}
                if (env_id, seed, budget) in done:
                    continue
                saved["runs"].append(run_a3c(env_id, seed, budget))
                print(json.dumps(saved["runs"][-1]), flush=True)
                saved["machine"] = describe_machine()
                path.write_text(json.dumps(saved, indent=1) + "\n")  # resumable
        path.write_text(json.dumps(saved, indent=1) + "\n")
    rows = summarize(saved["runs"], saved["random"])
    report = markdown(rows, saved.get("machine", describe_machine()), command)
    (RESULTS / "regimes.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
