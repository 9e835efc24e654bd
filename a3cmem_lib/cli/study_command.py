"""``python -m a3cmem_lib study``: the stability study of chapter 06, an axis of chapter
07's regime study (``--axis``) or one of its follow-ups (``--follow-up``), resumable.

Explained in notebooks/06_stability_study.ipynb and notebooks/07_when_does_memory_help.ipynb.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from a3cmem_lib.experiments.axes import AXES, run_axis
from a3cmem_lib.experiments.backends import JOB_BACKENDS
from a3cmem_lib.experiments.follow_ups import FOLLOW_UPS
from a3cmem_lib.experiments.jobs import VARIANTS
from a3cmem_lib.experiments.study import StudyConfig, run_study
from a3cmem_lib.experiments.study_plots import write_figures
from a3cmem_lib.experiments.tables import EPISODES_FILE, RUNS_FILE, SUMMARY_FILE
from a3cmem_lib.stop_signals import StopSignals
from a3cmem_lib.training import SetupError, TrainConfig, WorkerError
from a3cmem_lib.training.backends.ray_runtime import check_reachable
from a3cmem_lib.training.preflight import check_environment

from .config_flags import (
    HelpFormatter,
    add_hyperparameter_arguments,
    config_from,
    setup_failure,
)
from .errors import WORKER_FAILED, CommandError, bad_argument
from .run_files import prepare_out

_STUDY_FLAGS = {
    "env": "--envs",
    "variants": "--variants",
    "seeds": "--seeds",
    "first_seed": "--first-seed",
    "steps": "--budget",
}
"""The flags of the StudyConfig fields (and of ``env``, its word for one of ``envs``)."""


def add_study_command(subcommands: argparse._SubParsersAction) -> None:
    """The ``study`` subcommand and its flags."""
    parser = subcommands.add_parser(
        "study",
        help="train every env x memory variant x seed; write tidy CSVs and summary plots",
        description="The stability study of notebooks/06_stability_study.ipynb. Every other "
        "flag sets the hyperparameters shared by all runs (TrainConfig's defaults).",
        formatter_class=HelpFormatter,
    )
    add_study_arguments(parser)
    add_hyperparameter_arguments(parser)
    parser.set_defaults(handler=run_study_command)


def add_study_arguments(parser: argparse.ArgumentParser) -> None:
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
        "a3cmem_lib.experiments.follow_ups.FOLLOW_UPS)",
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


def run_study_command(args: argparse.Namespace) -> int:
    stop = StopSignals()
    try:
        with stop.handled():
            return _study(args)
    except CommandError as failure:
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
    base = config_from(args, progress=False)
    if args.address is not None and args.backend != "ray":
        raise bad_argument("--address", "needs --backend ray")
    if args.address is not None:  # before the progress bar and the output folder
        try:
            check_reachable(args.address)
        except SetupError as error:
            raise setup_failure(error) from None
    if args.follow_up:
        return _follow_up_study(args, base)
    if args.axis is not None:
        return _axis_study(args, base)
    study = _study_config(args, base)
    prepare_out(args.out)
    with study_failures():
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
                raise bad_argument("--budget", f"takes ENV=STEPS items, got {item!r}")
            budget[env_id] = int(steps)
    envs = tuple(args.envs) if args.envs is not None else defaults.envs
    for env_id in envs:  # here, not after hours of runs of the environments before it
        try:
            check_environment(env_id)
        except SetupError as error:
            raise bad_argument("--envs", str(error)) from None
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
        raise bad_argument(_STUDY_FLAGS.get(field_name, "--envs"), str(error)) from None


def _axis_study(args: argparse.Namespace, base: TrainConfig) -> int:
    """``study --axis NAME``: one axis of the regime study, resumable, into ``--out``."""
    for flag, value in (("--envs", args.envs), ("--variants", args.variants)):
        if value is not None:
            axis = AXES[args.axis]
            raise bad_argument(
                flag, f"not with --axis (it runs {list(axis.envs)} x {list(axis.variants)})"
            )
    if args.budget is not None:
        raise bad_argument("--budget", "not with --axis (budgets: a3cmem_lib.experiments.axes)")
    if args.first_seed is not None:
        raise bad_argument("--first-seed", "not with --axis (an axis runs seeds 0, 1, ...)")
    axis = AXES[args.axis]
    try:
        axis.jobs(args.seeds, base)
    except (TypeError, ValueError) as error:
        raise bad_argument("--seeds", str(error)) from None
    for env_id in axis.envs:
        try:
            check_environment(env_id)
        except SetupError as error:
            raise bad_argument("--axis", str(error)) from None
    prepare_out(args.out)
    with study_failures():
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
            raise bad_argument(
                flag, "not with --follow-up (its runs: a3cmem_lib.experiments.follow_up)"
            )
    for env_id in dict.fromkeys(hypothesis.env for hypothesis in follow_up.hypotheses):
        try:
            check_environment(env_id)
        except SetupError as error:
            raise bad_argument("--follow-up", str(error)) from None
    prepare_out(args.out)
    with study_failures():
        runs = follow_up.run(args.out, base=base, backend=args.backend, address=args.address)
    tests = follow_up.evaluate(runs).drop(columns="evidence")
    print(tests.to_string(index=False, float_format=lambda value: f"{value:.4g}"))
    print(f"wrote {args.out}: {len(runs)} runs")
    return 0


@contextlib.contextmanager
def study_failures() -> Iterator[None]:
    """A setup error or a failed run of a study: one line, the right exit code."""
    try:
        yield
    except SetupError as error:
        raise setup_failure(error) from None
    except WorkerError as error:
        raise CommandError(str(error), code=WORKER_FAILED) from None
