"""What an HTTP/2 connection's events mean for its streams: pure routing, no I/O.

How this works. :class:`StreamRouter` owns the state of one connection that
needs no ``await``: the table of open streams (a
:class:`~._http2_received.StreamState` per request), the stream slots, the
GOAWAY bookkeeping and the first error. The reader in ``_http2.py`` feeds it
the events :class:`~._http2_engine.H2Engine` makes of each read
(:meth:`StreamRouter.dispatch`); every handler updates a stream and wakes its
request through the stream's ``waker``, a callback the async shell sets while
a request waits. Nothing here imports Trio, so the rules below are tested
without sockets (``tests/test_http2_events.py``):

- a response, DATA, trailers or a reset go to their stream only; a header
  block breaking RFC 9113's field rules resets that stream (§8.1.1);
- DATA on a stream its request abandoned is handed back to the flow window
  at once;
- GOAWAY stops new streams; streams above the last id were not processed
  and are marked for a retry elsewhere (§8.7); a graceful GOAWAY lets the
  others finish, an error GOAWAY fails them;
- a connection failure fails every open stream, each with its own error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from .._exceptions import RemoteProtocolError, StreamReset
from ._http2_engine import H2Engine
from ._http2_errors import code_name, copy_error, not_processed, protocol_error
from ._http2_fields import MalformedFields, check_response_fields, check_trailer_fields
from ._http2_frames import DataChunk
from ._http2_received import StreamState
from ._http2_resend import RetryableStreamError, split_for_goaway
from ._http2_state import StreamSlots

# StreamState and protocol_error are re-exported: the connection imports them
# from here, beside the router.
__all__ = ["WAKE_BATCH", "StreamRouter", "StreamState", "code_name", "protocol_error"]

# Buffered bytes on one stream that wake its reader even while more arrive.
WAKE_BATCH = 256 * 1024
_CANCEL = h2.errors.ErrorCodes.CANCEL
_REFUSED = h2.errors.ErrorCodes.REFUSED_STREAM
_PROTOCOL_ERROR = h2.errors.ErrorCodes.PROTOCOL_ERROR
_NO_ERROR = h2.errors.ErrorCodes.NO_ERROR


class StreamRouter:
    """The streams, slots and GOAWAY state of one HTTP/2 connection.

    Args:
        engine: the connection's h2 state (frames to send are queued there;
            the shell's writer sends them).
        on_draining: called once when the connection stops taking new
            streams (GOAWAY, error, closing).
    """

    def __init__(self, engine: H2Engine, on_draining: Callable[[], None]) -> None:
        self._h2 = engine
        self._on_draining: Callable[[], None] | None = on_draining
        self.streams: dict[int, StreamState] = {}
        self.window_waiters: set[StreamState] = set()
        self.slots = StreamSlots()
        self.error: Exception | None = None
        # The server refused this client in a way any new connection would
        # meet too (TLS refusal, another protocol): nothing is sent again.
        self.refused = False
        self.goaway_last_id: int | None = None
        # Streams with new DATA whose request has not been woken yet: a
        # download arrives in many reads, and the shell wakes them once the
        # reader would block (see flush_wakes).
        self.deferred_wakes: list[StreamState] = []
        # Called once, when the server's first SETTINGS frame has been
        # applied (extended CONNECT waits for it, RFC 8441 §3).
        self.on_first_settings: Callable[[], None] | None = None
        self._handlers: dict[type[Any], Callable[[Any], None]] = {
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

    # -- events -------------------------------------------------------------

    def dispatch(self, events: Iterable[Any]) -> None:
        """Apply received events, in order; events of no interest are skipped."""
        handlers = self._handlers
        for event in events:
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)

    def flush_wakes(self) -> None:
        """Wake the requests whose DATA arrived since the last flush."""
        deferred, self.deferred_wakes = self.deferred_wakes, []
        for stream in deferred:
            stream.wake_deferred = False
            stream.wake()

    def _on_response(self, event: h2.events.ResponseReceived) -> None:
        stream = self.streams.get(event.stream_id)
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

    def _malformed(self, stream: StreamState, message: str) -> None:
        """A stream error (RFC 9113 §8.1.1): reset that stream, fail its request."""
        stream.malformed = True
        if stream.error is None:
            stream.error = RemoteProtocolError(message)
        try:
            self._h2.reset_stream(stream.stream_id, _PROTOCOL_ERROR)
        except h2.exceptions.ProtocolError:
            pass  # already closed by the peer
        stream.wake()

    def _on_data(self, event: DataChunk | h2.events.DataReceived) -> None:
        stream_id: int = event.stream_id
        stream = self.streams.get(stream_id)
        length: int = event.flow_controlled_length
        if stream is None:
            # Abandoned by its request: hand the bytes back at once.
            if length:
                self._h2.acknowledge_received_data(length, stream_id)
            return
        body = stream.body
        body.push(event.data, length)
        if body.buffered >= WAKE_BATCH or stream.waker is None:
            stream.wake()
        elif not stream.wake_deferred:
            stream.wake_deferred = True
            self.deferred_wakes.append(stream)

    def _on_end(self, event: h2.events.StreamEnded) -> None:
        stream = self.streams.get(event.stream_id)
        if stream is not None and not stream.malformed:
            stream.ended = True
            stream.wake()

    def _on_trailers(self, event: h2.events.TrailersReceived) -> None:
        stream = self.streams.get(event.stream_id)
        if stream is not None:
            try:
                stream.trailers = check_trailer_fields(list(event.headers))
            except MalformedFields as exc:
                # The body is not reported as complete: its end was malformed.
                self._malformed(stream, f"malformed trailers: {exc}")

    def _on_informational(self, event: h2.events.InformationalResponseReceived) -> None:
        stream = self.streams.get(event.stream_id)
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
        stream = self.streams.get(event.stream_id)
        if stream is None:
            return
        code = int(event.error_code)
        if code == _REFUSED:
            stream.error = not_processed(
                stream, f"the server refused stream {stream.stream_id} (REFUSED_STREAM)"
            )
        elif not (stream.ended and code == _NO_ERROR):
            # RFC 9113 §8.1: NO_ERROR after a complete response only means
            # "stop sending the request body".
            stream.error = StreamReset(
                f"the server reset the stream ({code_name(code)})", error_code=code
            )
        stream.local_closed = True
        stream.wake()
        self.window_waiters.discard(stream)

    def _on_window(self, event: h2.events.WindowUpdated) -> None:
        if event.stream_id:
            stream = self.streams.get(event.stream_id)
            if stream is not None:
                stream.wake()
            return
        for stream in self.window_waiters:
            stream.wake()

    def _on_settings(self, event: h2.events.RemoteSettingsChanged) -> None:
        first, self.on_first_settings = self.on_first_settings, None
        if first is not None:
            first()
        changed = event.changed_settings
        limit = changed.get(h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS)
        if limit is not None:
            for waiter in self.slots.set_max_concurrent(limit.new_value):
                waiter.wake()
        if h2.settings.SettingCodes.INITIAL_WINDOW_SIZE in changed:
            for stream in self.window_waiters:
                stream.wake()

    def _on_goaway(self, event: h2.events.ConnectionTerminated) -> None:
        last_id: int = event.last_stream_id or 0
        if self.goaway_last_id is not None:
            # RFC 9113 §6.8: a later GOAWAY may lower the last id, never raise it.
            last_id = min(last_id, self.goaway_last_id)
        code = int(event.error_code or 0)
        self.goaway_last_id = last_id
        self.stop_accepting()
        keep, retry = split_for_goaway(self.streams, last_id)
        for stream_id in retry:
            stream = self.streams[stream_id]
            stream.error = not_processed(
                stream, f"the server sent GOAWAY before processing stream {stream_id}"
            )
            stream.local_closed = True
            stream.wake()
        if code == _NO_ERROR:
            return
        error = RemoteProtocolError(
            f"the server closed the HTTP/2 connection ({code_name(code)}"
            + (f": {event.additional_data!r}" if event.additional_data else "")
            + ")"
        )
        for stream_id in keep:
            stream = self.streams[stream_id]
            if stream.error is None and not stream.ended:
                stream.error = self._lost_error(stream, error)
            stream.wake()
        self.connection_failed(error)

    def _on_push(self, event: h2.events.PushedStreamReceived) -> None:
        # We sent SETTINGS_ENABLE_PUSH=0; a push racing that setting is refused.
        if event.pushed_stream_id:
            self._h2.reset_stream(event.pushed_stream_id, _REFUSED)

    # -- the connection's end -------------------------------------------------

    def stop_accepting(self) -> None:
        """Take no new streams: refuse every slot waiter, tell the pool once."""
        for waiter in self.slots.stop_accepting():
            waiter.wake()
        on_draining, self._on_draining = self._on_draining, None
        if on_draining is not None:
            on_draining()

    def connection_failed(self, error: Exception, *, refused: bool = False) -> None:
        """The connection is done for: take no new stream from now on.

        ``refused``: the server refused this client as it would on any
        connection, so no stream is sent again elsewhere. The first error
        is kept; :meth:`fail_streams` hands it to the open streams once the
        reader has stopped. Stopping new streams at once
        matters: until the shell has unwound its tasks, the pool would
        otherwise keep handing out a connection that can only fail.
        """
        if self.error is None:
            self.error = error
            self.refused = refused
        self.stop_accepting()

    def fail_streams(self, error: Exception) -> None:
        """Fail every open stream (a connection-level failure), each with its own error."""
        self.connection_failed(error)
        goaway_id = self.goaway_last_id
        for stream in list(self.streams.values()):
            if stream.error is None and not stream.ended:
                if goaway_id is not None and stream.stream_id > goaway_id:
                    stream.error = not_processed(
                        stream, "the server closed the connection before processing this request"
                    )
                else:
                    stream.error = self._lost_error(stream, error)
            stream.wake()
        for stream in self.window_waiters:
            stream.wake()

    def _lost_error(self, stream: StreamState, error: Exception) -> Exception:
        """The error for a stream the connection ended under, at or below the last id.

        A stream that got no answer is sent again when its request is
        idempotent (see RetryableStreamError), unless the server refused
        this client; one answered in part fails.
        """
        if stream.headers is None and not self.refused:
            return RetryableStreamError(
                f"{error} before answering stream {stream.stream_id}", lost=copy_error(error)
            )
        return copy_error(error)
