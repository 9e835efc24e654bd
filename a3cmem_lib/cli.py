"""Command line: ``python -m a3cmem_lib train --env CartPole-v1 --workers 2 --out runs/NAME``
(``--memory per+dedup`` adds the memory layer) and ``python -m a3cmem_lib study ...``.

How a run ends:

- it finishes: a summary line; ``episodes.csv``, ``learning_curve.png`` and ``checkpoint.pt``
  in ``--out`` (with ``--checkpoint-every`` also along the way);
- Ctrl-C or SIGTERM: the same three files of what was done, one line on stderr saying where
  it stopped and the command that resumes it; exit code 130 (SIGINT) or 143 (SIGTERM);
- bad input (an unknown environment, a checkpoint that does not fit, an ``--out`` that cannot
  be written...): one line ``a3cmem train: error: argument --FLAG: ...``, exit code 2,
  before any worker starts;
- a worker raised: ``a3cmem train: error:`` and the worker's traceback, exit code 1.

Every file is written to a temporary name and renamed over the old one, so a kill at any
moment leaves complete files.

Explained in notebooks/01_a3c_basics.ipynb (sections "From the command line" and "Stopping
and resuming").
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import re
import shlex
import sys
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import fields
from pathlib import Path
from typing import NoReturn

import pandas as pd
from matplotlib.figure import Figure

from a3cmem_lib.atomic import atomic_path
from a3cmem_lib.distributed.ray_runtime import import_ray
from a3cmem_lib.experiments.axes import AXES, run_axis
from a3cmem_lib.experiments.backends import JOB_BACKENDS
from a3cmem_lib.experiments.follow_up import FOLLOW_UPS
from a3cmem_lib.experiments.jobs import VARIANTS
from a3cmem_lib.experiments.study import StudyConfig, run_study
from a3cmem_lib.experiments.study_plots import write_figures
from a3cmem_lib.experiments.tables import EPISODES_FILE, RUNS_FILE, SUMMARY_FILE
from a3cmem_lib.stop_signals import StopSignals
from a3cmem_lib.training import (
    SetupError,
    TrainingInterrupted,
    TrainResult,
    WorkerError,
    load_checkpoint,
    train,
)
from a3cmem_lib.training.config import (
    ACTIVATIONS,
    DEDUP_KEYS,
    MEMORY_KINDS,
    OPTIMIZERS,
    START_METHODS,
    TrainConfig,
)
from a3cmem_lib.training.config import (
    BACKENDS as TRAIN_BACKENDS,
)
from a3cmem_lib.training.train import check_environment

CSV_NAME, PLOT_NAME, CHECKPOINT_NAME = "episodes.csv", "learning_curve.png", "checkpoint.pt"
_DEFAULTS = {field.name: field.default for field in fields(TrainConfig)}
_CONFIG_FIELDS = frozenset(_DEFAULTS)
_FLAGS = {
    "env_id": "--env",
    "total_steps": "--steps",
    "num_workers": "--workers",
    "learning_rate": "--lr",
    "ray_address": "--address",
}
"""The flags not spelled like their TrainConfig field (``--t-max`` sets ``t_max``)."""
_STUDY_FLAGS = {
    "env": "--envs",
    "variants": "--variants",
    "seeds": "--seeds",
    "first_seed": "--first-seed",
    "steps": "--budget",
}
"""The flags of the StudyConfig fields (and of ``env``, its word for one of ``envs``)."""
_USAGE_ERROR, _WORKER_FAILED = 2, 1


def build_parser() -> argparse.ArgumentParser:
    """The ``a3cmem`` argument parser with its subcommands."""
    parser = _Parser(
        prog="a3cmem", description="A3C with a replay-memory layer: the a3cmem textbook library."
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train_parser = subcommands.add_parser(
        "train",
        help="train A3C and write episodes.csv, learning_curve.png and checkpoint.pt",
        description="Train A3C with Hogwild workers. Defaults are TrainConfig's. Ctrl-C or "
        "SIGTERM saves the run so far and prints the command that resumes it.",
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


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, like every other CLI error."""

    def error(self, message: str) -> NoReturn:
        self.exit(_USAGE_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    d = _DEFAULTS
    add = parser.add_argument
    add("--env", dest="env_id", default=d["env_id"], help="gymnasium environment id")
    add("--steps", dest="total_steps", type=int, default=d["total_steps"], help="env steps")
    add("--seed", type=int, default=d["seed"], help="base seed (worker i uses seed + i)")
    add(
        "--out",
        type=Path,
        default=None,
        help="output directory, also of the checkpoints (default: runs/<env>-seed<seed>)",
    )
    add("--memory", choices=MEMORY_KINDS, default=d["memory"], help="replay memory, or none")
    add(
        "--checkpoint-every",
        type=int,
        default=d["checkpoint_every"],
        metavar="STEPS",
        help="also write the three output files every STEPS environment steps",
    )
    add(
        "--backend",
        choices=TRAIN_BACKENDS,
        default=d["backend"],
        help="local: worker processes here; ray: Ray actors (pip install 'a3cmem[ray]')",
    )
    add(
        "--address",
        dest="ray_address",
        default=None,
        help="with --backend ray: a running Ray cluster to join (default: start Ray here)",
    )


def _add_study_arguments(parser: argparse.ArgumentParser) -> None:
    study = StudyConfig()
    add = parser.add_argument
    add(
        "--axis",
        choices=list(AXES),
        default=None,
        help="one axis of chapter 07's regime study (its own envs, variants, budgets); "
        "without it, the stability study of chapter 06",
    )
    add(
        "--follow-up",
        nargs="?",
        const="regime",
        default=None,
        choices=list(FOLLOW_UPS),
        metavar="NAME",
        help="one of chapter 07's follow-ups, which test on new seeds what an exploration "
        f"suggested: {' | '.join(FOLLOW_UPS)} (default: regime; "
        "a3cmem_lib.experiments.follow_up.FOLLOW_UPS)",
    )
    add("--envs", nargs="+", default=None, help=f"gymnasium environment ids {list(study.envs)}")
    add(
        "--variants",
        nargs="+",
        choices=list(VARIANTS),
        default=None,
        help=f"memory variants {list(study.variants)}",
    )
    add(
        "--seeds",
        type=int,
        default=None,
        help=f"seeds per run setting ({study.seeds}; an axis: its own)",
    )
    add(
        "--first-seed",
        type=int,
        default=None,
        help=f"the first seed ({study.first_seed}): seeds FIRST ... FIRST + SEEDS - 1, e.g. to "
        "test on new seeds what another study suggested (not with --axis)",
    )
    add(
        "--budget",
        nargs="+",
        default=None,
        metavar="ENV=STEPS",
        help="environment-step budget of each run, per environment "
        f"({' '.join(f'{env}={steps}' for env, steps in study.steps.items())})",
    )
    add(
        "--out",
        type=Path,
        default=None,
        help="output directory (results/study, results/AXIS, results/follow-up for the "
        "regime follow-up, results/follow-up-NAME for another)",
    )
    add(
        "--backend",
        choices=list(JOB_BACKENDS),
        default="local",
        help="run the study's runs here one after another, or as tasks on Ray",
    )
    add(
        "--address",
        default=None,
        help="with --backend ray: the cluster to join (default: a local Ray)",
    )


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
    add("--conv-channels", type=int, default=d["conv_channels"], help="conv net: channels")
    add("--conv-kernel", type=int, default=d["conv_kernel"], help="conv net: kernel size")
    add("--conv-hidden", type=int, default=d["conv_hidden"], help="conv net: hidden units")
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
        "--fresh-fraction",
        type=float,
        default=d["fresh_fraction"],
        help="share of each learner batch taken from the newest untrained segments (LASER)",
    )
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


