"""Benchmark: ACER (``--learner acer``) against plain A3C on CartPole-v1, side by side.

Every run stops when the mean return of its last 100 episodes reaches 475 (the criterion of
the benchmarks) or when its step budget is spent. The same runs are also read under the
study's criterion, the first time the mean of 20 consecutive episodes reaches 475. Each run
is a fresh Python process (whole-process wall time, and CPU seconds of the process and its
workers from ``os.wait4``); for each seed the methods run one after the other, so that
background load hits them alike.

Methods (``TrainConfig`` fields on top of its defaults):

- ``a3c``: plain A3C, the ``TrainConfig`` defaults;
- ``a3c_tuned``: plain A3C with ``A3C_TUNED`` (learning rate 0.005, chosen for plain A3C on
  seeds 100-104 by ``bench/bench_a3c_cartpole.py``), ACER's learning rate: how much of
  ACER's gain the learning rate alone gives;
- ``acer``: ``learner="acer"`` with :data:`ACER_RECIPE`, the command readers copy
  (``python -m a3cmem_lib train --learner acer``): the defaults that depend on the learner
  (``LEARNER_DEFAULTS``: capacity, batch size, learning rate) were chosen on seeds 100-104
  (``--first-seed 100 --seeds 3`` and ``--first-seed 103 --seeds 2``) and are reported on
  seeds 0-4;
- the levers, for the report of what each does: ``acer_no_trust_region``,
  ``acer_no_bias_correction`` (truncation c = 10^6: no importance weight is ever truncated,
  so the correction term is always 0) and ``acer_replay_ratio_R`` for R in 0, 1, 8;
- candidates for the recipe, run on seeds from 100: ``acer_lr_0.003``,
  ``acer_lr_0.005``, ``acer_capacity_1000``, ``acer_capacity_500`` (also with learning rate
  0.005) and ``acer_batch_B`` for B in 32, 4, 1 (with
  replay ratio r and batches of B segments the learner makes r/B updates per pushed
  segment; ACER's replays are as large as its on-policy updates, one worker's rollout).

Floors: the 100-episode criterion cannot be met in fewer than 100 × 475 = 47,500 steps,
the 20-episode one in fewer than 9,500.

Writes ``bench/results/acer_cartpole.{md,json}`` (``--first-seed`` other than 0:
``acer_cartpole_seeds<first>.{md,json}``)::

    python bench/bench_acer.py --seeds 5 --budget 500000
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from bench_a3c_cartpole import A3C_TUNED, RESULTS, machine_info, timed_trial
from cartpole_solve import TARGET, WINDOW, train_until_solved

STUDY_WINDOW = 20
"""Episodes of the study's criterion (notebooks/06_stability_study.ipynb)."""
ACER_RECIPE: dict[str, Any] = {"learner": "acer"}
"""The ACER configuration the README quotes: ``learner="acer"`` and its defaults."""
METHODS: dict[str, dict[str, Any]] = {
    "a3c": {},
    "acer": ACER_RECIPE,
    "a3c_tuned": A3C_TUNED,
    "acer_no_trust_region": {**ACER_RECIPE, "trust_region": False},
    "acer_no_bias_correction": {**ACER_RECIPE, "acer_truncation": 1e6},
    "acer_replay_ratio_0": {**ACER_RECIPE, "replay_ratio": 0.0},
    "acer_replay_ratio_1": {**ACER_RECIPE, "replay_ratio": 1.0},
    "acer_replay_ratio_8": {**ACER_RECIPE, "replay_ratio": 8.0},
    "acer_lr_0.003": {**ACER_RECIPE, "learning_rate": 3e-3},
    "acer_lr_0.005": {**ACER_RECIPE, "learning_rate": 5e-3},
    "acer_capacity_1000": {**ACER_RECIPE, "capacity": 1_000},
    "acer_capacity_500": {**ACER_RECIPE, "capacity": 500},
    "acer_capacity_500_lr_0.005": {**ACER_RECIPE, "capacity": 500, "learning_rate": 5e-3},
    "acer_batch_32": {**ACER_RECIPE, "batch_size": 32},
    "acer_batch_4": {**ACER_RECIPE, "batch_size": 4},
    "acer_batch_1": {**ACER_RECIPE, "batch_size": 1},
}
MAIN_METHODS = ("a3c", "acer")
LABELS = {
    "a3c": "plain A3C (`TrainConfig` defaults)",
    "acer": "ACER (`--learner acer`)",
    "a3c_tuned": "plain A3C, `A3C_TUNED` (`--lr 0.005`, ACER's learning rate)",
    "acer_no_trust_region": "ACER `--no-trust-region`",
    "acer_no_bias_correction": "ACER, no bias correction (c = 10⁶)",
    "acer_replay_ratio_0": "ACER, replay ratio 0 (on-policy only)",
    "acer_replay_ratio_1": "ACER, replay ratio 1",
    "acer_replay_ratio_8": "ACER, replay ratio 8",
    "acer_lr_0.003": "ACER, learning rate 0.003",
    "acer_lr_0.005": "ACER, learning rate 0.005",
    "acer_capacity_1000": "ACER, capacity 1,000 segments",
    "acer_capacity_500": "ACER, capacity 500 segments",
    "acer_capacity_500_lr_0.005": "ACER, capacity 500 segments, learning rate 0.005",
    "acer_batch_32": "ACER, batches of 32 segments",
    "acer_batch_4": "ACER, batches of 4 segments",
    "acer_batch_1": "ACER, batches of 1 segment",
}
TARGETS = (
    ("env steps to the 100-episode criterion (ratio of the medians)", "steps", 0.75),
    ("env steps to the 20-episode criterion (ratio of the medians)", "steps_20", 0.5),
    ("whole-process wall time (stretch; median of per-seed ratios)", "process_seconds", 1.0),
)
"""The issue's targets: (what, ``ratios`` key, the bound ACER ÷ plain A3C must not exceed)."""


