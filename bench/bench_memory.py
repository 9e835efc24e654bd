"""Replay-memory throughput: a3cmem against the original article's buffers, cpprb and TorchRL.

Run from the repository root (``make bench`` runs every benchmark)::

    python bench/bench_memory.py                       # capacities 10k, 100k and 1M, batch 256
    python bench/bench_memory.py --capacities 10000    # one capacity
    python bench/bench_memory.py --per-only --rounds 40  # PER sample+update only
    python bench/bench_memory.py --quick               # capacity 10k, short rounds: a smoke run

Writes ``bench/results/memory.json`` and ``bench/results/memory.md`` (``--quick`` writes
``memory_quick.*``, ignored by git; ``--per-only`` only prints its report). Every
implementation is timed in the same process, interleaved round by round, and each figure is
the median over rounds, so background load hits all of them alike. The headline, a3cmem's
PER sample+update throughput over cpprb's, is also computed round by round (the two are
timed one right after the other, in alternating order), and its spread over rounds is
reported. There every call is timed on its own, and the ratio is given both for the median
call (a call the scheduler interrupted for another process is an outlier; on the shared
2-core machine those decide the mean) and for the mean over all calls.

Items are CartPole transitions: state and next state float32 (4,), action int64, reward
float32, done bool.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from a3cmem_lib.experiments.machine import describe_machine
from a3cmem_lib.memory import FIFOBuffer, PrioritizedReplayBuffer, Transition
from a3cmem_lib.teaching.article_buffers import (
    ArticleFIFOBuffer,
    ArticlePrioritizedReplayBuffer,
    FixedArticleFIFOBuffer,
)

RESULTS = Path(__file__).resolve().parent / "results"
BATCH = 256
OBS = 4
ARTICLE_FIFO = "article's FIFO (minimally fixed)"
ARTICLE_PER = "article's PER (as written)"
LEGACY_NAMES = {
    "seed FIFO (minimally fixed)": ARTICLE_FIFO,
    "seed PER (as written)": ARTICLE_PER,
    "seed_fifo_error": "article_fifo_error",
}
"""Labels and keys of results files written before the rename, and what they are now."""
TARGET = 1.5
"""Issue 13, target 4: a3cmem's PER sample+update throughput over cpprb's, every capacity."""
LEVERS = """## What was tried (issue 13, target 4)

Constraints kept: sampling is bit-identical to commit c4b612d (same seed, same indices, weights
and batches; pinned by `tests/test_memory_pinned_draws.py` at sum-tree depths 0, 1 and 2),
every bad input is still refused with the same error before anything changes, and
`state_dict` is unchanged (old checkpoints load). numpy only.

**How the ratio is measured.** Each round times the two PER buffers back to back, in
alternating order, with every call timed on its own. On this shared 2-core machine (load
average 10-20 while these runs were made) the mean per call was 2.5-3.7× the median: the
scheduler stops a call for milliseconds now and then, and those calls decide the mean, so
the mean's ratio moves by ±0.15 between rounds. The median call ignores them (compare the
IQRs above); both are reported, and the verdict is given for each.

**Profile** (µs per call, median, batch 256, current code): capacity 10k (tree depth 1, top
625 nodes) sample+update 54: the sum-tree search 23, gathering the batch from the storage
5, the tree update 11, argument checks 4, the rest (draws, weights, priorities) 11; 100k
(depth 2, top 391) 89: search 42, storage 12, tree update 14, checks 5, rest 14. The cost
is numpy calls (about 0.5 µs each) and, from 100k on, cache misses: the search's in-order
additions (16 a level, what keeps it exact) are 17 of the 42 µs at 100k.

**Levers, in the order committed.** Earlier (c4b612d → e75ed7f): block views made once,
targets and weights in place, passed children counted as packed bytes, validation by one
reduction on the unsigned bits. This round:

1. the search's clamp, chosen offsets and row pairs in reused scratch, the top bounds and the
   read-only leaf view made once (9eec36b);
