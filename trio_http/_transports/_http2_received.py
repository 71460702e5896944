"""What one HTTP/2 stream has received: its :class:`StreamState` and its DATA.

How this works. A request's stream gets a :class:`StreamState`, which the
connection's :class:`~._http2_events.StreamRouter` fills as events arrive
(the response head, trailers, the end, an error) and which wakes the request
waiting on it. Its :class:`ReceiveBuffer` holds the DATA received and not
consumed yet, with the flow-controlled byte count to hand back (as
WINDOW_UPDATE) once it is consumed: the peer can only send as much as our
windows allow, so flow control is what bounds its size. Nothing here awaits.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, final

if TYPE_CHECKING:
    from .._request import Request

__all__ = ["RECEIVE_TAKE_MAX", "ReceiveBuffer", "StreamState"]

# Bytes joined into one chunk handed to the reader. Small DATA chunks are
# joined up to this; a chunk of one whole read (up to 256 KiB) is handed on
# as it is rather than copied again into a bigger one.
RECEIVE_TAKE_MAX = 256 * 1024


@final
class ReceiveBuffer:
    """DATA received on one stream and not yet read by the application.

    ``unacknowledged`` is the flow-controlled size (padding included) of what
    is buffered: it is handed back to the peer only as the data is taken, so
    a reader that stops reading stops the peer instead of growing memory.
    """

    __slots__ = ("_chunks", "buffered", "unacknowledged")

    def __init__(self) -> None:
        self._chunks: deque[bytes] = deque()
        self.buffered = 0
        self.unacknowledged = 0

    def __bool__(self) -> bool:
        return bool(self._chunks)

    def push(self, data: bytes, flow_controlled_length: int) -> None:
        """Add received data; an empty DATA frame only adds to the flow count."""
        if data:
            self._chunks.append(data)
            self.buffered += len(data)
        self.unacknowledged += flow_controlled_length

    def take(self, limit: int = RECEIVE_TAKE_MAX) -> tuple[bytes, int]:
        """Remove buffered data, up to about ``limit`` bytes, in one chunk.

        Whole chunks are joined while the total stays within ``limit`` (the
        first chunk is always taken). When the buffer empties, all of its
        flow-controlled bytes are returned for acknowledgement; before that,
        the bytes taken.

        Returns:
            (the data, flow-controlled bytes to acknowledge now).
        """
        chunks = self._chunks
        first = chunks.popleft()
        size = len(first)
        if chunks and size + len(chunks[0]) <= limit:
            parts = [first]
            while chunks and size + len(chunks[0]) <= limit:
                chunk = chunks.popleft()
                parts.append(chunk)
                size += len(chunk)
            data = b"".join(parts)
        else:
            data = first
        self.buffered -= size
        acknowledged = min(size, self.unacknowledged) if chunks else self.unacknowledged
        self.unacknowledged -= acknowledged
        return data, acknowledged

    def take_at_most(self, max_bytes: int) -> tuple[bytes, int]:
        """Remove buffered data, at most ``max_bytes`` (``>= 1``), splitting a chunk if need be.

        Returns:
            (the data, flow-controlled bytes to acknowledge now), as :meth:`take`.
        """
        chunks = self._chunks
        first = chunks[0]
        if len(first) <= max_bytes:
            return self.take(max_bytes)
        data, chunks[0] = first[:max_bytes], first[max_bytes:]
        self.buffered -= max_bytes
        acknowledged = min(max_bytes, self.unacknowledged)
        self.unacknowledged -= acknowledged
        return data, acknowledged

    def take_all(self) -> list[bytes]:
        """Remove every buffered chunk; their flow-controlled bytes stay for :meth:`discard`."""
        chunks = list(self._chunks)
        self._chunks.clear()
        self.buffered = 0
        return chunks

    def discard(self) -> int:
        """Drop everything buffered. Returns the flow-controlled bytes to acknowledge."""
        self._chunks.clear()
        self.buffered = 0
        acknowledged, self.unacknowledged = self.unacknowledged, 0
        return acknowledged


class StreamState:
    """What one request's stream has received; the router fills it."""

    __slots__ = (
        "body",
        "ended",
        "error",
        "headers",
        "informational",
        "local_closed",
        "malformed",
        "request",
        "status",
        "stream_id",
        "trailers",
        "wake_deferred",
        "waker",
    )

    def __init__(self, stream_id: int, request: Request) -> None:
        self.stream_id = stream_id
        self.request = request
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] | None = None
        self.trailers: list[tuple[bytes, bytes]] | None = None
        self.informational: list[tuple[int, list[tuple[bytes, bytes]]]] | None = None
        self.body = ReceiveBuffer()
        self.ended = False
        self.local_closed = False
        self.malformed = False  # a header block broke RFC 9113; the stream was reset
        self.error: Exception | None = None
        # Set by the async shell while the request waits; called once.
        self.waker: Callable[[], None] | None = None
        self.wake_deferred = False

    def wake(self) -> None:
        """Wake the request waiting on this stream, if one is."""
        waker = self.waker
        if waker is not None:
            self.waker = None
            waker()
