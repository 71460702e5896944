"""HTTP/1.1 connections against scripted servers: exact bytes, exact failures."""

from __future__ import annotations

import pytest
import trio
from server import RawReader, TestServer

import trio_http
from trio_http import AsyncClient, Timeouts
from trio_http._config import MIN_READ_SIZE
from trio_http._deadlines import Deadlines
from trio_http._transports._net_tls import TLSSocketStream

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def serve_ok_forever(stream: trio.abc.Stream) -> None:
    reader = RawReader(stream)
    while True:
        try:
            await reader.receive_request()
        except EOFError:
            return
        await stream.send_all(OK)


async def test_interim_1xx_responses_are_skipped_and_reported(raw_server: TestServer) -> None:
    async def raw(stream: trio.abc.Stream) -> None:
        reader = RawReader(stream)
        await reader.receive_request()
        await stream.send_all(
            b"HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + OK
        )

    raw_server.raw_handler = raw
    seen: list[int] = []
    async with AsyncClient() as client:
        response = await client.get(
            raw_server.url,
            extensions={"on_informational": lambda status, headers: seen.append(status)},
        )
    assert response.status_code == 200
    assert response.text == "ok"
    assert seen == [100, 103]


async def test_early_final_response_stops_a_streamed_upload(raw_server: TestServer) -> None:
    chunks_sent = 0
    never_finished = trio.Event()

    async def endless_body():  # type: ignore[no-untyped-def]
        nonlocal chunks_sent
        while True:
            chunks_sent += 1
            yield b"u" * 65536
            await trio.sleep(0.001)

    async def raw(stream: trio.abc.Stream) -> None:
        reader = RawReader(stream)
        await reader.receive_head()
        await stream.send_all(
            b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 8\r\n"
            b"Connection: close\r\n\r\ntoo big!"
        )
        # Keep reading (and discarding) so the client is not blocked by TCP.
        with trio.move_on_after(5):
            while await stream.receive_some(65536):
                pass
        never_finished.set()

    raw_server.raw_handler = raw
    async with AsyncClient() as client:
        with trio.fail_after(5):
            response = await client.post(raw_server.url, content=endless_body())
        assert response.status_code == 413
        assert response.text == "too big!"
    assert chunks_sent < 1000


async def test_early_response_to_inline_body_after_server_closed(raw_server: TestServer) -> None:
    async def raw(stream: trio.abc.Stream) -> None:
        reader = RawReader(stream)
        await reader.receive_head()
        await stream.send_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
        await stream.aclose()

    raw_server.raw_handler = raw
    async with AsyncClient() as client:
        response = await client.post(raw_server.url, content=b"x" * 900_000)
    assert response.status_code == 401


async def test_truncated_body_raises_chunked_encoding_error(raw_server: TestServer) -> None:
    async def raw(stream: trio.abc.Stream) -> None:
        reader = RawReader(stream)
        await reader.receive_request()
        await stream.send_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
        await stream.aclose()

    raw_server.raw_handler = raw
    async with AsyncClient() as client:
        with pytest.raises(trio_http.ChunkedEncodingError):
            await client.get(raw_server.url)


async def test_malformed_status_line_is_remote_protocol_error(raw_server: TestServer) -> None:
    async def raw(stream: trio.abc.Stream) -> None:
        reader = RawReader(stream)
        await reader.receive_request()
        await stream.send_all(b"HTTX/9 what\r\n\r\n")
        await stream.aclose()

    raw_server.raw_handler = raw
    async with AsyncClient() as client:
        with pytest.raises(trio_http.RemoteProtocolError):
            await client.get(raw_server.url)


async def test_bad_chunked_framing_is_remote_protocol_error(raw_server: TestServer) -> None:
    async def raw(stream: trio.abc.Stream) -> None:
        reader = RawReader(stream)
        await reader.receive_request()
        await stream.send_all(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot hex\r\n"
        )
        await trio.sleep_forever()

    raw_server.raw_handler = raw
    async with AsyncClient(timeout=5) as client:
        with pytest.raises(trio_http.RemoteProtocolError):
            await client.get(raw_server.url)


