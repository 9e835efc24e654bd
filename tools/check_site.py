"""Check the built book (``make book`` runs it; ``tests/test_book.py`` calls its functions).

    python tools/check_site.py _build/html   # exit 1 and list the problems

Reads only the built HTML (Sphinx's linkcheck needs the network):

- every ``href``/``src`` that points inside the site names an existing file and, with a
  ``#fragment``, an element of that page with that id;
- every chapter page shows as many figures as its notebook's outputs hold images;
- no page loads a script or a stylesheet from another host (no CDN), and no stylesheet of
  the site imports one.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

# (tag, attribute) pairs that name another file.
LINK_ATTRIBUTES = {
    ("a", "href"),
    ("area", "href"),
    ("link", "href"),
    ("img", "src"),
    ("script", "src"),
    ("iframe", "src"),
    ("source", "src"),
    ("form", "action"),
}
CSS_REMOTE = re.compile(r"""(?:@import\s+|url\(\s*)["']?(?:https?:)?//""", re.IGNORECASE)


@dataclass
class Page:
    """What one HTML page links to and which ids it defines."""

    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    stylesheets: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.page.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.page.ids.add(values["name"])
        for attribute, value in values.items():
            if (tag, attribute) in LINK_ATTRIBUTES:
                self.page.links.append(value)
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            target = values.get("content", "").partition("url=")[2]
            if target:
                self.page.links.append(target)
        if tag == "script" and values.get("src"):
            self.page.scripts.append(values["src"])
        if tag == "link" and "stylesheet" in values.get("rel", "").lower().split():
            self.page.stylesheets.append(values.get("href", ""))
        if tag == "img":
            self.page.images.append(values.get("src", ""))


@cache
def parse(path: Path) -> Page:
    """The links, scripts, stylesheets, images and ids of the HTML file ``path``."""
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser.page


def is_remote(url: str) -> bool:
    """Whether ``url`` points outside the site (another host, or a scheme such as mailto:)."""
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc) or url.startswith("//")


def pages(site: Path) -> list[Path]:
    """Every HTML page of the built site (``_static/`` holds the theme's template fragments,
    which are not pages)."""
    return sorted(
        path for path in site.rglob("*.html") if "_static" not in path.relative_to(site).parts
    )


def broken_links(site: Path) -> list[str]:
    """Every link inside ``site`` whose file or ``#fragment`` does not exist, as
    ``page -> link``."""
    site = site.resolve()
    problems = []
    for page in pages(site):
        for link in parse(page).links:
            if not link or is_remote(link):
                continue
            parts = urlsplit(link)
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_relative_to(site) or not target.is_file():
                problems.append(f"{page.relative_to(site)} -> {link}: no such file")
            elif parts.fragment and target.suffix == ".html":
                if unquote(parts.fragment) not in parse(target).ids:
                    problems.append(f"{page.relative_to(site)} -> {link}: no such anchor")
    return problems


def cdn_files(site: Path) -> list[str]:
    """Every script or stylesheet the site would load from another host."""
    problems = []
    for page in pages(site):
        parsed = parse(page)
        problems += [
            f"{page.relative_to(site)}: {url}"
            for url in parsed.scripts + parsed.stylesheets
            if is_remote(url)
        ]
    for stylesheet in sorted(site.rglob("*.css")):
        if CSS_REMOTE.search(stylesheet.read_text(encoding="utf-8", errors="replace")):
            problems.append(f"{stylesheet.relative_to(site)}: imports from another host")
    return problems


def content_images(page: Path) -> list[str]:
    """The figures of a page: images Sphinx copied into ``_images/`` (the theme's own
    icons live in ``_static/``; badges are remote)."""
    return [src for src in parse(page).images if "_images/" in src and not is_remote(src)]


def notebook_images(notebook: Path) -> int:
    """How many outputs of ``notebook`` hold an image."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return sum(
        any(mime.startswith("image/") for mime in output.get("data", {}))
        for cell in cells
        for output in cell.get("outputs", [])
    )


def missing_figures(site: Path, notebooks: Path = NOTEBOOKS) -> list[str]:
    """Every chapter whose page does not show exactly its notebook's images."""
    problems = []
    for notebook in sorted(notebooks.glob("*.ipynb")):
        page = site / "notebooks" / f"{notebook.stem}.html"
        if not page.is_file():
            problems.append(f"{notebook.name}: no page {page.relative_to(site)}")
            continue
        expected, shown = notebook_images(notebook), len(content_images(page))
        if shown != expected:
            problems.append(f"{notebook.name}: {expected} images in its outputs, {shown} shown")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python tools/check_site.py SITE", file=sys.stderr)
        return 2
    site = Path(args[0])
    problems = broken_links(site) + missing_figures(site) + cdn_files(site)
    for problem in problems:
        print(problem)
    print(f"{site}: {len(pages(site))} pages, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
