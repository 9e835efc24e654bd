"""Command line: ``python -m a3cmem_lib train --env CartPole-v1 --workers 2 --out runs/NAME``
(``--memory per+dedup`` adds the memory layer) and ``python -m a3cmem_lib study ...``.

Explained in notebooks/01_a3c_basics.ipynb (section "From the command line").
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from a3cmem_lib.experiments.study import (
    EPISODES_FILE,
    RUNS_FILE,
    SUMMARY_FILE,
    StudyConfig,
    run_study,
)
from a3cmem_lib.experiments.study_plots import write_figures
from a3cmem_lib.training import TrainResult, train
from a3cmem_lib.training.config import (
    ACTIVATIONS,
    DEDUP_KEYS,
    MEMORY_KINDS,
    OPTIMIZERS,
    START_METHODS,
    TrainConfig,
)

CSV_NAME, PLOT_NAME, CHECKPOINT_NAME = "episodes.csv", "learning_curve.png", "checkpoint.pt"
_DEFAULTS = {field.name: field.default for field in fields(TrainConfig)}


def build_parser() -> argparse.ArgumentParser:
    """The ``a3cmem`` argument parser with its subcommands."""
    parser = argparse.ArgumentParser(
        prog="a3cmem", description="A3C with a replay-memory layer: the a3cmem textbook library."
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train_parser = subcommands.add_parser(
        "train",
        help="train A3C and write episodes.csv, learning_curve.png and checkpoint.pt",
        description="Train A3C with Hogwild workers. Defaults are TrainConfig's.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    _add_run_arguments(train_parser)
    _add_train_arguments(train_parser)
    train_parser.set_defaults(handler=_run_train)
    study_parser = subcommands.add_parser(
        "study",
        help="train every env x memory variant x seed; write tidy CSVs and summary plots",
        description="The stability study of notebooks/06_stability_study.ipynb. Every other "
        "flag sets the hyperparameters shared by all runs (TrainConfig's defaults).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    _add_study_arguments(study_parser)
    _add_train_arguments(study_parser)
    study_parser.set_defaults(handler=_run_study)
    return parser


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    d = _DEFAULTS
    add = parser.add_argument
    add("--env", dest="env_id", default=d["env_id"], help="gymnasium environment id")
    add("--steps", dest="total_steps", type=int, default=d["total_steps"], help="env steps")
    add("--seed", type=int, default=d["seed"], help="base seed (worker i uses seed + i)")
    add("--out", type=Path, default=None, help="output directory (default: runs/<env>-seed<seed>)")
    add("--memory", choices=MEMORY_KINDS, default=d["memory"], help="replay memory, or none")


def _add_study_arguments(parser: argparse.ArgumentParser) -> None:
    study = StudyConfig()
    add = parser.add_argument
    add("--envs", nargs="+", default=list(study.envs), help="gymnasium environment ids")
    add("--variants", nargs="+", choices=MEMORY_KINDS, default=list(study.variants))
    add("--seeds", type=int, default=study.seeds, help="seeds per env and variant")
    add(
        "--budget",
        nargs="+",
        default=[f"{env}={steps}" for env, steps in study.steps.items()],
        metavar="ENV=STEPS",
        help="environment-step budget of each run, per environment",
    )
    add("--out", type=Path, default=Path("results/study"), help="output directory")


def _add_train_arguments(parser: argparse.ArgumentParser) -> None:
    d = _DEFAULTS
    add = parser.add_argument
    add("--workers", dest="num_workers", type=int, default=d["num_workers"], help="processes")
    add("--t-max", type=int, default=d["t_max"], help="steps per rollout")
    add("--gamma", type=float, default=d["gamma"], help="discount factor")
    add("--gae-lambda", type=float, default=d["gae_lambda"], help="GAE lambda")
    add("--lr", dest="learning_rate", type=float, default=d["learning_rate"], help="learning rate")
    add(
        "--anneal-lr",
        action=argparse.BooleanOptionalAction,
        default=d["anneal_lr"],
        help="decay the learning rate linearly to 0",
    )
    add("--optimizer", choices=OPTIMIZERS, default=d["optimizer"], help="shared optimizer")
    add("--value-coef", type=float, default=d["value_coef"], help="value-loss weight")
    add("--entropy-coef", type=float, default=d["entropy_coef"], help="entropy-bonus weight")
    add("--max-grad-norm", type=float, default=d["max_grad_norm"], help="gradient clip norm")
    add(
        "--hidden-sizes",
        type=int,
        nargs="+",
        default=list(d["hidden_sizes"]),
        help="widths of the hidden layers",
    )
    add("--activation", choices=ACTIVATIONS, default=d["activation"], help="trunk activation")
    add("--start-method", choices=START_METHODS, default=None, help="multiprocessing start method")
    add(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=d["progress"],
        help="show a progress bar",
    )
    add("--stop-return", type=float, default=None, help="stop when the 100-episode mean hits it")
    add("--resume-from", default=None, help="checkpoint.pt to continue training from")
    memory = parser.add_argument_group("memory layer (with --memory other than none)")
    add = memory.add_argument
    add("--capacity", type=int, default=d["capacity"], help="segments the buffer holds")
    add("--alpha", type=float, default=d["alpha"], help="PER prioritization exponent")
    add("--beta", type=float, default=d["beta"], help="PER initial IS exponent (annealed to 1)")
    add("--dedup-key", choices=DEDUP_KEYS, default=d["dedup_key"], help="what makes duplicates")
    add("--dedup-decimals", type=int, default=None, help="round floats before the dedup key")
    add("--batch-size", type=int, default=d["batch_size"], help="segments per learner update")
    add("--replay-ratio", type=float, default=d["replay_ratio"], help="samples per pushed segment")
    add(
        "--hybrid",
        action=argparse.BooleanOptionalAction,
        default=d["hybrid"],
        help="workers also apply their on-policy A3C gradients",
    )
    add("--rho-bar", type=float, default=d["rho_bar"], help="V-trace rho-bar")
    add("--c-bar", type=float, default=d["c_bar"], help="V-trace c-bar")
    add(
        "--off-policy-correction",
        action=argparse.BooleanOptionalAction,
        default=d["off_policy_correction"],
        help="V-trace importance ratios in the learner",
    )


def _config_from(args: argparse.Namespace, **overrides: object) -> TrainConfig:
    config_fields = {field.name for field in fields(TrainConfig)}
    values = {name: value for name, value in vars(args).items() if name in config_fields}
    values["hidden_sizes"] = tuple(values["hidden_sizes"])
    return TrainConfig(**{**values, **overrides})


def _run_train(args: argparse.Namespace) -> int:
    try:
        config = _config_from(args)
    except (TypeError, ValueError) as error:
        print(f"a3cmem train: error: {error}", file=sys.stderr)
        return 2
    out = args.out if args.out is not None else Path("runs") / f"{config.env_id}-seed{config.seed}"
    out.mkdir(parents=True, exist_ok=True)
    result = train(config)
    write_run(result, out)
    episodes = result.episodes
    print(
        f"{result.global_step} steps in {result.wall_time:.1f} s "
        f"({result.steps_per_second:.0f} steps/s), {len(episodes)} episodes, "
        f"mean return of the last 100: {episodes['return'].tail(100).mean():.1f}"
    )
    if result.memory_stats is not None:
        print("memory layer: " + ", ".join(f"{k} {v:g}" for k, v in result.memory_stats.items()))
    print(f"wrote {out / CSV_NAME}, {out / PLOT_NAME}, {out / CHECKPOINT_NAME}")
    return 0


def _run_study(args: argparse.Namespace) -> int:
    try:
        budget = {}
        for item in args.budget:
            env_id, separator, steps = item.rpartition("=")
            if not separator or not steps.isdigit():
                raise ValueError(f"--budget takes ENV=STEPS items, got {item!r}")
            budget[env_id] = int(steps)
        study = StudyConfig(
            envs=tuple(args.envs),
            variants=tuple(args.variants),
            seeds=args.seeds,
            steps=budget,
            base=_config_from(args, progress=False),
        )
    except (TypeError, ValueError) as error:
        print(f"a3cmem study: error: {error}", file=sys.stderr)
        return 2
    run_study(study, args.out)
    figures = write_figures(args.out)
    summary = pd.read_csv(args.out / SUMMARY_FILE)
    print(summary.to_string(index=False, float_format=lambda value: f"{value:.4g}"))
    print(
        f"wrote {args.out}: {EPISODES_FILE}, {RUNS_FILE}, {SUMMARY_FILE}, "
        + ", ".join(path.name for path in figures)
    )
    return 0


def write_run(result: TrainResult, out: Path) -> None:
    """Write ``episodes.csv``, ``learning_curve.png`` and ``checkpoint.pt`` into ``out``."""
    result.episodes.to_csv(out / CSV_NAME, index=False)
    plot_learning_curve(result.episodes, out / PLOT_NAME, title=result.config.env_id)
    result.save_checkpoint(out / CHECKPOINT_NAME)


def plot_learning_curve(episodes: pd.DataFrame, path: Path, *, title: str) -> None:
    """Save episode returns and their 100-episode moving average against global steps."""
    # A bare Figure renders with Agg and leaves pyplot's backend alone (safe in notebooks).
    figure = Figure(figsize=(7, 4))
    axes = figure.subplots()
    axes.plot(episodes["global_step"], episodes["return"], ".", alpha=0.25, label="episode")
    moving = episodes["return"].rolling(100, min_periods=1).mean()
    axes.plot(episodes["global_step"], moving, label="mean of last 100")
    axes.set(xlabel="environment steps (all workers)", ylabel="episode return", title=title)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``) and run the chosen subcommand; the exit code."""
    args = build_parser().parse_args(argv)
    return args.handler(args)
