"""Real WebSocket servers on loopback for the interop tests and the echo benchmark.

Each fixture starts exactly one server process on a free port, waits until it
accepts connections, and stops that process at the end of the session. A
missing package or binary skips the tests that need it with a reason (or fails
them under ``TRIO_HTTP_REQUIRE_NGINX=1``, as CI installs every server).

Fixtures:

``hypercorn_ws``      hypercorn serving :func:`app` over plain HTTP/1.1
``hypercorn_wss``     hypercorn serving :func:`app` over TLS (trustme), ALPN
                      ``h2`` and ``http/1.1``; over HTTP/2 it allows WebSockets
                      by extended CONNECT (RFC 8441)
``websockets_server`` the ``websockets`` package's server (``websockets>=13``),
                      plain HTTP/1.1, permessage-deflate offered
``nginx_ws``          nginx proxying ``/ws/<path>`` to ``websockets_server``'s
                      ``/<path>`` on its HTTP and HTTPS ports

Every server has the same endpoints:

``/echo``          sends every message back as it came (text or bytes)
``/subprotocol``   accepts with the first of :data:`SUBPROTOCOLS` the client
                   offers (none if it offers none of them), sends its name
                   (``""`` for none) as a text message, then echoes
``/close``         accepts, then closes with ``?code=`` (default 1000) and
                   ``?reason=``
``/info``          sends one JSON text message: ``http_version``, ``path`` and
                   the request ``headers`` (lowercased names), then echoes

:func:`start_websockets_server` and :func:`start_hypercorn` start the same
servers outside pytest (the benchmark uses them). Run as a script, this
module serves the endpoints with the ``websockets`` package::

    python tests/ws_servers.py websockets --port 8765 [--no-compression]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import trustme
from interop import TESTS, free_port, missing, start_process, stop_process, write_tls_files
from nginx import Nginx, _require_nginx, start_nginx

__all__ = [
    "MAX_MESSAGE_BYTES",
    "SUBPROTOCOLS",
    "WebSocketServer",
    "app",
    "hypercorn_ws",
    "hypercorn_wss",
    "nginx_ws",
    "start_hypercorn",
    "start_websockets_server",
    "websockets_server",
]

# In the server's order of preference.
SUBPROTOCOLS = ("chat.v2", "chat.v1")
# The servers accept messages up to this size (the tests send 1 MiB).
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


@dataclass
class WebSocketServer:
    """A server process a fixture started.

    Attributes:
        url: ``ws://127.0.0.1:PORT`` or ``wss://127.0.0.1:PORT`` (no path).
        port: its port.
        ca_bundle: the PEM file of the CA that signed its certificate (TLS only).
        process: the process, stopped at the end of the session.
    """

    url: str
    port: int
    ca_bundle: str | None
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop the process this object holds (SIGTERM, then SIGKILL)."""
        stop_process(self.process)


def _choose(offered: list[str]) -> str | None:
    for name in SUBPROTOCOLS:
        if name in offered:
            return name
    return None


def _close_args(query: str) -> tuple[int, str]:
    params = parse_qs(query)
    code = int(params.get("code", ["1000"])[0])
    return code, params.get("reason", [""])[0]


