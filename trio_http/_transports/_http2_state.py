"""Pure HTTP/2 bookkeeping: settings, stream slots, receive buffers, GOAWAY.

How this works. :class:`StreamSlots` counts the streams a connection has in
flight against the server's ``SETTINGS_MAX_CONCURRENT_STREAMS`` and keeps a
FIFO of requests waiting for a slot; every operation is O(1) amortised and
returns the waiters to wake instead of waking them, so the async shell
(``_http2.py``) decides how. :class:`ReceiveBuffer` holds the DATA a stream
received and the application has not consumed yet, with the flow-controlled
byte count to hand back (as WINDOW_UPDATE) once it is consumed: the peer can
only send as much as our windows allow, so flow control is what bounds its
size. :func:`split_for_goaway` decides which in-flight streams a GOAWAY sends
back for a retry on another connection.

Nothing here awaits or does I/O, so a cancellation can never leave this
state half-updated.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import final

from .._config import MAX_HEADER_BYTES
from .._exceptions import RemoteProtocolError, RequestException

__all__ = [
    "DEFAULT_CONNECTION_WINDOW",
    "DEFAULT_STREAM_WINDOW",
    "INITIAL_MAX_CONCURRENT_STREAMS",
    "MAX_HTTP2_RETRIES",
    "MAX_LOST_RETRIES",
    "HTTP2Settings",
    "MalformedFields",
    "ReceiveBuffer",
    "RetryableStreamError",
    "SlotWaiter",
    "StreamSlots",
    "check_response_fields",
    "check_trailer_fields",
    "sendable_bytes",
    "split_for_goaway",
    "why_not_resent",
]

DEFAULT_CONNECTION_WINDOW = 16 * 1024 * 1024  # bytes in flight to us, all streams together
DEFAULT_STREAM_WINDOW = 4 * 1024 * 1024  # bytes in flight to us, per stream
SPEC_INITIAL_WINDOW = 65_535  # RFC 9113 §6.9.2: every window starts here
MAX_WINDOW = 2**31 - 1  # RFC 9113 §6.9.1
# RFC 9113 §6.5.2 leaves SETTINGS_MAX_CONCURRENT_STREAMS unlimited until the
# server's SETTINGS arrive; assume a common server default meanwhile, so a
# burst of requests on a new connection is not refused stream by stream.
INITIAL_MAX_CONCURRENT_STREAMS = 100
# Client stream ids are odd and below 2**31 (RFC 9113 §5.1.1); stop opening
# streams a little before the end and move to a new connection.
MAX_STREAM_ID = 2**31 - 1 - 1024
# Bytes joined into one chunk handed to the reader. Small DATA chunks are
# joined up to this; a chunk of one whole read (up to 256 KiB) is handed on
# as it is rather than copied again into a bigger one.
RECEIVE_TAKE_MAX = 256 * 1024


class RetryableStreamError(RemoteProtocolError):
    """A stream the pool may send again on a new connection.

    RFC 9113 §8.7: a stream the server did not process (GOAWAY above it,
    REFUSED_STREAM) may be sent again whatever its method. With ``lost``,
    the connection ended (``lost`` is why) before the server answered the
    stream, so the server may have processed it: only an idempotent request
    is sent again (RFC 9110 §9.2.2), as for a keep-alive connection closed
    under an HTTP/1.1 request. hypercorn, for one, drops the streams in
    flight when it ends a connection at its request cap. Either way only a
    body that can be replayed. Never reaches the caller: the pool raises
    ``lost`` or a plain :class:`RemoteProtocolError` instead.
    """

    def __init__(self, message: str, *, lost: RequestException | None = None) -> None:
        super().__init__(message)
        self.lost = lost


# Times one request is moved to a new HTTP/2 connection (GOAWAY, REFUSED_STREAM).
# Servers end connections after a request cap (nginx and hypercorn: 1,000)
# with up to 128 streams in flight above it, so about one request in ten
# moves at least once under load; eight moves make a ninth vanishingly rare
# and still end a loop against a server that refuses every stream.
MAX_HTTP2_RETRIES = 8
# Times one idempotent request is sent again after the connection ended before
# the server answered it (RFC 9110 §9.2.2); twice covers a server that ends
# connections at a request cap without answering, and stops at one that
# fails every connection.
MAX_LOST_RETRIES = 2


def why_not_resent(
    exc: RetryableStreamError,
    *,
    method: str,
    idempotent: bool,
    rewindable: bool,
    moves: int,
    lost_moves: int,
) -> str:
    """Why the request of a retryable stream must not be sent again; "" when it may.

    Args:
        exc: what the stream ended with.
        method: the request's method (for the message).
        idempotent: whether the method may be repeated (RFC 9110 §9.2.2).
        rewindable: whether the body can be sent again.
        moves: times the request moved already for streams not processed.
        lost_moves: times it was sent again after a connection ended under it.
    """
    if not rewindable:
        return "its body cannot be sent again"
    if exc.lost is not None:
        if not idempotent:
            return f"a {method} request is not sent twice"
        if lost_moves >= MAX_LOST_RETRIES:
            return f"after {lost_moves + 1} connections ended under it"
    if moves >= MAX_HTTP2_RETRIES:
        return f"after {moves + 1} attempts"
    return ""


@final
@dataclass(frozen=True, slots=True)
class HTTP2Settings:
    """Tuning for HTTP/2 connections.

    Attributes:
        connection_window: receive window for the whole connection, bytes.
        stream_window: receive window per stream, bytes
            (``SETTINGS_INITIAL_WINDOW_SIZE``).
        max_header_list_size: the largest decoded response header list
            accepted, bytes (``SETTINGS_MAX_HEADER_LIST_SIZE``); a larger one
            ends in :class:`ResponseTooLarge`.
        keepalive_interval: send a PING after this many idle seconds to find
            dead connections; ``None`` sends none.
        keepalive_timeout: seconds to wait for any frame after such a PING
            before the connection is closed as dead.
    """

    connection_window: int = DEFAULT_CONNECTION_WINDOW
    stream_window: int = DEFAULT_STREAM_WINDOW
    max_header_list_size: int = MAX_HEADER_BYTES
    keepalive_interval: float | None = None
    keepalive_timeout: float = 20.0

    def __post_init__(self) -> None:
        for name in ("connection_window", "stream_window"):
            value = getattr(self, name)
            if not SPEC_INITIAL_WINDOW <= value <= MAX_WINDOW:
                raise ValueError(
                    f"HTTP2Settings.{name} must be between {SPEC_INITIAL_WINDOW} and "
                    f"{MAX_WINDOW} bytes, got {value!r}"
                )
        if self.max_header_list_size < 1024:
            raise ValueError("HTTP2Settings.max_header_list_size must be at least 1024 bytes")
        if self.keepalive_interval is not None and self.keepalive_interval <= 0:
            raise ValueError("HTTP2Settings.keepalive_interval must be > 0 seconds or None")
        if self.keepalive_timeout <= 0:
            raise ValueError("HTTP2Settings.keepalive_timeout must be > 0 seconds")

    @property
    def connection_window_increment(self) -> int:
        """The WINDOW_UPDATE on stream 0 that grows the connection window to size."""
        return self.connection_window - SPEC_INITIAL_WINDOW


def sendable_bytes(wanted: int, flow_window: int, max_frame: int) -> int:
    """How many bytes of ``wanted`` one DATA frame may carry now.

    Args:
        wanted: bytes left to send.
        flow_window: the smaller of the stream's and the connection's send
            windows (may be negative after a SETTINGS change, RFC 9113 §6.9.2).
        max_frame: the peer's ``SETTINGS_MAX_FRAME_SIZE``.
    """
    return max(0, min(wanted, flow_window, max_frame))


def split_for_goaway(stream_ids: Iterable[int], last_stream_id: int) -> tuple[list[int], list[int]]:
    """Split in-flight streams after a GOAWAY.

    RFC 9113 §6.8: streams with ids above ``last_stream_id`` were not
    processed and may be retried on a new connection; those at or below it
    may still complete.

    Returns:
        (streams that may complete here, streams to retry elsewhere).
    """
    keep: list[int] = []
    retry: list[int] = []
    for stream_id in stream_ids:
        (retry if stream_id > last_stream_id else keep).append(stream_id)
    return keep, retry


@final
class SlotWaiter:
    """A request waiting for a stream slot on one connection.

    After ``wake`` is called, ``granted`` tells whether a slot was reserved
    for it (True) or the connection stopped taking streams (False).
    """

    __slots__ = ("granted", "wake")

    def __init__(self, wake: Callable[[], None]) -> None:
        self.wake = wake
        self.granted: bool | None = None


@final
class StreamSlots:
    """Stream slots of one connection against the peer's concurrency limit.

    Attributes:
        active: streams reserved or open now.
        max_concurrent: the peer's ``SETTINGS_MAX_CONCURRENT_STREAMS``.
        accepting: False once the connection takes no new streams (GOAWAY,
            error, stream ids exhausted); it never becomes True again.
    """

    __slots__ = ("accepting", "active", "max_concurrent", "waiters")

    def __init__(self, max_concurrent: int = INITIAL_MAX_CONCURRENT_STREAMS) -> None:
        self.active = 0
        self.max_concurrent = max_concurrent
        self.accepting = True
        self.waiters: deque[SlotWaiter] = deque()

    @property
    def has_free_slot(self) -> bool:
        return self.accepting and self.active < self.max_concurrent and not self.waiters

    def try_reserve(self) -> bool:
        """Reserve a slot if one is free and nobody queues ahead of us."""
        if self.has_free_slot:
            self.active += 1
            return True
        return False

    def enqueue(self, waiter: SlotWaiter) -> None:
        """Queue for the next free slot (call only after try_reserve failed)."""
        if not self.accepting:
            waiter.granted = False
            waiter.wake()
            return
        self.waiters.append(waiter)

    def withdraw(self, waiter: SlotWaiter) -> list[SlotWaiter]:
        """The waiter gave up (timeout, cancellation); undo a grant it got.

        Returns:
            waiters to wake (a slot it held passes on).
        """
        granted = waiter.granted
        waiter.granted = False
        if granted:
            return self.release()
        try:
            self.waiters.remove(waiter)
        except ValueError:
            pass
        return []

    def release(self) -> list[SlotWaiter]:
        """A stream ended. Returns waiters to wake (granted a slot)."""
        self.active -= 1
        return self._grant()

    def set_max_concurrent(self, value: int) -> list[SlotWaiter]:
        """The peer changed its limit. Returns waiters to wake."""
        self.max_concurrent = value
        return self._grant()

    def stop_accepting(self) -> list[SlotWaiter]:
        """Take no more streams. Returns every waiter, refused, to wake."""
        self.accepting = False
        refused = list(self.waiters)
        self.waiters.clear()
        for waiter in refused:
            waiter.granted = False
        return refused

    def _grant(self) -> list[SlotWaiter]:
        woken: list[SlotWaiter] = []
        waiters = self.waiters
        while waiters and self.accepting and self.active < self.max_concurrent:
            waiter = waiters.popleft()
            waiter.granted = True
            self.active += 1
            woken.append(waiter)
        return woken


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


# -- received header blocks (RFC 9113 §8.2, §8.3) ----------------------------------

# A regular field name: no byte in 0x00-0x20, no upper case, no colon, no
# 0x7f-0xff (§8.2.1). A pseudo-header name is one colon and such a name.
_REGULAR_NAME = re.compile(rb"[\x21-\x39\x3b-\x40\x5b-\x7e]+")
# §8.2.1: no NUL, CR or LF anywhere in a value.
_BAD_VALUE_BYTE = re.compile(rb"[\x00\r\n]")
# §8.2.2: fields that only mean something on one HTTP/1.1 connection.
_CONNECTION_SPECIFIC = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade"}
)
_STATUS = re.compile(rb"[1-9][0-9][0-9]")


class MalformedFields(Exception):
    """A header block breaks RFC 9113's field rules (a stream error, §8.1.1)."""


