"""Interoperability with a real squid: forwarding in absolute form, CONNECT
tunnels, request bodies, and the blocking ``Session`` through the same proxy."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import proxies
import trio
import trustme
from conftest import make_server_ssl_context
from proxies import RealProxy
from server import TestServer, open_test_server
from threaded_server import serve_in_thread

import trio_http

squid = proxies.squid

LOG_WAIT = 5.0  # seconds for squid to write a finished transaction to its access log


def _proxy_url(proxy: RealProxy) -> str:
    return f"http://127.0.0.1:{proxy.port}"


def _log_lines(proxy: RealProxy, needle: str, count: int) -> list[str]:
    """The access log lines containing ``needle``, once at least ``count`` exist.

    squid logs a transaction when it ends (a tunnel: when it closes), a moment
    after the client may have seen the response, so this waits a little.
    """
    deadline = time.monotonic() + LOG_WAIT
    while True:
        lines = [line for line in proxy.log_text().splitlines() if needle in line]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def _assert_via_squid(request_via: str | None) -> None:
    assert request_via is not None
    assert "squid" in request_via


async def test_http_get_is_forwarded_by_squid_in_absolute_form(
    squid: RealProxy, server: TestServer
) -> None:
    url = server.url_for("/get?x=1")
    async with trio_http.AsyncClient(proxy=_proxy_url(squid), trust_env=False) as client:
        response = await client.get(url)
    assert response.status_code == 200
    assert response.json()["args"] == {"x": "1"}
    assert response.request is not None
    assert response.request.url == url
    # squid stamps both directions with its Via.
    _assert_via_squid(response.headers.get("via"))
    assert len(server.requests) == 1
    _assert_via_squid(server.requests[0].header("via"))
    # We sent the absolute form; squid turned it into origin form for the origin.
    assert server.requests[0].target == "/get?x=1"
    assert _log_lines(squid, f" GET {url} ", 1) != []


async def test_https_requests_share_one_connect_tunnel_through_squid(
    squid: RealProxy, tls_server: TestServer, ca_bundle: str
) -> None:
    async with trio_http.AsyncClient(
        proxy=_proxy_url(squid), verify=ca_bundle, trust_env=False
    ) as client:
        first = await client.get(tls_server.url_for("/get"))
        second = await client.post(tls_server.url_for("/anything"), json={"a": 1})
    assert first.status_code == 200
    assert second.status_code == 200
    assert second.json()["json"] == {"a": 1}
    # Inside the tunnel squid sees only TLS bytes: no Via anywhere.
    assert first.headers.get("via") is None
    assert tls_server.requests[0].header("via") is None
    assert tls_server.connections_opened == 1
    # Closing the client closed the tunnel, so squid has logged exactly one CONNECT.
    tunnels = _log_lines(squid, f" CONNECT 127.0.0.1:{tls_server.port} ", 1)
    assert len(tunnels) == 1
    assert "TCP_TUNNEL/200" in tunnels[0]


async def test_post_body_passes_through_squid_intact(squid: RealProxy, server: TestServer) -> None:
    body = bytes(range(256)) * 400  # 100 KiB, more than one read on every hop
    async with trio_http.AsyncClient(proxy=_proxy_url(squid), trust_env=False) as client:
        response = await client.post(
            server.url_for("/echo"), content=body, headers={"Content-Type": "application/x-test"}
        )
    assert response.status_code == 200
    assert response.content == body
    assert response.headers["content-type"] == "application/x-test"
    received = server.requests[0]
    assert received.method == "POST"
    assert received.body == body
    _assert_via_squid(received.header("via"))


async def test_streamed_post_body_without_length_passes_through_squid(
    squid: RealProxy, server: TestServer
) -> None:
    chunks = [b"first,", b"second,", b"third"]

    async def upload() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    async with trio_http.AsyncClient(proxy=_proxy_url(squid), trust_env=False) as client:
        response = await client.post(server.url_for("/anything"), content=upload())
    assert response.status_code == 200
    assert response.json()["data"] == "first,second,third"
    _assert_via_squid(server.requests[0].header("via"))


@contextmanager
def _serve_tls_in_thread(cert: trustme.LeafCert) -> Iterator[TestServer]:
    """An HTTPS test server on a thread of its own, for blocking clients."""
    ready = threading.Event()
    started: list[tuple[TestServer, trio.lowlevel.TrioToken, trio.Event]] = []

    async def main() -> None:
        async with open_test_server(make_server_ssl_context(cert)) as running:
            stop = trio.Event()
            started.append((running, trio.lowlevel.current_trio_token(), stop))
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=trio.run, args=(main,), daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("TLS test server thread did not start")
    running, token, stop = started[0]
    try:
        yield running
    finally:
        token.run_sync_soon(stop.set)
        thread.join(10)


def test_blocking_session_uses_squid_for_http_and_https(
    squid: RealProxy, server_cert: trustme.LeafCert, ca_bundle: str
) -> None:
    with (
        serve_in_thread() as plain,
        _serve_tls_in_thread(server_cert) as secure,
        trio_http.Session() as session,
    ):
        session.trust_env = False
        session.verify = ca_bundle
        session.proxies = {"http": _proxy_url(squid), "https": _proxy_url(squid)}
        forwarded = session.get(plain.url_for("/get"))
        tunnelled = session.get(secure.url_for("/get"))
        assert forwarded.status_code == 200
        _assert_via_squid(forwarded.headers.get("via"))
        _assert_via_squid(plain.requests[-1].header("via"))
        assert tunnelled.status_code == 200
        assert tunnelled.json()["path"] == "/get"
        assert secure.requests[-1].header("via") is None
    # Both requests were squid's: the forwarded GET and the CONNECT to the TLS origin.
    assert _log_lines(squid, f" GET {plain.url_for('/get')} ", 1) != []
    assert len(_log_lines(squid, f" CONNECT 127.0.0.1:{secure.port} ", 1)) == 1