# -- the ASGI app (hypercorn) ---------------------------------------------------


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The endpoints of the module docstring as an ASGI app."""
    if scope["type"] == "lifespan":
        while True:
            kind = (await receive())["type"]
            if kind == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif kind == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "websocket":
        body = b"WebSocket endpoints only"
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 404, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    assert (await receive())["type"] == "websocket.connect"
    path = scope["path"]
    subprotocol = _choose(scope["subprotocols"]) if path == "/subprotocol" else None
    await send({"type": "websocket.accept", "subprotocol": subprotocol})
    if path == "/close":
        code, reason = _close_args(scope["query_string"].decode())
        await send({"type": "websocket.close", "code": code, "reason": reason})
        return
    if path == "/subprotocol":
        await send({"type": "websocket.send", "text": subprotocol or ""})
    elif path == "/info":
        info = {
            "http_version": scope["http_version"],
            "path": path,
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
        }
        await send({"type": "websocket.send", "text": json.dumps(info)})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message.get("bytes") or b""})


# -- the websockets package's server --------------------------------------------


async def _serve_websockets(port: int, compression: bool) -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def handler(connection: ServerConnection) -> None:
        path, _, query = connection.request.path.partition("?")
        if path == "/close":
            code, reason = _close_args(query)
            await connection.close(code, reason)
            return
        if path == "/subprotocol":
            await connection.send(connection.subprotocol or "")
        elif path == "/info":
            headers = [[k.lower(), v] for k, v in connection.request.headers.raw_items()]
            info = {"http_version": "1.1", "path": path, "headers": headers}
            await connection.send(json.dumps(info))
        async for message in connection:
            await connection.send(message)

    def select(connection: ServerConnection, offered: Any) -> Any:
        return _choose(list(offered))

    async with serve(
        handler,
        "127.0.0.1",
        port,
        select_subprotocol=select,
        compression="deflate" if compression else None,
        max_size=MAX_MESSAGE_BYTES,
        ping_interval=None,
    ) as server:
        await server.serve_forever()


# -- fixtures -------------------------------------------------------------------


def start_websockets_server(log: Path, *, compression: bool = True) -> WebSocketServer:
    """Start the ``websockets`` server in a process of its own; see the module docstring.

    Raises:
        RuntimeError: it exited or did not listen in time.
    """
    port = free_port()
    command = [sys.executable, str(Path(__file__).resolve()), "websockets", "--port", str(port)]
    if not compression:
        command.append("--no-compression")
    process = start_process(command, port, log, cwd=TESTS)
    return WebSocketServer(f"ws://127.0.0.1:{port}", port, None, process)


def start_hypercorn(tmp: Path, ca: trustme.CA, *, tls: bool) -> WebSocketServer:
    """Start hypercorn serving :func:`app` in a process of its own.

    Args:
        tmp: a directory for the certificate files and the log.
        ca: signs the server certificate (with ``tls``).
        tls: serve TLS with ALPN ``h2`` and ``http/1.1``, else plain HTTP/1.1.

    Raises:
        RuntimeError: it exited or did not listen in time.
    """
    port = free_port()
    command = [sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}", "ws_servers:app"]
    bundle = None
    if tls:
        cert, key, bundle = write_tls_files(tmp, ca)
        command += ["--certfile", str(cert), "--keyfile", str(key)]
    return WebSocketServer(
        f"{'wss' if tls else 'ws'}://127.0.0.1:{port}",
        port,
        bundle,
        start_process(command, port, tmp / "hypercorn.log", cwd=TESTS),
    )


def _hypercorn(tmp: Path, ca: trustme.CA, tls: bool) -> Iterator[WebSocketServer]:
    try:
        import hypercorn  # noqa: F401
    except ImportError:
        missing("hypercorn")
    server = start_hypercorn(tmp, ca, tls=tls)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def hypercorn_ws(
    tmp_path_factory: pytest.TempPathFactory, ca: trustme.CA
) -> Iterator[WebSocketServer]:
    """hypercorn serving :func:`app` over plain HTTP/1.1."""
    yield from _hypercorn(tmp_path_factory.mktemp("hypercorn-ws"), ca, tls=False)


@pytest.fixture(scope="session")
def hypercorn_wss(
    tmp_path_factory: pytest.TempPathFactory, ca: trustme.CA
) -> Iterator[WebSocketServer]:
    """hypercorn serving :func:`app` over TLS, HTTP/1.1 or HTTP/2 by ALPN."""
    yield from _hypercorn(tmp_path_factory.mktemp("hypercorn-wss"), ca, tls=True)


@pytest.fixture(scope="session")
def websockets_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebSocketServer]:
    """The ``websockets`` package's server, plain HTTP/1.1, deflate offered."""
    try:
        import websockets

        if int(websockets.__version__.split(".")[0]) < 13:
            missing("websockets>=13")
    except ImportError:
        missing("websockets")
    server = start_websockets_server(tmp_path_factory.mktemp("websockets") / "server.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def nginx_ws(
    tmp_path_factory: pytest.TempPathFactory,
    ca: trustme.CA,
    websockets_server: WebSocketServer,
) -> Iterator[Nginx]:
    """nginx proxying ``/ws/`` to ``websockets_server``."""
    _require_nginx()
    upstream = f"127.0.0.1:{websockets_server.port}"
    server = start_nginx(tmp_path_factory.mktemp("nginx-ws"), ca, ws_upstream=upstream)
    try:
        yield server
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the test WebSocket endpoints.")
    parser.add_argument("server", choices=["websockets"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-compression", action="store_true")
    args = parser.parse_args()
    import asyncio

    try:
        asyncio.run(_serve_websockets(args.port, not args.no_compression))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
