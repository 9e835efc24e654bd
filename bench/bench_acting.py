"""Acting speed: one action from one observation, NumpyPolicy against a torch forward pass.

Run from the repository root::

    python bench/bench_acting.py            # 15 rounds of 2,000 calls per path
    python bench/bench_acting.py --quick    # 5 rounds of 500 calls: a smoke run

Writes ``bench/results/acting.json`` and ``bench/results/acting.md``. Workers act on one
observation at a time with one thread, so this does too (``torch.set_num_threads(1)``).
Every path is timed in the same process, interleaved round by round, and each figure is the
median over rounds of the mean time per call, so background load hits all of them alike.

Networks: the MinAtar ``ConvActorCritic`` (defaults: 3x3 conv with 16 channels, 128 hidden
units, 6 actions) on a ``(10, 10, 4)`` bool observation, as MinAtar Breakout gives it, and
the MLP ``ActorCritic`` (one tanh layer of 128, 2 actions) on a CartPole ``(4,)`` float32
observation. Paths:

- ``NumpyPolicy.logits``: the policy logits, numpy on views of the weights;
- ``NumpyPolicy.sample``: logits plus a Gumbel-max draw, what a worker calls every step;
- ``torch forward``: ``model(obs[None])`` under ``torch.no_grad()`` (logits and value);
- ``torch forward + sample``: the same plus ``torch.multinomial`` on the softmax and
  ``.item()``, a complete action the plain torch way.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from a3cmem_lib.agent import NumpyPolicy, build_actor_critic
from a3cmem_lib.experiments.machine import describe_machine

RESULTS = Path(__file__).resolve().parent / "results"
NETWORKS = {
    "conv, MinAtar (10, 10, 4) bool": ((10, 10, 4), 6),
    "MLP, CartPole (4,) float32": ((4,), 2),
}
PATHS = ["NumpyPolicy.logits", "NumpyPolicy.sample", "torch forward", "torch forward + sample"]


def observation(obs_shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """One observation as the environment gives it: sparse bool images, float32 vectors."""
    if len(obs_shape) == 3:
        return rng.random(obs_shape) < 0.05
    return rng.standard_normal(obs_shape, dtype=np.float32)


def acting_paths(obs_shape: tuple[int, ...], n_actions: int) -> dict[str, Callable[[], object]]:
    """The four ways to act on one observation, each a no-argument call."""
    torch.manual_seed(0)
    model = build_actor_critic(obs_shape, n_actions)
    policy = NumpyPolicy(model)
    rng = np.random.default_rng(0)
    obs = observation(obs_shape, rng)
    with torch.no_grad():
        expected = model(torch.from_numpy(obs).unsqueeze(0))[0][0].numpy()
    np.testing.assert_allclose(policy.logits(obs), expected, rtol=1e-4, atol=1e-6)

    def torch_forward() -> object:
        with torch.no_grad():
            return model(torch.from_numpy(obs).unsqueeze(0))

    def torch_forward_and_sample() -> int:
        with torch.no_grad():
            logits, _ = model(torch.from_numpy(obs).unsqueeze(0))
            return int(torch.multinomial(torch.softmax(logits[0], dim=-1), 1).item())

    return {
        "NumpyPolicy.logits": lambda: policy.logits(obs),
        "NumpyPolicy.sample": lambda: policy.sample(obs, rng),
        "torch forward": torch_forward,
        "torch forward + sample": torch_forward_and_sample,
    }


def measure(rounds: int, calls: int) -> dict[str, dict[str, dict[str, float]]]:
    """Median, min and max over ``rounds`` of the mean µs per call, per network and path."""
    paths = {name: acting_paths(*spec) for name, spec in NETWORKS.items()}
    for network in paths.values():  # warm-up: first calls allocate and fill caches
        for act in network.values():
            for _ in range(calls // 10):
                act()
    samples: dict[str, dict[str, list[float]]] = {
        name: {path: [] for path in PATHS} for name in NETWORKS
    }
    for _ in range(rounds):
        for name, network in paths.items():
            for path, act in network.items():
                start = time.perf_counter()
                for _ in range(calls):
                    act()
                samples[name][path].append((time.perf_counter() - start) / calls * 1e6)
    return {
        name: {
            path: {
                "median_us": statistics.median(times),
                "min_us": min(times),
                "max_us": max(times),
            }
            for path, times in network.items()
        }
        for name, network in samples.items()
    }


def markdown(results: dict, command: str) -> str:
    info = results["machine"]
    lines = [
        "# Acting speed: NumpyPolicy against a torch forward pass, one observation per call",
        "",
        f"Command: `{command}`  ",
        f"Machine: {info['processor']} ({info['cpus']} CPUs), Python {info['python']}, "
        f"torch {info['torch']}, numpy {info['numpy']}; {info['date']}.  ",
        f"One thread (`torch.set_num_threads(1)`), {results['rounds']} interleaved rounds of "
        f"{results['calls']:,} calls per path; µs per call, median (min–max) over rounds.",
        "",
        "| network | " + " | ".join(PATHS) + " | torch forward ÷ NumpyPolicy.sample |",
        "|---|" + "---|" * (len(PATHS) + 1),
    ]
    for name, network in results["timings"].items():
        cells = [
            f"{row['median_us']:.1f} ({row['min_us']:.1f}–{row['max_us']:.1f})"
            for row in (network[path] for path in PATHS)
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | ×{speedup(network):.1f} |")
    conv = results["timings"][next(iter(NETWORKS))]
    faster = "numpy" if speedup(conv) > 1 else "torch"
    lines += [
        "",
        f"For the conv net, `NumpyPolicy.sample` (a whole action) takes "
        f"{conv['NumpyPolicy.sample']['median_us']:.1f} µs and a bare torch forward "
        f"{conv['torch forward']['median_us']:.1f} µs: the {faster} path is faster"
        + (
            ", so `NumpyPolicy` evaluates the convolution with numpy (one im2col gather and "
            "one matrix product on views of the weights)."
            if faster == "numpy"
            else "; on this machine `NumpyPolicy`'s numpy convolution is the slower choice."
        ),
        "",
    ]
    return "\n".join(lines)


def speedup(network: dict[str, dict[str, float]]) -> float:
    """How many times longer a torch forward takes than a full NumpyPolicy action."""
    return network["torch forward"]["median_us"] / network["NumpyPolicy.sample"]["median_us"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=2_000, help="calls per path per round")
    parser.add_argument("--quick", action="store_true", help="5 rounds of 500 calls")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the .md from the saved .json"
    )
    args = parser.parse_args()
    if args.report_only:
        results = json.loads((RESULTS / "acting.json").read_text())
        (RESULTS / "acting.md").write_text(markdown(results, _command(results)))
        return
    rounds, calls = (5, 500) if args.quick else (args.rounds, args.calls)
    torch.set_num_threads(1)
    results = {
        "timings": measure(rounds, calls),
        "rounds": rounds,
        "calls": calls,
        "machine": {
            **describe_machine(),
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "acting.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "acting.md").write_text(markdown(results, _command(results)))
    print(markdown(results, _command(results)))


def _command(results: dict) -> str:
    command = "python bench/bench_acting.py"
    if (results["rounds"], results["calls"]) == (5, 500):
        return command + " --quick"
    if (results["rounds"], results["calls"]) != (15, 2_000):
        command += f" --rounds {results['rounds']} --calls {results['calls']}"
    return command


if __name__ == "__main__":
    main()
