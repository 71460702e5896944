"""Body bytes handed on past h11's buffer equal the plain path, byte for byte.

Every example runs one exchange twice over an in-memory stream: once as the
connection does it (stretches of body bytes skip h11's buffer) and once
with that path switched off (every byte through h11). Bodies, errors and
whether the connection may be reused must be the same.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import h11
import pytest
import trio
import trio.testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trio_http
from trio_http import Timeouts
from trio_http._deadlines import Deadlines
from trio_http._transports import _h11_body_room, _http11
from trio_http._transports._http11 import HTTP11Connection

FRAMINGS = ("length", "chunked", "close")


def test_the_installed_h11_has_every_member_the_fast_path_reads() -> None:
    # Losing the fast path silently would cost 3x the CPU per body byte.
    assert _h11_body_room.LEAN_BODY


def _pattern(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def _wire(body: bytes, framing: str, chunk_sizes: list[int], extra: bytes = b"") -> bytes:
    if framing == "length":
        return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body + extra
    if framing == "close":
        return b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body
    parts = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"]
    offset, sizes = 0, iter(chunk_sizes or [1])
    while offset < len(body):
        size = max(1, next(sizes, len(body)))
        piece = body[offset : offset + size]
        parts.append(b"%x\r\n" % len(piece) + piece + b"\r\n")
        offset += size
    parts.append(b"0\r\nTrailer-Name: x\r\n\r\n")
    return b"".join(parts)


async def _exchange(
    wire: bytes,
    writes: list[int],
    *,
    fast: bool,
    close_after: bool,
    timeouts: Timeouts | None = None,
    reader: Callable[[trio_http.Response], Any] | None = None,
    sockets: bool = False,
) -> tuple[bytes | str, bool | None]:
    """Send a GET over a memory stream; the server answers ``wire`` in ``writes`` pieces.

    ``sockets``: a connected socket pair instead, so reads go through the
    descriptor into the scratch buffer and come out cut in pieces.

    Returns the body (or the error's type and message) and whether the
    connection was released as reusable.
    """
    client_stream: trio.abc.Stream
    server_stream: trio.abc.Stream
    if sockets:
        left, right = trio.socket.socketpair()
        client_stream, server_stream = trio.SocketStream(left), trio.SocketStream(right)
    else:
        client_stream, server_stream = trio.testing.memory_stream_pair()
    released: list[bool] = []
    conn = HTTP11Connection(
        client_stream, ("http", "example.com", 80), lambda _, r: released.append(r)
    )
    if not fast:
        original = _http11.body_room
        _http11.body_room = lambda h: 0  # type: ignore[assignment]

    async def serve() -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            head += await server_stream.receive_some(65536)
        offset, sizes = 0, iter(writes)
        while offset < len(wire):
            size = max(1, next(sizes, len(wire)))
            await server_stream.send_all(wire[offset : offset + size])
            offset += size
            await trio.sleep(0)
        if close_after:
            await server_stream.aclose()

    outcome: bytes | str
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(serve)
            request = trio_http.Request("GET", "http://example.com/")
            deadlines = Deadlines.start(timeouts or Timeouts(5), trio.current_time())
            try:
                response = await conn.handle_request(request, deadlines)
                if reader is not None:
                    outcome = await reader(response)
                else:
                    outcome = b"".join([chunk async for chunk in response.stream])
            except trio_http.RequestException as exc:
                outcome = f"{type(exc).__name__}: {exc}"
            conn.close_nowait()
            nursery.cancel_scope.cancel()
    finally:
        if not fast:
            _http11.body_room = original  # type: ignore[assignment]
        if isinstance(server_stream, trio.SocketStream):
            server_stream.socket.close()
    return outcome, (released[0] if released else None)


async def _both(wire: bytes, writes: list[int], **options: Any) -> tuple[bytes | str, bool | None]:
    fast = await _exchange(wire, writes, fast=True, **options)
    plain = await _exchange(wire, writes, fast=False, **options)
    assert fast == plain
    return fast


def _chunks_of(size: int | None) -> Callable[[trio_http.Response], Any]:
    async def read(response: trio_http.Response) -> bytes:
        chunks = [chunk async for chunk in response.aiter_bytes(size)]
        if size is not None:
            assert all(len(chunk) == size for chunk in chunks[:-1])
        return b"".join(chunks)

    return read


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    size=st.integers(0, 400_000),
    seed=st.integers(0, 2**32),
    framing=st.sampled_from(FRAMINGS),
    chunk_sizes=st.lists(st.integers(1, 150_000), max_size=6),
    writes=st.lists(st.integers(1, 200_000), max_size=8),
    sockets=st.booleans(),
    chunk_size=st.one_of(st.none(), st.integers(1, 100_000)),
)
def test_every_framing_and_segmentation_gives_the_same_body(
    size: int,
    seed: int,
    framing: str,
    chunk_sizes: list[int],
    writes: list[int],
    sockets: bool,
    chunk_size: int | None,
) -> None:
    # Over a socket the fast path reads into the scratch buffer and cuts
    # pieces that end where the reader's chunks end; over a memory stream
    # it hands on each read whole.
    body = _pattern(size, seed)
    wire = _wire(body, framing, chunk_sizes)
    close = framing == "close"
    reader = _chunks_of(chunk_size)
    got, reusable = trio.run(
        lambda: _both(wire, writes, close_after=close, reader=reader, sockets=sockets)
    )
    assert got == body
    assert reusable is (not close)


async def test_pieces_end_where_the_readers_chunks_end() -> None:
    body = _pattern(1_000_000, 7)
    wire = _wire(body, "length", [])
    pieces: list[bytes] = []

    async def read(response: trio_http.Response) -> bytes:
        response.stream.prefer_chunk_size(4096)
        async for piece in response.stream:
            pieces.append(piece)
        return b"".join(pieces)

    got, _ = await _exchange(
        wire, [100_000] * 10, fast=True, close_after=False, reader=read, sockets=True
    )
    assert got == body
    ends, offset = [], 0
    for piece in pieces:
        offset += len(piece)
        ends.append(offset)
    # Reads end anywhere; the pieces cut from them end on chunk boundaries,
    # so at most one piece per read (its tail) leaves a chunk unfinished.
    # (What came with the head, and the read that ends the body, go
    # through h11 uncut.)
    unaligned = [end for end in ends if end % 4096]
    assert len(unaligned) <= len(pieces) // 4
    assert sum(len(piece) == 4096 for piece in pieces) >= len(pieces) * 3 // 4


@pytest.mark.parametrize("sockets", [False, True], ids=["memory", "socket"])
async def test_a_body_shorter_than_its_length_fails_alike(sockets: bool) -> None:
    body = _pattern(100_000, 1)
    wire = _wire(body, "length", [])[:-1000]
    got, reusable = await _both(
        wire, [30_000], close_after=True, sockets=sockets, reader=_chunks_of(4096)
    )
    assert isinstance(got, str) and got.startswith("ChunkedEncodingError")
    assert "received 99000 bytes, expected 100000" in got
    assert reusable is False


@pytest.mark.parametrize("sockets", [False, True], ids=["memory", "socket"])
async def test_bytes_after_the_counted_body_are_not_body_and_end_reuse(sockets: bool) -> None:
    body = _pattern(70_000, 2)
    wire = _wire(body, "length", [], extra=b"garbage after the body")
    got, reusable = await _both(
        wire, [50_000, 50_000], close_after=False, sockets=sockets, reader=_chunks_of(4096)
    )
    assert got == body
    assert reusable is False


@pytest.mark.parametrize("sockets", [False, True], ids=["memory", "socket"])
async def test_a_malformed_chunk_header_fails_alike(sockets: bool) -> None:
    body = _pattern(50_000, 3)
    wire = _wire(body, "chunked", [40_000]).replace(b"\r\n2710\r\n", b"\r\nzz\r\n", 1)
    got, reusable = await _both(
        wire, [45_000], close_after=True, sockets=sockets, reader=_chunks_of(4096)
    )
    assert isinstance(got, str) and "chunk" in got.lower()
    assert reusable is False


@pytest.mark.parametrize("sockets", [False, True], ids=["memory", "socket"])
async def test_a_stalled_body_times_out_alike(
    autojump_clock: trio.testing.MockClock, sockets: bool
) -> None:
    body = _pattern(200_000, 4)
    wire = _wire(body, "length", [])[:150_000]
    start = trio.current_time()
    got, reusable = await _both(
        wire,
        [60_000],
        close_after=False,
        timeouts=Timeouts(5, read=2),
        sockets=sockets,
        reader=_chunks_of(4096),
    )
    assert isinstance(got, str) and got.startswith("ReadTimeout")
    assert reusable is False
    assert trio.current_time() - start == pytest.approx(4, abs=0.1)  # two runs of 2 s


@pytest.mark.parametrize("sockets", [False, True], ids=["memory", "socket"])
@pytest.mark.parametrize("framing", ["length", "chunked"])
async def test_cancelled_mid_body_the_connection_is_not_reused(framing: str, sockets: bool) -> None:
    body = _pattern(400_000, 5)
    wire = _wire(body, framing, [100_000])[:250_000]

    async def read_some(response: trio_http.Response) -> bytes:
        received = b""
        response.stream.prefer_chunk_size(4096)
        with trio.move_on_after(0.2):
            async for chunk in response.stream:
                received += chunk
        await response.aclose()
        return received

    got, reusable = await _exchange(
        wire, [50_000], fast=True, close_after=False, reader=read_some, sockets=sockets
    )
    assert isinstance(got, bytes) and body.startswith(got) and len(got) < len(body)
    assert reusable is False


async def test_the_fast_path_counts_in_h11_and_leaves_transitions_to_it() -> None:
    h = h11.Connection(h11.CLIENT)
    h.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    h.send(h11.EndOfMessage())
    h.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
    assert type(h.next_event()) is h11.Response
    assert _h11_body_room.body_room(h) == 9  # one short: h11 sees the last byte
    _h11_body_room.take_body(h, 9)
    assert _h11_body_room.body_room(h) == 0
    h.receive_data(b"x")
    assert bytes(h.next_event().data) == b"x"  # type: ignore[union-attr]
    assert type(h.next_event()) is h11.EndOfMessage
    assert h.their_state is h11.DONE


@pytest.mark.parametrize("framing", FRAMINGS)
async def test_large_bodies_mostly_skip_h11s_buffer(
    framing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[int] = []
    original = _http11.take_body

    def counting(h: h11.Connection, count: int) -> None:
        taken.append(count)
        original(h, count)

    monkeypatch.setattr(_http11, "take_body", counting)
    body = _pattern(1_000_000, 6)
    wire = _wire(body, framing, [300_000])
    got, _ = await _exchange(wire, [64 * 1024] * 40, fast=True, close_after=framing == "close")
    assert got == body
    assert sum(taken) > len(body) // 2
