"""Send requests through urllib3, one blocking call per worker thread.

How this works. urllib3 blocks, so :meth:`Urllib3Transport.handle_async_request`
runs ``PoolManager.urlopen`` in a worker thread (``trio.to_thread.run_sync``)
and returns as soon as the response headers have arrived; each read of the
body is one more thread hop that returns what one ``read1`` call yields (up
to :data:`READ_CHUNK` bytes, never waiting for more than the socket has). The
transport never follows redirects, never retries unless asked, and never
decodes ``Content-Encoding``: the client above does all three, exactly as it
does for its native transport, so the two can be compared side by side.

A worker thread cannot be interrupted. Cancellation (or the overall
deadline) abandons the thread at once and the thread cleans up after itself
when it ends: a response that arrives for nobody is closed. While a body
read is blocked, cancelling shuts the socket's reading side down so that
the thread ends promptly. urllib3's own timeouts bound how long an abandoned
thread can live; they are the request's connect and read timeouts, cut down
to what is left of the overall deadline.

A request body held in memory is passed as ``bytes``. A streamed body is
read on the Trio side chunk by chunk (``trio.from_thread.run``) as urllib3
sends it, so an upload is never buffered whole.
"""

from __future__ import annotations

import http.client
import math
import os
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, final

import trio

from .._exceptions import (
    ChunkedEncodingError,
    ConnectError,
    ConnectionError,
    ConnectTimeout,
    InvalidSchema,
    InvalidURL,
    ProxyError,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    RequestException,
    SSLError,
)
from .._headers import Headers
from .._response import Response
from .._streams import AsyncByteStream, BytesContent
from ._base import AsyncBaseTransport, request_deadlines

if TYPE_CHECKING:
    import urllib3

    from .._request import Request
    from ._net import CertTypes, VerifyTypes

__all__ = ["READ_CHUNK", "Urllib3Transport"]

READ_CHUNK = 64 * 1024  # bytes, the most one body read returns


class _BodyAbandoned(Exception):
    """Ends urllib3's send of a streamed body nobody waits for any more."""


@final
class _BodyPump:
    """Feeds a streamed request body from the Trio side to urllib3's thread."""

    __slots__ = ("_iterator", "_scope", "_stopped")

    def __init__(self, iterator: AsyncIterator[bytes]) -> None:
        self._iterator = iterator
        self._scope: trio.CancelScope | None = None
        self._stopped = False

    def chunks(self) -> Iterator[bytes]:
        """In the worker thread: the body's chunks, one Trio hop each."""
        while True:
            chunk = trio.from_thread.run(self._next_chunk)
            if chunk is None:
                return
            yield chunk

    async def _next_chunk(self) -> bytes | None:
        # Runs in the Trio thread, outside the abandoned request's cancel
        # scopes: stop() is what ends a body producer that waits forever.
        if not self._stopped:
            with trio.CancelScope() as self._scope:
                try:
                    return await anext(self._iterator)
                except StopAsyncIteration:
                    return None
        raise _BodyAbandoned("the request was cancelled while its body was being sent")

    def stop(self) -> None:
        """On the Trio side: end the upload of an abandoned request."""
        self._stopped = True
        if self._scope is not None:
            self._scope.cancel()


def _close_response(response: urllib3.BaseHTTPResponse, complete: bool) -> None:
    """Give the response's connection back to urllib3's pool.

    A complete body leaves the connection reusable; otherwise the connection
    is in an unknown state, so it is closed first (urllib3 reopens it).
    """
    if not complete:
        response.close()
    response.release_conn()


def _shutdown_read(response: urllib3.BaseHTTPResponse) -> None:
    """Wake a thread blocked reading ``response`` by shutting its socket."""
    shutdown = getattr(response, "shutdown", None)
    if shutdown is None:  # pragma: no cover - urllib3 < 2.3
        return
    try:
        shutdown()
    except (OSError, RuntimeError, ValueError):
        # Already released, already closed, or not a socket: nothing blocks.
        pass


