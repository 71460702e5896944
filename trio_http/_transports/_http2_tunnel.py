"""A byte tunnel on one HTTP/2 stream: extended CONNECT (RFC 8441), for WebSockets.

How this works. :func:`open_tunnel` takes a stream slot on the connection
(waiting for one as a request does), queues a CONNECT header block with a
``:protocol`` pseudo-header and without END_STREAM (RFC 8441 §4), and waits
for the response head under the read timeout. A 2xx answer opens the tunnel:
:class:`H2Tunnel` then carries raw bytes both ways as DATA frames on that
stream, through the same machinery as a request's body. The connection's
reader fills the stream's receive buffer and wakes the tunnel; the tunnel
queues its DATA in h2 and the connection's writer sends it. Any other answer
is handed back with its body readable, and no tunnel.

Flow control bounds both directions (RFC 9113 §6.9): sending waits for the
peer's window, and received bytes are handed back (WINDOW_UPDATE) only as the
caller reads them, so at most one stream window is ever buffered here.

A tunnel is used by two tasks at once (one sending, one receiving), so its
stream state has a waker for each (:class:`TunnelState`). It holds its
stream slot until :meth:`H2Tunnel.aclose`. Cancelling a blocked send or
receive resets the stream (RST_STREAM CANCEL) and frees the slot: the bytes
in flight are unknown, but the connection goes on serving its other streams.

h2 (4.1 to 4.4) sends ``:protocol`` on a CONNECT without looking at either
side's ``SETTINGS_ENABLE_CONNECT_PROTOCOL`` (and our outbound validation is
off, see ``H2_CONFIG``): the server's setting is checked by the connection
(:meth:`HTTP2Connection.allows_extended_connect`), and a client need not
send the setting itself (RFC 8441 §3 defines it for servers). Servers on
h2 4.3 and later require ``:scheme`` and ``:path`` on an extended CONNECT
(and refuse them on a plain one); the head built here always has both.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, final

import h2.exceptions
import trio

from .._exceptions import LocalProtocolError, ReadError, WriteError
from .._headers import Headers
from .._response import Response
from ._http2_received import RECEIVE_TAKE_MAX, StreamState
from ._http2_resend import RetryableStreamError
from ._http2_state import sendable_bytes
from ._http2_streams import body_response, wait_for_head, wait_for_wake

if TYPE_CHECKING:
    from .._deadlines import Deadlines
    from .._request import Request
    from ._http2 import HTTP2Connection

__all__ = ["H2Tunnel", "TunnelState", "open_tunnel", "tunnel_headers"]

# Sends wait for the writer once this much is queued in h2's send buffer.
_SEND_HIGH_WATER = 256 * 1024
# Fields of the HTTP/1.1 handshake that do not travel in an extended CONNECT:
# connection-specific ones (RFC 9113 §8.2.2), Host (it becomes :authority),
# Sec-WebSocket-Key (RFC 8441 §5 has no key and no accept), and
# Content-Length, which would bound the tunnel's DATA.
_NOT_SENT = frozenset(
    {
        b"connection",
        b"content-length",
        b"host",
        b"keep-alive",
        b"proxy-connection",
        b"sec-websocket-key",
        b"te",
        b"transfer-encoding",
        b"upgrade",
    }
)
# RFC 8441 §5: ws and wss URIs are sent as http and https.
_SCHEMES = {"ws": b"http", "wss": b"https"}


def tunnel_headers(request: Request, protocol: str) -> list[tuple[bytes, bytes]]:
    """The extended CONNECT header block for ``request`` (RFC 8441 §4).

    Raises:
        LocalProtocolError: ``protocol`` is not an ASCII token.
    """
    if not protocol or not protocol.isascii() or any(c in protocol for c in " \t\r\n:"):
        raise LocalProtocolError(f"invalid :protocol {protocol!r}", request=request)
    url = request.url
    authority: bytes | None = None
    fields: list[tuple[bytes, bytes]] = []
    for name, value in request.headers.raw:
        lowered = name.lower()
        if lowered == b"host" and authority is None:
            authority = value  # str or bytes on the request: its bytes here
        elif lowered not in _NOT_SENT:
            fields.append((lowered, value))
    scheme = _SCHEMES.get(url.scheme) or url.scheme.encode("ascii")
    return [
        (b":method", b"CONNECT"),
        (b":protocol", protocol.encode("ascii")),
        (b":scheme", scheme),
        (b":authority", authority or url.netloc.encode("ascii")),
        (b":path", url.target),
        *fields,
    ]


class TunnelState(StreamState):
    """A tunnel's stream state: one waker for the receiving task, one for the sender."""

    __slots__ = ("send_waker",)

    def __init__(self, stream_id: int, request: Request) -> None:
        super().__init__(stream_id, request)
        self.send_waker: Callable[[], None] | None = None

    def wake(self) -> None:
        """Wake both tasks: each checks what concerns it and sleeps again."""
        waker = self.waker
        if waker is not None:
            self.waker = None
            waker()
        waker = self.send_waker
        if waker is not None:
            self.send_waker = None
            waker()