def flag_of(field_name: str) -> str:
    """The command-line flag that sets the TrainConfig field ``field_name``."""
    return _FLAGS.get(field_name, "--" + field_name.replace("_", "-"))


class _CommandError(Exception):
    """What the CLI reports as ``a3cmem COMMAND: error: MESSAGE``, exiting with ``code``."""

    def __init__(self, message: str, code: int = _USAGE_ERROR) -> None:
        super().__init__(message)
        self.code = code


def _bad_argument(name: str, message: str) -> _CommandError:
    """A usage error of the flag ``name`` (``--out``) on one line, like argparse's own."""
    one_line = " ".join(line.strip() for line in message.splitlines() if line.strip())
    return _CommandError(f"argument {name}: {one_line}")


def _config_from(args: argparse.Namespace, **overrides: object) -> TrainConfig:
    """The TrainConfig the flags describe; an invalid value is a usage error of its flag."""
    values = {name: value for name, value in vars(args).items() if name in _CONFIG_FIELDS}
    values["hidden_sizes"] = tuple(values["hidden_sizes"])
    try:
        return TrainConfig(**{**values, **overrides})
    except (TypeError, ValueError) as error:
        # TrainConfig's messages start with the field's name ("num_workers must be ...").
        first_word = re.match(r"\w*", str(error)).group()
        if first_word not in _CONFIG_FIELDS:
            raise _CommandError(str(error)) from None
        raise _bad_argument(flag_of(first_word), str(error)) from None


