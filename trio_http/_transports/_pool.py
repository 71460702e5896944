"""The connection pool's I/O shell: waits for slots, opens and closes connections.

All decisions are in :mod:`._pool_policy`; this module only waits (pool
timeout), connects (connect timeout), probes long-idle connections, retries
an idempotent request once when a reused keep-alive connection turns out to
have been closed by the server, and closes what the policy says to close.
Closing never awaits (see ``close_nowait``), so releasing a connection is
safe in any state, cancellation included.

HTTP/2. With ``http2=True`` the pool offers ``h2`` over ALPN and keeps the
accepting HTTP/2 connections of each origin in an :class:`OriginTable`, oldest
first (usually one: a dict lookup and one slot check per request). The first
request to an origin that may speak HTTP/2 connects; requests arriving
meanwhile wait for that connection instead of opening their own. When every
connection of the origin has all of the server's
``SETTINGS_MAX_CONCURRENT_STREAMS`` in use, the next request opens another
connection if the limits have room for it now, one at a time per origin;
only when they have none do requests wait for a stream slot (under the pool
timeout). When ALPN picks HTTP/1.1 the origin is remembered and served by
the HTTP/1.1 path from then on. An HTTP/2 connection counts as one
connection against the limits. A connection that failed or received GOAWAY
leaves the table at once (its ``on_draining`` call), so it is never
offered again. Requests the server did not process (GOAWAY above them,
REFUSED_STREAM) are sent again on a new connection when their body can be
replayed. Reader tasks run in the nursery of :meth:`ConnectionPool.run_housekeeping`.

A non-idempotent request (POST, say) is never sent twice, so before one
goes out on a reused HTTP/1.1 connection the pool checks without waiting
that the server has not closed it (one ``select`` call): a server restart
then costs a new connection, not a failed POST.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Union

import trio

from .._config import DEFAULT_LIMITS, KEEPALIVE_PROBE_AFTER, Limits
from .._exceptions import (
    ClientStateError,
    ConnectError,
    ReadError,
    RemoteProtocolError,
    WriteError,
)
from ._base import AsyncBaseTransport, request_deadlines
from ._deadline_watch import DeadlineWatch
from ._http2_state import HTTP2Settings, RetryableStreamError, why_not_resent
from ._http11 import HTTP11Connection
from ._net import (
    CertTypes,
    VerifyTypes,
    close_stream_nowait,
    create_ssl_context,
    negotiated_protocol,
    open_stream,
)
from ._origins import OriginTable
from ._pool_http2 import HTTP2Routing, allows_extended_connect, pool_timeout
from ._pool_policy import NEW_CONNECTION, PoolPolicy, Waiter, _NewConnection
from ._tls_context import warn_unverified

if TYPE_CHECKING:
    from .._deadlines import Deadlines
    from .._request import Request
    from .._response import Response
    from ._base import UpgradedStream

    # Imported when the first HTTP/2 connection opens: h2 is slow to import.
    from ._http2 import HTTP2Connection

__all__ = ["ConnectionPool"]

_INF = math.inf
# RFC 9110 §9.2.2: these may be repeated without changing the outcome.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
_RETRYABLE = (ReadError, WriteError, RemoteProtocolError)
Connection = Union[HTTP11Connection, "HTTP2Connection"]

Origin = tuple[str, str, int]
# (origin, request, TLS context for the origin or None) -> a connected stream,
# TLS already negotiated. Proxies plug in here (CONNECT tunnels, SOCKS).
StreamOpener = Callable[[Origin, "Request", "ssl.SSLContext | None"], Awaitable[trio.abc.Stream]]


class ConnectionPool(HTTP2Routing, AsyncBaseTransport):
    """HTTP/1.1 keep-alive connections and multiplexed HTTP/2 connections, per origin.

    Args:
        verify: TLS verification (see ``create_ssl_context``).
        cert: client certificate.
        limits: pool limits.
        local_address: local IP address to bind outgoing connections to.
        uds: connect every request to this Unix socket path instead of TCP.
        stream_opener: open connections with this instead of TCP/TLS to the
            origin (a proxy tunnel, say); it runs under the connect timeout.
        http1: speak HTTP/1.1.
        http2: speak HTTP/2: offered with ALPN on ``https://``; with
            ``http1=False`` also used on ``http://`` with prior knowledge
            (h2c). HTTP/2 needs :meth:`run_housekeeping` running (the
            client does that).
        http2_settings: HTTP/2 windows, header limit and keep-alive PINGs.

    Raises:
        ValueError: both ``http1`` and ``http2`` are False.
    """

    def __init__(
        self,
        *,
        verify: VerifyTypes = True,
        cert: CertTypes = None,
        limits: Limits = DEFAULT_LIMITS,
        local_address: str | None = None,
        uds: str | None = None,
        stream_opener: StreamOpener | None = None,
        http1: bool = True,
        http2: bool = False,
        http2_settings: HTTP2Settings | None = None,
    ) -> None:
        if not (http1 or http2):
            raise ValueError("at least one of http1 and http2 must be enabled")
        self._http1 = http1
        self._http2 = http2
        self._http2_settings = http2_settings or HTTP2Settings()
        self._origins = OriginTable()
        self._connecting: dict[Origin, trio.Event] = {}
        self._nursery: trio.Nursery | None = None
        # Keeps the HTTP/1.1 phase deadlines while housekeeping runs.
        self._deadlines = DeadlineWatch()
        self._verify = verify
        self._stream_opener = stream_opener or self._open_direct
        self._cert = cert
        self._limits = limits
        self._local_address = local_address
        self._uds = uds
        self._policy: PoolPolicy[HTTP11Connection] = PoolPolicy(limits)
        self._connections: set[Connection] = set()
        self._closed = False

    # -- introspection (tests, debugging) ---------------------------------

    @property
    def open_connections(self) -> int:
        """Connections open now, idle or busy."""
        return len(self._connections)

    @property
    def idle_connections(self) -> int:
        return len(self._policy.idle_order)

    # -- requests ---------------------------------------------------------

    async def handle_async_request(self, request: Request) -> Response:
        if self._closed:
            raise ClientStateError("the connection pool is closed")
        deadlines = request_deadlines(request)
        origin = request.url.origin
        if self._verify is not True and origin[0] == "https":
            warn_unverified(self._verify, origin[1])
        fresh = False
        http2_retries = lost_retries = 0
        while True:
            conn: Connection | None = None
            if self._may_speak_http2(origin):
                conn = await self._http2_connection_for(request, origin, deadlines)
            if conn is None:
                conn = await self._acquire(request, origin, deadlines, fresh=fresh)
            if type(conn) is not HTTP11Connection:
                assert conn is not None
                try:
                    return await conn.handle_request(request, deadlines)
                except RetryableStreamError as exc:
                    lost = exc.lost
                    why = why_not_resent(
                        exc,
                        method=request.method,
                        idempotent=request.method in IDEMPOTENT_METHODS,
                        rewindable=request.stream.rewindable,
                        moves=http2_retries,
                        lost_moves=lost_retries,
                    )
                    if why:
                        if lost is None:
                            raise RemoteProtocolError(f"{exc} ({why})", request=request) from exc
                        raise type(lost)(f"{lost} ({why})", request=request) from exc
                    request.stream.rewind()
                    if lost is None:
                        http2_retries += 1
                    else:
                        lost_retries += 1
                    continue
            assert isinstance(conn, HTTP11Connection)
            reused = conn.request_count > 0
            try:
                return await conn.handle_request(request, deadlines)
            except _RETRYABLE:
                # A keep-alive connection the server closed just as we sent:
                # nothing reached the application, so an idempotent request
                # with a replayable body is sent once more on a new connection.
                if (
                    fresh
                    or not reused
                    or conn.response_started
                    or request.method not in IDEMPOTENT_METHODS
                    or not request.stream.rewindable
                ):
                    raise
                request.stream.rewind()
                fresh = True

    # -- upgrades (WebSockets) ------------------------------------------------

    async def handle_async_upgrade(
        self, request: Request
    ) -> tuple[Response, UpgradedStream | None]:
        """Open a WebSocket: an extended CONNECT on HTTP/2, else an upgrade on a fresh connection.

        HTTP/2 is used when it is allowed for the origin (and not refused by
        ``request.extensions["http2"] is False``), a connection to the origin
        speaks it (an existing one, or a new one that negotiated it) and the
        server sent ``SETTINGS_ENABLE_CONNECT_PROTOCOL=1`` (RFC 8441).
        Otherwise a new HTTP/1.1 connection is opened through the pool's
        stream opener (so proxies apply) and never joins the pool.

        A checkpoint. Cancellation closes the connection it was opening.

        Raises:
            ConnectError, ConnectTimeout, SSLError, ProxyError: connecting failed.
            ReadTimeout, WriteTimeout, ReadError, WriteError,
                RemoteProtocolError: the handshake failed.
            ClientStateError: the pool is closed.
        """
        await trio.lowlevel.checkpoint_if_cancelled()
        if self._closed:
            raise ClientStateError("the connection pool is closed")
        deadlines = request_deadlines(request)
        origin = request.url.origin
        if self._verify is not True and origin[0] == "https":
            warn_unverified(self._verify, origin[1])
        if self._may_speak_http2(origin) and request.extensions.get("http2") is not False:
            conn = await self._http2_for_upgrade(request, origin, deadlines)
            if conn is not None and await allows_extended_connect(conn, request, deadlines):
                try:
                    return await conn.open_tunnel(request, "websocket", deadlines)
                except RetryableStreamError:
                    pass  # it stopped taking streams since (GOAWAY): HTTP/1.1 below
        if not self._http1:
            raise ConnectError(
                f"{origin[1]}:{origin[2]} does not accept WebSockets over HTTP/2 "
                "and HTTP/1.1 is disabled",
                request=request,
            )
        from ._upgrade_http11 import open_upgrade_http11

        ssl_context = self._get_ssl_context(False) if origin[0] == "https" else None
        return await open_upgrade_http11(self._stream_opener, ssl_context, request, deadlines)

    # -- HTTP/1.1 and opening -----------------------------------------------

    async def _acquire(
        self, request: Request, origin: Origin, deadlines: Deadlines, *, fresh: bool
    ) -> Connection:
        await trio.lowlevel.checkpoint_if_cancelled()
        policy = self._policy
        while True:
            now = trio.current_time()
            granted, to_close = policy.acquire(origin, now, fresh=fresh)
            self._close_all(to_close)
            if granted is None:
                granted = await self._wait_for_grant(request, origin, deadlines, fresh)
            # A granted connection goes straight to sending, which is the
            # schedule point; yielding here too would cost a scheduler pass.
            if granted is NEW_CONNECTION:
                return await self._open(request, origin, deadlines)
            assert isinstance(granted, HTTP11Connection)
            # A request that must not be sent twice probes any reused
            # connection; others only one idle long enough to be suspect.
            if (
                now - granted.idle_since > KEEPALIVE_PROBE_AFTER
                or request.method not in IDEMPOTENT_METHODS
                or not request.stream.rewindable
            ) and granted.is_stale():
                # Dead, but its socket is still ours to close.
                self._close_all([granted, *policy.discard_idle(granted, now)])
                continue
            return granted

    async def _wait_for_grant(
        self, request: Request, origin: Origin, deadlines: Deadlines, fresh: bool
    ) -> HTTP11Connection | _NewConnection:
        event = trio.Event()
        waiter: Waiter[HTTP11Connection] = Waiter(origin, event.set, fresh=fresh)
        self._policy.enqueue(waiter)
        deadline = deadlines.phase("pool", trio.current_time())
        try:
            with trio.move_on_at(deadline):
                await event.wait()
        except BaseException:
            self._close_all(self._policy.withdraw(waiter, trio.current_time()))
            raise
        granted = waiter.granted
        if granted is None:
            self._close_all(self._policy.withdraw(waiter, trio.current_time()))
            raise pool_timeout(request, origin, deadlines, deadline, "a connection")
        return granted

    async def _open(self, request: Request, origin: Origin, deadlines: Deadlines) -> Connection:
        scheme, host, port = origin
        deadline = deadlines.phase("connect", trio.current_time())
        try:
            ssl_context = (
                self._get_ssl_context(self._may_speak_http2(origin)) if scheme == "https" else None
            )
            with trio.move_on_at(deadline) as scope:
                stream = await self._stream_opener(origin, request, ssl_context)
        except BaseException as exc:
            self._close_all(self._policy.slot_failed(origin, trio.current_time()))
            if isinstance(exc, Exception) and hasattr(exc, "request"):
                exc.request = request
            raise
        if scope.cancelled_caught:
            self._close_all(self._policy.slot_failed(origin, trio.current_time()))
            raise deadlines.expired("connect", deadline, f"connecting to {host}:{port}", request)
        if self._closed:
            close_stream_nowait(stream)
            self._policy.slot_failed(origin, trio.current_time())
            raise ClientStateError("the connection pool was closed while connecting")
        if ssl_context is None:
            use_http2 = self._http2 and not self._http1 and scheme == "http"
        else:
            use_http2 = negotiated_protocol(stream) == "h2"
            if not use_http2 and not self._http1:
                close_stream_nowait(stream)
                self._close_all(self._policy.slot_failed(origin, trio.current_time()))
                raise ConnectError(
                    f"{host}:{port} did not agree to HTTP/2 and HTTP/1.1 is disabled",
                    request=request,
                )
            if not use_http2 and self._http2:
                self._origins.remember_http1(origin)
        if use_http2:
            return await self._start_http2(stream, origin)
        conn = HTTP11Connection(stream, origin, self._on_release, self._deadlines)
        self._connections.add(conn)
        return conn

    async def _open_direct(
        self, origin: Origin, request: Request, ssl_context: ssl.SSLContext | None
    ) -> trio.abc.Stream:
        host = origin[1]
        return await open_stream(
            host,
            origin[2],
            ssl_context=ssl_context,
            server_hostname=request.extensions.get("sni_hostname") or host,
            local_address=self._local_address,
            uds=self._uds,
        )

    def _get_ssl_context(self, http2: bool) -> ssl.SSLContext:
        # create_ssl_context caches contexts by their settings.
        if not http2:
            return create_ssl_context(self._verify, self._cert)
        alpn = ("h2", "http/1.1") if self._http1 else ("h2",)
        return create_ssl_context(self._verify, self._cert, alpn=alpn)

    def _on_release(self, conn: HTTP11Connection, reusable: bool) -> None:
        if self._closed:
            reusable = False
            conn.close_nowait()
        if not reusable:
            self._forget(conn)
        now = trio.current_time()
        if reusable:
            conn.idle_since = now
        self._close_all(self._policy.release(conn, reusable, now))

    def _forget(self, conn: Connection) -> None:
        self._connections.discard(conn)

    def _close_all(self, conns: list[HTTP11Connection]) -> None:
        for conn in conns:
            self._connections.discard(conn)
            conn.close_nowait()

    # -- housekeeping -----------------------------------------------------

    async def run_housekeeping(
        self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Close idle connections as their keep-alive expires; host HTTP/2 tasks.

        Runs forever. Meant for the owning client's nursery (start it with
        ``nursery.start``); cancel it to stop, which also stops every HTTP/2
        connection's reader and writer.
        """
        async with trio.open_nursery() as nursery:
            await nursery.start(self._deadlines.run)
            self._nursery = nursery
            task_status.started()
            try:
                await self._expire_idle()
            finally:
                self._nursery = None
                for conn in list(self._connections):
                    if type(conn) is not HTTP11Connection:
                        conn.close_nowait()

    async def _expire_idle(self) -> None:
        while True:
            expiry = self._policy.next_expiry()
            if expiry is None:
                await trio.sleep(self._limits.keepalive_expiry or 60.0)
                continue
            await trio.sleep_until(expiry + 0.001)
            self._close_all(self._policy.expire(trio.current_time()))

    async def aclose(self) -> None:
        """Close every connection, busy ones included. Idempotent."""
        self._closed = True
        self._close_all(self._policy.close_idle())
        for conn in list(self._connections):
            conn.close_nowait()
        self._connections.clear()
        await trio.lowlevel.checkpoint()
