"""What a :class:`~a3cmem_lib.training.TrainConfig` field says about itself besides its
value: its command-line flag and help, and whether a checkpoint must match it to be
resumed. Declared once, on the field; the command line and the resume check read it.

Explained in notebooks/01_a3c_basics.ipynb (section "From the command line").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

GROUPS = ("run", "hyperparameter", "memory")
"""``run``: flags of the ``train`` command only (what to run, where, on which backend);
``hyperparameter``: also flags of ``study``, where they set what every run shares;
``memory``: hyperparameters of the memory layer (shown as their own group)."""
FITS = ("model", "memory")
"""What a field shapes that a resumed checkpoint must have been made with: the model and
its optimizer, or the replay buffer."""
_KEY = "a3cmem"


@dataclass(frozen=True)
class Flag:
    """The command-line face of one ``TrainConfig`` field."""

    help: str
    """One line for ``--help``."""
    name: str | None = None
    """The flag, e.g. ``"--lr"``; ``None``: the field's name with dashes (``--t-max``)."""
    choices: tuple[str, ...] | None = None
    """The values the flag accepts, if it is a choice."""
    group: str = "hyperparameter"
    """One of :data:`GROUPS`."""
    metavar: str | None = None
    """How ``--help`` names the flag's value."""
    fits: str | None = None
    """One of :data:`FITS`: a checkpoint must have the same value to be resumed."""

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"group must be one of {GROUPS}, got {self.group!r}")
        if self.fits is not None and self.fits not in FITS:
            raise ValueError(f"fits must be one of {FITS} or None, got {self.fits!r}")


def option(default: Any, help: str, **flag: Any) -> Any:
    """A dataclass field with ``default`` and its :class:`Flag` (``help`` and the keyword
    arguments of :class:`Flag`)."""
    return dataclasses.field(default=default, metadata={_KEY: Flag(help=help, **flag)})


def flag_of_field(field: dataclasses.Field) -> Flag | None:
    """The :class:`Flag` of ``field``, ``None`` for a field without one."""
    return field.metadata.get(_KEY)


def flag_name(field: dataclasses.Field) -> str:
    """The command-line flag of ``field``: its :attr:`Flag.name` or ``--field-name``."""
    flag = flag_of_field(field)
    if flag is not None and flag.name is not None:
        return flag.name
    return "--" + field.name.replace("_", "-")


def fields_that_fit(config_class: type, what: str) -> tuple[str, ...]:
    """Names of the fields of ``config_class`` a checkpoint must match, for ``what`` (one of
    :data:`FITS`), in declaration order."""
    if what not in FITS:
        raise ValueError(f"what must be one of {FITS}, got {what!r}")
    return tuple(
        field.name
        for field in dataclasses.fields(config_class)
        if (flag := flag_of_field(field)) is not None and flag.fits == what
    )
