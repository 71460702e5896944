"""Urllib3Transport: requests sent by urllib3 in worker threads, policy in the client."""

from __future__ import annotations

import hashlib
import http.client
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import pytest
import trio

import trio_http
from trio_http import Timeouts
from trio_http._deadlines import Deadlines

pytest.importorskip("urllib3")

import urllib3.exceptions as u3
from server import RawReader, ServerRequest, TestServer, pattern_bytes

from trio_http._transports._urllib3 import (
    READ_CHUNK,
    Urllib3Transport,
    _Exchange,
    _tls_settings,
    _translate,
)


def make_client(**kwargs: Any) -> trio_http.AsyncClient:
    return trio_http.AsyncClient(transport=Urllib3Transport(**kwargs))


async def test_get_returns_json_through_urllib3(server: TestServer) -> None:
    async with make_client() as client:
        response = await client.get(server.url_for("/get"), params={"q": "x"})
    assert response.status_code == 200
    assert response.http_version == "HTTP/1.1"
    assert response.json()["args"] == {"q": "x"}
    assert server.requests[0].target == "/get?q=x"


async def test_post_json_sends_body_and_headers(server: TestServer) -> None:
    async with make_client() as client:
        response = await client.post(
            server.url_for("/anything"), json={"a": [1, 2]}, headers={"X-Extra": "yes"}
        )
    payload = response.json()
    assert payload["json"] == {"a": [1, 2]}
    received = server.requests[0]
    assert received.header("x-extra") == "yes"
    assert received.header("content-type") == "application/json"
    assert json.loads(received.body) == {"a": [1, 2]}


