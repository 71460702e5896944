"""``python -m trio_http demo``: a client and a tiny server in one nursery.

How this works: :func:`run_demo` opens a nursery, starts a small HTTP/1.1
server on 127.0.0.1 (an ephemeral port; h11 on Trio streams, optionally
behind TLS with a throwaway trustme certificate), then uses
:class:`trio_http.AsyncClient` to fetch a JSON document and a streamed body
from it and prints what came back. Leaving the nursery stops the server, so
the demo needs no network and leaves nothing running.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import time
from typing import TextIO

import h11
import trio

from ._client import AsyncClient
from ._response import Response

__all__ = ["main", "run_demo"]

SERVER_NAME = "trio_http-demo"
STREAM_CHUNKS = 5
STREAM_PAUSE = 0.05  # seconds between streamed chunks, so streaming is visible
READ_SIZE = 64 * 1024
SHOWN_HEADERS = ("content-type", "content-length", "transfer-encoding", "server")


async def _next_event(conn: h11.Connection, stream: trio.abc.Stream) -> object:
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        conn.receive_data(bytes(await stream.receive_some(READ_SIZE)))


async def _respond(conn: h11.Connection, stream: trio.abc.Stream, request: h11.Request) -> None:
    common = [("Server", SERVER_NAME)]
    if request.target == b"/json":
        body = json.dumps(
            {
                "message": "hello from the trio_http demo server",
                "method": request.method.decode(),
                "path": request.target.decode(),
            }
        ).encode()
        headers = [
            *common,
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
        ]
        await stream.send_all(
            conn.send(h11.Response(status_code=200, headers=headers, reason=b"OK"))
        )
        await stream.send_all(conn.send(h11.Data(data=body)))
    elif request.target == b"/stream":
        # No Content-Length: h11 frames the body with chunked encoding.
        headers = [*common, ("Content-Type", "text/plain")]
        await stream.send_all(
            conn.send(h11.Response(status_code=200, headers=headers, reason=b"OK"))
        )
        for index in range(1, STREAM_CHUNKS + 1):
            await trio.sleep(STREAM_PAUSE)
            chunk = f"chunk {index} of {STREAM_CHUNKS}\n".encode()
            await stream.send_all(conn.send(h11.Data(data=chunk)))
    else:
        body = b"not found\n"
        headers = [*common, ("Content-Length", str(len(body)))]
        await stream.send_all(
            conn.send(h11.Response(status_code=404, headers=headers, reason=b"Not Found"))
        )
        await stream.send_all(conn.send(h11.Data(data=body)))
    await stream.send_all(conn.send(h11.EndOfMessage()))


async def _serve_connection(stream: trio.abc.Stream) -> None:
    conn = h11.Connection(h11.SERVER)
    try:
        while True:
            request = await _next_event(conn, stream)
            if not isinstance(request, h11.Request):
                return
            # The demo's requests have no body; skip to the end of each.
            event: object = request
            while not isinstance(event, h11.EndOfMessage):
                event = await _next_event(conn, stream)
                if isinstance(event, h11.ConnectionClosed):
                    return
            await _respond(conn, stream, request)
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()
    except (trio.BrokenResourceError, trio.ClosedResourceError, h11.ProtocolError):
        # A client that hangs up or talks nonsense only ends its connection.
        pass
    finally:
        await trio.aclose_forcefully(stream)


def _make_tls_contexts() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a throwaway certificate and a client trusting it."""
    import trustme  # lazily: only the --https demo needs it (dev extra)

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    server_context.set_alpn_protocols(["http/1.1"])
    client_context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(client_context)
    return server_context, client_context


def _print_response(out: TextIO, response: Response, body: str, elapsed: float) -> None:
    print(f"{response.http_version} {response.status_code} {response.reason_phrase}", file=out)
    for name in SHOWN_HEADERS:
        value = response.headers.get(name)
        if value is not None:
            print(f"{name}: {value}", file=out)
    print(file=out)
    print(body.rstrip("\n"), file=out)
    print(f"-- elapsed: {elapsed * 1000:.1f} ms", file=out)
    print(file=out)


async def run_demo(*, https: bool = False, out: TextIO | None = None) -> None:
    """Serve on 127.0.0.1, fetch ``/json`` and ``/stream``, print, shut down.

    Args:
        https: serve TLS with a throwaway trustme certificate and verify it.
        out: where to print (default: ``sys.stdout``).

    Raises:
        ImportError: ``https`` was asked for but trustme is not installed.
        trio_http.RequestException: a request failed.
    """
    if out is None:
        out = sys.stdout
    server_context: ssl.SSLContext | None = None
    verify: bool | ssl.SSLContext = True
    if https:
        server_context, verify = _make_tls_contexts()
    tcp_listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = tcp_listeners[0].socket.getsockname()[1]
    listeners: list[trio.abc.Listener[trio.abc.Stream]] = list(tcp_listeners)
    if server_context is not None:
        listeners = [
            trio.SSLListener(listener, server_context, https_compatible=True)
            for listener in tcp_listeners
        ]
    base_url = f"{'https' if https else 'http'}://127.0.0.1:{port}"
    print(f"demo server listening on {base_url}\n", file=out)

    async with trio.open_nursery() as nursery:
        await nursery.start(trio.serve_listeners, _serve_connection, listeners)
        async with AsyncClient(base_url=base_url, verify=verify, timeout=10.0) as client:
            print(f"GET {base_url}/json", file=out)
            started = time.perf_counter()
            response = await client.get("/json")
            pretty = json.dumps(response.json(), indent=2)
            _print_response(out, response, pretty, time.perf_counter() - started)

            print(f"GET {base_url}/stream (streamed)", file=out)
            started = time.perf_counter()
            chunks: list[str] = []
            async with client.stream("GET", "/stream") as streamed:
                async for chunk in streamed.aiter_bytes():
                    chunks.append(f"[{len(chunk)} bytes] {chunk.decode().rstrip()}")
            _print_response(out, streamed, "\n".join(chunks), time.perf_counter() - started)
        nursery.cancel_scope.cancel()
    print("demo server stopped", file=out)


def main(argv: list[str]) -> int:
    """Entry point of ``python -m trio_http demo [--https]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m trio_http demo",
        description="Start an embedded local server and fetch from it with trio_http.",
    )
    parser.add_argument(
        "--https", action="store_true", help="serve and verify TLS with a throwaway certificate"
    )
    args = parser.parse_args(argv)
    if args.https:
        try:
            import trustme  # noqa: F401
        except ImportError:
            print(
                "the --https demo needs trustme: install the dev extra "
                "(pip install -e '.[dev]') or pip install trustme",
                file=sys.stderr,
            )
            return 1
    trio.run(lambda: run_demo(https=args.https))
    return 0
