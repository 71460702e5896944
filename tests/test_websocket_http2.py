"""WebSockets over HTTP/2 (RFC 8441) through the pool, sharing the origin's connection."""

from __future__ import annotations

import ssl

import pytest
import trio
import trio.testing
import trustme
from conftest import make_server_ssl_context
from h2server import H2Exchange, open_h2_server
from ws_scripted import echo_handler, open_ws_server

import trio_http
from trio_http import ConnectError, WebSocketHandshakeError


async def test_websocket_shares_the_http2_connection_with_requests() -> None:
    async with open_h2_server() as server:
        server.enable_connect_protocol = True
        async with trio_http.AsyncClient(http1=False, http2=True) as client:
            first = await client.get(server.url + "/ok")
            assert first.http_version == "HTTP/2"
            async with client.websocket(server.url + "/ws-echo") as ws:
                assert ws.http_version == "HTTP/2"
                assert ws.response.status_code == 200
                await ws.send_text("over h2")
                assert await ws.receive() == "over h2"
                during = await client.get(server.url + "/ok")
                assert during.status_code == 200
                await ws.send_bytes(b"\x00" * 200_000)  # more than one window of DATA
                assert await ws.receive() == b"\x00" * 200_000
                await ws.ping()
            assert ws.close_code == 1000
            after = await client.get(server.url + "/ok")
            assert after.status_code == 200
        assert server.connections_opened == 1
        connect = [e for e in server.requests if e.method == "CONNECT"]
        assert len(connect) == 1
        assert connect[0].header(":protocol") == "websocket"


async def test_several_websockets_on_one_connection() -> None:
    async with open_h2_server() as server:
        server.enable_connect_protocol = True
        async with trio_http.AsyncClient(http1=False, http2=True) as client:
            async with (
                client.websocket(server.url + "/ws-echo") as one,
                client.websocket(server.url + "/ws-echo") as two,
            ):
                await one.send_text("1")
                await two.send_text("2")
                assert await two.receive() == "2"
                assert await one.receive() == "1"
        assert server.connections_opened == 1


async def test_without_the_setting_and_without_http1_the_client_says_why() -> None:
    async with open_h2_server() as server:
        async with trio_http.AsyncClient(http1=False, http2=True) as client:
            with pytest.raises(ConnectError, match=r"HTTP/1\.1 is disabled"):
                async with client.websocket(server.url + "/ws-echo"):
                    pass  # pragma: no cover
            assert (await client.get(server.url + "/ok")).status_code == 200


async def test_a_refused_extended_connect_raises_with_the_response() -> None:
    async with open_h2_server() as server:
        server.enable_connect_protocol = True

        @server.route("/denied")
        async def denied(exchange: H2Exchange) -> None:
            await exchange.respond(403, [("content-length", "6")])
            await exchange.send(b"denied", end=True)

        async with trio_http.AsyncClient(http1=False, http2=True) as client:
            with pytest.raises(WebSocketHandshakeError, match="403") as caught:
                async with client.websocket(server.url + "/denied"):
                    pass  # pragma: no cover
            assert caught.value.response is not None
            assert caught.value.response.content == b"denied"
            assert (await client.get(server.url + "/ok")).status_code == 200


async def test_cancelled_handshake_and_receive_leave_the_connection_working() -> None:
    async with open_h2_server() as server:
        server.enable_connect_protocol = True

        @server.route("/silent")
        async def silent(exchange: H2Exchange) -> None:
            await trio.sleep_forever()

        async with trio_http.AsyncClient(http1=False, http2=True) as client:
            with trio.move_on_after(0.2) as scope:
                async with client.websocket(server.url + "/silent"):
                    pass  # pragma: no cover
            assert scope.cancelled_caught
            async with client.websocket(server.url + "/ws-echo") as ws:
                with trio.move_on_after(0.05):
                    await ws.receive()
            with trio.move_on_after(0.2) as scope:
                async with client.websocket(server.url + "/ws-echo") as ws:
                    await trio.sleep_forever()
            assert scope.cancelled_caught
            assert (await client.get(server.url + "/ok")).status_code == 200
        assert server.connections_opened == 1


