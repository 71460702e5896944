"""The public surface and the layering rules the design depends on."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

import trio_http

PACKAGE = pathlib.Path(trio_http.__file__).parent
LAYER0 = [
    "_auth",
    "_config",
    "_content",
    "_cookies",
    "_decoders",
    "_exceptions",
    "_headers",
    "_models",
    "_multipart",
    "_proxy_config",
    "_redirects",
    "_retries",
    "_status_codes",
    "_streams",
    "_types",
    "_urlpatterns",
    "_urls",
]
FORBIDDEN_IN_LAYER0 = {"trio", "h11", "h2", "hpack", "hyperframe"}


def imported_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", LAYER0)
def test_layer0_never_imports_io_libraries(module: str) -> None:
    assert not imported_modules(PACKAGE / f"{module}.py") & FORBIDDEN_IN_LAYER0


@pytest.mark.parametrize("module", LAYER0)
def test_layer0_never_imports_upper_layers(module: str) -> None:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level >= 1 and node.module:
            top = node.module.split(".")[0]
            assert top in LAYER0, f"{module} imports {node.module}"


def test_layer0_imports_without_trio() -> None:
    # Load layer 0 under a bare package object, so the package __init__
    # (which imports the client, hence trio) does not run.
    code = (
        "import sys, types\n"
        f"pkg = types.ModuleType('trio_http'); pkg.__path__ = [{str(PACKAGE)!r}]\n"
        "sys.modules['trio_http'] = pkg\n"
        "import importlib\n"
        f"for name in {LAYER0!r}: importlib.import_module('trio_http.' + name)\n"
        "bad = {'trio', 'h11', 'h2'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_all_is_sorted_complete_and_importable() -> None:
    names = trio_http.__all__
    assert list(names) == sorted(names)
    for name in names:
        assert hasattr(trio_http, name), name
    public = {n for n in vars(trio_http) if not n.startswith("_")} - {"annotations"}
    # Public submodules are attributes of the package once imported.
    assert public <= set(names) | {"auth", "exceptions", "structures", "testing"}


def test_requests_exception_inheritance() -> None:
    assert issubclass(trio_http.ConnectTimeout, trio_http.ConnectionError)
    assert issubclass(trio_http.ConnectTimeout, trio_http.Timeout)
    assert issubclass(trio_http.ReadTimeout, trio_http.Timeout)
    assert issubclass(trio_http.Timeout, trio_http.RequestException)
    assert issubclass(trio_http.RequestException, OSError)
    assert issubclass(trio_http.JSONDecodeError, ValueError)
    assert issubclass(trio_http.InvalidURL, ValueError)
    assert issubclass(trio_http.MissingSchema, trio_http.RequestException)
    assert trio_http.exceptions.HTTPError is trio_http.HTTPError


def test_json_decode_error_keeps_position_and_pickles() -> None:
    import pickle

    error = trio_http.JSONDecodeError("Expecting value", "x", 0)
    assert error.pos == 0 and error.doc == "x"
    clone = pickle.loads(pickle.dumps(error))
    assert isinstance(clone, trio_http.JSONDecodeError)
    assert clone.msg == "Expecting value"


def test_codes_lookup_spellings() -> None:
    assert trio_http.codes.ok == trio_http.codes.OK == trio_http.codes["ok"] == 200
    assert trio_http.codes.not_found == 404
    assert trio_http.codes.teapot == 418