def trial(name: str, seed: int, budget: int) -> dict:
    """One run of ``name`` in this process: steps to each criterion, updates and seconds."""
    result, first = train_until_solved(seed, budget, **METHODS[name])
    episodes = result.episodes
    study = episodes["return"].rolling(STUDY_WINDOW).mean() >= TARGET
    updates = result.updates or 0
    learner_updates = (result.memory_stats or {}).get("learner_updates", 0)
    return {
        "reached": first is not None,
        "steps": int(first["global_step"]) if first is not None else None,
        "steps_20": int(episodes[study].iloc[0]["global_step"]) if study.any() else None,
        "total_steps": result.global_step,
        "updates_per_step": updates / max(result.steps_this_run, 1),
        "learner_updates_per_step": learner_updates / max(result.steps_this_run, 1),
    }


def median_to_target(runs: list[dict], key: str) -> float:
    """Median over seeds of ``key``, a run that missed counting as infinitely slow."""
    return statistics.median(float("inf") if run[key] is None else run[key] for run in runs)


def ratio(runs: dict[str, list[dict]], ours: str, key: str) -> float:
    """``ours`` ÷ plain A3C: ratio of the medians for steps, median of the per-seed ratios
    (the two runs of a seed back to back) for seconds."""
    if key.startswith("steps"):
        return median_to_target(runs[ours], key) / median_to_target(runs["a3c"], key)
    pairs = zip(runs[ours], runs["a3c"], strict=True)
    return statistics.median(mine[key] / theirs[key] for mine, theirs in pairs)


def _steps_cell(values: list[dict], key: str) -> str:
    reached = [run[key] for run in values if run[key] is not None]
    median = median_to_target(values, key)
    if median == float("inf"):
        return f"not reached (median; {len(reached)}/{len(values)} reached)"
    return f"{median:,.0f} ({min(reached):,}–{max(reached):,})"


def _seconds_cell(values: list[dict], key: str) -> str:
    return f"{statistics.median(run[key] for run in values):.1f}"


def target_table(report: dict) -> list[str]:
    """The issue's targets as Markdown table lines: each bound, the ratio ACER ÷ plain A3C
    reached and, if it missed, by how much; CPU seconds (no target) and, when ``a3c_tuned``
    ran, ACER ÷ plain A3C at ACER's learning rate."""
    ratios = report["ratios"]["acer"]
    lines = [
        "| target: ACER ÷ plain A3C | bound | ratio reached | verdict |",
        "|---|---|---|---|",
    ]
    for text, key, bound in TARGETS:
        value = ratios[key]
        verdict = "met" if value <= bound else f"not met: {value / bound:.2f}× the bound"
        lines.append(f"| {text} | ≤ {bound:g} | {value:.2f} | {verdict} |")
    lines.append(
        f"| CPU seconds (median of per-seed ratios) | none | {ratios['cpu_seconds']:.2f} | "
        "reported |"
    )
    runs = report["runs"]
    if "a3c_tuned" in runs:
        for key, criterion in (("steps", "100"), ("steps_20", "20")):
            value = median_to_target(runs["acer"], key) / median_to_target(runs["a3c_tuned"], key)
            lines.append(
                f"| env steps to the {criterion}-episode criterion ÷ plain A3C at ACER's "
                f"learning rate (`A3C_TUNED`) | none | {value:.2f} | reported |"
            )
    return lines


def lever_table(report: dict) -> list[str]:
    """What each method besides plain A3C does, ÷ plain A3C, as Markdown table lines."""
    lines = [
        "| method | env steps ÷ plain A3C's, 100-episode criterion | 20-episode criterion | "
        "CPU seconds ÷ plain A3C's |",
        "|---|---|---|---|",
    ]
    for name, mine in report["ratios"].items():
        lines.append(
            f"| {LABELS[name]} | {mine['steps']:.2f} | {mine['steps_20']:.2f} | "
            f"{mine['cpu_seconds']:.2f} |"
        )
    return lines


