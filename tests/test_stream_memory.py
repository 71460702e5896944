"""A streamed download holds O(chunk) memory, however large the body.

The bound, from the code: an HTTP/1.1 body is read one receive at a time
(at most ``READ_SIZE``, 256 KiB) and handed on with at most one re-chunking
buffer of ``chunk_size``; the blocking API adds the loop task's read-ahead
(``STREAM_READ_AHEAD``, 1 MiB) twice at most: one batch being read by the
caller's thread while the next one fills. These tests stream 32 MiB through each path
and check the peak of Python allocations (``tracemalloc``, both threads)
stays within that bound plus a margin, far below the body's size.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

import pytest
from server import Responder, ServerRequest, TestServer
from threaded_server import serve_in_thread

import trio_http
from trio_http._config import READ_SIZE
from trio_http._sync_pump import STREAM_READ_AHEAD

BODY_BYTES = 32 * 1024 * 1024
BLOCK = bytes(range(256)) * 256  # 64 KiB the server sends again and again
CHUNK = 64 * 1024
MARGIN = 1024 * 1024  # allocations beside the body: requests, events, buffers


def add_big_routes(server: TestServer) -> None:
    async def sized(request: ServerRequest, respond: Responder) -> None:
        await respond.start(200, [("Content-Length", str(BODY_BYTES))])
        for _ in range(BODY_BYTES // len(BLOCK)):
            await respond.send(BLOCK)
        await respond.end()

    async def chunked(request: ServerRequest, respond: Responder) -> None:
        await respond.start(200, [("Transfer-Encoding", "chunked")])
        for _ in range(BODY_BYTES // len(BLOCK)):
            await respond.send(BLOCK)
        await respond.end()

    server.route("/big-sized")(sized)
    server.route("/big-chunked")(chunked)


@pytest.fixture(scope="module")
def threaded() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        add_big_routes(running)
        yield running


@pytest.mark.parametrize("path", ["/big-sized", "/big-chunked"])
@pytest.mark.parametrize("chunk_size", [CHUNK, None])
async def test_an_async_stream_holds_one_read_and_one_chunk(
    server: TestServer, path: str, chunk_size: int | None
) -> None:
    add_big_routes(server)
    received = 0
    async with trio_http.AsyncClient() as client:
        async with client.stream("GET", server.url_for(path)) as response:
            tracemalloc.start()
            try:
                base, _ = tracemalloc.get_traced_memory()
                async for piece in response.aiter_bytes(chunk_size):
                    received += len(piece)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert received == BODY_BYTES
    assert peak - base < 2 * READ_SIZE + (chunk_size or 0) + MARGIN


@pytest.mark.parametrize("path", ["/big-sized", "/big-chunked"])
def test_a_blocking_stream_holds_the_read_ahead_and_one_chunk(
    threaded: TestServer, path: str
) -> None:
    received = 0
    with trio_http.Session() as session:
        with session.get(threaded.url_for(path), stream=True) as response:
            tracemalloc.start()
            try:
                base, _ = tracemalloc.get_traced_memory()
                for piece in response.iter_content(CHUNK):
                    received += len(piece)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert received == BODY_BYTES
    assert peak - base < 2 * STREAM_READ_AHEAD + 2 * READ_SIZE + CHUNK + MARGIN
