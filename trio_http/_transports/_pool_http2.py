"""How the connection pool finds HTTP/2 connections: sharing, opening, tunnels.

A mixin of :class:`~._pool.ConnectionPool` (see its module docstring for
the rules): the first request to an origin that may speak HTTP/2 connects
while the others wait for that connection; when every connection of the
origin has all its streams in use, another opens if the limits have room,
else requests wait for a stream slot. WebSockets (RFC 8441) look for the
origin's HTTP/2 connection here too. The HTTP/1.1 side, opening and
housekeeping stay in ``_pool``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

import trio

from .._exceptions import ClientStateError
from ._http11 import HTTP11Connection
from ._net import close_stream_nowait
from ._pool_policy import NEW_CONNECTION

if TYPE_CHECKING:
    from .._config import Limits
    from .._deadlines import Deadlines
    from .._request import Request
    from ._http2 import HTTP2Connection
    from ._http2_state import HTTP2Settings
    from ._origins import OriginTable
    from ._pool_policy import PoolPolicy

__all__ = ["HTTP2Routing", "allows_extended_connect", "pool_timeout"]

Origin = tuple[str, str, int]
Connection = Union[HTTP11Connection, "HTTP2Connection"]


class HTTP2Routing:
    """The HTTP/2 half of :class:`~._pool.ConnectionPool`'s routing.

    Uses the pool's state and its HTTP/1.1 and opening methods, declared
    here for the type checker.
    """

    _http1: bool
    _http2: bool
    _http2_settings: HTTP2Settings
    _origins: OriginTable
    _connecting: dict[Origin, trio.Event]
    _nursery: trio.Nursery | None
    _limits: Limits
    _policy: PoolPolicy[HTTP11Connection]
    _connections: set[Connection]
    _closed: bool

    if TYPE_CHECKING:

        async def _open(
            self, request: Request, origin: Origin, deadlines: Deadlines
        ) -> Connection: ...

        async def _acquire(
            self, request: Request, origin: Origin, deadlines: Deadlines, *, fresh: bool
        ) -> Connection: ...

        def _on_release(self, conn: HTTP11Connection, reusable: bool) -> None: ...

        def _close_all(self, conns: list[HTTP11Connection]) -> None: ...

    async def _http2_for_upgrade(
        self, request: Request, origin: Origin, deadlines: Deadlines
    ) -> HTTP2Connection | None:
        """The origin's HTTP/2 connection (opened if needed), no slot held; None: use HTTP/1.1."""
        if self._origins.has_connections(origin):
            return self._origins.least_busy(origin)
        if self._origins.speaks_http1(origin):
            return None
        conn = await self._http2_connection_for(request, origin, deadlines)
        if conn is None:
            return None
        if type(conn) is HTTP11Connection:
            # ALPN chose HTTP/1.1: the new connection serves later requests.
            self._on_release(conn, True)
            return None
        assert not isinstance(conn, HTTP11Connection)
        # The tunnel waits for a slot of its own, as long as it lives.
        conn.release_slot()
        return conn

    # -- HTTP/2 -------------------------------------------------------------

    def _may_speak_http2(self, origin: Origin) -> bool:
        if not self._http2 or self._nursery is None:
            return False
        scheme = origin[0]
        if scheme == "https":
            return not self._origins.speaks_http1(origin)
        return scheme == "http" and not self._http1

    async def _http2_connection_for(
        self, request: Request, origin: Origin, deadlines: Deadlines
    ) -> Connection | None:
        """A connection for a request to an origin that may speak HTTP/2.

        Returns an HTTP/2 connection with a stream slot reserved, a new
        HTTP/1.1 connection (ALPN chose it), or None: use the HTTP/1.1 path.
        """
        await trio.lowlevel.checkpoint_if_cancelled()
        deadline: float | None = None
        while True:
            reserved = self._origins.reserve(origin)
            if reserved is not None:
                # No schedule point here: sending the request is one, and a
                # yield per request costs a whole scheduler pass.
                return reserved
            if self._origins.speaks_http1(origin):
                return None
            pending = self._connecting.get(origin)
            if pending is not None:
                # Another request is connecting to this origin: HTTP/2 would
                # let us share its connection, so wait for it.
                if deadline is None:
                    deadline = deadlines.phase("pool", trio.current_time())
                with trio.move_on_at(deadline):
                    await pending.wait()
                if not pending.is_set():
                    raise pool_timeout(request, origin, deadlines, deadline, "an HTTP/2 stream")
                continue
            if self._origins.has_connections(origin):
                # Every stream slot is taken: another connection if the
                # limits have room now, else wait for a slot.
                granted, to_close = self._policy.acquire(origin, trio.current_time(), fresh=True)
                self._close_all(to_close)
                if granted is None:
                    if deadline is None:
                        deadline = deadlines.phase("pool", trio.current_time())
                    conn = self._origins.least_busy(origin)
                    slot = await conn.wait_for_slot(deadline)
                    if slot:
                        return conn
                    if slot is None:
                        raise pool_timeout(request, origin, deadlines, deadline, "an HTTP/2 stream")
                    continue  # that connection is draining: look again
                assert granted is NEW_CONNECTION
                opening = self._open(request, origin, deadlines)
            else:
                opening = self._acquire(request, origin, deadlines, fresh=False)
            event = self._connecting[origin] = trio.Event()
            try:
                return await opening
            finally:
                del self._connecting[origin]
                event.set()

    async def _start_http2(self, stream: trio.abc.Stream, origin: Origin) -> HTTP2Connection:
        from ._http2 import HTTP2Connection

        nursery = self._nursery
        if nursery is None:
            close_stream_nowait(stream)
            self._close_all(self._policy.slot_failed(origin, trio.current_time()))
            raise ClientStateError(
                "HTTP/2 needs the pool's housekeeping task running: use it through AsyncClient"
            )
        conn = HTTP2Connection(
            stream,
            origin,
            settings=self._http2_settings,
            keepalive_expiry=self._limits.keepalive_expiry,
            on_draining=self._on_http2_draining,
            on_closed=self._on_http2_closed,
        )
        self._connections.add(conn)
        conn.try_reserve()  # the opening request's stream
        await nursery.start(conn.run)
        # Offered to other requests only now: before run() has queued the
        # connection preface, a stream opened on it would go out first.
        if conn.is_available:
            self._origins.add(conn)
        return conn

    def _on_http2_draining(self, conn: HTTP2Connection) -> None:
        self._origins.discard(conn)

    def _on_http2_closed(self, conn: HTTP2Connection) -> None:
        self._on_http2_draining(conn)
        if conn in self._connections:
            self._connections.discard(conn)
            if not self._closed:
                self._close_all(self._policy.slot_failed(conn.origin, trio.current_time()))


async def allows_extended_connect(
    conn: HTTP2Connection, request: Request, deadlines: Deadlines
) -> bool:
    """Whether ``conn`` allows extended CONNECT; its SETTINGS awaited under the read timeout."""
    deadline = deadlines.phase("read", trio.current_time())
    with trio.move_on_at(deadline):
        return await conn.allows_extended_connect()
    raise deadlines.expired("read", deadline, "waiting for the server's HTTP/2 SETTINGS", request)


def pool_timeout(
    request: Request, origin: Origin, deadlines: Deadlines, deadline: float, what: str
) -> Exception:
    """The error for a wait for ``what`` to ``origin`` that reached ``deadline``."""
    where = f"waiting for {what} to {origin[1]}:{origin[2]}"
    return deadlines.expired("pool", deadline, where, request)