async def test_alpn_http1_falls_back_to_an_upgrade(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    tls = make_server_ssl_context(server_cert)  # ALPN http/1.1 only
    async with open_ws_server(echo_handler, tls) as server:
        async with trio_http.AsyncClient(http2=True, verify=client_ssl_context) as client:
            async with client.websocket(server.url) as ws:
                assert ws.http_version == "HTTP/1.1"
                await ws.send_text("fallback")
                assert await ws.receive() == "fallback"
        # The probe connection went to the pool; the WebSocket had its own.
        assert server.opened == 2


async def test_wss_over_http2_with_alpn(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    async with open_h2_server(make_server_ssl_context(server_cert, ("h2",))) as server:
        server.enable_connect_protocol = True
        async with trio_http.AsyncClient(http2=True, verify=client_ssl_context) as client:
            url = server.url.replace("https://", "wss://") + "/ws-echo"
            async with client.websocket(url) as ws:
                assert ws.http_version == "HTTP/2"
                await ws.send_text("tls h2")
                assert await ws.receive() == "tls h2"
            assert (await client.get(server.url + "/ok")).http_version == "HTTP/2"
        assert server.connections_opened == 1


async def test_a_send_cancelled_on_a_shut_window_sends_nothing_and_resets_only_its_stream() -> None:
    async with open_h2_server() as server:
        server.enable_connect_protocol = True
        server.grant_upload_window = False  # the tunnel's window runs out, forever

        @server.route("/sink")
        async def sink(exchange: H2Exchange) -> None:
            await exchange.respond(200)
            while await exchange.receive():
                pass

        async with trio_http.AsyncClient(http1=False, http2=True) as client:
            ws_url = server.url + "/sink"
            async with client.websocket(ws_url, compression=False, close_timeout=0.5) as ws:
                await ws.send_bytes(bytes(1024 * 1024))  # queued: the writer waits for window
                with trio.move_on_after(0.3) as scope:
                    await ws.send_bytes(bytes(1024 * 1024))  # waits for room, gives up
                assert scope.cancelled_caught
            assert ws.close_code == 1006  # the close handshake could not go out
            assert (await client.get(server.url + "/ok")).status_code == 200
        assert server.connections_opened == 1


async def test_a_connection_draining_as_the_tunnel_opens_is_not_an_internal_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GOAWAY arriving between the SETTINGS check and the CONNECT: the pool's
    # internal "send it elsewhere" signal must not reach the caller.
    from trio_http._transports._http2 import HTTP2Connection
    from trio_http._transports._http2_state import RetryableStreamError

    async def draining(*args: object, **kwargs: object) -> None:
        await trio.lowlevel.checkpoint()
        raise RetryableStreamError("the HTTP/2 connection received GOAWAY")

    monkeypatch.setattr(HTTP2Connection, "open_tunnel", draining)
    async with open_h2_server() as server:
        server.enable_connect_protocol = True
        async with trio_http.AsyncClient(http1=False, http2=True) as client:
            with pytest.raises(ConnectError, match=r"HTTP/1\.1 is disabled"):
                async with client.websocket(server.url + "/ws-echo"):
                    pass  # pragma: no cover


async def test_a_close_cancelled_while_the_peer_stays_silent_resets_only_its_stream() -> None:
    async with open_h2_server() as server:
        server.enable_connect_protocol = True

        @server.route("/mute")
        async def mute(exchange: H2Exchange) -> None:
            await exchange.respond(200)
            while await exchange.receive():  # reads the close frame, never answers
                pass

        async with trio_http.AsyncClient(http1=False, http2=True) as client:
            with trio.move_on_after(0.5) as scope:
                async with client.websocket(server.url + "/mute") as ws:
                    await ws.send_text("hello")
                    started = trio.current_time()
                # The close handshake waits for the peer's close frame...
            assert scope.cancelled_caught  # ...until the cancel ends it at once
            assert trio.current_time() - started < 1
            assert ws.close_code == 1006
            assert (await client.get(server.url + "/ok")).status_code == 200
        assert server.connections_opened == 1
