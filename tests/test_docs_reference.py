"""Every public name has an entry in the API reference (docs/api*.rst and friends).

An entry is an autodoc directive (``.. autoclass:: trio_http.Session``) or a
Python-domain directive (``.. py:class:: Client`` under ``.. py:currentmodule::
trio_http``) in any page of ``docs/``. A name added to ``trio_http.__all__``
(or to a public submodule's ``__all__``) fails here until it is documented.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import trio_http

DOCS = Path(__file__).resolve().parent.parent / "docs"
PUBLIC_SUBMODULES = ("auth", "exceptions", "structures", "testing")

_DIRECTIVE = re.compile(r"^\s*\.\. (?:(py):)?(\w+)::\s*([\w.]+)")
_AUTODOC = {
    "automodule",
    "autoclass",
    "autoexception",
    "autofunction",
    "autodata",
    "automethod",
    "autoattribute",
    "autoproperty",
}
_PY_OBJECTS = {"class", "exception", "function", "data", "attribute", "type", "method", "property"}


def documented_names(pages: list[Path]) -> set[str]:
    """The dotted names the pages document, as Sphinx would register them."""
    names: set[str] = set()
    for page in pages:
        module = ""
        for line in page.read_text().splitlines():
            match = _DIRECTIVE.match(line)
            if match is None:
                continue
            domain, directive, name = match.groups()
            if domain is None and directive in _AUTODOC:
                # A nested automethod/autoproperty names a member of the class above.
                if directive in ("automethod", "autoattribute", "autoproperty"):
                    continue
                names.add(name)
                if directive == "automodule":
                    module = name
            elif domain == "py" and directive in ("module", "currentmodule"):
                module = name
                if directive == "module":
                    names.add(name)
            elif domain == "py" and directive in _PY_OBJECTS:
                names.add(f"{module}.{name}" if module else name)
    return names


def reference_pages() -> list[Path]:
    return sorted(path for path in DOCS.rglob("*.rst") if "_build" not in path.parts)


DOCUMENTED = documented_names(reference_pages())


@pytest.mark.parametrize("name", trio_http.__all__)
def test_every_public_name_is_documented(name: str) -> None:
    assert f"trio_http.{name}" in DOCUMENTED, (
        f"trio_http.{name} has no entry in docs/: add an autodoc directive "
        f"(e.g. '.. autoclass:: trio_http.{name}') to the API reference"
    )


@pytest.mark.parametrize("module", PUBLIC_SUBMODULES)
def test_public_submodules_and_their_names_are_documented(module: str) -> None:
    submodule = importlib.import_module(f"trio_http.{module}")
    assert f"trio_http.{module}" in DOCUMENTED
    for name in submodule.__all__:
        value = getattr(submodule, name)
        # trio_http.exceptions and trio_http.auth re-export some names that
        # trio_http documents itself.
        documented_at_top = getattr(trio_http, name, None) is value
        assert f"trio_http.{module}.{name}" in DOCUMENTED or documented_at_top, (
            f"trio_http.{module}.{name} has no entry in docs/"
        )


def test_directives_are_read_with_their_current_module(tmp_path: Path) -> None:
    page = tmp_path / "page.rst"
    page.write_text(
        ".. py:currentmodule:: trio_http\n\n"
        ".. autoclass:: trio_http.Session\n\n"
        "   .. automethod:: get\n\n"
        ".. py:class:: Client\n\n"
        ".. automodule:: trio_http.testing\n\n"
        ".. py:function:: trio_http_mock()\n"
    )
    assert documented_names([page]) == {
        "trio_http.Session",
        "trio_http.Client",
        "trio_http.testing",
        "trio_http.testing.trio_http_mock",
    }
