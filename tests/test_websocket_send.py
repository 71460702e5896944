"""The WebSocket writer: frames queued by callers, written by one task."""

from __future__ import annotations

import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st

from trio_http._websocket_send import HIGH_WATER_BYTES, FrameSender


class Recorder:
    """An upgraded stream that records writes; a write waits while ``gate`` is shut."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.gate: trio.Event | None = None
        self.fail = False

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        if self.gate is not None:
            await self.gate.wait()
        await trio.lowlevel.checkpoint()
        if self.fail:
            raise trio.BrokenResourceError("peer gone")
        self.writes.append(bytes(data))

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        raise NotImplementedError  # pragma: no cover

    async def aclose(self) -> None:
        pass  # pragma: no cover


async def test_a_burst_of_frames_goes_out_in_one_write() -> None:
    stream = Recorder()
    sender = FrameSender(stream, lambda exc: None)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(sender.run)
        for index in range(10):
            sender.queue(b"frame%d;" % index)
            await trio.lowlevel.checkpoint()  # as each send does
        await sender.wait_flushed()
        nursery.cancel_scope.cancel()
    assert b"".join(stream.writes) == b"".join(b"frame%d;" % i for i in range(10))
    assert len(stream.writes) < 10


async def test_senders_wait_for_room_while_the_writer_is_behind() -> None:
    stream = Recorder()
    stream.gate = trio.Event()
    sender = FrameSender(stream, lambda exc: None)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(sender.run)
        sender.queue(bytes(HIGH_WATER_BYTES))
        await trio.testing.wait_all_tasks_blocked()
        assert sender.full  # being written still counts
        with trio.move_on_after(0.05) as scope:
            await sender.wait_for_room()
        assert scope.cancelled_caught
        stream.gate.set()
        await sender.wait_for_room()
        assert not sender.full
        await sender.wait_flushed()
        nursery.cancel_scope.cancel()
    assert len(stream.writes) == 1


async def test_a_failed_write_stops_the_writer_and_reports_once() -> None:
    stream = Recorder()
    stream.fail = True
    broken: list[Exception] = []
    sender = FrameSender(stream, broken.append)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(sender.run)
        sender.queue(b"lost")
        await sender.wait_flushed()  # returns: nothing will ever be written
    assert isinstance(sender.broken, trio.BrokenResourceError)
    assert broken == [sender.broken]
    sender.queue(b"dropped")  # ignored once broken
    assert not sender.full
    await sender.wait_for_room()
    await sender.wait_flushed()


@settings(max_examples=50, deadline=None)
@given(
    plan=st.lists(
        st.tuples(st.binary(min_size=1, max_size=64), st.integers(min_value=0, max_value=2)),
        max_size=30,
    )
)
def test_frames_go_out_whole_and_in_order_however_sends_and_yields_interleave(
    plan: list[tuple[bytes, int]],
) -> None:
    # Each frame is queued, then the sender yields 0-2 times, as callers do.
    async def main() -> list[bytes]:
        stream = Recorder()
        sender = FrameSender(stream, lambda exc: None)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(sender.run)
            for frame, yields in plan:
                sender.queue(frame)
                for _ in range(yields):
                    await trio.lowlevel.checkpoint()
            await sender.wait_flushed()
            nursery.cancel_scope.cancel()
        return stream.writes

    writes = trio.run(main)
    assert b"".join(writes) == b"".join(frame for frame, _ in plan)
    assert len(writes) <= len(plan)
