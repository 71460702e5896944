"""One request's stream on an HTTP/2 connection: its head, its body both ways.

How this works. A request task sends on its own stream without touching the
socket: :func:`send_request_body` queues DATA frames in h2 within the flow
windows (RFC 9113 §6.9) and wakes the connection's writer; when a window is
zero, or much is queued already, it waits for a WINDOW_UPDATE or for the
writer to drain, under the write timeout. :class:`H2Body` reads the response
body from the stream's buffer, which the connection's reader fills, and hands
window back to the server only as the caller consumes bytes. Waiting is a
bare park of the task until the reader calls the stream's ``waker``
(:func:`wait_for_wake`).
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any

import trio

from .._exceptions import StreamReset
from .._headers import Headers
from .._response import Response
from .._streams import AsyncByteStream, BytesContent
from ._http2_state import sendable_bytes

if TYPE_CHECKING:
    from .._deadlines import Deadlines
    from .._request import Request
    from ._http2 import HTTP2Connection
    from ._http2_events import StreamState

__all__ = [
    "H2Body",
    "RequestHeads",
    "body_response",
    "receive_head",
    "request_headers",
    "send_request_body",
    "wait_for_head",
    "wait_for_wake",
]

_INF = math.inf
# Uploads wait for the writer once this much is queued in h2's send buffer.
_SEND_HIGH_WATER = 256 * 1024
# RFC 9113 §8.2.2: connection-specific fields must not be sent over HTTP/2.
_CONNECTION_HEADERS = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade", b"host"}
)


async def wait_for_wake(stream: StreamState) -> None:
    """Sleep until the connection's reader (or a failure) wakes ``stream``'s request.

    A bare park and reschedule: cheaper than an Event per wait, and a
    download waits once per TLS record.
    """
    stream.waker = functools.partial(trio.lowlevel.reschedule, trio.lowlevel.current_task())

    def abort(_: Any) -> trio.lowlevel.Abort:
        stream.waker = None
        return trio.lowlevel.Abort.SUCCEEDED

    await trio.lowlevel.wait_task_rescheduled(abort)


class RequestHeads:
    """Builds request header lists, reusing the last one for the same request.

    A request sent again (method, URL and headers all equal) gets the list
    built for it before: h2 only reads it.
    """

    __slots__ = ("_last_head", "_last_headers")

    def __init__(self) -> None:
        self._last_head: tuple[str, str, list[tuple[bytes, bytes]]] | None = None
        self._last_headers: list[tuple[bytes, bytes]] = []

    def headers_for(self, request: Request) -> list[tuple[bytes, bytes]]:
        """The header list of ``request`` (see :func:`request_headers`)."""
        raw = request.headers.raw
        key = (request.method, str(request.url), raw)
        if key == self._last_head:
            return self._last_headers
        headers = request_headers(request)
        # The key keeps a copy: the request's own list may change later.
        self._last_head, self._last_headers = (key[0], key[1], list(raw)), headers
        return headers


def request_headers(request: Request) -> list[tuple[bytes, bytes]]:
    """The header list of ``request`` as HTTP/2 sends it (RFC 9113 §8.3.1)."""
    url = request.url
    authority: bytes | None = None
    fields: list[tuple[bytes, bytes]] = []
    for name, value in request.headers.raw:
        lowered = name.lower()
        if lowered in _CONNECTION_HEADERS:
            if lowered == b"host" and authority is None:
                authority = value  # RFC 9113 §8.3.1: a Host header becomes :authority
            continue
        if lowered == b"te" and value.lower() != b"trailers":
            continue  # RFC 9113 §8.2.2: only "trailers" may be sent
        fields.append((lowered, value))
    return [
        (b":method", request.method.encode("ascii")),
        (b":scheme", url.scheme.encode("ascii")),
        (b":authority", authority or url.netloc.encode("ascii")),
        (b":path", url.target),
        *fields,
    ]


# -- the request body --------------------------------------------------------


async def send_request_body(
    conn: HTTP2Connection,
    stream: StreamState,
    request: Request,
    deadlines: Deadlines,
) -> None:
    """Send the request body on ``stream`` and end it. A checkpoint when there is a body."""
    if stream.local_closed:
        return
    body = request.stream
    if isinstance(body, BytesContent):
        if await _send_data(conn, stream, body.body, deadlines):
            _end_request(conn, stream)
        return
    chunks = aiter(body)
    try:
        async for chunk in chunks:
            if not await _send_data(conn, stream, chunk, deadlines):
                return
    finally:
        # Stopped early (an early answer, a reset, a timeout): close the
        # body's iterator now, not whenever the collector finds it.
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
    _end_request(conn, stream)


def _end_request(conn: HTTP2Connection, stream: StreamState) -> None:
    if not stream.local_closed and stream.error is None:
        stream.local_closed = True
        conn.engine.end_stream(stream.stream_id)
        conn.kick()


async def _send_data(
    conn: HTTP2Connection,
    stream: StreamState,
    data: bytes,
    deadlines: Deadlines,
) -> bool:
    """Queue ``data`` as DATA frames within the flow windows.

    Returns False when the server already finished the exchange (an
    early response or a reset), so the rest of the body is not wanted.
    """
    h = conn.engine
    stream_id = stream.stream_id
    view = memoryview(data)
    offset = 0
    deadline = _INF
    while offset < len(view):
        if stream.error is not None:
            if isinstance(stream.error, StreamReset) or stream.ended:
                return False
            raise stream.error
        if stream.ended or stream.local_closed:
            return False
        size = sendable_bytes(
            len(view) - offset,
            h.local_flow_control_window(stream_id),
            h.max_outbound_frame_size,
        )
        if size == 0 or h.queued_bytes > _SEND_HIGH_WATER:
            if deadline == _INF:
                deadline = deadlines.phase("write", trio.current_time())
            await _wait_to_send(conn, stream, size == 0, deadline, deadlines)
            continue
        h.send_data(stream_id, bytes(view[offset : offset + size]))
        offset += size
        deadline = _INF  # progress: the write timeout starts again
    conn.kick()
    return True


async def _wait_to_send(
    conn: HTTP2Connection,
    stream: StreamState,
    for_window: bool,
    deadline: float,
    deadlines: Deadlines,
) -> None:
    # What is queued must go out first: the peer only opens its window
    # again after receiving (and reading) it.
    conn.kick()
    with trio.CancelScope(deadline=deadline) as scope:
        if for_window:
            conn.window_waiters.add(stream)
            try:
                await wait_for_wake(stream)
            finally:
                conn.window_waiters.discard(stream)
        else:
            await conn.wait_drained()
    if scope.cancelled_caught:
        what = "waiting for the server's flow-control window" if for_window else "sending"
        raise deadlines.expired("write", deadline, what)


# -- the response ------------------------------------------------------------


async def receive_head(
    conn: HTTP2Connection,
    stream: StreamState,
    request: Request,
    deadlines: Deadlines,
) -> Response:
    """Wait for the response head on ``stream`` (1xx heads go to the request's hook).

    A checkpoint. Raises the stream's error, or :class:`ReadTimeout` after
    the read timeout.
    """
    await wait_for_head(stream, request, deadlines)
    return body_response(conn, stream, request, deadlines)


async def wait_for_head(stream: StreamState, request: Request, deadlines: Deadlines) -> None:
    """Wait until the final response head arrived on ``stream``, under the read timeout.

    A checkpoint whenever it waits; callers that may find the head there
    already have awaited before. 1xx heads go to the request's
    ``on_informational`` hook.

    Raises:
        Exception: the stream's error (a reset, the connection's failure),
            or :class:`ReadTimeout` after the read timeout.
    """
    deadline = deadlines.phase("read", trio.current_time())
    with trio.CancelScope(deadline=deadline) as scope:
        while True:
            if stream.informational is not None:
                _report_informational(stream, request)
            # An error first: a stream the server said it did not process
            # (GOAWAY below it) is sent elsewhere even if an answer came
            # after all.
            if stream.error is not None:
                raise stream.error
            if stream.headers is not None:
                break
            await wait_for_wake(stream)
    if scope.cancelled_caught:
        raise deadlines.expired("read", deadline, "waiting for the response")


def body_response(
    conn: HTTP2Connection, stream: StreamState, request: Request, deadlines: Deadlines
) -> Response:
    """The response whose head ``stream`` received, its body read from the stream."""
    assert stream.headers is not None
    extensions: dict[str, Any] = {"trailers": Headers(), "http2_stream_id": stream.stream_id}
    return Response(
        stream.status,
        headers=Headers.from_raw(stream.headers),
        stream=H2Body(conn, stream, extensions, deadlines),
        request=request,
        http_version="HTTP/2",
        extensions=extensions,
    )


def _report_informational(stream: StreamState, request: Request) -> None:
    items, stream.informational = stream.informational or [], None
    hook = request.extensions.get("on_informational")
    if hook is not None:
        for status, headers in items:
            hook(status, Headers.from_raw(headers))


class H2Body(AsyncByteStream):
    """The body of one HTTP/2 response, read as the caller iterates.

    Trailers, if the server sends any, land in ``extensions["trailers"]``
    when the body ends. Reading to the end, an error, cancellation or
    :meth:`aclose` finishes the stream (:meth:`HTTP2Connection.abandon`).
    """

    __slots__ = ("_conn", "_deadlines", "_done", "_extensions", "_stream")

    def __init__(
        self,
        conn: HTTP2Connection,
        stream: StreamState,
        extensions: dict[str, Any],
        deadlines: Deadlines,
    ) -> None:
        self._conn = conn
        self._stream = stream
        self._extensions = extensions
        self._deadlines = deadlines
        self._done = False

    def __aiter__(self) -> H2Body:
        return self

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        stream = self._stream
        try:
            data = await self._receive()
        except BaseException:
            self._done = True
            self._conn.abandon(stream)
            raise
        if data is not None:
            return data
        self._done = True
        if stream.trailers is not None:
            self._extensions["trailers"] = Headers.from_raw(stream.trailers)
        self._conn.abandon(stream)
        raise StopAsyncIteration

    async def _receive(self) -> bytes | None:
        """The next body chunk, or None at the end. A checkpoint."""
        stream = self._stream
        conn = self._conn
        while True:
            body = stream.body
            if body:
                # Only a partial checkpoint when data is ready: a full one
                # would add a task switch per TLS record to large downloads,
                # and the next call waits for the reader anyway.
                await trio.lowlevel.checkpoint_if_cancelled()
                data, acknowledged = body.take()
                if acknowledged and not conn.closed:
                    h = conn.engine
                    h.acknowledge_received_data(acknowledged, stream.stream_id)
                    if h.has_output:
                        conn.kick()
                return data
            if stream.ended:
                await trio.lowlevel.checkpoint()
                return None
            if stream.error is not None:
                raise stream.error
            deadline = self._deadlines.phase("read", trio.current_time())
            with trio.CancelScope(deadline=deadline) as scope:
                await wait_for_wake(stream)
            if scope.cancelled_caught:
                raise self._deadlines.expired("read", deadline, "reading the response body")

    def take_ready(self) -> list[bytes] | None:
        """The whole body when the stream has already ended; else ``None``.

        Small responses arrive complete with their head; taking them at once
        skips a trip per chunk through the connection, and frees the stream
        (its flow-control credit goes back to the server).
        """
        stream = self._stream
        if self._done or not stream.ended or stream.error is not None:
            return None
        chunks = stream.body.take_all()
        self._done = True
        if stream.trailers is not None:
            self._extensions["trailers"] = Headers.from_raw(stream.trailers)
        self._conn.abandon(stream)
        return chunks

    async def aclose(self) -> None:
        """Close the body; an unfinished stream is reset (RST_STREAM CANCEL).

        The connection stays open for its other streams. A checkpoint only
        when the body was not read to its end.
        """
        if not self._done:
            self._done = True
            self._conn.abandon(self._stream)
            await trio.lowlevel.checkpoint()