async def _wait_to_send(stream: TunnelState) -> None:
    """Park the sending task until the reader (or a failure) wakes it."""
    stream.send_waker = functools.partial(trio.lowlevel.reschedule, trio.lowlevel.current_task())

    def abort(_: Any) -> trio.lowlevel.Abort:
        stream.send_waker = None
        return trio.lowlevel.Abort.SUCCEEDED

    await trio.lowlevel.wait_task_rescheduled(abort)


async def _raise(error: BaseException) -> NoReturn:
    """Raise ``error`` after a schedule point: a failing call is a checkpoint too."""
    await trio.lowlevel.cancel_shielded_checkpoint()
    raise error


async def open_tunnel(
    conn: HTTP2Connection,
    request: Request,
    protocol: str,
    deadlines: Deadlines,
    *,
    slot_reserved: bool = False,
) -> tuple[Response, H2Tunnel | None]:
    """Open an extended CONNECT stream carrying ``protocol`` (RFC 8441).

    A checkpoint. Waits for a stream slot under the pool timeout (unless
    ``slot_reserved``), sends the CONNECT head built from ``request`` (see
    :func:`tunnel_headers`) and waits for the answer under the read timeout.
    Cancellation or an error resets the stream and frees its slot; the
    connection goes on.

    Args:
        conn: a running connection whose server allows extended CONNECT.
        request: the handshake, in its HTTP/1.1 form (its URL, user
            headers, ``Sec-WebSocket-*`` fields).
        protocol: the ``:protocol`` value, such as ``"websocket"``.
        deadlines: the handshake's deadlines (pool and read phases).
        slot_reserved: the caller reserved a slot already (``try_reserve``
            or ``wait_for_slot``); it is used, or released on failure.

    Returns:
        On a 2xx answer, the response (``HTTP/2``, empty body) and the open
        tunnel, which owns the slot until closed. Otherwise the response,
        its body readable from the stream, and None.

    Raises:
        RetryableStreamError: the connection stopped taking streams, or the
            server refused the stream unprocessed; try another connection.
        PoolTimeout: no stream slot within the pool timeout.
        ReadTimeout: no answer within the read timeout.
        StreamReset: the server reset the stream.
        LocalProtocolError: ``protocol`` is not a token.
    """
    try:
        await trio.lowlevel.checkpoint()
        headers = tunnel_headers(request, protocol)
    except BaseException:
        if slot_reserved:
            conn.release_slot()
        raise
    if not slot_reserved and not conn.try_reserve():
        deadline = deadlines.phase("pool", trio.current_time())
        granted = await conn.wait_for_slot(deadline)
        if granted is None:
            raise deadlines.expired("pool", deadline, "waiting for an HTTP/2 stream", request)
        if not granted:
            raise RetryableStreamError("the HTTP/2 connection stopped taking streams")
    stream = conn.start_stream(TunnelState, request, lambda _: headers, False)
    try:
        await wait_for_head(stream, request, deadlines)
    except BaseException:
        conn.abandon(stream)
        raise
    status = stream.status
    if not 200 <= status < 300:
        return body_response(conn, stream, request, deadlines), None
    assert stream.headers is not None
    response = Response(
        status,
        headers=Headers.from_raw(stream.headers),
        content=b"",
        request=request,
        http_version="HTTP/2",
        extensions={"http2_stream_id": stream.stream_id},
    )
    return response, H2Tunnel(conn, stream)


