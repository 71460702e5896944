"""One HTTP/2 connection over h2: a reader task, a writer task, isolated streams.

How this works. :meth:`HTTP2Connection.run` runs in the client's nursery
for the life of the connection. Its reader receives large reads (every TLS
record at hand, see :class:`~._net.Receiver`), feeds them to h2 (through
:class:`~._http2_engine.H2Engine`, which splits frames itself and takes
DATA in a few steps) and routes every event to the stream it concerns (a
small per-stream buffer plus a wake-up), answering PINGs and SETTINGS as it
goes. Its writer is the only task that writes to the socket: request tasks
queue frames in h2 (no await) and wake it; it sends everything queued in
one ``send_all`` per wake-up. So a cancelled request can never tear a frame
in half, sends are batched across streams, and the reader never blocks on a
write (no deadlock with a peer that is itself blocked writing to us).

Streams are isolated: a timeout, cancellation or early close on one stream
resets that stream (RST_STREAM CANCEL), hands back its unread bytes to the
connection window and frees its slot, all without awaiting. Only what breaks
the connection (socket error, protocol violation, GOAWAY with an error)
fails every stream, each with its own exception.

Flow control: we grant large windows (:class:`HTTP2Settings`) and hand bytes
back with WINDOW_UPDATE only as the application reads them, so an unread
response stops its sender instead of growing memory. Uploads wait, under the
write timeout, when the peer's window is zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import h2.errors
import h2.exceptions
import trio

from .._config import READ_SIZE
from .._exceptions import (
    LocalProtocolError,
    ReadError,
    SSLError,
    WriteError,
)
from .._response import Response
from .._streams import BytesContent
from ._http2_engine import H2Engine
from ._http2_errors import connection_error, read_failure, received_violation
from ._http2_events import StreamRouter, StreamState
from ._http2_state import (
    MAX_STREAM_ID,
    HTTP2Settings,
    RetryableStreamError,
    SlotWaiter,
    reader_deadline,
)
from ._http2_streams import RequestHeads, receive_head, send_request_body
from ._http2_tunnel import open_tunnel
from ._net import IO_ERRORS, Receiver, close_stream_nowait, pending_tls_alert
from ._net_errors import tls_failure

if TYPE_CHECKING:
    from .._deadlines import Deadlines
    from .._request import Request
    from ._http2_tunnel import H2Tunnel

__all__ = ["HTTP2Connection", "RetryableStreamError"]

_CANCEL = h2.errors.ErrorCodes.CANCEL

_State = TypeVar("_State", bound=StreamState)


class HTTP2Connection:
    """One HTTP/2 connection to an origin, carrying many requests at once.

    The pool reserves a stream slot (:meth:`try_reserve` or
    :meth:`wait_for_slot`) before calling :meth:`handle_request`. The
    connection must be running (:meth:`run` started in a nursery) to make
    progress.

    Args:
        stream: the connected (TLS or plain) byte stream.
        origin: ``(scheme, host, port)``.
        settings: windows, header limits and keep-alive PINGs.
        keepalive_expiry: close the connection after this many seconds
            without streams (``None``: keep it).
        on_draining: called once when the connection stops taking new
            streams (GOAWAY, error, closing) and the pool should open another.
        on_closed: called once when the connection is closed.
    """

    is_multiplexed = True
    http_version = "HTTP/2"

    def __init__(
        self,
        stream: trio.abc.Stream,
        origin: tuple[str, str, int],
        *,
        settings: HTTP2Settings,
        keepalive_expiry: float | None,
        on_draining: Callable[[HTTP2Connection], None],
        on_closed: Callable[[HTTP2Connection], None],
    ) -> None:
        self._stream = stream
        self.origin = origin
        self._settings = settings
        self._keepalive_expiry = keepalive_expiry
        self._on_draining: Callable[[HTTP2Connection], None] | None = on_draining
        self._on_closed: Callable[[HTTP2Connection], None] | None = on_closed
        self.engine = H2Engine()
        self.engine.max_inbound_frame_size = 64 * 1024
        self._router = router = StreamRouter(self.engine, self._report_draining)
        # The router's tables, under the names this shell uses them by.
        self._streams = router.streams
        self.window_waiters = router.window_waiters
        self.slots = router.slots
        self.closed = False
        self.request_count = 0
        self.idle_since = trio.current_time()
        self._heads = RequestHeads()
        self._writer_wakeup: trio.Event | None = None
        self._drained: trio.Event | None = None
        self._reader_scope: trio.CancelScope | None = None
        self._ping_sent_at: float | None = None
        self._nursery_scope: trio.CancelScope | None = None
        self._receiver = Receiver(stream, READ_SIZE)
        # Set once the server's first SETTINGS frame was applied, or the
        # connection stopped taking streams (see allows_extended_connect).
        self._settings_received = trio.Event()
        router.on_first_settings = self._settings_received.set

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.slots.active} streams"
        return f"<HTTP2Connection {self.origin[0]}://{self.origin[1]}:{self.origin[2]} {state}>"

    # -- life cycle -----------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Send the preface, then read and write until the connection ends.

        Never raises (cancellation aside): a failure is handed to every open
        stream, and the connection reports itself closed.
        """
        self.engine.start_client(self._settings)
        try:
            async with trio.open_nursery() as nursery:
                self._nursery_scope = nursery.cancel_scope
                nursery.start_soon(self._writer)
                task_status.started()
                await self._reader()
                nursery.cancel_scope.cancel()
        except Exception as exc:  # handed to the streams, never raised
            self._fail(connection_error(exc))
        finally:
            self._fail(ReadError("the HTTP/2 connection was closed"))
            self.close_nowait()

    def close_nowait(self) -> None:
        """Close the socket now (no checkpoint); open streams fail. Idempotent."""
        if not self.closed:
            self.closed = True
            self._stop_accepting()
            close_stream_nowait(self._stream)
            if self._nursery_scope is not None:
                self._nursery_scope.cancel()
            self._fail(ReadError("the HTTP/2 connection was closed"))
            on_closed, self._on_closed = self._on_closed, None
            if on_closed is not None:
                on_closed(self)

    @property
    def is_available(self) -> bool:
        """True while the connection takes new streams."""
        return self.slots.accepting and not self.closed

    def _report_draining(self) -> None:
        self._settings_received.set()  # nothing more to wait for
        on_draining, self._on_draining = self._on_draining, None
        if on_draining is not None:
            on_draining(self)

    def _stop_accepting(self) -> None:
        self._router.stop_accepting()

    def _connection_failed(self, error: Exception, *, refused: bool = False) -> None:
        self._router.connection_failed(error, refused=refused)

    def _fail(self, error: Exception) -> None:
        """Fail every open stream; the connection's first error wins."""
        self._router.fail_streams(self._router.error or error)

    # -- the writer -----------------------------------------------------

    def kick(self) -> None:
        """Wake the writer: frames are queued in the engine. No checkpoint."""
        event = self._writer_wakeup
        if event is not None:
            self._writer_wakeup = None
            event.set()

    async def _writer(self) -> None:
        h = self.engine
        send_all = self._stream.send_all
        while True:
            data = h.data_to_send()
            if not data:
                drained = self._drained
                if drained is not None:
                    self._drained = None
                    drained.set()
                event = self._writer_wakeup = trio.Event()
                await event.wait()
                continue
            try:
                await send_all(data)
            except IO_ERRORS as exc:
                # A reset right after the handshake: the server's TLS alert
                # (a refused client certificate) says why.
                alert = pending_tls_alert(self._stream) if self.request_count <= 1 else None
                if alert is not None:
                    self._connection_failed(
                        SSLError(f"TLS failure while sending: {tls_failure(alert)}"), refused=True
                    )
                self._fail(WriteError(f"the HTTP/2 connection broke while sending: {exc!r}"))
                self.close_nowait()
                return

    async def wait_drained(self) -> None:
        """Wait until the writer has sent everything queued so far. A checkpoint."""
        if self.closed:
            return
        event = self._drained
        if event is None:
            event = self._drained = trio.Event()
        self.kick()
        await event.wait()

    # -- the reader -----------------------------------------------------

    def _reader_deadline(self) -> float:
        """When the reader should wake up by itself (idle expiry, keep-alive PING)."""
        return reader_deadline(
            self._settings,
            trio.current_time(),
            ping_sent_at=self._ping_sent_at,
            idle_since=None if self.slots.active else self.idle_since,
            keepalive_expiry=self._keepalive_expiry,
        )

    async def _reader(self) -> None:
        h = self.engine
        receiver = self._receiver
        receive = receiver.receive
        router = self._router
        self.kick()  # the preface
        while True:
            # One cancel scope until the reader's own deadline fires, not one
            # per read: a download reads once per 16 KiB TLS record.
            scope = self._reader_scope = trio.CancelScope(deadline=self._reader_deadline())
            with scope:
                while True:
                    # A download arrives in many reads; waking the reading
                    # task for each costs a task switch, so wake-ups wait
                    # while more bytes are ready, and happen before the
                    # reader could block.
                    if router.deferred_wakes and not receiver.has_ready():
                        router.flush_wakes()
                    try:
                        data = await receive()
                    except IO_ERRORS as exc:
                        error, refused = read_failure(exc)
                        self._connection_failed(error, refused=refused)
                        return
                    if self._ping_sent_at is not None:
                        self._ping_sent_at = None
                        scope.deadline = self._reader_deadline()
                    if not data:
                        self._connection_failed(
                            ReadError(
                                "the server closed the HTTP/2 connection"
                                + ("" if router.goaway_last_id is None else " after GOAWAY")
                            )
                        )
                        return
                    try:
                        events = h.receive_data(data)
                    except h2.exceptions.ProtocolError as exc:
                        # What came before the violation stands: a response
                        # completed in this read is delivered.
                        before = getattr(exc, "events_before", ())
                        router.dispatch(before)
                        error, refused = received_violation(exc, bool(before), data)
                        self._connection_failed(error, refused=refused)
                        return
                    router.dispatch(events)
                    if h.has_output:
                        self.kick()
                    if router.error is not None:
                        return  # a GOAWAY with an error code
                    if router.goaway_last_id is not None and not self._streams:
                        self._connection_failed(
                            ReadError("the server closed the connection (GOAWAY)")
                        )
                        return
            self._reader_scope = None
            if not self._on_reader_timeout():
                return

    def _on_reader_timeout(self) -> bool:
        """The reader's own deadline passed. Returns False to end the connection."""
        now = trio.current_time()
        if self._ping_sent_at is not None:
            self._connection_failed(
                ReadError(
                    f"no answer to a keep-alive PING within {self._settings.keepalive_timeout} s"
                )
            )
            return False
        if (
            self.slots.active == 0
            and self._keepalive_expiry is not None
            and now >= self.idle_since + self._keepalive_expiry
        ):
            self._connection_failed(ReadError("the idle HTTP/2 connection expired"))
            return False
        if self._settings.keepalive_interval is not None and self.slots.active == 0:
            self._ping_sent_at = now
            self.engine.ping(b"trio_htp")
            self.kick()
        return True

    def _touch_reader(self) -> None:
        """Streams came or went: move the reader's own deadline."""
        scope = self._reader_scope
        if scope is not None and self._ping_sent_at is None:
            scope.deadline = self._reader_deadline()

    # -- stream slots ----------------------------------------------------

    def try_reserve(self) -> bool:
        """Reserve a stream slot if one is free now. Not a checkpoint."""
        if self.closed:
            return False
        return self.slots.try_reserve()

    async def wait_for_slot(self, deadline: float) -> bool | None:
        """Wait for a stream slot until ``deadline``.

        A checkpoint. Returns True with a slot reserved, False when the
        connection stopped taking streams (try another), None on timeout.
        """
        event = trio.Event()
        waiter = SlotWaiter(event.set)
        self.slots.enqueue(waiter)
        try:
            with trio.move_on_at(deadline):
                await event.wait()
        except BaseException:
            self._wake_slot_waiters(self.slots.withdraw(waiter))
            raise
        if waiter.granted is None:
            self._wake_slot_waiters(self.slots.withdraw(waiter))
            return None
        return waiter.granted

    def _wake_slot_waiters(self, waiters: list[SlotWaiter]) -> None:
        for waiter in waiters:
            waiter.wake()

    def release_slot(self) -> None:
        """Give back a slot reserved but not used for a stream."""
        self._wake_slot_waiters(self.slots.release())
        if self.slots.active == 0:
            self.idle_since = trio.current_time()
            self._touch_reader()

    # -- tunnels (RFC 8441 extended CONNECT) ---------------------------

    async def allows_extended_connect(self) -> bool:
        """Whether the server sent ``SETTINGS_ENABLE_CONNECT_PROTOCOL = 1`` (RFC 8441).

        A checkpoint: waits (bounded by the caller) for the server's first
        SETTINGS. False once the connection failed, closes or drains (GOAWAY).
        """
        if self._settings_received.is_set():
            await trio.lowlevel.checkpoint()
        else:
            await self._settings_received.wait()
        return self.is_available and self.engine.remote_settings.enable_connect_protocol == 1

    async def open_tunnel(
        self, request: Request, protocol: str, deadlines: Deadlines, *, slot_reserved: bool = False
    ) -> tuple[Response, H2Tunnel | None]:
        """Open an extended CONNECT stream for ``protocol`` (see ``_http2_tunnel.open_tunnel``).

        ``slot_reserved``: the caller holds this stream's slot already.
        """
        return await open_tunnel(self, request, protocol, deadlines, slot_reserved=slot_reserved)

    # -- one request ----------------------------------------------------

    async def handle_request(self, request: Request, deadlines: Deadlines) -> Response:
        """Send ``request`` on a new stream (slot already reserved).

        A checkpoint. Any error or cancellation resets the stream only; the
        connection goes on serving its other streams.

        Raises:
            RetryableStreamError: the server did not process the request.
            StreamReset: the server reset the stream.
        """
        stream = self._open_stream(request)
        try:
            await send_request_body(self, stream, request, deadlines)
            return await receive_head(self, stream, request, deadlines)
        except BaseException:
            self.abandon(stream)
            raise

    def _open_stream(self, request: Request) -> StreamState:
        body = request.stream
        end_stream = isinstance(body, BytesContent) and not body.body
        return self.start_stream(StreamState, request, self._heads.headers_for, end_stream)

    def start_stream(
        self,
        state: type[_State],
        request: Request,
        headers_for: Callable[[Request], list[tuple[bytes, bytes]]],
        end_stream: bool,
    ) -> _State:
        """Open a ``state`` stream on its reserved slot; queue HEADERS. No checkpoint.

        Raises:
            RetryableStreamError: the connection stopped taking streams
                (the slot is released; nothing was sent).
            LocalProtocolError: h2 refused the header block.
        """
        h = self.engine
        router = self._router
        if self.closed or router.error is not None or router.goaway_last_id is not None:
            # The slot was reserved before the connection stopped taking streams.
            self.release_slot()
            raise RetryableStreamError("the HTTP/2 connection closed before the request started")
        try:
            stream_id = h.get_next_available_stream_id()
        except h2.exceptions.NoAvailableStreamIDError:
            self.release_slot()
            self._stop_accepting()
            raise RetryableStreamError("the HTTP/2 connection ran out of stream ids") from None
        if stream_id >= MAX_STREAM_ID:
            self._stop_accepting()
        headers = headers_for(request)
        stream = state(stream_id, request)
        try:
            h.send_headers(stream_id, headers, end_stream=end_stream)
        except h2.exceptions.ProtocolError as exc:
            self.release_slot()
            raise LocalProtocolError(f"cannot send the request: {exc}", request=request) from exc
        # After send_headers: h2 checks "open + 1 <= limit" against this count.
        h.outbound_open += 1
        self._streams[stream_id] = stream
        stream.local_closed = end_stream
        self.request_count += 1
        self.kick()
        return stream

    def abandon(self, stream: StreamState) -> None:
        """Finish with a stream: reset it if still open, free its slot. No checkpoint."""
        stream_id = stream.stream_id
        if self._streams.pop(stream_id, None) is None:
            return
        self.window_waiters.discard(stream)
        h = self.engine
        unread = stream.body.discard()
        if not self.closed and self._router.error is None:
            try:
                if unread:
                    h.acknowledge_received_data(unread, stream_id)
                if not (stream.ended and stream.local_closed):
                    h.reset_stream(stream_id, _CANCEL)
            except h2.exceptions.ProtocolError:
                pass  # the stream was already closed by the peer
            self.kick()
        h.forget_stream(stream_id)
        h.outbound_open -= 1
        self.release_slot()
        if self._router.goaway_last_id is not None and not self._streams:
            self.close_nowait()  # draining after GOAWAY, and now drained
