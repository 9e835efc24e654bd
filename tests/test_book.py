"""The book as a website (``make book``, ``book/conf.py``), tested like code.

The site is built once per session, from the committed notebooks (nothing executed), into a
temporary folder with warnings as errors. Then: the README is a landing page whose every link
resolves (to a file of the repository, a heading, or a page and anchor of the built site),
every internal link and anchor resolves,
every chapter page shows its notebook's figures and carries its Colab, Binder and source
links, nothing comes from a CDN, the glossary, API reference and results pages hold what
they promise, and a real headless Chromium (Debian's ``chromium`` + ``chromium-driver``,
which ``.ci/run`` installs) renders the landing page and a chapter with its maths typeset
and finds "V-trace" with the site's search, with every other host unreachable.
"""

from __future__ import annotations

import functools
import html
import io
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

import a3cmem_lib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import check_site  # noqa: E402
from test_glossary_links import anchor, glossary_entries, linked_anchors  # noqa: E402

CHAPTERS = sorted(path.stem for path in (ROOT / "notebooks").glob("*.ipynb"))
# The published site (book/conf.py's PAGES_URL), which the README links to.
PAGES_URL = re.search(
    r'^PAGES_URL = "([^"]+)"', (ROOT / "book" / "conf.py").read_text(), re.MULTILINE
).group(1)
README_MAX_LINES = 250
# Markdown links and images, and <autolinks>.
README_LINK = re.compile(r"\]\(([^)\s]+)\)|<(https?://[^>\s]+)>")
# Badge images on other hosts, which need the network and name no file of ours.
BADGE_IMAGES = (
    "https://img.shields.io/badge/",
    "https://mybinder.org/badge_logo.svg",
    "https://colab.research.google.com/assets/colab-badge.svg",
)
# The repository and branch the README's Colab badges point at.
COLAB_BADGE = re.compile(r"colab\.research\.google\.com/github/([\w-]+/[\w-]+)/blob/([\w-]+)/")
GLOSSARY_TERMS = (
    "behaviour policy",
    "target policy",
    "policy lag",
    "segment",
    "rollout",
    "replay ratio",
    "solved",
    "A",
    "probability of superiority",
    "Holm",
    "truncation",
    "termination",
    "bootstrap",
    "n-step return",
    "V-trace",
    "importance ratio",
    "importance-sampling weight",
    "truncation levels",
    "FIFO",
    "prioritized replay",
    "deduplication",
    "Hogwild",
    "worker",
    "learner",
    "memory layer",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site (its ``index.html`` folder), built once with ``-W --keep-going``."""
    out = tmp_path_factory.mktemp("book")
    command = [
        *(sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"),
        *("-d", str(out / "doctrees"), "-c", "book", ".", str(out / "html")),
    ]
    start = time.perf_counter()
    build = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if build.returncode != 0:
        pytest.fail(f"sphinx-build failed ({seconds:.0f} s):\n{build.stderr[-8000:]}")
    print(f"\nthe book built in {seconds:.0f} s")
    return out / "html"


def _text(page: Path) -> str:
    """The visible text of an HTML page, tags removed, entities decoded, spaces collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>|<!--.*?-->", " ", page.read_text(), flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _prose(page: Path) -> str:
    """The visible text of a page without its code and its formulas."""
    body = re.sub(
        r'<(script|style|pre|code)\b.*?</\1>|<(span|div) class="math[^"]*">.*?</\2>',
        " ",
        page.read_text(),
        flags=re.DOTALL,
    )
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_every_internal_link_and_anchor_resolves(site: Path) -> None:
    assert check_site.broken_links(site) == []


def test_nothing_is_loaded_from_a_cdn(site: Path) -> None:
    assert check_site.cdn_files(site) == []


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        '<a id="here" href="#here">ok</a> <a href="b.html#there">bad anchor</a>'
        ' <a href="missing.html">bad file</a> <a href="https://example.org/">remote</a>'
        ' <script src="https://cdn.example.org/x.js"></script>'
    )
    (tmp_path / "b.html").write_text('<p id="elsewhere"></p>')
    (tmp_path / "c.css").write_text('@import url("https://fonts.example.org/f.css");')
    assert check_site.broken_links(tmp_path) == [
        "a.html -> b.html#there: no such anchor",
        "a.html -> missing.html: no such file",
    ]
    assert check_site.cdn_files(tmp_path) == [
        "a.html: https://cdn.example.org/x.js",
        "c.css: imports from another host",
    ]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_page_shows_its_figures(site: Path, chapter: str) -> None:
    expected = check_site.notebook_images(ROOT / "notebooks" / f"{chapter}.ipynb")
    page = site / "notebooks" / f"{chapter}.html"
    assert expected > 0
    assert len(check_site.content_images(page)) == expected


