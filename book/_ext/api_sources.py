"""The API pages' "show source" and "suggest edit" buttons open the module they document.

An API page (``book/api/<module>``) is a stub autosummary writes at build time, not a file
of the repository; the file worth reading or editing is the module itself.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

API_PAGES = "book/api/"


def module_file(pagename: str, root: Path) -> str | None:
    """The file of the module an API page documents, relative to ``root`` (``None`` for
    other pages)."""
    if not pagename.startswith(API_PAGES):
        return None
    spec = importlib.util.find_spec(pagename.removeprefix(API_PAGES))
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).resolve().relative_to(root.resolve()).as_posix()


def point_at_module(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """html-page-context: the edit URL (and so the source URL) of an API page."""
    path = module_file(pagename, Path(app.srcdir))
    if path is None:
        return
    options = app.config.html_theme_options
    url = f"{options['repository_url']}/edit/{options['repository_branch']}/{path}"
    context["get_edit_provider_and_url"] = lambda: ("GitHub", url)


def setup(app: Sphinx) -> dict[str, object]:
    # pydata-sphinx-theme defines get_edit_provider_and_url at priority 500; sphinx-book-theme
    # builds its buttons from it at 501, with handlers registered after this extension's.
    app.connect("html-page-context", point_at_module, priority=501)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
