"""The socket under a stream: closing it at once, and asking whether it is readable.

No data moves here; reading and writing are in :mod:`._net`.
"""

from __future__ import annotations

import select
from typing import Any

import trio

from ._net_tls import TLSSocketStream

__all__ = ["close_stream_nowait", "socket_of", "socket_readable"]


def close_stream_nowait(stream: trio.abc.Stream) -> None:
    """Close the socket under ``stream`` at once, without a checkpoint.

    TLS close_notify is skipped: HTTP messages are framed, so truncation is
    detected without it, and cleanup must not wait on a stalled peer.
    """
    base = _base_of(stream)
    if isinstance(base, TLSSocketStream):
        base.close()  # tells Trio first: a task waiting on it is woken
    elif base is not None:
        base.socket.close()
    else:
        # Not socket-backed (tests use memory streams): nothing to wait on.
        close = getattr(stream, "close", None)
        if callable(close):
            close()


def _base_of(stream: trio.abc.Stream) -> trio.SocketStream | TLSSocketStream | None:
    """The socket-owning stream under ``stream`` (through TLS layers), or None."""
    inner: Any = stream
    while not isinstance(inner, (trio.SocketStream, TLSSocketStream)):
        inner = getattr(inner, "transport_stream", None)
        if inner is None:
            return None
    return inner


def socket_of(stream: trio.abc.Stream) -> Any:
    """The socket under ``stream`` (through TLS layers), or None."""
    base = _base_of(stream)
    return None if base is None else base.socket


def socket_readable(stream: trio.abc.Stream, *, if_broken: bool) -> bool:
    """Whether the socket under ``stream`` has something to read (EOF counts) now.

    One non-blocking ``select``, not a checkpoint. A closed or failing
    socket answers ``if_broken``; a stream with no socket under it (tests
    use memory streams) answers False.
    """
    sock = socket_of(stream)
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock.fileno()], [], [], 0)
    except (OSError, ValueError):
        return if_broken
    return bool(readable)
