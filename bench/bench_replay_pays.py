"""Benchmark: can a memory layer reach CartPole-v1's 475 in fewer env steps than plain A3C?

Replay exists to buy sample efficiency, but at the defaults (batch 32 segments, replay ratio
4) the learner makes one update per ~80 environment steps, where plain A3C's workers make
one per 10. This benchmark tries memory configurations that change that ratio and the
staleness of what is learned from, each expressible as ``train`` flags:

1. **tune**: every candidate and plain A3C on seeds 100-102;
2. **report**: plain A3C, the candidate with the fewest median steps in the tuning phase and
   the one with the fewest among those no slower than plain A3C in tuning wall time,
   on seeds 200-204 (tune on some seeds, report on others; the study axes of chapter 07,
   which suggested some candidates, ran seeds 0-4).

Within a phase the configurations run side by side, seed by seed (interleaved, so a slow
moment of the shared machine hits all of them). A run stops when the mean return of its
last 100 episodes reaches 475 or its budget is spent. Trials are saved as they finish in
``bench/results/replay_pays.json`` (a rerun skips them); the table goes to
``bench/results/replay_pays.md``.

    python bench/bench_replay_pays.py            # about an hour on 2 cores
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from cartpole_solve import train_until_solved

BUDGET = 300_000
RESULTS = Path(__file__).resolve().parent / "results"
TUNING_SEEDS = (100, 101, 102)
REPORT_SEEDS = (200, 201, 202, 203, 204)

CANDIDATES: dict[str, dict] = {
    "plain A3C": {},
    "fifo (defaults: batch 32, replay ratio 4, capacity 5,000)": {"memory": "fifo"},
    "fifo, replay ratio 8": {"memory": "fifo", "replay_ratio": 8.0},
    "mixture 1/4, replay ratio 8": {"memory": "fifo", "replay_ratio": 8.0, "fresh_fraction": 0.25},
    "fifo, batch 8, replay ratio 8": {"memory": "fifo", "batch_size": 8, "replay_ratio": 8.0},
    "fifo, batch 8, replay ratio 8, capacity 500": {
        "memory": "fifo",
        "batch_size": 8,
        "replay_ratio": 8.0,
        "capacity": 500,
    },
    "per, batch 8, replay ratio 8, capacity 500": {
        "memory": "per",
        "batch_size": 8,
        "replay_ratio": 8.0,
        "capacity": 500,
    },
    "mixture 1/8, batch 8, replay ratio 8, capacity 500": {
        "memory": "fifo",
        "batch_size": 8,
        "replay_ratio": 8.0,
        "capacity": 500,
        "fresh_fraction": 0.125,
    },
    "hybrid fifo, capacity 500": {"memory": "fifo", "capacity": 500, "hybrid": True},
    "hybrid mixture 1/4, capacity 500": {
        "memory": "fifo",
        "capacity": 500,
        "fresh_fraction": 0.25,
        "hybrid": True,
    },
}
"""Name → TrainConfig fields on top of the defaults (2 workers, CartPole-v1)."""

FLAGS = {
    "memory": "--memory",
    "batch_size": "--batch-size",
    "replay_ratio": "--replay-ratio",
    "fresh_fraction": "--fresh-fraction",
    "hybrid": "--hybrid",
    "capacity": "--capacity",
}


def solve(overrides: dict, seed: int) -> dict:
    """Train until the 100-episode mean return reaches 475 (or the budget); what it took."""
    result, first = train_until_solved(seed, BUDGET, **overrides)
    return {
        "seed": seed,
        "reached": first is not None,
        "steps": int(first["global_step"]) if first is not None else None,
        "seconds": float(first["wall_time"]) if first is not None else None,
        "total_steps": result.global_step,
        "total_seconds": result.wall_time,
        "policy_lag_mean": (result.policy_lag or {}).get("mean"),
    }


def median_steps(trials: list[dict]) -> float:
    """Median env steps to 475 over seeds; a run that missed counts as infinitely many."""
    return statistics.median(t["steps"] if t["reached"] else float("inf") for t in trials)


def median_seconds(trials: list[dict]) -> float:
    return statistics.median(t["seconds"] if t["reached"] else float("inf") for t in trials)


def flags(overrides: dict) -> str:
    words = []
    for name, value in overrides.items():
        words += [FLAGS[name]] if value is True else [FLAGS[name], str(value)]
    return " ".join(words) or "(defaults)"


class Trials:
    """The trials so far, saved after each one (a rerun skips what is there)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = json.loads(path.read_text()) if path.exists() else {}

    def get(self, phase: str, name: str, seed: int) -> dict | None:
        return self.data.get(phase, {}).get(name, {}).get(str(seed))

    def put(self, phase: str, name: str, seed: int, trial: dict) -> None:
        self.data.setdefault(phase, {}).setdefault(name, {})[str(seed)] = trial
        self.path.write_text(json.dumps(self.data, indent=1))

    def of(self, phase: str, name: str) -> list[dict]:
        return list(self.data.get(phase, {}).get(name, {}).values())


