"""``AsyncWebSocket``: one open WebSocket, its reader task and its close handshake.

How this works. After the handshake, a wsproto client connection turns
bytes into events and messages into frames; the transport's
:class:`~._transports._base.UpgradedStream` carries them (a raw HTTP/1.1
connection, an HTTP/2 stream, or an in-process app). One reader task per
socket, in a nursery owned by the caller's ``async with`` block, reads the
stream, answers pings, resolves waiting :meth:`~AsyncWebSocket.ping` calls,
reassembles fragmented messages up to ``max_message_size`` and puts whole
messages on a channel of ``max_queue`` places: when it is full the reader
stops reading, so a slow consumer slows the peer down (TCP or HTTP/2 flow
control) instead of growing memory. Sending queues frames for one writer
task (:class:`~._websocket_send.FrameSender`): a burst of messages costs one
write, frames never interleave or tear, and a cancelled send has sent
nothing; a failed write closes the socket (code 1006).

The socket fails with one stored error (a :class:`WebSocketClosed` with a
close code, or a protocol error); every later call raises
:class:`WebSocketClosed` with that code. Leaving the block runs the close
handshake (bounded by ``close_timeout``) unless the block was cancelled, and
closes the stream in every case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, final

import trio
from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Event,
    Message,
    Ping,
    Pong,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError as WsLocalProtocolError

from ._exceptions import (
    WebSocketClosed,
    WebSocketError,
    WebSocketMessageTooBig,
    WebSocketProtocolError,
)
from ._websocket_messages import MessageAssembler
from ._websocket_pings import PingTracker, run_keepalive
from ._websocket_send import STREAM_ERRORS, FrameSender

if TYPE_CHECKING:
    from wsproto.extensions import Extension

    from ._response import Response
    from ._transports._base import UpgradedStream

__all__ = ["NORMAL_CLOSES", "READ_SIZE", "AsyncWebSocket"]

READ_SIZE = 64 * 1024  # bytes per read of the upgraded stream
CLOSE_REPLY_GRACE_S = 1.0  # seconds to send our close frame when failing the socket
# RFC 6455 §7.4.1 close codes used here.
NORMAL = 1000
PROTOCOL_ERROR = 1002
ABNORMAL = 1006
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011
# Closes that end iteration quietly: normal, going away, and a close frame
# without a code (RFC 6455 §7.1.5).
NORMAL_CLOSES = frozenset({NORMAL, 1001, 1005})


@final
class AsyncWebSocket:
    """An open WebSocket connection; get one from ``AsyncClient.websocket()``.

    Every method is a checkpoint. Messages are ``str`` (text frames) or
    ``bytes`` (binary frames).

    Attributes:
        response: the handshake response (status 101 over HTTP/1.1, 200
            over HTTP/2).
        subprotocol: the subprotocol the server chose, or None.
        http_version: ``"HTTP/1.1"`` or ``"HTTP/2"``.
        close_code: the close code once the socket is closed (the peer's,
            or 1006 when the connection ended without a close frame), else None.
        close_reason: the close reason once closed, else None.
    """

    def __init__(
        self,
        stream: UpgradedStream,
        response: Response,
        *,
        subprotocol: str | None,
        extensions: list[Extension],
        max_message_size: int,
        max_queue: int,
        ping_interval: float | None,
        ping_timeout: float | None,
        close_timeout: float,
    ) -> None:
        self.response = response
        self.subprotocol = subprotocol
        self.http_version = response.http_version
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self._stream = stream
        self._conn = Connection(ConnectionType.CLIENT, extensions=extensions)
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._close_timeout = close_timeout
        self._sender = FrameSender(stream, self._write_failed)
        self._messages_in, self._messages = trio.open_memory_channel[str | bytes](max_queue)
        self._assembler = MessageAssembler(max_message_size)
        self._pings = PingTracker()
        self._failure: WebSocketError | None = None  # raised once, by the next call
        self._closing = False  # our close frame is sent (or the socket failed)
        self._reader_done = trio.Event()
        self._reader_scope = trio.CancelScope()
        self._deliver_scope: trio.CancelScope | None = None
        self._stream_closed = False

    def __repr__(self) -> str:
        state = "open" if self.close_code is None else f"closed {self.close_code}"
        return f"<AsyncWebSocket {self.http_version} {state}>"

    # -- background tasks (started by the client's websocket() block) -------

    async def _run_reader(self) -> None:
        """Read the stream until the socket closes. Never raises (errors are stored)."""
        try:
            with self._reader_scope:
                await self._read_loop()
        finally:
            self._messages_in.close()
            self._reader_done.set()
            self._pings.wake_all()

    async def _run_writer(self) -> None:
        """Write queued frames until the socket is torn down. Never raises."""
        await self._sender.run()

    async def _run_keepalive(self) -> None:
        """Ping every ``ping_interval`` seconds; fail the socket (1011) when a pong is late."""
        if self._ping_interval is not None:
            await run_keepalive(
                self.ping,
                lambda: self.close_code is None and not self._closing,
                self._keepalive_failed,
                self._ping_interval,
                self._ping_timeout,
            )

    async def _keepalive_failed(self) -> None:
        reason = "keepalive ping timeout"
        error = WebSocketClosed(
            "the peer did not answer a keepalive ping in time", code=INTERNAL_ERROR, reason=reason
        )
        await self._fail(error, INTERNAL_ERROR, reason)

    async def _read_loop(self) -> None:
        conn = self._conn
        while True:
            try:
                data = await self._stream.receive_some(READ_SIZE)
            except STREAM_ERRORS as exc:
                await self._lost(f"the connection broke: {exc}")
                return
            if not data:
                await self._lost("the connection ended without a close frame")
                return
            conn.receive_data(data)
            for event in conn.events():
                if not await self._handle(event):
                    return

    async def _handle(self, event: Event) -> bool:
        """Act on one event; False once the socket is finished."""
        if isinstance(event, Message):
            return await self._on_message(event)
        if isinstance(event, Ping):
            self._queue_event(event.response())
            return True
        if isinstance(event, Pong):
            self._pings.on_pong(bytes(event.payload))
            return True
        if isinstance(event, CloseConnection):
            return await self._on_close(event)
        return True  # pragma: no cover - wsproto's client emits nothing else

    async def _on_message(self, event: Message[str] | Message[bytes | bytearray]) -> bool:
        data: str | bytes = event.data if isinstance(event.data, str) else bytes(event.data)
        try:
            joined = self._assembler.add(data, event.message_finished)
        except WebSocketMessageTooBig as exc:
            await self._fail(exc, MESSAGE_TOO_BIG, "message too big")
            return False
        if joined is None:
            return True
        if self._closing:
            return True  # we are closing: messages still in flight are dropped
        try:
            # Room in the queue: no schedule point per message (the read
            # that brought it was one).
            self._messages_in.send_nowait(joined)
        except trio.WouldBlock:
            with trio.CancelScope() as self._deliver_scope:
                await self._messages_in.send(joined)
            self._deliver_scope = None
        return True

    async def _on_close(self, event: CloseConnection) -> bool:
        state = self._conn.state
        if state is ConnectionState.OPEN:
            # wsproto reports a frame it could not parse as a close with the
            # code to send: the peer broke the protocol.
            code = int(event.code)
            error_type = (
                WebSocketMessageTooBig if code == MESSAGE_TOO_BIG else WebSocketProtocolError
            )
            await self._fail(
                error_type(f"the peer broke the WebSocket protocol: {event.reason}"),
                code,
                event.reason or "",
            )
            return False
        self.close_code = int(event.code)
        self.close_reason = event.reason or ""
        if state is ConnectionState.REMOTE_CLOSING:
            # RFC 6455 §5.5.1: answer the peer's close with ours.
            self._closing = True
            self._queue_event(event.response())
            with trio.move_on_after(CLOSE_REPLY_GRACE_S):
                await self._sender.wait_flushed()
        await self._close_stream()
        return False

    # -- failing and closing ----------------------------------------------

    async def _lost(self, why: str) -> None:
        """The stream ended or broke without a close handshake: code 1006."""
        self._mark_lost(f"the WebSocket closed abnormally: {why}")
        await self._close_stream()

    def _mark_lost(self, message: str) -> None:
        # Code 1006, and ``message`` for the next call unless we were closing.
        if self.close_code is None:
            self.close_code, self.close_reason = ABNORMAL, ""
            if self._failure is None and not self._closing:
                self._failure = WebSocketClosed(message, code=ABNORMAL, reason="")
        self._closing = True

    async def _fail(self, error: WebSocketError, code: int, reason: str) -> None:
        """Fail the socket with ``error``: send a close frame with ``code`` if we can, close."""
        if self._failure is None and self.close_code is None:
            self._failure = error
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
        if not self._closing:
            self._closing = True
            self._queue_event(CloseConnection(code=code, reason=reason))
            with trio.move_on_after(CLOSE_REPLY_GRACE_S):
                await self._sender.wait_flushed()
        self._reader_scope.cancel()
        await self._close_stream()

    async def _close_stream(self) -> None:
        if not self._stream_closed:
            self._stream_closed = True
            if self._deliver_scope is not None:
                self._deliver_scope.cancel()
            with trio.CancelScope(shield=True):
                await self._stream.aclose()

    def _queue_event(self, event: Event) -> None:
        """Queue a control frame (pong, close) without waiting; nothing if the socket is done."""
        if self._stream_closed:
            return
        try:
            frames = self._conn.send(event)
        except WsLocalProtocolError:
            return  # wsproto's state says no more frames (a close went out)
        self._sender.queue(frames)

    async def _send_event(self, event: Event) -> None:
        """Queue ``event``'s frames for the writer; the caller checked for cancellation.

        Waits first (cancellable, nothing queued yet) while the writer is
        ``HIGH_WATER_BYTES`` behind. Ends with a schedule point that
        cannot be cancelled: once queued, the message is sent.
        """
        sender = self._sender
        if sender.full:
            await sender.wait_for_room()
        error: WebSocketError | None = None
        if self._stream_closed or sender.broken is not None:
            error = self._pending_error()
        else:
            try:
                sender.queue(self._conn.send(event))
            except WsLocalProtocolError:
                error = self._closed_error()
        await trio.lowlevel.cancel_shielded_checkpoint()
        if error is not None:
            raise error

    def _write_failed(self, error: Exception) -> None:
        """The writer could not write: the connection is lost (1006). No await."""
        self._mark_lost(f"the WebSocket connection broke while sending: {error}")
        self._reader_scope.cancel()

    def _closed_error(self) -> WebSocketClosed:
        code = self.close_code if self.close_code is not None else ABNORMAL
        reason = self.close_reason or ""
        return WebSocketClosed(
            f"the WebSocket is closed (code {code}{': ' + reason if reason else ''})",
            code=code,
            reason=reason,
        )

    def _pending_error(self) -> WebSocketError:
        failure, self._failure = self._failure, None
        return failure if failure is not None else self._closed_error()

    async def _check_sendable(self) -> None:
        await trio.lowlevel.checkpoint_if_cancelled()
        if self._closing or self.close_code is not None:
            await trio.lowlevel.cancel_shielded_checkpoint()
            raise self._pending_error()

    # -- sending ------------------------------------------------------------

    async def send_text(self, text: str) -> None:
        """Send a text message. A checkpoint.

        The message is queued for the socket's writer task and goes out in
        order; the call waits only while ``HIGH_WATER_BYTES`` (256 KiB) of
        earlier messages wait to be written. A send cancelled while waiting
        has sent nothing.

        Raises:
            TypeError: ``text`` is not a ``str``.
            WebSocketClosed: the socket is closed or closing, or broke
                while sending an earlier message (code 1006).
        """
        if _wrong_type(text, str):
            await trio.lowlevel.checkpoint()
            raise TypeError(f"send_text() takes a str, not {type(text).__name__}")
        await self._check_sendable()
        await self._send_event(TextMessage(data=text))

    async def send_bytes(self, data: bytes | bytearray | memoryview) -> None:
        """Send a binary message. A checkpoint.

        Raises:
            TypeError: ``data`` is not bytes-like.
            WebSocketClosed: as for :meth:`send_text`.
        """
        if _wrong_type(data, (bytes, bytearray, memoryview)):
            await trio.lowlevel.checkpoint()
            raise TypeError(f"send_bytes() takes bytes, not {type(data).__name__}")
        await self._check_sendable()
        await self._send_event(BytesMessage(data=bytes(data)))

    async def send(self, message: str | bytes | bytearray | memoryview) -> None:
        """Send ``message``: a ``str`` as text, bytes as binary. A checkpoint.

        Raises:
            TypeError: neither text nor bytes.
            WebSocketClosed: as for :meth:`send_text`.
        """
        if isinstance(message, str):
            await self.send_text(message)
        else:
            await self.send_bytes(message)

    async def ping(self, payload: bytes = b"") -> None:
        """Send a ping and wait for its pong. A checkpoint.

        An empty ``payload`` is replaced by 4 random bytes, so concurrent
        pings are told apart. Bound the wait with ``trio.fail_after``.

        Raises:
            ValueError: ``payload`` is longer than 125 bytes (RFC 6455 §5.5).
            WebSocketClosed: the socket closed before the pong came.
        """
        if len(payload) > 125:
            await trio.lowlevel.checkpoint()
            raise ValueError("a ping payload is at most 125 bytes")
        await self._check_sendable()
        payload, waiter = self._pings.start(payload)
        try:
            await self._send_event(Ping(payload=payload))
            await waiter.event.wait()
        finally:
            self._pings.forget(payload)
        if not waiter.answered:
            raise self._closed_error()

    # -- receiving ----------------------------------------------------------

    async def receive(self) -> str | bytes:
        """The next message: ``str`` for text, ``bytes`` for binary. A checkpoint.

        Messages that arrived before the socket closed are returned first.

        Raises:
            WebSocketClosed: the socket is closed (``code``/``reason`` say how;
                1006 when the connection ended without a close frame).
            WebSocketProtocolError: the peer broke the protocol (raised
                once; then :class:`WebSocketClosed`).
            WebSocketMessageTooBig: a message exceeded ``max_message_size``.
        """
        try:
            return await self._messages.receive()
        except trio.EndOfChannel:
            # Trio's channel raises this without yielding.
            await trio.lowlevel.cancel_shielded_checkpoint()
            raise self._pending_error() from None

    async def receive_text(self) -> str:
        """The next message, which must be text. A checkpoint.

        Raises:
            WebSocketProtocolError: it was a binary message (the socket stays open).
            WebSocketClosed: as for :meth:`receive`.
        """
        message = await self.receive()
        if not isinstance(message, str):
            raise WebSocketProtocolError("expected a text message, received a binary one")
        return message

    async def receive_bytes(self) -> bytes:
        """The next message, which must be binary. A checkpoint.

        Raises:
            WebSocketProtocolError: it was a text message (the socket stays open).
            WebSocketClosed: as for :meth:`receive`.
        """
        message = await self.receive()
        if not isinstance(message, bytes):
            raise WebSocketProtocolError("expected a binary message, received a text one")
        return message

    def __aiter__(self) -> AsyncWebSocket:
        return self

    async def __anext__(self) -> str | bytes:
        """The next message; the iteration ends at a normal close, other closes raise.

        A plain method, not an async generator: leaving an ``async for`` early
        leaves nothing behind to finalize.
        """
        try:
            return await self.receive()
        except WebSocketClosed as exc:
            if exc.code in NORMAL_CLOSES:
                raise StopAsyncIteration from None
            raise

    # -- closing ------------------------------------------------------------

    async def close(self, code: int = NORMAL, reason: str = "") -> None:
        """Run the close handshake: send a close frame, wait for the peer's, close.

        Waits at most ``close_timeout`` seconds for the peer's close frame,
        then closes the connection anyway. Idempotent. A checkpoint;
        cancellation closes the connection at once.

        Args:
            code: the close code (RFC 6455 §7.4; 1000 is a normal closure).
            reason: a short reason (at most 123 bytes of UTF-8).
        """
        await trio.lowlevel.checkpoint_if_cancelled()
        try:
            if not self._closing and self.close_code is None:
                self._closing = True
                if self._deliver_scope is not None:
                    self._deliver_scope.cancel()
                self._queue_event(CloseConnection(code=code, reason=reason))
            with trio.move_on_after(self._close_timeout):
                await self._sender.wait_flushed()
                await self._reader_done.wait()
        finally:
            if self.close_code is None:
                self.close_code, self.close_reason = ABNORMAL, ""
            self._reader_scope.cancel()
            await self._close_stream()
        await trio.lowlevel.cancel_shielded_checkpoint()

    async def abort(self) -> None:
        """Close the connection without a close handshake (code 1006). A checkpoint."""
        self._closing = True
        if self.close_code is None:
            self.close_code, self.close_reason = ABNORMAL, ""
        self._reader_scope.cancel()
        await self._close_stream()
        await trio.lowlevel.checkpoint()


def _wrong_type(value: object, kinds: type | tuple[type, ...]) -> bool:
    """Whether ``value`` is not one of ``kinds`` (a runtime check the annotations cannot make)."""
    return not isinstance(value, kinds)
