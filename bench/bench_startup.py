"""Start-up: from launching ``python -m a3cmem_lib train`` (or calling ``train()`` in a
running interpreter) to the first environment step and to the end of a short run, for the
library of two commits side by side.

The first step is timed by a probe environment: CartPole-v1 whose ``step`` writes the wall
clock to a file the first time it runs in a process (a module written to a temporary folder
and put on ``PYTHONPATH``, so spawned workers import it too). Both commits' ``a3cmem_lib``
are exported with ``git archive`` and put first on ``PYTHONPATH``; every timed run is a fresh
interpreter, and within each repeat the commits, start methods and paths alternate, so load
from other jobs hits them alike::

    python bench/bench_startup.py --repeats 5

Writes ``bench/results/startup.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
RESULTS = REPOSITORY / "bench" / "results"
BEFORE = "e7512b3"
"""The commit whose measurements issue 21 quoted (4.1 s to a spawned `train()`'s first step),
before the shared optimizers stopped importing ``torch._dynamo``: the "before" of the comparison."""
STEPS = 2_000
"""Environment steps of every timed run: a short run, where start-up dominates."""
PATHS = ("python -m a3cmem_lib train", "train()")
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
TRAIN_CALL = """
import json, os, resource, sys, time
from a3cmem_lib.training import TrainConfig, train

def cpu():
    own, children = (resource.getrusage(resource.RUSAGE_SELF),
                     resource.getrusage(resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

config = TrainConfig(env_id=sys.argv[1], total_steps=int(sys.argv[2]),
                     start_method=sys.argv[3], progress=False)
start, used = time.time(), cpu()
train(config)
print(json.dumps({"start": start, "end": time.time(), "cpu": cpu() - used}))
"""
"""A notebook's ``train()`` call: the library is imported first (an earlier cell), then the
call is timed from inside the interpreter."""


def export(commit: str, folder: Path) -> str:
    """Write ``a3cmem_lib`` as of ``commit`` into ``folder``; returns the commit's short hash."""
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", commit, "a3cmem_lib"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return subprocess.run(
        ["git", "-C", str(REPOSITORY), "rev-parse", "--short", commit],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def first_step(log: Path, exclude_pid: int | None = None) -> float:
    """The earliest first-step time (``time.time``) written to ``log`` by a process other
    than ``exclude_pid``."""
    return min(
        float(stamp)
        for pid, stamp in (line.split() for line in log.read_text().splitlines())
        if int(pid) != exclude_pid
    )


def run_process(command: list[str], environment: dict[str, str], folder: Path) -> dict:
    """Run ``command`` in ``folder`` to its end: its start time (``time.time``), wall seconds
    to its exit, the CPU seconds (user + system) of it and of every process it started, its
    pid and its standard output. (``python -c`` and ``-m`` put the working folder first on
    ``sys.path``: ``folder`` must be the library's export, not a checkout.)"""
    start = time.time()
    process = subprocess.Popen(
        command, env=environment, cwd=folder, stdout=subprocess.PIPE, text=True
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command} failed with status {status}")
    return {
        "start": start,
        "total": time.time() - start,
        "cpu": usage.ru_utime + usage.ru_stime,
        "pid": process.pid,
        "output": output,
    }


def timed_run(path: str, start_method: str, source: Path, folder: Path) -> dict:
    """Seconds to the first environment step and to the end of a run of :data:`STEPS` steps,
    and the run's CPU seconds, for one of :data:`PATHS` with the library in ``source``."""
    log = folder / "probe.log"
    log.unlink(missing_ok=True)
    environment = {
        **os.environ,
        "A3CMEM_STARTUP_PROBE": str(log),
        "PYTHONPATH": os.pathsep.join([str(source), str(folder)]),
    }
    if path == "train()":
        run = run_process(
            [sys.executable, "-c", TRAIN_CALL, PROBE_ID, str(STEPS), start_method],
            environment,
            source,
        )
        inside = json.loads(run["output"])
        return {
            "first_step": first_step(log, exclude_pid=run["pid"]) - inside["start"],
            "total": inside["end"] - inside["start"],
            "cpu": inside["cpu"],
        }
    command = [sys.executable, "-m", "a3cmem_lib", "train", "--env", PROBE_ID]
    command += ["--steps", str(STEPS), "--start-method", start_method, "--no-progress"]
    run = run_process(command + ["--out", str(folder / "run")], environment, source)
    return {"first_step": first_step(log) - run["start"], "total": run["total"], "cpu": run["cpu"]}


def import_times(sources: dict[str, Path]) -> dict[str, dict]:
    """Wall and CPU seconds of a fresh interpreter importing what a spawned worker imports,
    with each commit's library, and torch alone, torch with ``torch._dynamo``."""
    statements = {
        f"a3cmem_lib.training.worker, {label}": (source, "import a3cmem_lib.training.worker")
        for label, source in sources.items()
    }
    empty = next(iter(sources.values())).parent
    statements["torch alone"] = (empty, "import torch")
    statements["torch and torch._dynamo"] = (empty, "import torch, torch._dynamo")
    runs = {}
    for label, (source, statement) in statements.items():
        environment = {**os.environ, "PYTHONPATH": str(source)}
        run = run_process([sys.executable, "-c", statement], environment, source)
        runs[label] = {"total": run["total"], "cpu": run["cpu"]}
    return runs


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def median_ratio(after: list[dict], before: list[dict], key: str) -> float:
    """Median over repeats of after ÷ before, each pair from the same repeat."""
    return statistics.median(a[key] / b[key] for a, b in zip(after, before, strict=True))


def markdown(results: dict) -> str:
    before, after = results["before"], results["after"]
    lines = [
        "# Start-up: launch to the first environment step",
        "",
        f"Command: `{results['command']}`  ",
        f"{results['date']}, {os.cpu_count()} CPUs, Python {results['python']}; runs of "
        f"{STEPS:,} CartPole steps, 2 workers; the library of `{before}` (before) and "
        f"`{after}` (after) alternating within each of {results['repeats']} repeats; median "
        "(min–max) of the repeats, in seconds. Ratios: median over repeats of after ÷ before "
        "within the same repeat.",
        "",
        "| start method | path | library | to the first env step | to the end of the run "
        "| CPU seconds of the run (all processes) |",
        "|---|---|---|---|---|---|",
    ]
    for method, paths in results["runs"].items():
        for path, versions in paths.items():
            for label in (before, after):
                runs = versions[label]
                cells = [spread([run[key] for run in runs]) for key in ("first_step", "total")]
                cells.append(spread([run["cpu"] for run in runs]))
                lines.append(f"| {method} | {path} | {label} | " + " | ".join(cells) + " |")
            ratios = [
                f"{median_ratio(versions[after], versions[before], key):.2f}×"
                for key in ("first_step", "total", "cpu")
            ]
            lines.append(f"| {method} | {path} | after ÷ before | " + " | ".join(ratios) + " |")
    if "forkserver" in results["runs"]:
        lines += [
            "",
            "Under forkserver the workers are the fork server's children, not the timed "
            "process's, so their CPU seconds are not in the last column (it counts the "
            "training process alone).",
        ]
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
    parser.add_argument("--before", default=BEFORE, help="the commit to compare HEAD with")
    parser.add_argument("--start-methods", nargs="+", default=["fork", "spawn", "forkserver"])
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    runs: dict[str, dict[str, dict[str, list[dict]]]] = {}
    imports: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / f"{PROBE_MODULE}.py").write_text(PROBE_SOURCE)
        before = export(args.before, folder / "before")
        after = export("HEAD", folder / "after")
        sources = {before: folder / "before", after: folder / "after"}
        for repeat in range(args.repeats):
            order = list(sources.items()) if repeat % 2 == 0 else list(sources.items())[::-1]
            for method in args.start_methods:
                for path in PATHS:
                    versions = runs.setdefault(method, {}).setdefault(path, {})
                    for label, source in order:
                        run = timed_run(path, method, source, folder)
                        versions.setdefault(label, []).append(run)
                        print(repeat, method, path, label, run, flush=True)
            for label, run in import_times(sources).items():
                imports.setdefault(label, []).append(run)
    command = "python bench/bench_startup.py"
    if args.repeats != 5:
        command += f" --repeats {args.repeats}"
    if args.before != BEFORE:
        command += f" --before {args.before}"
    results = {
        "command": command,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "python": sys.version.split()[0],
        "steps": STEPS,
        "repeats": args.repeats,
        "before": before,
        "after": after,
        "runs": runs,
        "imports": imports,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "startup.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "startup.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