@final
class _Exchange:
    """One ``urlopen`` call, run in a worker thread that may be abandoned."""

    __slots__ = ("_abandoned", "_call", "_lock", "_pump", "response")

    def __init__(self, call: Any, pump: _BodyPump | None = None) -> None:
        self._call = call
        self._pump = pump
        self._lock = threading.Lock()
        self._abandoned = False
        self.response: urllib3.BaseHTTPResponse | None = None

    def run(self) -> urllib3.BaseHTTPResponse | None:
        """In the worker thread: send, then hand the response over or close it."""
        response: urllib3.BaseHTTPResponse = self._call()
        with self._lock:
            if not self._abandoned:
                self.response = response
                return response
        _close_response(response, complete=False)
        return None

    def abandon(self) -> None:
        """On the Trio side, after cancellation: nobody will read the result."""
        if self._pump is not None:
            self._pump.stop()
        with self._lock:
            self._abandoned = True
            response, self.response = self.response, None
        if response is not None:
            # The thread handed the response over just before the cancellation.
            _close_response(response, complete=False)


@final
class _Urllib3Body(AsyncByteStream):
    """A response body read from urllib3, one worker thread hop per chunk."""

    __slots__ = (
        "_abandoned",
        "_closed",
        "_complete",
        "_limiter",
        "_lock",
        "_reading",
        "_request",
        "_response",
    )

    def __init__(
        self,
        response: urllib3.BaseHTTPResponse,
        request: Request,
        limiter: trio.CapacityLimiter | None,
    ) -> None:
        self._response = response
        self._request = request
        self._limiter = limiter
        self._lock = threading.Lock()
        self._reading = False
        self._abandoned = False
        self._complete = False
        self._closed = False

    def _read_chunk(self) -> bytes:
        """In the worker thread: one ``read1``; clean up if abandoned meanwhile."""
        try:
            return self._response.read1(READ_CHUNK, decode_content=False)
        finally:
            with self._lock:
                self._reading = False
                abandoned = self._abandoned
            if abandoned:
                _close_response(self._response, complete=False)

    # An iterator object, not an async generator: a consumer that stops
    # early leaves no generator behind for the garbage collector to finalise.
    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        if self._closed:
            await trio.lowlevel.checkpoint()
            raise StopAsyncIteration
        self._reading = True
        try:
            chunk = await trio.to_thread.run_sync(
                self._read_chunk, limiter=self._limiter, abandon_on_cancel=True
            )
        except trio.Cancelled:
            self._abandon()
            raise
        except Exception as exc:
            error = _translate(exc, self._request, "reading the response body")
            await self.aclose()
            if error is None:
                raise
            raise error from exc
        if not chunk:
            self._complete = True
            await self.aclose()
            raise StopAsyncIteration
        return chunk

    def _abandon(self) -> None:
        # Under the lock, "the thread is reading" and "it will clean up" agree.
        with self._lock:
            reading = self._reading
            if reading:
                self._abandoned = True
        if reading:
            self._closed = True
            _shutdown_read(self._response)

    async def aclose(self) -> None:
        """Release the connection (close it unless the body was read to the end)."""
        if not self._closed:
            self._abandon()
            if not self._closed:
                self._closed = True
                _close_response(self._response, self._complete)
        await trio.lowlevel.checkpoint()


