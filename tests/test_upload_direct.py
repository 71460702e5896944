"""Request bodies written straight to the socket arrive whole, framed as h11 frames them.

Over plain TCP the body goes out with gathered non-blocking writes
(``DirectSocket.send_all``); every body kind and framing must reach the
server byte for byte, also when the socket buffer fills many times over.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import AsyncIterator, Iterator

import pytest
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server import TestServer, open_test_server

import trio_http
from trio_http._transports import _net


def _body(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def _split(body: bytes, sizes: list[int]) -> list[bytes]:
    pieces, offset, cycle = [], 0, sizes or [len(body) or 1]
    while offset < len(body):
        size = max(1, cycle[len(pieces) % len(cycle)])
        pieces.append(body[offset : offset + size])
        offset += size
    return pieces


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(0, 3_000_000),
    seed=st.integers(0, 2**32),
    sizes=st.lists(st.integers(1, 700_000), max_size=5),
    kind=st.sampled_from(["bytes", "iterator", "async-iterator", "declared-length"]),
)
def test_every_body_kind_arrives_whole(size: int, seed: int, sizes: list[int], kind: str) -> None:
    body = _body(size, seed)

    async def main() -> None:
        async with open_test_server() as server, trio_http.AsyncClient() as client:
            headers: dict[str, str] = {}
            content: object
            if kind == "bytes":
                content = body
            elif kind == "iterator":
                content = iter(_split(body, sizes))
            elif kind == "declared-length":
                content = iter(_split(body, sizes))
                headers["Content-Length"] = str(len(body))
            else:

                async def pieces() -> AsyncIterator[bytes]:
                    for piece in _split(body, sizes):
                        yield piece

                content = pieces()
            response = await client.post(
                server.url_for("/upload"),
                content=content,
                headers=headers,  # type: ignore[arg-type]
            )
            assert response.json() == {
                "length": len(body),
                "sha256": hashlib.sha256(body).hexdigest(),
            }

    trio.run(main)


async def test_pieces_are_written_without_joining(
    server: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A chunked body's size line, data and CRLF go out as separate pieces
    # of one gathered write: the data object itself reaches writev.
    seen: list[list[int]] = []
    writev = _net.os.writev

    def recording(fd: int, buffers: list[memoryview]) -> int:
        seen.append([len(buffer) for buffer in buffers])
        return writev(fd, buffers)

    monkeypatch.setattr(_net.os, "writev", recording)
    data = b"x" * 100_000

    def pieces() -> Iterator[bytes]:
        yield data

    async with trio_http.AsyncClient() as client:
        response = await client.post(server.url_for("/upload"), content=pieces())
    assert response.json()["length"] == len(data)
    # The first gathered write of the chunk: size line, then the data.
    assert [len(b"186a0\r\n"), len(data), 2] in seen or any(
        lengths[:2] == [len(b"186a0\r\n"), len(data)] for lengths in seen
    )


async def test_a_server_that_stops_reading_ends_in_a_write_timeout(
    raw_server: TestServer, autojump_clock: trio.testing.MockClock
) -> None:
    async def raw(stream: trio.abc.Stream) -> None:
        await stream.receive_some(1024)  # the head, then never more
        await trio.sleep_forever()

    raw_server.raw_handler = raw
    async with trio_http.AsyncClient(timeout=trio_http.Timeouts(5, write=1)) as client:
        with pytest.raises(trio_http.WriteTimeout):
            await client.post(raw_server.url, content=iter([b"y" * 8_000_000]))