def _run_train(args: argparse.Namespace) -> int:
    stop = StopSignals()
    try:
        with stop.handled():
            return _train(args, stop)
    except _CommandError as failure:
        print(f"a3cmem train: error: {failure}", file=sys.stderr)
        return failure.code
    except KeyboardInterrupt:  # not through StopSignals: another thread's interrupt_main()
        print(f"a3cmem train: stopped ({stop.name}) before the run was saved", file=sys.stderr)
        return stop.exit_code


def _train(args: argparse.Namespace, stop: StopSignals) -> int:
    """The ``train`` command: check every input, train, write the run, report."""
    config = _config_from(args)
    out = args.out if args.out is not None else config.default_out_dir()
    config = dataclasses.replace(config, checkpoint_path=str(out / CHECKPOINT_NAME))
    if config.resume_from is not None:
        _check_checkpoint_file(config.resume_from)
    if config.backend == "ray":
        try:
            import_ray()
        except ImportError as error:
            raise _bad_argument("--backend", str(error)) from None
    created = _prepare_out(out)
    try:
        result = train(config, on_checkpoint=lambda run: write_curves(run, out))
    except SetupError as error:
        _remove_empty(created)
        raise _setup_failure(error) from None
    except WorkerError as error:
        raise _CommandError(str(error), code=_WORKER_FAILED) from None
    except TrainingInterrupted as interruption:
        result = interruption.result
        with stop.deferred():
            write_run(result, out)
        files = f"{out}{os.sep}{{{CSV_NAME},{PLOT_NAME},{CHECKPOINT_NAME}}}"
        print(
            f"a3cmem train: stopped at step {result.global_step:,} of {config.total_steps:,} "
            f"({stop.name}); wrote {files}; resume with: "
            + resume_command(args, out, out / CHECKPOINT_NAME),
            file=sys.stderr,
        )
        return stop.exit_code
    with stop.deferred():
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


