"""Which connection serves which request, and what to close: pure bookkeeping.

How this works. Every open connection is counted against the global and the
per-origin limit from the moment its slot is granted until it is closed.
Idle keep-alive connections sit on a stack per origin (the most recently used
is reused first: its socket is the least likely to have been closed by the
server) and in one insertion-ordered dict across origins, oldest first, for
eviction and expiry. Requests that find neither an idle connection nor a
free slot wait in one FIFO queue.

Every operation is O(1) amortised: no scan over connections, no system call.
Waking is the caller's business: a granted :class:`Waiter` has ``granted``
set and its ``wake`` callback called; the async shell (``_pool.py``) turns
that into a Trio event. Nothing here awaits, so the state can never be left
half-updated by a cancellation.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, Protocol, TypeVar, final

from .._config import Limits

__all__ = ["NEW_CONNECTION", "PoolPolicy", "Waiter"]

Origin = tuple[str, str, int]


class PooledConnection(Protocol, Hashable):
    origin: Origin
    idle_since: float


C = TypeVar("C", bound=PooledConnection)


@final
class _NewConnection:
    """Grant marker: a slot is reserved, open a new connection for it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NEW_CONNECTION"


NEW_CONNECTION = _NewConnection()


@final
class Waiter(Generic[C]):
    """A request waiting for a connection or a slot."""

    __slots__ = ("fresh", "granted", "origin", "wake")

    def __init__(self, origin: Origin, wake: Callable[[], None], *, fresh: bool = False) -> None:
        self.origin = origin
        self.wake = wake
        self.fresh = fresh
        self.granted: C | _NewConnection | None = None