2. the minimum kept without its tree of minima while no overwritten leaf held it (a lower
   bound on how many leaves hold it handles ties), the minima refreshed only when it may be
   gone (4f6088f);
3. the top level's running sums by `np.add.accumulate`, the kernel of `np.cumsum` without
   its Python wrapper (f45a05c);
4. no target carried below the leaf level: three calls fewer per search (b53d3a1);
5. the blocks written since the last refresh kept as a list, the holders of the minimum
   bounded over the top level (ebb5880): a refresh costs what was written since, not a pass
   over every block. With the bench's fixed new priorities the minimum is tied and its
   holders overwritten now and then; where it is overwritten at every call (a push onto
   the oldest slot holding it, then sample+update), push+sample+update takes 155-192 µs at
   1M in two runs (185-194 before this round, 262-278 after lever 2 alone) and 75-79 µs at
   10k (85-86 before).

PER sample+update throughput over cpprb's, median call, every version interleaved with the
others and cpprb in one process (30 rounds of 100 calls each, load average 15-20):

| version | 10k | 100k | 1M |
|---|---|---|---|
| start of this round (8486a42) | 1.40 | 1.32 | 2.05 |
| + 1 | 1.49 | 1.34 | 2.13 |
| + 2 | 1.49 | 1.48 | 2.33 |
| + 3 | 1.55 | 1.52 | 2.35 |
| + 4 | 1.61 | 1.58 | 2.39 |
| + 5 | 1.64 | 1.57 | 2.39 |

Our own time per call fell 15% (10k), 16% (100k) and 14% (1M) over the round.

**Tried and not adopted**

- *One check of old and new values against the minimum* (`min(old, new) <= minimum`):
  slower at 10k (0.95-0.98×), since with the bench's fixed new priorities a new value
  equals the minimum at nearly every call and the exact path then runs every time.
- *Right shift instead of floor division* for the parents, *ufunc reductions instead of
  `.min()`/`.max()`* (0.4 µs each in isolation): no difference measurable in the cycle.
- *Gathering the children straight into the running-sum rows* (`take(out=...)` into the
  transposed scratch, then 15 in-place additions): the strided write costs 4-5 µs against
  1 µs for `take`, so 9.2 against 9.1 µs a level.
- *Running sums in one call*: `np.cumsum`/`np.add.accumulate` along either axis of a
  node's 16 children take 12-24 µs against 7-9 µs for 16 additions; keeping them in the tree
  would need the node sums to be in-order sums too, and a node's sum is a BLAS product
  (equal to the in-order sum for about 40% of the nodes of a batch): draws would change.
- *Record layout* (one gather per sampled item): timed alone, random sorted slots, caches
  flushed every 50 calls, gathering 256 CartPole transitions from 5 columns takes 10.3 µs at
  100k and 16.4 µs at 1M, from one structured array 4.8 and 6.0 µs if the fields are
  returned as strided views, 9.4 and 10.3 µs if copied to contiguous arrays. The gain needs
  strided batch fields (a change of what `sample` returns) and a new storage, which lives
  in `storage.py`, outside this round's files: left for a decision.
- *Shallower trees for small capacities*: another tree shape rounds its internal sums
  differently (seeded draws no longer guaranteed identical, saved trees would not load).

**What is left**: the numpy-call floor of the exact search (a compiled kernel would not be
numpy only) and the storage's five gathers per batch (above).
"""


def transitions(n: int, rng: np.random.Generator) -> Transition:
    """A batch of n random CartPole-shaped transitions (fields batched along axis 0)."""
    return Transition(
        state=rng.standard_normal((n, OBS), dtype=np.float32),
        action=rng.integers(0, 2, n),
        reward=np.ones(n, dtype=np.float32),
        next_state=rng.standard_normal((n, OBS), dtype=np.float32),
        done=rng.random(n) < 0.05,
    )


def as_tuples(batch: Transition) -> list[tuple]:
    """The same transitions as the article's code stores them: a list of Python tuples."""
    return list(zip(*batch, strict=True))