def _check_checkpoint_file(path: str) -> None:
    """A usage error of ``--resume-from`` unless ``path`` reads as a checkpoint.

    ``train()`` reads it again and checks that it fits the run. Reading it here first
    reports a broken file before the output folder is made, and silences the warnings
    torch's unpickler prints on stderr about some garbage (the error is one line)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load_checkpoint(path)
    except (OSError, ValueError) as error:
        raise _bad_argument("--resume-from", str(error)) from None


def _setup_failure(error: SetupError) -> _CommandError:
    """The usage error of the flag a :class:`SetupError` is about: the field its message
    starts with (``resume_from: ...``, ``ray_address: ...``) or else the environment."""
    message = str(error)
    field_name, colon, rest = message.partition(": ")
    if colon and field_name in _CONFIG_FIELDS:  # "resume_from: ...", "ray_address: ..."
        return _bad_argument(flag_of(field_name), rest)
    return _bad_argument("--env", message)


def _prepare_out(out: Path) -> list[Path]:
    """Create the output folder ``out`` and prove that a file can be written into it.

    Returns the folders this created, outermost first, so that a run that cannot start
    removes them again (:func:`_remove_empty`). Raises a usage error of ``--out`` otherwise.
    """
    if out.exists() and not out.is_dir():
        raise _bad_argument("--out", f"{str(out)!r} is an existing file, not a directory")
    missing = [folder for folder in (*reversed(out.parents), out) if not folder.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        _remove_empty(missing)
        raise _bad_argument(
            "--out", f"cannot create directory {str(out)!r} ({error.strerror or error})"
        ) from None
    try:
        with tempfile.NamedTemporaryFile(dir=out, prefix=".a3cmem-write-test-"):
            pass
    except OSError as error:
        _remove_empty(missing)
        raise _bad_argument(
            "--out", f"cannot write into directory {str(out)!r} ({error.strerror or error})"
        ) from None
    return missing


def _remove_empty(folders: list[Path]) -> None:
    """Remove those of ``folders`` that are (still) empty, innermost first."""
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


def resume_command(args: argparse.Namespace, out: Path, checkpoint: Path) -> str:
    """The shell command that continues the run ``args`` describe from ``checkpoint``:
    ``--env``, ``--steps`` and ``--out``, every flag that differs from its default, and
    ``--resume-from``."""
    defaults = vars(build_parser().parse_args(["train"]))
    values = {name: getattr(args, name) for name in _DEFAULTS if hasattr(args, name)}
    words = ["python", "-m", "a3cmem_lib", "train"]
    words += [flag_of("env_id"), values.pop("env_id"), flag_of("total_steps")]
    words += [str(values.pop("total_steps")), "--out", str(out)]
    values.pop("resume_from", None)
    for name, value in values.items():
        if value == defaults[name]:
            continue
        if isinstance(value, bool):
            words.append(flag_of(name) if value else "--no-" + flag_of(name)[2:])
        elif isinstance(value, (list, tuple)):
            words += [flag_of(name), *map(str, value)]
        else:
            words += [flag_of(name), str(value)]
    return shlex.join([*words, "--resume-from", str(checkpoint)])


def _run_study(args: argparse.Namespace) -> int:
    stop = StopSignals()
    try:
        with stop.handled():
            return _study(args)
    except _CommandError as failure:
        print(f"a3cmem study: error: {failure}", file=sys.stderr)
        return failure.code
    except KeyboardInterrupt:
        print(
            f"a3cmem study: stopped ({stop.name}); {args.out} holds the runs that finished",
            file=sys.stderr,
        )
        return stop.exit_code


def _study(args: argparse.Namespace) -> int:
    """The ``study`` command: check every input, run the study, draw its figures."""
    if args.out is None:
        args.out = Path("results") / (args.axis or _follow_up_folder(args.follow_up) or "study")
    base = _config_from(args, progress=False)
    if args.address is not None and args.backend != "ray":
        raise _bad_argument("--address", "needs --backend ray")
    if args.follow_up:
        return _follow_up_study(args, base)
    if args.axis is not None:
        return _axis_study(args, base)
    study = _study_config(args, base)
    _prepare_out(args.out)
    with _study_failures():
        run_study(study, args.out, backend=args.backend, address=args.address)
    figures = write_figures(args.out)
    summary = pd.read_csv(args.out / SUMMARY_FILE)
    print(summary.to_string(index=False, float_format=lambda value: f"{value:.4g}"))
    print(
        f"wrote {args.out}: {EPISODES_FILE}, {RUNS_FILE}, {SUMMARY_FILE}, "
        + ", ".join(path.name for path in figures)
    )
    return 0


def _study_config(args: argparse.Namespace, base: TrainConfig) -> StudyConfig:
    """The StudyConfig of the stability study's flags (their defaults: StudyConfig's)."""
    defaults = StudyConfig()
    budget = dict(defaults.steps)
    if args.budget is not None:
        budget = {}
        for item in args.budget:
            env_id, separator, steps = item.rpartition("=")
            if not separator or not steps.isdigit():
                raise _bad_argument("--budget", f"takes ENV=STEPS items, got {item!r}")
            budget[env_id] = int(steps)
    envs = tuple(args.envs) if args.envs is not None else defaults.envs
    for env_id in envs:  # here, not after hours of runs of the environments before it
        try:
            check_environment(env_id)
        except SetupError as error:
            raise _bad_argument("--envs", str(error)) from None
    try:
        return StudyConfig(
            envs=envs,
            variants=tuple(args.variants) if args.variants is not None else defaults.variants,
            seeds=args.seeds if args.seeds is not None else defaults.seeds,
            first_seed=args.first_seed if args.first_seed is not None else defaults.first_seed,
            steps=budget,
            base=base,
        )
    except (TypeError, ValueError) as error:
        # StudyConfig's messages start with the field's name ("seeds must be ...").
        field_name = re.match(r"\w*", str(error)).group()
        raise _bad_argument(_STUDY_FLAGS.get(field_name, "--envs"), str(error)) from None


def _axis_study(args: argparse.Namespace, base: TrainConfig) -> int:
    """``study --axis NAME``: one axis of the regime study, resumable, into ``--out``."""
    for flag, value in (("--envs", args.envs), ("--variants", args.variants)):
        if value is not None:
            axis = AXES[args.axis]
            raise _bad_argument(
                flag, f"not with --axis (it runs {list(axis.envs)} x {list(axis.variants)})"
            )
    if args.budget is not None:
        raise _bad_argument("--budget", "not with --axis (budgets: a3cmem_lib.experiments.axes)")
    if args.first_seed is not None:
        raise _bad_argument("--first-seed", "not with --axis (an axis runs seeds 0, 1, ...)")
    axis = AXES[args.axis]
    try:
        axis.jobs(args.seeds, base)
    except (TypeError, ValueError) as error:
        raise _bad_argument("--seeds", str(error)) from None
    for env_id in axis.envs:
        try:
            check_environment(env_id)
        except SetupError as error:
            raise _bad_argument("--axis", str(error)) from None
    _prepare_out(args.out)
    with _study_failures():
        runs = run_axis(
            args.axis,
            args.out,
            seeds=args.seeds,
            base=base,
            backend=args.backend,
            address=args.address,
        )
    summary = pd.read_csv(args.out / SUMMARY_FILE)
    print(summary.to_string(index=False, float_format=lambda value: f"{value:.4g}"))
    print(f"wrote {args.out}: {len(runs)} runs")
    return 0


def _follow_up_folder(name: str | None) -> str | None:
    """Where a follow-up's results go by default (``None``: not a follow-up)."""
    if name is None:
        return None
    return "follow-up" if name == "regime" else f"follow-up-{name}"


