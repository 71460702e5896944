"""The streamed-body pump: a loop task feeding a reader in another thread."""

from __future__ import annotations

import random
import threading
import time

import pytest
import trio

import trio_http
from trio_http._portal import Portal, PortalClosed, get_portal
from trio_http._sync_pump import STREAM_READ_AHEAD, StreamPump


class Scripted(trio_http.AsyncByteStream):
    """A body that yields the given chunks, sleeping where a pause is given."""

    def __init__(self, steps: list[bytes | float | Exception]) -> None:
        self.steps = steps
        self.closed = False

    def __aiter__(self) -> Scripted:
        return self

    async def __anext__(self) -> bytes:
        while self.steps:
            step = self.steps.pop(0)
            if isinstance(step, float):
                await trio.sleep(step)
            elif isinstance(step, Exception):
                raise step
            else:
                await trio.lowlevel.checkpoint()
                return step
        raise StopAsyncIteration

    async def aclose(self) -> None:
        self.closed = True


def read_all(pump: StreamPump) -> list[bytes]:
    chunks: list[bytes] = []
    while batch := pump.read_batch():
        chunks += batch
    return chunks


def test_every_chunk_arrives_in_order_whatever_the_timing() -> None:
    rng = random.Random(7)
    chunks = [bytes([i % 251]) * rng.randrange(1, 70_000) for i in range(400)]
    steps: list[bytes | float | Exception] = []
    for chunk in chunks:
        steps.append(chunk)
        if rng.random() < 0.1:
            steps.append(rng.choice([0.0, 0.0005, 0.002]))
    body = Scripted(steps)
    pump = StreamPump(get_portal(), trio_http.Response(200, stream=body))
    got = []
    while batch := pump.read_batch():
        got += batch
        if rng.random() < 0.2:
            time.sleep(0.001)  # a slow reader: the task waits for room
    assert b"".join(got) == b"".join(chunks)
    assert pump.read_batch() == []
    pump.close()
    assert body.closed


def test_a_trickle_is_handed_over_chunk_by_chunk_without_delay() -> None:
    body = Scripted([b"first", 0.3, b"second"])
    pump = StreamPump(get_portal(), trio_http.Response(200, stream=body))
    started = time.monotonic()
    assert pump.read_batch() == [b"first"]
    assert time.monotonic() - started < 0.25  # not held back until "second"
    assert pump.read_batch() == [b"second"]
    assert pump.read_batch() == []
    pump.close()


def test_one_read_takes_everything_queued_and_reopens_the_read_ahead() -> None:
    piece = b"x" * 1024
    count = 3 * STREAM_READ_AHEAD // len(piece)
    body = Scripted([piece] * count)
    pump = StreamPump(get_portal(), trio_http.Response(200, stream=body))
    taken = len(pump.read_batch())
    # The task fills the read-ahead, then waits for room: wait until it has.
    deadline = time.monotonic() + 10
    while count - len(body.steps) - taken < STREAM_READ_AHEAD // len(piece):
        assert time.monotonic() < deadline, "the task never filled its read-ahead"
        time.sleep(0.01)
    time.sleep(0.05)  # and it stays there: nothing more is produced
    assert count - len(body.steps) - taken <= STREAM_READ_AHEAD // len(piece) + 1
    full = pump.read_batch()
    assert STREAM_READ_AHEAD // len(piece) <= len(full) <= STREAM_READ_AHEAD // len(piece) + 1
    taken += len(full) + len(read_all(pump))
    assert taken == count
    pump.close()


def test_an_error_after_some_chunks_is_raised_once_after_them() -> None:
    error = trio_http.ReadError("peer closed after 6 bytes")
    body = Scripted([b"abc", b"def", error])
    pump = StreamPump(get_portal(), trio_http.Response(200, stream=body))
    got: list[bytes] = []
    with pytest.raises(trio_http.ReadError) as caught:
        while batch := pump.read_batch():
            got += batch
    assert caught.value is error and b"".join(got) == b"abcdef"
    assert pump.read_batch() == []
    pump.close()
    assert body.closed


def test_reading_after_close_returns_nothing_and_close_is_idempotent() -> None:
    body = Scripted([b"abc", 5.0, b"never"])
    pump = StreamPump(get_portal(), trio_http.Response(200, stream=body))
    assert pump.read_batch() == [b"abc"]
    closed: list[int] = []
    pump.after_close = lambda: closed.append(1)
    pump.close()
    pump.close()
    assert pump.read_batch() == [] and body.closed and closed == [1]


def test_a_reader_waiting_when_the_loop_stops_gets_portal_closed() -> None:
    portal = Portal()
    body = Scripted([b"abc", 60.0, b"late"])
    pump = StreamPump(portal, trio_http.Response(200, stream=body))
    assert pump.read_batch() == [b"abc"]
    threading.Timer(0.1, portal.stop).start()
    started = time.monotonic()
    with pytest.raises(PortalClosed):
        pump.read_batch()
    assert time.monotonic() - started < 5
    pump.close()  # the loop is gone: nothing to do, no error