# -- implementations: each builds a full buffer and returns its operations ----------------
def a3cmem_fifo(capacity: int, data: Transition, rng: np.random.Generator) -> dict:
    buffer = FIFOBuffer(capacity, seed=0)
    fill(buffer.extend, data, capacity)
    one = Transition(*(field[0] for field in data))
    chunk = Transition(*(field[:BATCH] for field in data))
    return {
        "push": lambda: buffer.push(one),
        "extend": lambda: buffer.extend(chunk),
        "sample": lambda: buffer.sample(BATCH),
    }


def a3cmem_per(capacity: int, data: Transition, rng: np.random.Generator) -> dict:
    buffer = PrioritizedReplayBuffer(capacity, alpha=0.6, beta=0.4, seed=0)
    fill(buffer.extend, data, capacity, priorities=rng)
    one = Transition(*(field[0] for field in data))
    chunk = Transition(*(field[:BATCH] for field in data))
    new_priorities = rng.random(BATCH) + 0.01

    def sample_update() -> None:
        _, indices, _ = buffer.sample(BATCH)
        buffer.update_priorities(indices, new_priorities)

    return {
        "push": lambda: buffer.push(one, 1.0),
        "extend": lambda: buffer.extend(chunk, new_priorities),
        "sample": lambda: buffer.sample(BATCH),
        "sample+update": sample_update,
    }


def article_fifo(capacity: int, data: Transition, rng: np.random.Generator) -> dict:
    buffer = FixedArticleFIFOBuffer(capacity)
    items = as_tuples(data)
    for index in range(capacity):
        buffer.push(items[index % len(items)])
    chunk = items[:BATCH]

    def extend() -> None:
        for item in chunk:
            buffer.push(item)

    return {
        "push": lambda: buffer.push(items[0]),
        "extend": extend,
        "sample": lambda: buffer.sample(BATCH),
    }


def article_per(capacity: int, data: Transition, rng: np.random.Generator) -> dict:
    buffer = ArticlePrioritizedReplayBuffer(capacity, alpha=0.6, beta=0.4)
    items = as_tuples(data)
    priorities = rng.random(capacity) + 0.01
    for index in range(capacity):
        buffer.push(items[index % len(items)], priorities[index])
    chunk = items[:BATCH]
    new_priorities = rng.random(BATCH) + 0.01

    def extend() -> None:
        for item, priority in zip(chunk, new_priorities, strict=True):
            buffer.push(item, priority)

    def sample_update() -> None:
        _, indices, _ = buffer.sample(BATCH)
        buffer.update_priorities(indices, new_priorities)

    return {
        "push": lambda: buffer.push(items[0], 1.0),
        "extend": extend,
        "sample": lambda: buffer.sample(BATCH),
        "sample+update": sample_update,
    }


CPPRB_FIELDS = {
    "obs": {"shape": OBS, "dtype": np.float32},
    "act": {"dtype": np.int64},
    "rew": {"dtype": np.float32},
    "next_obs": {"shape": OBS, "dtype": np.float32},
    "done": {"dtype": np.bool_},
}


def cpprb_kwargs(data: Transition, rows: slice) -> dict:
    state, action, reward, next_state, done = (field[rows] for field in data)
    return {"obs": state, "act": action, "rew": reward, "next_obs": next_state, "done": done}


def cpprb_fifo(capacity: int, data: Transition, rng: np.random.Generator) -> dict:
    import cpprb

    buffer = cpprb.ReplayBuffer(capacity, CPPRB_FIELDS)
    for start in range(0, capacity, len(data.action)):
        buffer.add(**cpprb_kwargs(data, slice(0, min(len(data.action), capacity - start))))
    one, chunk = cpprb_kwargs(data, slice(0, 1)), cpprb_kwargs(data, slice(0, BATCH))
    return {
        "push": lambda: buffer.add(**one),
        "extend": lambda: buffer.add(**chunk),
        "sample": lambda: buffer.sample(BATCH),
    }


