"""Which HTTP/2 connections serve each origin, and which origins speak only HTTP/1.1.

Pure bookkeeping for the pool, no I/O. An origin usually has one HTTP/2
connection; it has more only while every stream slot of the others was in
use when a request came (see ``ConnectionPool``). Connections are kept in
the order they opened, so requests fill the oldest first and the newest
fall idle and expire. A connection leaves the table the moment it stops
taking streams (GOAWAY, an error, closing), so it is never offered again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, final

if TYPE_CHECKING:
    from ._http2 import HTTP2Connection

__all__ = ["MAX_REMEMBERED_HTTP1_ORIGINS", "OriginTable"]

Origin = tuple[str, str, int]
# Origins remembered as answering ALPN with HTTP/1.1 (forgotten in bulk past this).
MAX_REMEMBERED_HTTP1_ORIGINS = 4096


def slot_backlog(conn: HTTP2Connection) -> int:
    """Requests ahead of a new one for a stream slot on ``conn``."""
    slots = conn.slots
    return slots.active + len(slots.waiters) - slots.max_concurrent


@final
class OriginTable:
    """The HTTP/2 connections taking streams, per origin; HTTP/1.1-only origins.

    Attributes:
        by_origin: ``{origin: [connection, ...]}``, oldest first; an origin
            without connections has no entry.
    """

    __slots__ = ("_http1", "by_origin")

    def __init__(self) -> None:
        self.by_origin: dict[Origin, list[HTTP2Connection]] = {}
        self._http1: set[Origin] = set()

    def reserve(self, origin: Origin) -> HTTP2Connection | None:
        """A connection of ``origin`` with a stream slot now reserved, or None."""
        conns = self.by_origin.get(origin)
        if conns is not None:
            for conn in conns:
                if conn.try_reserve():
                    return conn
        return None

    def has_connections(self, origin: Origin) -> bool:
        return origin in self.by_origin

    def least_busy(self, origin: Origin) -> HTTP2Connection:
        """The connection of ``origin`` whose slot queue is shortest (it has one)."""
        return min(self.by_origin[origin], key=slot_backlog)

    def add(self, conn: HTTP2Connection) -> None:
        self.by_origin.setdefault(conn.origin, []).append(conn)

    def discard(self, conn: HTTP2Connection) -> None:
        """Forget ``conn`` (it stopped taking streams). Idempotent."""
        conns = self.by_origin.get(conn.origin)
        if conns is not None and conn in conns:
            conns.remove(conn)
            if not conns:
                del self.by_origin[conn.origin]

    def speaks_http1(self, origin: Origin) -> bool:
        """Whether ``origin`` answered ALPN with HTTP/1.1 before."""
        return origin in self._http1

    def remember_http1(self, origin: Origin) -> None:
        if len(self._http1) >= MAX_REMEMBERED_HTTP1_ORIGINS:
            self._http1.clear()
        self._http1.add(origin)
