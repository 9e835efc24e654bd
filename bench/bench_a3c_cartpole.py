"""Benchmark: a3cmem A3C vs Stable-Baselines3 A2C on CartPole-v1, steps and seconds to 475.

For each seed, runs a3cmem's ``train`` (2 worker processes) and then SB3 A2C with the
RL-Zoo hyperparameters for CartPole-v1 (rl-baselines3-zoo ``hyperparams/a2c.yml``:
``n_envs: 8, n_timesteps: 5e5, policy: MlpPolicy, ent_coef: 0.0``, the rest SB3 defaults),
on the same machine in the same process, one after the other. Each run stops when the mean
return of its last 100 episodes reaches 475 (CartPole-v1's reward threshold) or when the
step budget is spent ("not reached"). Writes ``bench/results/a3c_cartpole.{md,json}``.

    python bench/bench_a3c_cartpole.py --seeds 5 --budget 500000

Needs the optional benchmark dependencies: ``pip install -r requirements-bench.txt``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections import deque
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

from a3cmem_lib.training import TrainConfig, train

TARGET = 475.0
WINDOW = 100
RESULTS = Path(__file__).resolve().parent / "results"


def run_a3cmem(seed: int, budget: int, workers: int) -> dict:
    """Steps and seconds until a3cmem's 100-episode mean return reaches the target."""
    config = TrainConfig(
        env_id="CartPole-v1",
        num_workers=workers,
        total_steps=budget,
        seed=seed,
        progress=False,
        stop_return=TARGET,
    )
    result = train(config)
    episodes = result.episodes
    solved = episodes["return"].rolling(WINDOW).mean() >= TARGET
    reached = bool(solved.any())
    first = episodes[solved].iloc[0] if reached else None
    return {
        "reached": reached,
        "steps": int(first["global_step"]) if reached else None,
        "seconds": float(first["wall_time"]) if reached else None,
        "total_steps": result.global_step,
        "total_seconds": result.wall_time,
        "steps_per_second": result.steps_per_second,
        "episodes": len(episodes),
    }


def run_sb3_a2c(seed: int, budget: int) -> dict:
    """Steps and seconds until SB3 A2C (RL-Zoo CartPole-v1 hyperparameters) reaches the target."""
    from stable_baselines3 import A2C
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env

    class StopAtTarget(BaseCallback):
        def __init__(self, start: float) -> None:
            super().__init__()
            self.start = start
            self.returns: deque[float] = deque(maxlen=WINDOW)
            self.episodes = 0
            self.reached_at: tuple[int, float] | None = None

        def _on_step(self) -> bool:
            for info in self.locals["infos"]:
                if "episode" in info:
                    self.returns.append(info["episode"]["r"])
                    self.episodes += 1
            if len(self.returns) == WINDOW and np.mean(self.returns) >= TARGET:
                self.reached_at = (self.num_timesteps, time.monotonic() - self.start)
                return False
            return True

    start = time.monotonic()
    env = make_vec_env("CartPole-v1", n_envs=8, seed=seed)
    model = A2C("MlpPolicy", env, ent_coef=0.0, seed=seed, device="cpu", verbose=0)
    callback = StopAtTarget(start)
    model.learn(total_timesteps=budget, callback=callback)
    total_seconds = time.monotonic() - start
    env.close()
    reached = callback.reached_at is not None
    return {
        "reached": reached,
        "steps": callback.reached_at[0] if reached else None,
        "seconds": callback.reached_at[1] if reached else None,
        "total_steps": int(model.num_timesteps),
        "total_seconds": total_seconds,
        "steps_per_second": model.num_timesteps / total_seconds,
        "episodes": callback.episodes,
    }


def summarize(runs: list[dict], key: str) -> dict:
    """Median and min/max of ``key`` over seeds; a miss counts as +infinity for the median."""
    values = [run[key] if run["reached"] else float("inf") for run in runs]
    reached = [value for value in values if value != float("inf")]
    return {
        "median": statistics.median(values),
        "min": min(reached) if reached else None,
        "max": max(reached) if reached else None,
        "reached": f"{len(reached)}/{len(values)}",
    }