async def test_oversized_header_block_is_response_too_large(raw_server: TestServer) -> None:
    async def raw(stream: trio.abc.Stream) -> None:
        reader = RawReader(stream)
        await reader.receive_request()
        await stream.send_all(b"HTTP/1.1 200 OK\r\n")
        # An endless header block: must end in an error, not unbounded memory.
        with trio.move_on_after(5):
            while True:
                await stream.send_all(b"X-Filler: " + b"a" * 1000 + b"\r\n")

    raw_server.raw_handler = raw
    async with AsyncClient() as client:
        with trio.fail_after(5), pytest.raises(trio_http.ResponseTooLarge):
            await client.get(raw_server.url)


async def test_server_closing_without_response(raw_server: TestServer) -> None:
    async def raw(stream: trio.abc.Stream) -> None:
        reader = RawReader(stream)
        await reader.receive_request()
        await stream.aclose()

    raw_server.raw_handler = raw
    async with AsyncClient() as client:
        with pytest.raises(trio_http.RemoteProtocolError, match="without sending a response"):
            await client.post(raw_server.url, content=b"x")


async def test_stale_keepalive_connection_is_retried_for_get(raw_server: TestServer) -> None:
    connections = 0

    async def raw(stream: trio.abc.Stream) -> None:
        nonlocal connections
        connections += 1
        reader = RawReader(stream)
        await reader.receive_request()
        await stream.send_all(OK)
        if connections == 1:
            # Keep-alive promised, then closed once the request is read: the
            # client's next request on this connection finds it dead.
            await reader.receive_request()
            await stream.aclose()
            return
        await serve_ok_forever(stream)

    raw_server.raw_handler = raw
    async with AsyncClient() as client:
        assert (await client.get(raw_server.url)).text == "ok"
        assert (await client.get(raw_server.url)).text == "ok"
    assert connections == 2


async def test_stale_keepalive_connection_is_never_retried_for_post(
    raw_server: TestServer,
) -> None:
    connections = 0

    async def raw(stream: trio.abc.Stream) -> None:
        nonlocal connections
        connections += 1
        reader = RawReader(stream)
        await reader.receive_request()
        await stream.send_all(OK)
        await reader.receive_request()
        await stream.aclose()

    raw_server.raw_handler = raw
    async with AsyncClient() as client:
        await client.post(raw_server.url, content=b"1")
        with pytest.raises(trio_http.RemoteProtocolError):
            await client.post(raw_server.url, content=b"2")
    assert connections == 1


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_a_non_idempotent_request_skips_a_connection_the_server_just_closed(
    raw_server: TestServer, method: str
) -> None:
    # A server restart or keep-alive timeout a moment ago: the reused
    # connection is checked before a request that must not be sent twice.
    connections = 0
    bodies: list[bytes] = []
    first_closed = trio.Event()

    async def raw(stream: trio.abc.Stream) -> None:
        nonlocal connections
        connections += 1
        reader = RawReader(stream)
        if connections == 1:
            await reader.receive_request()
            await stream.send_all(OK)
            await stream.aclose()
            first_closed.set()
            return
        while True:
            try:
                _, body = await reader.receive_request()
            except EOFError:
                return
            bodies.append(body)
            await stream.send_all(OK)

    raw_server.raw_handler = raw
    async with AsyncClient() as client:
        assert (await client.get(raw_server.url)).text == "ok"
        await first_closed.wait()
        response = await client.request(method, raw_server.url, content=b"once")
        assert response.text == "ok"
    assert bodies == [b"once"]
    assert connections == 2


async def test_idle_connection_closed_by_server_is_detected_before_reuse(
    raw_server: TestServer, autojump_clock: trio.testing.MockClock
) -> None:
    async def raw(stream: trio.abc.Stream) -> None:
        reader = RawReader(stream)
        await reader.receive_request()
        await stream.send_all(OK)
        await stream.aclose()  # closes after one response, without saying so

    raw_server.raw_handler = raw
    async with AsyncClient() as client:
        await client.post(raw_server.url, content=b"1")
        await trio.sleep(2)  # past the liveness-probe threshold
        await trio.testing.wait_all_tasks_blocked()
        # A POST is not retried, so this only passes if the dead connection
        # was found before it was used.
        response = await client.post(raw_server.url, content=b"2")
    assert response.text == "ok"


