"""The blocking WebSocket: ``Session.websocket()`` through the portal."""

from __future__ import annotations

import inspect
import threading
import time

import pytest
from ws_scripted import ServerConnection, echo_handler, serve_ws_in_thread
from wsproto.events import CloseConnection, TextMessage

import trio_http
from trio_http import ReadTimeout, WebSocketClosed, WebSocketHandshakeError


def test_send_and_receive_through_a_session() -> None:
    with serve_ws_in_thread(echo_handler) as server, trio_http.Session() as session:
        with session.websocket(server.url + "/echo", subprotocols=["chat"]) as ws:
            assert isinstance(ws, trio_http.WebSocket)
            assert ws.subprotocol == "chat"
            assert ws.http_version == "HTTP/1.1"
            assert ws.response.status_code == 101
            ws.send_text("hello")
            assert ws.receive(timeout=5) == "hello"
            ws.send_bytes(b"\x00\x01")
            assert ws.receive_bytes(timeout=5) == b"\x00\x01"
            ws.send("text")
            assert ws.receive_text(timeout=5) == "text"
            ws.ping()
        assert ws.close_code == 1000


def test_session_headers_cookies_and_auth_apply() -> None:
    with serve_ws_in_thread(echo_handler) as server, trio_http.Session() as session:
        session.headers["X-Session"] = "yes"
        session.cookies.set("sid", "42")
        session.auth = ("user", "pass")
        with session.websocket(server.url, params={"q": "1"}):
            pass
        request = server.requests[0]
    headers = {name.decode().lower(): value.decode() for name, value in request.extra_headers}
    assert headers["x-session"] == "yes"
    assert headers["cookie"] == "sid=42"
    assert headers["authorization"].startswith("Basic ")
    assert request.target == "/?q=1"


def test_receive_timeout_raises_read_timeout_and_keeps_the_socket() -> None:
    with serve_ws_in_thread(echo_handler) as server, trio_http.Session() as session:
        with session.websocket(server.url) as ws:
            started = time.monotonic()
            with pytest.raises(ReadTimeout):
                ws.receive(timeout=0.1)
            assert time.monotonic() - started < 5
            ws.send_text("still here")
            assert ws.receive(timeout=5) == "still here"


def test_iteration_ends_at_a_normal_close() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        for text in ("a", "b"):
            await conn.send(TextMessage(data=text))
        await conn.send(CloseConnection(code=1000))
        await conn.finish()

    with serve_ws_in_thread(handler) as server, trio_http.Session() as session:
        with session.websocket(server.url) as ws:
            assert list(ws) == ["a", "b"]
            with pytest.raises(WebSocketClosed):
                ws.send_text("closed")


def test_a_refusal_raises_from_the_with_statement() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.reject(401, b"who are you")

    with serve_ws_in_thread(handler) as server, trio_http.Session() as session:
        with pytest.raises(WebSocketHandshakeError) as caught:
            with session.websocket(server.url):
                pytest.fail("refused")  # pragma: no cover
    assert caught.value.response is not None
    assert caught.value.response.status_code == 401
    assert caught.value.response.content == b"who are you"


def test_an_error_in_the_block_closes_with_1011_and_propagates() -> None:
    codes: list[int] = []

    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        event = await conn.next_event()
        assert isinstance(event, CloseConnection)
        codes.append(event.code)
        await conn.send(event.response())

    with serve_ws_in_thread(handler) as server, trio_http.Session() as session:
        with pytest.raises(KeyError), session.websocket(server.url):
            raise KeyError("mine")
        deadline = time.monotonic() + 5
        while server.open_now and time.monotonic() < deadline:
            time.sleep(0.01)
    assert codes == [1011]


def test_a_receiver_thread_and_a_sender_thread() -> None:
    with serve_ws_in_thread(echo_handler) as server, trio_http.Session() as session:
        with session.websocket(server.url) as ws:
            received: list[str | bytes] = []

            def receive() -> None:
                for _ in range(20):
                    received.append(ws.receive(timeout=5))

            thread = threading.Thread(target=receive)
            thread.start()
            for number in range(20):
                ws.send_text(str(number))
            thread.join(10)
            assert received == [str(number) for number in range(20)]


def test_methods_outside_the_block_are_refused() -> None:
    with trio_http.Session() as session:
        ws = session.websocket("ws://127.0.0.1:9/")
        with pytest.raises(RuntimeError, match="inside"):
            ws.send_text("x")


def test_the_blocking_api_mirrors_the_async_one() -> None:
    ours = inspect.signature(trio_http.Session.websocket).parameters
    theirs = inspect.signature(trio_http.AsyncClient.websocket).parameters
    assert list(ours) == list(theirs)
    public = {name for name in dir(trio_http.AsyncWebSocket) if not name.startswith("_")}
    blocking = {name for name in dir(trio_http.WebSocket) if not name.startswith("_")}
    assert public - blocking == set()
    # The async socket's attributes are properties of the blocking one.
    attributes = {"response", "subprotocol", "http_version", "close_code", "close_reason"}
    assert blocking - public == attributes
    async_receive = inspect.signature(trio_http.AsyncWebSocket.receive).parameters
    assert list(inspect.signature(trio_http.WebSocket.receive).parameters) == [
        *async_receive,
        "timeout",
    ]


def test_the_handshake_timeout_applies() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.read_request()
        await conn.drain_raw()  # never answers

    with serve_ws_in_thread(handler) as server, trio_http.Session() as session:
        started = time.monotonic()
        with pytest.raises(ReadTimeout), session.websocket(server.url, timeout=0.2):
            pytest.fail("never answered")  # pragma: no cover
        assert time.monotonic() - started < 5
