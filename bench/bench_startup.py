"""Start-up: from launching ``python -m a3cmem_lib train`` to the first environment step, and
the overhead of a short ``train()`` call in a running interpreter.

The first step is timed by a probe environment: CartPole-v1 whose ``step`` writes the wall
clock to a file the first time it runs in a process (a module written to a temporary folder
and put on ``PYTHONPATH``, so spawned workers import it too). For each start method the
repetitions alternate between the command line and ``train()``::

    python bench/bench_startup.py --repeats 5

Writes ``bench/results/startup.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
PROBE_MODULE = "a3cmem_startup_probe"
PROBE_ID = f"{PROBE_MODULE}:StartupProbe-v0"
PROBE_SOURCE = '''
"""CartPole-v1 that records when it first steps in each process (bench/bench_startup.py)."""
import os
import time

import gymnasium as gym
from gymnasium.envs.classic_control.cartpole import CartPoleEnv


class StartupProbe(CartPoleEnv):
    stepped = False

    def step(self, action):
        if not StartupProbe.stepped:
            StartupProbe.stepped = True
            with open(os.environ["A3CMEM_STARTUP_PROBE"], "a") as log:
                log.write(f"{os.getpid()} {time.time()!r}\\n")
        return super().step(action)


if "StartupProbe-v0" not in gym.registry:
    gym.register("StartupProbe-v0", entry_point=StartupProbe, max_episode_steps=500)
'''
STEPS = 2_000
"""Environment steps of every timed run: a short run, where start-up dominates."""


def first_step(log: Path, exclude_pid: int | None = None) -> float:
    """The earliest first-step time written to ``log`` by a process other than
    ``exclude_pid``."""
    times = [
        float(stamp)
        for pid, stamp in (line.split() for line in log.read_text().splitlines())
        if int(pid) != exclude_pid
    ]
    return min(times)


def run_process(command: list[str], environment: dict[str, str] | None = None) -> dict:
    """Wall seconds from launching ``command`` to its exit, its start time (``time.time``)
    and the CPU seconds (user + system) of it and of every process it started."""
    start = time.time()
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{command} failed with exit code {process.returncode}")
    return {"start": start, "total": time.time() - start, "cpu": usage.ru_utime + usage.ru_stime}


def cpu_seconds() -> float:
    """User + system seconds of this process and of its children that have ended."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def cli_run(folder: Path, start_method: str) -> dict:
    """Seconds from launching ``python -m a3cmem_lib train`` to the first environment step
    and to the process's exit, and the run's CPU seconds."""
    log = folder / "cli.log"
    log.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "a3cmem_lib",
        "train",
        "--env",
        PROBE_ID,
        "--steps",
        str(STEPS),
        "--start-method",
        start_method,
        "--no-progress",
        "--out",
        str(folder / "run"),
    ]
    run = run_process(command, {**os.environ, "A3CMEM_STARTUP_PROBE": str(log)})
    return {"first_step": first_step(log) - run.pop("start"), **run}


def train_call(folder: Path, start_method: str) -> dict:
    """Seconds from calling ``train()`` in this interpreter to the first environment step
    and to its return, and the CPU seconds of this process and its workers meanwhile."""
    from a3cmem_lib.training import TrainConfig, train

    log = folder / "train.log"
    log.unlink(missing_ok=True)
    os.environ["A3CMEM_STARTUP_PROBE"] = str(log)
    config = TrainConfig(
        env_id=PROBE_ID, total_steps=STEPS, start_method=start_method, progress=False
    )
    start, cpu = time.time(), cpu_seconds()
    train(config)
    end = time.time()
    return {
        "first_step": first_step(log, exclude_pid=os.getpid()) - start,
        "total": end - start,
        "cpu": cpu_seconds() - cpu,
    }


def import_times() -> dict[str, dict]:
    """Wall and CPU seconds of a fresh interpreter importing what a process needs before it
    can train: the command line's module, what a spawned worker imports, torch alone."""
    modules = {
        "a3cmem_lib.cli (the command line)": "import a3cmem_lib.cli",
        "a3cmem_lib.__main__ + a3cmem_lib.training.worker (a worker spawned by "
        "`python -m a3cmem_lib`)": "import a3cmem_lib.__main__, a3cmem_lib.training.worker",
        "torch alone": "import torch",
        "an empty interpreter": "pass",
    }
    runs = {}
    for label, statement in modules.items():
        run = run_process([sys.executable, "-c", statement])
        runs[label] = {"total": run["total"], "cpu": run["cpu"]}
    return runs


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def markdown(results: dict) -> str:
    lines = [
        "# Start-up: launch to the first environment step",
        "",
        f"Command: `{results['command']}`  ",
        f"{results['date']}, {os.cpu_count()} CPUs; runs of {STEPS:,} CartPole steps, 2 "
        "workers; median (min–max) of the repeats, in seconds.",
        "",
        "| start method | path | to the first env step | to the end of the run | CPU seconds "
        "of the run (all processes) |",
        "|---|---|---|---|---|",
    ]
    for method, paths in results["runs"].items():
        for path, runs in paths.items():
            first = spread([run["first_step"] for run in runs])
            total = spread([run["total"] for run in runs])
            cpu = spread([run["cpu"] for run in runs])
            lines.append(f"| {method} | {path} | {first} | {total} | {cpu} |")
    lines += [
        "",
        "Importing, each in a fresh interpreter (median of the repeats):",
        "",
        "| import | wall seconds | CPU seconds |",
        "|---|---|---|",
    ]
    for label, runs in results["imports"].items():
        wall = statistics.median(run["total"] for run in runs)
        cpu = statistics.median(run["cpu"] for run in runs)
        lines.append(f"| {label} | {wall:.2f} | {cpu:.2f} |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--start-methods", nargs="+", default=["fork", "spawn"])
    args = parser.parse_args()
    runs: dict[str, dict[str, list[dict]]] = {}
    imports: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / f"{PROBE_MODULE}.py").write_text(PROBE_SOURCE)
        sys.path.insert(0, str(folder))
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(folder), os.environ.get("PYTHONPATH")])
        )
        for _ in range(args.repeats):
            for method in args.start_methods:
                paths = runs.setdefault(method, {"python -m a3cmem_lib train": [], "train()": []})
                paths["python -m a3cmem_lib train"].append(cli_run(folder, method))
                paths["train()"].append(train_call(folder, method))
                print(method, {path: values[-1] for path, values in paths.items()}, flush=True)
            for label, run in import_times().items():
                imports.setdefault(label, []).append(run)
    command = "python bench/bench_startup.py"
    if args.repeats != 5:
        command += f" --repeats {args.repeats}"
    results = {
        "command": command,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "steps": STEPS,
        "runs": runs,
        "imports": imports,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "startup.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "startup.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