@pytest.mark.parametrize(
    ("timeouts", "content", "expected"),
    [
        pytest.param(Timeouts(5, read=1), None, trio_http.ReadTimeout, id="waiting-for-the-head"),
        # An in-memory body goes out with the head; the socket takes part of
        # it, and the rest waits for buffer space that never comes.
        pytest.param(
            Timeouts(5, write=1, read=100),
            b"w" * (1024 * 1024),
            trio_http.WriteTimeout,
            id="inline-body-never-read",
        ),
    ],
)
async def test_phase_timeouts_of_the_head_exchange(
    raw_server: TestServer,
    autojump_clock: trio.testing.MockClock,
    timeouts: Timeouts,
    content: bytes | None,
    expected: type[Exception],
) -> None:
    async def raw(stream: trio.abc.Stream) -> None:
        await RawReader(stream).receive_head()
        await trio.sleep_forever()

    raw_server.raw_handler = raw
    async with AsyncClient(timeout=timeouts) as client:
        start = trio.current_time()
        with pytest.raises(expected):
            await client.request("POST" if content else "GET", raw_server.url, content=content)
        assert trio.current_time() - start == pytest.approx(1, abs=0.1)


async def test_read_timeout_on_stalled_body(
    server: TestServer, autojump_clock: trio.testing.MockClock
) -> None:
    async with AsyncClient(timeout=Timeouts(5, read=2)) as client:
        with pytest.raises(trio_http.ReadTimeout) as info:
            await client.get(server.url_for("/slow-body/100"))
        assert isinstance(info.value, trio_http.Timeout)
        assert (await client.get(server.url_for("/get"))).status_code == 200


async def test_total_deadline_covers_a_slow_drip(
    server: TestServer, autojump_clock: trio.testing.MockClock
) -> None:
    # Each byte arrives well within the read timeout, but the whole body
    # takes 10 s: only the overall deadline can stop it.
    async with AsyncClient(timeout=Timeouts(5, total=3)) as client:
        start = trio.current_time()
        with pytest.raises(trio_http.TotalTimeout):
            await client.get(server.url_for("/drip"), params={"numbytes": 10, "duration": 10})
        assert trio.current_time() - start == pytest.approx(3, abs=0.1)


async def test_total_deadline_applies_to_streamed_bodies(
    server: TestServer, autojump_clock: trio.testing.MockClock
) -> None:
    async with AsyncClient(timeout=Timeouts(5, total=3)) as client:
        async with client.stream(
            "GET", server.url_for("/drip"), params={"numbytes": 10, "duration": 10}
        ) as response:
            with pytest.raises(trio_http.TotalTimeout):
                async for _ in response.aiter_raw():
                    pass


async def test_write_timeout_when_server_never_reads(
    raw_server: TestServer, autojump_clock: trio.testing.MockClock
) -> None:
    async def raw(stream: trio.abc.Stream) -> None:
        await RawReader(stream).receive_head()
        await trio.sleep_forever()  # never reads the body: TCP buffers fill up

    async def big_body():  # type: ignore[no-untyped-def]
        for _ in range(10_000):
            yield b"w" * 65536

    raw_server.raw_handler = raw
    async with AsyncClient(timeout=Timeouts(5, write=1, read=100)) as client:
        with pytest.raises(trio_http.WriteTimeout):
            await client.post(raw_server.url, content=big_body())


async def test_pool_timeout_when_every_connection_is_busy(
    server: TestServer, autojump_clock: trio.testing.MockClock
) -> None:
    limits = trio_http.Limits(max_connections=1)
    async with AsyncClient(limits=limits, timeout=Timeouts(5, pool=1)) as client:
        async with client.stream("GET", server.url_for("/slow-body/10")):
            with pytest.raises(trio_http.PoolTimeout):
                await client.get(server.url_for("/get"))
        assert (await client.get(server.url_for("/get"))).status_code == 200


