"""What starting trio_http costs: the modules imported, in a fresh interpreter.

Timings belong to ``benchmarks/bench_start.py``; these tests pin down what
is imported, which is what the timings follow from.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from server import TestServer
from threaded_server import serve_in_thread

# What a plain HTTP/1.1 GET without cookies must not import.
NOT_FOR_A_PLAIN_GET = (
    "h2",
    "hpack",
    "http.cookiejar",
    "netrc",
    "email.utils",
    "trio_http._auth_digest",
    "trio_http._multipart",
    "trio_http._parallel",
    "trio_http._parallel_items",
    "trio_http._sync_parallel",
    "trio_http._transports._proxy",
    "trio_http._websocket",
    "trio_http._websocket_connect",
    "trio_http._websocket_sync",
    "trio_http._transports._asgi",
    "trio_http._transports._wsgi",
    "trio_http._transports._mock",
    "trio_http._transports._urllib3",
    "trio_http._transports._socks",
    "wsproto",
)


def modules_after(code: str, *args: str) -> set[str]:
    """``sys.modules`` after running ``code`` in a fresh interpreter."""
    child = code + "\nimport sys\nprint('\\n'.join(sys.modules))\n"
    done = subprocess.run(
        [sys.executable, "-c", child, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(done.stdout.split())


@pytest.fixture(scope="module")
def running() -> Iterator[TestServer]:
    with serve_in_thread() as server:
        yield server


def test_import_alone_loads_neither_trio_nor_the_client() -> None:
    modules = modules_after("import trio_http")
    assert "trio" not in modules
    assert not {name for name in modules if name.startswith("trio_http.")} - {"trio_http._version"}


@pytest.mark.parametrize(
    "code",
    [
        "trio_http.get(url).raise_for_status()",
        "with trio_http.Session() as s: s.get(url).raise_for_status()",
    ],
)
def test_a_plain_get_imports_nothing_it_does_not_use(running: TestServer, code: str) -> None:
    script = f"import sys, trio_http\nurl = sys.argv[1]\n{code}"
    modules = modules_after(script, running.url_for("/get"))
    unneeded = {
        name
        for name in modules
        for prefix in NOT_FOR_A_PLAIN_GET
        if name == prefix or name.startswith(prefix + ".")
    }
    assert unneeded == set()


def test_the_cookie_machinery_loads_with_the_first_cookie(running: TestServer) -> None:
    script = (
        "import sys, trio_http\n"
        "with trio_http.Session() as s:\n"
        "    s.cookies.set('flavour', 'oat')\n"
        "    assert s.get(sys.argv[1]).status_code == 200\n"
    )
    assert "http.cookiejar" in modules_after(script, running.url_for("/get"))