class PoolPolicy(Generic[C]):
    """The pool's state and decisions, without I/O.

    Methods that close connections return them in a list; the caller closes
    them (connections here are only counted and handed out).
    """

    def __init__(self, limits: Limits) -> None:
        self.max_connections = limits.max_connections
        self.max_per_origin = limits.max_connections_per_host
        self.max_idle = limits.max_keepalive_connections
        self.keepalive_expiry = limits.keepalive_expiry
        self.open_count = 0
        self.per_origin: dict[Origin, int] = {}
        self.idle: dict[Origin, list[C]] = {}
        self.idle_order: dict[C, None] = {}
        self.waiters: deque[Waiter[C]] = deque()

    # -- questions --------------------------------------------------------

    def _has_slot(self, origin: Origin) -> bool:
        if self.max_connections is not None and self.open_count >= self.max_connections:
            return False
        return self.max_per_origin is None or self.per_origin.get(origin, 0) < self.max_per_origin

    def _is_expired(self, conn: C, now: float) -> bool:
        return self.keepalive_expiry is not None and now - conn.idle_since > self.keepalive_expiry

    # -- bookkeeping ------------------------------------------------------

    def _count_open(self, origin: Origin) -> None:
        self.open_count += 1
        self.per_origin[origin] = self.per_origin.get(origin, 0) + 1

    def _count_closed(self, origin: Origin) -> None:
        self.open_count -= 1
        left = self.per_origin[origin] - 1
        if left:
            self.per_origin[origin] = left
        else:
            del self.per_origin[origin]

    def _take_idle(self, origin: Origin, now: float, to_close: list[C]) -> C | None:
        stack = self.idle.get(origin)
        while stack:
            conn = stack.pop()
            del self.idle_order[conn]
            if self._is_expired(conn, now):
                self._count_closed(origin)
                to_close.append(conn)
                continue
            if not stack:
                del self.idle[origin]
            return conn
        if stack is not None:
            del self.idle[origin]
        return None

    def _remove_idle(self, conn: C) -> None:
        del self.idle_order[conn]
        stack = self.idle[conn.origin]
        stack.remove(conn)  # the stack of one origin; short in practice
        if not stack:
            del self.idle[conn.origin]

    def _evict_oldest_idle(self, to_close: list[C], *, other_than: Origin | None = None) -> bool:
        """Close the least recently used idle connection to free its slot."""
        for conn in self.idle_order:
            if conn.origin == other_than:
                continue
            self._remove_idle(conn)
            self._count_closed(conn.origin)
            to_close.append(conn)
            return True
        return False

    def _try_grant(
        self, origin: Origin, fresh: bool, now: float, to_close: list[C]
    ) -> C | _NewConnection | None:
        if not fresh:
            conn = self._take_idle(origin, now, to_close)
            if conn is not None:
                return conn
        if self._has_slot(origin):
            self._count_open(origin)
            return NEW_CONNECTION
        per_origin_full = (
            self.max_per_origin is not None
            and self.per_origin.get(origin, 0) >= self.max_per_origin
        )
        if per_origin_full:
            # Only an idle connection of this origin can make room.
            if fresh and origin in self.idle:
                conn = self.idle[origin][0]
                self._remove_idle(conn)
                self._count_closed(origin)
                to_close.append(conn)
                self._count_open(origin)
                return NEW_CONNECTION
            return None
        if self._evict_oldest_idle(to_close):
            self._count_open(origin)
            return NEW_CONNECTION
        return None

    # -- operations -------------------------------------------------------

    def acquire(
        self, origin: Origin, now: float, *, fresh: bool = False
    ) -> tuple[C | _NewConnection | None, list[C]]:
        """Take an idle connection or a slot for a new one, if either is free.

        Args:
            origin: the request's ``(scheme, host, port)``.
            now: the current time (the caller's clock).
            fresh: skip idle connections (a retry after a stale reuse).

        Returns:
            (an idle connection, ``NEW_CONNECTION`` or None when the caller
            must wait, connections to close).
        """
        to_close: list[C] = []
        if self.waiters:
            # Queue behind earlier requests (FIFO), unless we can be served
            # from our own origin's idle stack without taking anyone's slot.
            if not fresh:
                conn = self._take_idle(origin, now, to_close)
                if conn is not None:
                    return conn, to_close
            return None, to_close
        return self._try_grant(origin, fresh, now, to_close), to_close

    def enqueue(self, waiter: Waiter[C]) -> None:
        self.waiters.append(waiter)

    def withdraw(self, waiter: Waiter[C], now: float) -> list[C]:
        """A waiter gave up (timeout, cancellation): undo any grant.

        Returns:
            connections to close.
        """
        granted = waiter.granted
        waiter.granted = None
        if granted is None:
            try:
                self.waiters.remove(waiter)
            except ValueError:
                pass
            return []
        if granted is NEW_CONNECTION:
            return self.slot_failed(waiter.origin, now)
        assert not isinstance(granted, _NewConnection)
        return self.release(granted, True, now)

    def release(self, conn: C, reusable: bool, now: float) -> list[C]:
        """A request is finished with ``conn``.

        Args:
            conn: the connection.
            reusable: True when it is clean and may serve another request;
                False when it has been (or must be) closed.

        Returns:
            connections to close (``conn`` itself among them when it is not
            kept).
        """
        to_close: list[C] = []
        if reusable and not self._is_expired(conn, now):
            self.idle.setdefault(conn.origin, []).append(conn)
            self.idle_order[conn] = None
        else:
            self._count_closed(conn.origin)
            if reusable:
                to_close.append(conn)
        self._grant_waiters(now, to_close)
        if self.max_idle is not None:
            while len(self.idle_order) > self.max_idle:
                self._evict_oldest_idle(to_close)
        return to_close

    def slot_failed(self, origin: Origin, now: float) -> list[C]:
        """A granted slot was not used (connect failed or was cancelled)."""
        self._count_closed(origin)
        to_close: list[C] = []
        self._grant_waiters(now, to_close)
        return to_close

    def discard_idle(self, conn: C, now: float) -> list[C]:
        """An idle connection taken by acquire turned out dead: forget it."""
        return self.slot_failed(conn.origin, now)

    def expire(self, now: float) -> list[C]:
        """Remove idle connections past the keep-alive expiry, oldest first."""
        to_close: list[C] = []
        while self.idle_order:
            conn = next(iter(self.idle_order))
            if not self._is_expired(conn, now):
                break
            self._remove_idle(conn)
            self._count_closed(conn.origin)
            to_close.append(conn)
        if to_close:
            self._grant_waiters(now, to_close)
        return to_close

    def next_expiry(self) -> float | None:
        """When the oldest idle connection expires, or None."""
        if not self.idle_order or self.keepalive_expiry is None:
            return None
        return next(iter(self.idle_order)).idle_since + self.keepalive_expiry

    def close_idle(self) -> list[C]:
        """Forget every idle connection (the pool is closing)."""
        conns = list(self.idle_order)
        for conn in conns:
            self._remove_idle(conn)
            self._count_closed(conn.origin)
        return conns

    def _grant_waiters(self, now: float, to_close: list[C]) -> None:
        waiters = self.waiters
        skipped: list[Waiter[C]] = []
        while waiters:
            waiter = waiters[0]
            granted = self._try_grant(waiter.origin, waiter.fresh, now, to_close)
            if granted is None:
                if self.max_per_origin is None:
                    break
                # Blocked by its own origin's limit only: let others pass.
                skipped.append(waiters.popleft())
                continue
            waiters.popleft()
            waiter.granted = granted
            waiter.wake()
        if skipped:
            waiters.extendleft(reversed(skipped))
