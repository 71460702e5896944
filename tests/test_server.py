"""Tests of the test infrastructure itself, spoken to with bare Trio and h11."""

from __future__ import annotations

import gzip
import json
import ssl
import zlib
from collections.abc import Iterable

import h11
import pytest
import trio
import trio.testing
import trustme
from nginx import GZIP_TXT, ONE_MIB, SMALL_TXT, Nginx, established_connections
from server import (
    RawReader,
    Responder,
    ServerRequest,
    TestServer,
    open_test_server,
    pattern_bytes,
)


class H11Client:
    """A minimal keep-alive HTTP/1.1 client on one stream."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.conn = h11.Connection(h11.CLIENT)
        self.informational: list[h11.InformationalResponse] = []

    async def _send(self, event: h11.Event) -> None:
        data = self.conn.send(event)
        if data:
            await self.stream.send_all(data)

    async def _next(self) -> h11.Event:
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                self.conn.receive_data(await self.stream.receive_some(65536))
                continue
            assert not isinstance(event, type)
            return event

    async def request(
        self,
        method: str,
        target: str,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        *,
        wait_for_100: bool = False,
    ) -> tuple[h11.Response, bytes]:
        header_list = [("Host", "127.0.0.1"), *headers]
        if body or method in ("POST", "PUT"):
            header_list.append(("Content-Length", str(len(body))))
        await self._send(h11.Request(method=method, target=target, headers=header_list))
        if wait_for_100:
            event = await self._next()
            assert isinstance(event, h11.InformationalResponse)
            self.informational.append(event)
        if body:
            await self._send(h11.Data(data=body))
        await self._send(h11.EndOfMessage())
        while True:
            event = await self._next()
            if isinstance(event, h11.InformationalResponse):
                self.informational.append(event)
                continue
            assert isinstance(event, h11.Response), event
            response = event
            break
        content = bytearray()
        while True:
            event = await self._next()
            if isinstance(event, h11.Data):
                content += event.data
            else:
                assert isinstance(event, h11.EndOfMessage), event
                break
        if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
            self.conn.start_next_cycle()
        return response, bytes(content)


def header(response: h11.Response, name: str) -> str | None:
    for key, value in response.headers:
        if key == name.lower().encode():
            return value.decode("latin-1")
    return None


async def fetch(
    server: TestServer, method: str, target: str, **kwargs: object
) -> tuple[h11.Response, bytes]:
    async with await trio.open_tcp_stream(server.host, server.port) as stream:
        return await H11Client(stream).request(method, target, **kwargs)  # type: ignore[arg-type]


async def wait_until(predicate: object, timeout: float = 2.0) -> None:
    assert callable(predicate)
    with trio.fail_after(timeout):
        while not predicate():
            await trio.sleep(0.005)


# -- built-in endpoints --------------------------------------------------------


async def test_get_echoes_method_args_and_headers(server: TestServer) -> None:
    response, body = await fetch(server, "GET", "/get?a=1&a=2&b=x", headers=[("X-Test", "yes")])
    assert response.status_code == 200
    assert header(response, "content-type") == "application/json"
    payload = json.loads(body)
    assert payload["method"] == "GET"
    assert payload["args"] == {"a": ["1", "2"], "b": "x"}
    assert payload["headers"]["x-test"] == "yes"
    assert server.requests[0].target == "/get?a=1&a=2&b=x"


async def test_sequential_requests_reuse_one_connection(server: TestServer) -> None:
    async with await trio.open_tcp_stream(server.host, server.port) as stream:
        client = H11Client(stream)
        for index in range(10):
            response, _ = await client.request("GET", f"/get?i={index}")
            assert response.status_code == 200
        assert server.connections_open == 1
    assert server.connections_opened == 1
    assert [request.connection_id for request in server.requests] == [0] * 10
    await wait_until(lambda: server.connections_open == 0)


async def test_each_connection_is_counted(server: TestServer) -> None:
    for _ in range(3):
        await fetch(server, "GET", "/get")
    assert server.connections_opened == 3
    await wait_until(lambda: server.connections_open == 0)
    server.reset_counters()
    assert server.connections_opened == 0
    assert server.requests == []


async def test_concurrent_requests_raise_max_concurrent_requests(server: TestServer) -> None:
    async with trio.open_nursery() as nursery:
        for _ in range(3):
            nursery.start_soon(fetch, server, "GET", "/delay/0.2")
    assert server.max_concurrent_requests == 3
    assert server.in_flight == 0


async def test_echo_returns_the_body_with_its_content_type(server: TestServer) -> None:
    response, body = await fetch(
        server, "POST", "/echo", headers=[("Content-Type", "text/x-mine")], body=b"abc" * 1000
    )
    assert body == b"abc" * 1000
    assert header(response, "content-type") == "text/x-mine"
    assert server.requests[0].body == b"abc" * 1000


async def test_expect_100_continue_gets_an_interim_response(server: TestServer) -> None:
    async with await trio.open_tcp_stream(server.host, server.port) as stream:
        client = H11Client(stream)
        _, body = await client.request(
            "POST",
            "/upload",
            headers=[("Expect", "100-continue")],
            body=b"x" * 10,
            wait_for_100=True,
        )
    assert [event.status_code for event in client.informational] == [100]
    assert json.loads(body)["length"] == 10


async def test_anything_decodes_json_and_form_bodies(server: TestServer) -> None:
    _, body = await fetch(
        server,
        "PUT",
        "/anything/x",
        headers=[("Content-Type", "application/json")],
        body=b'{"a": 1}',
    )
    assert json.loads(body)["json"] == {"a": 1}
    _, body = await fetch(
        server,
        "POST",
        "/anything",
        headers=[("Content-Type", "application/x-www-form-urlencoded")],
        body=b"k=v&e=",
    )
    assert json.loads(body)["form"] == {"k": "v", "e": ""}


@pytest.mark.parametrize("code", [200, 201, 204, 304, 404, 418, 500, 503])
async def test_status_endpoint_returns_that_status(server: TestServer, code: int) -> None:
    response, body = await fetch(server, "GET", f"/status/{code}")
    assert response.status_code == code
    assert body == b""


async def test_status_3xx_and_401_carry_what_clients_follow(server: TestServer) -> None:
    response, _ = await fetch(server, "GET", "/status/307")
    assert header(response, "location") == "/get"
    response, _ = await fetch(server, "GET", "/status/401")
    assert header(response, "www-authenticate") == 'Basic realm="test"'


async def test_redirect_chain_counts_down_to_get(server: TestServer) -> None:
    response, _ = await fetch(server, "GET", "/redirect/3")
    assert (response.status_code, header(response, "location")) == (302, "/redirect/2")
    response, _ = await fetch(server, "GET", "/redirect/1")
    assert header(response, "location") == "/get"
    response, _ = await fetch(server, "GET", "/redirect/2?absolute=true")
    assert header(response, "location") == "http://127.0.0.1/redirect/1"


async def test_redirect_to_uses_given_url_and_status(server: TestServer) -> None:
    response, _ = await fetch(server, "GET", "/redirect-to?url=/bytes/3&status_code=308")
    assert (response.status_code, header(response, "location")) == (308, "/bytes/3")


async def test_bytes_sends_the_pattern_with_content_length(server: TestServer) -> None:
    response, body = await fetch(server, "GET", "/bytes/300000")
    assert body == pattern_bytes(300000)
    assert body[:3] == b"\x00\x01\x02"
    assert header(response, "content-length") == "300000"


async def test_stream_uses_chunked_encoding(server: TestServer) -> None:
    response, body = await fetch(server, "GET", "/stream/4")
    assert header(response, "transfer-encoding") == "chunked"
    assert [json.loads(line)["id"] for line in body.splitlines()] == [0, 1, 2, 3]


async def test_delay_sleeps_on_trio_time(
    server: TestServer, autojump_clock: trio.testing.MockClock
) -> None:
    start = trio.current_time()
    response, _ = await fetch(server, "GET", "/delay/30")
    assert response.status_code == 200
    assert trio.current_time() - start >= 30


async def test_cookies_set_then_echo(server: TestServer) -> None:
    response, _ = await fetch(server, "GET", "/cookies/set?a=1&b=two")
    assert response.status_code == 302
    assert header(response, "location") == "/cookies"
    cookies = [value for name, value in response.headers if name == b"set-cookie"]
    assert cookies == [b"a=1; Path=/", b"b=two; Path=/"]
    _, body = await fetch(server, "GET", "/cookies", headers=[("Cookie", "a=1; b=two")])
    assert json.loads(body) == {"cookies": {"a": "1", "b": "two"}}


async def test_gzip_and_deflate_bodies_decode_to_json(server: TestServer) -> None:
    response, body = await fetch(server, "GET", "/gzip")
    assert header(response, "content-encoding") == "gzip"
    assert json.loads(gzip.decompress(body))["gzipped"] is True
    response, body = await fetch(server, "GET", "/deflate")
    assert header(response, "content-encoding") == "deflate"
    assert json.loads(zlib.decompress(body))["deflated"] is True


async def test_brotli_and_zstd_bodies_decode_when_installed(server: TestServer) -> None:
    brotli = pytest.importorskip("brotli")
    zstandard = pytest.importorskip("zstandard")
    _, body = await fetch(server, "GET", "/brotli")
    assert json.loads(brotli.decompress(body))["path"] == "/brotli"
    _, body = await fetch(server, "GET", "/zstd")
    decoded = zstandard.ZstdDecompressor().decompress(body, max_output_size=1 << 20)
    assert json.loads(decoded)["path"] == "/zstd"


async def test_headers_and_response_headers(server: TestServer) -> None:
    _, body = await fetch(server, "GET", "/headers", headers=[("X-A", "1"), ("X-A", "2")])
    assert json.loads(body)["headers"]["x-a"] == "1, 2"
    response, _ = await fetch(server, "GET", "/response-headers?X-Custom=hi")
    assert header(response, "x-custom") == "hi"


async def test_text_is_encoded_in_the_requested_charset(server: TestServer) -> None:
    response, body = await fetch(server, "GET", "/text?charset=latin-1")
    assert header(response, "content-type") == "text/plain; charset=latin-1"
    assert body.decode("latin-1").startswith("Grüße")


async def test_basic_auth_accepts_only_the_right_credentials(server: TestServer) -> None:
    good = [("Authorization", "Basic dXNlcjpwYXNz")]  # user:pass
    response, body = await fetch(server, "GET", "/basic-auth/user/pass", headers=good)
    assert response.status_code == 200
    assert json.loads(body) == {"authenticated": True, "user": "user"}
    response, _ = await fetch(server, "GET", "/basic-auth/user/other", headers=good)
    assert response.status_code == 401


async def test_close_endpoint_closes_the_connection(server: TestServer) -> None:
    async with await trio.open_tcp_stream(server.host, server.port) as stream:
        client = H11Client(stream)
        response, body = await client.request("GET", "/close")
        assert header(response, "connection") == "close"
        assert body == b"closing"
        with trio.fail_after(2):
            assert await stream.receive_some(10) == b""


async def test_slow_body_stalls_after_part_of_the_body(server: TestServer) -> None:
    async with await trio.open_tcp_stream(server.host, server.port) as stream:
        await stream.send_all(b"GET /slow-body/5 HTTP/1.1\r\nHost: x\r\n\r\n")
        reader = RawReader(stream)
        head = await reader.receive_head()
        assert b"Content-Length: 10" in head
        assert await reader.receive_exactly(5) == b"xxxxx"
        with trio.move_on_after(0.2) as scope:
            await reader.receive_exactly(1)
        assert scope.cancelled_caught


async def test_drip_sends_bytes_over_time(
    server: TestServer, autojump_clock: trio.testing.MockClock
) -> None:
    start = trio.current_time()
    response, body = await fetch(server, "GET", "/drip?numbytes=4&duration=8&code=201")
    assert (response.status_code, body) == (201, b"****")
    assert trio.current_time() - start >= 8


async def test_unknown_path_is_404(server: TestServer) -> None:
    response, _ = await fetch(server, "GET", "/nope")
    assert response.status_code == 404


# -- custom handlers, errors -----------------------------------------------------


async def test_route_overrides_builtin_endpoints(server: TestServer) -> None:
    @server.route("/get")
    async def custom(request: ServerRequest, respond: Responder) -> None:
        await respond.start(200, [("X-Custom", "1")])
        await respond.send(b"a")
        await respond.send(b"b")
        await respond.end()

    response, body = await fetch(server, "GET", "/get")
    assert (header(response, "x-custom"), body) == ("1", b"ab")


async def test_handler_error_becomes_500_and_is_recorded(server: TestServer) -> None:
    async def broken(request: ServerRequest, respond: Responder) -> None:
        raise KeyError("boom")

    server.routes["/broken"] = broken
    response, _ = await fetch(server, "GET", "/broken")
    assert response.status_code == 500
    assert [type(error) for error in server.errors] == [KeyError]
    server.errors.clear()  # the fixture would fail the test otherwise


async def test_malformed_request_gets_400_and_is_recorded(server: TestServer) -> None:
    async with await trio.open_tcp_stream(server.host, server.port) as stream:
        await stream.send_all(b"GET / HTTP/1.1\r\nbad header line\r\n\r\n")
        reply = await RawReader(stream).receive_until_eof()
    assert reply.startswith(b"HTTP/1.1 400 ")
    assert len(server.protocol_errors) == 1


async def test_raw_handler_writes_exact_bytes(raw_server: TestServer) -> None:
    heads: list[bytes] = []

    async def raw(stream: trio.abc.Stream) -> None:
        reader = RawReader(stream)
        head, body = await reader.receive_request()
        heads.append(head)
        assert body == b"12345"
        await stream.send_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")

    raw_server.raw_handler = raw
    async with await trio.open_tcp_stream(raw_server.host, raw_server.port) as stream:
        await stream.send_all(b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n12345")
        reply = await RawReader(stream).receive_until_eof()
    assert reply == b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"
    assert heads[0].startswith(b"POST /x HTTP/1.1\r\n")
    assert raw_server.connections_opened == 1


async def test_raw_reader_reports_early_close() -> None:
    left, right = trio.testing.memory_stream_pair()
    await left.send_all(b"abc")
    await left.aclose()
    reader = RawReader(right)
    with pytest.raises(EOFError):
        await reader.receive_exactly(4)


async def test_server_stops_listening_when_the_block_ends() -> None:
    async with open_test_server() as running:
        port = running.port
        await fetch(running, "GET", "/get")
    with pytest.raises(OSError):
        await trio.open_tcp_stream("127.0.0.1", port)


async def test_server_cancels_stalled_handlers_on_exit() -> None:
    with trio.fail_after(5):
        async with open_test_server() as running:
            stream = await trio.open_tcp_stream(running.host, running.port)
            await stream.send_all(b"GET /slow-body/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            await RawReader(stream).receive_head()
        assert running.connections_open == 0
        await stream.aclose()


# -- TLS ---------------------------------------------------------------------------


async def open_tls(
    server: TestServer, context: ssl.SSLContext
) -> trio.SSLStream[trio.SocketStream]:
    tcp = await trio.open_tcp_stream(server.host, server.port)
    stream = trio.SSLStream(tcp, context, server_hostname="127.0.0.1", https_compatible=True)
    try:
        await stream.do_handshake()
    except BaseException:
        await trio.aclose_forcefully(stream)
        raise
    return stream


async def test_tls_server_serves_https(
    tls_server: TestServer, client_ssl_context: ssl.SSLContext
) -> None:
    assert tls_server.url.startswith("https://127.0.0.1:")
    client_ssl_context.set_alpn_protocols(["h2", "http/1.1"])
    stream = await open_tls(tls_server, client_ssl_context)
    async with stream:
        assert stream.selected_alpn_protocol() == "http/1.1"
        response, body = await H11Client(stream).request("GET", "/get")
    assert response.status_code == 200
    assert json.loads(body)["path"] == "/get"


async def test_tls_handshake_failure_is_counted(tls_server: TestServer) -> None:
    untrusting = ssl.create_default_context(cafile=None, capath=None)
    untrusting.load_verify_locations(cadata=trustme.CA().cert_pem.bytes().decode())
    with pytest.raises(trio.BrokenResourceError):
        await open_tls(tls_server, untrusting)
    await wait_until(lambda: tls_server.tls_handshake_failures == 1)
    assert tls_server.requests == []


# -- nginx -------------------------------------------------------------------------


async def nginx_get(
    port: int, target: str, context: ssl.SSLContext | None = None
) -> tuple[h11.Response, bytes]:
    stream: trio.abc.Stream = await trio.open_tcp_stream("127.0.0.1", port)
    if context is not None:
        tls = trio.SSLStream(stream, context, server_hostname="localhost")
        await tls.do_handshake()
        stream = tls
    async with stream:
        return await H11Client(stream).request("GET", target, headers=[("Accept-Encoding", "gzip")])


@pytest.mark.nginx
async def test_nginx_serves_ok_and_static_files(nginx: Nginx) -> None:
    response, body = await nginx_get(nginx.http_port, "/ok")
    assert (response.status_code, body) == (200, b"ok")
    _, body = await nginx_get(nginx.http_port, "/small.txt")
    assert body == SMALL_TXT
    _, body = await nginx_get(nginx.http_port, "/1m.bin")
    assert body == ONE_MIB
    response, _ = await nginx_get(nginx.http_port, "/redirect")
    assert response.status_code == 302
    assert (header(response, "location") or "").endswith("/ok")
    response, body = await nginx_get(nginx.http_port, "/gzip.txt")
    assert header(response, "content-encoding") == "gzip"
    assert gzip.decompress(body) == GZIP_TXT


@pytest.mark.nginx
async def test_nginx_serves_https_and_offers_h2(
    nginx: Nginx, client_ssl_context: ssl.SSLContext
) -> None:
    client_ssl_context.set_alpn_protocols(["h2", "http/1.1"])
    tcp = await trio.open_tcp_stream("127.0.0.1", nginx.https_port)
    tls = trio.SSLStream(tcp, client_ssl_context, server_hostname="localhost")
    await tls.do_handshake()
    assert tls.selected_alpn_protocol() == "h2"
    await tls.aclose()

    context = ssl.create_default_context(cafile=str(nginx.ca_bundle))
    response, body = await nginx_get(nginx.https_port, "/ok", context)
    assert (response.status_code, body) == (200, b"ok")


@pytest.mark.nginx
async def test_nginx_established_connections_counts_open_clients(nginx: Nginx) -> None:
    before = nginx.established_connections(nginx.http_port)
    streams = [await trio.open_tcp_stream("127.0.0.1", nginx.http_port) for _ in range(3)]
    try:
        for stream in streams:
            await H11Client(stream).request("GET", "/ok")
        assert nginx.established_connections(nginx.http_port) == before + 3
        assert established_connections(nginx.http_port) == before + 3
    finally:
        for stream in streams:
            await stream.aclose()
    await wait_until(lambda: nginx.established_connections(nginx.http_port) == before)
    assert nginx.error_log_text().count("[emerg]") == 0


async def test_head_gets_headers_without_a_body(server: TestServer) -> None:
    async with await trio.open_tcp_stream(server.host, server.port) as stream:
        client = H11Client(stream)
        response, body = await client.request("HEAD", "/bytes/100")
        assert (response.status_code, body) == (200, b"")
        assert header(response, "content-length") == "100"
        response, body = await client.request("GET", "/bytes/3")
        assert body == b"\x00\x01\x02"
    assert server.connections_opened == 1


async def test_raw_handler_may_let_eof_propagate(raw_server: TestServer) -> None:
    async def raw(stream: trio.abc.Stream) -> None:
        await RawReader(stream).receive_head()

    raw_server.raw_handler = raw
    async with await trio.open_tcp_stream(raw_server.host, raw_server.port) as stream:
        await stream.send_all(b"GET / HT")
    await wait_until(lambda: raw_server.connections_open == 0)
    assert raw_server.errors == []


async def test_header_lookup_is_case_insensitive_with_default(server: TestServer) -> None:
    await fetch(server, "GET", "/get", headers=[("X-One", "1")])
    request = server.requests[0]
    assert request.header("x-ONE") == "1"
    assert request.header("x-two") is None
    assert request.header("x-two", "") == ""
