"""Every chapter links the glossary terms it uses to their entries on the book's website.

The first use of a term in a chapter's prose is a link to
``https://a3cmem.github.io/a3cmem/book/glossary.html#term-...`` (an absolute link: it works
on the website, on GitHub, in Colab and in a student copy outside ``notebooks/``). Checked
here without building the site:

- every link names the anchor Sphinx gives an entry of ``book/glossary.md`` (Sphinx's rule,
  :func:`anchor`; ``tests/test_book.py`` checks the rule against the built page), so a
  renamed or removed entry fails;
- a chapter links a term once, at its first use;
- the chapter a glossary entry says introduces a term links it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
GLOSSARY_URL = "https://a3cmem.github.io/a3cmem/book/glossary.html#"
LINK = re.compile(rf"\]\({re.escape(GLOSSARY_URL)}([^)\s]+)\)")
INTRODUCED = re.compile(r"Introduced\s+in\s+\[chapter (\d\d)")


def anchor(term: str) -> str | None:
    """The id Sphinx gives the glossary term ``term`` (``sphinx.util.nodes._make_id`` with
    the prefix ``term-``): ASCII after NFKD, runs of other characters become one hyphen.
    None when nothing is left (a Greek letter): Sphinx then numbers it, not stable to link."""
    text = unicodedata.normalize("NFKD", term).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-zA-Z0-9._]+", "-", " ".join(text.split()))
    text = re.sub(r"^[-0-9._]+|-+$", "", text)
    return f"term-{text}" if text else None


def glossary_entries() -> list[tuple[list[str], str]]:
    """(terms, definition) of every entry of ``book/glossary.md``."""
    body = (ROOT / "book" / "glossary.md").read_text().split("```{glossary}\n")[1]
    entries = []
    for block in body.split("\n```")[0].split("\n\n"):
        lines = block.strip("\n").splitlines()
        terms = [line for line in lines if line and not line.startswith((" ", ":"))]
        if terms:
            entries.append((terms, " ".join(line.strip() for line in lines[len(terms) :])))
    return entries


def linked_anchors(path: Path) -> list[str]:
    """The glossary anchors a chapter's markdown cells link to, in order."""
    cells = json.loads(path.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return LINK.findall(text)


ANCHORS = {anchor(term) for terms, _ in glossary_entries() for term in terms} - {None}


def test_the_anchor_rule_is_sphinxs() -> None:
    assert anchor("n-step return") == "term-n-step-return"
    assert anchor("Holm's correction") == "term-Holm-s-correction"
    assert anchor("Mann–Whitney test") == "term-MannWhitney-test"
    assert anchor("actor (Ray)") == "term-actor-Ray"
    assert anchor("t_max") == "term-t_max"
    assert anchor("ρ̄") is None
    assert len(glossary_entries()) > 40 and "term-V-trace" in ANCHORS


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem[:2])
def test_every_glossary_link_names_an_entry(path: Path) -> None:
    links = linked_anchors(path)
    assert links, f"{path.name} links no glossary term"
    unknown = sorted(set(links) - ANCHORS)
    assert not unknown, f"{path.name} links to glossary anchors that do not exist: {unknown}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem[:2])
def test_a_chapter_links_a_term_once_at_its_first_use(path: Path) -> None:
    links = linked_anchors(path)
    twice = sorted({link for link in links if links.count(link) > 1})
    assert not twice, f"{path.name} links these terms more than once: {twice}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem[:2])
def test_a_chapter_links_the_terms_it_introduces(path: Path) -> None:
    links = set(linked_anchors(path))
    missing = [
        terms[0]
        for terms, definition in glossary_entries()
        if INTRODUCED.findall(definition)[:1] == [path.stem[:2]]
        and not links & {anchor(term) for term in terms}
    ]
    assert not missing, f"{path.name} introduces but does not link: {missing}"
