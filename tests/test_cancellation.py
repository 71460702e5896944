"""The cancellation matrix: cancel a request at every stage, then prove the
pool is consistent and still serves the next request, and no task is left.

Each stage is reached for real (a stalled server, a stalled body source, a
busy pool); the test waits until the request is parked there, then cancels.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
from server import RawReader, Responder, ServerRequest, TestServer

import trio_http
from trio_http import AsyncClient
from trio_http._transports import _pool


class StallingStream(trio.abc.Stream):
    """Wraps a real stream; ``send_all`` stalls forever once armed."""

    def __init__(self, inner: trio.abc.Stream, reached: trio.Event) -> None:
        self.inner = inner
        self.transport_stream = inner
        self.reached = reached

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        self.reached.set()
        await trio.sleep_forever()

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        return await self.inner.receive_some(max_bytes)

    async def aclose(self) -> None:
        await self.inner.aclose()


def assert_pool_consistent(client: AsyncClient) -> None:
    pool: Any = client._transport  # type: ignore[attr-defined]
    policy = pool._policy
    assert policy.open_count == pool.open_connections
    assert sum(policy.per_origin.values()) == policy.open_count
    assert not policy.waiters
    assert all(not conn.closed for conn in pool._connections)


@asynccontextmanager
async def cancelled_when(reached: trio.Event) -> AsyncIterator[trio.CancelScope]:
    async with trio.open_nursery() as nursery:
        scope = trio.CancelScope()

        async def cancel_on_reach() -> None:
            await reached.wait()
            scope.cancel()

        nursery.start_soon(cancel_on_reach)
        yield scope
        nursery.cancel_scope.cancel()


async def run_stage(client: AsyncClient, reached: trio.Event, request: Callable[[], Any]) -> None:
    async with cancelled_when(reached) as scope:
        with trio.fail_after(10):
            with scope:
                await request()
    assert scope.cancelled_caught, "the request finished before reaching the stage"


async def follow_up_works(client: AsyncClient, server: TestServer) -> None:
    assert_pool_consistent(client)
    response = await client.get(server.url_for("/get"))
    assert response.status_code == 200
    assert_pool_consistent(client)


async def test_cancel_during_connect(server: TestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    reached = trio.Event()
    real_open = trio.open_tcp_stream

    async def stalled_connect(*args: Any, **kwargs: Any) -> trio.SocketStream:
        reached.set()
        await trio.sleep_forever()
        raise AssertionError("unreachable")

    async with AsyncClient() as client:
        monkeypatch.setattr(trio, "open_tcp_stream", stalled_connect)
        await run_stage(client, reached, lambda: client.get(server.url_for("/get")))
        monkeypatch.setattr(trio, "open_tcp_stream", real_open)
        assert client._transport.open_connections == 0  # type: ignore[attr-defined]
        await follow_up_works(client, server)


async def test_cancel_during_tls_handshake(raw_server: TestServer, server: TestServer) -> None:
    reached = trio.Event()

    async def silent_tls_peer(stream: trio.abc.Stream) -> None:
        await stream.receive_some(65536)  # the ClientHello
        reached.set()
        # Never answer; return when the client hangs up.
        while await stream.receive_some(65536):
            pass

    raw_server.raw_handler = silent_tls_peer
    url = raw_server.url.replace("http://", "https://")
    async with AsyncClient() as client:
        await run_stage(client, reached, lambda: client.get(url))
        assert client._transport.open_connections == 0  # type: ignore[attr-defined]
        await follow_up_works(client, server)
    with trio.fail_after(5):
        while raw_server.connections_open:
            await trio.sleep(0.01)


async def test_cancel_while_waiting_for_a_pool_slot(server: TestServer) -> None:
    reached = trio.Event()
    limits = trio_http.Limits(max_connections=1)
    async with AsyncClient(limits=limits) as client:
        pool: Any = client._transport  # type: ignore[attr-defined]
        async with client.stream("GET", server.url_for("/slow-body/10")) as busy:
            async with trio.open_nursery() as nursery:

                async def mark_when_queued() -> None:
                    while not pool._policy.waiters:
                        await trio.sleep(0.001)
                    reached.set()

                nursery.start_soon(mark_when_queued)
                await run_stage(client, reached, lambda: client.get(server.url_for("/get")))
            assert not pool._policy.waiters
            assert busy.status_code == 200
        await follow_up_works(client, server)


async def test_cancel_while_sending_headers(
    server: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    reached = trio.Event()
    real_open_stream = _pool.open_stream

    async def stalling_open_stream(*args: Any, **kwargs: Any) -> trio.abc.Stream:
        return StallingStream(await real_open_stream(*args, **kwargs), reached)

    async with AsyncClient() as client:
        monkeypatch.setattr(_pool, "open_stream", stalling_open_stream)
        await run_stage(client, reached, lambda: client.get(server.url_for("/get")))
        monkeypatch.setattr(_pool, "open_stream", real_open_stream)
        assert client._transport.open_connections == 0  # type: ignore[attr-defined]
        await follow_up_works(client, server)
    assert server.requests[-1].target == "/get"
    assert len(server.requests) == 1


async def test_cancel_while_sending_the_body(server: TestServer) -> None:
    reached = trio.Event()

    async def stalling_body() -> AsyncIterator[bytes]:
        yield b"first part"
        reached.set()
        await trio.sleep_forever()
        yield b"never"

    async with AsyncClient() as client:
        await client.get(server.url_for("/get"))  # a warm keep-alive connection
        await run_stage(
            client, reached, lambda: client.post(server.url_for("/upload"), content=stalling_body())
        )
        # The half-sent connection was closed, never reused.
        assert client._transport.open_connections == 0  # type: ignore[attr-defined]
        await follow_up_works(client, server)
    assert server.connections_opened == 2


async def test_cancel_while_waiting_for_the_response(server: TestServer) -> None:
    reached = trio.Event()

    @server.route("/hang")
    async def hang(request: ServerRequest, respond: Responder) -> None:
        reached.set()
        await trio.sleep_forever()

    async with AsyncClient() as client:
        await run_stage(client, reached, lambda: client.get(server.url_for("/hang")))
        assert client._transport.open_connections == 0  # type: ignore[attr-defined]
        await follow_up_works(client, server)


@pytest.mark.parametrize("streamed", [False, True], ids=["read", "stream"])
async def test_cancel_while_reading_the_body(server: TestServer, streamed: bool) -> None:
    reached = trio.Event()

    @server.route("/partial")
    async def partial(request: ServerRequest, respond: Responder) -> None:
        await respond.start(200, [("Content-Length", "100000")])
        await respond.send(b"p" * 1000)
        reached.set()
        await trio.sleep_forever()

    async def read_streamed() -> None:
        async with client.stream("GET", server.url_for("/partial")) as response:
            async for _ in response.aiter_bytes():
                pass

    async with AsyncClient() as client:
        if streamed:
            await run_stage(client, reached, read_streamed)
        else:
            await run_stage(client, reached, lambda: client.get(server.url_for("/partial")))
        assert client._transport.open_connections == 0  # type: ignore[attr-defined]
        await follow_up_works(client, server)


async def test_cancel_of_many_concurrent_requests_leaves_pool_empty(server: TestServer) -> None:
    limits = trio_http.Limits(max_connections=4)
    async with AsyncClient(limits=limits) as client:
        with trio.move_on_after(0.2):
            async with trio.open_nursery() as nursery:
                for _ in range(50):
                    nursery.start_soon(client.get, server.url_for("/delay/0.05"))
        assert_pool_consistent(client)
        await follow_up_works(client, server)


async def test_cancelled_raw_server_sees_connection_closed(raw_server: TestServer) -> None:
    reached = trio.Event()
    closed = trio.Event()

    async def raw(stream: trio.abc.Stream) -> None:
        await RawReader(stream).receive_request()
        reached.set()
        while await stream.receive_some(1024):
            pass
        closed.set()

    raw_server.raw_handler = raw
    async with AsyncClient() as client:
        await run_stage(client, reached, lambda: client.get(raw_server.url))
        with trio.fail_after(5):
            await closed.wait()
