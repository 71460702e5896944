"""ASGITransport's websocket scope, driven by a raw wsproto client over the stream.

The client side here is a bare ``wsproto`` client connection writing and
reading the stream ``handle_async_upgrade`` returns, so these tests check the
frames on the wire independently of trio_http's own WebSocket client; the
last tests go through ``client.websocket`` with Starlette routes.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
import trio
import trio.testing
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Event, Ping, Pong, TextMessage

import trio_http
from trio_http import ClientStateError, ReadTimeout, Timeouts
from trio_http._transports import _asgi_websocket
from trio_http._transports._asgi import ASGITransport
from trio_http._transports._asgi_exchange import DISCONNECT_GRACE_S
from trio_http._transports._asgi_websocket import (
    APP_QUEUE_MESSAGES,
    OUTGOING_LIMIT_BYTES,
    ASGIWebSocketStream,
    accept_token,
)

Message = dict[str, Any]
KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 §1.3's example key


def handshake(
    url: str = "http://testserver/ws",
    *,
    subprotocols: list[str] | None = None,
    timeout: Any = 5.0,
) -> trio_http.Request:
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": KEY,
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
    }
    if subprotocols:
        headers["Sec-WebSocket-Protocol"] = ", ".join(subprotocols)
    request = trio_http.Request("GET", url, headers=headers)
    request.extensions["upgrade"] = "websocket"
    request.extensions["timeout"] = timeout
    return request


class RawClient:
    """A wsproto client connection over the upgraded stream."""

    def __init__(self, stream: ASGIWebSocketStream) -> None:
        self.stream = stream
        self.wire = Connection(ConnectionType.CLIENT)
        self.ended = False

    async def send(self, event: Event) -> None:
        await self.stream.send_all(self.wire.send(event))

    async def next_event(self) -> Event:
        while True:
            for event in self.wire.events():
                return event
            data = await self.stream.receive_some(65536)
            if not data:
                self.ended = True
                self.wire.receive_data(None)
            else:
                self.wire.receive_data(data)

    async def message(self) -> str | bytes:
        parts: list[Any] = []
        while True:
            event = await self.next_event()
            assert isinstance(event, (TextMessage, BytesMessage)), event
            parts.append(event.data)
            if event.message_finished:
                return "".join(parts) if isinstance(parts[0], str) else b"".join(parts)

    async def read_to_end(self) -> bytes:
        received = b""
        while data := await self.stream.receive_some():
            received += data
        return received


async def echo_app(scope: Any, receive: Any, send: Any) -> None:
    """Echoes each message; closes when the client does."""
    assert scope["type"] == "websocket"
    assert (await receive())["type"] == "websocket.connect"
    chosen = "chat" if "chat" in scope["subprotocols"] else None
    await send({"type": "websocket.accept", "subprotocol": chosen, "headers": [(b"x-app", b"1")]})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})


async def test_accept_returns_101_with_accept_token_and_chosen_subprotocol() -> None:
    async with ASGITransport(echo_app) as transport:
        request = handshake(subprotocols=["superchat", "chat"])
        response, stream = await transport.handle_async_upgrade(request)
        assert stream is not None
        assert response.status_code == 101
        assert response.http_version == "HTTP/1.1"
        assert response.headers["upgrade"] == "websocket"
        assert response.headers["connection"] == "Upgrade"
        # RFC 6455 §1.3's worked example.
        assert response.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        assert response.headers["sec-websocket-protocol"] == "chat"
        assert response.headers["x-app"] == "1"
        # No extension is negotiated, so the client's deflate offer is declined.
        assert "sec-websocket-extensions" not in response.headers
        await stream.aclose()


def test_accept_token_matches_rfc_6455_formula() -> None:
    key = base64.b64encode(b"0123456789abcdef").decode()
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    assert accept_token(key) == base64.b64encode(digest).decode()


async def test_text_and_bytes_messages_echo_as_frames() -> None:
    async with ASGITransport(echo_app) as transport:
        _, stream = await transport.handle_async_upgrade(handshake())
        assert stream is not None
        client = RawClient(stream)
        await client.send(TextMessage(data="héllo"))
        assert await client.message() == "héllo"
        await client.send(BytesMessage(data=b"\x00\xff" * 1000))
        assert await client.message() == b"\x00\xff" * 1000
        await client.send(TextMessage(data=""))
        assert await client.message() == ""
        await stream.aclose()


async def test_scope_follows_the_asgi_websocket_spec() -> None:
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope)
        await receive()
        await send({"type": "websocket.close"})

    transport = ASGITransport(app, root_path="/root", client=("10.1.2.3", 4567))
    async with transport:
        request = handshake("https://example.org:8443/a%20b/ws?x=1", subprotocols=["one", "two"])
        request.headers.add("Sec-WebSocket-Protocol", "three")
        await transport.handle_async_upgrade(request)
    scope = seen[0]
    assert scope["type"] == "websocket"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert scope["http_version"] == "1.1"
    assert scope["scheme"] == "wss"
    assert scope["path"] == "/a b/ws"
    assert scope["raw_path"] == b"/a%20b/ws"
    assert scope["query_string"] == b"x=1"
    assert scope["root_path"] == "/root"
    assert scope["client"] == ("10.1.2.3", 4567)
    assert scope["server"] == ("example.org", 8443)
    assert scope["subprotocols"] == ["one", "two", "three"]
    assert scope["extensions"] == {"websocket.http.response": {}}
    assert (b"sec-websocket-key", KEY.encode()) in scope["headers"]
    assert "method" not in scope


@pytest.mark.parametrize(("url", "scheme"), [("ws://h/x", "ws"), ("http://h/x", "ws")])
async def test_scheme_is_ws_for_plain_urls(url: str, scheme: str) -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["scheme"])
        await send({"type": "websocket.close"})

    async with ASGITransport(app) as transport:
        await transport.handle_async_upgrade(handshake(url))
    assert seen == [scheme]


async def test_close_before_accept_is_403_without_stream() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.close", "code": 1008})

    async with ASGITransport(app) as transport:
        response, stream = await transport.handle_async_upgrade(handshake())
    assert stream is None
    assert response.status_code == 403
    assert await response.aread() == b""


async def test_http_response_extension_denies_with_the_apps_response() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 401,
                "headers": [(b"www-authenticate", b"Bearer"), (b"content-type", b"text/plain")],
            }
        )
        await send({"type": "websocket.http.response.body", "body": b"no ", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"entry"})

    async with ASGITransport(app) as transport:
        response, stream = await transport.handle_async_upgrade(handshake())
    assert stream is None
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert await response.aread() == b"no entry"


async def failing_before_accept(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    raise ValueError("boom")


async def test_app_error_before_accept_is_raised() -> None:
    async with ASGITransport(failing_before_accept) as transport:
        with pytest.raises(ValueError, match="boom"):
            await transport.handle_async_upgrade(handshake())


async def test_app_error_before_accept_is_500_when_not_raised() -> None:
    transport = ASGITransport(failing_before_accept, raise_app_exceptions=False)
    async with transport:
        response, stream = await transport.handle_async_upgrade(handshake())
    assert (response.status_code, stream) == (500, None)


async def test_app_returning_without_answer_is_500() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()

    async with ASGITransport(app) as transport:
        response, stream = await transport.handle_async_upgrade(handshake())
    assert (response.status_code, stream) == (500, None)


async def test_send_before_accept_is_an_app_error() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "websocket.send", "text": "early"})

    async with ASGITransport(app) as transport:
        with pytest.raises(RuntimeError, match="before accepting"):
            await transport.handle_async_upgrade(handshake())


async def test_app_close_sends_code_and_reason_then_ends_after_reply() -> None:
    after_close: list[Message] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "bye"})
        await send({"type": "websocket.close", "code": 4001, "reason": "done here"})
        after_close.append(await receive())

    async with ASGITransport(app) as transport:
        _, stream = await transport.handle_async_upgrade(handshake())
        assert stream is not None
        client = RawClient(stream)
        assert await client.message() == "bye"
        event = await client.next_event()
        assert isinstance(event, CloseConnection)
        assert (event.code, event.reason) == (4001, "done here")
        await client.send(event.response())
        assert await stream.receive_some() == b""
        await stream.aclose()
    assert after_close == [{"type": "websocket.disconnect", "code": 4001}]


async def test_client_close_reaches_app_as_disconnect_with_code() -> None:
    received: list[Message] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        received.append(await receive())
        received.append(await receive())

    async with ASGITransport(app) as transport:
        _, stream = await transport.handle_async_upgrade(handshake())
        assert stream is not None
        client = RawClient(stream)
        await client.send(TextMessage(data="last"))
        await client.send(CloseConnection(code=1001, reason="leaving"))
        event = await client.next_event()
        assert isinstance(event, CloseConnection) and event.code == 1001
        assert await stream.receive_some() == b""
        with pytest.raises(trio.BrokenResourceError):
            await stream.send_all(b"\x81\x80\x00\x00\x00\x00")
        await stream.aclose()
    assert received == [
        {"type": "websocket.receive", "text": "last"},
        {"type": "websocket.disconnect", "code": 1001},
    ]


async def test_ping_is_answered_with_pong() -> None:
    async with ASGITransport(echo_app) as transport:
        _, stream = await transport.handle_async_upgrade(handshake())
        assert stream is not None
        client = RawClient(stream)
        await client.send(Ping(payload=b"are you there"))
        event = await client.next_event()
        assert isinstance(event, Pong) and event.payload == b"are you there"
        await stream.aclose()


async def test_fragmented_message_is_reassembled() -> None:
    async with ASGITransport(echo_app) as transport:
        _, stream = await transport.handle_async_upgrade(handshake())
        assert stream is not None
        client = RawClient(stream)
        await client.send(TextMessage(data="part one, ", message_finished=False))
        await client.send(TextMessage(data="part two", message_finished=True))
        assert await client.message() == "part one, part two"
        await stream.aclose()


async def test_message_over_the_limit_closes_with_1009(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_asgi_websocket, "MAX_MESSAGE_BYTES", 1000)
    disconnects: list[Message] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        disconnects.append(await receive())

    async with ASGITransport(app) as transport:
        _, stream = await transport.handle_async_upgrade(handshake())
        assert stream is not None
        client = RawClient(stream)
        await client.send(BytesMessage(data=b"x" * 600, message_finished=False))
        await client.send(BytesMessage(data=b"x" * 600, message_finished=True))
        event = await client.next_event()
        assert isinstance(event, CloseConnection) and event.code == 1009
        assert await stream.receive_some() == b""
        await stream.aclose()
    assert disconnects == [{"type": "websocket.disconnect", "code": 1009}]


async def test_invalid_frame_closes_with_1002() -> None:
    async with ASGITransport(echo_app) as transport:
        _, stream = await transport.handle_async_upgrade(handshake())
        assert stream is not None
        client = RawClient(stream)
        # A client frame must be masked (RFC 6455 §5.1): this one is not.
        await stream.send_all(b"\x81\x02hi")
        event = await client.next_event()
        assert isinstance(event, CloseConnection) and event.code == 1002
        assert await stream.receive_some() == b""
        await stream.aclose()


async def test_app_error_after_accept_closes_with_1011() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await receive()
        raise ValueError("boom")

    async with ASGITransport(app) as transport:
        _, stream = await transport.handle_async_upgrade(handshake())
        assert stream is not None
        client = RawClient(stream)
        await client.send(TextMessage(data="trigger"))
        event = await client.next_event()
        assert isinstance(event, CloseConnection) and event.code == 1011
        await stream.aclose()


async def test_app_returning_after_accept_closes_with_1000() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})

    async with ASGITransport(app) as transport:
        _, stream = await transport.handle_async_upgrade(handshake())
        assert stream is not None
        client = RawClient(stream)
        event = await client.next_event()
        assert isinstance(event, CloseConnection) and event.code == 1000
        await client.send(event.response())
        assert await stream.receive_some() == b""
        await stream.aclose()


async def test_stream_aclose_is_disconnect_1006_and_send_then_fails() -> None:
    results: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        results.append(await receive())
        try:
            await send({"type": "websocket.send", "text": "too late"})
        except OSError as exc:
            results.append(type(exc).__name__)

    async with ASGITransport(app) as transport:
        _, stream = await transport.handle_async_upgrade(handshake())
        assert stream is not None
        await stream.aclose()
        await stream.aclose()  # idempotent
        with pytest.raises(trio.ClosedResourceError):
            await stream.receive_some()
        with pytest.raises(trio.ClosedResourceError):
            await stream.send_all(b"x")
    assert results == [{"type": "websocket.disconnect", "code": 1006}, "ClientDisconnected"]


async def test_app_ignoring_disconnect_is_cancelled_after_grace(
    autojump_clock: trio.testing.MockClock,
) -> None:
    cancelled: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            cancelled.append(True)
            raise

    async with ASGITransport(app) as transport:
        _, stream = await transport.handle_async_upgrade(handshake())
        assert stream is not None
        start = trio.current_time()
        await stream.aclose()
        elapsed = trio.current_time() - start
    assert cancelled == [True]
    assert DISCONNECT_GRACE_S <= elapsed < 2 * DISCONNECT_GRACE_S + 0.1


async def test_client_send_waits_when_app_queue_is_full(
    autojump_clock: trio.testing.MockClock,
) -> None:
    release = trio.Event()
    received: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await release.wait()
        while (message := await receive())["type"] == "websocket.receive":
            received.append(message["text"])

    async with ASGITransport(app) as transport:
        _, stream = await transport.handle_async_upgrade(handshake())
        assert stream is not None
        client = RawClient(stream)
        for n in range(APP_QUEUE_MESSAGES):
            await client.send(TextMessage(data=str(n)))
        with trio.move_on_after(10) as blocked:
            await client.send(TextMessage(data="one too many"))
        assert blocked.cancelled_caught
        release.set()
        # The cancelled send kept its message: the next call delivers it first.
        await client.send(CloseConnection(code=1000))
        await client.read_to_end()
        await stream.aclose()
    assert received == [*map(str, range(APP_QUEUE_MESSAGES)), "one too many"]


async def test_app_send_waits_while_reader_is_behind(
    autojump_clock: trio.testing.MockClock,
) -> None:
    sent: list[int] = []
    chunk = b"x" * (64 * 1024)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        for n in range(20):
            await send({"type": "websocket.send", "bytes": chunk})
            sent.append(n)

    async with ASGITransport(app) as transport:
        _, stream = await transport.handle_async_upgrade(handshake())
        assert stream is not None
        await trio.sleep(10)
        # The app is held back near the limit rather than sending all 20.
        assert len(sent) * len(chunk) <= OUTGOING_LIMIT_BYTES + len(chunk)
        client = RawClient(stream)
        for _ in range(20):
            assert await client.message() == chunk
        assert len(sent) == 20
        await stream.aclose()


async def test_no_answer_within_read_timeout_raises_read_timeout(
    autojump_clock: trio.testing.MockClock,
) -> None:
    cancelled: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            cancelled.append(True)
            raise

    async with ASGITransport(app) as transport:
        with pytest.raises(ReadTimeout):
            await transport.handle_async_upgrade(handshake(timeout=Timeouts(read=3.0)))
    assert cancelled == [True]


async def test_cancelled_handshake_disconnects_app_and_transport_still_works(
    autojump_clock: trio.testing.MockClock,
) -> None:
    events: list[Message] = []
    first = True

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal first
        await receive()
        if first:
            first = False
            events.append(await receive())
            return
        await echo_app(scope, _replay_connect(receive), send)

    async with ASGITransport(app) as transport:
        with trio.move_on_after(2):
            await transport.handle_async_upgrade(handshake())
        assert events == [{"type": "websocket.disconnect", "code": 1006}]
        response, stream = await transport.handle_async_upgrade(handshake())
        assert response.status_code == 101 and stream is not None
        client = RawClient(stream)
        await client.send(TextMessage(data="again"))
        assert await client.message() == "again"
        await stream.aclose()


def _replay_connect(receive: Any) -> Any:
    replayed = False

    async def wrapped() -> Any:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "websocket.connect"}
        return await receive()

    return wrapped


async def test_upgrade_outside_the_block_is_a_state_error() -> None:
    transport = ASGITransport(echo_app)
    with pytest.raises(ClientStateError):
        await transport.handle_async_upgrade(handshake())


# -- through client.websocket, with Starlette routes ---------------------------------

needs_client = pytest.mark.skipif(
    not hasattr(trio_http.AsyncClient, "websocket"),
    reason="AsyncClient.websocket is not built yet",
)


def starlette_app(log: list[Any]) -> Any:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    async def echo(websocket: WebSocket) -> None:
        offered = websocket.scope["subprotocols"]
        await websocket.accept(subprotocol="chat" if "chat" in offered else None)
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    log.append(message["code"])
                    return
                if message.get("text") is not None:
                    await websocket.send_text(message["text"])
                else:
                    await websocket.send_bytes(message["bytes"])
        except WebSocketDisconnect as exc:  # pragma: no cover - starlette's other path
            log.append(exc.code)

    async def json_route(websocket: WebSocket) -> None:
        await websocket.accept()
        data = await websocket.receive_json()
        await websocket.send_json({"got": data, "query": websocket.query_params["q"]})
        await websocket.close()

    async def refuse(websocket: WebSocket) -> None:
        await websocket.close(code=1008)

    async def deny(websocket: WebSocket) -> None:
        await websocket.send_denial_response(PlainTextResponse("no entry", status_code=401))

    async def goodbye(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close(code=4000, reason="bye")

    return Starlette(
        routes=[
            WebSocketRoute("/ws", echo),
            WebSocketRoute("/json", json_route),
            WebSocketRoute("/refuse", refuse),
            WebSocketRoute("/deny", deny),
            WebSocketRoute("/goodbye", goodbye),
        ]
    )


@needs_client
async def test_starlette_route_echoes_through_client_websocket() -> None:
    log: list[Any] = []
    transport = ASGITransport(starlette_app(log))
    async with trio_http.AsyncClient(transport=transport) as client:
        async with client.websocket("ws://testserver/ws", subprotocols=["chat"]) as ws:
            assert ws.subprotocol == "chat"
            assert ws.http_version == "HTTP/1.1"
            assert ws.response.status_code == 101
            await ws.send_text("hello")
            assert await ws.receive() == "hello"
            await ws.send_bytes(b"\x00" * 100_000)
            assert await ws.receive_bytes() == b"\x00" * 100_000
            await ws.ping()
        async with client.websocket("ws://testserver/json", params={"q": "x"}) as ws:
            await ws.send_text('{"a": 1}')
            assert await ws.receive_text() == '{"got":{"a":1},"query":"x"}'
    assert log == [1000]


@needs_client
async def test_starlette_close_before_accept_is_handshake_error() -> None:
    transport = ASGITransport(starlette_app([]))
    async with trio_http.AsyncClient(transport=transport) as client:
        with pytest.raises(trio_http.WebSocketHandshakeError) as refused:
            async with client.websocket("ws://testserver/refuse"):
                pass
        with pytest.raises(trio_http.WebSocketHandshakeError) as denied:
            async with client.websocket("ws://testserver/deny"):
                pass
    assert refused.value.response.status_code == 403
    assert denied.value.response.status_code == 401
    assert denied.value.response.content == b"no entry"


@needs_client
async def test_starlette_server_close_reaches_the_client() -> None:
    transport = ASGITransport(starlette_app([]))
    async with trio_http.AsyncClient(transport=transport) as client:
        async with client.websocket("ws://testserver/goodbye") as ws:
            with pytest.raises(trio_http.WebSocketClosed) as closed:
                await ws.receive()
    assert (closed.value.code, closed.value.reason) == (4000, "bye")


async def test_starlette_routes_over_the_raw_stream() -> None:
    log: list[Any] = []
    async with ASGITransport(starlette_app(log)) as transport:
        response, stream = await transport.handle_async_upgrade(handshake(subprotocols=["chat"]))
        assert stream is not None and response.headers["sec-websocket-protocol"] == "chat"
        client = RawClient(stream)
        await client.send(TextMessage(data="hi"))
        assert await client.message() == "hi"
        await client.send(CloseConnection(code=1000))
        assert isinstance(await client.next_event(), CloseConnection)
        await stream.aclose()
        denied, none = await transport.handle_async_upgrade(handshake("http://testserver/deny"))
        assert (denied.status_code, none) == (401, None)
        assert await denied.aread() == b"no entry"
    assert log == [1000]


async def test_messages_after_the_app_returned_do_not_wait() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})

    async with ASGITransport(app) as transport:
        _, stream = await transport.handle_async_upgrade(handshake())
        assert stream is not None
        client = RawClient(stream)
        event = await client.next_event()
        assert isinstance(event, CloseConnection)
        # Frames the client had sent before it saw the close (its own wire
        # would refuse them now): more than the app's queue holds.
        frames = Connection(ConnectionType.CLIENT)
        with trio.fail_after(5):
            for n in range(APP_QUEUE_MESSAGES * 2):
                await stream.send_all(frames.send(TextMessage(data=str(n))))
        await client.send(event.response())
        assert await stream.receive_some() == b""
        await stream.aclose()


async def test_transport_closing_cancels_the_app_and_sends_going_away() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await trio.sleep_forever()

    async with ASGITransport(app) as transport:
        _, stream = await transport.handle_async_upgrade(handshake())
        assert stream is not None
        client = RawClient(stream)
        await transport.aclose()
        event = await client.next_event()
        assert isinstance(event, CloseConnection) and event.code == 1001
        await stream.aclose()


@needs_client
async def test_cancelled_block_disconnects_the_app(
    autojump_clock: trio.testing.MockClock,
) -> None:
    log: list[Any] = []
    transport = ASGITransport(starlette_app(log))
    async with trio_http.AsyncClient(transport=transport) as client:
        with trio.move_on_after(5) as scope:
            async with client.websocket("ws://testserver/ws") as ws:
                await ws.receive()  # the app never sends first
        assert scope.cancelled_caught
        # The transport still serves new sockets.
        async with client.websocket("ws://testserver/ws") as ws:
            await ws.send_text("again")
            assert await ws.receive() == "again"
    assert len(log) == 2


@needs_client
async def test_app_that_never_accepts_times_out(autojump_clock: trio.testing.MockClock) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await trio.sleep_forever()

    async with trio_http.AsyncClient(transport=ASGITransport(app)) as client:
        with pytest.raises(trio_http.Timeout):
            async with client.websocket("ws://testserver/ws", timeout=Timeouts(read=3.0)):
                pass