async def test_streamed_upload_is_sent_chunked_without_buffering(server: TestServer) -> None:
    parts = [b"a" * 1000, b"b" * 70_000, b"c"]

    async def produce() -> AsyncIterator[bytes]:
        for part in parts:
            await trio.sleep(0)
            yield part

    async with make_client() as client:
        response = await client.post(server.url_for("/upload"), content=produce())
    body = b"".join(parts)
    assert response.json() == {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    assert server.requests[0].header("transfer-encoding") == "chunked"


async def test_redirects_are_followed_by_the_client_not_urllib3(server: TestServer) -> None:
    async with make_client() as client:
        response = await client.get(server.url_for("/redirect/2"))
        unfollowed = await client.get(server.url_for("/redirect/1"), follow_redirects=False)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [302, 302]
    assert len(server.requests) == 4
    assert unfollowed.status_code == 302
    assert unfollowed.headers["Location"]


async def test_gzip_body_is_decoded_by_the_client(server: TestServer) -> None:
    async with make_client() as client:
        response = await client.get(server.url_for("/gzip"))
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.json()["gzipped"] is True


async def test_stream_yields_lines_as_they_arrive(server: TestServer) -> None:
    lines: list[str] = []
    async with make_client() as client, client.stream("GET", server.url_for("/stream/5")) as r:
        async for line in r.aiter_lines():
            lines.append(line)
    assert [json.loads(line)["id"] for line in lines if line] == [0, 1, 2, 3, 4]


async def test_repeated_set_cookie_headers_stay_separate(server: TestServer) -> None:
    async with make_client() as client:
        response = await client.get(server.url_for("/cookies/set?a=1&b=2"))
        assert response.json() == {"cookies": {"a": "1", "b": "2"}}
        first_hop = response.history[0]
        assert len(first_hop.headers.get_list("Set-Cookie")) == 2
        assert client.cookies["b"] == "2"


async def test_https_with_ca_bundle(tls_server: TestServer, ca_bundle: str) -> None:
    async with make_client(verify=ca_bundle) as client:
        response = await client.get(tls_server.url_for("/get"))
    assert response.status_code == 200
    assert response.url.scheme == "https"


async def test_https_with_ssl_context(tls_server: TestServer, client_ssl_context: Any) -> None:
    async with make_client(verify=client_ssl_context) as client:
        response = await client.get(tls_server.url_for("/get"))
    assert response.status_code == 200


async def test_https_without_the_ca_is_rejected(tls_server: TestServer) -> None:
    async with make_client() as client:
        with pytest.raises(trio_http.SSLError) as info:
            await client.get(tls_server.url_for("/get"))
    assert info.value.request is not None


async def test_https_with_verify_false_skips_verification_and_warns(
    tls_server: TestServer,
) -> None:
    async with make_client(verify=False) as client:
        # urllib3's warning, as requests users know it.
        with pytest.warns(u3.InsecureRequestWarning):
            response = await client.get(tls_server.url_for("/get"))
    assert response.status_code == 200


async def test_read_timeout_raises_read_timeout(server: TestServer) -> None:
    async with make_client() as client:
        with pytest.raises(trio_http.ReadTimeout) as info:
            await client.get(server.url_for("/delay/5"), timeout=trio_http.Timeouts(5, read=0.2))
    assert info.value.request is not None
    assert str(info.value.request.url).endswith("/delay/5")


async def test_overall_deadline_raises_total_timeout(server: TestServer) -> None:
    async with make_client() as client:
        with trio.fail_after(3):
            with pytest.raises(trio_http.TotalTimeout):
                await client.get(
                    server.url_for("/delay/5"), timeout=trio_http.Timeouts(5, total=0.2)
                )
        response = await client.get(server.url_for("/get"))
    assert response.status_code == 200


async def test_connection_refused_raises_connect_error() -> None:
    listener = trio.socket.socket()
    await listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens on the port any more
    async with make_client() as client:
        with pytest.raises(trio_http.ConnectError) as info:
            await client.get(f"http://127.0.0.1:{port}/")
    assert not isinstance(info.value, trio_http.Timeout)
    assert info.value.request is not None


async def test_complete_read_returns_the_connection_for_reuse(server: TestServer) -> None:
    async with make_client() as client:
        for _ in range(3):
            response = await client.get(server.url_for("/bytes/1000"))
            assert response.content == pattern_bytes(1000)
    assert server.connections_opened == 1


async def test_early_close_of_streamed_response_releases_it(server: TestServer) -> None:
    size = 4 * 1024 * 1024
    async with make_client(pool_maxsize=1) as client:
        async with client.stream("GET", server.url_for(f"/bytes/{size}")) as response:
            async with aclosing(response.aiter_raw()) as chunks:
                async for chunk in chunks:
                    assert 0 < len(chunk) <= READ_CHUNK
                    break
        follow_up = await client.get(server.url_for("/get"))
    assert follow_up.status_code == 200
    # The half-read connection was closed, not reused for the next request.
    assert server.connections_opened == 2


async def test_cancelled_request_leaves_the_transport_usable(server: TestServer) -> None:
    async with make_client() as client:
        with trio.move_on_after(0.2) as scope:
            await client.get(server.url_for("/delay/5"))
        assert scope.cancelled_caught
        response = await client.get(server.url_for("/get"))
    assert response.status_code == 200


async def test_cancelled_streamed_upload_ends_the_worker_thread(server: TestServer) -> None:
    async def stalls() -> AsyncIterator[bytes]:
        yield b"first part"
        await trio.sleep(30)
        yield b"never sent"

    # One worker thread at most: the next request needs the abandoned
    # upload's thread to have ended.
    async with make_client(limiter=trio.CapacityLimiter(1)) as client:
        with trio.move_on_after(0.2) as scope:
            await client.post(server.url_for("/upload"), content=stalls())
        assert scope.cancelled_caught
        with trio.fail_after(5):
            follow_up = await client.get(server.url_for("/get"))
    assert follow_up.status_code == 200
    assert [r.target for r in server.requests] == ["/get"]


async def test_cancelled_body_read_is_interrupted_promptly(server: TestServer) -> None:
    @server.route("/hang")
    async def hang(request: ServerRequest, respond: Any) -> None:
        await respond.start(200, [("Content-Length", "10")])
        await respond.send(b"12345")
        await trio.sleep(30)

    # One worker thread at most: the next request needs the abandoned reader
    # to have ended, which the 60 s default read timeout alone would not do.
    async with make_client(limiter=trio.CapacityLimiter(1)) as client:
        async with client.stream("GET", server.url_for("/hang")) as response:
            with trio.move_on_after(0.2) as scope:
                await response.aread()
            assert scope.cancelled_caught
        with trio.fail_after(5):
            follow_up = await client.get(server.url_for("/get"))
    assert follow_up.status_code == 200


async def test_truncated_body_raises_chunked_encoding_error(raw_server: TestServer) -> None:
    async def raw(stream: trio.abc.Stream) -> None:
        await RawReader(stream).receive_request()
        await stream.send_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a few")
        await stream.aclose()

    raw_server.raw_handler = raw
    async with make_client() as client:
        with pytest.raises(trio_http.ChunkedEncodingError) as info:
            await client.get(raw_server.url_for("/short"))
    assert info.value.request is not None


async def test_malformed_status_line_raises_remote_protocol_error(
    raw_server: TestServer,
) -> None:
    async def raw(stream: trio.abc.Stream) -> None:
        await RawReader(stream).receive_request()
        await stream.send_all(b"NOT HTTP AT ALL\r\n\r\n")
        await stream.aclose()

    raw_server.raw_handler = raw
    async with make_client() as client:
        with pytest.raises(trio_http.RemoteProtocolError):
            await client.get(raw_server.url_for("/"))


def test_abandoned_exchange_closes_a_late_response() -> None:
    class FakeResponse:
        closed = released = False

        def close(self) -> None:
            self.closed = True

        def release_conn(self) -> None:
            self.released = True

    late = FakeResponse()
    exchange = _Exchange(lambda: late)
    exchange.abandon()
    assert exchange.run() is None
    assert late.closed and late.released

    handed_over = FakeResponse()
    exchange = _Exchange(lambda: handed_over)
    assert exchange.run() is handed_over
    exchange.abandon()  # cancelled just after the thread handed it over
    assert handed_over.closed and handed_over.released


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (u3.NewConnectionError(None, "refused"), trio_http.ConnectError),  # type: ignore[arg-type]
        (u3.ConnectTimeoutError("slow"), trio_http.ConnectTimeout),
        (u3.ReadTimeoutError(None, "/", "slow"), trio_http.ReadTimeout),  # type: ignore[arg-type]
        (u3.SSLError("bad cert"), trio_http.SSLError),
        (u3.ProxyError("refused", OSError()), trio_http.ProxyError),
        (
            u3.ProtocolError("broken", http.client.IncompleteRead(b"ab", 10)),
            trio_http.ChunkedEncodingError,
        ),
        (u3.ProtocolError("aborted", ConnectionResetError()), trio_http.ReadError),
        (
            u3.ProtocolError("aborted", http.client.RemoteDisconnected("gone")),
            trio_http.ReadError,
        ),
        (
            u3.ProtocolError("bad", http.client.BadStatusLine("xx")),
            trio_http.RemoteProtocolError,
        ),
        (
            u3.MaxRetryError(None, "/", u3.NewConnectionError(None, "refused")),  # type: ignore[arg-type]
            trio_http.ConnectError,
        ),
        (u3.LocationValueError("no host"), trio_http.InvalidURL),
    ],
)
def test_urllib3_errors_translate_into_the_trio_http_tree(
    error: Exception, expected: type[Exception]
) -> None:
    request = trio_http.Request("GET", "http://example.invalid/")
    translated = _translate(error, request, "testing")
    assert type(translated) is expected
    assert translated.request is request