def cpprb_per(capacity: int, data: Transition, rng: np.random.Generator) -> dict:
    import cpprb

    buffer = cpprb.PrioritizedReplayBuffer(capacity, CPPRB_FIELDS, alpha=0.6)
    for start in range(0, capacity, len(data.action)):
        rows = slice(0, min(len(data.action), capacity - start))
        buffer.add(**cpprb_kwargs(data, rows), priorities=rng.random(rows.stop) + 0.01)
    one, chunk = cpprb_kwargs(data, slice(0, 1)), cpprb_kwargs(data, slice(0, BATCH))
    new_priorities = rng.random(BATCH) + 0.01

    def sample_update() -> None:
        batch = buffer.sample(BATCH, beta=0.4)
        buffer.update_priorities(batch["indexes"], new_priorities)

    return {
        "push": lambda: buffer.add(**one, priorities=np.ones(1)),
        "extend": lambda: buffer.add(**chunk, priorities=new_priorities),
        "sample": lambda: buffer.sample(BATCH, beta=0.4),
        "sample+update": sample_update,
    }


def fill(add: Callable, data: Transition, capacity: int, priorities=None) -> None:
    """Fill a buffer to capacity with ``add`` (extend), in chunks of the prepared data."""
    chunk = len(data.action)
    for start in range(0, capacity, chunk):
        rows = min(chunk, capacity - start)
        part = Transition(*(field[:rows] for field in data))
        if priorities is None:
            add(part)
        else:
            add(part, priorities.random(rows) + 0.01)


# -- timing --------------------------------------------------------------------------------
def time_per_call(operation: Callable, budget: float) -> float:
    """Seconds per call of ``operation``, measured over about ``budget`` seconds."""
    operation()
    start = time.perf_counter()
    calls = 0
    while True:
        operation()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= budget:
            return elapsed / calls


def call_times(operation: Callable, budget: float) -> list[float]:
    """Seconds taken by each call of ``operation``, called for about ``budget`` seconds."""
    operation()
    clock = time.perf_counter
    end = clock() + budget
    times = []
    while True:
        start = clock()
        operation()
        stop = clock()
        times.append(stop - start)
        if stop >= end:
            return times


def article_fifo_crash(data: Transition) -> str:
    """Run the article's FIFO ``sample`` as written and return the error it raises."""
    buffer = ArticleFIFOBuffer(10)
    for item in as_tuples(data)[:10]:
        buffer.push(item)
    try:
        buffer.sample(4)
    except ValueError as error:
        return f"ValueError: {error}"
    return "no error"


OURS_PER = "a3cmem PrioritizedReplayBuffer"
CPPRB_PER = "cpprb PrioritizedReplayBuffer"


def run(capacities: list[int], rounds: int, budget: float, per_only: bool = False) -> dict:
    rng = np.random.default_rng(0)
    data = transitions(100_000, rng)
    implementations = {
        "a3cmem FIFOBuffer": a3cmem_fifo,
        OURS_PER: a3cmem_per,
        ARTICLE_FIFO: article_fifo,
        ARTICLE_PER: article_per,
    }
    if importlib.util.find_spec("cpprb"):
        implementations["cpprb ReplayBuffer"] = cpprb_fifo
        implementations[CPPRB_PER] = cpprb_per
    if per_only:
        implementations = {
            name: build for name, build in implementations.items() if name in (OURS_PER, CPPRB_PER)
        }
    results: dict = {"capacities": {}, "per_ratio": {}, "per_ratio_all_calls": {}}
    for capacity in capacities:
        print(f"capacity {capacity:,}: filling buffers", flush=True)
        operations = {name: build(capacity, data, rng) for name, build in implementations.items()}
        if per_only:
            operations = {
                name: {"sample+update": ops["sample+update"]} for name, ops in operations.items()
            }
        samples: dict = {name: {op: [] for op in ops} for name, ops in operations.items()}
        pair = [name for name in (OURS_PER, CPPRB_PER) if name in operations]
        median_call: dict = {name: [] for name in pair}
        for round_ in range(rounds):
            # The headline pair first, back to back, in alternating order: their ratio in
            # one round sees the same background load.
            for name in pair if round_ % 2 == 0 else pair[::-1]:
                times = call_times(operations[name]["sample+update"], budget)
                median_call[name].append(statistics.median(times))
                samples[name]["sample+update"].append(statistics.fmean(times))
            for name, ops in operations.items():
                for op, call in ops.items():
                    if name in pair and op == "sample+update":
                        continue
                    slow = name in (ARTICLE_FIFO, ARTICLE_PER) and op.startswith("sample")
                    samples[name][op].append(time_per_call(call, budget * (3 if slow else 1)))
            print(f"  round {round_ + 1}/{rounds} done", flush=True)
        results["capacities"][capacity] = {
            name: {op: statistics.median(times) for op, times in ops.items()}
            for name, ops in samples.items()
        }
        if len(pair) == 2:
            all_calls = {name: samples[name]["sample+update"] for name in pair}
            for key, times in (("per_ratio", median_call), ("per_ratio_all_calls", all_calls)):
                ours, theirs = (times[name] for name in pair)
                results[key][capacity] = ratio_summary(
                    [cpprb / a3cmem for a3cmem, cpprb in zip(ours, theirs, strict=True)]
                )
        del operations
    return results


