"""Links to the published site, made relative when the site is built.

The README links to the website's pages by their published address (``PAGES_URL`` in
``book/conf.py``, ``html_baseurl``), so that they work on GitHub; the landing page includes
the README, and there each such link becomes a link to the page of this build, which
``tools/check_site.py`` then checks like any internal link (and which works offline).
"""

from __future__ import annotations

import posixpath

from docutils import nodes
from sphinx.application import Sphinx


def relative_uri(uri: str, base: str, docname: str) -> str | None:
    """``uri`` relative to the page of ``docname``, or None if it is not under ``base``.

    >>> relative_uri("https://x.io/s/book/ray.html#faults", "https://x.io/s/", "book/index")
    'ray.html#faults'
    """
    if not base or not uri.startswith(base):
        return None
    path, hash_, fragment = uri[len(base) :].partition("#")
    relative = posixpath.relpath(path or "index.html", posixpath.dirname(docname) or ".")
    return relative + hash_ + fragment


def make_site_links_relative(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html":
        return
    for reference in doctree.findall(nodes.reference):
        relative = relative_uri(reference.get("refuri", ""), app.config.html_baseurl, docname)
        if relative is not None:
            reference["refuri"] = relative
            reference["internal"] = True  # styled as a link within the site


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("doctree-resolved", make_site_links_relative)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
