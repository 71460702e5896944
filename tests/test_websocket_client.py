"""``AsyncClient.websocket()``: the handshake request, refusals, TLS, proxies, routing."""

from __future__ import annotations

import ssl

import proxies
import pytest
import trio
import trio.testing
import trustme
from conftest import make_server_ssl_context
from proxies import RealProxy, open_connect_proxy
from server import TestServer
from ws_scripted import ServerConnection, accept_value, echo_handler, frame, open_ws_server
from wsproto.events import CloseConnection

import trio_http
from trio_http import (
    ClientStateError,
    ReadTimeout,
    WebSocketError,
    WebSocketHandshakeError,
)
from trio_http._transports._upgrade_http11 import MAX_REFUSAL_BODY


async def test_handshake_carries_client_defaults_cookies_auth_and_params() -> None:
    async with open_ws_server(echo_handler) as server:
        async with trio_http.AsyncClient(
            base_url=server.url.replace("ws://", "http://"),
            headers={"X-Client": "1"},
            params={"a": "1"},
            cookies={"session": "abc"},
            auth=("user", "pass"),
        ) as client:
            async with client.websocket(
                "/chat", params={"b": "2"}, headers={"X-Call": "2"}, subprotocols=["v2", "v1"]
            ) as ws:
                assert ws.subprotocol == "v2"
        request = server.requests[0]
    assert request.target == "/chat?a=1&b=2"
    assert request.subprotocols == ["v2", "v1"]
    headers = {name.decode().lower(): value.decode() for name, value in request.extra_headers}
    assert headers["x-client"] == "1"
    assert headers["x-call"] == "2"
    assert headers["cookie"] == "session=abc"
    assert headers["authorization"].startswith("Basic ")
    assert headers["sec-websocket-version"] == "13"


@pytest.mark.parametrize("scheme", ["ws", "http"])
async def test_ws_and_http_urls_both_work(scheme: str) -> None:
    async with open_ws_server(echo_handler) as server, trio_http.AsyncClient() as client:
        url = server.url.replace("ws", scheme, 1) + "/x"
        async with client.websocket(url) as ws:
            await ws.send_text("hi")
            assert await ws.receive() == "hi"


async def test_a_refusal_raises_with_status_headers_and_body() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.reject(403, b"go away")

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        with pytest.raises(WebSocketHandshakeError, match="403") as caught:
            async with client.websocket(server.url):
                pytest.fail("refused")  # pragma: no cover
        await server.wait_all_closed()
    response = caught.value.response
    assert response is not None
    assert response.status_code == 403
    assert response.content == b"go away"
    assert caught.value.request is not None


async def test_a_huge_refusal_body_is_cut_at_the_bound() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.read_request()
        body = b"x" * (4 * MAX_REFUSAL_BODY)
        await conn.send_raw(b"HTTP/1.1 500 Oops\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        with pytest.raises(WebSocketHandshakeError) as caught:
            async with client.websocket(server.url):
                pass  # pragma: no cover
    assert caught.value.response is not None
    assert len(caught.value.response.content) == MAX_REFUSAL_BODY


async def test_200_instead_of_101_is_refused() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.read_request()
        await conn.send_raw(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        with pytest.raises(WebSocketHandshakeError, match="200 instead of 101") as caught:
            async with client.websocket(server.url):
                pass  # pragma: no cover
        await server.wait_all_closed()
    assert caught.value.response is not None
    assert caught.value.response.content == b"hi"


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (b"Sec-WebSocket-Accept: AAAA\r\n", "does not match"),
        (b"{accept}Sec-WebSocket-Protocol: never-offered\r\n", "not offered"),
        (b"{accept}Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n", "not offered"),
    ],
)
async def test_a_wrong_101_is_refused_and_closed(extra: bytes, words: str) -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.read_request()
        accept = b"Sec-WebSocket-Accept: " + accept_value(conn.key).encode() + b"\r\n"
        await conn.send_raw(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + extra.replace(b"{accept}", accept)
            + b"\r\n"
        )
        await conn.drain_raw()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        with pytest.raises(WebSocketHandshakeError, match=words) as caught:
            async with client.websocket(server.url, subprotocols=["chat"]):
                pass  # pragma: no cover
        await server.wait_all_closed()
    assert caught.value.response is not None
    assert caught.value.response.status_code == 101


async def test_garbage_instead_of_http_is_a_remote_protocol_error() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.read_request()
        await conn.send_raw(b"\x00\x01 not http at all\r\n\r\n")
        await conn.drain_raw()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        with pytest.raises(trio_http.RemoteProtocolError):
            async with client.websocket(server.url):
                pass  # pragma: no cover
        await server.wait_all_closed()