def ratio_summary(ratios: list[float]) -> dict:
    """Median, quartiles and range of per-round throughput ratios (a3cmem / cpprb)."""
    q1, median, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
    return {
        "median": statistics.median(ratios),
        "q1": q1,
        "q3": q3,
        "min": min(ratios),
        "max": max(ratios),
        "rounds": ratios,
    }


def iqr(ratio: dict) -> str:
    return f"{ratio['q1']:.2f}–{ratio['q3']:.2f}"


def span(ratio: dict) -> str:
    return f"{ratio['min']:.2f}–{ratio['max']:.2f}"


def machine() -> dict:
    info = describe_machine()
    info["date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    if importlib.util.find_spec("cpprb"):
        from importlib.metadata import version

        info["cpprb"] = version("cpprb")
    return info


def current_names(results: object) -> object:
    """``results`` with every key of :data:`LEGACY_NAMES`, at any depth, renamed; order kept."""
    if isinstance(results, dict):
        return {LEGACY_NAMES.get(key, key): current_names(value) for key, value in results.items()}
    return results


def markdown(results: dict, command: str) -> str:
    info = results["machine"]
    lines = [
        "# Replay-memory throughput",
        "",
        f"Command: `{command}`  ",
        f"Machine: {info['processor']} ({info['cpus']} CPUs), Python {info['python']}, "
        f"numpy {info['numpy']}"
        + (f", cpprb {info['cpprb']}" if "cpprb" in info else "")
        + f"; {info['date']}.",
        "",
    ]
    per_ratio = results.get("per_ratio", {})
    if per_ratio:
        lines += [
            f"## Prioritized replay sample+update, batch {BATCH}: a3cmem / cpprb throughput",
            "",
            f"Issue 13 target: ≥ {TARGET}× at every capacity. Ratio per round (the two timed "
            "back to back, in alternating order, every call timed on its own), over "
            f"{results['rounds']} rounds: median, IQR and range over rounds. *Median call*: "
            "the ratio of each one's median call time in the round (a call interrupted by "
            "another process on the shared machine is an outlier that the median ignores); "
            "*mean*: of their mean call times.",
            "",
            "| capacity | median call | IQR | min–max | mean | IQR | target met |",
            "|---|---|---|---|---|---|---|",
        ]
        median_calls, all_calls = per_ratio, results.get("per_ratio_all_calls")
        if all_calls is None:  # written before calls were timed one by one: means only
            median_calls, all_calls = {}, per_ratio
        for capacity, every in all_calls.items():
            cells, verdicts = ["–", "–", "–"], []
            if capacity in median_calls:
                ratio = median_calls[capacity]
                cells = [f"**{ratio['median']:.2f}×**", iqr(ratio), span(ratio)]
                verdicts.append("yes" if ratio["median"] >= TARGET else "no")
            cells += [f"{every['median']:.2f}×", iqr(every)]
            verdicts.append("yes" if every["median"] >= TARGET else "no")
            met = verdicts[0] if len(set(verdicts)) == 1 else " / ".join(verdicts)
            lines.append(f"| {int(capacity):,} | " + " | ".join(cells) + f" | {met} |")
        lines += [
            "",
            "Target met: *yes* or *no* when both statistics agree, else median call / mean.",
            "",
        ]
    lines += [
        f"Microseconds per call (median of {results['rounds']} interleaved rounds); "
        "`push` adds 1 transition, `extend` adds 256, `sample` draws 256, "
        "`sample+update` draws 256 and sets their new priorities. Lower is better.",
        "",
    ]
    for capacity, table in results["capacities"].items():
        ops = ["push", "extend", "sample", "sample+update"]
        lines += [f"## Capacity {int(capacity):,}", ""]
        lines += ["| implementation | " + " | ".join(ops) + " |", "|---" * (len(ops) + 1) + "|"]
        for name, timings in table.items():
            cells = [f"{timings[op] * 1e6:,.1f}" if op in timings else "–" for op in ops]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
        ours = table[OURS_PER]["sample+update"]
        ratios = [
            f"- PER sample+update: a3cmem is **{table[name]['sample+update'] / ours:.2f}×** "
            f"the throughput of {name} (ratio of the medians)"
            for name in table
            if name != OURS_PER and "sample+update" in table[name]
        ]
        if ARTICLE_PER in table:
            article_per_item = table[ARTICLE_PER]["sample+update"] / BATCH
            ratios.append(
                f"- the article's PER costs {article_per_item * 1e6:.1f} µs per sampled transition"
            )
        lines += ratios + [""]
    if "article_fifo_error" in results:
        lines += [
            "The article's FIFO `sample` fails as written on every buffer of transitions: "
            f"`{results['article_fifo_error']}`. The row above times the minimal fix "
            "(draw indices, then gather).",
            "",
        ]
    if "torchrl" in results:
        lines += [results["torchrl"], ""]
    lines += [LEVERS]
    return "\n".join(lines)


def torchrl_status() -> str:
    if importlib.util.find_spec("torchrl") is None:
        return (
            "TorchRL: not installed in this environment, so not timed. Its prioritized "
            "sampler needs TorchRL's C++ extension, which did not load against torch 2.13.0 "
            "with the torchrl releases tried (see the README)."
        )
    return "TorchRL: installed, but not timed by this script."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="capacity 10k, short rounds")
    parser.add_argument(
        "--capacities",
        type=lambda text: [int(value) for value in text.split(",")],
        default=[10_000, 100_000, 1_000_000],
        help="comma-separated buffer capacities (default 10000,100000,1000000)",
    )
    parser.add_argument("--per-only", action="store_true", help="time PER sample+update only")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--budget", type=float, default=0.3, help="seconds per measurement")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the .md from the saved .json"
    )
    args = parser.parse_args()
    if args.report_only:
        results = current_names(json.loads((RESULTS / "memory.json").read_text()))
        command = results.get("command", "python bench/bench_memory.py")
        (RESULTS / "memory.md").write_text(markdown(results, command))
        return
    if args.quick:
        capacities, rounds, budget = [10_000], 2, 0.05
    else:
        capacities, rounds, budget = args.capacities, args.rounds, args.budget
    results = run(capacities, rounds, budget, per_only=args.per_only)
    results.update(rounds=rounds, budget=budget, machine=machine())
    if not args.per_only:
        results.update(
            article_fifo_error=article_fifo_crash(transitions(10, np.random.default_rng(0))),
            torchrl=torchrl_status(),
        )
    command = "python bench/bench_memory.py" + "".join(
        f" {arg}" for arg in sys.argv[1:] if arg != "--report-only"
    )
    results["command"] = command
    if args.per_only:
        print(markdown(results, command))
        return
    suffix = "_quick" if args.quick else ""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"memory{suffix}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / f"memory{suffix}.md").write_text(markdown(results, command))
    print(markdown(results, command))


if __name__ == "__main__":
    main()
