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

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import h2.errors
import h2.events
import h2.exceptions
import h2.settings
import hpack
import trio

from .._config import READ_SIZE
from .._exceptions import (
    LocalProtocolError,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    RequestException,
    ResponseTooLarge,
    StreamReset,
    WriteError,
    WriteTimeout,
)
from .._headers import Headers
from .._models import Response
from .._streams import AsyncByteStream, BytesContent
from ._http2_engine import DataChunk, H2Engine
from ._http2_state import (
    MAX_STREAM_ID,
    HTTP2Settings,
    MalformedFields,
    ReceiveBuffer,
    RetryableStreamError,
    SlotWaiter,
    StreamSlots,
    check_response_fields,
    check_trailer_fields,
    sendable_bytes,
    split_for_goaway,
)
from ._net import IO_ERRORS, Receiver, close_stream_nowait, phase_deadline, timeout_error

if TYPE_CHECKING:
    from .._config import Timeouts as TimeoutConfig
    from .._models import Request

__all__ = ["HTTP2Connection", "RetryableStreamError"]

_INF = math.inf
# Uploads wait for the writer once this much is queued in h2's send buffer.
_SEND_HIGH_WATER = 256 * 1024
# Buffered bytes on one stream that wake its reader even while more arrive.
WAKE_BATCH = 256 * 1024
# RFC 9113 §8.2.2: connection-specific fields must not be sent over HTTP/2.
_CONNECTION_HEADERS = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade", b"host"}
)
_CANCEL = h2.errors.ErrorCodes.CANCEL
_REFUSED = h2.errors.ErrorCodes.REFUSED_STREAM


_PROTOCOL_ERROR = h2.errors.ErrorCodes.PROTOCOL_ERROR