def test_foreign_errors_are_not_translated() -> None:
    request = trio_http.Request("GET", "http://example.invalid/")
    assert _translate(TypeError("body"), request, "testing") is None


def _comparable(response: trio_http.Response) -> tuple[Any, ...]:
    headers = [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() != "date"]
    body: Any = response.content
    if body and response.headers.get("Content-Type", "").startswith("application/json"):
        # The echoed request headers may come in another order; their set must not.
        body = response.json()
    return (
        response.status_code,
        response.reason_phrase,
        sorted(headers),
        body,
        [r.status_code for r in response.history],
    )


async def test_native_and_urllib3_transports_agree(server: TestServer) -> None:
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/get?a=1&a=2", {}),
        ("POST", "/anything", {"json": {"k": "v"}}),
        ("PUT", "/echo", {"content": b"raw bytes", "headers": {"Content-Type": "x/y"}}),
        ("GET", "/gzip", {}),
        ("GET", "/deflate", {}),
        ("GET", "/stream/3", {}),
        ("GET", "/bytes/200000", {}),
        ("GET", "/status/404", {}),
        ("HEAD", "/get", {}),
        ("GET", "/redirect/2", {}),
        ("GET", "/cookies/set?x=1&y=2", {}),
        ("GET", "/response-headers?X-A=1&X-A=2", {}),
    ]
    results: list[list[tuple[Any, ...]]] = []
    for client in (trio_http.AsyncClient(), make_client()):
        async with client:
            results.append(
                [
                    _comparable(await client.request(method, server.url_for(path), **kwargs))
                    for method, path, kwargs in calls
                ]
            )
    native, urllib3_results = results
    for call, left, right in zip(calls, native, urllib3_results, strict=True):
        assert left == right, call


def test_importing_the_module_does_not_import_urllib3() -> None:
    code = (
        "import sys, trio_http._transports._urllib3; sys.exit(1 if 'urllib3' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_tls_settings_map_verify_and_cert(tmp_path: Any, ca_bundle: str) -> None:
    assert _tls_settings(False, None) == {"cert_reqs": "CERT_NONE"}
    assert _tls_settings(ca_bundle, ("c.pem", "k.pem", "pw")) == {
        "cert_reqs": "CERT_REQUIRED",
        "ca_certs": ca_bundle,
        "cert_file": "c.pem",
        "key_file": "k.pem",
        "key_password": "pw",
    }
    assert _tls_settings(tmp_path, "both.pem") == {
        "cert_reqs": "CERT_REQUIRED",
        "ca_cert_dir": str(tmp_path),
        "cert_file": "both.pem",
    }
    assert _tls_settings(True, None)["ca_certs"].endswith(".pem")


async def test_client_certificate_is_presented(
    tls_server: TestServer, ca: Any, ca_bundle: str, tmp_path: Any
) -> None:
    # The server does not ask for one; this proves urllib3 accepts the pair.
    leaf = ca.issue_cert("client.example")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    async with make_client(verify=ca_bundle, cert=(str(cert), str(key))) as client:
        response = await client.get(tls_server.url_for("/get"))
    assert response.status_code == 200


async def test_transport_alone_enforces_the_overall_deadline(server: TestServer) -> None:
    async with Urllib3Transport() as transport:
        # Used alone, the transport starts the overall deadline itself.
        request = trio_http.Request(
            "GET", server.url_for("/delay/5"), extensions={"timeout": Timeouts(total=0.2)}
        )
        with trio.fail_after(3), pytest.raises(trio_http.TotalTimeout):
            await transport.handle_async_request(request)
        assert request.deadlines is not None
        request.deadlines = Deadlines(Timeouts(total=1), trio.current_time() - 1)
        with pytest.raises(trio_http.TotalTimeout):
            await transport.handle_async_request(request)