def _words(text: str) -> str:
    return " ".join(re.findall(r"[A-Za-z0-9]+", text))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_page_shows_every_output(site: Path, chapter: str) -> None:
    """Every code cell with outputs has them on the page, and every Markdown output (the
    results the chapters render from their data) is rendered there, not shown as source."""
    cells = json.loads((ROOT / "notebooks" / f"{chapter}.ipynb").read_text())["cells"]
    page = site / "notebooks" / f"{chapter}.html"
    with_outputs = sum(1 for cell in cells if cell["cell_type"] == "code" and cell["outputs"])
    assert page.read_text().count('class="cell_output docutils container"') == with_outputs
    markdown = [
        "".join(output["data"]["text/markdown"])
        for cell in cells
        for output in cell.get("outputs", [])
        if "text/markdown" in output.get("data", {})
    ]
    text = _words(_text(page))
    for source in markdown:
        opening = _words(source.split("$")[0]).split()[:8]
        assert " ".join(opening) in text
    assert "**" not in _prose(page)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_parses_its_maths(site: Path, chapter: str) -> None:
    """No dollar sign or TeX command is left in the prose: every formula became a math node
    (code, formulas and scripts removed first)."""
    text = _prose(site / "notebooks" / f"{chapter}.html")
    assert re.findall(r".{0,40}(?:\$|\\[a-zA-Z]+).{0,40}", text) == []


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_opens_in_colab_and_binder_and_links_its_source(
    site: Path, chapter: str
) -> None:
    repository, branch = COLAB_BADGE.search((ROOT / "README.md").read_text()).groups()
    page = html.unescape((site / "notebooks" / f"{chapter}.html").read_text())
    path = f"notebooks/{chapter}.ipynb"
    assert f"https://colab.research.google.com/github/{repository}/blob/{branch}/{path}" in page
    assert f"https://mybinder.org/v2/gh/{repository}/{branch}?urlpath=lab/tree/{path}" in page
    assert f"https://github.com/{repository}/blob/{branch}/{path}" in page
    assert f"https://github.com/{repository}/edit/{branch}/{path}" in page


def test_every_source_and_edit_link_names_a_file_of_the_repository(site: Path) -> None:
    """The "show source" and "suggest edit" buttons of every page (an API page's open the
    module it documents, book/_ext/api_sources.py)."""
    repository, branch = COLAB_BADGE.search((ROOT / "README.md").read_text()).groups()
    link = re.compile(rf"https://github\.com/{repository}/(?:blob|edit)/{branch}/([^\"?#]+)")
    named = {path for page in check_site.pages(site) for path in link.findall(page.read_text())}
    assert "a3cmem_lib/memory/fifo.py" in named and "book/glossary.md" in named
    assert sorted(path for path in named if not (ROOT / path).is_file()) == []


def _readme_links() -> list[str]:
    return [
        next(group for group in match.groups() if group)
        for match in README_LINK.finditer((ROOT / "README.md").read_text())
    ]


