"""The loop side of the blocking API: owned clients and streamed-body pumps."""

from __future__ import annotations

import time

import trio

import trio_http
from trio_http._cookies import Cookies
from trio_http._portal import get_portal
from trio_http._sync_loop import STREAM_READ_AHEAD, SessionClients, StreamPump

CHUNK = 64 * 1024


class Endless(trio_http.AsyncByteStream):
    """A body that never ends; counts the bytes it produced and its closing."""

    def __init__(self) -> None:
        self.produced = 0
        self.closed = False

    def __aiter__(self) -> Endless:
        # An iterator object, not an async generator: the pump abandons it
        # when cancelled, and nothing is left to finalize.
        return self

    async def __anext__(self) -> bytes:
        await trio.lowlevel.checkpoint()
        self.produced += CHUNK
        return b"x" * CHUNK

    async def aclose(self) -> None:
        self.closed = True


def wait_until_stable(read: object, timeout: float = 2.0) -> int:
    # The pump stops on its own once the buffer is full: wait for that.
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        value: int = read()  # type: ignore[operator]
        if value == last:
            return value
        last = value
        time.sleep(0.05)
    return last


def test_pump_reads_ahead_a_bounded_buffer_and_closes_the_body() -> None:
    body = Endless()
    response = trio_http.Response(200, stream=body)
    after_close: list[str] = []
    pump = StreamPump(get_portal(), response)
    pump.after_close = lambda: after_close.append("closed")
    taken = sum(len(chunk) for chunk in pump.read_batch())
    assert taken > 0
    buffered = wait_until_stable(lambda: body.produced) - taken
    assert 0 < buffered <= STREAM_READ_AHEAD + CHUNK
    assert sum(len(chunk) for chunk in pump.read_batch()) == buffered
    pump.close()
    assert body.closed and after_close == ["closed"]


def test_one_client_per_settings_sharing_the_session_jar() -> None:
    transport = trio_http.MockTransport(lambda request: trio_http.Response(200))
    clients = SessionClients(transport)
    portal = get_portal()
    jar = Cookies()

    def client_for(verify: bool) -> trio_http.AsyncClient:
        settings = (verify, None, None, True)
        return clients.client_for(portal, settings, cookies=jar, max_redirects=3, adapters={})

    first, again, other = client_for(True), client_for(True), client_for(False)
    assert first is again and other is not first and len(clients) == 2
    assert first.cookies is jar and other.cookies is jar and first.max_redirects == 3
    clients.close()
    assert len(clients) == 0 and clients.all() == []
