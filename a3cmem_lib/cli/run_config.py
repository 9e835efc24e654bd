"""A run's ``config.json``: every ``TrainConfig`` field and what produced the run (library
version, git commit, package versions), so that ``train --config FOLDER/config.json``
repeats it.

Explained in notebooks/01_a3c_basics.ipynb (section "From the command line").
"""

from __future__ import annotations

import json
import platform
import subprocess
from dataclasses import fields
from importlib import metadata
from pathlib import Path
from typing import Any

import a3cmem_lib
from a3cmem_lib.atomic import atomic_path
from a3cmem_lib.training.config import TrainConfig

CONFIG_NAME = "config.json"
SCHEMA = "a3cmem-run-config/1"
"""The ``schema`` entry of every ``config.json`` this version writes and reads."""
PACKAGES = ("torch", "numpy", "gymnasium", "pandas", "matplotlib", "scipy", "minatar", "ray")
"""Packages whose versions are recorded (those installed)."""
NOT_FROM_FILE = ("checkpoint_path",)
"""Fields a run derives from its command line (``--out``), never from a config file."""


def git_commit() -> str | None:
    """The commit of the library's source checkout, ``None`` when it is not one (an
    installed package) or git is not there."""
    source = Path(a3cmem_lib.__file__).resolve().parent.parent
    if not (source / ".git").exists():
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def package_versions() -> dict[str, str]:
    """Versions of the installed :data:`PACKAGES` (read from their metadata, not imported)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def describe_run(config: TrainConfig) -> dict[str, Any]:
    """What ``config.json`` holds: the schema, every field of ``config``, the library's
    version and commit, Python's and the packages' versions."""
    return {
        "schema": SCHEMA,
        "config": json.loads(json.dumps(config.to_dict())),  # tuples as lists
        "a3cmem": a3cmem_lib.__version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "packages": package_versions(),
    }


def write_run_config(config: TrainConfig, out: Path) -> Path:
    """Write ``out/config.json`` atomically; returns its path."""
    path = out / CONFIG_NAME
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(describe_run(config), indent=2) + "\n")
    return path


def read_run_config(path: str | Path) -> dict[str, Any]:
    """The ``TrainConfig`` fields a ``config.json`` holds (without :data:`NOT_FROM_FILE`),
    as the values the command line's flags take.

    Raises:
        ValueError: the file is missing or unreadable, is not JSON, is of another schema,
            or names a field ``TrainConfig`` does not have (the message says which).
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise ValueError(f"cannot read {str(path)!r} ({error.strerror or error})") from None
    try:
        description = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{str(path)!r} is not JSON ({error.msg}, line {error.lineno})") from None
    schema = description.get("schema") if isinstance(description, dict) else None
    if schema != SCHEMA or not isinstance(description.get("config"), dict):
        raise ValueError(
            f"{str(path)!r} is not a run's config.json (schema {schema!r}; this version reads "
            f"{SCHEMA!r}, with the fields under 'config')"
        )
    values = description["config"]
    known = {field.name for field in fields(TrainConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"{str(path)!r} has fields TrainConfig does not know: {unknown}")
    return {name: value for name, value in values.items() if name not in NOT_FROM_FILE}
