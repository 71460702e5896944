"""DeadlineWatch: one task expiring many waits at their deadlines (virtual time)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trio
import trio.testing

from trio_http._transports._deadline_watch import DeadlineWatch

Log = list[tuple[str, str, float]]


class Wait:
    """Stands for a connection: records when it was expired or closed."""

    def __init__(self, deadline: float, log: Log, name: str) -> None:
        self.deadline = deadline
        self.log = log
        self.name = name

    def expire(self) -> None:
        self.log.append(("expired", self.name, trio.current_time()))

    def close_nowait(self) -> None:
        self.log.append(("closed", self.name, trio.current_time()))


@asynccontextmanager
async def running_watch() -> AsyncIterator[tuple[DeadlineWatch, Log]]:
    """A watch running in a nursery, and the log its waits write to; stopped on exit."""
    log: Log = []
    watch = DeadlineWatch()
    async with trio.open_nursery() as nursery:
        await nursery.start(watch.run)
        yield watch, log
        nursery.cancel_scope.cancel()


async def test_waits_expire_at_their_deadlines_in_order(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with running_watch() as (watch, log):
        assert watch.running
        start = trio.current_time()
        for name, delay in (("late", 3.0), ("early", 1.0), ("middle", 2.0)):
            watch.watch(Wait(start + delay, log, name))
        assert len(watch) == 3
        await trio.sleep(5)
    assert [(kind, name) for kind, name, _ in log] == [
        ("expired", "early"),
        ("expired", "middle"),
        ("expired", "late"),
    ]
    assert [when - start for _, _, when in log] == [1.0, 2.0, 3.0]
    assert not watch.running


async def test_an_unwatched_wait_never_expires(autojump_clock: trio.testing.MockClock) -> None:
    async with running_watch() as (watch, log):
        done = Wait(trio.current_time() + 1, log, "done")
        kept = Wait(trio.current_time() + 2, log, "kept")
        watch.watch(done)
        watch.watch(kept)
        await trio.sleep(0.5)
        watch.unwatch(done)
        await trio.sleep(5)
    assert [(kind, name) for kind, name, _ in log] == [("expired", "kept")]


async def test_a_deadline_moved_earlier_wakes_the_watch_earlier(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with running_watch() as (watch, log):
        start = trio.current_time()
        wait = Wait(start + 10, log, "moved")
        watch.watch(wait)
        await trio.sleep(1)
        wait.deadline = start + 2  # a shorter read timeout after the write phase
        watch.moved(wait)
        await trio.sleep(20)
    assert log == [("expired", "moved", start + 2)]


async def test_shutdown_closes_every_wait_still_watched(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with running_watch() as (watch, log):
        watch.watch(Wait(math.inf, log, "forever"))
        await trio.sleep(1)
    # A wait that the watch can no longer expire must not hang.
    assert [(kind, name) for kind, name, _ in log] == [("closed", "forever")]
    assert len(watch) == 0
    assert not watch.running
