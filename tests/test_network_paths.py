"""Network paths other than plain IPv4 TCP: Unix sockets, local_address, IPv6."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import h11
import pytest
import trio

import trio_http


def _ipv6_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


async def _serve_one_h11(stream: trio.abc.Stream, seen: list[h11.Request]) -> None:
    """Answer one request with 200 and the peer's view of the request target."""
    conn = h11.Connection(h11.SERVER)
    async with stream:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await stream.receive_some(65536))
                continue
            if isinstance(event, h11.Request):
                seen.append(event)
            if isinstance(event, h11.EndOfMessage):
                break
        body = seen[-1].target
        await stream.send_all(
            conn.send(h11.Response(status_code=200, headers=[("Content-Length", str(len(body)))]))
            + conn.send(h11.Data(data=body))
            + conn.send(h11.EndOfMessage())
        )


async def test_uds_sends_requests_over_a_unix_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "server.sock")
    seen: list[h11.Request] = []
    listener_socket = trio.socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    await listener_socket.bind(path)
    listener_socket.listen()
    listener = trio.SocketListener(listener_socket)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, lambda s: _serve_one_h11(s, seen), [listener])
        async with trio_http.AsyncClient(uds=path) as client:
            response = await client.get("http://unix.local/path?q=1")
        nursery.cancel_scope.cancel()
    assert response.content == b"/path?q=1"
    assert dict(seen[0].headers)[b"host"] == b"unix.local"


@pytest.fixture
async def ipv6_server() -> AsyncIterator[tuple[int, list[h11.Request]]]:
    if not _ipv6_available():
        pytest.skip("no IPv6 loopback on this machine")
    seen: list[h11.Request] = []
    listeners = await trio.open_tcp_listeners(0, host="::1")
    port = listeners[0].socket.getsockname()[1]
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, lambda s: _serve_one_h11(s, seen), listeners)
        yield port, seen
        nursery.cancel_scope.cancel()


async def test_ipv6_literal_host_is_connected_and_bracketed_in_host_header(
    ipv6_server: tuple[int, list[h11.Request]],
) -> None:
    port, seen = ipv6_server
    async with trio_http.AsyncClient() as client:
        response = await client.get(f"http://[::1]:{port}/v6")
    assert response.status_code == 200
    assert response.content == b"/v6"
    assert dict(seen[0].headers)[b"host"] == f"[::1]:{port}".encode()


async def test_local_address_binds_the_outgoing_connection() -> None:
    peers: list[str] = []

    async def record_peer(stream: trio.SocketStream) -> None:
        peers.append(stream.socket.getpeername()[0])
        await _serve_one_h11(stream, [])

    listeners = await trio.open_tcp_listeners(0, host="0.0.0.0")
    port = listeners[0].socket.getsockname()[1]
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, record_peer, listeners)
        async with trio_http.AsyncClient(local_address="127.0.0.2") as client:
            response = await client.get(f"http://127.0.0.1:{port}/")
        nursery.cancel_scope.cancel()
    assert response.status_code == 200
    assert peers == ["127.0.0.2"]
