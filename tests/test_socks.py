"""SOCKS proxies through a real dante server, plus scripted-proxy edge cases."""

from __future__ import annotations

import proxies
import pytest
import trio
from proxies import RealProxy
from server import TestServer

import trio_http
from trio_http._exceptions import InvalidProxyURL, ProxyError
from trio_http._transports._socks import SocksTransport

dante = proxies.dante


# dante speaks SOCKS4 but not SOCKS4a; socks4a is checked against a scripted proxy below.
@pytest.mark.parametrize("scheme", ["socks5", "socks5h", "socks4"])
async def test_http_request_through_dante(
    dante: RealProxy, server: TestServer, scheme: str
) -> None:
    async with trio_http.AsyncClient(
        proxy=f"{scheme}://127.0.0.1:{dante.port}", trust_env=False
    ) as client:
        response = await client.get(server.url_for("/get?via=socks"))
    assert response.status_code == 200
    assert response.json()["args"] == {"via": "socks"}
    # SOCKS tunnels bytes: the origin sees an origin-form request.
    assert server.requests[0].target == "/get?via=socks"


async def test_https_request_through_dante_socks5h_reuses_the_tunnel(
    dante: RealProxy, tls_server: TestServer, ca_bundle: str
) -> None:
    async with trio_http.AsyncClient(
        proxy=f"socks5h://127.0.0.1:{dante.port}", verify=ca_bundle, trust_env=False
    ) as client:
        first = await client.get(f"https://localhost:{tls_server.port}/get")
        second = await client.get(f"https://localhost:{tls_server.port}/get")
    assert first.status_code == second.status_code == 200
    assert tls_server.connections_opened == 1


async def test_socks_proxy_that_cannot_reach_the_origin_raises_proxy_error(
    dante: RealProxy,
) -> None:
    async with trio_http.AsyncClient(
        proxy=f"socks5://127.0.0.1:{dante.port}", trust_env=False
    ) as client:
        with pytest.raises(ProxyError, match=r"could not connect to 127\.0\.0\.1:9"):
            await client.get("http://127.0.0.1:9/")


async def _scripted_socks5(
    stream: trio.abc.Stream, replies: list[bytes], seen: list[bytes]
) -> None:
    for reply in replies:
        chunk = await stream.receive_some(1024)
        seen.append(bytes(chunk))
        await stream.send_all(reply)


async def test_socks5_username_and_password_are_sent_per_rfc_1929(raw_server: TestServer) -> None:
    seen: list[bytes] = []

    async def handler(stream: trio.abc.Stream) -> None:
        # method selection, then RFC 1929 auth, then a refused CONNECT.
        await _scripted_socks5(
            stream, [b"\x05\x02", b"\x01\x00", b"\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00"], seen
        )

    raw_server.raw_handler = handler
    transport = SocksTransport(f"socks5h://alice:s%40cret@127.0.0.1:{raw_server.port}")
    async with trio_http.AsyncClient(transport=transport) as client:
        with pytest.raises(ProxyError, match="connection refused"):
            await client.get("http://example.invalid/")
    assert seen[0] == b"\x05\x01\x02"
    assert seen[1] == b"\x01\x05alice\x06s@cret"
    assert seen[2] == b"\x05\x01\x00\x03\x0fexample.invalid\x00\x50"


async def test_socks5_rejected_credentials_raise_proxy_error(raw_server: TestServer) -> None:
    async def handler(stream: trio.abc.Stream) -> None:
        await _scripted_socks5(stream, [b"\x05\x02", b"\x01\x01"], [])

    raw_server.raw_handler = handler
    transport = SocksTransport(f"socks5://u:p@127.0.0.1:{raw_server.port}")
    async with trio_http.AsyncClient(transport=transport) as client:
        with pytest.raises(ProxyError, match="rejected the credentials"):
            await client.get("http://127.0.0.1:9/")


async def test_socks5_proxy_choosing_an_unoffered_method_raises_proxy_error(
    raw_server: TestServer,
) -> None:
    async def handler(stream: trio.abc.Stream) -> None:
        await _scripted_socks5(stream, [b"\x05\xff"], [])

    raw_server.raw_handler = handler
    transport = SocksTransport(f"socks5://127.0.0.1:{raw_server.port}")
    async with trio_http.AsyncClient(transport=transport) as client:
        with pytest.raises(ProxyError):
            await client.get("http://127.0.0.1:9/")


async def test_socks_proxy_closing_mid_handshake_raises_proxy_error(
    raw_server: TestServer,
) -> None:
    async def handler(stream: trio.abc.Stream) -> None:
        await stream.receive_some(1024)

    raw_server.raw_handler = handler
    transport = SocksTransport(f"socks4a://127.0.0.1:{raw_server.port}")
    async with trio_http.AsyncClient(transport=transport) as client:
        with pytest.raises(ProxyError, match="closed the connection"):
            await client.get("http://127.0.0.1:9/")


def test_http_url_is_refused_by_the_socks_transport() -> None:
    with pytest.raises(InvalidProxyURL):
        SocksTransport("http://127.0.0.1:3128")


async def test_socks4a_sends_the_host_name_for_the_proxy_to_resolve(
    raw_server: TestServer,
) -> None:
    seen: list[bytes] = []

    async def handler(stream: trio.abc.Stream) -> None:
        await _scripted_socks5(stream, [b"\x00\x5b\x00\x00\x00\x00\x00\x00"], seen)

    raw_server.raw_handler = handler
    transport = SocksTransport(f"socks4a://bob@127.0.0.1:{raw_server.port}")
    async with trio_http.AsyncClient(transport=transport) as client:
        with pytest.raises(ProxyError, match="rejected or failed"):
            await client.get("http://example.invalid:8080/")
    assert seen[0] == b"\x04\x01\x1f\x90\x00\x00\x00\xffbob\x00example.invalid\x00"
