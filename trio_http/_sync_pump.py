"""A streamed response body, read in the loop thread and consumed in another.

How this works. A :class:`StreamPump` runs one task in the portal's loop
that reads the response body ahead of its reader into a queue, up to
``STREAM_READ_AHEAD`` bytes. The reader's thread takes chunks straight from
that queue: no portal hop per read. Two thread handshakes remain, each only
when one side actually waits for the other:

* the reader finds the queue empty: it marks itself waiting and sleeps on a
  lock, which the task releases as soon as it queues the next chunk (or the
  body ends or fails);
* the task finds the queue full: it sleeps on a ``trio.Event``, which the
  reader sets (through ``run_sync_soon``, never a hop) once it has taken
  the queue.

The deque is appended in the loop and popped in the reader's thread; each
counter is written by one side only (``_produced`` by the task,
``_consumed`` by the reader), and the two flags that decide who wakes whom
change under one small lock, so no wake-up is lost.

Starting the task and closing the body are the only portal hops (one
each). A reader waiting for data notices a stopped loop thread within
``STOPPED_LOOP_CHECK_S``.
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, final

import trio

from ._portal import PortalClosed

if TYPE_CHECKING:
    from ._portal import Portal
    from ._response import Response

__all__ = ["STOPPED_LOOP_CHECK_S", "STREAM_READ_AHEAD", "StreamPump"]

STREAM_READ_AHEAD = 1024 * 1024  # bytes a streamed body may read ahead of its reader
STOPPED_LOOP_CHECK_S = 0.5  # how often a waiting reader checks the loop thread is alive


@final
class StreamPump:
    """Reads a streamed response body ahead of its blocking reader.

    Implements :class:`~trio_http._body.BlockingBody`: :meth:`read_batch`
    and :meth:`close` are called by the reader's thread (one reader at a
    time); only the first read and the close enter the loop.

    Attributes:
        after_close: called on the reader's thread once the body is closed.
    """

    __slots__ = (
        "__weakref__",
        "_chunks",
        "_closed",
        "_consumed",
        "_data_ready",
        "_done",
        "_dropped",
        "_error",
        "_handshake",
        "_on_close",
        "_piece",
        "_portal",
        "_produced",
        "_reader_waiting",
        "_response",
        "_room",
        "_scope",
        "_started",
        "after_close",
    )

    def __init__(
        self,
        portal: Portal,
        response: Response,
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._portal = portal
        self._response = response
        # Run in the loop once the response is closed (a one-shot client's
        # close), in the same hop; also if the pump is dropped unclosed.
        self._on_close = on_close
        self._dropped = (
            None if on_close is None else weakref.finalize(self, portal.start_task, on_close)
        )
        self._chunks: deque[bytes] = deque()
        self._produced = 0  # written by the task only
        self._consumed = 0  # written by the reader only
        self._done = False  # the task has queued everything it will (set last)
        self._error: BaseException | None = None
        self._started = False
        self._piece: int | None = None
        self._closed = False
        self._scope: trio.CancelScope | None = None
        # The reader sleeps on _data_ready (held while nobody waits); the
        # task sleeps on _room. Both flags change under _handshake.
        self._handshake = threading.Lock()
        self._data_ready = threading.Lock()
        self._data_ready.acquire()
        self._reader_waiting = False
        self._room: trio.Event | None = None
        self.after_close: Callable[[], None] | None = None

    # -- called from the reader's thread ---------------------------------

    def prefer_chunk_size(self, size: int | None) -> None:
        """Before the first read: passed on to the response's stream (see ``AsyncByteStream``)."""
        self._piece = size

    def read_batch(self) -> list[bytes]:
        """Block until body bytes arrive; return every chunk queued so far.

        The reader is woken by the first chunk queued while it waits: waiting
        for more (a timed wait) measured slower than taking what there is.

        Returns an empty list at the end of the body (and after close).

        Raises:
            Exception: what reading the body raised in the loop (a
                ``ReadTimeout``, ``RemoteProtocolError``, ...), once.
            PortalClosed: the loop thread stopped while the reader waited.
        """
        if not self._started:
            self._started = True
            self._portal.call(self._start)
        while True:
            if self._closed:
                return []
            with self._handshake:
                # Decided under the lock the task takes before it looks at
                # _reader_waiting: whatever it queues from now on is seen.
                finished = self._done
                ready = finished or self._produced > self._consumed
                if not ready:
                    self._reader_waiting = True
            if ready:
                if self._chunks:
                    return self._take()
                error, self._error = self._error, None
                if error is not None:
                    raise error
                return []
            self._wait_for_data()

    def close(self) -> None:
        """Stop reading and close the body; one portal hop. Idempotent."""
        self._closed = True
        try:
            if not self._portal.is_closed:
                self._portal.call(self._aclose)
        finally:
            after_close, self.after_close = self.after_close, None
            if after_close is not None:
                after_close()

    def _take(self) -> list[bytes]:
        chunks = self._chunks
        batch = []
        taken = 0
        while chunks:
            chunk = chunks.popleft()
            taken += len(chunk)
            batch.append(chunk)
        self._consumed += taken
        with self._handshake:
            room, self._room = self._room, None
        if room is not None:
            self._portal.call_soon(room.set)
        return batch

    def _wait_for_data(self) -> None:
        # Sleep until the task wakes us. _data_ready is held whenever nobody
        # waits; a wake-up that races with a check of the loop thread is
        # taken here, never left for the next wait.
        ready = self._data_ready
        portal = self._portal
        while not ready.acquire(timeout=STOPPED_LOOP_CHECK_S):
            if portal.is_closed:
                with self._handshake:
                    if not self._reader_waiting:
                        ready.acquire()
                    self._reader_waiting = False
                raise PortalClosed("the trio_http loop thread stopped while reading a body")

    # -- loop side --------------------------------------------------------

    async def _start(self) -> None:
        await self._portal.nursery.start(self._pump)

    def _wake_reader(self) -> None:
        # Read without the lock first: the chunk was counted before this
        # check, and a reader that marks itself waiting later sees it.
        if not self._reader_waiting:
            return
        with self._handshake:
            if self._reader_waiting:
                self._reader_waiting = False
                self._data_ready.release()

    async def _pump(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        chunks = self._chunks
        with trio.CancelScope() as scope:
            self._scope = scope
            task_status.started()
            stream = self._response.stream
            prefer = getattr(stream, "prefer_chunk_size", None)
            if prefer is not None:
                prefer(self._piece)
            try:
                async for chunk in stream:
                    if not chunk:
                        continue
                    chunks.append(chunk)
                    self._produced += len(chunk)
                    self._wake_reader()
                    if self._produced - self._consumed >= STREAM_READ_AHEAD:
                        await self._wait_for_room()
            except Exception as exc:
                self._error = exc
        with self._handshake:
            self._done = True
            if self._reader_waiting:
                self._reader_waiting = False
                self._data_ready.release()

    async def _wait_for_room(self) -> None:
        with self._handshake:
            if self._produced - self._consumed < STREAM_READ_AHEAD:
                return
            room = self._room = trio.Event()
        await room.wait()

    async def _aclose(self) -> None:
        if self._scope is not None:
            self._scope.cancel()
        on_close, self._on_close = self._on_close, None
        if self._dropped is not None:
            self._dropped.detach()
        try:
            await self._response.aclose()
        finally:
            if on_close is not None:
                await on_close()
