"""Packaging metadata and installation: what users and contributors install.

Building and installing the archives is ``ci/test-packaging.sh``'s (it needs
the package registry); these tests check the metadata it builds from, that
the test suite's imports are covered by the ``test`` extra, and the two
promises about imports: ``trio_http.testing`` without pytest, and the
editable install seen by mypy from outside the checkout.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"


def pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


PROJECT = pyproject()["project"]
EXTRAS: dict[str, list[str]] = PROJECT["optional-dependencies"]


def test_testing_imports_without_pytest() -> None:
    code = (
        "import sys\n"
        "sys.modules['pytest'] = None  # any 'import pytest' now fails\n"
        "import trio_http.testing as testing\n"
        "router = testing.MockRouter()\n"
        "router.get('https://example.test/').respond(json={'ok': True})\n"
        "assert testing.MockRouter.__module__ == 'trio_http.testing'\n"
        "assert callable(testing.trio_http_mock)  # a plain function: no fixture without pytest\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_license_is_mit_and_shipped() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the trio_http authors" in text
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    # An SPDX expression replaces the "License ::" classifiers (setuptools
    # refuses both together).
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]
    assert "include LICENSE" in (ROOT / "MANIFEST.in").read_text()


def test_python_classifiers_match_the_versions_ci_tests() -> None:
    # ci/test-pythons.sh runs the other versions; ci/test.sh runs .venv's (3.11).
    script = (ROOT / "ci" / "test-pythons.sh").read_text()
    others = re.search(r"VERSIONS=\(([\d. ]+)\)", script)
    assert others is not None
    tested = {*others.group(1).split(), "3.11"}
    declared = {
        c.rsplit(" ", 1)[1]
        for c in PROJECT["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    assert declared == tested
    oldest = min(tested, key=lambda version: tuple(map(int, version.split("."))))
    assert PROJECT["requires-python"] == f">={oldest}"


def test_dev_extra_is_every_development_extra() -> None:
    (union,) = [r for r in EXTRAS["dev"] if r.startswith("trio_http[")]
    assert set(Requirement(union).extras) == {"test", "bench", "docs", "lint"}
    assert {"brotli", "zstd", "socks", "urllib3", "truststore", "cli"} <= set(
        Requirement(EXTRAS["test"][0]).extras
    )


def test_the_cli_extra_and_command_are_declared() -> None:
    assert EXTRAS["cli"] == ["rich>=13"]
    assert PROJECT["scripts"] == {"trio-http": "trio_http._cli:main"}


# -- the test extra covers what the tests import ---------------------------------


def _imported_modules(path: Path) -> Iterator[str]:
    """Top-level modules a file imports, leaving out optional imports.

    An import inside ``try:`` is optional by construction, and one under
    ``if sys.version_info ...`` is a backport for other Pythons (the
    dependencies of trio and pytest bring those there).
    """
    tree = ast.parse(path.read_text(), str(path))
    optional: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            guarded = node.body
        elif isinstance(node, ast.If) and "version_info" in ast.unparse(node.test):
            guarded = [*node.body, *node.orelse]
        else:
            continue
        for inner in guarded:
            optional.update(id(n) for n in ast.walk(inner))
    for node in ast.walk(tree):
        if id(node) in optional:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def _requirement_closure(roots: list[str]) -> set[str]:
    """Normalised names of the distributions ``roots`` pull in, installed ones followed."""

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    seen: set[str] = set()
    pending = [(Requirement(root), frozenset(Requirement(root).extras)) for root in roots]
    while pending:
        requirement, extras = pending.pop()
        name = norm(requirement.name)
        if name in seen and not extras:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(requirement.name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for text in requires:
            child = Requirement(text)
            environments = [{"extra": extra} for extra in extras] or [{"extra": ""}]
            wanted = child.marker is None or any(child.marker.evaluate(e) for e in environments)
            if wanted and (norm(child.name) != name or child.extras - extras):
                pending.append((child, frozenset(child.extras)))
    return seen


def _providers() -> dict[str, list[str]]:
    """Top-level module -> the distributions installing it.

    ``packages_distributions()`` reads only ``top_level.txt`` before Python
    3.11, which many wheels lack: the installed files say it too.
    """
    found: dict[str, list[str]] = {}
    for module, names in importlib.metadata.packages_distributions().items():
        found.setdefault(module, []).extend(names)
    for dist in importlib.metadata.distributions():
        for file in dist.files or ():
            top = file.parts[0] if file.parts else ""
            if not top or top.endswith((".dist-info", ".data", ".pth")) or top == "..":
                continue
            module = top[:-3] if top.endswith(".py") else top
            found.setdefault(module, []).append(dist.metadata["Name"])
    return found


def test_the_test_extra_covers_what_the_tests_import() -> None:
    local = {path.stem for path in TESTS.rglob("*.py")} | {"trio_http", "tests"}
    imported = {
        module
        for path in TESTS.rglob("*.py")
        if "typecheck" not in path.parts
        for module in _imported_modules(path)
    }
    third_party = sorted(imported - local - set(sys.stdlib_module_names))
    providers = _providers()
    closure = _requirement_closure(["trio_http[test]", *PROJECT["dependencies"]])
    missing = []
    for module in third_party:
        names = {re.sub(r"[-_.]+", "-", d).lower() for d in providers.get(module, [])}
        if not names & closure:
            missing.append(f"{module} (from {sorted(names) or 'no installed distribution'})")
    assert not missing, f"the tests import modules the 'test' extra does not bring: {missing}"


def test_import_scan_skips_optional_imports(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "import os\nimport pytest\ntry:\n    import brotli\nexcept ImportError:\n    pass\n"
        "if sys.version_info < (3, 11):\n    import exceptiongroup\n"
        "def f():\n    from h2.config import H2Configuration\n"
    )
    assert set(_imported_modules(source)) == {"os", "pytest", "h2"}


# -- the editable install ---------------------------------------------------------


@pytest.mark.skipif(
    Path(sys.prefix).resolve() != (ROOT / ".venv").resolve(),
    reason="checks the environment ci/install.sh makes (.venv)",
)
def test_mypy_outside_the_checkout_finds_the_editable_install(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="mypy is not installed")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--cache-dir",
            str(tmp_path / "cache"),
            "-c",
            "import trio_http\nreveal_type(trio_http.get)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "trio_http._response.Response" in result.stdout
