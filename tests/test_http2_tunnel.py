"""Extended CONNECT tunnels (RFC 8441) on an HTTP/2 connection, against the in-process h2 server.

Each test drives one :class:`HTTP2Connection` over a real loopback socket;
the server (``tests/h2server.py``) advertises ``SETTINGS_ENABLE_CONNECT_PROTOCOL``
when asked and runs a scripted handler per tunnel. Tests that break or cancel
a tunnel end by proving the connection still serves requests and that the
stream slot came back (``max_concurrent_streams=1`` on the server).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import h2.errors
import pytest
import trio
import trio.testing
from h2server import H2Exchange, H2Server, open_h2_server
from ws_servers import WebSocketServer, hypercorn_wss  # noqa: F401 - a fixture

from trio_http import Request, Timeouts
from trio_http._deadlines import Deadlines
from trio_http._exceptions import (
    LocalProtocolError,
    PoolTimeout,
    ReadError,
    ReadTimeout,
    StreamReset,
    WriteError,
)
from trio_http._transports._http2 import HTTP2Connection
from trio_http._transports._http2_state import HTTP2Settings, RetryableStreamError
from trio_http._transports._http2_tunnel import H2Tunnel, tunnel_headers

_CANCEL = int(h2.errors.ErrorCodes.CANCEL)
_KEY = "dGhlIHNhbXBsZSBub25jZQ=="


@pytest.fixture
async def server() -> AsyncIterator[H2Server]:
    async with open_h2_server() as running:
        running.enable_connect_protocol = True
        yield running


@asynccontextmanager
async def connect(server: H2Server, **settings: Any) -> AsyncIterator[HTTP2Connection]:
    """A running client connection to ``server`` (h2c, prior knowledge)."""
    port = int(server.url.rsplit(":", 1)[1])
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    conn = HTTP2Connection(
        stream,
        ("http", "127.0.0.1", port),
        settings=HTTP2Settings(**settings),
        keepalive_expiry=None,
        on_draining=lambda _: None,
        on_closed=lambda _: None,
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(conn.run)
        try:
            yield conn
        finally:
            conn.close_nowait()


def deadlines(**timeouts: Any) -> Deadlines:
    return Deadlines.start(Timeouts(**{"timeout": 5.0, **timeouts}), trio.current_time())


def handshake(server: H2Server, path: str = "/tunnel-echo", **headers: str) -> Request:
    """The HTTP/1.1-form WebSocket handshake the client builds."""
    return Request(
        "GET",
        server.url + path,
        headers={
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": _KEY,
            "Sec-WebSocket-Version": "13",
            **headers,
        },
        extensions={"upgrade": "websocket"},
    )


async def open_ok(conn: HTTP2Connection, request: Request) -> H2Tunnel:
    response, tunnel = await conn.open_tunnel(request, "websocket", deadlines())
    assert response.status_code == 200
    assert tunnel is not None
    return tunnel


async def get_ok(conn: HTTP2Connection, server: H2Server) -> None:
    """An ordinary request on ``conn`` works (waiting for a slot if need be)."""
    if not conn.try_reserve():
        assert await conn.wait_for_slot(trio.current_time() + 5) is True
    response = await conn.handle_request(Request("GET", server.url + "/ok"), deadlines())
    assert response.status_code == 200
    assert await response.aread() == b"ok /ok"


async def receive_exactly(tunnel: H2Tunnel, size: int) -> bytes:
    received = b""
    while len(received) < size:
        data = await tunnel.receive_some()
        assert data, f"the tunnel ended after {len(received)} of {size} bytes"
        received += data
    return received


async def until(predicate: Callable[[], bool]) -> None:
    with trio.fail_after(5):
        while not predicate():
            await trio.sleep(0.001)


# -- the server's setting ------------------------------------------------------


async def test_allows_extended_connect_when_the_server_sends_the_setting(
    server: H2Server,
) -> None:
    async with connect(server) as conn:
        assert await conn.allows_extended_connect() is True


async def test_refuses_extended_connect_without_the_setting(server: H2Server) -> None:
    server.enable_connect_protocol = False
    async with connect(server) as conn:
        assert await conn.allows_extended_connect() is False
        await get_ok(conn, server)


async def test_allows_extended_connect_is_false_once_the_connection_is_closed(
    server: H2Server,
) -> None:
    async with connect(server) as conn:
        assert await conn.allows_extended_connect() is True
        conn.close_nowait()
        with trio.testing.assert_checkpoints():
            assert await conn.allows_extended_connect() is False


async def test_allows_extended_connect_waits_for_the_first_settings() -> None:
    # A server that accepted the socket but has not sent its SETTINGS yet.
    send_settings = trio.Event()
    sent_settings = trio.Event()

    async def handle(stream: trio.SocketStream) -> None:
        import h2.config
        import h2.connection
        import h2.settings

        server = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        server.local_settings = h2.settings.Settings(
            client=False, initial_values={h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL: 1}
        )
        await send_settings.wait()
        server.initiate_connection()
        await stream.send_all(server.data_to_send())
        sent_settings.set()
        await trio.sleep_forever()

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(trio.serve_tcp, handle, 0)
        port = listeners[0].socket.getsockname()[1]
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        conn = HTTP2Connection(
            stream,
            ("http", "127.0.0.1", port),
            settings=HTTP2Settings(),
            keepalive_expiry=None,
            on_draining=lambda _: None,
            on_closed=lambda _: None,
        )
        await nursery.start(conn.run)
        answers: list[bool] = []

        async def ask() -> None:
            answers.append(await conn.allows_extended_connect())

        nursery.start_soon(ask)
        await trio.testing.wait_all_tasks_blocked()
        assert answers == []
        send_settings.set()
        await until(lambda: answers == [True])
        conn.close_nowait()
        nursery.cancel_scope.cancel()


# -- the CONNECT head ----------------------------------------------------------


def test_tunnel_headers_follow_rfc_8441() -> None:
    request = Request(
        "GET",
        "wss://example.org:8443/chat?room=1",
        headers={
            "Host": "example.org:8443",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": _KEY,
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Protocol": "chat",
            "Content-Length": "0",
            "X-Token": "abc",
        },
    )
    assert tunnel_headers(request, "websocket") == [
        (b":method", b"CONNECT"),
        (b":protocol", b"websocket"),
        (b":scheme", b"https"),
        (b":authority", b"example.org:8443"),
        (b":path", b"/chat?room=1"),
        (b"sec-websocket-version", b"13"),
        (b"sec-websocket-protocol", b"chat"),
        (b"x-token", b"abc"),
    ]


def test_a_bytes_host_header_becomes_the_tunnel_authority() -> None:
    request = Request("GET", "ws://127.0.0.1:8080/chat", headers={"Host": b"chat.example"})
    assert tunnel_headers(request, "websocket")[3] == (b":authority", b"chat.example")


@pytest.mark.parametrize("protocol", ["", "web socket", "wébsocket", "a:b"])
def test_tunnel_headers_refuse_a_protocol_that_is_not_a_token(protocol: str) -> None:
    with pytest.raises(LocalProtocolError):
        tunnel_headers(Request("GET", "http://example.org/"), protocol)


async def test_the_server_sees_an_extended_connect(server: H2Server) -> None:
    async with connect(server) as conn:
        request = handshake(server, "/tunnel-echo?room=1", **{"Sec-WebSocket-Protocol": "chat"})
        tunnel = await open_ok(conn, request)
        await tunnel.aclose()
    exchange = server.requests[0]
    assert exchange.header(":method") == "CONNECT"
    assert exchange.header(":protocol") == "websocket"
    assert exchange.header(":scheme") == "http"
    assert exchange.header(":path") == "/tunnel-echo?room=1"
    assert exchange.header(":authority") == server.url.removeprefix("http://")
    assert exchange.header("sec-websocket-version") == "13"
    assert exchange.header("sec-websocket-protocol") == "chat"
    for absent in ("sec-websocket-key", "upgrade", "connection", "host"):
        assert exchange.header(absent) is None
    assert server.protocol_errors == []


# -- bytes both ways -----------------------------------------------------------


async def test_a_tunnel_echoes_bytes_both_ways(server: H2Server) -> None:
    async with connect(server) as conn:
        response, tunnel = await conn.open_tunnel(handshake(server), "websocket", deadlines())
        assert tunnel is not None
        assert response.status_code == 200
        assert response.http_version == "HTTP/2"
        assert response.content == b""
        assert response.extensions["http2_stream_id"] == tunnel.stream_id
        for message in (b"hello", bytearray(b"over"), memoryview(b"h2")):
            await tunnel.send_all(message)
            assert await receive_exactly(tunnel, len(message)) == bytes(message)
        await tunnel.send_eof()
        assert await tunnel.receive_some() == b""
        assert await tunnel.receive_some() == b""  # and it stays ended
        await tunnel.aclose()
        assert conn.slots.active == 0
    assert server.resets == []  # a clean close: END_STREAM both ways


async def test_receive_some_returns_at_most_max_bytes(server: H2Server) -> None:
    async with connect(server) as conn:
        tunnel = await open_ok(conn, handshake(server))
        await tunnel.send_all(b"abcdefgh")
        parts = [await tunnel.receive_some(3) for _ in range(2)]
        parts.append(await receive_exactly(tunnel, 8 - len(b"".join(parts))))
        assert all(0 < len(part) <= 3 for part in parts[:2])
        assert b"".join(parts) == b"abcdefgh"
        with pytest.raises(ValueError):
            await tunnel.receive_some(0)
        await tunnel.aclose()


async def test_large_transfers_both_ways_follow_flow_control(server: H2Server) -> None:
    # Both windows start at 65,535 bytes: the upload waits for the server's
    # WINDOW_UPDATEs, the download for ours, handed back as we read.
    payload = bytes(range(256)) * 4096  # 1 MiB
    async with connect(server, stream_window=65_535, connection_window=65_535) as conn:
        tunnel = await open_ok(conn, handshake(server))
        received = bytearray()

        async def read_all() -> None:
            while data := await tunnel.receive_some():
                received.extend(data)

        with trio.fail_after(20):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(read_all)
                for offset in range(0, len(payload), 100_000):
                    await tunnel.send_all(payload[offset : offset + 100_000])
                await tunnel.send_eof()
        assert bytes(received) == payload
        await tunnel.aclose()
        await get_ok(conn, server)


async def test_an_unread_tunnel_buffers_at_most_its_window(server: H2Server) -> None:
    sent = trio.Event()

    @server.route("/flood")
    async def flood(exchange: H2Exchange) -> None:
        await exchange.respond(200)
        await exchange.send(b"x" * 300_000, end=True)
        sent.set()

    async with connect(server, stream_window=65_535) as conn:
        tunnel = await open_ok(conn, handshake(server, "/flood"))
        server_conn = server.connections[0]
        stream_id = tunnel.stream_id
        # The server runs out of window once our 65,535 bytes are buffered.
        await until(lambda: server_conn.h2.local_flow_control_window(stream_id) == 0)
        await trio.testing.wait_all_tasks_blocked()
        assert not sent.is_set()
        assert conn._streams[stream_id].body.buffered <= 65_535
        assert len(await receive_exactly(tunnel, 300_000)) == 300_000
        assert await tunnel.receive_some() == b""
        assert sent.is_set()
        await tunnel.aclose()


# -- sharing the connection ----------------------------------------------------


async def test_ordinary_requests_share_the_connection_with_an_open_tunnel(
    server: H2Server,
) -> None:
    async with connect(server) as conn:
        tunnel = await open_ok(conn, handshake(server))
        await tunnel.send_all(b"ping")
        for _ in range(3):
            await get_ok(conn, server)
        assert await receive_exactly(tunnel, 4) == b"ping"
        assert conn.slots.active == 1
        await tunnel.aclose()
        await get_ok(conn, server)
        assert conn.slots.active == 0
    assert server.connections_opened == 1


async def test_a_tunnel_waits_for_a_stream_slot(server: H2Server) -> None:
    server.max_concurrent_streams = 1
    async with connect(server) as conn:
        assert await conn.allows_extended_connect()
        first = await open_ok(conn, handshake(server))
        opened: list[H2Tunnel] = []

        async def open_second() -> None:
            opened.append(await open_ok(conn, handshake(server)))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(open_second)
            await trio.testing.wait_all_tasks_blocked()
            assert opened == []
            assert len(server.requests) == 1
            await first.aclose()
        await opened[0].send_all(b"two")
        assert await receive_exactly(opened[0], 3) == b"two"
        await opened[0].aclose()
        await get_ok(conn, server)


async def test_no_stream_slot_within_the_pool_timeout_raises_pool_timeout(
    server: H2Server,
) -> None:
    server.max_concurrent_streams = 1
    async with connect(server) as conn:
        assert await conn.allows_extended_connect()
        first = await open_ok(conn, handshake(server))
        with pytest.raises(PoolTimeout):
            await conn.open_tunnel(handshake(server), "websocket", deadlines(pool=0.05))
        await first.aclose()
        await get_ok(conn, server)


async def test_a_slot_reserved_by_the_caller_is_used(server: H2Server) -> None:
    server.max_concurrent_streams = 1
    async with connect(server) as conn:
        assert await conn.allows_extended_connect()
        assert conn.try_reserve()
        _, tunnel = await conn.open_tunnel(
            handshake(server), "websocket", deadlines(), slot_reserved=True
        )
        assert tunnel is not None
        assert conn.slots.active == 1
        await tunnel.aclose()
        assert conn.slots.active == 0
        await get_ok(conn, server)


# -- refusals and failures -----------------------------------------------------


async def test_a_refused_connect_returns_the_response_and_no_tunnel(server: H2Server) -> None:
    @server.route("/refuse")
    async def refuse(exchange: H2Exchange) -> None:
        await exchange.respond(400, [("content-type", "text/plain")])
        await exchange.send(b"no websockets here", end=True)

    server.max_concurrent_streams = 1
    async with connect(server) as conn:
        response, tunnel = await conn.open_tunnel(
            handshake(server, "/refuse"), "websocket", deadlines()
        )
        assert tunnel is None
        assert response.status_code == 400
        assert response.http_version == "HTTP/2"
        assert await response.aread() == b"no websockets here"
        assert conn.slots.active == 0
        await get_ok(conn, server)


async def test_a_refused_connect_whose_body_is_not_read_frees_the_slot_on_close(
    server: H2Server,
) -> None:
    @server.route("/refuse")
    async def refuse(exchange: H2Exchange) -> None:
        await exchange.respond(403)
        await exchange.send(b"x" * 100_000, end=True)

    server.max_concurrent_streams = 1
    async with connect(server) as conn:
        response, tunnel = await conn.open_tunnel(
            handshake(server, "/refuse"), "websocket", deadlines()
        )
        assert tunnel is None
        await response.aclose()
        assert conn.slots.active == 0
        await get_ok(conn, server)


async def test_a_peer_reset_fails_receive_and_send_with_connection_errors(
    server: H2Server,
) -> None:
    @server.route("/reset")
    async def reset(exchange: H2Exchange) -> None:
        await exchange.respond(200)
        await exchange.receive()
        await exchange.reset(int(h2.errors.ErrorCodes.INTERNAL_ERROR))

    server.max_concurrent_streams = 1
    async with connect(server) as conn:
        tunnel = await open_ok(conn, handshake(server, "/reset"))
        await tunnel.send_all(b"go")
        with pytest.raises(ReadError, match="INTERNAL_ERROR") as caught:
            await tunnel.receive_some()
        assert isinstance(caught.value.__cause__, StreamReset)
        with pytest.raises(WriteError):
            await tunnel.send_all(b"more")
        await tunnel.aclose()
        await tunnel.aclose()  # idempotent
        assert conn.slots.active == 0
        await get_ok(conn, server)


async def test_a_reset_before_the_answer_raises_stream_reset(server: H2Server) -> None:
    @server.route("/reset-early")
    async def reset_early(exchange: H2Exchange) -> None:
        await exchange.reset(int(h2.errors.ErrorCodes.CONNECT_ERROR))

    server.max_concurrent_streams = 1
    async with connect(server) as conn:
        with pytest.raises(StreamReset, match="CONNECT_ERROR"):
            await conn.open_tunnel(handshake(server, "/reset-early"), "websocket", deadlines())
        assert conn.slots.active == 0
        await get_ok(conn, server)


async def test_the_peer_ending_its_side_reads_as_end_of_stream(server: H2Server) -> None:
    got: list[bytes] = []

    @server.route("/bye")
    async def bye(exchange: H2Exchange) -> None:
        await exchange.respond(200)
        await exchange.send(b"bye", end=True)
        got.append(await exchange.receive())

    async with connect(server) as conn:
        tunnel = await open_ok(conn, handshake(server, "/bye"))
        assert await receive_exactly(tunnel, 3) == b"bye"
        assert await tunnel.receive_some() == b""
        # Half-closed: our side still sends.
        await tunnel.send_all(b"last words")
        await until(lambda: got == [b"last words"])
        await tunnel.aclose()
        await get_ok(conn, server)
    assert server.resets == []  # ended with END_STREAM, not reset


async def test_closing_an_open_tunnel_resets_it(server: H2Server) -> None:
    async with connect(server) as conn:
        tunnel = await open_ok(conn, handshake(server))
        with trio.testing.assert_checkpoints():
            await tunnel.aclose()
        with pytest.raises(trio.ClosedResourceError):
            await tunnel.send_all(b"x")
        with pytest.raises(trio.ClosedResourceError):
            await tunnel.receive_some()
        await until(lambda: len(server.resets) == 1)
        assert server.resets[0][1] == _CANCEL
        assert conn.slots.active == 0


async def test_send_after_send_eof_is_refused(server: H2Server) -> None:
    async with connect(server) as conn:
        tunnel = await open_ok(conn, handshake(server))
        await tunnel.send_eof()
        await tunnel.send_eof()  # idempotent
        with pytest.raises(trio.ClosedResourceError):
            await tunnel.send_all(b"x")
        assert await tunnel.receive_some() == b""
        await tunnel.aclose()


async def test_a_lost_connection_fails_the_tunnel_with_read_error(server: H2Server) -> None:
    async with connect(server) as conn:
        tunnel = await open_ok(conn, handshake(server))
        await trio.aclose_forcefully(server.connections[0].stream)
        with pytest.raises(ReadError):
            await tunnel.receive_some()
        with pytest.raises(WriteError):
            await tunnel.send_all(b"x")
        await tunnel.aclose()
        assert await conn.allows_extended_connect() is False


async def test_no_answer_within_the_read_timeout_raises_read_timeout(server: H2Server) -> None:
    @server.route("/silent")
    async def silent(exchange: H2Exchange) -> None:
        await exchange.reset_event.wait()

    server.max_concurrent_streams = 1
    async with connect(server) as conn:
        with pytest.raises(ReadTimeout):
            await conn.open_tunnel(handshake(server, "/silent"), "websocket", deadlines(read=0.05))
        await until(lambda: len(server.resets) == 1)
        assert conn.slots.active == 0
        await get_ok(conn, server)


# -- cancellation --------------------------------------------------------------


async def test_cancelling_the_head_wait_resets_the_stream_and_frees_the_slot(
    server: H2Server,
) -> None:
    @server.route("/silent")
    async def silent(exchange: H2Exchange) -> None:
        await exchange.reset_event.wait()

    server.max_concurrent_streams = 1
    async with connect(server) as conn:
        with trio.CancelScope() as scope:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(
                    conn.open_tunnel, handshake(server, "/silent"), "websocket", deadlines()
                )
                await until(lambda: len(server.requests) == 1)
                scope.cancel()
        await until(lambda: server.resets == [(1, _CANCEL)])
        assert conn.slots.active == 0
        await get_ok(conn, server)


async def test_cancelling_a_blocked_send_resets_the_stream_and_frees_the_slot(
    server: H2Server,
) -> None:
    @server.route("/sink")
    async def sink(exchange: H2Exchange) -> None:
        await exchange.respond(200)
        await exchange.reset_event.wait()

    # The server never hands window back: the send blocks at 65,535 bytes.
    server.grant_upload_window = False
    server.max_concurrent_streams = 1
    async with connect(server) as conn:
        tunnel = await open_ok(conn, handshake(server, "/sink"))
        with trio.move_on_after(0.05) as scope:
            await tunnel.send_all(b"x" * 200_000)
        assert scope.cancelled_caught
        await until(lambda: len(server.resets) == 1)
        assert server.resets[0][1] == _CANCEL
        assert conn.slots.active == 0
        with pytest.raises(WriteError):
            await tunnel.send_all(b"x")
        with pytest.raises(ReadError):
            await tunnel.receive_some()
        await tunnel.aclose()
        await get_ok(conn, server)


async def test_cancelling_a_blocked_receive_resets_the_stream_and_frees_the_slot(
    server: H2Server,
) -> None:
    server.max_concurrent_streams = 1
    async with connect(server) as conn:
        tunnel = await open_ok(conn, handshake(server))
        with trio.move_on_after(0.05) as scope:
            await tunnel.receive_some()
        assert scope.cancelled_caught
        await until(lambda: len(server.resets) == 1)
        assert conn.slots.active == 0
        with pytest.raises(ReadError):
            await tunnel.receive_some()
        await tunnel.aclose()
        await get_ok(conn, server)


async def test_a_receiving_task_and_a_sending_task_share_a_tunnel(server: H2Server) -> None:
    # One task blocked in receive_some while another sends: each is woken
    # for what concerns it.
    async with connect(server, stream_window=65_535) as conn:
        tunnel = await open_ok(conn, handshake(server))
        received = bytearray()

        async def reader() -> None:
            while data := await tunnel.receive_some():
                received.extend(data)

        with trio.fail_after(10):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(reader)
                await trio.testing.wait_all_tasks_blocked()
                for _ in range(20):
                    await tunnel.send_all(b"y" * 10_000)
                await tunnel.send_eof()
        assert bytes(received) == b"y" * 200_000
        await tunnel.aclose()


# -- GOAWAY --------------------------------------------------------------------


async def test_an_open_tunnel_outlives_a_graceful_goaway(server: H2Server) -> None:
    @server.route("/drain")
    async def drain(exchange: H2Exchange) -> None:
        await exchange.respond(200)
        first = await exchange.receive()
        await exchange.goaway(last_stream_id=exchange.stream_id)
        await exchange.send(first)
        while data := await exchange.receive():
            await exchange.send(data)
        await exchange.end()

    async with connect(server) as conn:
        tunnel = await open_ok(conn, handshake(server, "/drain"))
        await tunnel.send_all(b"one")
        assert await receive_exactly(tunnel, 3) == b"one"
        # Draining: no new tunnel, no new request, but the open one goes on.
        assert await conn.allows_extended_connect() is False
        assert not conn.is_available
        with pytest.raises(RetryableStreamError):
            await conn.open_tunnel(handshake(server), "websocket", deadlines())
        await tunnel.send_all(b"two")
        assert await receive_exactly(tunnel, 3) == b"two"
        await tunnel.send_eof()
        assert await tunnel.receive_some() == b""
        await tunnel.aclose()
        # The last stream ended: the draining connection closes.
        assert conn.closed
    assert len(server.requests) == 1


# -- checkpoints ---------------------------------------------------------------


async def test_every_tunnel_call_is_a_checkpoint_on_fast_and_failing_paths(
    server: H2Server,
) -> None:
    async with connect(server) as conn:
        with trio.testing.assert_checkpoints():
            assert await conn.allows_extended_connect()
        with trio.testing.assert_checkpoints():
            tunnel = await open_ok(conn, handshake(server))
        with trio.testing.assert_checkpoints():
            await tunnel.send_all(b"abc")  # the window is open: no wait
        await until(lambda: bool(conn._streams[tunnel.stream_id].body.buffered))
        with trio.testing.assert_checkpoints():
            assert await tunnel.receive_some() == b"abc"  # buffered: no wait
        with trio.testing.assert_checkpoints(), pytest.raises(ValueError):
            await tunnel.receive_some(-1)
        with trio.testing.assert_checkpoints():
            await tunnel.send_eof()
        with trio.testing.assert_checkpoints(), pytest.raises(trio.ClosedResourceError):
            await tunnel.send_all(b"x")
        with trio.testing.assert_checkpoints():
            assert await tunnel.receive_some() == b""
        with trio.testing.assert_checkpoints():
            await tunnel.aclose()
        with trio.testing.assert_checkpoints(), pytest.raises(trio.ClosedResourceError):
            await tunnel.receive_some()
        with trio.testing.assert_checkpoints(), pytest.raises(trio.ClosedResourceError):
            await tunnel.send_eof()
        conn.close_nowait()
        with trio.testing.assert_checkpoints(), pytest.raises(RetryableStreamError):
            await conn.open_tunnel(handshake(server), "websocket", deadlines())


async def test_a_reserved_slot_is_released_when_cancelled_before_opening(
    server: H2Server,
) -> None:
    async with connect(server) as conn:
        assert conn.try_reserve()
        with trio.CancelScope() as scope:
            scope.cancel()
            await conn.open_tunnel(handshake(server), "websocket", deadlines(), slot_reserved=True)
        assert conn.slots.active == 0
        assert server.requests == []


# -- two tasks on one tunnel ---------------------------------------------------


async def test_closing_wakes_a_task_blocked_in_receive(server: H2Server) -> None:
    async with connect(server) as conn:
        tunnel = await open_ok(conn, handshake(server))
        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:

                async def receive() -> None:
                    with pytest.raises(trio.ClosedResourceError):
                        await tunnel.receive_some()

                nursery.start_soon(receive)
                await trio.testing.wait_all_tasks_blocked()
                await tunnel.aclose()
        assert conn.slots.active == 0
        await get_ok(conn, server)


async def test_closing_wakes_a_task_blocked_on_the_send_window(server: H2Server) -> None:
    @server.route("/sink")
    async def sink(exchange: H2Exchange) -> None:
        await exchange.respond(200)
        await exchange.reset_event.wait()

    server.grant_upload_window = False
    async with connect(server) as conn:
        tunnel = await open_ok(conn, handshake(server, "/sink"))
        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:

                async def send() -> None:
                    with pytest.raises(trio.ClosedResourceError):
                        await tunnel.send_all(b"z" * 100_000)

                nursery.start_soon(send)
                await until(lambda: tunnel._stream in conn.window_waiters)
                await tunnel.aclose()
        await get_ok(conn, server)


async def test_a_cancelled_receive_fails_a_send_blocked_on_the_window(server: H2Server) -> None:
    @server.route("/sink")
    async def sink(exchange: H2Exchange) -> None:
        await exchange.respond(200)
        await exchange.reset_event.wait()

    server.grant_upload_window = False
    server.max_concurrent_streams = 1
    async with connect(server) as conn:
        tunnel = await open_ok(conn, handshake(server, "/sink"))
        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:

                async def send() -> None:
                    with pytest.raises(WriteError):
                        await tunnel.send_all(b"z" * 100_000)

                nursery.start_soon(send)
                await until(lambda: tunnel._stream in conn.window_waiters)
                with trio.move_on_after(0.01):
                    await tunnel.receive_some()
        assert conn.slots.active == 0
        await tunnel.aclose()
        await get_ok(conn, server)


# -- interop: hypercorn --------------------------------------------------------


@pytest.mark.nginx
async def test_hypercorn_carries_a_websocket_conversation_in_a_tunnel(
    hypercorn_wss: WebSocketServer,  # noqa: F811 - the fixture
) -> None:
    # hypercorn allows extended CONNECT over HTTP/2 (RFC 8441); after the
    # 200, the tunnel carries WebSocket frames with no HTTP/1.1 handshake.
    from wsproto.connection import Connection, ConnectionType
    from wsproto.events import CloseConnection, Message, TextMessage

    ws_server = hypercorn_wss
    context = ssl.create_default_context(cafile=ws_server.ca_bundle)
    context.set_alpn_protocols(["h2"])
    tcp = await trio.open_tcp_stream("127.0.0.1", ws_server.port)
    tls = trio.SSLStream(tcp, context, server_hostname="127.0.0.1")
    await tls.do_handshake()
    assert tls.selected_alpn_protocol() == "h2"
    base = f"https://127.0.0.1:{ws_server.port}"
    conn = HTTP2Connection(
        tls,
        ("https", "127.0.0.1", ws_server.port),
        settings=HTTP2Settings(),
        keepalive_expiry=None,
        on_draining=lambda _: None,
        on_closed=lambda _: None,
    )
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            await nursery.start(conn.run)
            assert await conn.allows_extended_connect() is True
            handshake_request = Request(
                "GET", base + "/echo", headers={"Sec-WebSocket-Version": "13"}
            )
            response, tunnel = await conn.open_tunnel(handshake_request, "websocket", deadlines())
            assert response.status_code == 200
            assert tunnel is not None
            ws = Connection(ConnectionType.CLIENT)

            async def next_event() -> Any:
                while True:
                    for event in ws.events():
                        return event
                    data = await tunnel.receive_some()
                    ws.receive_data(data or None)

            for text in ("hello", "over HTTP/2", "x" * 100_000):
                await tunnel.send_all(ws.send(Message(data=text)))
                echoed = ""
                while True:  # wsproto hands a long message on in parts
                    event = await next_event()
                    assert isinstance(event, TextMessage)
                    echoed += event.data
                    if event.message_finished:
                        break
                assert echoed == text
            # An ordinary request on the same connection, beside the tunnel.
            assert conn.try_reserve()
            plain = await conn.handle_request(Request("GET", base + "/"), deadlines())
            assert plain.status_code == 404
            assert await plain.aread() == b"WebSocket endpoints only"
            await tunnel.send_all(ws.send(CloseConnection(code=1000)))
            event = await next_event()
            assert isinstance(event, CloseConnection)
            assert event.code == 1000
            await tunnel.aclose()
            assert conn.slots.active == 0
            conn.close_nowait()


async def test_an_invalid_protocol_sends_nothing_and_frees_a_reserved_slot(
    server: H2Server,
) -> None:
    async with connect(server) as conn:
        assert conn.try_reserve()
        with pytest.raises(LocalProtocolError):
            await conn.open_tunnel(handshake(server), "web socket", deadlines(), slot_reserved=True)
        assert conn.slots.active == 0
        await get_ok(conn, server)
    assert [exchange.path for exchange in server.requests] == ["/ok"]


async def test_the_test_server_speaks_websocket_frames_in_a_tunnel(server: H2Server) -> None:
    from wsproto.connection import Connection, ConnectionType
    from wsproto.events import BytesMessage, CloseConnection, Message, Ping, Pong, TextMessage

    async with connect(server) as conn:
        tunnel = await open_ok(conn, handshake(server, "/ws-echo"))
        ws = Connection(ConnectionType.CLIENT)

        async def next_event() -> Any:
            while True:
                for event in ws.events():
                    return event
                ws.receive_data(await tunnel.receive_some() or None)

        await tunnel.send_all(ws.send(Message(data="hi")))
        event = await next_event()
        assert isinstance(event, TextMessage) and event.data == "hi"
        await tunnel.send_all(ws.send(Message(data=b"\x00\x01")))
        event = await next_event()
        assert isinstance(event, BytesMessage) and event.data == b"\x00\x01"
        await tunnel.send_all(ws.send(Ping(payload=b"p")))
        event = await next_event()
        assert isinstance(event, Pong) and event.payload == b"p"
        await tunnel.send_all(ws.send(CloseConnection(code=1000, reason="done")))
        event = await next_event()
        assert isinstance(event, CloseConnection) and event.code == 1000
        assert await tunnel.receive_some() == b""
        await tunnel.aclose()
    assert server.resets == []