async def test_connect_timeout_is_both_connection_error_and_timeout(
    autojump_clock: trio.testing.MockClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def black_hole(*args: object, **kwargs: object) -> trio.SocketStream:
        await trio.sleep_forever()
        raise AssertionError("unreachable")

    monkeypatch.setattr(trio, "open_tcp_stream", black_hole)
    async with AsyncClient(timeout=Timeouts(5, connect=2)) as client:
        with pytest.raises(trio_http.ConnectTimeout) as info:
            await client.get("http://127.0.0.1:9/")
    assert isinstance(info.value, trio_http.ConnectionError)
    assert isinstance(info.value, trio_http.Timeout)


async def test_requests_wait_for_a_slot_and_all_complete(server: TestServer) -> None:
    limits = trio_http.Limits(max_connections=3)
    results: list[int] = []
    async with AsyncClient(limits=limits) as client:

        async def one() -> None:
            response = await client.get(server.url_for("/delay/0.01"))
            results.append(response.status_code)

        async with trio.open_nursery() as nursery:
            for _ in range(30):
                nursery.start_soon(one)
    assert results == [200] * 30
    assert server.max_concurrent_requests <= 3
    assert server.connections_opened <= 3


async def test_bytes_after_the_response_prevent_reuse(raw_server: TestServer) -> None:
    connections = 0

    async def raw(stream: trio.abc.Stream) -> None:
        nonlocal connections
        connections += 1
        reader = RawReader(stream)
        await reader.receive_request()
        # A second, unsolicited response glued to the first: the connection's
        # state is unknown, so it must not serve another request.
        await stream.send_all(OK + b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\njunk")
        await serve_ok_forever(stream)

    raw_server.raw_handler = raw
    async with AsyncClient() as client:
        first = await client.get(raw_server.url)
        second = await client.get(raw_server.url)
    assert first.text == second.text == "ok"
    assert connections == 2


async def test_idle_connections_expire_after_keepalive_expiry(
    server: TestServer, autojump_clock: trio.testing.MockClock
) -> None:
    limits = trio_http.Limits(keepalive_expiry=5.0)
    async with AsyncClient(limits=limits) as client:
        await client.get(server.url_for("/get"))
        pool = client._transport  # type: ignore[attr-defined]
        assert pool.idle_connections == 1
        await trio.sleep(6)
        assert pool.idle_connections == 0
        assert pool.open_connections == 0
        await client.get(server.url_for("/get"))
    assert server.connections_opened == 2


async def test_max_keepalive_connections_bounds_idle_connections(server: TestServer) -> None:
    limits = trio_http.Limits(max_connections=10, max_keepalive_connections=2)
    async with AsyncClient(limits=limits) as client:
        async with trio.open_nursery() as nursery:
            for _ in range(6):
                nursery.start_soon(client.get, server.url_for("/delay/0.05"))
        pool = client._transport  # type: ignore[attr-defined]
        assert pool.idle_connections == 2
        assert pool.open_connections == 2


async def test_each_request_on_a_kept_alive_connection_sends_its_own_head(
    server: TestServer,
) -> None:
    # The connection reuses the previous request's h11 event only when method,
    # target and headers are all equal: any difference must reach the wire.
    sent = [
        ("GET", "/get?page=1", "a"),
        ("GET", "/get?page=1", "a"),
        ("GET", "/get?page=1", "b"),
        ("GET", "/get?page=2", "b"),
        ("DELETE", "/get?page=2", "b"),
    ]
    seen = []
    async with trio_http.AsyncClient() as client:
        for method, path, value in sent:
            response = await client.request(
                method, server.url_for(path), headers={"X-Value": value}
            )
            payload = response.json()
            seen.append((payload["method"], payload["url"], payload["headers"]["x-value"]))
    assert seen == sent
    assert server.connections_opened == 1


async def test_inline_body_larger_than_the_socket_buffer_arrives_whole(
    raw_server: TestServer,
) -> None:
    # The head and an in-memory body go out in one non-blocking write; when
    # the server is slow to read, the socket takes only part and the rest
    # must follow through the stream, in order, under the write timeout.
    body = bytes(range(256)) * 4096  # 1 MiB
    received: list[bytes] = []

    async def raw(stream: trio.abc.Stream) -> None:
        reader = RawReader(stream)
        await trio.sleep(0.2)  # let the client's first write fill the buffers
        _, payload = await reader.receive_request()
        received.append(payload)
        await stream.send_all(OK)

    raw_server.raw_handler = raw
    async with AsyncClient() as client:
        with trio.fail_after(10):
            response = await client.post(raw_server.url, content=body)
    assert response.text == "ok"
    assert received == [body]


# -- a pool used on its own, without the client's housekeeping task --------------


def _bare_request(url: str, timeout: Timeouts) -> trio_http.Request:
    return trio_http.Request("GET", url, extensions={"timeout": timeout})


async def test_a_pool_without_housekeeping_still_applies_phase_timeouts(
    raw_server: TestServer, autojump_clock: trio.testing.MockClock
) -> None:
    # Without the watch task the head exchange runs under its own cancel
    # scope: the same timeouts, the same errors.
    connections = 0

    async def raw(stream: trio.abc.Stream) -> None:
        nonlocal connections
        connections += 1
        reader = RawReader(stream)
        if connections == 1:
            await reader.receive_request()
            await stream.send_all(OK)
            await reader.receive_request()
        else:
            await reader.receive_head()  # and never the body: buffers fill up
        await trio.sleep_forever()

    raw_server.raw_handler = raw
    pool = trio_http.ConnectionPool()
    try:
        response = await pool.handle_async_request(_bare_request(raw_server.url, Timeouts(5)))
        assert await response.aread() == b"ok"
        start = trio.current_time()
        with pytest.raises(trio_http.ReadTimeout):
            await pool.handle_async_request(_bare_request(raw_server.url, Timeouts(5, read=1)))
        assert trio.current_time() - start == pytest.approx(1, abs=0.1)
        with pytest.raises(trio_http.WriteTimeout):
            await pool.handle_async_request(
                trio_http.Request(
                    "POST",
                    raw_server.url,
                    content=b"w" * (1024 * 1024),
                    extensions={"timeout": Timeouts(5, write=1, read=100)},
                )
            )
        with pytest.raises(trio_http.TotalTimeout):
            request = _bare_request(raw_server.url, Timeouts(5))
            request.deadlines = Deadlines(Timeouts(5), trio.current_time() + 0.5)
            await pool.handle_async_request(request)
    finally:
        await pool.aclose()


async def test_the_deadline_watch_holds_nothing_after_requests_end(
    raw_server: TestServer, autojump_clock: trio.testing.MockClock
) -> None:
    async def raw(stream: trio.abc.Stream) -> None:
        reader = RawReader(stream)
        while True:
            head = await reader.receive_head()
            if b"/stall" in head:
                await trio.sleep_forever()
            await stream.send_all(OK)

    raw_server.raw_handler = raw
    async with AsyncClient(timeout=Timeouts(5, read=1)) as client:
        watch = client._transport._deadlines  # type: ignore[attr-defined]
        assert (await client.get(raw_server.url)).text == "ok"
        with pytest.raises(trio_http.ReadTimeout):
            await client.get(raw_server.url + "/stall")
        with trio.move_on_after(0.5):
            await client.get(raw_server.url + "/stall")  # cancelled while waiting
        assert (await client.get(raw_server.url)).text == "ok"
        assert len(watch) == 0


BIG_BODY = bytes(range(256)) * 4096  # 1 MiB


async def serve_big_or_ok(stream: trio.abc.Stream) -> None:
    reader = RawReader(stream)
    while True:
        try:
            head = await reader.receive_head()
        except EOFError:
            return
        if b"/big" in head:
            await stream.send_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BIG_BODY) + BIG_BODY
            )
        else:
            await stream.send_all(OK)