async def test_server_hanging_up_during_the_handshake_is_an_error() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.read_request()
        await conn.stream.aclose()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        with pytest.raises(trio_http.RemoteProtocolError, match="before answering"):
            async with client.websocket(server.url):
                pass  # pragma: no cover


async def test_handshake_read_timeout(autojump_clock: trio.testing.MockClock) -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.read_request()
        await conn.drain_raw()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        with pytest.raises(ReadTimeout):
            async with client.websocket(server.url, timeout=3):
                pass  # pragma: no cover
        await server.wait_all_closed()


async def test_cookies_set_by_the_handshake_response_are_kept() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.accept(headers=[(b"Set-Cookie", b"token=xyz; Path=/")])
        await conn.finish()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url):
            pass
        assert client.cookies.get("token") == "xyz"


async def test_a_failed_handshake_is_a_checkpoint() -> None:
    async with trio_http.AsyncClient() as client:
        with trio.testing.assert_checkpoints(), pytest.raises(trio_http.InvalidSchema):
            async with client.websocket("ftp://127.0.0.1/"):
                pass  # pragma: no cover


async def test_outside_the_client_block_is_refused() -> None:
    client = trio_http.AsyncClient()
    with pytest.raises(ClientStateError):
        async with client.websocket("ws://127.0.0.1:1/"):
            pass  # pragma: no cover


async def test_limits_are_checked_at_once() -> None:
    async with trio_http.AsyncClient() as client:
        with pytest.raises(ValueError, match="at least 1"):
            client.websocket("ws://127.0.0.1:1/", max_queue=0)


async def test_a_transport_without_upgrades_says_so() -> None:
    transport = trio_http.MockTransport(lambda request: trio_http.Response(200))
    async with trio_http.AsyncClient(transport=transport) as client:
        with pytest.raises(WebSocketError, match="cannot open WebSockets"):
            async with client.websocket("ws://example.org/"):
                pass  # pragma: no cover


async def test_the_upgrade_uses_a_fresh_connection_that_never_joins_the_pool(
    server: TestServer,
) -> None:
    async with open_ws_server(echo_handler) as ws_server, trio_http.AsyncClient() as client:
        http_url = ws_server.url.replace("ws://", "http://")
        async with client.websocket(http_url) as ws:
            await ws.send_text("a")
            assert await ws.receive() == "a"
            assert client._transport.open_connections == 0  # type: ignore[attr-defined]
        await ws_server.wait_all_closed()
        # An idle pooled HTTP/1.1 connection is never taken for an upgrade.
        response = await client.get(server.url + "/get")
        assert response.status_code == 200
        assert client._transport.idle_connections == 1  # type: ignore[attr-defined]
        async with client.websocket(http_url):
            pass
        assert ws_server.opened == 2
        assert client._transport.idle_connections == 1  # type: ignore[attr-defined]


