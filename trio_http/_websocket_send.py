"""The sending side of a WebSocket: frames queued by callers, written by one task.

How this works. A call that sends a message turns it into frame bytes
(wsproto, no await) and appends them to :class:`FrameSender`'s queue; the
writer task (:meth:`FrameSender.run`, in the socket's nursery) wakes and
writes everything queued in one ``send_all``. So messages sent in a burst
cost one write between them, a frame is never cut in half by a cancelled
caller (only the writer writes, and it is cancelled only when the socket is
torn down), and the reader can answer pings and close frames without
waiting on the socket.

Backpressure: a caller waits, before queueing, while ``HIGH_WATER_BYTES``
are queued or being written; nothing is queued by a call that was
cancelled, so a cancelled send has sent nothing. A write that fails stops
the writer; the socket's owner is told (``on_broken``) and every later send
fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, final

import trio

if TYPE_CHECKING:
    from ._transports._base import UpgradedStream

__all__ = ["HIGH_WATER_BYTES", "STREAM_ERRORS", "FrameSender"]

HIGH_WATER_BYTES = 256 * 1024  # queued bytes that make the next send wait for the writer
COALESCE_BYTES = 64 * 1024  # a write waits for more frames of a burst up to this size

STREAM_ERRORS = (OSError, trio.BrokenResourceError, trio.ClosedResourceError)


@final
class FrameSender:
    """A queue of frame bytes and the task that writes them.

    Args:
        stream: the upgraded stream to write to.
        on_broken: called (in the writer task, without awaiting) with the
            error when a write fails.
    """

    __slots__ = (
        "_flushed",
        "_on_broken",
        "_queue",
        "_room",
        "_stream",
        "_unwritten",
        "_wakeup",
        "_writing",
        "broken",
    )

    def __init__(self, stream: UpgradedStream, on_broken: Callable[[Exception], None]) -> None:
        self._stream = stream
        self._on_broken = on_broken
        self._queue: list[bytes] = []
        self._unwritten = 0  # bytes queued or being written
        self._writing = False
        self._wakeup: trio.Event | None = None  # the writer waits for frames
        self._room: trio.Event | None = None  # senders wait below the high water
        self._flushed: trio.Event | None = None  # a close waits for an empty queue
        self.broken: Exception | None = None

    @property
    def full(self) -> bool:
        """Whether a sender should wait (:meth:`wait_for_room`) before queueing."""
        return self._unwritten >= HIGH_WATER_BYTES and self.broken is None

    def queue(self, frames: bytes) -> None:
        """Queue ``frames`` for the writer. Not a checkpoint; never blocks."""
        if not frames or self.broken is not None:
            return
        self._queue.append(frames)
        self._unwritten += len(frames)
        wakeup = self._wakeup
        if wakeup is not None:
            self._wakeup = None
            wakeup.set()

    async def wait_for_room(self) -> None:
        """Wait until less than ``HIGH_WATER_BYTES`` are unwritten (or the writer broke)."""
        while self.full:
            room = self._room
            if room is None:
                room = self._room = trio.Event()
            await room.wait()

    async def wait_flushed(self) -> None:
        """Wait until everything queued so far is written (or the writer broke). A checkpoint."""
        if (not self._queue and not self._writing) or self.broken is not None:
            await trio.lowlevel.checkpoint()
            return
        flushed = self._flushed
        if flushed is None:
            flushed = self._flushed = trio.Event()
        await flushed.wait()

    async def run(self) -> None:
        """Write queued frames until the socket is torn down (cancelled) or a write fails."""
        stream = self._stream
        while True:
            if not self._queue:
                self._set_events(room=True, flushed=True)
                wakeup = self._wakeup = trio.Event()
                await wakeup.wait()
                continue
            # Frames queued by tasks that run in this same scheduler pass
            # (a burst of sends) join this write: wait one more pass while
            # the queue keeps growing, up to COALESCE_BYTES.
            queued = len(self._queue)
            while self._unwritten < COALESCE_BYTES:
                await trio.lowlevel.cancel_shielded_checkpoint()
                if len(self._queue) == queued:
                    break
                queued = len(self._queue)
            frames = self._queue
            data = frames[0] if len(frames) == 1 else b"".join(frames)
            self._queue = []
            self._writing = True
            try:
                await stream.send_all(data)
            except STREAM_ERRORS as exc:
                self.broken = exc
                self._queue = []
                self._unwritten = 0
                self._set_events(room=True, flushed=True)
                self._on_broken(exc)
                return
            finally:
                self._writing = False
            self._unwritten -= len(data)
            if self._unwritten < HIGH_WATER_BYTES:
                self._set_events(room=True, flushed=False)

    def _set_events(self, *, room: bool, flushed: bool) -> None:
        if room and self._room is not None:
            self._room.set()
            self._room = None
        if flushed and self._flushed is not None:
            self._flushed.set()
            self._flushed = None
