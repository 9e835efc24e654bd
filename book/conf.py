"""Sphinx configuration of the book as a website (``make book``, ``tests/test_book.py``).

The site is built from the committed notebooks without executing them, beside the glossary,
the API reference (from the docstrings) and the committed benchmark and study results.

The source directory is the repository root and this folder is only the configuration
directory (``sphinx-build -c book . OUT``): a chapter's page name is then its path in the
repository (``notebooks/01_a3c_basics``), so the Colab, Binder, source and edit buttons point
at the real file. ``include_patterns`` keeps Sphinx to the book's pages and the chapters.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

BOOK = Path(__file__).resolve().parent
sys.path.insert(0, str(BOOK / "_ext"))

from docstring_markup import RETURN_VALUES  # noqa: E402
from glossary_values import glossary_substitutions  # noqa: E402

# The repository the README's badges name; GitHub Pages serves it at PAGES_URL.
REPOSITORY = "a3cmem/a3cmem"
PAGES_URL = "https://a3cmem.github.io/a3cmem/"

project = "a3cmem"
author = "the a3cmem authors"
copyright = "2026, the a3cmem authors"

root_doc = "book/index"
include_patterns = ["book/**", "notebooks/*.ipynb"]
exclude_patterns = [
    ".venv",
    ".git",
    "_build",
    "course",
    "runs",
    "book/_templates",
    "book/_ext",
]
# Absolute: the HTML builder reads it from the configuration directory, autosummary from
# the source directory.
templates_path = [str(BOOK / "_templates")]

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",
    "docstring_markup",
    "api_sources",
    "results_pages",
    "site_links",
]

# MyST: the notebooks' maths ($...$, $$...$$, \begin{aligned}), links to a chapter's
# sections by their heading (chapter.ipynb#slug), and the glossary's values from the library.
myst_enable_extensions = ["dollarmath", "amsmath", "substitution"]
myst_dmath_double_inline = True  # $$...$$ inside a paragraph, as Jupyter renders it
myst_heading_anchors = 4
myst_substitutions = glossary_substitutions()

# The committed outputs are the book: nothing is executed. Markdown outputs (the chapters'
# rendered results) are parsed as MyST, so their maths renders like the prose's.
nb_execution_mode = "off"
nb_render_markdown_format = "myst"
# ipywidgets need a kernel, or their JavaScript from a CDN: the chapters' widgets and tqdm
# bars are left as inert placeholders (the prose says to open the chapter in Colab or Binder).
nb_ipywidgets_js = {}

# API reference: one page per module, generated from the docstrings (Google style, "Args:";
# book/_ext/docstring_markup.py reads their Unicode maths as plain text).
autosummary_generate = True
# autosummary writes a stub per module into book/api/ (gitignored): start from none, so a
# module that was renamed or removed leaves no stale page behind.
shutil.rmtree(BOOK / "api", ignore_errors=True)
autodoc_default_options = {
    "members": True,
    "ignore-module-all": True,
    "show-inheritance": True,
}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_custom_sections = [(RETURN_VALUES, "params_style")]

html_theme = "sphinx_book_theme"
html_title = "a3cmem"
html_baseurl = PAGES_URL
# The repository root redirects to the landing page (book/index.html).
html_additional_pages = {"index": "redirect.html"}
html_theme_options = {
    "repository_url": f"https://github.com/{REPOSITORY}",
    "repository_branch": "main",
    "path_to_docs": "",
    "use_repository_button": True,
    "use_source_button": True,
    "use_edit_page_button": True,
    "use_issues_button": True,
    "use_download_button": True,
    "launch_buttons": {
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
        "notebook_interface": "jupyterlab",
    },
}
