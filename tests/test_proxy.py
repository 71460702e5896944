"""HTTP and HTTPS proxies: tinyproxy for real forwarding and CONNECT, an
in-process CONNECT proxy for TLS to the proxy and exact request heads."""

from __future__ import annotations

import proxies
import pytest
import trustme
from conftest import make_server_ssl_context
from proxies import PROXY_PASSWORD, PROXY_USER, RealProxy, open_connect_proxy
from server import TestServer

import trio_http
from trio_http._exceptions import InvalidProxyURL, ProxyError
from trio_http._proxy_config import Proxy
from trio_http._transports._default import open_proxy_transport
from trio_http._transports._proxy import ProxyTransport

tinyproxy = proxies.tinyproxy
tinyproxy_auth = proxies.tinyproxy_auth


def _proxy_url(proxy: RealProxy, auth: bool = False) -> str:
    credentials = f"{PROXY_USER}:{PROXY_PASSWORD}@" if auth else ""
    return f"http://{credentials}127.0.0.1:{proxy.port}"


async def test_http_request_is_forwarded_by_tinyproxy_in_absolute_form(
    tinyproxy: RealProxy, server: TestServer
) -> None:
    async with trio_http.AsyncClient(proxy=_proxy_url(tinyproxy), trust_env=False) as client:
        response = await client.get(server.url_for("/get?x=1"))
    assert response.status_code == 200
    assert response.json()["args"] == {"x": "1"}
    assert response.request.url == server.url_for("/get?x=1")
    # The origin got the request from the proxy, not from us directly.
    assert len(server.requests) == 1
    assert "tinyproxy" in (server.requests[0].header("via") or "")


async def test_https_request_tunnels_through_tinyproxy_connect(
    tinyproxy: RealProxy, tls_server: TestServer, ca_bundle: str
) -> None:
    async with trio_http.AsyncClient(
        proxy=_proxy_url(tinyproxy), verify=ca_bundle, trust_env=False
    ) as client:
        first = await client.get(tls_server.url_for("/get"))
        second = await client.post(tls_server.url_for("/anything"), json={"a": 1})
    assert first.status_code == 200
    assert second.json()["json"] == {"a": 1}
    # Both requests went over one tunnel: the proxied connection is pooled.
    assert tls_server.connections_opened == 1


async def test_proxy_credentials_reach_tinyproxy_but_not_the_origin(
    tinyproxy_auth: RealProxy, server: TestServer, tls_server: TestServer, ca_bundle: str
) -> None:
    async with trio_http.AsyncClient(
        proxy=_proxy_url(tinyproxy_auth, auth=True), verify=ca_bundle, trust_env=False
    ) as client:
        plain = await client.get(server.url_for("/get"))
        tunnelled = await client.get(tls_server.url_for("/get"))
    assert plain.status_code == 200
    assert tunnelled.status_code == 200
    for request in server.requests + tls_server.requests:
        assert request.header("proxy-authorization") is None


async def test_wrong_proxy_credentials_return_refusal_for_http_raise_proxy_error_for_https(
    tinyproxy_auth: RealProxy, server: TestServer, tls_server: TestServer, ca_bundle: str
) -> None:
    async with trio_http.AsyncClient(
        proxy=f"http://{PROXY_USER}:wrong@127.0.0.1:{tinyproxy_auth.port}",
        verify=ca_bundle,
        trust_env=False,
    ) as client:
        plain = await client.get(server.url_for("/get"))
        with pytest.raises(ProxyError) as caught:
            await client.get(tls_server.url_for("/get"))
    # tinyproxy answers a forwarded request with 401 (others use 407): a response either way.
    assert plain.status_code in (401, 407)
    assert caught.value.response is not None
    assert caught.value.response.status_code in (401, 407)
    assert caught.value.request is not None
    assert server.requests == [] and tls_server.requests == []


async def test_redirect_to_a_direct_origin_carries_no_proxy_credentials(
    tinyproxy_auth: RealProxy, server: TestServer, tls_server: TestServer, ca_bundle: str
) -> None:
    # http:// goes through the proxy; https:// is mounted direct.
    direct = trio_http.ConnectionPool(verify=ca_bundle)
    target = tls_server.url_for("/get")
    async with trio_http.AsyncClient(
        proxy=_proxy_url(tinyproxy_auth, auth=True),
        mounts={"https://": direct},
        trust_env=False,
    ) as client:
        response = await client.get(server.url_for(f"/redirect-to?url={target}"))
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [302]
    assert "proxy-authorization" not in {k.lower() for k in response.request.headers}
    assert tls_server.requests[0].header("proxy-authorization") is None