@final
class H2Tunnel:
    """The byte stream of an open extended CONNECT stream (a raw WebSocket, say).

    Meant for two tasks at once: one sending (:meth:`send_all`,
    :meth:`send_eof`), one receiving (:meth:`receive_some`). No timeouts of
    its own: the caller bounds each call with its cancel scopes. A cancelled
    send or receive resets the stream; later calls raise.
    """

    __slots__ = ("_broken", "_closed", "_conn", "_stream")

    def __init__(self, conn: HTTP2Connection, stream: TunnelState) -> None:
        self._conn = conn
        self._stream = stream
        self._closed = False
        self._broken = False  # reset after a cancelled or failed operation

    @property
    def stream_id(self) -> int:
        """The HTTP/2 stream the tunnel runs on."""
        return self._stream.stream_id

    def __repr__(self) -> str:
        return f"<H2Tunnel stream {self._stream.stream_id} on {self._conn!r}>"

    def _unusable(self, what: str) -> Exception | None:
        """The error for using the tunnel now, if it cannot be used."""
        if self._closed:
            return trio.ClosedResourceError(f"the tunnel was closed before {what}")
        if self._broken:
            error = ReadError if what == "receiving" else WriteError
            return error("the tunnel was reset after a cancelled or failed operation")
        return None

    def _abort(self) -> None:
        """Reset the stream and free its slot (an interrupted operation). No checkpoint.

        A task blocked on the other direction wakes up and fails.
        """
        self._broken = True
        self._conn.abandon(self._stream)
        self._stream.wake()

    # -- sending -------------------------------------------------------------

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """Send ``data`` as DATA frames, waiting for the peer's flow-control window.

        A checkpoint. Returns once everything is queued for the connection's
        writer. Cancellation resets the stream (part of ``data`` may have
        gone out).

        Raises:
            WriteError: the peer reset the stream, the connection broke, or
                the tunnel was reset earlier.
            trio.ClosedResourceError: after :meth:`aclose` or :meth:`send_eof`.
        """
        await trio.lowlevel.checkpoint_if_cancelled()
        problem = self._unusable("sending")
        if problem is None and self._stream.local_closed and self._stream.error is None:
            problem = trio.ClosedResourceError("send_eof() ended the tunnel's sending side")
        if problem is not None:
            await _raise(problem)
        try:
            waited = await self._send(memoryview(data).cast("B"))
        except WriteError as exc:
            self._abort()
            await _raise(exc)
        except BaseException:
            self._abort()
            raise
        if not waited:
            # Queued already: a cancellation now would misreport what was sent.
            await trio.lowlevel.cancel_shielded_checkpoint()

    async def _send(self, view: memoryview) -> bool:
        """Queue ``view`` in h2 within the windows. Returns whether it waited."""
        conn = self._conn
        stream = self._stream
        h = conn.engine
        stream_id = stream.stream_id
        offset = 0
        waited = False
        while offset < len(view):
            problem = self._unusable("sending") or self._send_error(stream)
            if problem is not None:
                raise problem
            try:
                window = h.local_flow_control_window(stream_id)
            except h2.exceptions.ProtocolError as exc:  # closed under us
                raise WriteError(f"cannot send on the tunnel: {exc}") from exc
            size = sendable_bytes(len(view) - offset, window, h.max_outbound_frame_size)
            if size == 0 or h.queued_bytes > _SEND_HIGH_WATER:
                # What is queued must go out first: the peer opens its
                # window again only after receiving it.
                conn.kick()
                waited = True
                if size == 0:
                    conn.window_waiters.add(stream)
                    try:
                        await _wait_to_send(stream)
                    finally:
                        conn.window_waiters.discard(stream)
                else:
                    await conn.wait_drained()
                continue
            try:
                h.send_data(stream_id, bytes(view[offset : offset + size]))
            except h2.exceptions.ProtocolError as exc:
                raise WriteError(f"cannot send on the tunnel: {exc}") from exc
            offset += size
        conn.kick()
        return waited

    def _send_error(self, stream: TunnelState) -> WriteError | None:
        error = stream.error
        if error is not None:
            problem = WriteError(f"the tunnel broke while sending: {error}")
            problem.__cause__ = error
            return problem
        if self._conn.closed:
            return WriteError("the HTTP/2 connection closed while sending on the tunnel")
        return None

    async def send_eof(self) -> None:
        """End our side of the stream (END_STREAM); receiving goes on. A checkpoint.

        Idempotent.

        Raises:
            WriteError: the stream was reset or the connection broke.
            trio.ClosedResourceError: after :meth:`aclose`.
        """
        await trio.lowlevel.checkpoint_if_cancelled()
        stream = self._stream
        problem = self._unusable("ending the stream")
        if problem is None and not stream.local_closed:
            problem = self._send_error(stream)
            if problem is None:
                stream.local_closed = True
                try:
                    self._conn.engine.end_stream(stream.stream_id)
                except h2.exceptions.ProtocolError as exc:
                    problem = WriteError(f"cannot end the tunnel's stream: {exc}")
                self._conn.kick()
        if problem is not None:
            await _raise(problem)
        await trio.lowlevel.cancel_shielded_checkpoint()

    # -- receiving -----------------------------------------------------------

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        """The next bytes from the peer, at most ``max_bytes``; ``b""`` once it ended.

        A checkpoint. Waits until bytes arrive; the window they took is
        handed back to the peer as they are returned. Cancellation while
        waiting resets the stream.

        Raises:
            ReadError: the peer reset the stream, the connection broke, or
                the tunnel was reset earlier.
            trio.ClosedResourceError: after :meth:`aclose`.
            ValueError: ``max_bytes`` is below 1.
        """
        await trio.lowlevel.checkpoint_if_cancelled()
        if max_bytes is not None and max_bytes < 1:
            await _raise(ValueError("max_bytes must be at least 1"))
        conn = self._conn
        stream = self._stream
        waited = False
        while True:
            problem = self._unusable("receiving")
            if problem is not None:
                await _raise(problem)  # closed, or reset by another task
            body = stream.body
            if body:
                data, acknowledged = body.take_at_most(max_bytes or RECEIVE_TAKE_MAX)
                if acknowledged and not conn.closed:
                    h = conn.engine
                    try:
                        h.acknowledge_received_data(acknowledged, stream.stream_id)
                    except h2.exceptions.ProtocolError:
                        pass  # the stream closed meanwhile: nothing to hand back
                    if h.has_output:
                        conn.kick()
                break
            if stream.ended:
                data = b""
                break
            error = stream.error
            if error is not None:
                problem = ReadError(f"the tunnel broke while receiving: {error}")
                problem.__cause__ = error
                await _raise(problem)
            if conn.closed:
                await _raise(
                    ReadError("the HTTP/2 connection closed while receiving on the tunnel")
                )
            waited = True
            try:
                await wait_for_wake(stream)
            except BaseException:
                self._abort()
                raise
        if not waited:
            await trio.lowlevel.cancel_shielded_checkpoint()
        return data

    # -- closing -------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the tunnel and free its stream slot. Idempotent, bounded, a checkpoint.

        When the peer has ended its side, ours is ended too (END_STREAM: a
        clean close); otherwise the stream is reset (RST_STREAM CANCEL).
        A task blocked in :meth:`send_all` or :meth:`receive_some` wakes up
        with :class:`trio.ClosedResourceError`. Never raises for a stream
        already reset or a connection already closed.
        """
        if not self._closed:
            self._closed = True
            conn = self._conn
            stream = self._stream
            if (
                stream.ended
                and not stream.local_closed
                and stream.error is None
                and not conn.closed
            ):
                stream.local_closed = True
                try:
                    conn.engine.end_stream(stream.stream_id)
                except h2.exceptions.ProtocolError:
                    stream.local_closed = False  # abandon resets it instead
            conn.abandon(stream)
            stream.wake()  # a task blocked on the tunnel wakes up and fails
        await trio.lowlevel.checkpoint()
