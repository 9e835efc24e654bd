"""Read the library's docstrings as the plain text they are written in.

The docstrings are Google style (read by napoleon) with their maths in Unicode: a bar is an
absolute value or a conditional (``|δ|``, ``π(a|s)``), never a reST substitution, and a star
before a name inside a shape unpacks it (``(B, T, *obs_shape)``), it does not start
emphasis. Before napoleon reads a docstring, such bars and stars are escaped outside
literals; and a ``Returns:`` section that names each value it returns (``batch: ...``,
``indices: ...``) becomes a "Return values" section shown like ``Args:``.
"""

from __future__ import annotations

import re
from typing import Any

from sphinx.application import Sphinx

RETURN_VALUES = "Return values"
LITERAL = re.compile(r"(``.+?``|`[^`]+`)", re.DOTALL)
SHAPE_STAR = re.compile(r"(?<=[(,\s])\*(?=\w+\s*[,)])")
NAMED_VALUE = re.compile(r"^[A-Za-z_]\w*: ")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _literal_block_lines(lines: list[str]) -> set[int]:
    """Indices of the lines of ``::`` literal blocks (shown verbatim, never escaped)."""
    literal: set[int] = set()
    block_indent = None
    for number, line in enumerate(lines):
        if block_indent is not None:
            if not line.strip() or _indent(line) > block_indent:
                literal.add(number)
                continue
            block_indent = None
        if line.rstrip().endswith("::"):
            block_indent = _indent(line)
    return literal


def escape_plain_text(text: str) -> str:
    """``text`` with its bars and shape stars escaped, literals left alone."""
    parts = LITERAL.split(text)
    for index in range(0, len(parts), 2):  # even parts are outside literals
        parts[index] = SHAPE_STAR.sub(r"\\*", parts[index].replace("|", r"\|"))
    return "".join(parts)


def _escaped(lines: list[str]) -> list[str]:
    literal = _literal_block_lines(lines)
    result: list[str] = []
    run: list[str] = []
    for number, line in enumerate([*lines, None]):
        if line is None or number in literal:
            if run:
                result += escape_plain_text("\n".join(run)).split("\n")
                run = []
            if line is not None:
                result.append(line)
        else:
            run.append(line)
    return result


def _named_returns(lines: list[str]) -> list[str]:
    """``Returns:`` headers renamed to :data:`RETURN_VALUES` where every value is named."""
    result = list(lines)
    for number, line in enumerate(lines):
        if line.strip() != "Returns:":
            continue
        body = []
        for following in lines[number + 1 :]:
            if following.strip() and _indent(following) <= _indent(line):
                break
            body.append(following)
        items = [entry for entry in body if entry.strip()]
        if not items:
            continue
        item_indent = min(_indent(entry) for entry in items)
        heads = [entry.strip() for entry in items if _indent(entry) == item_indent]
        if len(heads) >= 2 and all(NAMED_VALUE.match(head) for head in heads):
            result[number] = line.replace("Returns:", f"{RETURN_VALUES}:")
    return result


def process_docstring(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """autodoc-process-docstring: rewrite ``lines`` in place, before napoleon reads them."""
    lines[:] = _named_returns(_escaped(lines))


def setup(app: Sphinx) -> dict[str, object]:
    # Napoleon listens at the default priority (500): run first. book/conf.py declares the
    # RETURN_VALUES section (napoleon_custom_sections).
    app.connect("autodoc-process-docstring", process_docstring, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