def _follow_up_study(args: argparse.Namespace, base: TrainConfig) -> int:
    """``study --follow-up NAME``: one of chapter 07's follow-ups, resumable, into ``--out``;
    then its hypotheses' tests."""
    follow_up = FOLLOW_UPS[args.follow_up]
    for flag, value in (
        ("--axis", args.axis),
        ("--envs", args.envs),
        ("--variants", args.variants),
        ("--budget", args.budget),
        ("--seeds", args.seeds),
        ("--first-seed", args.first_seed),
    ):
        if value is not None:
            raise _bad_argument(
                flag, "not with --follow-up (its runs: a3cmem_lib.experiments.follow_up)"
            )
    for env_id in dict.fromkeys(hypothesis.env for hypothesis in follow_up.hypotheses):
        try:
            check_environment(env_id)
        except SetupError as error:
            raise _bad_argument("--follow-up", str(error)) from None
    _prepare_out(args.out)
    with _study_failures():
        runs = follow_up.run(args.out, base=base, backend=args.backend, address=args.address)
    tests = follow_up.evaluate(runs).drop(columns="evidence")
    print(tests.to_string(index=False, float_format=lambda value: f"{value:.4g}"))
    print(f"wrote {args.out}: {len(runs)} runs")
    return 0


@contextlib.contextmanager
def _study_failures() -> Iterator[None]:
    """A setup error or a failed run of a study: one line, the right exit code."""
    try:
        yield
    except SetupError as error:
        raise _setup_failure(error) from None
    except WorkerError as error:
        raise _CommandError(str(error), code=_WORKER_FAILED) from None


def write_run(result: TrainResult, out: Path) -> None:
    """Write ``episodes.csv``, ``learning_curve.png`` and ``checkpoint.pt`` into ``out``,
    each atomically."""
    write_curves(result, out)
    result.save_checkpoint(out / CHECKPOINT_NAME)


def write_curves(result: TrainResult, out: Path) -> None:
    """Write ``episodes.csv`` and ``learning_curve.png`` into ``out``, each atomically (what
    the CLI does after every periodic checkpoint)."""
    with atomic_path(out / CSV_NAME) as temporary:
        result.episodes.to_csv(temporary, index=False)
    plot_learning_curve(result.episodes, out / PLOT_NAME, title=result.config.env_id)


def plot_learning_curve(episodes: pd.DataFrame, path: Path, *, title: str) -> None:
    """Save episode returns and their 100-episode moving average against global steps (a
    PNG, written atomically)."""
    # A bare Figure renders with Agg and leaves pyplot's backend alone (safe in notebooks).
    figure = Figure(figsize=(7, 4))
    axes = figure.subplots()
    axes.plot(episodes["global_step"], episodes["return"], ".", alpha=0.25, label="episode")
    moving = episodes["return"].rolling(100, min_periods=1).mean()
    axes.plot(episodes["global_step"], moving, label="mean of last 100")
    axes.set(xlabel="environment steps (all workers)", ylabel="episode return", title=title)
    axes.legend()
    figure.tight_layout()
    with atomic_path(Path(path)) as temporary:
        figure.savefig(temporary, dpi=100, format="png")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``) and run the chosen subcommand; the exit code."""
    args = build_parser().parse_args(argv)
    return args.handler(args)
