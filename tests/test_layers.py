"""The layering rules of the design, checked on the source of every module.

Imports point down only::

    surface    __init__ and the public modules (auth, models...): re-export what is below
    facade     the blocking API and its loop thread
    client     AsyncClient and the fan-out engine (and trio_http.testing)
    transports _transports/*: Trio I/O
    rules      auth, cookies, redirects, retries, proxy configuration
    values     sans-I/O values and parsers (no trio, h11 or h2)

- values import only values; rules import only values and rules;
- transports import no client, facade or surface module;
- the client reaches the transports only through their front door
  (``_transports._default``) and the transport interface
  (``_transports._base``), which is all that any layer above sees;
- the facade imports no transport module but that interface.

Every module must be placed in exactly one layer: a new module fails
``test_every_module_has_a_layer`` until it is.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

import trio_http

PACKAGE = pathlib.Path(trio_http.__file__).parent

VALUES = {
    "_body",
    "_config",
    "_content",
    "_deadlines",
    "_decoders",
    "_decompress_optional",
    "_decompress_stage",
    "_decompress_zlib",
    "_exceptions",
    "_header_fields",
    "_header_params",
    "_headers",
    "_hooks",
    "_multipart",
    "_raw_body",
    "_request",
    "_response",
    "_response_chunks",
    "_response_hand",
    "_response_head",
    "_response_text",
    "_status_codes",
    "_streams",
    "_text",
    "_types",
    "_url_host",
    "_url_parse",
    "_url_query",
    "_urlpatterns",
    "_urls",
    "_utils_headers",
    "_websocket_handshake",
    "structures",
}
RULES = {
    "_auth",
    "_auth_challenge",
    "_auth_digest",
    "_cookie_adapters",
    "_cookie_jar",
    "_cookie_limits",
    "_cookie_mapping",
    "_cookie_requests_jar",
    "_cookies",
    "_no_proxy",
    "_prepared",
    "_proxy_config",
    "_proxy_server",
    "_redirects",
    "_retries",
    "_utils_bodies",
    "_utils_network",
    "_utils_urls",
    "cookies",
}
CLIENT = {
    "_client",
    "_client_defaults",
    "_client_flow",
    "_client_scope",
    "_client_verbs",
    "_parallel",
    "_parallel_items",
    "_request_options",
    "_testing_responses",
    "_testing_route",
    "_testing_router",
    "_websocket",
    "_websocket_client",
    "_websocket_connect",
    "_websocket_deflate",
    "_websocket_messages",
    "_websocket_pings",
    "_websocket_send",
    "testing",
}
FACADE = {
    "_adapter_options",
    "_adapters",
    "_api",
    "_cli",
    "_cli_args",
    "_cli_commands",
    "_cli_download",
    "_cli_exits",
    "_cli_fetch",
    "_cli_names",
    "_cli_output",
    "_cli_request",
    "_demo",
    "__main__",
    "_portal",
    "_session",
    "_session_adapters",
    "_session_redirects",
    "_session_send",
    "_sync_environment",
    "_sync_loop",
    "_sync_pump",
    "_sync_options",
    "_sync_parallel",
    "_websocket_sync",
    "_session_websockets",
}
SURFACE = {
    "__init__",
    "adapters",
    "auth",
    "compat",
    "exceptions",
    "help",
    "hooks",
    "models",
    "sessions",
    "status_codes",
    "utils",
}
INTERFACE = {"_transports._base"}
FRONT_DOOR = {"_transports._default"}
LAYER0 = VALUES | RULES
IO_LIBRARIES = {"trio", "h11", "h2", "hpack", "hyperframe"}


def all_modules() -> set[str]:
    """Every module of the package, as ``_client`` or ``_transports._pool``."""
    names = {path.stem for path in PACKAGE.glob("*.py")}
    names |= {f"_transports.{path.stem}" for path in (PACKAGE / "_transports").glob("*.py")}
    return names


def transports() -> set[str]:
    return {name for name in all_modules() if name.startswith("_transports.")}


def _typing_only(tree: ast.AST) -> set[int]:
    """The ids of the nodes under ``if TYPE_CHECKING:`` in ``tree``."""
    nodes: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            nodes |= {id(child) for child in ast.walk(node)}
    return nodes


def internal_imports(module: str, source: str, *, runtime_only: bool = False) -> set[str]:
    """The package modules ``source`` (the text of ``module``) imports, relative or absolute.

    With ``runtime_only``, imports for type checking only are left out.
    """
    package = module.split(".")[:-1]
    found: set[str] = set()
    tree = ast.parse(source)
    skip = _typing_only(tree) if runtime_only else set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
            elif node.module and node.module.split(".")[0] == "trio_http":
                base, node_module = [], node.module.split(".", 1)[1:]
                found |= {".".join(node_module)} if node_module else set()
                continue
            else:
                continue
            if node.module:
                found.add(".".join([*base, node.module]))
            else:  # from . import name
                found |= {".".join([*base, alias.name]) for alias in node.names}
    return {name for name in found if name}


def allowed(module: str) -> set[str]:
    """What ``module`` may import, by its layer."""
    if module in VALUES:
        return VALUES
    if module in RULES:
        return LAYER0
    if module in transports():
        return LAYER0 | transports()
    if module in CLIENT:
        return LAYER0 | INTERFACE | FRONT_DOOR | CLIENT
    if module in FACADE:
        return LAYER0 | INTERFACE | CLIENT | FACADE
    return all_modules()  # the surface


def violations(module: str, source: str) -> list[str]:
    permitted = allowed(module)
    return sorted(
        f"{module} imports {target}"
        for target in internal_imports(module, source)
        if target in all_modules() and target not in permitted
    )


def source_of(module: str) -> str:
    return (PACKAGE / (module.replace(".", "/") + ".py")).read_text()


def test_every_module_has_a_layer() -> None:
    placed = VALUES | RULES | CLIENT | FACADE | SURFACE | transports()
    assert all_modules() - placed == set()
    layers = [VALUES, RULES, CLIENT, FACADE, SURFACE]
    assert sum(len(layer) for layer in layers) == len(set().union(*layers))


@pytest.mark.parametrize("module", sorted(all_modules()))
def test_imports_point_down(module: str) -> None:
    assert violations(module, source_of(module)) == []


def import_cycles() -> list[list[str]]:
    """Cycles among the imports that run (type-checking imports may go up)."""
    graph = {
        module: internal_imports(module, source_of(module), runtime_only=True) & all_modules()
        for module in all_modules()
    }
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(graph[module]):
            if target in path:
                cycles.append([*path[path.index(target) :], target])
            elif target not in done:
                visit(target, [*path, target])
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    return cycles


def test_runtime_imports_have_no_cycles() -> None:
    assert import_cycles() == []


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("_client", "from ._transports._pool import ConnectionPool"),
        ("_client", "from trio_http._transports._http2 import HTTP2Connection"),
        ("_session", "from ._transports._default import TransportRouter"),
        ("_transports._pool", "from .._client import AsyncClient"),
        ("_cookies", "from ._client import AsyncClient"),
        ("_urls", "from ._cookies import Cookies"),
        ("_parallel", "from . import _session"),
    ],
)
def test_a_forbidden_import_is_caught(module: str, line: str) -> None:
    assert violations(module, source_of(module) + "\n" + line + "\n") != []


@pytest.mark.parametrize("module", sorted(LAYER0))
def test_layer0_never_imports_io_libraries(module: str) -> None:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source_of(module))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    assert not names & IO_LIBRARIES


def test_layer0_imports_without_trio() -> None:
    # Load layer 0 under a bare package object, so the package __init__
    # (which imports the client, hence trio) does not run.
    code = (
        "import sys, types\n"
        f"pkg = types.ModuleType('trio_http'); pkg.__path__ = [{str(PACKAGE)!r}]\n"
        "sys.modules['trio_http'] = pkg\n"
        "import importlib\n"
        f"for name in {sorted(LAYER0)!r}: importlib.import_module('trio_http.' + name)\n"
        "bad = {'trio', 'h11', 'h2'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_import_cycle_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = source_of

    def with_cycle(module: str) -> str:
        extra = "\nfrom ._client import AsyncClient\n" if module == "_parallel" else ""
        return real(module) + extra

    monkeypatch.setattr(sys.modules[__name__], "source_of", with_cycle)
    cycles = import_cycles()
    assert len(cycles) == 1 and set(cycles[0]) == {"_client", "_parallel"}
