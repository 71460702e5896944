"""Every public async method is a checkpoint, on success and on failure.

STYLE: ``async def`` means "may block, and is always a checkpoint", fast path
included. Each call below runs inside ``trio.testing.assert_checkpoints``
against the in-process servers, over HTTP/1.1 and HTTP/2, with a warm
connection (the fast path) and a failing one. Deliberate exceptions, each
documented where it lives:

- ``Response.aread()`` when the whole body is in memory already (read
  before, or arrived complete with the head): nothing can block, so it
  returns at once;
- ``Response.aclose()`` on a response closed already;
- a body iterator's ``__anext__`` when data is buffered is a cancellation
  point only (``checkpoint_if_cancelled``): a download would otherwise pay
  a scheduler pass per TLS record. Its end, and every wait, is a full
  checkpoint.

Failure paths of the client's request methods are covered in
``test_client.py`` (``test_a_failing_request_is_still_a_checkpoint``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import trio
import trio.testing
from h2server import H2Server, open_h2_server
from server import TestServer

import trio_http
from trio_http import AsyncClient

Call = Callable[[AsyncClient, str], Awaitable[Any]]

CALLS: list[tuple[str, Call]] = [
    ("send", lambda c, url: c.send(c.build_request("GET", url))),
    ("request", lambda c, url: c.request("GET", url)),
    ("get", lambda c, url: c.get(url)),
    ("head", lambda c, url: c.head(url)),
    ("options", lambda c, url: c.options(url)),
    ("post", lambda c, url: c.post(url, content=b"x")),
    ("put", lambda c, url: c.put(url, content=b"x")),
    ("patch", lambda c, url: c.patch(url, content=b"x")),
    ("delete", lambda c, url: c.delete(url)),
]


@pytest.fixture
async def h2_server() -> AsyncIterator[H2Server]:
    async with open_h2_server() as running:
        yield running


@pytest.mark.parametrize(("name", "call"), CALLS, ids=[name for name, _ in CALLS])
async def test_request_methods_over_http11_are_checkpoints(
    server: TestServer, name: str, call: Call
) -> None:
    url = server.url_for("/anything")
    async with AsyncClient() as client:
        await call(client, url)  # the connection is warm now
        with trio.testing.assert_checkpoints():
            await call(client, url)


@pytest.mark.parametrize(("name", "call"), CALLS, ids=[name for name, _ in CALLS])
async def test_request_methods_over_http2_are_checkpoints(
    h2_server: H2Server, name: str, call: Call
) -> None:
    url = h2_server.url + "/echo"
    async with AsyncClient(http2=True, http1=False) as client:
        await call(client, url)
        with trio.testing.assert_checkpoints():
            await call(client, url)


async def test_entering_and_leaving_a_client_are_checkpoints() -> None:
    client = AsyncClient()
    with trio.testing.assert_checkpoints():
        await client.__aenter__()
    with trio.testing.assert_checkpoints():
        await client.__aexit__(None, None, None)


async def test_a_stream_block_and_its_reads_are_checkpoints(server: TestServer) -> None:
    url = server.url_for("/bytes/2000000")  # more than arrives with the head
    async with AsyncClient() as client:
        await client.get(url)
        with trio.testing.assert_checkpoints():
            async with client.stream("GET", url) as response:
                pass
        async with client.stream("GET", url) as response:
            with trio.testing.assert_checkpoints():
                assert len(await response.aread()) == 2_000_000
            # In memory now: the documented exception.
            with trio.testing.assert_no_checkpoints():
                await response.aread()
        # Closed already: the documented exception.
        with trio.testing.assert_no_checkpoints():
            await response.aclose()


async def test_a_buffered_chunk_is_still_a_cancellation_point(h2_server: H2Server) -> None:
    async with AsyncClient(http2=True, http1=False) as client:
        async with client.stream("POST", h2_server.url + "/echo", content=b"e" * 5000) as r:
            raw = r.aiter_raw()
            with trio.CancelScope() as scope:
                scope.cancel()
                await raw.__anext__()
            assert scope.cancelled_caught
            await raw.aclose()


async def test_pool_methods_are_checkpoints(server: TestServer) -> None:
    pool = trio_http.ConnectionPool()
    request = trio_http.Request("GET", server.url_for("/get"))
    with trio.testing.assert_checkpoints():
        response = await pool.handle_async_request(request)
    await response.aread()
    with trio.testing.assert_checkpoints():
        response = await pool.handle_async_request(trio_http.Request("GET", request.url))
    await response.aclose()
    with trio.testing.assert_checkpoints():
        await pool.aclose()