def _github_slugs(markdown: str) -> set[str]:
    """The anchors GitHub (and MyST's default slugs, ``myst_heading_anchors``) give the
    headings of ``markdown``: lower case, punctuation dropped, spaces as hyphens."""
    headings = []
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6} ", line):
            headings.append(line.lstrip("#").strip())
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def _readme_link_problem(link: str, site: Path) -> str | None:
    """Why ``link`` of the README does not resolve, or None if it does."""
    repository, branch = COLAB_BADGE.search((ROOT / "README.md").read_text()).groups()
    if link.startswith(BADGE_IMAGES):
        return None
    if link.startswith(PAGES_URL):
        path, _, fragment = link[len(PAGES_URL) :].partition("#")
        page = site / (path or "index.html")
        if not page.is_file():
            return "no such page in the built site"
        if fragment and fragment not in check_site.parse(page).ids:
            return f"no #{fragment} on {path}"
        return None
    prefixes = {
        f"https://colab.research.google.com/github/{repository}/blob/{branch}/": "notebook",
        f"https://github.com/{repository}/blob/{branch}/": "file",
        f"https://mybinder.org/v2/gh/{repository}/{branch}?labpath=": "notebook",
        f"https://mybinder.org/v2/gh/{repository}/{branch}?urlpath=lab/tree/": "folder",
    }
    for prefix, kind in prefixes.items():
        if link.startswith(prefix):
            target = ROOT / unquote(link[len(prefix) :])
            exists = {
                "notebook": target.suffix == ".ipynb" and target.is_file(),
                "file": target.is_file(),
                "folder": target.is_dir(),
            }[kind]
            return None if exists else f"no such {kind} in the repository"
    if urlsplit(link).scheme:
        return "a link to another site: add how to check it to tests/test_book.py"
    path, _, fragment = link.partition("#")
    target = ROOT / unquote(path) if path else ROOT / "README.md"
    if not target.exists():
        return "no such file in the repository"
    if fragment and fragment not in _github_slugs(target.read_text()):
        return f"no heading #{fragment} in {target.name}"
    return None


def test_the_readme_is_a_landing_page() -> None:
    """The README keeps what a newcomer needs; the rest is on the website's pages."""
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= README_MAX_LINES
    for needed in ("make lab", "make test", "make student", "## The answer, in short"):
        assert needed in readme, needed
    links = _readme_links()
    for chapter in CHAPTERS:
        path = f"notebooks/{chapter}.ipynb"
        assert path in links, f"the chapter table misses {path}"
        assert any(link.startswith("https://colab.") and link.endswith(path) for link in links)
        assert any(link.endswith(path.replace("/", "%2F")) for link in links), chapter
    pages = {link[len(PAGES_URL) :].partition("#")[0] for link in links}
    book_pages = {f"book/{page.stem}.html" for page in (ROOT / "book").glob("*.md")}
    assert book_pages - {"book/index.html"} <= pages, "the README links to every page of book/"


def test_every_readme_link_resolves(site: Path) -> None:
    links = _readme_links()
    assert len(links) > 30
    broken = [(link, problem) for link in links if (problem := _readme_link_problem(link, site))]
    assert broken == []


def test_the_link_checks_catch_what_they_look_for(site: Path) -> None:
    for link, problem in (
        (f"{PAGES_URL}book/nowhere.html", "no such page"),
        (f"{PAGES_URL}book/install.html#nowhere", "no #nowhere"),
        (
            "https://colab.research.google.com/github/a3cmem/a3cmem/blob/main/notebooks/x.ipynb",
            "no such notebook",
        ),
        (
            "https://mybinder.org/v2/gh/a3cmem/a3cmem/main?labpath=notebooks%2Fx.ipynb",
            "no such notebook",
        ),
        ("https://example.org/", "another site"),
        ("CHANGES.md", "no such file"),
        ("#nowhere", "no heading #nowhere"),
    ):
        assert problem in _readme_link_problem(link, site), link
    for link in (f"{PAGES_URL}book/install.html#tested-versions", "#the-answer-in-short"):
        assert _readme_link_problem(link, site) is None