def write_markdown(report: dict, path: Path) -> None:
    runs = report["runs"]
    seeds = report["seeds"]
    lines = [
        f"# ACER against plain A3C on CartPole-v1, seeds {seeds[0]}–{seeds[-1]}",
        "",
        f"Seeds {seeds}, budget {report['budget']:,} steps per run, each run a fresh process, "
        "the methods of a seed back to back. Median (range) over seeds; a run that misses "
        "counts as infinitely slow. Floors: 47,500 steps (100 episodes × 475) for the "
        "100-episode criterion, 9,500 (20 × 475) for the 20-episode one.",
        "",
        "| method | reached | env steps to 100-episode mean 475 | env steps to 20-episode "
        "mean 475 | whole-process wall seconds | CPU seconds | updates per env step "
        "(learner's) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in runs:
        values = runs[name]
        updates = statistics.median(run["updates_per_step"] for run in values)
        learner = statistics.median(run["learner_updates_per_step"] for run in values)
        lines.append(
            f"| {LABELS[name]} | {sum(run['reached'] for run in values)}/{len(values)} | "
            f"{_steps_cell(values, 'steps')} | {_steps_cell(values, 'steps_20')} | "
            f"{_seconds_cell(values, 'process_seconds')} | "
            f"{_seconds_cell(values, 'cpu_seconds')} | {updates:.3f} ({learner:.3f}) |"
        )
    lines += ["", *target_table(report), "", *lever_table(report)]
    lines += [
        "",
        "Per seed: env steps to the 100-episode criterion / to the 20-episode criterion / "
        "whole-process wall seconds.",
        "",
        "| seed | " + " | ".join(LABELS[name] for name in runs) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for index, seed in enumerate(seeds):
        cells = []
        for name in runs:
            run = runs[name][index]
            steps = "–" if run["steps"] is None else f"{run['steps']:,}"
            steps_20 = "–" if run["steps_20"] is None else f"{run['steps_20']:,}"
            cells.append(f"{steps} / {steps_20} / {run['process_seconds']:.1f}")
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    machine = report["machine"]
    lines += [
        "",
        f"- ACER: `TrainConfig(**{report['acer_recipe']})`, i.e. "
        "`python -m a3cmem_lib train --learner acer --stop-return 475`; its defaults that "
        "depend on the learner (buffer of 500 segments, batches of 4, learning rate 0.005) "
        "were chosen on seeds 100-104 (`bench/results/acer_cartpole_seeds100.md` and "
        "`acer_cartpole_seeds103.md`; batches of 32, 4 and 1 segments were compared on seeds "
        "100-101 in an earlier round, committed as cfe196c), not "
        "on the seeds reported here.",
        "- Updates per env step: every gradient step on the shared model (workers' and "
        "learner's) per environment step; in brackets the memory layer's learner's alone.",
        "",
        f"Command: `{report['command']}`",
        "",
        f"Machine: {machine['cpu']}, {machine['cpu_count']} CPU cores, {machine['platform']}; "
        f"Python {machine['python']}, torch {machine['torch']}, gymnasium "
        f"{machine['gymnasium']}, numpy {machine['numpy']}. Load average when the run finished "
        f"(1/5/15 min): {machine['load_average_1_5_15_min']}; other jobs sharing the machine "
        "slow whichever run they overlap, so compare the ratios.",
    ]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first, first+1, ...")
    parser.add_argument("--budget", type=int, default=500_000, help="step budget per run")
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=METHODS,
        default=list(MAIN_METHODS),
        help="methods to run (a3c and acer always run, first)",
    )
    parser.add_argument(
        "--render",
        type=Path,
        metavar="JSON",
        help="only rewrite the Markdown of an earlier run from its JSON file",
    )
    parser.add_argument("--trial", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trial is not None:
        print(json.dumps(trial(args.trial, args.seed, args.budget)))
        return
    if args.render is not None:
        write_markdown(json.loads(args.render.read_text()), args.render.with_suffix(".md"))
        return
    methods = [*MAIN_METHODS, *(m for m in args.methods if m not in MAIN_METHODS)]
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    runs: dict[str, list[dict]] = {name: [] for name in methods}
    for seed in seeds:
        for name in methods:
            runs[name].append(timed_trial(name, seed, args.budget, script=__file__))
            print(f"seed {seed} {name} {runs[name][-1]}", flush=True)
    report = {
        "target": TARGET,
        "window": WINDOW,
        "study_window": STUDY_WINDOW,
        "seeds": seeds,
        "budget": args.budget,
        "acer_recipe": ACER_RECIPE,
        "methods": {name: METHODS[name] for name in methods},
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "machine": machine_info(),
        "runs": runs,
        "ratios": {
            name: {
                key: ratio(runs, name, key)
                for key in ("steps", "steps_20", "process_seconds", "cpu_seconds")
            }
            for name in methods
            if name != "a3c"
        },
    }
    stem = "acer_cartpole" if args.first_seed == 0 else f"acer_cartpole_seeds{args.first_seed}"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    write_markdown(report, RESULTS / f"{stem}.md")
    print((RESULTS / f"{stem}.md").read_text())


if __name__ == "__main__":
    main()