class _Stream:
    """What one request's stream has received; the reader fills it."""

    __slots__ = (
        "body",
        "ended",
        "error",
        "headers",
        "informational",
        "local_closed",
        "malformed",
        "request",
        "status",
        "stream_id",
        "trailers",
        "waiting_task",
        "wake_deferred",
    )

    def __init__(self, stream_id: int, request: Request) -> None:
        self.stream_id = stream_id
        self.request = request
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] | None = None
        self.trailers: list[tuple[bytes, bytes]] | None = None
        self.informational: list[tuple[int, list[tuple[bytes, bytes]]]] | None = None
        self.body = ReceiveBuffer()
        self.ended = False
        self.local_closed = False
        self.malformed = False  # a header block broke RFC 9113; the stream was reset
        self.error: Exception | None = None
        self.waiting_task: trio.lowlevel.Task | None = None
        self.wake_deferred = False

    def wake(self) -> None:
        task = self.waiting_task
        if task is not None:
            self.waiting_task = None
            trio.lowlevel.reschedule(task)

    async def wait(self) -> None:
        """Sleep until the reader (or a failure) calls :meth:`wake`.

        A bare park and reschedule: cheaper than an Event per wait, and a
        download waits once per TLS record.
        """
        self.waiting_task = trio.lowlevel.current_task()

        def abort(_: Any) -> trio.lowlevel.Abort:
            self.waiting_task = None
            return trio.lowlevel.Abort.SUCCEEDED

        await trio.lowlevel.wait_task_rescheduled(abort)


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
        self._h2 = H2Engine()
        self._h2.max_inbound_frame_size = 64 * 1024
        self._streams: dict[int, _Stream] = {}
        self._window_waiters: set[_Stream] = set()
        self.slots = StreamSlots()
        self.closed = False
        self.request_count = 0
        self.idle_since = trio.current_time()
        # The last request head built: the same request sent again (method,
        # URL and headers all equal) reuses its header list.
        self._last_head: tuple[str, str, list[tuple[bytes, bytes]]] | None = None
        self._last_headers: list[tuple[bytes, bytes]] = []
        self._error: Exception | None = None
        self._goaway_last_id: int | None = None
        self._graceful_goaway = False  # a GOAWAY with NO_ERROR arrived
        self._writer_wakeup: trio.Event | None = None
        self._drained: trio.Event | None = None
        self._reader_scope: trio.CancelScope | None = None
        self._ping_sent_at: float | None = None
        self._nursery_scope: trio.CancelScope | None = None
        # Streams with new DATA whose reader has not been woken yet (see
        # _reader), and what the reader receives with.
        self._deferred_wakes: list[_Stream] = []
        self._receiver = Receiver(stream, READ_SIZE)

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.slots.active} streams"
        return f"<HTTP2Connection {self.origin[0]}://{self.origin[1]}:{self.origin[2]} {state}>"

    # -- life cycle -----------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Send the preface, then read and write until the connection ends.

        Never raises (cancellation aside): a failure is handed to every open
        stream, and the connection reports itself closed.
        """
        h = self._h2
        settings = self._settings
        h.local_settings = h2.settings.Settings(
            client=True,
            initial_values={
                h2.settings.SettingCodes.ENABLE_PUSH: 0,
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: settings.stream_window,
                h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: settings.max_header_list_size,
                h2.settings.SettingCodes.MAX_FRAME_SIZE: h.max_inbound_frame_size,
            },
        )
        h.initiate_connection()
        if settings.connection_window_increment:
            h.increment_flow_control_window(settings.connection_window_increment)
        # Our decoder enforces the limit at once; the SETTINGS tell the server.
        h.decoder.max_header_list_size = settings.max_header_list_size
        try:
            async with trio.open_nursery() as nursery:
                self._nursery_scope = nursery.cancel_scope
                nursery.start_soon(self._writer)
                task_status.started()
                await self._reader()
                nursery.cancel_scope.cancel()
        except Exception as exc:  # handed to the streams, never raised
            self._fail(_connection_error(exc))
        finally:
            self._fail(self._error or ReadError("the HTTP/2 connection was closed"))
            self.close_nowait()

    def close_nowait(self) -> None:
        """Close the socket now (no checkpoint); open streams fail. Idempotent."""
        if not self.closed:
            self.closed = True
            self._stop_accepting()
            close_stream_nowait(self._stream)
            if self._nursery_scope is not None:
                self._nursery_scope.cancel()
            self._fail(self._error or ReadError("the HTTP/2 connection was closed"))
            on_closed, self._on_closed = self._on_closed, None
            if on_closed is not None:
                on_closed(self)

    @property
    def is_available(self) -> bool:
        """True while the connection takes new streams."""
        return self.slots.accepting and not self.closed

    def _stop_accepting(self) -> None:
        for waiter in self.slots.stop_accepting():
            waiter.wake()
        on_draining, self._on_draining = self._on_draining, None
        if on_draining is not None:
            on_draining(self)

    def _connection_failed(self, error: Exception) -> None:
        """The connection is done for: take no new stream from now on.

        The first error is kept; :meth:`_fail` hands it to the open streams
        once the reader has stopped. Stopping new streams at once matters:
        until :meth:`run` has unwound, the pool would otherwise keep handing
        out a connection that can only fail.
        """
        if self._error is None:
            self._error = error
        self._stop_accepting()

    def _fail(self, error: Exception) -> None:
        """Fail every open stream with ``error`` (a connection-level failure)."""
        self._connection_failed(error)
        goaway_id = self._goaway_last_id
        for stream in list(self._streams.values()):
            if stream.error is None and not stream.ended:
                if goaway_id is not None and stream.stream_id > goaway_id:
                    stream.error = _not_processed(
                        stream, "the server closed the connection before processing this request"
                    )
                else:
                    stream.error = self._lost_error(stream, error)
            stream.wake()
        for stream in self._window_waiters:
            stream.wake()

    # -- the writer -----------------------------------------------------

    def _kick(self) -> None:
        event = self._writer_wakeup
        if event is not None:
            self._writer_wakeup = None
            event.set()

    async def _writer(self) -> None:
        h = self._h2
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
                self._fail(WriteError(f"the HTTP/2 connection broke while sending: {exc!r}"))
                self.close_nowait()
                return

    async def _wait_drained(self) -> None:
        """Wait until the writer has sent everything queued so far."""
        if self.closed:
            return
        event = self._drained
        if event is None:
            event = self._drained = trio.Event()
        self._kick()
        await event.wait()

    # -- the reader -----------------------------------------------------

    def _reader_deadline(self) -> float:
        """When the reader should wake up by itself (idle expiry, keep-alive PING)."""
        if self._ping_sent_at is not None:
            return self._ping_sent_at + self._settings.keepalive_timeout
        deadline = _INF
        interval = self._settings.keepalive_interval
        if interval is not None:
            # Checked at the deadline: a PING goes out only when the
            # connection was idle (no streams) for the whole interval.
            deadline = trio.current_time() + interval
        if self.slots.active == 0 and self._keepalive_expiry is not None:
            deadline = min(deadline, self.idle_since + self._keepalive_expiry)
        return deadline

    async def _reader(self) -> None:
        h = self._h2
        receiver = self._receiver
        receive = receiver.receive
        handlers = self._handlers()
        self._kick()  # the preface
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
                    if self._deferred_wakes and not receiver.has_ready():
                        self._flush_wakes()
                    try:
                        data = await receive()
                    except IO_ERRORS as exc:
                        self._connection_failed(
                            ReadError(f"the HTTP/2 connection broke while reading: {exc!r}")
                        )
                        return
                    if self._ping_sent_at is not None:
                        self._ping_sent_at = None
                        scope.deadline = self._reader_deadline()
                    if not data:
                        self._connection_failed(
                            ReadError(
                                "the server closed the HTTP/2 connection"
                                + ("" if self._goaway_last_id is None else " after GOAWAY")
                            )
                        )
                        return
                    try:
                        events = h.receive_data(data)
                    except h2.exceptions.ProtocolError as exc:
                        # What came before the violation stands: a response
                        # completed in this read is delivered.
                        _dispatch(handlers, getattr(exc, "events_before", ()))
                        self._connection_failed(_protocol_error(exc))
                        return
                    _dispatch(handlers, events)
                    if h.has_output:
                        self._kick()
                    if self._error is not None:
                        return  # a GOAWAY with an error code
                    if self._goaway_last_id is not None and not self._streams:
                        self._connection_failed(
                            ReadError("the server closed the connection (GOAWAY)")
                        )
                        return
            self._reader_scope = None
            if not self._on_reader_timeout():
                return

    def _flush_wakes(self) -> None:
        deferred, self._deferred_wakes = self._deferred_wakes, []
        for stream in deferred:
            stream.wake_deferred = False
            stream.wake()

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
            self._h2.ping(b"trio_htp")
            self._kick()
        return True

    def _touch_reader(self) -> None:
        """Streams came or went: move the reader's own deadline."""
        scope = self._reader_scope
        if scope is not None and self._ping_sent_at is None:
            scope.deadline = self._reader_deadline()

    def _handlers(self) -> dict[type[Any], Callable[[Any], None]]:
        return {
            h2.events.ResponseReceived: self._on_response,
            DataChunk: self._on_data,
            h2.events.DataReceived: self._on_data,
            h2.events.StreamEnded: self._on_end,
            h2.events.TrailersReceived: self._on_trailers,
            h2.events.InformationalResponseReceived: self._on_informational,
            h2.events.StreamReset: self._on_reset,
            h2.events.WindowUpdated: self._on_window,
            h2.events.RemoteSettingsChanged: self._on_settings,
            h2.events.ConnectionTerminated: self._on_goaway,
            h2.events.PushedStreamReceived: self._on_push,
        }

    def _on_response(self, event: h2.events.ResponseReceived) -> None:
        stream = self._streams.get(event.stream_id)
        if stream is None:
            return
        try:
            status, headers = check_response_fields(event.headers)
        except MalformedFields as exc:
            self._malformed(stream, f"malformed response headers: {exc}")
            return
        stream.status = status
        stream.headers = headers
        stream.wake()

    def _malformed(self, stream: _Stream, message: str) -> None:
        """A stream error (RFC 9113 §8.1.1): reset that stream, fail its request."""
        stream.malformed = True
        if stream.error is None:
            stream.error = RemoteProtocolError(message)
        try:
            self._h2.reset_stream(stream.stream_id, _PROTOCOL_ERROR)
        except h2.exceptions.ProtocolError:
            pass  # already closed by the peer
        self._kick()
        stream.wake()

    def _on_data(self, event: DataChunk | h2.events.DataReceived) -> None:
        stream_id: int = event.stream_id
        stream = self._streams.get(stream_id)
        length: int = event.flow_controlled_length
        if stream is None:
            # Abandoned by its request: hand the bytes back at once.
            if length:
                self._h2.acknowledge_received_data(length, stream_id)
            return
        body = stream.body
        body.push(event.data, length)
        if body.buffered >= WAKE_BATCH or stream.waiting_task is None:
            stream.wake()
        elif not stream.wake_deferred:
            stream.wake_deferred = True
            self._deferred_wakes.append(stream)

    def _on_end(self, event: h2.events.StreamEnded) -> None:
        stream = self._streams.get(event.stream_id)
        if stream is not None and not stream.malformed:
            stream.ended = True
            stream.wake()

    def _on_trailers(self, event: h2.events.TrailersReceived) -> None:
        stream = self._streams.get(event.stream_id)
        if stream is not None:
            try:
                stream.trailers = check_trailer_fields(list(event.headers))
            except MalformedFields as exc:
                # The body is not reported as complete: its end was malformed.
                self._malformed(stream, f"malformed trailers: {exc}")

    def _on_informational(self, event: h2.events.InformationalResponseReceived) -> None:
        stream = self._streams.get(event.stream_id)
        if stream is not None:
            try:
                status, headers = check_response_fields(event.headers)
            except MalformedFields as exc:
                self._malformed(stream, f"malformed informational response: {exc}")
                return
            if stream.informational is None:
                stream.informational = []
            stream.informational.append((status, headers))
            stream.wake()

    def _on_reset(self, event: h2.events.StreamReset) -> None:
        stream = self._streams.get(event.stream_id)
        if stream is None:
            return
        code = int(event.error_code)
        if code == _REFUSED:
            stream.error = _not_processed(
                stream, f"the server refused stream {stream.stream_id} (REFUSED_STREAM)"
            )
        elif not (stream.ended and code == h2.errors.ErrorCodes.NO_ERROR):
            # RFC 9113 §8.1: NO_ERROR after a complete response only means
            # "stop sending the request body".
            stream.error = StreamReset(
                f"the server reset the stream ({_code_name(code)})", error_code=code
            )
        stream.local_closed = True
        stream.wake()
        if stream in self._window_waiters:
            self._window_waiters.discard(stream)

    def _on_window(self, event: h2.events.WindowUpdated) -> None:
        if event.stream_id:
            stream = self._streams.get(event.stream_id)
            if stream is not None:
                stream.wake()
            return
        for stream in self._window_waiters:
            stream.wake()

    def _on_settings(self, event: h2.events.RemoteSettingsChanged) -> None:
        changed = event.changed_settings
        limit = changed.get(h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS)
        if limit is not None:
            for waiter in self.slots.set_max_concurrent(limit.new_value):
                waiter.wake()
        if h2.settings.SettingCodes.INITIAL_WINDOW_SIZE in changed:
            for stream in self._window_waiters:
                stream.wake()

    def _on_goaway(self, event: h2.events.ConnectionTerminated) -> None:
        last_id: int = event.last_stream_id or 0
        if self._goaway_last_id is not None:
            # RFC 9113 §6.8: a later GOAWAY may lower the last id, never raise it.
            last_id = min(last_id, self._goaway_last_id)
        code = int(event.error_code or 0)
        self._goaway_last_id = last_id
        self._stop_accepting()
        keep, retry = split_for_goaway(self._streams, last_id)
        for stream_id in retry:
            stream = self._streams[stream_id]
            stream.error = _not_processed(
                stream, f"the server sent GOAWAY before processing stream {stream_id}"
            )
            stream.local_closed = True
            stream.wake()
        if code != h2.errors.ErrorCodes.NO_ERROR:
            error = RemoteProtocolError(
                f"the server closed the HTTP/2 connection ({_code_name(code)}"
                + (f": {event.additional_data!r}" if event.additional_data else "")
                + ")"
            )
            for stream_id in keep:
                stream = self._streams[stream_id]
                if stream.error is None and not stream.ended:
                    stream.error = self._lost_error(stream, error)
                stream.wake()
            self._connection_failed(error)
        else:
            self._graceful_goaway = True

    def _lost_error(self, stream: _Stream, error: Exception) -> Exception:
        """The error for a stream the connection ended under, at or below the last id.

        After a graceful GOAWAY a stream that got no answer is sent again
        when its request is idempotent (see RetryableStreamError).
        """
        if self._graceful_goaway and stream.headers is None:
            return RetryableStreamError(
                f"{error} before answering stream {stream.stream_id}", idempotent_only=True
            )
        return _copy_error(error)

    def _on_push(self, event: h2.events.PushedStreamReceived) -> None:
        # We sent SETTINGS_ENABLE_PUSH=0; a push racing that setting is refused.
        if event.pushed_stream_id:
            self._h2.reset_stream(event.pushed_stream_id, _REFUSED)

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

    # -- one request ----------------------------------------------------

    async def handle_request(self, request: Request, timeout: TimeoutConfig) -> Response:
        """Send ``request`` on a new stream (slot already reserved).

        A checkpoint. Any error or cancellation resets the stream only; the
        connection goes on serving its other streams.

        Raises:
            RetryableStreamError: the server did not process the request.
            StreamReset: the server reset the stream.
        """
        total_deadline: float = request.extensions.get("deadline", _INF)
        stream = self._open_stream(request)
        try:
            await self._send_request_body(stream, request, timeout, total_deadline)
            return await self._receive_head(stream, request, timeout, total_deadline)
        except BaseException:
            self._abandon(stream)
            raise

    def _open_stream(self, request: Request) -> _Stream:
        h = self._h2
        if self.closed or self._error is not None or self._goaway_last_id is not None:
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
        headers = self._headers_for(request)
        body = request.stream
        end_stream = isinstance(body, BytesContent) and not body.body
        stream = _Stream(stream_id, request)
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
        self._kick()
        return stream

    def _headers_for(self, request: Request) -> list[tuple[bytes, bytes]]:
        raw = request.headers.raw
        key = (request.method, str(request.url), raw)
        if key == self._last_head:
            return self._last_headers
        headers = _request_headers(request)
        # h2 only reads the list; the key keeps a copy of the header list.
        self._last_head, self._last_headers = (key[0], key[1], list(raw)), headers
        return headers

    async def _send_request_body(
        self, stream: _Stream, request: Request, timeout: TimeoutConfig, total_deadline: float
    ) -> None:
        if stream.local_closed:
            return
        body = request.stream
        if isinstance(body, BytesContent):
            if await self._send_data(stream, body.body, timeout, total_deadline):
                self._end_request(stream)
            return
        async for chunk in body:
            if not await self._send_data(stream, chunk, timeout, total_deadline):
                return
        self._end_request(stream)

    def _end_request(self, stream: _Stream) -> None:
        if not stream.local_closed and stream.error is None:
            stream.local_closed = True
            self._h2.end_stream(stream.stream_id)
            self._kick()

    async def _send_data(
        self, stream: _Stream, data: bytes, timeout: TimeoutConfig, total_deadline: float
    ) -> bool:
        """Queue ``data`` as DATA frames within the flow windows.

        Returns False when the server already finished the exchange (an
        early response or a reset), so the rest of the body is not wanted.
        """
        h = self._h2
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
            if size == 0 or (h.has_output and len(h._data_to_send) > _SEND_HIGH_WATER):
                if deadline == _INF:
                    deadline = phase_deadline(timeout.write, total_deadline)
                await self._wait_to_send(stream, size == 0, deadline, total_deadline)
                continue
            h.send_data(stream_id, bytes(view[offset : offset + size]))
            offset += size
            deadline = _INF  # progress: the write timeout starts again
        self._kick()
        return True

    async def _wait_to_send(
        self, stream: _Stream, for_window: bool, deadline: float, total_deadline: float
    ) -> None:
        # What is queued must go out first: the peer only opens its window
        # again after receiving (and reading) it.
        self._kick()
        with trio.CancelScope(deadline=deadline) as scope:
            if for_window:
                self._window_waiters.add(stream)
                try:
                    await stream.wait()
                finally:
                    self._window_waiters.discard(stream)
            else:
                await self._wait_drained()
        if scope.cancelled_caught:
            what = "waiting for the server's flow-control window" if for_window else "sending"
            raise timeout_error(WriteTimeout, deadline, total_deadline, what)

    async def _receive_head(
        self, stream: _Stream, request: Request, timeout: TimeoutConfig, total_deadline: float
    ) -> Response:
        deadline = phase_deadline(timeout.read, total_deadline)
        with trio.CancelScope(deadline=deadline) as scope:
            while True:
                if stream.informational is not None:
                    self._report_informational(stream, request)
                # An error first: a stream the server said it did not
                # process (GOAWAY below it) is sent elsewhere even if an
                # answer came after all.
                if stream.error is not None:
                    raise stream.error
                if stream.headers is not None:
                    break
                await stream.wait()
        if scope.cancelled_caught:
            raise timeout_error(ReadTimeout, deadline, total_deadline, "waiting for the response")
        assert stream.headers is not None
        extensions: dict[str, Any] = {"trailers": Headers(), "http2_stream_id": stream.stream_id}
        return Response(
            stream.status,
            headers=Headers.from_raw(stream.headers),
            stream=H2Body(self, stream, extensions, timeout.read, total_deadline),
            request=request,
            http_version="HTTP/2",
            extensions=extensions,
        )

    def _report_informational(self, stream: _Stream, request: Request) -> None:
        items, stream.informational = stream.informational or [], None
        hook = request.extensions.get("on_informational")
        if hook is not None:
            for status, headers in items:
                hook(status, Headers.from_raw(headers))

    def _abandon(self, stream: _Stream) -> None:
        """Finish with a stream: reset it if still open, free its slot. No checkpoint."""
        stream_id = stream.stream_id
        if self._streams.pop(stream_id, None) is None:
            return
        self._window_waiters.discard(stream)
        h = self._h2
        unread = stream.body.discard()
        if not self.closed and self._error is None:
            try:
                if unread:
                    h.acknowledge_received_data(unread, stream_id)
                if not (stream.ended and stream.local_closed):
                    h.reset_stream(stream_id, _CANCEL)
            except h2.exceptions.ProtocolError:
                pass  # the stream was already closed by the peer
            self._kick()
        h.forget_stream(stream_id)
        h.outbound_open -= 1
        self.release_slot()
        if self._goaway_last_id is not None and not self._streams:
            self.close_nowait()  # draining after GOAWAY, and now drained

    async def receive_body(
        self, stream: _Stream, read_timeout: float | None, total_deadline: float
    ) -> bytes | None:
        """The next body chunk, or None at the end. A checkpoint."""
        while True:
            body = stream.body
            if body:
                # Only a partial checkpoint when data is ready: a full one
                # would add a task switch per TLS record to large downloads,
                # and the next call waits for the reader anyway.
                await trio.lowlevel.checkpoint_if_cancelled()
                data, acknowledged = body.take()
                if acknowledged and not self.closed:
                    self._h2.acknowledge_received_data(acknowledged, stream.stream_id)
                    if self._h2.has_output:
                        self._kick()
                return data
            if stream.ended:
                await trio.lowlevel.checkpoint()
                return None
            if stream.error is not None:
                raise stream.error
            deadline = phase_deadline(read_timeout, total_deadline)
            with trio.CancelScope(deadline=deadline) as scope:
                await stream.wait()
            if scope.cancelled_caught:
                raise timeout_error(
                    ReadTimeout, deadline, total_deadline, "reading the response body"
                )


