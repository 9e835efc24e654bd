"""Directives that put the committed study results into the book (``book/results.md``).

Nothing is typed by hand: every number comes from the files under ``results/`` when the
site is built.

- ``{results-answer}``: chapter 07's answer, :func:`~a3cmem_lib.experiments.answer.render_answer`;
- ``{results-tables}``: the tables of every axis and follow-up,
  :func:`~a3cmem_lib.experiments.results_tables.render_tables` (the README quotes the answer);
- ``{results-folder} NAME``: one folder of ``results/``: its ``summary.csv`` as a table, every
  figure in it, and the ``MACHINE.txt`` it was measured on.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from a3cmem_lib.experiments.answer import render_answer
from a3cmem_lib.experiments.formatting import format_number
from a3cmem_lib.experiments.results_tables import render_tables


def _results_root(directive: SphinxDirective) -> Path:
    return Path(directive.env.srcdir) / "results"


def _markdown_table(frame: pd.DataFrame) -> str:
    """``frame`` as a Markdown table, numbers the way the chapters print them."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            return format_number(value)
        return str(value)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines)


def _parsed(directive: SphinxDirective, text: str) -> list[nodes.Node]:
    """The nodes of Markdown ``text`` (MyST, as the page around the directive)."""
    container = nodes.container()
    directive.state.nested_parse(StringList(text.splitlines()), directive.content_offset, container)
    return container.children


class ResultsAnswer(SphinxDirective):
    """Chapter 07's answer, rendered from ``results/``."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(_results_root(self)))
        return _parsed(self, render_answer(_results_root(self)))


class ResultsTables(SphinxDirective):
    """The tables of every complete axis and follow-up, rendered from ``results/``."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(_results_root(self)))
        return _parsed(self, render_tables(_results_root(self)))


class ResultsFolder(SphinxDirective):
    """One folder of ``results/``: summary table, figures and machine."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        return _parsed(self, self._markdown())

    def _markdown(self) -> str:
        folder = _results_root(self) / self.arguments[0]
        if not (folder / "summary.csv").is_file():
            raise self.error(f"no summary.csv in {folder}")
        parts = [
            f"Summary (`results/{folder.name}/summary.csv`):",
            _markdown_table(pd.read_csv(folder / "summary.csv")),
        ]
        for figure in sorted(folder.glob("*.png")):
            caption = figure.stem.replace("_", " ")
            parts.append(
                f"```{{figure}} /results/{folder.name}/{figure.name}\n:alt: {caption}\n\n"
                f"{caption} (`results/{folder.name}/{figure.name}`)\n```"
            )
        machine = folder / "MACHINE.txt"
        if machine.is_file():
            parts.append(
                f"Measured on (`results/{folder.name}/MACHINE.txt`):\n\n"
                f"```text\n{machine.read_text().strip()}\n```"
            )
        for path in (folder / "summary.csv", machine, *folder.glob("*.png")):
            self.env.note_dependency(str(path))
        return "\n\n".join(parts)


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("results-answer", ResultsAnswer)
    app.add_directive("results-tables", ResultsTables)
    app.add_directive("results-folder", ResultsFolder)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