def machine_info() -> dict:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line)
    except (OSError, StopIteration):
        pass
    import stable_baselines3

    return {
        "load_average_1_5_15_min": os.getloadavg(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads_parent": torch.get_num_threads(),
        "gymnasium": gym.__version__,
        "stable_baselines3": stable_baselines3.__version__,
        "numpy": np.__version__,
    }


def _cell(summary: dict, unit: str, digits: int) -> str:
    median = summary["median"]
    if median == float("inf"):
        return f"not reached (median), {summary['reached']} seeds reached"
    spread = f"{summary['min']:.{digits}f}–{summary['max']:.{digits}f}"
    return f"{median:.{digits}f} {unit} (range {spread}; {summary['reached']} reached)"


def write_markdown(report: dict, path: Path) -> None:
    rows = []
    for name, label in (("a3cmem", "a3cmem A3C, 2 workers"), ("sb3_a2c", "SB3 A2C, RL-Zoo")):
        steps = _cell(report["summary"][name]["steps"], "steps", 0)
        seconds = _cell(report["summary"][name]["seconds"], "s", 1)
        rate = statistics.median(run["steps_per_second"] for run in report["runs"][name])
        rows.append(f"| {label} | {steps} | {seconds} | {rate:.0f} |")
    per_seed = []
    for seed_index, seed in enumerate(report["seeds"]):
        cells = []
        for name in ("a3cmem", "sb3_a2c"):
            run = report["runs"][name][seed_index]
            cells.append(
                f"{run['steps']} / {run['seconds']:.1f} s"
                if run["reached"]
                else f"not reached in {run['total_steps']} steps"
            )
        per_seed.append(f"| {seed} | {cells[0]} | {cells[1]} |")
    machine = report["machine"]
    text = "\n".join(
        [
            "# CartPole-v1: environment steps and seconds until the 100-episode mean reaches 475",
            "",
            f"Seeds {report['seeds']}, budget {report['budget']} steps per run; medians over "
            "seeds (a run that misses counts as infinitely slow), range over the seeds that "
            "reached the target.",
            "",
            "| method | env steps to 475 | wall seconds to 475 | env steps/s |",
            "|---|---|---|---|",
            *rows,
            "",
            "| seed | a3cmem A3C (steps / seconds) | SB3 A2C (steps / seconds) |",
            "|---|---|---|",
            *per_seed,
            "",
            "a3cmem: `TrainConfig` defaults (see `a3cmem_lib/training/config.py`), "
            f"`num_workers={report['workers']}`. SB3 A2C: `n_envs=8`, `ent_coef=0.0`, "
            "`MlpPolicy`, other hyperparameters SB3 defaults (rl-baselines3-zoo "
            "`hyperparams/a2c.yml`, CartPole-v1). Wall seconds include starting the worker "
            "processes (a3cmem) and building the vectorised environments (SB3).",
            "",
            f"Command: `{report['command']}`",
            "",
            f"Machine: {machine['cpu']}, {machine['cpu_count']} CPU cores, "
            f"{machine['platform']}; Python {machine['python']}, torch {machine['torch']}, "
            f"gymnasium {machine['gymnasium']}, stable-baselines3 "
            f"{machine['stable_baselines3']}, numpy {machine['numpy']}. Load average when the "
            f"run finished (1/5/15 min): {machine['load_average_1_5_15_min']}; other jobs "
            "sharing the machine slow whichever run they overlap, so compare the medians.",
            "",
        ]
    )
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (0, 1, ...)")
    parser.add_argument("--budget", type=int, default=500_000, help="step budget per run")
    parser.add_argument("--workers", type=int, default=2, help="a3cmem worker processes")
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    runs: dict[str, list[dict]] = {"a3cmem": [], "sb3_a2c": []}
    for seed in seeds:
        runs["a3cmem"].append(run_a3cmem(seed, args.budget, args.workers))
        print(f"seed {seed} a3cmem  {runs['a3cmem'][-1]}", flush=True)
        runs["sb3_a2c"].append(run_sb3_a2c(seed, args.budget))
        print(f"seed {seed} sb3_a2c {runs['sb3_a2c'][-1]}", flush=True)
    report = {
        "target": TARGET,
        "window": WINDOW,
        "seeds": seeds,
        "budget": args.budget,
        "workers": args.workers,
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "machine": machine_info(),
        "runs": runs,
        "summary": {
            name: {key: summarize(name_runs, key) for key in ("steps", "seconds")}
            for name, name_runs in runs.items()
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "a3c_cartpole.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    write_markdown(report, RESULTS / "a3c_cartpole.md")
    print((RESULTS / "a3c_cartpole.md").read_text())


if __name__ == "__main__":
    main()