def _check_regular(fields: list[tuple[bytes, bytes]], start: int) -> None:
    for index in range(start, len(fields)):
        name, value = fields[index]
        if _REGULAR_NAME.fullmatch(name) is None:
            if name[:1] == b":":
                raise MalformedFields(f"pseudo-header {name!r} after a regular field")
            raise MalformedFields(f"invalid field name {name!r}")
        if value:
            if _BAD_VALUE_BYTE.search(value) is not None:
                raise MalformedFields(f"NUL, CR or LF in the value of {name.decode()!r}")
            if value[0] in b" \t" or value[-1] in b" \t":
                raise MalformedFields(f"whitespace around the value of {name.decode()!r}")
        if name in _CONNECTION_SPECIFIC:
            raise MalformedFields(f"connection-specific field {name.decode()!r}")
        if name == b"te" and value.lower() != b"trailers":
            raise MalformedFields(f"TE field with {value!r}")


def check_response_fields(
    fields: list[tuple[bytes, bytes]],
) -> tuple[int, list[tuple[bytes, bytes]]]:
    """Validate a response (or 1xx) header block in one pass.

    Exactly one ``:status`` pseudo-header, first; no other pseudo-header;
    then regular fields whose names and values follow §8.2.1 and none of the
    connection-specific fields of §8.2.2.

    Returns:
        (the status code, the regular fields).

    Raises:
        MalformedFields: the block breaks one of those rules.
    """
    if not fields or fields[0][0] != b":status":
        raise MalformedFields("the response has no leading :status pseudo-header")
    status = fields[0][1]
    if _STATUS.fullmatch(status) is None:
        raise MalformedFields(f"invalid :status {status!r}")
    _check_regular(fields, 1)
    return int(status), fields[1:]


def check_trailer_fields(fields: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Validate a trailer block: regular fields only (§8.1).

    Raises:
        MalformedFields: a pseudo-header, or a field breaking §8.2.1/§8.2.2.
    """
    _check_regular(fields, 0)
    return fields
