"""Sphinx configuration of Latte's documentation site (``make docs`` builds it into _build/html).

The API reference and the generated half of "Coming from PyTorch" are written from the code
when the build starts (``_ext/``); the tutorials in ``examples/tutorials`` are executed by
sphinx-gallery, so their output and plots are those of the code being documented.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))  # the checkout's latte, whatever is installed

import latte  # noqa: E402

os.environ.setdefault("MPLBACKEND", "Agg")  # the tutorials draw without a display

project = "Latte"
author = "Latte's authors"
copyright = "Latte's authors, MIT license"
release = version = latte.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "latte_reference",
    "latte_compat_page",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_generated", "tutorials/*.ipynb", "tutorials/*.py",
                    "tutorials/*.md5", "tutorials/*.zip", "tutorials/*.codeobj.json"]
templates_path: list[str] = []

html_theme = "furo"
html_title = f"Latte {version}"
html_static_path: list[str] = []

# --- autodoc / napoleon: the docstrings are Google style (Args:, Returns:, Example::) ------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_inherit_docstrings = False  # a subclass's undocumented method is not PyTorch's text
autosummary_generate = False  # the reference pages are written by _ext/latte_reference.py
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_custom_sections = [("Shape", "params_style")]

# --- myst: docs/*.md pages, with ``$ ... $`` and heading anchors for cross-page links -------
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

# --- sphinx-gallery: every script in examples/tutorials is run at build time ----------------
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples" / "tutorials"),
    "gallery_dirs": str(HERE / "tutorials"),
    "filename_pattern": r".*\.py$",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 0,
}
