"""Pure HTTP/2 bookkeeping of one connection: settings, windows, stream slots.

How this works. :class:`StreamSlots` counts the streams in flight against the
server's ``SETTINGS_MAX_CONCURRENT_STREAMS`` and keeps a FIFO of requests
waiting for a slot; every operation is O(1) amortised and returns the waiters
to wake instead of waking them, so the async shell (``_http2.py``) decides
how. Nothing here awaits, so a cancellation never leaves it half-updated.
What each stream received is kept in :mod:`._http2_received`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import final

from .._config import MAX_HEADER_BYTES
from ._http2_resend import RetryableStreamError, why_not_resent

# The resend decision is re-exported: the pool and the connection import it from here.
__all__ = [
    "DEFAULT_CONNECTION_WINDOW",
    "DEFAULT_STREAM_WINDOW",
    "INITIAL_MAX_CONCURRENT_STREAMS",
    "HTTP2Settings",
    "RetryableStreamError",
    "SlotWaiter",
    "StreamSlots",
    "sendable_bytes",
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


def reader_deadline(
    settings: HTTP2Settings,
    now: float,
    *,
    ping_sent_at: float | None,
    idle_since: float | None,
    keepalive_expiry: float | None,
) -> float:
    """When a connection's reader should wake by itself; ``math.inf`` for never.

    A keep-alive PING in flight must be answered within
    ``settings.keepalive_timeout``. Otherwise the next PING is due
    ``keepalive_interval`` from ``now`` (it goes out only if the connection
    is still idle then), and an idle connection (``idle_since`` not None:
    no streams since then) expires ``keepalive_expiry`` after it went idle.
    """
    if ping_sent_at is not None:
        return ping_sent_at + settings.keepalive_timeout
    deadline = math.inf
    if settings.keepalive_interval is not None:
        deadline = now + settings.keepalive_interval
    if idle_since is not None and keepalive_expiry is not None:
        deadline = min(deadline, idle_since + keepalive_expiry)
    return deadline
