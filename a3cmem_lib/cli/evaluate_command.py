"""``python -m a3cmem_lib evaluate --checkpoint PATH``: score a saved agent without learning,
print mean ± std of its return, write them as JSON and, with ``--video``, record it.

Explained in notebooks/01_a3c_basics.ipynb (section "Watching the agent").
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from a3cmem_lib.atomic import atomic_path
from a3cmem_lib.envs.recording import VIDEO_SUFFIXES, check_video_path
from a3cmem_lib.training import SetupError, evaluate, load_checkpoint
from a3cmem_lib.training.preflight import check_environment

from .config_flags import HelpFormatter
from .errors import CommandError, bad_argument, write_failures

EVALUATION_NAME = "evaluation.json"


def add_evaluate_command(subcommands: argparse._SubParsersAction) -> None:
    """The ``evaluate`` subcommand and its flags."""
    parser = subcommands.add_parser(
        "evaluate",
        help="score a checkpoint's agent (mean ± std of the return); --video records it",
        description="Play a trained agent without learning: N episodes from seeds S, S+1, "
        "...; print the mean and standard deviation of the return and write them as JSON.",
        formatter_class=HelpFormatter,
    )
    add = parser.add_argument
    add("--checkpoint", type=Path, required=True, help="a checkpoint.pt written by train")
    add("--episodes", type=int, default=10, help="episodes to play")
    add("--seed", type=int, default=0, help="episode i starts from env.reset(seed=SEED + i)")
    policy = parser.add_mutually_exclusive_group()
    policy.add_argument(
        "--greedy",
        dest="policy",
        action="store_const",
        const="greedy",
        help="act with the most probable action (the default)",
    )
    policy.add_argument(
        "--sampled",
        dest="policy",
        action="store_const",
        const="sampled",
        help="draw actions from the policy, as in training",
    )
    add(
        "--video",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"record the first episode to FILE ({' or '.join(VIDEO_SUFFIXES)})",
    )
    add("--env", default=None, help="play in this environment (default: the checkpoint's)")
    add(
        "--json",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"where the scores go (default: {EVALUATION_NAME} beside the checkpoint)",
    )
    parser.set_defaults(handler=run_evaluate, policy="greedy")


def run_evaluate(args: argparse.Namespace) -> int:
    try:
        return _evaluate(args)
    except CommandError as failure:
        print(f"a3cmem evaluate: error: {failure}", file=sys.stderr)
        return failure.code


def _evaluate(args: argparse.Namespace) -> int:
    """Check every input, play, print and write the scores (and the recording)."""
    if args.episodes < 1:
        raise bad_argument("--episodes", f"must be an int >= 1, got {args.episodes}")
    if args.video is not None:
        try:
            check_video_path(args.video)
        except ValueError as error:
            raise bad_argument("--video", str(error)) from None
    try:
        with warnings.catch_warnings():  # torch's unpickler warns about some garbage
            warnings.simplefilter("ignore")
            checkpoint = load_checkpoint(args.checkpoint)
    except (OSError, ValueError) as error:
        raise bad_argument("--checkpoint", str(error)) from None
    env_id = args.env or checkpoint.config.env_id
    try:
        obs_shape, n_actions = check_environment(env_id)
    except SetupError as error:
        raise bad_argument("--env" if args.env else "--checkpoint", str(error)) from None
    if (obs_shape, n_actions) != (checkpoint.obs_shape, checkpoint.n_actions):
        raise bad_argument(
            "--checkpoint",
            f"its agent was trained for observations {checkpoint.obs_shape} and "
            f"{checkpoint.n_actions} actions ({checkpoint.config.env_id}); {env_id} has "
            f"{obs_shape} and {n_actions}",
        )
    try:
        scores = evaluate(
            checkpoint.build_model(),
            env_id,
            args.episodes,
            seed=args.seed,
            policies=(args.policy,),
            record=args.video,
        )
    except ValueError as error:
        raise bad_argument("--video", str(error)) from None
    mean, std = scores[f"{args.policy}_mean"], scores[f"{args.policy}_std"]
    report = {
        "checkpoint": str(args.checkpoint),
        "env_id": env_id,
        "policy": args.policy,
        "episodes": args.episodes,
        "seed": args.seed,
        "mean_return": mean,
        "std_return": std,
        "global_step": checkpoint.global_step,
    }
    path = args.json or args.checkpoint.parent / EVALUATION_NAME
    with write_failures():
        with atomic_path(path) as temporary:
            temporary.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"{env_id}, {args.policy} policy, {args.episodes} episodes: return {mean:.2f} ± {std:.2f}"
    )
    print(f"wrote {path}" + (f" and {args.video}" if args.video is not None else ""))
    return 0
