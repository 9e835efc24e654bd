"""The version ranges of ``pyproject.toml`` are the tested ones (``book/install.md``,
"Tested versions").

``make test-compat`` builds one environment per requirements file below and runs the tests
and the chapters in it. These checks keep the files and the ranges from drifting apart:
every dependency has a lower bound, ``requirements-lowest.txt`` pins exactly that bound,
every pinned version (the textbook's, Colab's, the lowest) lies inside the range, and the
website's table (``book/install.md``) shows the versions the files pin.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
DEPENDENCIES = {
    canonicalize_name(requirement.name): requirement
    for requirement in map(Requirement, PYPROJECT["project"]["dependencies"])
}
FILES = {
    "pinned": "requirements.txt",
    "Colab": "requirements-colab.txt",
    "lowest": "requirements-lowest.txt",
}


def pins(name: str) -> dict[str, Version]:
    """Package -> version of every ``name==version`` line of a requirements file."""
    found = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            (specifier,) = requirement.specifier  # one exact pin per line
            assert specifier.operator == "==", f"{name}: {line} is not an exact pin"
            found[canonicalize_name(requirement.name)] = Version(specifier.version)
    return found


def lower_bound(requirement: Requirement) -> Version:
    bounds = [spec.version for spec in requirement.specifier if spec.operator == ">="]
    assert len(bounds) == 1, f"pyproject.toml: {requirement} needs one lower bound (>=)"
    return Version(bounds[0])


def test_every_dependency_has_a_lower_bound_and_the_lowest_file_pins_it() -> None:
    lowest = pins(FILES["lowest"])
    for name, requirement in DEPENDENCIES.items():
        assert lowest.get(name) == lower_bound(requirement), (
            f"{FILES['lowest']} must pin {name}=={lower_bound(requirement)}, "
            f"the lower bound of pyproject.toml's {requirement}"
        )


@pytest.mark.parametrize("column", list(FILES))
def test_every_tested_version_lies_in_the_range(column: str) -> None:
    tested = pins(FILES[column])
    for name, requirement in DEPENDENCIES.items():
        assert name in tested, f"{FILES[column]} must pin {name}"
        assert requirement.specifier.contains(tested[name], prereleases=True), (
            f"{FILES[column]} pins {name}=={tested[name]}, outside pyproject.toml's {requirement}"
        )


def versions_table() -> dict[str, dict[str, str]]:
    """Package -> column -> version cell of the "Tested versions" table of
    ``book/install.md``."""
    text = (ROOT / "book" / "install.md").read_text()
    section = text.split("## Tested versions", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    table = {}
    for row in rows:
        name, *cells = (cell.strip() for cell in row.strip("|").split("|"))
        table[canonicalize_name(name.strip("`"))] = dict(zip(FILES, cells, strict=True))
    return table


def test_the_versions_table_shows_the_tested_versions() -> None:
    table = versions_table()
    assert set(table) == set(DEPENDENCIES), (
        "book/install.md: one row per dependency of pyproject.toml"
    )
    for column, name in FILES.items():
        tested = pins(name)
        for package, cells in table.items():
            shown = re.match(r"[\d.]+", cells[column])
            assert shown and Version(shown.group(0)) == tested[package], (
                f"book/install.md's Tested versions: {package} ({column}) shows {cells[column]!r}, "
                f"{name} pins {tested[package]}"
            )