class H2Body(AsyncByteStream):
    """The body of one HTTP/2 response, read as the caller iterates.

    Trailers, if the server sends any, land in ``extensions["trailers"]``
    when the body ends.
    """

    __slots__ = ("_conn", "_done", "_extensions", "_read_timeout", "_stream", "_total_deadline")

    def __init__(
        self,
        conn: HTTP2Connection,
        stream: _Stream,
        extensions: dict[str, Any],
        read_timeout: float | None,
        total_deadline: float,
    ) -> None:
        self._conn = conn
        self._stream = stream
        self._extensions = extensions
        self._read_timeout = read_timeout
        self._total_deadline = total_deadline
        self._done = False

    def __aiter__(self) -> H2Body:
        return self

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        stream = self._stream
        try:
            data = await self._conn.receive_body(stream, self._read_timeout, self._total_deadline)
        except BaseException:
            self._done = True
            self._conn._abandon(stream)
            raise
        if data is not None:
            return data
        self._done = True
        if stream.trailers is not None:
            self._extensions["trailers"] = Headers.from_raw(stream.trailers)
        self._conn._abandon(stream)
        raise StopAsyncIteration

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
        self._conn._abandon(stream)
        return chunks

    async def aclose(self) -> None:
        """Close the body; an unfinished stream is reset (RST_STREAM CANCEL).

        The connection stays open for its other streams. A checkpoint only
        when the body was not read to its end.
        """
        if not self._done:
            self._done = True
            self._conn._abandon(self._stream)
            await trio.lowlevel.checkpoint()


