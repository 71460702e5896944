"""Pings and their pongs, and keepalive pings."""

from __future__ import annotations

import trio
import trio.testing

from trio_http import WebSocketClosed
from trio_http._websocket_pings import PingTracker, run_keepalive


def test_an_empty_or_repeated_payload_gets_a_random_one() -> None:
    tracker = PingTracker()
    first, _ = tracker.start(b"")
    assert len(first) == 4
    again, _ = tracker.start(first)
    assert again != first and len(again) == 4
    named, _ = tracker.start(b"named")
    assert named == b"named"


def test_a_pong_answers_its_ping_and_every_earlier_one() -> None:
    tracker = PingTracker()
    _, one = tracker.start(b"1")
    _, two = tracker.start(b"2")
    _, three = tracker.start(b"3")
    tracker.on_pong(b"2")
    assert one.answered and one.event.is_set()
    assert two.answered and two.event.is_set()
    assert not three.event.is_set()
    tracker.on_pong(b"stray")  # answers nothing
    assert not three.event.is_set()
    tracker.wake_all()
    assert three.event.is_set() and not three.answered


async def test_keepalive_fails_the_socket_when_a_pong_is_late(
    autojump_clock: trio.testing.MockClock,
) -> None:
    pings: list[float] = []
    late: list[float] = []

    async def ping() -> None:
        pings.append(trio.current_time())
        if len(pings) == 3:
            await trio.sleep_forever()  # this pong never comes

    async def on_late_pong() -> None:
        late.append(trio.current_time())

    await run_keepalive(ping, lambda: True, on_late_pong, 20.0, 5.0)
    assert pings == [20.0, 40.0, 60.0]
    assert late == [65.0]


async def test_keepalive_ends_quietly_when_the_socket_closes(
    autojump_clock: trio.testing.MockClock,
) -> None:
    calls: list[str] = []

    async def failing_ping() -> None:
        calls.append("ping")
        raise WebSocketClosed("closed", code=1000, reason="")

    async def on_late_pong() -> None:
        calls.append("late")  # pragma: no cover

    await run_keepalive(failing_ping, lambda: True, on_late_pong, 1.0, 1.0)
    assert calls == ["ping"]
    await run_keepalive(failing_ping, lambda: False, on_late_pong, 1.0, 1.0)
    assert calls == ["ping"]
