"""HTTP/2 over the in-process h2 server: multiplexing, misbehaviour, cancellation.

Every misbehaviour test ends by proving the client still works; the
cancellation matrix also proves that a sibling stream on the same connection
was not disturbed.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from typing import Any

import h2.connection
import h2.settings
import pytest
import trio
import trustme
from conftest import make_server_ssl_context
from h2server import H2Exchange, H2Server, open_h2_server
from hpack import Encoder, NeverIndexedHeaderTuple
from hyperframe.frame import ContinuationFrame, HeadersFrame
from server import TestServer

import trio_http
from trio_http import AsyncClient, ConnectionPool
from trio_http._exceptions import StreamReset
from trio_http._transports._http2_state import HTTP2Settings


@pytest.fixture
async def h2_server() -> AsyncIterator[H2Server]:
    async with open_h2_server() as running:
        yield running


@pytest.fixture
async def h2_tls_server(server_cert: trustme.LeafCert) -> AsyncIterator[H2Server]:
    context = make_server_ssl_context(server_cert, alpn=("h2", "http/1.1"))
    async with open_h2_server(context) as running:
        yield running


def h2c_client(**kwargs: Any) -> AsyncClient:
    return AsyncClient(http2=True, http1=False, **kwargs)


def pool_of(client: AsyncClient) -> Any:
    return client._transport  # type: ignore[attr-defined]


async def until(predicate: Callable[[], bool]) -> None:
    with trio.fail_after(5):
        while not predicate():
            await trio.sleep(0.001)


async def sibling_and_follow_up_work(client: AsyncClient, server: H2Server) -> None:
    response = await client.get(server.url + "/ok")
    assert response.status_code == 200
    assert response.content == b"ok /ok"
    assert server.connections_opened == 1
    policy = pool_of(client)._policy
    assert policy.open_count == pool_of(client).open_connections == 1


# -- basics ------------------------------------------------------------------


async def test_h2c_prior_knowledge_get(h2_server: H2Server) -> None:
    async with h2c_client() as client:
        response = await client.get(h2_server.url + "/ok")
    assert response.http_version == "HTTP/2"
    assert response.content == b"ok /ok"
    exchange = h2_server.requests[0]
    assert exchange.header(":authority") == h2_server.url.removeprefix("http://")
    assert exchange.header(":scheme") == "http"
    assert exchange.header("host") is None


@pytest.mark.parametrize("host", ["api.example", b"api.example"])
async def test_a_host_header_str_or_bytes_becomes_the_authority(
    h2_server: H2Server, host: str | bytes
) -> None:
    async with h2c_client() as client:
        response = await client.get(h2_server.url + "/ok", headers={"Host": host})
    assert response.status_code == 200
    exchange = h2_server.requests[0]
    assert exchange.header(":authority") == "api.example"
    assert exchange.header("host") is None


async def test_post_body_is_sent(h2_server: H2Server) -> None:
    body = bytes(range(256)) * 1000
    async with h2c_client() as client:
        response = await client.post(h2_server.url + "/echo", content=body)
        streamed = await client.post(
            h2_server.url + "/echo", content=_chunks([b"a" * 70000, b"b" * 5])
        )
    assert response.content == body
    assert streamed.content == b"a" * 70000 + b"b" * 5
    assert h2_server.requests[1].header("transfer-encoding") is None


async def test_each_request_sends_its_own_head(h2_server: H2Server) -> None:
    # The connection reuses the previous request's header list only when
    # method, URL and headers are all equal.
    sent = [
        ("GET", "/ok?page=1", "a"),
        ("GET", "/ok?page=1", "a"),
        ("GET", "/ok?page=1", "b"),
        ("GET", "/ok?page=2", "b"),
        ("DELETE", "/ok?page=2", "b"),
    ]
    async with h2c_client() as client:
        for method, path, value in sent:
            response = await client.request(
                method, h2_server.url + path, headers={"X-Value": value}
            )
            assert response.status_code == 200
    seen = [
        (exchange.header(":method"), exchange.header(":path"), exchange.header("x-value"))
        for exchange in h2_server.requests
    ]
    assert seen == sent
    assert h2_server.connections_opened == 1


async def _chunks(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def fetch_all(client: AsyncClient, urls: list[str]) -> list[bytes]:
    """GET every URL at once; the bodies, in the order of ``urls``."""
    results: dict[int, bytes] = {}
    async with trio.open_nursery() as nursery:
        for i, url in enumerate(urls):

            async def fetch(i: int = i, url: str = url) -> None:
                results[i] = (await client.get(url)).content

            nursery.start_soon(fetch)
    return [results[i] for i in range(len(urls))]


async def test_concurrent_requests_share_one_connection(h2_server: H2Server) -> None:
    # The server names no limit; the client assumes 100 streams at a time.
    urls = [f"{h2_server.url}/ok?{i}" for i in range(100)]
    async with h2c_client() as client:
        results = await fetch_all(client, urls)
    assert results == [f"ok /ok?{i}".encode() for i in range(100)]
    assert h2_server.connections_opened == 1


async def test_requests_beyond_the_stream_limit_open_another_connection(
    h2_server: H2Server,
) -> None:
    h2_server.max_concurrent_streams = 10
    release = trio.Event()

    @h2_server.route("/held")
    async def held(exchange: H2Exchange) -> None:
        await release.wait()
        await exchange.respond(200, [("content-length", "2")])
        await exchange.send(b"ok", end=True)

    async with h2c_client() as client:
        await client.get(h2_server.url + "/ok")  # SETTINGS are known now
        async with trio.open_nursery() as nursery:
            for _ in range(25):
                nursery.start_soon(client.get, h2_server.url + "/held")
            await until(lambda: len(h2_server.requests) == 26)
            # 25 held streams need three connections of ten.
            assert h2_server.connections_opened == 3
            assert pool_of(client).open_connections == 3
            release.set()
        # Later requests go to the connections that exist.
        assert await fetch_all(client, [h2_server.url + "/ok"] * 20) == [b"ok /ok"] * 20
        assert h2_server.connections_opened == 3


async def test_stream_limit_with_no_room_for_a_connection_queues(h2_server: H2Server) -> None:
    h2_server.max_concurrent_streams = 10
    async with h2c_client(limits=trio_http.Limits(max_connections_per_host=1)) as client:
        await client.get(h2_server.url + "/ok")
        urls = [f"{h2_server.url}/ok?{i}" for i in range(50)]
        assert await fetch_all(client, urls) == [f"ok /ok?{i}".encode() for i in range(50)]
    assert h2_server.connections_opened == 1


async def test_alpn_negotiates_h2_over_tls(h2_tls_server: H2Server, ca_bundle: str) -> None:
    async with AsyncClient(http2=True, verify=ca_bundle) as client:
        response = await client.get(h2_tls_server.url + "/ok")
    assert response.http_version == "HTTP/2"


async def test_alpn_falls_back_to_http11(tls_server: TestServer, ca_bundle: str) -> None:
    async with AsyncClient(http2=True, verify=ca_bundle) as client:
        first = await client.get(tls_server.url_for("/get"))
        second = await client.get(tls_server.url_for("/get"))
    assert first.http_version == second.http_version == "HTTP/1.1"


async def test_http2_only_refuses_an_http11_server(tls_server: TestServer, ca_bundle: str) -> None:
    async with AsyncClient(http2=True, http1=False, verify=ca_bundle) as client:
        with pytest.raises(trio_http.ConnectError, match="HTTP/2"):
            await client.get(tls_server.url_for("/get"))
        assert pool_of(client).open_connections == 0


async def test_http2_is_off_by_default(h2_tls_server: H2Server, ca_bundle: str) -> None:
    async with AsyncClient(verify=ca_bundle) as client:
        with pytest.raises(trio_http.RequestException):
            await client.get(h2_tls_server.url + "/ok")


def test_neither_protocol_is_an_error() -> None:
    with pytest.raises(ValueError, match="http1"):
        ConnectionPool(http1=False, http2=False)


async def test_server_push_is_disabled_in_settings(h2_server: H2Server) -> None:
    async with h2c_client() as client:
        await client.get(h2_server.url + "/ok")
        assert h2_server.connections[0].h2.remote_settings.enable_push == 0


# -- limits and flow control ---------------------------------------------------


async def test_max_concurrent_streams_one_queues_requests(h2_server: H2Server) -> None:
    h2_server.max_concurrent_streams = 1
    in_handler = 0
    most = 0

    @h2_server.route("/slow")
    async def slow(exchange: H2Exchange) -> None:
        nonlocal in_handler, most
        in_handler += 1
        most = max(most, in_handler)
        await trio.sleep(0.01)
        in_handler -= 1
        await exchange.respond(200, end=True)

    async with h2c_client(limits=trio_http.Limits(max_connections_per_host=1)) as client:
        await client.get(h2_server.url + "/ok")  # SETTINGS are known now
        async with trio.open_nursery() as nursery:
            for _ in range(5):
                nursery.start_soon(client.get, h2_server.url + "/slow")
    assert most == 1
    assert len(h2_server.requests) == 6
    assert h2_server.connections_opened == 1


async def test_stream_slot_wait_honours_pool_timeout(h2_server: H2Server) -> None:
    h2_server.max_concurrent_streams = 1

    @h2_server.route("/hang")
    async def hang(exchange: H2Exchange) -> None:
        await exchange.respond(200)
        await trio.sleep_forever()

    async with h2c_client(
        timeout=trio_http.Timeouts(5, pool=0.2), limits=trio_http.Limits(max_connections=1)
    ) as client:
        await client.get(h2_server.url + "/ok")
        async with client.stream("GET", h2_server.url + "/hang"):
            with pytest.raises(trio_http.PoolTimeout):
                await client.get(h2_server.url + "/ok")
        await sibling_and_follow_up_work(client, h2_server)


async def test_zero_window_upload_times_out_and_resets_only_that_stream(
    h2_server: H2Server,
) -> None:
    h2_server.grant_upload_window = False
    async with h2c_client(timeout=trio_http.Timeouts(5, write=0.3)) as client:
        await client.get(h2_server.url + "/ok")
        with pytest.raises(trio_http.WriteTimeout):
            await client.post(h2_server.url + "/echo", content=b"x" * 200_000)
        await until(lambda: bool(h2_server.resets))
        assert h2_server.resets[0][1] == 8  # CANCEL
        await sibling_and_follow_up_work(client, h2_server)


async def test_large_download_respects_flow_control(h2_server: H2Server) -> None:
    size = 12 * 1024 * 1024  # beyond the stream window: needs WINDOW_UPDATEs

    @h2_server.route("/big")
    async def big(exchange: H2Exchange) -> None:
        await exchange.respond(200, [("content-length", str(size))])
        await exchange.send(b"z" * size, end=True)

    async with h2c_client() as client:
        response = await client.get(h2_server.url + "/big")
    assert len(response.content) == size


async def test_unread_response_does_not_grow_past_the_window(h2_server: H2Server) -> None:
    sent = 0

    @h2_server.route("/endless")
    async def endless(exchange: H2Exchange) -> None:
        nonlocal sent
        await exchange.respond(200)
        while True:
            await exchange.send(b"e" * 65536)
            sent += 65536

    settings = HTTP2Settings(connection_window=1 << 20, stream_window=1 << 18)
    pool = ConnectionPool(http2=True, http1=False, http2_settings=settings)
    async with AsyncClient(transport=pool) as client:
        async with client.stream("GET", h2_server.url + "/endless") as response:
            await trio.sleep(0.3)
            assert sent <= (1 << 18)
            async with aclosing(response.aiter_raw()) as chunks:
                async for _ in chunks:
                    break
            await trio.sleep(0.1)
            assert sent <= 2 * (1 << 18)
        await client.get(h2_server.url + "/ok")


# -- misbehaviour ---------------------------------------------------------------


async def test_rst_stream_fails_only_that_stream(h2_server: H2Server) -> None:
    @h2_server.route("/reset")
    async def reset(exchange: H2Exchange) -> None:
        await exchange.reset(code=2)  # INTERNAL_ERROR

    async with h2c_client() as client:
        with pytest.raises(StreamReset) as info:
            await client.get(h2_server.url + "/reset")
        assert info.value.error_code == 2
        assert isinstance(info.value, trio_http.RemoteProtocolError)
        await sibling_and_follow_up_work(client, h2_server)


async def test_refused_stream_is_retried(h2_server: H2Server) -> None:
    attempts = 0

    @h2_server.route("/refuse-once")
    async def refuse_once(exchange: H2Exchange) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            await exchange.reset(code=7)  # REFUSED_STREAM
            return
        await exchange.respond(200, end=True)

    async with h2c_client() as client:
        response = await client.get(h2_server.url + "/refuse-once")
    assert response.status_code == 200
    assert attempts == 2


async def test_goaway_retries_streams_above_last_id(h2_server: H2Server) -> None:
    held: list[H2Exchange] = []
    release = trio.Event()

    @h2_server.route("/hold")
    async def hold(exchange: H2Exchange) -> None:
        if exchange.conn is not h2_server.connections[0]:
            await exchange.respond(200, [("x-conn", "2")], end=True)
            return
        held.append(exchange)
        if len(held) == 3:
            first = min(e.stream_id for e in held)
            await exchange.goaway(last_stream_id=first)
            release.set()
        await release.wait()
        if exchange.stream_id == min(e.stream_id for e in held):
            await exchange.respond(200, [("x-conn", "1")], end=True)

    async with h2c_client() as client:
        responses: list[trio_http.Response] = []
        async with trio.open_nursery() as nursery:
            for _ in range(3):

                async def fetch() -> None:
                    responses.append(await client.get(h2_server.url + "/hold"))

                nursery.start_soon(fetch)
        assert sorted(r.headers["x-conn"] for r in responses) == ["1", "2", "2"]
        assert h2_server.connections_opened == 2
        response = await client.get(h2_server.url + "/hold")
        assert response.headers["x-conn"] == "2"
        assert h2_server.connections_opened == 2


SETTINGS_ACK = b"\x00\x00\x00\x04\x01\x00\x00\x00\x00"


async def goaway_with_response(exchange: H2Exchange, low: int, follower: str) -> None:
    """One write: GOAWAY(last=low), then ``follower``, then stream ``low``'s response.

    As nginx and hypercorn do when a connection reaches its request cap; with
    ``follower="data"`` the response head went out in an earlier write.
    """
    conn = exchange.conn
    h = conn.h2
    body = b"answer"
    head = [(":status", "200"), ("content-length", str(len(body))), ("x-conn", "1")]
    async with conn.lock:
        if follower == "data":
            h.send_headers(low, head)
            await conn.stream.send_all(h.data_to_send())
        h.close_connection(error_code=0, last_stream_id=low)
        h.state_machine.state = h2.connection.ConnectionState.SERVER_OPEN
        if follower == "ping":
            h.ping(b"pingpong")
        elif follower == "settings":
            h.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 100_000})
        wire = h.data_to_send()
        if follower == "settings-ack":
            wire += SETTINGS_ACK
        if follower != "data":
            h.send_headers(low, head)
        h.send_data(low, body, end_stream=True)
        await conn.stream.send_all(wire + h.data_to_send())


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("follower", ["headers", "data", "settings-ack", "settings", "ping"])
async def test_goaway_in_one_write_with_later_frames_completes_and_retries(
    h2_server: H2Server, follower: str, method: str
) -> None:
    arrived: list[H2Exchange] = []

    @h2_server.route("/capped")
    async def capped(exchange: H2Exchange) -> None:
        await exchange.body_done.wait()
        if exchange.conn is not h2_server.connections[0]:
            echo = exchange.body.decode() or "-"
            await exchange.respond(200, [("x-conn", "2"), ("x-body", echo)], end=True)
            return
        arrived.append(exchange)
        if len(arrived) == 2:
            low = min(e.stream_id for e in arrived)
            await goaway_with_response(exchange, low, follower)
        await trio.sleep_forever()  # the connection's end cancels this

    async with h2c_client() as client:
        responses: dict[int, trio_http.Response] = {}
        async with trio.open_nursery() as nursery:
            for i in range(2):

                async def send(i: int = i) -> None:
                    content = f"body {i}".encode() if method == "POST" else None
                    url = h2_server.url + "/capped"
                    responses[i] = await client.request(method, url, content=content)

                nursery.start_soon(send)
        by_conn = {r.headers["x-conn"]: (i, r) for i, r in responses.items()}
        assert sorted(by_conn) == ["1", "2"]
        # The stream at or below the last id completed on the first connection.
        assert by_conn["1"][1].content == b"answer"
        # The one above it went again, whole, on a new connection.
        retried_index, retried = by_conn["2"]
        assert retried.headers["x-body"] == (f"body {retried_index}" if method == "POST" else "-")
        assert h2_server.connections_opened == 2
        assert h2_server.protocol_errors == []
        assert (await client.get(h2_server.url + "/ok")).status_code == 200
        assert h2_server.connections_opened == 2


async def test_goaway_above_a_body_that_cannot_be_replayed_raises_a_public_error(
    h2_server: H2Server,
) -> None:
    @h2_server.route("/refuse")
    async def refuse(exchange: H2Exchange) -> None:
        await exchange.body_done.wait()
        await exchange.goaway(last_stream_id=0)

    async def body() -> AsyncIterator[bytes]:
        yield b"streamed once"

    async with h2c_client() as client:
        with pytest.raises(trio_http.RemoteProtocolError) as caught:
            await client.post(h2_server.url + "/refuse", content=body())
        assert type(caught.value) is trio_http.RemoteProtocolError
        assert "cannot be sent again" in str(caught.value)
        assert (await client.get(h2_server.url + "/ok")).status_code == 200


@pytest.mark.parametrize("ending", ["close", "goaway-protocol-error"])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_streams_left_unanswered_after_a_graceful_goaway(
    h2_server: H2Server, method: str, ending: str
) -> None:
    # hypercorn at its request cap: GOAWAY(NO_ERROR) naming the stream as
    # taken, then the connection ends without an answer. An idempotent
    # request goes again on a new connection; a POST is never sent twice.
    @h2_server.route("/cap")
    async def cap(exchange: H2Exchange) -> None:
        await exchange.body_done.wait()
        if exchange.conn is not h2_server.connections[0]:
            await exchange.respond(200, [("x-body", exchange.body.decode() or "-")], end=True)
            return
        await exchange.goaway(last_stream_id=exchange.stream_id)
        await trio.sleep(0.01)
        if ending == "goaway-protocol-error":
            await exchange.goaway(last_stream_id=exchange.stream_id, code=1)
        await exchange.conn.stream.aclose()

    async with h2c_client() as client:
        content = b"once" if method == "POST" else None
        if method == "GET":
            response = await client.request(method, h2_server.url + "/cap", content=content)
            assert response.headers["x-body"] == "-"
            assert h2_server.connections_opened == 2
        else:
            # The connection's own error, saying why the request was not retried.
            expected = trio_http.ReadError if ending == "close" else trio_http.RemoteProtocolError
            with pytest.raises(expected, match="not sent twice") as caught:
                await client.request(method, h2_server.url + "/cap", content=content)
            assert type(caught.value) is expected
            assert h2_server.connections_opened == 1
        assert (await client.get(h2_server.url + "/ok")).status_code == 200


async def test_a_server_refusing_every_stream_ends_in_a_public_error(h2_server: H2Server) -> None:
    @h2_server.route("/never")
    async def never(exchange: H2Exchange) -> None:
        await exchange.reset(code=7)  # REFUSED_STREAM, every time

    async with h2c_client() as client:
        with pytest.raises(trio_http.RemoteProtocolError) as caught:
            await client.get(h2_server.url + "/never")
        assert type(caught.value) is trio_http.RemoteProtocolError
        assert "attempts" in str(caught.value)


BAD_FRAME = b"\x00\x00\x04\x00\x00\x00\x00\x00\x00junk"  # DATA on stream 0 (RFC 9113 §6.1)


async def test_a_failed_connection_is_never_offered_again(
    h2_server: H2Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The connection's tasks take a while to wind down after its reader
    # failed (a writer finishing a send, say); requests made meanwhile must
    # get a new connection, not the failing one.
    from trio_http._transports._http2 import HTTP2Connection

    writer = HTTP2Connection._writer

    async def slow_to_stop(self: HTTP2Connection) -> None:
        try:
            await writer(self)
        finally:
            with trio.CancelScope(shield=True):
                await trio.sleep(0.2)

    monkeypatch.setattr(HTTP2Connection, "_writer", slow_to_stop)

    @h2_server.route("/last")
    async def last(exchange: H2Exchange) -> None:
        # A whole response, then a connection error, in one write: the
        # response stands, and its task runs on while the connection fails.
        h = exchange.conn.h2
        h.send_headers(exchange.stream_id, [(":status", "200"), ("content-length", "2")])
        h.send_data(exchange.stream_id, b"ok", end_stream=True)
        async with exchange.conn.lock:
            await exchange.conn.stream.send_all(h.data_to_send() + BAD_FRAME)

    outcomes: list[str | Exception] = []
    async with h2c_client(timeout=5) as client:
        assert (await client.get(h2_server.url + "/last")).content == b"ok"
        while len(outcomes) < 500 and (h2_server.connections_opened < 2 or outcomes[-1] != "ok"):
            try:
                await client.get(h2_server.url + "/ok")
            except trio_http.RequestException as exc:
                outcomes.append(exc)
            else:
                outcomes.append("ok")
    errors = [outcome for outcome in outcomes if outcome != "ok"]
    # The request in flight when the error arrived fails with it; every
    # later one goes to a new connection.
    assert len(errors) <= 1, errors
    assert all(type(exc) is trio_http.RemoteProtocolError for exc in errors)
    assert outcomes[-1] == "ok"
    assert h2_server.connections_opened == 2


async def test_a_request_loop_that_swallows_errors_makes_progress(h2_server: H2Server) -> None:
    # The server breaks its connection on every other request (a POST, so it
    # is not sent again). A loop that goes straight on after an error must
    # let the dying connection's tasks run (every request is a checkpoint,
    # failure included) and get a new one.
    count = 0

    @h2_server.route("/flaky")
    async def flaky(exchange: H2Exchange) -> None:
        nonlocal count
        count += 1
        if count % 2:
            await exchange.conn.stream.aclose()
            return
        await exchange.respond(200, end=True)

    ok = failed = 0
    async with h2c_client() as client:
        with trio.fail_after(10):
            while ok < 20:
                try:
                    await client.post(h2_server.url + "/flaky", content=b"x")
                except trio_http.RequestException:
                    failed += 1
                else:
                    ok += 1
    assert ok == 20
    assert failed >= 1
    assert failed + ok < 60


async def test_goaway_with_error_fails_open_streams_cleanly(h2_server: H2Server) -> None:
    @h2_server.route("/die")
    async def die(exchange: H2Exchange) -> None:
        await exchange.respond(200)
        await exchange.goaway(last_stream_id=exchange.stream_id, code=1)

    async with h2c_client() as client:
        with pytest.raises(trio_http.RemoteProtocolError, match="PROTOCOL_ERROR"):
            async with client.stream("GET", h2_server.url + "/die") as response:
                await response.aread()
        response = await client.get(h2_server.url + "/ok")
        assert response.status_code == 200
        assert h2_server.connections_opened == 2


async def test_server_closing_the_socket_fails_streams_with_read_error(h2_server: H2Server) -> None:
    @h2_server.route("/vanish")
    async def vanish(exchange: H2Exchange) -> None:
        await exchange.conn.stream.aclose()

    async with h2c_client() as client:
        with pytest.raises(trio_http.ReadError):
            await client.get(h2_server.url + "/vanish")
        assert (await client.get(h2_server.url + "/ok")).status_code == 200


async def test_ping_is_answered_while_idle(h2_server: H2Server) -> None:
    async with h2c_client() as client:
        await client.get(h2_server.url + "/ok")
        conn = h2_server.connections[0]
        conn.h2.ping(b"12345678")
        await conn.flush()
        await until(lambda: h2_server.ping_acks == 1)


async def test_keepalive_pings_when_configured(h2_server: H2Server) -> None:
    settings = HTTP2Settings(keepalive_interval=0.05)
    pool = ConnectionPool(http2=True, http1=False, http2_settings=settings)
    async with AsyncClient(transport=pool) as client:
        await client.get(h2_server.url + "/ok")
        await until(lambda: h2_server.pings_received >= 2)
        await sibling_and_follow_up_work(client, h2_server)


async def test_huge_response_headers_raise_response_too_large(h2_server: H2Server) -> None:
    @h2_server.route("/huge")
    async def huge(exchange: H2Exchange) -> None:
        await exchange.respond(200, [("x-big", "v" * 100_000)], end=True)

    async with h2c_client() as client:
        with pytest.raises(trio_http.ResponseTooLarge):
            await client.get(h2_server.url + "/huge")
        assert (await client.get(h2_server.url + "/ok")).status_code == 200


def _raw_header_block(stream_id: int, fields: list[tuple[bytes, bytes]]) -> bytes:
    """A HEADERS frame that h2 would refuse to build (never-indexed literals, so
    the client's HPACK table stays in step with the server's own encoder)."""
    block = Encoder().encode([NeverIndexedHeaderTuple(name, value) for name, value in fields])
    frame = HeadersFrame(stream_id, data=block)
    frame.flags.add("END_HEADERS")
    frame.flags.add("END_STREAM")
    return frame.serialize()


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param([(b":status", b"200"), (b"X-Upper", b"1")], id="uppercase-name"),
        pytest.param([(b":status", b"200"), (b"x-bad", b"a\rb")], id="cr-in-value"),
        pytest.param([(b":status", b"200"), (b"x-bad", b"a\x00b")], id="nul-in-value"),
        pytest.param([(b":status", b"200"), (b"x-bad", b" padded")], id="leading-space"),
        pytest.param([(b":status", b"200"), (b"x-bad", b"padded\t")], id="trailing-tab"),
        pytest.param([(b":status", b"200"), (b"connection", b"close")], id="connection"),
        pytest.param([(b":status", b"200"), (b"transfer-encoding", b"chunked")], id="te-chunked"),
        pytest.param([(b":status", b"200"), (b"te", b"gzip")], id="te-not-trailers"),
        pytest.param([(b"x-only", b"1")], id="no-status"),
        pytest.param([(b":status", b"2xx")], id="bad-status"),
        pytest.param([(b":status", b"200"), (b":status", b"200")], id="two-statuses"),
        pytest.param([(b":status", b"200"), (b"x", b"1"), (b":status", b"200")], id="late-pseudo"),
        pytest.param([(b":status", b"200"), (b":path", b"/")], id="request-pseudo"),
        pytest.param([(b":status", b"200"), (b"", b"x")], id="empty-name"),
        pytest.param([(b":status", b"200"), (b"x:y", b"1")], id="colon-in-name"),
    ],
)
async def test_malformed_response_headers_fail_only_their_stream(
    h2_server: H2Server, fields: list[tuple[bytes, bytes]]
) -> None:
    @h2_server.route("/malformed")
    async def malformed(exchange: H2Exchange) -> None:
        await exchange.send_raw(_raw_header_block(exchange.stream_id, fields))

    async with h2c_client() as client:
        with pytest.raises(trio_http.RemoteProtocolError, match="malformed response headers"):
            await client.get(h2_server.url + "/malformed")
        # RFC 9113 §8.1.1: a stream error. The connection serves the next request.
        await sibling_and_follow_up_work(client, h2_server)


async def test_malformed_trailers_fail_the_body_of_their_stream(h2_server: H2Server) -> None:
    @h2_server.route("/bad-trailers")
    async def bad_trailers(exchange: H2Exchange) -> None:
        await exchange.respond(200)
        await exchange.send(b"body")
        await exchange.send_raw(_raw_header_block(exchange.stream_id, [(b":status", b"200")]))

    async with h2c_client() as client:
        with pytest.raises(trio_http.RemoteProtocolError, match="malformed trailers"):
            await client.get(h2_server.url + "/bad-trailers")
        await sibling_and_follow_up_work(client, h2_server)


async def test_continuation_flood_ends_the_connection(h2_server: H2Server) -> None:
    @h2_server.route("/flood")
    async def flood(exchange: H2Exchange) -> None:
        headers = HeadersFrame(exchange.stream_id, data=b"\x88")  # :status 200, no END_HEADERS
        frames = [headers.serialize()]
        frames += [ContinuationFrame(exchange.stream_id, data=b"").serialize()] * 200
        await exchange.send_raw(b"".join(frames))

    async with h2c_client() as client:
        with pytest.raises(trio_http.RemoteProtocolError):
            await client.get(h2_server.url + "/flood")
        assert (await client.get(h2_server.url + "/ok")).status_code == 200


async def test_an_overlong_frame_ends_the_connection_from_its_header(h2_server: H2Server) -> None:
    @h2_server.route("/overlong")
    async def overlong(exchange: H2Exchange) -> None:
        await exchange.respond(200)
        # A DATA frame header announcing 1 MiB (we allow 64 KiB), then silence:
        # the client must not wait for the megabyte.
        length = 1024 * 1024
        await exchange.send_raw(
            length.to_bytes(3, "big") + b"\x00\x00" + exchange.stream_id.to_bytes(4, "big")
        )
        await trio.sleep(30)

    async with h2c_client(timeout=10) as client:
        with trio.fail_after(5):
            with pytest.raises(trio_http.RemoteProtocolError, match="overlong frame"):
                async with client.stream("GET", h2_server.url + "/overlong") as response:
                    await response.aread()
        assert (await client.get(h2_server.url + "/ok")).status_code == 200


async def test_large_body_arrives_whole_over_many_frames_and_reads(h2_server: H2Server) -> None:
    body = bytes(range(256)) * 4096 * 3  # 3 MiB, in DATA frames of 16 KiB

    @h2_server.route("/large")
    async def large(exchange: H2Exchange) -> None:
        await exchange.respond(200, [("content-length", str(len(body)))])
        for start in range(0, len(body), 100_000):
            await exchange.send(body[start : start + 100_000])
        await exchange.send(b"", end=True)

    async with h2c_client() as client:
        response = await client.get(h2_server.url + "/large")
        assert response.content == body
        await sibling_and_follow_up_work(client, h2_server)


async def test_trailers_are_exposed_after_the_body(h2_server: H2Server) -> None:
    @h2_server.route("/trailers")
    async def trailers(exchange: H2Exchange) -> None:
        await exchange.respond(200, [("trailer", "x-checksum")])
        await exchange.send(b"body")
        await exchange.trailers([("x-checksum", "abc")])

    async with h2c_client() as client:
        response = await client.get(h2_server.url + "/trailers")
    assert response.content == b"body"
    assert response.extensions["trailers"]["x-checksum"] == "abc"


async def test_a_body_complete_before_reading_is_taken_at_once(h2_server: H2Server) -> None:
    @h2_server.route("/done")
    async def done(exchange: H2Exchange) -> None:
        await exchange.respond(200, [("trailer", "x-checksum")])
        await exchange.send(b"first ")
        await exchange.send(b"second")
        await exchange.trailers([("x-checksum", "abc")])

    async with h2c_client() as client:
        async with client.stream("GET", h2_server.url + "/done") as response:
            conn = next(iter(pool_of(client)._origins.by_origin.values()))[0]
            # Let the reader take in the whole exchange before the body is read.
            await until(lambda: not any(not s.ended for s in conn._streams.values()))
            assert await response.aread() == b"first second"
            assert response.extensions["trailers"]["x-checksum"] == "abc"
            # The stream is finished and its slot is free again.
            assert conn._streams == {}
            assert conn.slots.active == 0
        # The flow-control credit went back: the connection keeps serving.
        assert (await client.get(h2_server.url + "/ok")).content == b"ok /ok"


async def test_informational_responses_are_reported(h2_server: H2Server) -> None:
    @h2_server.route("/early-hints")
    async def early_hints(exchange: H2Exchange) -> None:
        await exchange.informational(103, [("link", "</style.css>")])
        await exchange.respond(200, end=True)

    seen: list[tuple[int, str]] = []
    async with h2c_client() as client:
        response = await client.get(
            h2_server.url + "/early-hints",
            extensions={"on_informational": lambda s, h: seen.append((s, h["link"]))},
        )
    assert response.status_code == 200
    assert seen == [(103, "</style.css>")]


async def test_read_timeout_on_one_stream_spares_its_siblings(h2_server: H2Server) -> None:
    @h2_server.route("/stall")
    async def stall(exchange: H2Exchange) -> None:
        await exchange.respond(200)
        await trio.sleep_forever()

    async with h2c_client(timeout=trio_http.Timeouts(5, read=0.2)) as client:
        async with client.stream("GET", h2_server.url + "/ok") as sibling:
            with pytest.raises(trio_http.ReadTimeout):
                await client.get(h2_server.url + "/stall")
            assert await sibling.aread() == b"ok /ok"
        await sibling_and_follow_up_work(client, h2_server)


# -- the cancellation matrix over HTTP/2 -------------------------------------------


async def _stalling_body(reached: trio.Event) -> AsyncIterator[bytes]:
    yield b"first part"
    reached.set()
    await trio.sleep_forever()
    yield b"never"  # pragma: no cover


@pytest.mark.parametrize("stage", ["slot-wait", "sending-body", "waiting-response", "reading-body"])
async def test_cancellation_resets_only_the_cancelled_stream(
    h2_server: H2Server, stage: str
) -> None:
    reached = trio.Event()
    hold_sibling = trio.Event()

    @h2_server.route("/sibling")
    async def sibling(exchange: H2Exchange) -> None:
        await exchange.respond(200)
        await exchange.send(b"part one;")
        await hold_sibling.wait()
        await exchange.send(b"part two", end=True)

    @h2_server.route("/hang")
    async def hang(exchange: H2Exchange) -> None:
        if stage == "reading-body":
            await exchange.respond(200)
            await exchange.send(b"p" * 1000)
        reached.set()
        await trio.sleep_forever()

    limits = trio_http.Limits()
    if stage == "slot-wait":
        # Two streams and no room for a second connection: the victim waits.
        h2_server.max_concurrent_streams = 2
        limits = trio_http.Limits(max_connections_per_host=1)

    async with h2c_client(limits=limits) as client:
        await client.get(h2_server.url + "/ok")
        async with client.stream("GET", h2_server.url + "/sibling") as sibling_response:
            async with trio.open_nursery() as nursery:
                scope = trio.CancelScope()

                async def victim() -> None:
                    with scope:
                        if stage == "sending-body":
                            await client.post(
                                h2_server.url + "/echo", content=_stalling_body(reached)
                            )
                        elif stage == "slot-wait":
                            async with client.stream("GET", h2_server.url + "/hang"):
                                pass
                        else:
                            await client.get(h2_server.url + "/hang")

                if stage == "slot-wait":
                    hold = trio.CancelScope()

                    async def occupy() -> None:
                        with hold:
                            await client.get(h2_server.url + "/hang")

                    nursery.start_soon(occupy)
                    await until(lambda: len(h2_server.requests) == 3)
                    conn = next(iter(pool_of(client)._origins.by_origin.values()))[0]
                    nursery.start_soon(victim)
                    await until(lambda: bool(conn.slots.waiters))
                else:
                    nursery.start_soon(victim)
                    await reached.wait()
                scope.cancel()
                if stage == "slot-wait":
                    await until(lambda: not conn.slots.waiters)
                    hold.cancel()
            assert scope.cancelled_caught
            hold_sibling.set()
            assert await sibling_response.aread() == b"part one;part two"
        if stage != "slot-wait":
            await until(lambda: any(code == 8 for _, code in h2_server.resets))
        await sibling_and_follow_up_work(client, h2_server)
        conn = next(iter(pool_of(client)._origins.by_origin.values()))[0]
        assert conn.slots.active == 0


async def test_closing_a_streamed_response_early_resets_the_stream(h2_server: H2Server) -> None:
    @h2_server.route("/long")
    async def long(exchange: H2Exchange) -> None:
        await exchange.respond(200)
        await exchange.send(b"x" * 100_000)
        await exchange.reset_event.wait()

    async with h2c_client() as client:
        async with client.stream("GET", h2_server.url + "/long") as response:
            async with aclosing(response.aiter_raw()) as chunks:
                async for _ in chunks:
                    break
        await until(lambda: bool(h2_server.resets))
        assert h2_server.resets[0][1] == 8
        await sibling_and_follow_up_work(client, h2_server)


async def test_client_exit_stops_connection_tasks(h2_server: H2Server) -> None:
    async with h2c_client() as client:
        await client.get(h2_server.url + "/ok")
    await until(lambda: h2_server.connections_open == 0)


async def test_tls_context_offers_h2_only_when_enabled() -> None:
    pool = ConnectionPool(http2=True)
    context = pool._get_ssl_context(True)
    plain = pool._get_ssl_context(False)
    assert context is not plain
    assert isinstance(context, ssl.SSLContext)