async def test_https_proxy_carries_tls_to_the_origin_inside_tls(
    tls_server: TestServer, server_cert: trustme.LeafCert, ca_bundle: str
) -> None:
    async with open_connect_proxy(make_server_ssl_context(server_cert)) as proxy:
        async with trio_http.AsyncClient(
            proxy=Proxy(proxy.url, auth=("u", "p")), verify=ca_bundle, trust_env=False
        ) as client:
            response = await client.get(tls_server.url_for("/get"))
    assert response.status_code == 200
    head = proxy.heads[0]
    assert head.startswith(f"CONNECT 127.0.0.1:{tls_server.port} HTTP/1.1\r\n".encode())
    assert b"Proxy-Authorization: Basic dTpw\r\n" in head
    assert tls_server.requests[0].header("proxy-authorization") is None


async def test_proxy_refusing_connect_raises_proxy_error_with_its_status(
    tls_server: TestServer, ca_bundle: str
) -> None:
    async with open_connect_proxy() as proxy:
        proxy.reply = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"
        async with trio_http.AsyncClient(proxy=proxy.url, verify=ca_bundle) as client:
            with pytest.raises(ProxyError, match="403") as caught:
                await client.get(tls_server.url_for("/get"))
    assert caught.value.response is not None
    assert caught.value.response.status_code == 403
    assert tls_server.requests == []


async def test_unreachable_proxy_raises_proxy_error() -> None:
    async with trio_http.AsyncClient(proxy="http://127.0.0.1:1", trust_env=False) as client:
        with pytest.raises(ProxyError, match="could not connect to proxy"):
            await client.get("http://127.0.0.1:9/")


async def test_proxied_and_direct_connections_to_one_origin_never_mix(
    tls_server: TestServer, ca_bundle: str
) -> None:
    async with open_connect_proxy() as proxy:
        async with trio_http.AsyncClient(
            mounts={"https://127.0.0.1": ProxyTransport(proxy.url, verify=ca_bundle)},
            verify=ca_bundle,
            trust_env=False,
        ) as client:
            await client.get(tls_server.url_for("/get"))
            await client.get(f"https://localhost:{tls_server.port}/get")
            await client.get(tls_server.url_for("/get"))
    # One tunnel for 127.0.0.1 (reused), one direct connection for localhost.
    assert len(proxy.heads) == 1
    assert tls_server.connections_opened == 2


async def test_proxy_headers_go_only_to_the_proxy(tls_server: TestServer, ca_bundle: str) -> None:
    async with open_connect_proxy() as proxy:
        chosen = Proxy(proxy.url, headers={"X-Proxy-Token": "t0"})
        async with trio_http.AsyncClient(proxy=chosen, verify=ca_bundle) as client:
            await client.get(tls_server.url_for("/get"))
    assert b"X-Proxy-Token: t0\r\n" in proxy.heads[0]
    assert tls_server.requests[0].header("x-proxy-token") is None


def test_socks_url_is_refused_by_the_http_proxy_transport() -> None:
    with pytest.raises(InvalidProxyURL, match="SOCKS"):
        ProxyTransport("socks5://127.0.0.1:1080")


def test_open_proxy_transport_picks_the_transport_by_scheme() -> None:
    from trio_http._transports._socks import SocksTransport

    assert isinstance(open_proxy_transport("http://p:3128"), ProxyTransport)
    assert isinstance(open_proxy_transport("socks5h://p"), SocksTransport)


def test_proxy_true_is_rejected() -> None:
    with pytest.raises(TypeError):
        trio_http.AsyncClient(proxy=True)


async def test_requests_style_proxy_mapping_routes_by_scheme_and_no_proxy(
    tinyproxy: RealProxy, server: TestServer
) -> None:
    proxies_map = {"http": _proxy_url(tinyproxy), "no_proxy": "localhost"}
    async with trio_http.AsyncClient(proxy=proxies_map, trust_env=False) as client:
        proxied = await client.get(server.url_for("/get"))
        direct = await client.get(f"http://localhost:{server.port}/get")
    assert proxied.status_code == direct.status_code == 200
    assert "tinyproxy" in (server.requests[0].header("via") or "")
    assert server.requests[1].header("via") is None


def test_blocking_session_sends_through_proxies(tinyproxy: RealProxy) -> None:
    from threaded_server import serve_in_thread

    with serve_in_thread() as live, trio_http.Session() as session:
        session.trust_env = False
        session.proxies = {"http": _proxy_url(tinyproxy)}
        response = session.get(live.url_for("/get"))
        assert response.status_code == 200
        assert "tinyproxy" in (live.requests[-1].header("via") or "")
        direct = session.get(live.url_for("/get"), proxies={"http": None})
        assert direct.status_code == 200
        assert live.requests[-1].header("via") is None
