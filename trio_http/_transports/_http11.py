"""One HTTP/1.1 connection over h11.

How this works: ``handle_request`` writes the request head (and a small
in-memory body in the same write), then reads events until a final
response head arrives, skipping 1xx interim responses. Over plain TCP on
POSIX the head goes out with one non-blocking write on the descriptor and
the response head is read after waiting for readability
(:class:`~._net.DirectSocket`): two trips through Trio's scheduler fewer
per request. A streamed or large body is uploaded by a child task while
this task already waits for the response, so a server that answers early
(413, 401, ...) is heard at once and the upload stops
(:mod:`._http11_upload`). The response body is read lazily by
:class:`~._http11_body.H11Body`, in pieces cut to its reader's chunks.

When the body ends cleanly and both sides of h11 are ``DONE``, the
connection goes back to the pool. Anything else — an error, a cancellation,
a body closed before its end, bytes after the message, ``Connection:
close`` — closes the socket without awaiting, so cleanup under cancellation
can never hang and no connection in an unknown state is reused.

Deadlines: each phase (send the head, wait for the head, each body receive)
ends at ``min(phase deadline, total deadline)``; which of the two expired
decides between the phase's timeout and :class:`TotalTimeout`. The head
exchange registers its deadline with the pool's :class:`DeadlineWatch`,
which closes the socket when it passes (no cancel scope per request); a
pool that runs no watch, and every body receive, use a cancel scope.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import h11
import trio

from .._config import MAX_HEADER_BYTES, READ_SIZE
from .._exceptions import (
    LocalProtocolError,
    ReadError,
    RemoteProtocolError,
    WriteError,
)
from .._headers import Headers
from .._response import Response
from .._streams import AsyncByteStream, BytesContent
from ._deadline_watch import DeadlineWatch
from ._h11_body_room import body_room, take_body
from ._http11_body import H11Body, ReadyBody
from ._http11_errors import body_error, protocol_error, read_error, tls_alert_error
from ._http11_upload import exchange_streamed
from ._net import (
    IO_ERRORS,
    DirectSocket,
    Receiver,
    close_stream_nowait,
    pending_tls_alert,
    socket_readable,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._deadlines import Deadlines
    from .._request import Request

__all__ = ["HTTP11Connection"]

# In-memory bodies up to this size go out in the same send_all as the head.
_INLINE_BODY_MAX = 1024 * 1024
# A deadline is not moved by less than this (seconds).
_DEADLINE_SLACK = 0.001
# Events are immutable: one end-of-message event serves every request.
_END_OF_MESSAGE = h11.EndOfMessage()
_INF = math.inf


def _read_deadline(deadlines: Deadlines, current: float, at_once: bool) -> float | None:
    """The read phase's deadline, or None to keep ``current``.

    Moving a deadline costs (Trio re-files it; a watch may wake). When the
    head went out in one write and the write and read timeouts are equal,
    the move would be by microseconds.
    """
    timeouts = deadlines.timeouts
    if at_once and timeouts.read == timeouts.write:
        return None
    deadline = deadlines.phase("read", trio.current_time())
    if deadline < current or deadline - current > _DEADLINE_SLACK:
        return deadline
    return None


class HTTP11Connection:
    """One keep-alive HTTP/1.1 connection to an origin.

    Serves one request at a time. ``on_release(conn, reusable)`` is called
    exactly once per request, when its response is finished with.
    """

    __slots__ = (
        "_deadlines",
        "_direct",
        "_h11",
        "_last_event",
        "_last_head",
        "_on_release",
        "_receive_pieces",
        "_receiver",
        "_stream",
        "closed",
        "deadline",
        "idle_since",
        "origin",
        "request_count",
        "response_started",
        "timed_out",
    )

    is_multiplexed = False
    http_version = "HTTP/1.1"

    def __init__(
        self,
        stream: trio.abc.Stream,
        origin: tuple[str, str, int],
        on_release: Callable[[HTTP11Connection, bool], None],
        deadlines: DeadlineWatch | None = None,
    ) -> None:
        self._stream = stream
        # Each read's size adapts to the traffic (small for small responses).
        self._receiver = Receiver(stream, READ_SIZE)
        self._receive_pieces = self._receiver.receive_pieces
        # The head's write and read bypass the stream on plain TCP (POSIX).
        self._direct = DirectSocket(stream, self._receiver)
        self._deadlines = deadlines
        # The current phase's deadline while a DeadlineWatch keeps it, and
        # whether the watch ended the wait.
        self.deadline = _INF
        self.timed_out = False
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES)
        self._on_release = on_release
        self.origin = origin
        self.closed = False
        self.idle_since = trio.current_time()
        self.request_count = 0
        self.response_started = False
        # The last request head sent, as h11 saw it: a client sending the same
        # request again (same method, target and headers) reuses the event.
        self._last_head: tuple[bytes, bytes, list[tuple[bytes, bytes]]] | None = None
        self._last_event: h11.Request | None = None

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.request_count} requests"
        return f"<HTTP11Connection {self.origin[0]}://{self.origin[1]}:{self.origin[2]} {state}>"

    # -- liveness -------------------------------------------------------

    def is_stale(self) -> bool:
        """True if the idle connection has been closed by the peer.

        An idle HTTP/1.1 connection must have nothing to read: readable means
        EOF or junk, so either way it cannot be reused. One non-blocking
        ``select`` call; the pool only asks for long-idle connections.
        """
        return self.closed or socket_readable(self._stream, if_broken=True)

    def close_nowait(self) -> None:
        """Close the connection immediately (no checkpoint). Idempotent."""
        if not self.closed:
            self.closed = True
            close_stream_nowait(self._stream)

    def expire(self) -> None:
        """The phase deadline passed (the pool's DeadlineWatch calls this).

        Closing the socket wakes the waiting request, which then reports the
        phase's timeout; a timed-out connection is never reused anyway.
        """
        self.timed_out = True
        self.close_nowait()

    # -- one request ----------------------------------------------------

    async def handle_request(self, request: Request, deadlines: Deadlines) -> Response:
        """Send ``request`` and return its response head; the body streams.

        A checkpoint. On any error or cancellation the connection is closed
        and released as not reusable before the exception propagates.
        """
        self.request_count += 1
        self.response_started = False
        try:
            return await self._exchange(request, deadlines)
        except BaseException:
            self._release(False)
            raise

    async def _exchange(self, request: Request, deadlines: Deadlines) -> Response:
        h = self._h11
        try:
            head = h.send(self._request_event(request))
        except h11.LocalProtocolError as exc:
            raise LocalProtocolError(f"invalid request: {exc}", request=request) from exc
        assert head is not None
        body = request.stream
        if isinstance(body, BytesContent) and len(body.body) <= _INLINE_BODY_MAX:
            # h11 frames the data (Content-Length or chunked) for us.
            if body.body:
                head += h.send(h11.Data(data=body.body)) or b""
            head += h.send(_END_OF_MESSAGE) or b""
            watch = self._deadlines
            if watch is not None and watch.running:
                event = await self._exchange_head_watched(request, head, deadlines, watch)
            else:
                event = await self._exchange_head_scoped(request, head, deadlines)
            return self._build_response(request, event, deadlines)
        return await self._exchange_streaming(request, head, deadlines)

    async def _exchange_head_watched(
        self,
        request: Request,
        head: bytes,
        deadlines: Deadlines,
        watch: DeadlineWatch,
    ) -> h11.Response:
        """Send the head, read the response head; the pool's watch keeps the deadlines.

        No cancel scope per request: when a phase's deadline passes, the watch
        closes the socket and the wait ends with an I/O error, reported here as
        that phase's timeout.
        """
        self.timed_out = False
        current = self.deadline = deadlines.phase("write", trio.current_time())
        watch.watch(self)
        try:
            at_once, write_error = await self._send_inline(request, head)
            if self.timed_out:
                raise deadlines.expired("write", current, "sending the request")
            moved = _read_deadline(deadlines, current, at_once)
            if moved is not None:
                current = self.deadline = moved
                watch.moved(self)
            try:
                return await self._read_head_after(request, write_error)
            except (ReadError, WriteError, RemoteProtocolError):
                if self.timed_out:
                    raise deadlines.expired("read", current, "waiting for the response") from None
                raise
        finally:
            watch.unwatch(self)

    async def _exchange_head_scoped(
        self, request: Request, head: bytes, deadlines: Deadlines
    ) -> h11.Response:
        """The same under one cancel scope, for a pool that runs no watch.

        The scope's deadline moves from the write timeout to the read timeout
        in between.
        """
        event: h11.Response | None = None
        sent = False
        current = deadlines.phase("write", trio.current_time())
        with trio.CancelScope(deadline=current) as scope:
            at_once, write_error = await self._send_inline(request, head)
            sent = True
            moved = _read_deadline(deadlines, current, at_once)
            if moved is not None:
                current = scope.deadline = moved
            event = await self._read_head_after(request, write_error)
        if event is None:
            if sent:
                raise deadlines.expired("read", current, "waiting for the response")
            raise deadlines.expired("write", current, "sending the request")
        return event

    async def _send_inline(self, request: Request, head: bytes) -> tuple[bool, WriteError | None]:
        """Send the head; returns (sent in one write, the write's error if it broke).

        A broken pipe is not raised at once: the server may have answered and
        closed before reading all of the request (an early 413, say).
        """
        try:
            return await self._direct.send_head(head), None
        except IO_ERRORS as exc:
            # Right after the handshake, a server refusing the (missing)
            # client certificate may have reset the connection: its alert
            # says why, and no read will reach it now.
            alert = pending_tls_alert(self._stream) if self.request_count == 1 else None
            if alert is not None:
                raise tls_alert_error(alert, request) from exc
            return False, WriteError(
                f"connection broke while sending the request: {exc!r}", request=request
            )

    async def _read_head_after(
        self, request: Request, write_error: WriteError | None
    ) -> h11.Response:
        try:
            return await self._read_head(request)
        except (ReadError, RemoteProtocolError):
            if write_error is not None:
                raise write_error from None
            raise

    def _request_event(self, request: Request) -> h11.Request:
        method = request.method.encode("ascii")
        # A forward proxy asks for the absolute form (RFC 9112 §3.2.2).
        target = request.extensions.get("target") or request.url.target
        raw = request.headers.raw
        key = (method, target, raw)
        if key == self._last_head:
            assert self._last_event is not None
            return self._last_event
        # _parsed=True skips h11's per-header regexes: Headers validated every
        # name and value already. Framing checks (Content-Length,
        # Transfer-Encoding, Host) and the target check still run.
        event = h11.Request(method=method, target=target, headers=raw, _parsed=True)
        # Events are immutable; the key keeps its own copy of the header list.
        self._last_head, self._last_event = (method, target, list(raw)), event
        return event

    async def _exchange_streaming(
        self,
        request: Request,
        head: bytes,
        deadlines: Deadlines,
    ) -> Response:
        event = await exchange_streamed(
            self._direct.send_all, self._h11, request, head, deadlines, self._read_head
        )
        return self._build_response(request, event, deadlines)

    async def _read_head(self, request: Request) -> h11.Response:
        """Read until a final response head; report interim 1xx ones.

        Called when a response is due. h11 holds no unread bytes then (a
        connection is kept only without trailing data), so asking it for an
        event first would only answer NEED_DATA: it receives first instead.
        """
        h = self._h11
        while True:
            try:
                data = await self._direct.receive_due()
            except IO_ERRORS as exc:
                raise read_error(
                    exc, "waiting for the response", request, h.trailing_data[0]
                ) from exc
            if data:
                self.response_started = True
            elif h.their_state is h11.SEND_RESPONSE and not self.response_started:
                raise RemoteProtocolError(
                    "server closed the connection without sending a response",
                    request=request,
                )
            try:
                h.receive_data(bytes(data))
            except h11.RemoteProtocolError as exc:
                raise protocol_error(exc, request, h.trailing_data[0]) from exc
            while True:
                try:
                    event = h.next_event()
                except h11.RemoteProtocolError as exc:
                    raise protocol_error(exc, request, h.trailing_data[0]) from exc
                event_type = type(event)
                if event is h11.NEED_DATA:
                    break  # receive more
                if event_type is h11.Response:
                    return event  # type: ignore[return-value]
                if event_type is h11.InformationalResponse:
                    hook = request.extensions.get("on_informational")
                    if hook is not None:
                        hook(
                            event.status_code,  # type: ignore[union-attr]
                            Headers.from_raw(list(event.headers.raw_items())),  # type: ignore[union-attr]
                        )
                    continue
                if event_type is h11.ConnectionClosed:
                    raise RemoteProtocolError(
                        "server closed the connection without sending a response",
                        request=request,
                    )
                raise RemoteProtocolError(f"unexpected event {event!r}", request=request)

    def _build_response(
        self,
        request: Request,
        event: h11.Response,
        deadlines: Deadlines,
    ) -> Response:
        headers = Headers.from_raw(list(event.headers.raw_items()))
        # Most bodies arrive with their head: take what h11 already holds
        # without awaiting. A complete body frees the connection at once and
        # needs no per-chunk reads later.
        h = self._h11
        chunks: list[bytes] = []
        while True:
            try:
                body_event = h.next_event()
            except h11.RemoteProtocolError as exc:
                raise body_error(exc, request) from exc
            body_type = type(body_event)
            if body_type is h11.Data:
                chunks.append(bytes(body_event.data))  # type: ignore[union-attr]
                continue
            break
        body: AsyncByteStream
        if body_type is h11.EndOfMessage:
            self.response_complete()
            body = ReadyBody(chunks)
        else:
            body = H11Body(self, request, deadlines, chunks)
        return Response(
            event.status_code,
            headers=headers,
            stream=body,
            request=request,
            http_version="HTTP/1.1" if event.http_version == b"1.1" else "HTTP/1.0",
            reason_phrase=event.reason.decode("latin-1"),
        )

    async def receive_body_pieces(
        self, request: Request, deadlines: Deadlines, first: int, piece: int | None
    ) -> list[bytes] | None:
        """The next pieces of the response body, or None at its end. A checkpoint.

        Inside a stretch of body bytes (:func:`body_room`) what the socket
        returns is handed on as it is, cut as
        :func:`~._net_scratch.cut_pieces` cuts, and only counted in h11;
        everything else (framing, the last byte of a count, a read that
        crosses a chunk's end) goes through h11.
        """
        h = self._h11
        while True:
            room = body_room(h)
            if not room:
                try:
                    event = h.next_event()
                except h11.RemoteProtocolError as exc:
                    raise body_error(exc, request) from exc
                if type(event) is h11.Data:
                    return [bytes(event.data)]
                if type(event) is h11.EndOfMessage:
                    return None
                if event is not h11.NEED_DATA:
                    raise RemoteProtocolError(
                        f"unexpected event {event!r} in body", request=request
                    )
            # A read that may cross the stretch's end goes to h11 whole.
            cut = piece if room >= self._receiver.read_size else None
            pieces = await self._receive_body_bytes(request, deadlines, first, cut)
            size = len(pieces[0]) if len(pieces) == 1 else sum(map(len, pieces))
            if 0 < size <= room:
                take_body(h, size)
                return pieces
            try:
                h.receive_data(b"".join(pieces))  # one piece: not copied
            except h11.RemoteProtocolError as exc:
                raise body_error(exc, request) from exc

    async def _receive_body_bytes(
        self, request: Request, deadlines: Deadlines, first: int, piece: int | None
    ) -> list[bytes]:
        deadline = deadlines.phase("read", trio.current_time())
        pieces = None
        try:
            if deadline == _INF:
                pieces = await self._receive_pieces(first, piece)
            else:
                with trio.CancelScope(deadline=deadline):
                    pieces = await self._receive_pieces(first, piece)
        except IO_ERRORS as exc:
            raise read_error(exc, "reading the response body", request) from exc
        if pieces is None:
            raise deadlines.expired("read", deadline, "reading the response body")
        return pieces

    def response_complete(self) -> None:
        """The body was read to its end: reuse the connection if clean."""
        h = self._h11
        reusable = (
            h.our_state is h11.DONE
            and h.their_state is h11.DONE
            and not h.trailing_data[0]
            and not self.closed
        )
        if reusable:
            h.start_next_cycle()  # the pool stamps idle_since on release
        self._release(reusable)

    def discard(self) -> None:
        """The response was abandoned: close the connection, release it."""
        self._release(False)

    def _release(self, reusable: bool) -> None:
        on_release = self._on_release
        if not reusable:
            self.close_nowait()
        on_release(self, reusable)
