"""Sphinx configuration for the trio_http documentation."""

from __future__ import annotations

import os
import sys

# Document the checkout being built, not whatever trio_http is installed.
sys.path.insert(0, os.path.abspath(".."))

project = "trio_http"
author = "trio_http contributors"
copyright = "trio_http contributors"
release = "0.1.0.dev0"
version = "0.1"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False

exclude_patterns = ["_build"]
templates_path: list[str] = []
html_static_path: list[str] = []
html_theme = "alabaster"
html_theme_options = {
    "description": "A Trio-native HTTP client",
}
master_doc = "index"