# -- helpers ---------------------------------------------------------------


def _request_headers(request: Request) -> list[tuple[bytes, bytes]]:
    url = request.url
    authority = request.headers.get("Host") or url.netloc
    headers: list[tuple[bytes, bytes]] = [
        (b":method", request.method.encode("ascii")),
        (b":scheme", url.scheme.encode("ascii")),
        (b":authority", authority.encode("ascii")),
        (b":path", url.target),
    ]
    for name, value in request.headers.raw:
        lowered = name.lower()
        if lowered in _CONNECTION_HEADERS:
            continue
        if lowered == b"te" and value.lower() != b"trailers":
            continue  # RFC 9113 §8.2.2: only "trailers" may be sent
        headers.append((lowered, value))
    return headers


def _not_processed(stream: _Stream, message: str) -> RemoteProtocolError:
    """The error for a stream the server says it did not process.

    RFC 9113 §8.7: such a request may be sent again elsewhere. A server that
    says so after it began to answer contradicts itself; the caller, who
    has the response already, gets a plain protocol error.
    """
    if stream.headers is None:
        return RetryableStreamError(message)
    return RemoteProtocolError(f"{message}, after it began to answer it")


def _dispatch(handlers: dict[type[Any], Callable[[Any], None]], events: Iterable[Any]) -> None:
    for event in events:
        handler = handlers.get(type(event))
        if handler is not None:
            handler(event)


def _code_name(code: int) -> str:
    try:
        return h2.errors.ErrorCodes(code).name
    except ValueError:
        return f"error code {code:#x}"


def _protocol_error(exc: h2.exceptions.ProtocolError) -> RemoteProtocolError:
    cause = exc.__cause__ or exc.__context__
    message = str(exc)
    if isinstance(cause, hpack.OversizedHeaderListError) or "continuation" in message.lower():
        return ResponseTooLarge(f"the server sent too large a header block: {message}")
    return RemoteProtocolError(f"the server broke HTTP/2: {message}")


def _connection_error(exc: Exception) -> Exception:
    if isinstance(exc, RequestException):
        return exc
    return RemoteProtocolError(f"the HTTP/2 connection failed: {exc!r}")


def _copy_error(error: Exception) -> Exception:
    """A fresh exception per stream: each request owns its traceback."""
    if isinstance(error, RequestException):
        return type(error)(*error.args)
    return RemoteProtocolError(str(error))