def only_connection(client: AsyncClient):  # type: ignore[no-untyped-def]
    (conn,) = client._transport._connections  # type: ignore[attr-defined]
    return conn


async def test_reads_grow_for_a_large_body_and_shrink_back_for_a_small_one(
    raw_server: TestServer,
) -> None:
    raw_server.raw_handler = serve_big_or_ok
    async with AsyncClient() as client:
        async with client.stream("GET", raw_server.url + "/big") as response:
            chunks = [len(chunk) async for chunk in response.aiter_raw()]
        assert sum(chunks) == len(BIG_BODY)
        assert max(chunks) > MIN_READ_SIZE  # the download's reads grew
        assert (await client.get(raw_server.url)).text == "ok"
        # The next request's read asks for 16 KiB, not the 256 KiB a
        # download reached (CPython allocates the whole ask every read).
        assert only_connection(client)._receiver.read_size == MIN_READ_SIZE


async def test_an_idle_tls_connection_holds_no_read_ahead(
    tls_server: TestServer, ca_bundle: str
) -> None:
    tls_server.raw_handler = serve_big_or_ok
    async with AsyncClient(verify=ca_bundle) as client:
        response = await client.get(tls_server.url + "/big")
        assert response.content == BIG_BODY
        assert (await client.get(tls_server.url)).text == "ok"
        stream = only_connection(client)._stream
        assert isinstance(stream, TLSSocketStream)
        assert not stream.has_pending()  # no plaintext left in OpenSSL
        assert stream.socket.pending() == 0
