"""``python -m a3cmem_lib train``: check every input, train, write the run, report; on
Ctrl-C or SIGTERM save the run and print the command that resumes it.

Explained in notebooks/01_a3c_basics.ipynb (sections "From the command line" and "Stopping
and resuming").
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import sys
import warnings
from pathlib import Path
from typing import Any

from a3cmem_lib.stop_signals import StopSignals
from a3cmem_lib.training import (
    SetupError,
    TrainingInterrupted,
    WorkerError,
    load_checkpoint,
    train,
)
from a3cmem_lib.training.backends.ray_runtime import import_ray

from .config_flags import (
    FIELDS,
    HelpFormatter,
    add_config_arguments,
    add_hyperparameter_arguments,
    config_from,
    flag_of,
    setup_failure,
)
from .errors import WORKER_FAILED, CommandError, Parser, bad_argument, write_failures
from .run_config import CONFIG_NAME
from .run_files import (
    CHECKPOINT_NAME,
    CSV_NAME,
    PLOT_NAME,
    prepare_out,
    remove_empty,
    write_progress,
    write_run,
)


def add_train_command(
    subcommands: argparse._SubParsersAction, defaults: dict[str, Any] | None = None
) -> None:
    """The ``train`` subcommand and its flags; ``defaults`` replace TrainConfig's."""
    parser = subcommands.add_parser(
        "train",
        help="train A3C and write episodes.csv, learning_curve.png and checkpoint.pt",
        description="Train A3C with Hogwild workers. Defaults are TrainConfig's. Ctrl-C or "
        "SIGTERM saves the run so far and prints the command that resumes it.",
        formatter_class=HelpFormatter,
    )
    add_train_arguments(parser)
    parser.set_defaults(handler=run_train, **(defaults or {}))


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """Every flag of ``train``: ``--out``, what to run and where, the hyperparameters."""
    add_run_arguments(parser)
    add_hyperparameter_arguments(parser)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``train`` command's own flags: ``--out`` and the ``run`` group of TrainConfig."""
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory, also of the checkpoints (default: runs/<env>-seed<seed>)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="start from a run's config.json (flags given here override its values)",
    )
    add_config_arguments(parser, "run")


def run_train(args: argparse.Namespace) -> int:
    stop = StopSignals()
    try:
        with stop.handled():
            return _train(args, stop)
    except CommandError as failure:
        print(f"a3cmem train: error: {failure}", file=sys.stderr)
        return failure.code
    except KeyboardInterrupt:  # not through StopSignals: another thread's interrupt_main()
        print(f"a3cmem train: stopped ({stop.name}) before the run was saved", file=sys.stderr)
        return stop.exit_code


def _train(args: argparse.Namespace, stop: StopSignals) -> int:
    """The ``train`` command: check every input, train, write the run, report."""
    config = config_from(args)
    out = args.out if args.out is not None else config.default_out_dir()
    config = dataclasses.replace(config, checkpoint_path=str(out / CHECKPOINT_NAME))
    if config.resume_from is not None:
        _check_checkpoint_file(config.resume_from)
    if config.backend == "ray":
        try:
            import_ray()
        except ImportError as error:
            raise bad_argument("--backend", str(error)) from None
    created = prepare_out(out)
    try:
        with write_failures():
            result = train(config, on_checkpoint=lambda run: write_progress(run, out))
    except SetupError as error:
        remove_empty(created)
        raise setup_failure(error) from None
    except WorkerError as error:
        raise CommandError(str(error), code=WORKER_FAILED) from None
    except TrainingInterrupted as interruption:
        result = interruption.result
        with stop.deferred(), write_failures():
            write_run(result, out)
        files = f"{out}{os.sep}{{{CONFIG_NAME},{CSV_NAME},{PLOT_NAME},{CHECKPOINT_NAME}}}"
        print(
            f"a3cmem train: stopped at step {result.global_step:,} of {config.total_steps:,} "
            f"({stop.name}); wrote {files}; resume with: "
            + resume_command(args, out, out / CHECKPOINT_NAME),
            file=sys.stderr,
        )
        return stop.exit_code
    with stop.deferred(), write_failures():
        write_run(result, out)
    episodes = result.episodes
    print(
        f"{result.global_step} steps in {result.wall_time:.1f} s "
        f"({result.steps_per_second:.0f} steps/s), {len(episodes)} episodes, "
        f"mean return of the last 100: {episodes['return'].tail(100).mean():.1f}"
    )
    if result.memory_stats is not None:
        print("memory layer: " + ", ".join(f"{k} {v:g}" for k, v in result.memory_stats.items()))
    written = (CONFIG_NAME, CSV_NAME, PLOT_NAME, CHECKPOINT_NAME)
    print("wrote " + ", ".join(str(out / name) for name in written))
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
        raise bad_argument("--resume-from", str(error)) from None


def resume_command(args: argparse.Namespace, out: Path, checkpoint: Path) -> str:
    """The shell command that continues the run ``args`` describe from ``checkpoint``:
    ``--env``, ``--steps`` and ``--out``, every flag that differs from its default, and
    ``--resume-from``."""
    parser = Parser(prog="a3cmem train")
    add_train_arguments(parser)
    defaults = vars(parser.parse_args([]))
    values = {name: getattr(args, name) for name in FIELDS if hasattr(args, name)}
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
