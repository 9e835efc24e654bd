"""One flag per :class:`~a3cmem_lib.training.TrainConfig` field, read from the field's
declaration (:mod:`a3cmem_lib.training.options`), and the config the flags describe.

Explained in notebooks/01_a3c_basics.ipynb (section "From the command line").
"""

from __future__ import annotations

import argparse
import re
from dataclasses import fields

from a3cmem_lib.training import SetupError
from a3cmem_lib.training.config import LEARNER_DEFAULTS, TrainConfig
from a3cmem_lib.training.options import flag_name, flag_of_field

from .errors import CommandError, bad_argument

FIELDS = {field.name: field for field in fields(TrainConfig)}
CONFIG_FIELDS = frozenset(FIELDS)
ARGUMENT_KINDS = {
    "str": str,
    "str | None": str,
    "int": int,
    "int | None": int,
    "float": float,
    "float | None": float,
    "bool": bool,
    "tuple[int, ...]": tuple,
}
"""A TrainConfig field's annotation -> what its flag parses (bool: --x/--no-x; tuple: one or
more ints)."""


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` with each flag's default, except a default of ``None``: nothing to show,
    or a default that depends on ``--learner`` (:func:`learner_defaults_help` says which)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None:
            return action.help
        return super()._get_help_string(action)


def learner_defaults_help(name: str) -> str:
    """``(default: X; Y with --learner acer)`` for a field whose default depends on the
    learner (:data:`~a3cmem_lib.training.choices.LEARNER_DEFAULTS`), else ``""``."""
    if name not in LEARNER_DEFAULTS["vtrace"]:
        return ""
    values = {learner: recipe[name] for learner, recipe in LEARNER_DEFAULTS.items()}
    first, *others = values.items()
    rest = "; ".join(f"{value} with --learner {learner}" for learner, value in others)
    return f" (default: {first[1]}; {rest})"


def add_config_arguments(parser: argparse.ArgumentParser, group: str) -> None:
    """One flag per TrainConfig field of ``group`` (see :mod:`a3cmem_lib.training.options`),
    its type, default, choices and help read from the field."""
    for field in fields(TrainConfig):
        flag = flag_of_field(field)
        if flag is None or flag.group != group:
            continue
        kind = ARGUMENT_KINDS[field.type]
        options: dict[str, object] = {"dest": field.name, "default": field.default}
        if kind is bool:
            options["action"] = argparse.BooleanOptionalAction
        elif kind is tuple:
            options.update(type=int, nargs="+", default=list(field.default))
        else:
            options["type"] = kind
        if flag.choices is not None:
            options["choices"] = flag.choices
        if flag.metavar is not None:
            options["metavar"] = flag.metavar
        help_text = flag.help + learner_defaults_help(field.name)
        parser.add_argument(flag_name(field), help=help_text, **options)


def add_hyperparameter_arguments(parser: argparse.ArgumentParser) -> None:
    """The hyperparameters ``train`` and ``study`` share, the memory layer's as a group."""
    add_config_arguments(parser, "hyperparameter")
    memory = parser.add_argument_group("memory layer (with --memory other than none)")
    add_config_arguments(memory, "memory")


def flag_of(field_name: str) -> str:
    """The command-line flag that sets the TrainConfig field ``field_name``."""
    return flag_name(FIELDS[field_name])


def config_from(args: argparse.Namespace, **overrides: object) -> TrainConfig:
    """The TrainConfig the flags describe; an invalid value is a usage error of its flag."""
    values = {name: value for name, value in vars(args).items() if name in CONFIG_FIELDS}
    values["hidden_sizes"] = tuple(values["hidden_sizes"])
    try:
        return TrainConfig(**{**values, **overrides})
    except (TypeError, ValueError) as error:
        # TrainConfig's messages start with the field's name ("num_workers must be ...").
        first_word = re.match(r"\w*", str(error)).group()
        if first_word not in CONFIG_FIELDS:
            raise CommandError(str(error)) from None
        raise bad_argument(flag_of(first_word), str(error)) from None


def setup_failure(error: SetupError) -> CommandError:
    """The usage error of the flag a :class:`SetupError` is about: the field its message
    starts with (``resume_from: ...``, ``ray_address: ...``) or else the environment."""
    message = str(error)
    field_name, colon, rest = message.partition(": ")
    if colon and field_name in CONFIG_FIELDS:  # "resume_from: ...", "ray_address: ..."
        return bad_argument(flag_of(field_name), rest)
    return bad_argument("--env", message)