def _translate(exc: BaseException, request: Request, what: str) -> RequestException | None:
    """Map a urllib3 error onto trio_http's tree; None for foreign errors."""
    import urllib3.exceptions as u3

    if isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2: test it first.
    if isinstance(exc, u3.NewConnectionError):
        return ConnectError(f"could not connect: {exc}", request=request)
    if isinstance(exc, u3.ConnectTimeoutError):
        return ConnectTimeout(f"timed out while connecting: {exc}", request=request)
    if isinstance(exc, u3.ReadTimeoutError):
        return ReadTimeout(f"timed out while {what}: {exc}", request=request)
    if isinstance(exc, u3.ProxyError):
        return ProxyError(f"proxy failure: {exc}", request=request)
    if isinstance(exc, u3.SSLError):
        return SSLError(f"TLS failure: {exc}", request=request)
    if isinstance(exc, (u3.ProtocolError, http.client.HTTPException)):
        cause = exc.args[1] if len(exc.args) > 1 else exc
        if isinstance(cause, http.client.IncompleteRead):
            return ChunkedEncodingError(
                f"connection closed before the response body was complete: {cause!r}",
                request=request,
            )
        if isinstance(cause, ssl.SSLError):
            return SSLError(f"TLS failure while {what}: {cause}", request=request)
        if isinstance(cause, OSError):
            return ReadError(f"connection broke while {what}: {cause!r}", request=request)
        return RemoteProtocolError(f"malformed response while {what}: {cause}", request=request)
    if isinstance(exc, u3.URLSchemeUnknown):
        return InvalidSchema(f"urllib3 cannot send to this scheme: {exc}", request=request)
    if isinstance(exc, u3.LocationValueError):
        return InvalidURL(f"urllib3 rejected the URL: {exc}", request=request)
    if isinstance(exc, u3.HTTPError):
        return ConnectionError(f"urllib3 failed while {what}: {exc!r}", request=request)
    return None


def _tls_settings(verify: VerifyTypes, cert: CertTypes) -> dict[str, Any]:
    """urllib3 ``PoolManager`` keywords for trio_http's ``verify``/``cert``."""
    settings: dict[str, Any] = {}
    if isinstance(verify, ssl.SSLContext):
        settings["ssl_context"] = verify
    elif verify is False:
        settings["cert_reqs"] = "CERT_NONE"
    else:
        settings["cert_reqs"] = "CERT_REQUIRED"
        if verify is True:
            import certifi

            settings["ca_certs"] = certifi.where()
        else:
            path = os.fspath(verify)
            settings["ca_cert_dir" if os.path.isdir(path) else "ca_certs"] = path
    if isinstance(cert, str):
        settings["cert_file"] = cert
    elif cert is not None:
        settings["cert_file"], settings["key_file"] = cert[0], cert[1]
        if len(cert) == 3:
            settings["key_password"] = cert[2]
    return settings


