"""Rewrite the rendered blocks of the README and of the website's pages: chapter 07's answer,
from ``results/``, and the benchmark tables they quote, from ``bench/results/``.

    python tools/render_readme.py           # rewrite every block between its markers
    python tools/render_readme.py --check   # exit 1 if a block is out of date

The README quotes the answer of :func:`a3cmem_lib.experiments.answer.render_answer` between
the lines :data:`BEGIN` and :data:`END` (the website's results page renders the same answer
and chapter 07's tables when it is built, ``book/_ext/results_pages.py``). The README and
every page of ``book/`` quote the first table of a benchmark's results file between
``<!-- table from bench/results/NAME.md: ... -->`` and :data:`TABLE_END`.
``tests/test_readme_results.py`` fails while they differ from what the committed results
render, so no number there is typed by hand.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from a3cmem_lib.experiments.answer import render_answer

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- rendered by tools/render_readme.py from results/: do not edit by hand -->"
END = "<!-- end of the rendered block -->"
TABLE_BEGIN = re.compile(
    r"<!-- table (?:(?P<number>[1-9]\d*) )?from (?P<file>bench/results/[\w.-]+\.md)[^>]*-->\n"
)
"""Opens a quoted benchmark table: ``table from FILE`` quotes FILE's first table, ``table N
from FILE`` its N-th; FILE is relative to the root."""
TABLE_END = "<!-- end of the quoted table -->"


def rendered_block(results: Path) -> str:
    """What belongs between the markers."""
    return render_answer(results)


def nth_table(markdown: str, number: int = 1) -> str:
    """The ``number``-th Markdown table (counting from 1; a table is a run of consecutive
    lines starting with ``|``) in ``markdown``."""
    lines = markdown.splitlines()
    tables, start = [], None
    for index, line in enumerate([*lines, ""]):
        if line.startswith("|") and start is None:
            start = index
        elif not line.startswith("|") and start is not None:
            tables.append("\n".join(lines[start:index]))
            start = None
    if len(tables) < number:
        raise ValueError(f"no Markdown table number {number} in the file ({len(tables)} there)")
    return tables[number - 1]


def quote_tables(readme: str, root: Path) -> str:
    """``readme`` with each quoted benchmark table replaced by the table of its file it
    names (:data:`TABLE_BEGIN`)."""
    parts, position = [], 0
    for match in TABLE_BEGIN.finditer(readme):
        end = readme.find(TABLE_END, match.end())
        if end < 0:
            raise ValueError(f"{match.group(0).strip()} has no {TABLE_END!r} after it")
        table = nth_table((root / match["file"]).read_text(), int(match["number"] or 1))
        parts += [readme[position : match.end()], table, "\n"]
        position = end
    return "".join(parts) + readme[position:]


def updated(readme: str, results: Path) -> str:
    """``readme`` with its block between the markers re-rendered from ``results`` and its
    quoted benchmark tables from the files they name (relative to ``results``' parent)."""
    if readme.count(BEGIN) != 1 or readme.count(END) != 1:
        raise ValueError(f"the README must hold each marker once: {BEGIN!r} and {END!r}")
    head, rest = readme.split(BEGIN)
    _, tail = rest.split(END)
    rendered = f"{head}{BEGIN}\n{rendered_block(results)}\n{END}{tail}"
    return quote_tables(rendered, results.parent)


def rendered_files(root: Path) -> dict[Path, tuple[str, str]]:
    """Path -> (committed text, rendered text) of the README (its answer from
    ``root/results``, its quoted tables) and of every page of ``root/book`` (their quoted
    tables)."""
    readme = (root / "README.md").read_text()
    files = {root / "README.md": (readme, updated(readme, root / "results"))}
    for page in sorted((root / "book").glob("*.md")):
        text = page.read_text()
        files[page] = (text, quote_tables(text, root))
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for path, (text, new) in rendered_files(ROOT).items():
        if new != text:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(new)
    if args.check and stale:
        for path in stale:
            print(f"{path}: a rendered block is out of date; run tools/render_readme.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
