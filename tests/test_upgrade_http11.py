"""The HTTP/1.1 upgrade handshake on a stream of its own (``_transports/_upgrade_http11``)."""

from __future__ import annotations

import math

import pytest
import trio
import trio.testing

from trio_http import ReadError, ReadTimeout, Request, WriteError
from trio_http._transports._base import request_deadlines
from trio_http._transports._upgrade_http11 import HTTP11UpgradedStream, upgrade_http11


def _handshake() -> Request:
    return Request(
        "GET",
        "http://example.org/ws",
        headers={"Upgrade": "websocket", "Connection": "Upgrade"},
        extensions={"timeout": 5.0},
    )


async def _answer(stream: trio.abc.Stream, reply: bytes) -> bytes:
    head = b""
    while b"\r\n\r\n" not in head:
        head += await stream.receive_some(65536)
    await stream.send_all(reply)
    return head


async def test_101_hands_over_the_stream_with_the_bytes_read_ahead() -> None:
    ours, theirs = trio.testing.memory_stream_pair()
    request = _handshake()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(
            _answer, theirs, b"HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\n\r\nEARLY"
        )
        response, upgraded = await upgrade_http11(ours, request, request_deadlines(request))
    assert response.status_code == 101
    assert response.http_version == "HTTP/1.1"
    assert response.headers["upgrade"] == "websocket"
    assert isinstance(upgraded, HTTP11UpgradedStream)
    assert await upgraded.receive_some() == b"EARLY"
    await theirs.send_all(b"LATER")
    assert await upgraded.receive_some() == b"LATER"
    await upgraded.send_all(b"up")
    assert await theirs.receive_some() == b"up"
    await upgraded.aclose()
    await upgraded.aclose()  # idempotent
    assert await theirs.receive_some() == b""


async def test_the_request_goes_out_as_one_get_with_its_headers() -> None:
    ours, theirs = trio.testing.memory_stream_pair()
    request = _handshake()
    async with trio.open_nursery() as nursery:

        async def server() -> None:
            heads.append(await _answer(theirs, b"HTTP/1.1 101 OK\r\n\r\n"))

        heads: list[bytes] = []
        nursery.start_soon(server)
        await upgrade_http11(ours, request, request_deadlines(request))
    head = heads[0]
    assert head.startswith(b"GET /ws HTTP/1.1\r\n")
    assert b"upgrade: websocket" in head.lower()
    assert b"host: example.org" in head.lower()


async def test_a_final_response_is_a_refusal_and_closes_the_stream() -> None:
    ours, theirs = trio.testing.memory_stream_pair()
    request = _handshake()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(
            _answer, theirs, b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: 4\r\n\r\nnope"
        )
        response, upgraded = await upgrade_http11(ours, request, request_deadlines(request))
    assert upgraded is None
    assert (response.status_code, response.content) == (426, b"nope")
    assert await theirs.receive_some() == b""


async def test_interim_responses_before_the_101_are_skipped() -> None:
    ours, theirs = trio.testing.memory_stream_pair()
    request = _handshake()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(
            _answer, theirs, b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching\r\n\r\n"
        )
        response, upgraded = await upgrade_http11(ours, request, request_deadlines(request))
    assert response.status_code == 101
    assert upgraded is not None


async def test_no_answer_is_a_read_timeout_and_closes(
    autojump_clock: trio.testing.MockClock,
) -> None:
    ours, theirs = trio.testing.memory_stream_pair()
    request = _handshake()
    with pytest.raises(ReadTimeout):
        await upgrade_http11(ours, request, request_deadlines(request))
    while await theirs.receive_some():
        pass  # the request, then the end of the stream


async def test_cancellation_closes_the_stream() -> None:
    ours, theirs = trio.testing.memory_stream_pair()
    request = _handshake()
    with trio.CancelScope() as scope:
        scope.deadline = trio.current_time() + 0.05
        await upgrade_http11(ours, request, request_deadlines(request))
    assert scope.cancelled_caught
    while await theirs.receive_some():
        pass


async def test_broken_streams_raise_read_and_write_errors() -> None:
    ours, theirs = trio.testing.memory_stream_pair()
    upgraded = HTTP11UpgradedStream(ours, b"")
    await theirs.aclose()
    with pytest.raises(WriteError):
        await upgraded.send_all(b"x" * 100)
    await ours.aclose()
    with pytest.raises(ReadError):
        await upgraded.receive_some()
    with trio.move_on_after(math.inf):
        await upgraded.aclose()  # a dead stream closes quietly
