"""Rewrite the README's rendered block: chapter 07's answer and tables, from ``results/``.

    python tools/render_readme.py           # rewrite the block between the markers
    python tools/render_readme.py --check   # exit 1 if the README's block is out of date

The README quotes the answer of :func:`a3cmem_lib.experiments.answer.render_answer` and the
tables of :func:`~a3cmem_lib.experiments.results_tables.render_tables` between the lines
:data:`BEGIN` and :data:`END`; ``tests/test_readme_results.py`` fails while they differ from
what the committed results render, so no number there is typed by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from a3cmem_lib.experiments.answer import render_answer
from a3cmem_lib.experiments.results_tables import render_tables

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- rendered by tools/render_readme.py from results/: do not edit by hand -->"
END = "<!-- end of the rendered block -->"


def rendered_block(results: Path) -> str:
    """What belongs between the markers."""
    return f"{render_answer(results)}\n\n### The tables\n\n{render_tables(results)}"


def updated(readme: str, results: Path) -> str:
    """``readme`` with its block between the markers re-rendered from ``results``."""
    if readme.count(BEGIN) != 1 or readme.count(END) != 1:
        raise ValueError(f"the README must hold each marker once: {BEGIN!r} and {END!r}")
    head, rest = readme.split(BEGIN)
    _, tail = rest.split(END)
    return f"{head}{BEGIN}\n{rendered_block(results)}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    args = parser.parse_args(argv)
    path = ROOT / "README.md"
    readme = path.read_text()
    new = updated(readme, ROOT / "results")
    if args.check:
        if new != readme:
            print("README.md: the rendered block is out of date; run tools/render_readme.py")
            return 1
        return 0
    path.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
