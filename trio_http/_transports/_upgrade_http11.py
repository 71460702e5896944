"""The HTTP/1.1 upgrade handshake (RFC 9110 §7.8) on a fresh connection.

How this works. The pool opens a connection of its own for the handshake
(never one from its idle set) and hands it here: h11 writes the ``GET``
with ``Upgrade: websocket`` and parses the answer. A 101 switches
protocols: h11 stops parsing, and whatever bytes it had already read past
the response (the server may send its first frames at once) are what the
returned :class:`HTTP11UpgradedStream` yields first, before reading the
socket again. Any other final status is a refusal: its body is read (up to
:data:`MAX_REFUSAL_BODY`) into the response and the connection is closed.
The connection never goes back to the pool.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, final

import h11
import trio

from .._config import MAX_HEADER_BYTES
from .._exceptions import (
    ConnectError,
    LocalProtocolError,
    ReadError,
    RemoteProtocolError,
    WriteError,
)
from .._headers import Headers
from .._response import Response

if TYPE_CHECKING:
    from .._deadlines import Deadlines
    from .._request import Request

__all__ = ["MAX_REFUSAL_BODY", "HTTP11UpgradedStream", "open_upgrade_http11", "upgrade_http11"]

MAX_REFUSAL_BODY = 64 * 1024  # bytes of a refusal's body kept for the error
READ_SIZE = 64 * 1024  # bytes per socket read, handshake and frames alike
CLOSE_GRACE_S = 1.0  # seconds a closing TLS stream may spend on close_notify

_STREAM_ERRORS = (trio.BrokenResourceError, trio.ClosedResourceError, OSError)


@final
class HTTP11UpgradedStream:
    """A connection after a 101: first the bytes h11 read ahead, then the socket.

    Implements :class:`~._base.UpgradedStream`. ``send_all`` raises
    :class:`WriteError` and ``receive_some`` :class:`ReadError` when the
    connection breaks.
    """

    __slots__ = ("_closed", "_leftover", "_stream")

    def __init__(self, stream: trio.abc.Stream, leftover: bytes) -> None:
        self._stream = stream
        self._leftover = leftover
        self._closed = False

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        try:
            await self._stream.send_all(data)
        except _STREAM_ERRORS as exc:
            raise WriteError(f"the WebSocket connection broke while sending: {exc}") from exc

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        if self._leftover:
            await trio.lowlevel.checkpoint()
            data, self._leftover = self._leftover, b""
            return data
        try:
            return bytes(await self._stream.receive_some(max_bytes or READ_SIZE))
        except _STREAM_ERRORS as exc:
            raise ReadError(f"the WebSocket connection broke while reading: {exc}") from exc

    async def aclose(self) -> None:
        if self._closed:
            await trio.lowlevel.checkpoint()
            return
        self._closed = True
        await close_bounded(self._stream)


async def close_bounded(stream: trio.abc.Stream) -> None:
    """Close ``stream`` within :data:`CLOSE_GRACE_S`, whatever its state. A checkpoint.

    Shielded: a cancelled caller still closes the socket, and a TLS peer
    that never reads our close_notify costs at most the grace period (Trio
    closes the socket underneath when the wait is cut short).
    """
    with trio.move_on_after(CLOSE_GRACE_S, shield=True):
        try:
            await stream.aclose()
        except _STREAM_ERRORS:
            pass
    await trio.lowlevel.checkpoint_if_cancelled()


Origin = tuple[str, str, int]
StreamOpener = Callable[[Origin, "Request", "ssl.SSLContext | None"], Awaitable[trio.abc.Stream]]


async def open_upgrade_http11(
    opener: StreamOpener,
    ssl_context: ssl.SSLContext | None,
    request: Request,
    deadlines: Deadlines,
) -> tuple[Response, HTTP11UpgradedStream | None]:
    """Open a connection with ``opener`` under the connect timeout, then :func:`upgrade_http11`.

    A checkpoint; see :func:`upgrade_http11` for the result.

    Raises:
        ConnectError, ConnectTimeout, SSLError, ProxyError: connecting failed.
        ReadTimeout, WriteTimeout, ReadError, WriteError,
            RemoteProtocolError: the handshake failed.
    """
    from ._net import negotiated_protocol

    origin = request.url.origin
    _, host, port = origin
    deadline = deadlines.phase("connect", trio.current_time())
    try:
        with trio.move_on_at(deadline) as scope:
            stream = await opener(origin, request, ssl_context)
    except Exception as exc:
        if hasattr(exc, "request"):
            exc.request = request
        raise
    if scope.cancelled_caught:
        raise deadlines.expired("connect", deadline, f"connecting to {host}:{port}", request)
    if negotiated_protocol(stream) == "h2":
        # Only a caller's own SSLContext offering h2 gets here.
        await close_bounded(stream)
        raise ConnectError(
            f"{host}:{port} chose HTTP/2 on a connection opened for an HTTP/1.1 upgrade",
            request=request,
        )
    return await upgrade_http11(stream, request, deadlines)


async def upgrade_http11(
    stream: trio.abc.Stream, request: Request, deadlines: Deadlines
) -> tuple[Response, HTTP11UpgradedStream | None]:
    """Send the handshake ``request`` on ``stream`` and read the server's answer.

    A checkpoint. On a 101 the stream is handed over inside the returned
    :class:`HTTP11UpgradedStream`; otherwise (and on any failure or
    cancellation) ``stream`` is closed before returning.

    Returns:
        The handshake response (``http_version`` ``"HTTP/1.1"``) and the
        upgraded stream, or None when the server did not switch protocols
        (the response then holds the start of the body).

    Raises:
        WriteTimeout, ReadTimeout, TotalTimeout: a phase deadline passed.
        WriteError, ReadError: the connection broke.
        RemoteProtocolError: the answer was not valid HTTP/1.1.
    """
    try:
        result = await _exchange(stream, request, deadlines)
    except BaseException:
        await close_bounded(stream)
        raise
    if result[1] is None:
        await close_bounded(stream)
    return result


async def _exchange(
    stream: trio.abc.Stream, request: Request, deadlines: Deadlines
) -> tuple[Response, HTTP11UpgradedStream | None]:
    conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES)
    target = request.extensions.get("target") or request.url.target
    try:
        head = conn.send(
            h11.Request(
                method=request.method.encode("ascii"), target=target, headers=request.headers.raw
            )
        )
        head = (head or b"") + (conn.send(h11.EndOfMessage()) or b"")
    except h11.LocalProtocolError as exc:
        raise LocalProtocolError(f"cannot send the handshake: {exc}", request=request) from exc
    deadline = deadlines.phase("write", trio.current_time())
    with trio.move_on_at(deadline) as scope:
        try:
            await stream.send_all(head)
        except _STREAM_ERRORS as exc:
            raise WriteError(
                f"sending the WebSocket handshake failed: {exc}", request=request
            ) from exc
    if scope.cancelled_caught:
        raise deadlines.expired("write", deadline, "sending the WebSocket handshake", request)
    deadline = deadlines.phase("read", trio.current_time())
    with trio.move_on_at(deadline) as scope:
        event = await _next_head(conn, stream, request)
        if event.status_code == 101:
            leftover, _ = conn.trailing_data
            response = _response(event, request, b"")
            return response, HTTP11UpgradedStream(stream, bytes(leftover))
        body = await _read_refusal_body(conn, stream, request)
        return _response(event, request, body), None
    raise deadlines.expired(
        "read", deadline, "waiting for the WebSocket handshake response", request
    )


async def _receive(conn: h11.Connection, stream: trio.abc.Stream, request: Request) -> bool:
    """Feed h11 one read; False at the end of the stream."""
    try:
        data = await stream.receive_some(READ_SIZE)
    except _STREAM_ERRORS as exc:
        raise ReadError(
            f"reading the WebSocket handshake response failed: {exc}", request=request
        ) from exc
    conn.receive_data(bytes(data))
    return bool(data)


def _next_event(
    conn: h11.Connection, request: Request
) -> h11.Event | type[h11.PAUSED] | type[h11.NEED_DATA]:
    try:
        return conn.next_event()
    except h11.RemoteProtocolError as exc:
        raise RemoteProtocolError(f"invalid handshake response: {exc}", request=request) from exc


async def _next_head(
    conn: h11.Connection, stream: trio.abc.Stream, request: Request
) -> h11.InformationalResponse | h11.Response:
    """The 101, or the final response; other 1xx responses are skipped."""
    while True:
        event = _next_event(conn, request)
        if event is h11.NEED_DATA:
            if not await _receive(conn, stream, request):
                raise RemoteProtocolError(
                    "the server closed the connection before answering the WebSocket handshake",
                    request=request,
                )
            continue
        if isinstance(event, h11.InformationalResponse) and event.status_code != 101:
            continue
        if isinstance(event, (h11.InformationalResponse, h11.Response)):
            return event
        raise RemoteProtocolError(
            "the server closed the connection before answering the WebSocket handshake",
            request=request,
        )


async def _read_refusal_body(
    conn: h11.Connection, stream: trio.abc.Stream, request: Request
) -> bytes:
    """The refusal's body, cut at :data:`MAX_REFUSAL_BODY`; the connection is closed after."""
    body = bytearray()
    while len(body) < MAX_REFUSAL_BODY:
        try:
            event = _next_event(conn, request)
        except RemoteProtocolError:
            break  # what arrived so far is enough for the error
        if event is h11.NEED_DATA:
            try:
                await _receive(conn, stream, request)
            except ReadError:
                break
            continue
        if isinstance(event, h11.Data):
            body += event.data
            continue
        break  # EndOfMessage, ConnectionClosed or PAUSED
    return bytes(body[:MAX_REFUSAL_BODY])


def _response(
    event: h11.InformationalResponse | h11.Response, request: Request, body: bytes
) -> Response:
    return Response(
        event.status_code,
        headers=Headers.from_raw(list(event.headers.raw_items())),
        request=request,
        http_version="HTTP/1.1",
        reason_phrase=event.reason.decode("latin-1"),
        content=body,
    )