def run_phase(trials: Trials, phase: str, names: list[str], seeds: tuple[int, ...]) -> None:
    for seed in seeds:
        for name in names:
            if trials.get(phase, name, seed) is None:
                print(f"{phase} seed {seed}: {name}", file=sys.stderr, flush=True)
                trials.put(phase, name, seed, solve(CANDIDATES[name], seed))


def table(trials: Trials, phase: str, names: list[str]) -> list[str]:
    lines = [
        "| configuration | flags | reached 475 | env steps to 475, median | per seed | "
        "seconds to 475, median | policy lag, mean |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in names:
        runs = sorted(trials.of(phase, name), key=lambda t: t["seed"])
        steps = median_steps(runs)
        seconds = median_seconds(runs)
        per_seed = ", ".join(f"{t['steps']:,}" if t["reached"] else "—" for t in runs)
        lags = [t["policy_lag_mean"] for t in runs if t["policy_lag_mean"] is not None]
        lines.append(
            f"| {name} | `{flags(CANDIDATES[name])}` | {sum(t['reached'] for t in runs)}/"
            f"{len(runs)} | {'—' if steps == float('inf') else f'{steps:,.0f}'} | {per_seed} | "
            f"{'—' if seconds == float('inf') else f'{seconds:.1f}'} | "
            f"{statistics.median(lags):.1f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-only", action="store_true", help="only rewrite the table")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    trials = Trials(RESULTS / "replay_pays.json")
    names = list(CANDIDATES)
    if not args.report_only:
        run_phase(trials, "tune", names, TUNING_SEEDS)
    memory = [name for name in names if name != "plain A3C"]
    plain_seconds = median_seconds(trials.of("tune", "plain A3C"))
    best = min(memory, key=lambda name: median_steps(trials.of("tune", name)))
    in_time = [n for n in memory if median_seconds(trials.of("tune", n)) <= plain_seconds]
    best_in_time = min(in_time, key=lambda n: median_steps(trials.of("tune", n)), default=None)
    chosen = list(dict.fromkeys([best, *([best_in_time] if best_in_time else [])]))
    if not args.report_only:
        run_phase(trials, "report", ["plain A3C", *chosen], REPORT_SEEDS)
    plain = trials.of("report", "plain A3C")
    verdicts = []
    for name in chosen:
        runs = trials.of("report", name)
        met = median_steps(runs) < median_steps(plain)
        faster = median_seconds(runs) <= median_seconds(plain)
        verdicts.append(
            f"- {name}: fewer env steps than plain A3C: **{'yes' if met else 'no'}** "
            f"({median_steps(runs):,.0f} against {median_steps(plain):,.0f}); wall time no "
            f"worse: **{'yes' if faster else 'no'}** ({median_seconds(runs):.1f} s against "
            f"{median_seconds(plain):.1f} s)."
        )
    text = [
        "# Does a memory layer pay for itself? CartPole-v1, env steps to a 100-episode mean of 475",
        "",
        f"Command: `python bench/bench_replay_pays.py`. 2 workers, budget {BUDGET:,} steps, "
        "every other setting at its TrainConfig default. Configurations run side by side, "
        "seed by seed. Medians over seeds; a run that missed counts as infinitely slow. "
        "Wall times were measured on a machine shared with other jobs.",
        "",
        f"## Tuning: seeds {', '.join(map(str, TUNING_SEEDS))}",
        "",
        *table(trials, "tune", names),
        "",
        f"## Report: seeds {', '.join(map(str, REPORT_SEEDS))}",
        "",
        "Plain A3C, the memory configuration with the fewest median steps in tuning, and the "
        "one with the fewest among those whose tuning wall time was no worse than plain A3C's.",
        "",
        *table(trials, "report", ["plain A3C", *chosen]),
        "",
        *verdicts,
        "",
    ]
    (RESULTS / "replay_pays.md").write_text("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