async def test_wss_with_the_clients_tls_settings(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    tls = make_server_ssl_context(server_cert)
    async with open_ws_server(echo_handler, tls) as server:
        async with trio_http.AsyncClient(verify=client_ssl_context) as client:
            async with client.websocket(server.url) as ws:
                await ws.send_text("secure")
                assert await ws.receive() == "secure"
        async with trio_http.AsyncClient() as untrusting:
            with pytest.raises(trio_http.SSLError):
                async with untrusting.websocket(server.url):
                    pass  # pragma: no cover


async def test_ws_through_an_http_proxy_uses_a_connect_tunnel() -> None:
    async with open_ws_server(echo_handler) as server, open_connect_proxy() as proxy:
        async with trio_http.AsyncClient(proxy=proxy.url) as client:
            async with client.websocket(server.url + "/tunnelled") as ws:
                await ws.send_text("via proxy")
                assert await ws.receive() == "via proxy"
        assert [head.split(b"\r\n")[0] for head in proxy.heads] == [
            f"CONNECT 127.0.0.1:{server.port} HTTP/1.1".encode()
        ]
        assert server.requests[0].target == "/tunnelled"


async def test_wss_through_an_http_proxy(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    tls = make_server_ssl_context(server_cert)
    async with open_ws_server(echo_handler, tls) as server, open_connect_proxy() as proxy:
        async with trio_http.AsyncClient(proxy=proxy.url, verify=client_ssl_context) as client:
            async with client.websocket(server.url) as ws:
                await ws.send_bytes(b"tls in tunnel")
                assert await ws.receive() == b"tls in tunnel"
        assert len(proxy.heads) == 1


async def test_a_raw_frame_split_across_reads_is_reassembled() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        data = frame(0x1, b"split message")
        for byte in data:
            await conn.send_raw(bytes([byte]))
            await trio.sleep(0)
        await conn.finish()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            assert await ws.receive() == "split message"


class _InMemoryUpgrades(trio_http.AsyncBaseTransport):
    """Answers every upgrade like an HTTP/2 server (200, no accept key) over memory streams."""

    def __init__(self, nursery: trio.Nursery) -> None:
        self.nursery = nursery
        self.requests: list[trio_http.Request] = []

    async def handle_async_request(self, request: trio_http.Request) -> trio_http.Response:
        raise AssertionError("not used")  # pragma: no cover

    async def handle_async_upgrade(
        self, request: trio_http.Request
    ) -> tuple[trio_http.Response, trio.testing.MemoryStapledStream | None]:  # type: ignore[override]
        from wsproto.connection import Connection, ConnectionType
        from wsproto.events import TextMessage as Text

        self.requests.append(request)
        ours, theirs = trio.testing.memory_stream_pair()

        async def echo() -> None:
            conn = Connection(ConnectionType.SERVER)
            while data := await theirs.receive_some():
                conn.receive_data(data)
                for event in conn.events():
                    if isinstance(event, Text):
                        await theirs.send_all(conn.send(Text(data=event.data)))
                    elif isinstance(event, CloseConnection):
                        await theirs.send_all(conn.send(event.response()))
                        await theirs.aclose()
                        return

        self.nursery.start_soon(echo)
        response = trio_http.Response(
            200, headers={"sec-websocket-protocol": "chat"}, request=request, http_version="HTTP/2"
        )
        return response, ours


async def test_a_mounted_transport_serves_the_upgrade_and_http2_rules_apply() -> None:
    async with trio.open_nursery() as nursery:
        transport = _InMemoryUpgrades(nursery)
        async with trio_http.AsyncClient(mounts={"http://inproc": transport}) as client:
            async with client.websocket("ws://inproc/x", subprotocols=["chat"]) as ws:
                assert ws.http_version == "HTTP/2"
                assert ws.subprotocol == "chat"
                await ws.send_text("in memory")
                assert await ws.receive() == "in memory"
            assert ws.close_code == 1000
        request = transport.requests[0]
        assert request.extensions["upgrade"] == "websocket"
        assert request.url.scheme == "http"
        assert request.method == "GET"


async def test_a_retry_transport_passes_the_upgrade_to_the_one_it_wraps() -> None:
    transport = trio_http.RetryTransport(trio_http.ConnectionPool(), 2)
    async with open_ws_server(echo_handler) as server:
        async with trio_http.AsyncClient(transport=transport) as client:
            async with client.websocket(server.url) as ws:
                await ws.send_text("wrapped")
                assert await ws.receive() == "wrapped"
        assert server.opened == 1  # a handshake is never retried by itself


dante = proxies.dante


@pytest.mark.parametrize("scheme", ["socks5", "socks5h"])
async def test_ws_through_a_socks_proxy(dante: RealProxy, scheme: str) -> None:
    async with open_ws_server(echo_handler) as server:
        async with trio_http.AsyncClient(
            proxy=f"{scheme}://127.0.0.1:{dante.port}", trust_env=False
        ) as client:
            async with client.websocket(server.url + "/socks") as ws:
                await ws.send_text("via socks")
                assert await ws.receive() == "via socks"
        assert server.requests[0].target == "/socks"


async def test_the_guides_asgi_example_works() -> None:
    # docs/websockets.rst, "Testing an ASGI app".
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        async for text in websocket.iter_text():
            await websocket.send_text(text)

    app = Starlette(routes=[WebSocketRoute("/ws", echo)])
    transport = trio_http.ASGITransport(app)
    async with trio_http.AsyncClient(transport=transport) as client:
        async with client.websocket("ws://testserver/ws") as ws:
            await ws.send_text("ping")
            assert await ws.receive() == "ping"
        assert ws.close_code == 1000


async def test_event_hooks_see_the_handshake() -> None:
    seen: list[str] = []

    async def on_request(request: trio_http.Request) -> None:
        seen.append(f"{request.method} {request.headers['upgrade']}")

    def on_response(response: trio_http.Response) -> None:
        seen.append(str(response.status_code))

    hooks = {"request": [on_request], "response": [on_response]}
    async with open_ws_server(echo_handler) as server:
        async with trio_http.AsyncClient(event_hooks=hooks) as client:
            async with client.websocket(server.url):
                pass
    assert seen == ["GET websocket", "101"]


async def test_a_failing_response_hook_closes_the_new_socket() -> None:
    def refuse(response: trio_http.Response) -> None:
        raise RuntimeError("not this one")

    async with open_ws_server(echo_handler) as server:
        async with trio_http.AsyncClient(event_hooks={"response": [refuse]}) as client:
            with pytest.raises(RuntimeError, match="not this one"):
                async with client.websocket(server.url):
                    pass  # pragma: no cover
        await server.wait_all_closed()
