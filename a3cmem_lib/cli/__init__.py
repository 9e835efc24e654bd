"""Command line: ``python -m a3cmem_lib train --env CartPole-v1 --workers 2 --out runs/NAME``
(``--memory per+dedup`` adds the memory layer), ``python -m a3cmem_lib study ...`` and
``python -m a3cmem_lib evaluate --checkpoint runs/NAME/checkpoint.pt [--video agent.gif]``.

How a run ends:

- it finishes: a summary line; ``episodes.csv``, ``learning_curve.png`` and ``checkpoint.pt``
  in ``--out`` (with ``--checkpoint-every`` also along the way);
- Ctrl-C or SIGTERM: the same three files of what was done, one line on stderr saying where
  it stopped and the command that resumes it; exit code 130 (SIGINT) or 143 (SIGTERM);
- bad input (an unknown environment, a checkpoint that does not fit, an ``--out`` that cannot
  be written...): one line ``a3cmem train: error: argument --FLAG: ...``, exit code 2,
  before any worker starts;
- a worker raised: ``a3cmem train: error:`` and the worker's traceback, exit code 1;
- a file of the run cannot be written (a full disk, a read-only file system): one line
  naming the file and why, exit code 1, the workers stopped and the files written before
  kept as they were.

Every file is written to a temporary name and renamed over the old one, so a kill at any
moment leaves complete files.

Explained in notebooks/01_a3c_basics.ipynb (sections "From the command line" and "Stopping
and resuming").
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from .errors import USAGE_ERROR, Parser
from .evaluate_command import add_evaluate_command
from .run_config import read_run_config
from .study_command import add_study_command
from .train_command import add_train_command


def build_parser(train_defaults: dict[str, Any] | None = None) -> argparse.ArgumentParser:
    """The ``a3cmem`` argument parser with its subcommands; ``train_defaults`` (TrainConfig
    field -> value, from ``train --config FILE``) replace TrainConfig's defaults there."""
    parser = Parser(
        prog="a3cmem", description="A3C with a replay-memory layer: the a3cmem textbook library."
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_train_command(subcommands, train_defaults or {})
    add_study_command(subcommands)
    add_evaluate_command(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``) and run the chosen subcommand; the exit code.

    With ``train --config FILE`` the file's values become the defaults and the flags given
    on the command line override them."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    if getattr(args, "config", None) is not None:
        try:
            defaults = read_run_config(args.config)
        except ValueError as error:
            print(f"a3cmem {args.command}: error: argument --config: {error}", file=sys.stderr)
            return USAGE_ERROR
        args = build_parser(defaults).parse_args(argv)
    return args.handler(args)