def test_the_landing_page_links_to_this_site_not_the_published_one(site: Path) -> None:
    """The README's links to the published site lead to the pages of this build on the
    landing page (book/_ext/site_links.py), where the internal-link check covers them."""
    anchors = re.findall(r'<a\b[^>]*\bhref="([^"]*)"', (site / "book" / "index.html").read_text())
    assert not [link for link in anchors if link.startswith(PAGES_URL)]
    assert "install.html#tested-versions" in anchors and "results.html" in anchors


def test_the_landing_page_lists_every_chapter(site: Path) -> None:
    landing = (site / "book" / "index.html").read_text()
    assert "Quick start" in _text(site / "book" / "index.html")
    for chapter in CHAPTERS:
        assert f'href="../notebooks/{chapter}.html"' in landing


def _glossary_entries() -> dict[str, str]:
    """Each term of book/glossary.md -> its definition (Markdown source); entries are blocks
    separated by blank lines, terms unindented, the definition indented."""
    source = (ROOT / "book" / "glossary.md").read_text()
    body = source.split("```{glossary}\n")[1].split("\n```")[0]
    entries: dict[str, str] = {}
    for block in body.split("\n\n"):
        lines = block.strip("\n").splitlines()
        terms = [line for line in lines if line and not line.startswith((" ", ":"))]
        definition = " ".join(line.strip() for line in lines if line.startswith(" "))
        entries.update(dict.fromkeys(terms, definition))
    return entries


def test_the_glossary_defines_every_term_with_the_chapter_that_introduces_it(
    site: Path,
) -> None:
    entries = _glossary_entries()
    assert set(GLOSSARY_TERMS) <= set(entries)
    for term, definition in entries.items():
        assert "Introduced in" in definition and "](../notebooks/" in definition, term
    text = _text(site / "book" / "glossary.html")
    assert "{{" not in text  # every substitution was filled from the library
    for term in GLOSSARY_TERMS:
        assert term in text


def test_the_chapters_glossary_links_name_anchors_of_the_built_glossary(site: Path) -> None:
    """The chapters link glossary terms by absolute URL (``tests/test_glossary_links.py``),
    which the site's link check skips: their anchors must be ids of the built page, and
    the anchor rule that test uses must be Sphinx's."""
    ids = check_site.parse(site / "book" / "glossary.html").ids
    rule = {anchor(term) for terms, _ in glossary_entries() for term in terms} - {None}
    assert rule <= ids, sorted(rule - ids)
    for chapter in CHAPTERS:
        linked = set(linked_anchors(ROOT / "notebooks" / f"{chapter}.ipynb"))
        assert linked and linked <= ids, (chapter, sorted(linked - ids))


def test_the_api_reference_has_a_page_for_every_module(site: Path) -> None:
    modules = [
        name
        for _, name, _ in pkgutil.walk_packages(a3cmem_lib.__path__, "a3cmem_lib.")
        if not name.rsplit(".", 1)[-1].startswith("_")
    ]
    assert len(modules) > 50
    missing = [name for name in modules if not (site / "book" / "api" / f"{name}.html").exists()]
    assert missing == []
    fifo = _text(site / "book" / "api" / "a3cmem_lib.memory.fifo.html")
    assert "class a3cmem_lib.memory.fifo. FIFOBuffer ( capacity" in fifo
    assert "Explained in notebooks/02_fifo_buffer.ipynb" in fifo
    # book/_ext/docstring_markup.py: named return values, bars and shape stars as written
    assert "Return values : batch – the item structure" in fifo
    learner = _text(site / "book" / "api" / "a3cmem_lib.training.learner.html")
    assert "new priorities from |v_t − V(s_t)|" in learner
    segments = _text(site / "book" / "api" / "a3cmem_lib.training.segments.html")
    assert "Type : (T, *obs_shape)" in segments