@final
class Urllib3Transport(AsyncBaseTransport):
    """Send requests through urllib3's blocking connection pool, in worker threads.

    For comparing behaviour with the classic requests/urllib3 stack, or for
    moving to trio_http one step at a time::

        transport = trio_http.Urllib3Transport(verify="ca.pem")
        async with trio_http.AsyncClient(transport=transport) as client:
            r = await client.get("https://example.org/")

    The client still follows redirects, stores cookies, decodes bodies and
    retries; urllib3 only moves bytes over HTTP/1.1. Needs the ``urllib3``
    extra, imported only when a transport is created.

    The connect and read timeouts and the overall deadline apply; sending is
    bounded by the connect timeout (urllib3 has no separate write timeout),
    and urllib3's pool never makes a request wait for a slot, so the pool
    timeout does not apply.

    Args:
        verify: True (certifi's CAs), False (no verification), a CA bundle
            file or directory, or an ``ssl.SSLContext`` used as is.
        cert: client certificate: a PEM path holding cert and key, a
            ``(cert, key)`` pair, or ``(cert, key, password)``.
        pool_maxsize: connections kept per origin.
        retries: urllib3's own retries (``False``: none, the default; an
            ``int`` or a ``urllib3.Retry``). Redirects are never followed here.
        limiter: bounds the worker threads in use at once (default: Trio's
            default thread limiter).
        **pool_manager_kwargs: passed to ``urllib3.PoolManager``.
    """

    def __init__(
        self,
        *,
        verify: VerifyTypes = True,
        cert: CertTypes = None,
        pool_maxsize: int = 10,
        retries: bool | int | urllib3.Retry = False,
        limiter: trio.CapacityLimiter | None = None,
        **pool_manager_kwargs: Any,
    ) -> None:
        try:
            import urllib3
        except ImportError as exc:  # pragma: no cover - the extra is installed in CI
            raise ImportError("Urllib3Transport needs urllib3: install trio_http[urllib3]") from exc
        settings = _tls_settings(verify, cert)
        settings.update(pool_manager_kwargs)
        settings.setdefault("maxsize", pool_maxsize)
        self.retries = retries
        self.limiter = limiter
        self.pool_manager = urllib3.PoolManager(**settings)

    async def handle_async_request(self, request: Request) -> Response:
        """Send ``request`` in a worker thread; return once its headers arrived.

        A checkpoint. Cancellation abandons the thread; the response it may
        still produce is closed when it arrives.

        Raises:
            ConnectError, ConnectTimeout, SSLError, ReadTimeout, ReadError,
            RemoteProtocolError, ProxyError: translated from urllib3.
            TotalTimeout: the overall deadline expired.
        """
        import urllib3  # loaded by __init__ already: a dictionary lookup

        deadlines = request_deadlines(request)
        now = trio.current_time()
        if deadlines.total <= now:
            await trio.lowlevel.checkpoint()
            raise deadlines.expired("connect", now, "starting the request", request)
        connect_by, read_by = deadlines.phase("connect", now), deadlines.phase("read", now)
        # urllib3 wants seconds from now, or None for no limit.
        connect = None if connect_by == math.inf else connect_by - now
        read = None if read_by == math.inf else read_by - now

        stream = request.stream
        # A body in memory goes as bytes; a stream is pulled from Trio as sent.
        pump: _BodyPump | None = None
        body: bytes | Iterator[bytes] | None
        if type(stream) is BytesContent:
            body = stream.body or None
        else:
            pump = _BodyPump(aiter(stream))
            body = pump.chunks()
        headers = urllib3.HTTPHeaderDict()
        # RFC 9110 §7.2: Host goes first, as the native transport sends it.
        host = request.headers.get("Host")
        if host is not None:
            headers["Host"] = host
        for name, value in request.headers.multi_items():
            if host is None or name.lower() != "host":
                headers.add(name, value)

        def call() -> urllib3.BaseHTTPResponse:
            return self.pool_manager.urlopen(
                request.method,
                str(request.url),
                body=body,
                headers=headers,
                redirect=False,
                retries=self.retries,
                preload_content=False,
                decode_content=False,
                timeout=urllib3.Timeout(connect=connect, read=read),
            )

        exchange = _Exchange(call, pump)
        try:
            with trio.CancelScope(deadline=deadlines.total) as scope:
                response = await trio.to_thread.run_sync(
                    exchange.run, limiter=self.limiter, abandon_on_cancel=True
                )
        except trio.Cancelled:
            exchange.abandon()
            raise
        except Exception as exc:
            error = _translate(exc, request, "waiting for the response")
            if error is None:
                raise
            if isinstance(error, ConnectTimeout):
                error = deadlines.expired("connect", connect_by, "connecting", request)
            elif isinstance(error, ReadTimeout):
                error = deadlines.expired("read", read_by, "waiting for the response", request)
            raise error from exc
        if scope.cancelled_caught:
            exchange.abandon()
            raise deadlines.expired("read", deadlines.total, "waiting for the response", request)
        assert response is not None
        return Response(
            response.status,
            headers=Headers(list(response.headers.items())),
            stream=_Urllib3Body(response, request, self.limiter),
            request=request,
            http_version="HTTP/1.0" if response.version == 10 else "HTTP/1.1",
            reason_phrase=response.reason,
        )

    async def aclose(self) -> None:
        """Close urllib3's pooled connections (in a worker thread). A checkpoint."""
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(self.pool_manager.clear, limiter=self.limiter)
