"""WebSockets against real servers: hypercorn (HTTP/1.1 and HTTP/2), websockets, nginx.

The servers are the fixtures of ``ws_servers.py``. The first tests check
the servers themselves with the ``websockets`` package's own client (and a
bare h2 connection for hypercorn's RFC 8441 setting), so a failure in the
client tests below is the client's, not the fixture's.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest
import trio
from nginx import Nginx
from ws_servers import (  # noqa: F401 - fixtures
    SUBPROTOCOLS,
    WebSocketServer,
    hypercorn_ws,
    hypercorn_wss,
    nginx_ws,
    websockets_server,
)

import trio_http
from trio_http import AsyncClient

pytestmark = pytest.mark.nginx

ONE_MIB_TEXT = "".join(chr(0x41 + n % 26) for n in range(1024 * 1024))
ONE_MIB_BYTES = bytes(range(256)) * 4096

needs_client = pytest.mark.skipif(
    not hasattr(AsyncClient, "websocket"), reason="AsyncClient.websocket is not built yet"
)


@pytest.fixture
def wss(request: pytest.FixtureRequest) -> WebSocketServer:
    """hypercorn over TLS (``hypercorn_wss``)."""
    server: WebSocketServer = request.getfixturevalue("hypercorn_wss")
    return server


@pytest.fixture
def proxy(request: pytest.FixtureRequest) -> Nginx:
    """nginx proxying ``/ws/`` to the websockets server (``nginx_ws``)."""
    server: Nginx = request.getfixturevalue("nginx_ws")
    return server


# -- the fixtures themselves ------------------------------------------------------


def _sync_exchange(url: str, ca_bundle: str | None, **options: Any) -> list[Any]:
    from websockets.sync.client import connect

    context = None
    if url.startswith("wss:"):
        context = ssl.create_default_context(cafile=ca_bundle)
    with connect(url, ssl=context, open_timeout=10, **options) as connection:
        received: list[Any] = [connection.subprotocol]
        if url.endswith(("/subprotocol", "/info")):
            received.append(connection.recv(timeout=10))
        connection.send("ping?")
        received.append(connection.recv(timeout=10))
        return received


@pytest.mark.parametrize("server_name", ["hypercorn_ws", "hypercorn_wss", "websockets_server"])
async def test_fixture_servers_echo_and_choose_subprotocols(
    server_name: str, request: pytest.FixtureRequest
) -> None:
    server: WebSocketServer = request.getfixturevalue(server_name)
    echo = await trio.to_thread.run_sync(_sync_exchange, server.url + "/echo", server.ca_bundle)
    assert echo == [None, "ping?"]
    chosen = await trio.to_thread.run_sync(
        lambda: _sync_exchange(
            server.url + "/subprotocol", server.ca_bundle, subprotocols=["x", *SUBPROTOCOLS[::-1]]
        )
    )
    assert chosen == [SUBPROTOCOLS[0], SUBPROTOCOLS[0], "ping?"]


async def test_fixture_nginx_proxies_websockets(proxy: Nginx) -> None:
    url = f"ws://127.0.0.1:{proxy.http_port}/ws/info"
    _, info, echo = await trio.to_thread.run_sync(_sync_exchange, url, None)
    assert echo == "ping?"
    assert json.loads(info)["path"] == "/info"


async def test_hypercorn_over_h2_allows_extended_connect(wss: WebSocketServer) -> None:
    # RFC 8441 §3: the server opts in with SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.
    context = ssl.create_default_context(cafile=wss.ca_bundle)
    context.set_alpn_protocols(["h2"])
    with trio.fail_after(10):
        stream = await trio.open_ssl_over_tcp_stream("127.0.0.1", wss.port, ssl_context=context)
        async with stream:
            await stream.do_handshake()
            assert stream.selected_alpn_protocol() == "h2"
            connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
            connection.initiate_connection()
            await stream.send_all(connection.data_to_send())
            settings: dict[int, int] = {}
            while not settings:
                for event in connection.receive_data(await stream.receive_some()):
                    if isinstance(event, h2.events.RemoteSettingsChanged):
                        settings = {
                            int(code): change.new_value
                            for code, change in event.changed_settings.items()
                        }
    assert settings[h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL] == 1


# -- trio_http's client -------------------------------------------------------------


@dataclass
class Endpoint:
    """A server, and whether the client is to reach it over HTTP/2."""

    url: str
    ca_bundle: str | None
    http2: bool = False

    @property
    def http_version(self) -> str:
        return "HTTP/2" if self.http2 else "HTTP/1.1"


@pytest.fixture(params=["hypercorn_ws", "hypercorn_wss", "hypercorn_wss/h2", "websockets_server"])
def server(request: pytest.FixtureRequest) -> Endpoint:
    name, _, protocol = request.param.partition("/")
    running: WebSocketServer = request.getfixturevalue(name)
    return Endpoint(running.url, running.ca_bundle, http2=protocol == "h2")


def _client(server: Endpoint | WebSocketServer, **options: Any) -> AsyncClient:
    options.setdefault("http2", isinstance(server, Endpoint) and server.http2)
    return AsyncClient(verify=server.ca_bundle or True, timeout=10, **options)


@needs_client
async def test_echo_text_and_bytes(server: Endpoint) -> None:
    async with _client(server) as client:
        async with client.websocket(server.url + "/echo") as ws:
            await ws.send_text("héllo")
            assert await ws.receive() == "héllo"
            await ws.send_bytes(b"\x00\x01\xff")
            assert await ws.receive() == b"\x00\x01\xff"
            await ws.send("either")
            assert await ws.receive_text() == "either"
            assert ws.http_version == server.http_version
            assert ws.response.status_code == (200 if server.http2 else 101)


@needs_client
async def test_one_mib_messages_both_ways(server: Endpoint) -> None:
    async with _client(server) as client:
        async with client.websocket(server.url + "/echo") as ws:
            await ws.send_text(ONE_MIB_TEXT)
            assert await ws.receive_text() == ONE_MIB_TEXT
            await ws.send_bytes(ONE_MIB_BYTES)
            assert await ws.receive_bytes() == ONE_MIB_BYTES


@needs_client
async def test_subprotocol_is_negotiated(server: Endpoint) -> None:
    async with _client(server) as client:
        offered = ["unknown", SUBPROTOCOLS[1], SUBPROTOCOLS[0]]
        async with client.websocket(server.url + "/subprotocol", subprotocols=offered) as ws:
            assert ws.subprotocol == SUBPROTOCOLS[0]
            assert await ws.receive_text() == SUBPROTOCOLS[0]
        async with client.websocket(server.url + "/subprotocol") as ws:
            assert ws.subprotocol is None
            assert await ws.receive_text() == ""


@needs_client
async def test_server_close_code_and_reason(server: Endpoint) -> None:
    async with _client(server) as client:
        async with client.websocket(server.url + "/close?code=4123&reason=bye+now") as ws:
            with pytest.raises(trio_http.WebSocketClosed) as caught:
                await ws.receive()
            assert (caught.value.code, caught.value.reason) == (4123, "bye now")
            assert (ws.close_code, ws.close_reason) == (4123, "bye now")


@needs_client
async def test_ping_waits_for_pong_and_client_close(server: Endpoint) -> None:
    async with _client(server) as client:
        async with client.websocket(server.url + "/echo") as ws:
            with trio.fail_after(10):
                await ws.ping(b"payload")
                await ws.ping()
            await ws.send_text("after ping")
            assert await ws.receive() == "after ping"
            await ws.close(1000, "done")
            assert ws.close_code == 1000
            with pytest.raises(trio_http.WebSocketClosed):
                await ws.send_text("too late")


@needs_client
async def test_user_headers_reach_the_server(server: Endpoint) -> None:
    async with _client(server) as client:
        async with client.websocket(server.url + "/info", headers={"X-Probe": "42"}) as ws:
            info = json.loads(await ws.receive_text())
            assert ["x-probe", "42"] in info["headers"]


@needs_client
async def test_iteration_yields_messages_and_can_stop_early(server: Endpoint) -> None:
    async with _client(server) as client:
        async with client.websocket(server.url + "/echo") as ws:
            for n in range(4):
                await ws.send_text(str(n))
            seen = []
            # Leaving the loop early must leave nothing behind to be
            # finalized later (an unfinished async generator would be).
            async for message in ws:
                seen.append(message)
                if len(seen) == 3:
                    break
            assert seen == ["0", "1", "2"]
            assert await ws.receive() == "3"


@needs_client
async def test_permessage_deflate_is_negotiated_with_websockets_server(
    request: pytest.FixtureRequest,
) -> None:
    server: WebSocketServer = request.getfixturevalue("websockets_server")
    url = server.url + "/echo"
    async with _client(server) as client:
        async with client.websocket(url) as ws:
            extensions = ws.response.headers.get("sec-websocket-extensions", "")
            assert extensions.startswith("permessage-deflate")
            await ws.send_text(ONE_MIB_TEXT)
            assert await ws.receive_text() == ONE_MIB_TEXT
        async with client.websocket(url, compression=False) as ws:
            assert "sec-websocket-extensions" not in ws.response.headers
            await ws.send_bytes(ONE_MIB_BYTES)
            assert await ws.receive_bytes() == ONE_MIB_BYTES


@needs_client
async def test_wss_with_trustme_certificate(wss: WebSocketServer) -> None:
    async with _client(wss) as client:
        async with client.websocket(wss.url + "/echo") as ws:
            await ws.send_text("secure")
            assert await ws.receive() == "secure"
    # An https:// URL is the same endpoint.
    https = wss.url.replace("wss://", "https://")
    async with _client(wss) as client:
        async with client.websocket(https + "/echo") as ws:
            await ws.send_bytes(b"secure")
            assert await ws.receive() == b"secure"


@needs_client
async def test_untrusted_certificate_is_refused(wss: WebSocketServer) -> None:
    async with AsyncClient(timeout=10) as client:
        with pytest.raises(trio_http.SSLError):
            async with client.websocket(wss.url + "/echo"):
                pass


@needs_client
async def test_hypercorn_over_http2_uses_extended_connect(wss: WebSocketServer) -> None:
    async with _client(wss, http2=True) as client:
        first = await client.get(wss.url.replace("wss://", "https://") + "/plain")
        assert first.http_version == "HTTP/2"
        async with client.websocket(wss.url + "/info") as ws:
            assert ws.http_version == "HTTP/2"
            info = json.loads(await ws.receive_text())
            assert info["http_version"] == "2"
            await ws.send_bytes(ONE_MIB_BYTES)
            assert await ws.receive_bytes() == ONE_MIB_BYTES
            # Ordinary requests share the connection while the socket is open.
            during = await client.get(wss.url.replace("wss://", "https://") + "/plain")
            assert during.http_version == "HTTP/2"
            assert during.status_code == 404
            await ws.send_text("still here")
            assert await ws.receive() == "still here"
        after = await client.get(wss.url.replace("wss://", "https://") + "/plain")
        assert after.status_code == 404


@needs_client
@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_nginx_proxies_to_websockets_server(proxy: Nginx, scheme: str) -> None:
    base = proxy.http_url if scheme == "http" else proxy.https_url
    url = base.replace("http", "ws", 1) + "/ws/info"
    async with AsyncClient(verify=str(proxy.ca_bundle), timeout=10) as client:
        async with client.websocket(url) as ws:
            info = json.loads(await ws.receive_text())
            assert info["path"] == "/info"
            await ws.send_bytes(ONE_MIB_BYTES)
            assert await ws.receive_bytes() == ONE_MIB_BYTES
            await ws.ping()


@needs_client
async def test_nginx_over_http2_falls_back_to_http11(proxy: Nginx) -> None:
    # nginx speaks HTTP/2 on its TLS port but does not allow extended CONNECT.
    url = proxy.https_url.replace("https", "wss", 1) + "/ws/echo"
    async with AsyncClient(verify=str(proxy.ca_bundle), http2=True, timeout=10) as client:
        r = await client.get(proxy.https_url + "/ok")
        assert r.http_version == "HTTP/2"
        async with client.websocket(url) as ws:
            assert ws.http_version == "HTTP/1.1"
            await ws.send_text("via nginx")
            assert await ws.receive() == "via nginx"


@needs_client
async def test_refused_handshake_carries_the_response(proxy: Nginx) -> None:
    # /ok is no WebSocket endpoint: nginx answers 200 to the upgrade request.
    url = proxy.http_url.replace("http", "ws", 1) + "/ok"
    async with AsyncClient(timeout=10) as client:
        with pytest.raises(trio_http.WebSocketHandshakeError) as caught:
            async with client.websocket(url):
                pass
    assert caught.value.response.status_code == 200


@needs_client
async def test_many_websockets_share_one_http2_connection(wss: WebSocketServer) -> None:
    base = wss.url.replace("wss://", "https://")
    async with _client(wss, http2=True) as client:
        await client.get(base + "/plain")

        async def chat(n: int) -> None:
            async with client.websocket(wss.url + "/echo") as ws:
                assert ws.http_version == "HTTP/2"
                for i in range(20):
                    await ws.send_text(f"{n}:{i}")
                    assert await ws.receive() == f"{n}:{i}"

        async with trio.open_nursery() as nursery:
            for n in range(8):
                nursery.start_soon(chat, n)
            for _ in range(8):
                nursery.start_soon(client.get, base + "/plain")


@needs_client
@pytest.mark.parametrize("http2", [False, True], ids=["http1.1", "http2"])
async def test_cancelled_receive_then_client_keeps_working(
    wss: WebSocketServer, http2: bool
) -> None:
    base = wss.url.replace("wss://", "https://")
    async with _client(wss, http2=http2) as client:
        with trio.fail_after(10):
            with trio.move_on_after(0.3) as waited:
                async with client.websocket(wss.url + "/echo") as ws:
                    await ws.receive()  # the echo server never speaks first
            assert waited.cancelled_caught
            response = await client.get(base + "/plain")
            assert response.status_code == 404
            assert response.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
            async with client.websocket(wss.url + "/echo") as ws:
                await ws.send_text("after cancel")
                assert await ws.receive() == "after cancel"