def test_docstring_markup_escapes_only_plain_text() -> None:
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from docstring_markup import escape_plain_text, process_docstring

    assert escape_plain_text("π(a|s), ``x|y``, (B, *obs_shape), *emphasis*") == (
        r"π(a\|s), ``x|y``, (B, \*obs_shape), *emphasis*"
    )
    lines = ["Returns:", "    a: one.", "    b: two,", "        and more.", "", "Example::", ""]
    lines += ["    a | b"]
    process_docstring(None, "function", "f", None, None, lines)
    assert lines[0] == "Return values:" and lines[-1] == "    a | b"
    single = ["Returns:", "    the p-value: a float in (0, 1]."]
    process_docstring(None, "function", "f", None, None, single)
    assert single[0] == "Returns:"


def test_the_benchmarks_page_includes_every_committed_result(site: Path) -> None:
    text = _text(site / "book" / "benchmarks.html")
    for result in sorted((ROOT / "bench" / "results").glob("*.md")):
        title = result.read_text().splitlines()[0].lstrip("# ").replace("`", "")
        assert title in text, result.name


def test_the_results_page_shows_the_answer_and_every_figure(site: Path) -> None:
    page = site / "book" / "results.html"
    figures = sorted((ROOT / "results").glob("*/*.png"))
    assert len(check_site.content_images(page)) == len(figures)
    text = _text(page)
    assert "When does a memory layer help A3C?" in text
    for folder in sorted({figure.parent.name for figure in figures}):
        assert f"results/{folder}/MACHINE.txt" in text


# -- a real browser ---------------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        """Requests are not worth a line each in the test output."""


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The site served on a free port of 127.0.0.1, as a base URL."""
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture(scope="module")
def browser(served: str) -> Iterator[Any]:
    """Headless Chromium that resolves no host but 127.0.0.1: the site must work offline.
    Module-scoped, as the server and the site: chromedriver, a child of this process, is gone
    before the training tests check that no child process is left."""
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        message = "Debian's chromium and chromium-driver are not installed (.ci/run installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _wait_for(driver: Any, css: str, at_least: int = 1, seconds: float = 60) -> list[Any]:
    """The elements matching ``css`` once there are ``at_least`` of them."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def found(d: Any) -> list[Any] | bool:
        elements = d.find_elements(By.CSS_SELECTOR, css)
        return elements if len(elements) >= at_least else False

    return WebDriverWait(driver, seconds).until(found)


def _remote_assets(driver: Any, served: str) -> list[str]:
    """Scripts, stylesheets and fonts the page asked another host for (badge images, which
    the chapters link to Colab and Binder, may fail offline)."""
    entries = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => [e.name, e.initiatorType]);"
    )
    return [name for name, kind in entries if not name.startswith(served) and kind not in ("img",)]


def test_the_landing_page_renders(browser: Any, served: str) -> None:
    from PIL import Image

    browser.get(served)  # the root redirects to book/index.html
    _wait_for(browser, "article h1")
    assert browser.current_url.endswith("book/index.html")
    assert "memory layer" in browser.title
    screenshot = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("L")
    histogram = screenshot.histogram()
    background = max(histogram)
    assert sum(histogram) - background > 0.02 * sum(histogram), "the screenshot is blank"
    low, high = screenshot.getextrema()
    assert high - low > 128
    assert _remote_assets(browser, served) == []


def test_a_chapter_renders_with_its_maths_typeset(browser: Any, served: str) -> None:
    browser.get(f"{served}notebooks/05_async_training_with_memory.html")
    _wait_for(browser, "mjx-container", at_least=20)
    assert browser.execute_script("return document.querySelectorAll('mjx-merror').length") == 0
    _wait_for(browser, "article img", at_least=4)
    assert _remote_assets(browser, served) == []


def test_the_search_finds_v_trace(browser: Any, served: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{served}search.html?q=V-trace")
    summary = _wait_for(browser, "#search-results .search-summary")[0]
    WebDriverWait(browser, 60).until(lambda _: "Search finished" in summary.text)
    results = browser.find_elements(By.CSS_SELECTOR, "#search-results ul.search > li > a")
    targets = [result.get_attribute("href") for result in results]
    assert any("05_async_training_with_memory" in target for target in targets), targets
