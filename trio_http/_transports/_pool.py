"""The connection pool's I/O shell: waits for slots, opens and closes connections.

All decisions are in :mod:`._pool_policy`; this module only waits (pool
timeout), connects (connect timeout), probes long-idle connections, retries
an idempotent request once when a reused keep-alive connection turns out to
have been closed by the server, and closes what the policy says to close.
Closing never awaits (see ``close_nowait``), so releasing a connection is
safe in any state, cancellation included.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import trio

from .._config import DEFAULT_LIMITS, DEFAULT_TIMEOUT, KEEPALIVE_PROBE_AFTER, Limits
from .._exceptions import (
    ClientStateError,
    ConnectTimeout,
    PoolTimeout,
    ReadError,
    RemoteProtocolError,
    TotalTimeout,
    WriteError,
)
from ._base import AsyncBaseTransport
from ._http11 import HTTP11Connection
from ._net import CertTypes, VerifyTypes, create_ssl_context, open_stream
from ._pool_policy import NEW_CONNECTION, PoolPolicy, Waiter, _NewConnection

if TYPE_CHECKING:
    from .._config import Timeouts as Timeout
    from .._models import Request, Response

__all__ = ["ConnectionPool"]

_INF = math.inf
# RFC 9110 §9.2.2: these may be repeated without changing the outcome.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
_RETRYABLE = (ReadError, WriteError, RemoteProtocolError)

Origin = tuple[str, str, int]
# (origin, request, TLS context for the origin or None) -> a connected stream,
# TLS already negotiated. Proxies plug in here (CONNECT tunnels, SOCKS).
StreamOpener = Callable[[Origin, "Request", "ssl.SSLContext | None"], Awaitable[trio.abc.Stream]]


class ConnectionPool(AsyncBaseTransport):
    """HTTP/1.1 keep-alive connections, pooled per origin.

    Args:
        verify: TLS verification (see ``create_ssl_context``).
        cert: client certificate.
        limits: pool limits.
        local_address: local IP address to bind outgoing connections to.
        uds: connect every request to this Unix socket path instead of TCP.
        stream_opener: open connections with this instead of TCP/TLS to the
            origin (a proxy tunnel, say); it runs under the connect timeout.
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
    ) -> None:
        self._verify = verify
        self._stream_opener = stream_opener or self._open_direct
        self._cert = cert
        self._ssl_context: ssl.SSLContext | None = None
        self._limits = limits
        self._local_address = local_address
        self._uds = uds
        self._policy: PoolPolicy[HTTP11Connection] = PoolPolicy(limits)
        self._connections: set[HTTP11Connection] = set()
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
        timeout: Timeout = request.extensions.get("timeout") or DEFAULT_TIMEOUT
        origin = request.url.origin
        fresh = False
        while True:
            conn = await self._acquire(request, origin, timeout, fresh=fresh)
            reused = conn.request_count > 0
            try:
                return await conn.handle_request(request, timeout)
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

    async def _acquire(
        self, request: Request, origin: tuple[str, str, int], timeout: Timeout, *, fresh: bool
    ) -> HTTP11Connection:
        await trio.lowlevel.checkpoint_if_cancelled()
        policy = self._policy
        while True:
            now = trio.current_time()
            granted, to_close = policy.acquire(origin, now, fresh=fresh)
            self._close_all(to_close)
            if granted is None:
                granted = await self._wait_for_grant(request, origin, timeout, fresh)
            else:
                await trio.lowlevel.cancel_shielded_checkpoint()
            if granted is NEW_CONNECTION:
                return await self._open(request, origin, timeout)
            assert isinstance(granted, HTTP11Connection)
            if now - granted.idle_since > KEEPALIVE_PROBE_AFTER and granted.is_stale():
                self._forget(granted)
                self._close_all(policy.discard_idle(granted, now))
                continue
            return granted

    async def _wait_for_grant(
        self, request: Request, origin: tuple[str, str, int], timeout: Timeout, fresh: bool
    ) -> HTTP11Connection | _NewConnection:
        event = trio.Event()
        waiter: Waiter[HTTP11Connection] = Waiter(origin, event.set, fresh=fresh)
        self._policy.enqueue(waiter)
        total_deadline: float = request.extensions.get("deadline", _INF)
        deadline = total_deadline
        if timeout.pool is not None:
            deadline = min(deadline, trio.current_time() + timeout.pool)
        try:
            with trio.move_on_at(deadline):
                await event.wait()
        except BaseException:
            self._close_all(self._policy.withdraw(waiter, trio.current_time()))
            raise
        granted = waiter.granted
        if granted is None:
            self._close_all(self._policy.withdraw(waiter, trio.current_time()))
            if total_deadline <= deadline:
                raise TotalTimeout(
                    "the overall request deadline expired while waiting for a connection",
                    request=request,
                )
            raise PoolTimeout(
                f"no connection to {origin[1]}:{origin[2]} became free within {timeout.pool} s",
                request=request,
            )
        return granted

    async def _open(
        self, request: Request, origin: tuple[str, str, int], timeout: Timeout
    ) -> HTTP11Connection:
        scheme, host, port = origin
        total_deadline: float = request.extensions.get("deadline", _INF)
        deadline = total_deadline
        if timeout.connect is not None:
            deadline = min(deadline, trio.current_time() + timeout.connect)
        try:
            ssl_context = self._get_ssl_context() if scheme == "https" else None
            with trio.move_on_at(deadline) as scope:
                stream = await self._stream_opener(origin, request, ssl_context)
        except BaseException as exc:
            self._close_all(self._policy.slot_failed(origin, trio.current_time()))
            if isinstance(exc, Exception) and hasattr(exc, "request"):
                exc.request = request
            raise
        if scope.cancelled_caught:
            self._close_all(self._policy.slot_failed(origin, trio.current_time()))
            if total_deadline <= deadline:
                raise TotalTimeout(
                    "the overall request deadline expired while connecting", request=request
                )
            raise ConnectTimeout(
                f"connecting to {host}:{port} took longer than {timeout.connect} s",
                request=request,
            )
        conn = HTTP11Connection(stream, origin, self._on_release)
        if self._closed:
            conn.close_nowait()
            self._policy.slot_failed(origin, trio.current_time())
            raise ClientStateError("the connection pool was closed while connecting")
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

    def _get_ssl_context(self) -> ssl.SSLContext:
        context = self._ssl_context
        if context is None:
            context = self._ssl_context = create_ssl_context(self._verify, self._cert)
        return context

    def _on_release(self, conn: HTTP11Connection, reusable: bool) -> None:
        if self._closed:
            reusable = False
            conn.close_nowait()
        if not reusable:
            self._forget(conn)
        self._close_all(self._policy.release(conn, reusable, trio.current_time()))

    def _forget(self, conn: HTTP11Connection) -> None:
        self._connections.discard(conn)

    def _close_all(self, conns: list[HTTP11Connection]) -> None:
        for conn in conns:
            self._connections.discard(conn)
            conn.close_nowait()

    # -- housekeeping -----------------------------------------------------

    async def run_housekeeping(self) -> None:
        """Close idle connections as their keep-alive expires. Runs forever.

        Meant for the owning client's nursery; cancel it to stop.
        """
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
