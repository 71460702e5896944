"""h2's client connection, tuned for many streams and fast downloads. No I/O.

How this works. :class:`H2Engine` is h2's ``H2Connection`` with these
changes, each keeping h2 the authority on protocol state:

- **Stream counting.** h2 counts open streams by walking every stream it
  knows on each new stream; the connection counts them itself
  (``outbound_open``) and forgets closed streams as they end.
- **Frames are split here** (RFC 9113 §4.1: a 9-byte header, then the
  payload). h2 builds three or four objects per frame (the frame, its
  flags, its padding) and walks a generator; with nginx's 8 KiB DATA
  frames that was over half the CPU of a download. So
  :meth:`H2Engine.receive_data` splits the bytes into frames itself and:

  - hands every frame that is not DATA to h2, unchanged and in order
    (runs of them in one call), so SETTINGS, HEADERS, CONTINUATION,
    RST_STREAM, GOAWAY and the rest keep h2's own handling;
  - on an open stream, takes a DATA frame without END_STREAM or padding
    in a few steps, through the same h2 bookkeeping h2 would use: the
    connection and stream flow-control windows, and the stream's
    Content-Length count;
  - gives every other DATA frame (END_STREAM, padding, an unknown or closed
    stream, a closing connection) to h2's own DATA handler;
  - joins the DATA of consecutive frames on one stream into one
    :class:`DataChunk` event, so a 256 KiB read is one event and one
    copy, not 32.

  Inside a header block (HEADERS or PUSH_PROMISE without END_HEADERS, until
  the CONTINUATION that ends it) every frame goes to h2, which rejects
  anything but CONTINUATION. A frame longer than our SETTINGS_MAX_FRAME_SIZE
  is refused as soon as its header arrives (FRAME_SIZE_ERROR), instead of
  after buffering up to 16 MiB of it.
- **GOAWAY is not the end of the read.** h2 closes its state machine and
  drops queued frames on GOAWAY, so the responses a server sends right
  behind a graceful GOAWAY (nginx and hypercorn end every connection after
  1,000 requests this way) would fail the connection. The engine keeps the
  queue and the connection open; the connection decides what GOAWAY means.
- **A bounded closed-stream record** (:data:`CLOSED_STREAMS_KEPT`) instead
  of h2's 65,536 entries.
- **Cheap reprs.** h2 formats ``repr(frame)`` for its trace log on every
  frame whether or not anything logs it; a DATA frame's repr hex-encodes
  its payload.

This class and :mod:`._http2_h2compat`, which probes at import whether the
installed h2 has each private member used here, are the only places that
touch h2's private members; without one, h2's own handling applies.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, NoReturn

import h2.connection
import h2.exceptions
import h2.settings
import hyperframe.frame

from ._http2_frames import DataChunk, LightDataFrame, QuietDataFrame, join_data
from ._http2_h2compat import H2_CONFIG, LEAN_DATA, LEAN_GOAWAY, RECEIVING_STATES

if TYPE_CHECKING:
    from h2._typing import Buffer

    from ._http2_state import HTTP2Settings

# The configuration, the probes and the DATA event are re-exported beside the engine.
__all__ = ["CLOSED_STREAMS_KEPT", "H2_CONFIG", "LEAN_DATA", "LEAN_GOAWAY", "DataChunk", "H2Engine"]

# RFC 9113 §4.1: length (24 bits, read as 8 + 16), type, flags, stream id
# (with the reserved bit, masked off).
_FRAME_HEAD = struct.Struct(">BHBBL")
_FRAME_HEAD_SIZE = 9
_STREAM_ID_MASK = 0x7FFF_FFFF
# RFC 9113 §6: frame types and flags the splitter looks at.
_DATA, _HEADERS, _PUSH_PROMISE, _CONTINUATION = 0x0, 0x1, 0x5, 0x9
_HEADER_BLOCK_TYPES = frozenset({_HEADERS, _PUSH_PROMISE, _CONTINUATION})
_END_STREAM, _END_HEADERS, _PADDED = 0x1, 0x4, 0x8
_CLIENT_OPEN = h2.connection.ConnectionState.CLIENT_OPEN
# How many closed streams h2 remembers, per connection (see H2Engine).
CLOSED_STREAMS_KEPT = 1024


class H2Engine(h2.connection.H2Connection):
    """h2's client connection with our stream count and frame splitter.

    ``outbound_open`` is kept by the owner: +1 after ``send_headers`` opens a
    stream, -1 when :meth:`forget_stream` drops it.
    """

    outbound_open = 0
    # h2 remembers how each of the last 65,536 closed streams ended (about
    # 12 MB on a long-lived connection) to tell a late frame on a reset
    # stream (answered with RST_STREAM) from a protocol error. Late frames
    # arrive within a round trip, so a client needs only the recent ones;
    # an older stream of ours counts as reset (see _stream_is_closed_by_reset).
    MAX_CLOSED_STREAMS = CLOSED_STREAMS_KEPT

    def __init__(self) -> None:
        super().__init__(config=H2_CONFIG)
        # h2 dispatches on the frame's class; ours are DATA frames too.
        table: dict[Any, Any] | None = getattr(self, "_frame_dispatch_table", None)
        if table is not None:
            table[QuietDataFrame] = table[LightDataFrame] = self._receive_data_frame
        # The start of a frame whose end has not arrived yet.
        self._partial = b""
        self._in_header_block = False

    # -- what h2 asks of us ----------------------------------------------

    def start_client(self, settings: HTTP2Settings) -> None:
        """Queue the client preface: our SETTINGS (no push, ``settings``' windows
        and header limit) and the connection window's increment. No I/O.
        """
        self.local_settings = h2.settings.Settings(
            client=True,
            initial_values={
                h2.settings.SettingCodes.ENABLE_PUSH: 0,
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: settings.stream_window,
                h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: settings.max_header_list_size,
                h2.settings.SettingCodes.MAX_FRAME_SIZE: self.max_inbound_frame_size,
            },
        )
        self.initiate_connection()
        if settings.connection_window_increment:
            self.increment_flow_control_window(settings.connection_window_increment)
        # Our decoder enforces the limit at once; the SETTINGS tell the server.
        self.decoder.max_header_list_size = settings.max_header_list_size

    def _receive_frame(self, frame: Any) -> Any:
        if type(frame) is hyperframe.frame.DataFrame:
            frame.__class__ = QuietDataFrame
        return super()._receive_frame(frame)

    @property
    def open_outbound_streams(self) -> int:
        return self.outbound_open

    def forget_stream(self, stream_id: int) -> None:
        stream = self.streams.pop(stream_id, None)
        if stream is not None:
            # h2 answers late frames on forgotten streams from this record.
            self._closed_streams[stream_id] = stream.closed_by

    def _stream_is_closed_by_reset(self, stream_id: int) -> bool:
        if super()._stream_is_closed_by_reset(stream_id):
            return True
        if not LEAN_GOAWAY:
            return False
        # One of our streams that fell out of the bounded record: a late
        # frame on it is a stream error, never a reason to end every other
        # stream on the connection.
        return (
            stream_id % 2 == 1
            and stream_id not in self.streams
            and stream_id not in self._closed_streams
        )

    @property
    def has_output(self) -> bool:
        return bool(self._data_to_send)

    @property
    def queued_bytes(self) -> int:
        """Bytes queued to send and not yet taken by ``data_to_send``."""
        return len(self._data_to_send)

    def _receive_goaway_frame(self, frame: Any) -> Any:
        # h2 drops every frame we queued and moves to CLOSED when GOAWAY
        # arrives, so the next frame in the same read (servers send their
        # last responses right behind a graceful GOAWAY) would fail the
        # whole connection. RFC 9113 §6.8: streams up to the last id may
        # still complete, and what we queued for them (DATA, WINDOW_UPDATE,
        # RST_STREAM) must still go out. The connection stops opening
        # streams itself (HTTP2Connection._on_goaway).
        if not LEAN_GOAWAY:
            return super()._receive_goaway_frame(frame)
        queued = self._data_to_send
        result = super()._receive_goaway_frame(frame)
        self._data_to_send = queued + self._data_to_send
        self.state_machine.state = _CLIENT_OPEN
        return result

    # -- receiving ---------------------------------------------------------

    def receive_data(self, data: Buffer) -> list[Any]:
        """Take received bytes; return the events they make, in order.

        h2's events, with :class:`DataChunk` in place of ``DataReceived``
        for DATA taken by the fast step (see the module docstring).

        Raises:
            h2.exceptions.ProtocolError: the peer broke the protocol; a GOAWAY
                is queued, as h2 does. Its ``events_before`` attribute holds
                the events of the frames before the offending one that were
                taken already (a response completed in the same read still
                counts); frames in the same run of non-DATA frames as the
                offending one are lost inside h2.
        """
        events: list[Any] = []
        try:
            self._receive(data, events)
        except h2.exceptions.ProtocolError as exc:
            exc.events_before = events  # type: ignore[attr-defined]
            raise
        return events

    def _receive(self, data: Buffer, events: list[Any]) -> None:
        if self._partial:
            view = memoryview(self._partial + memoryview(data))
            self._partial = b""
        else:
            view = memoryview(data)
        size = len(view)
        position = 0  # where the next frame starts
        handed = 0  # the bytes before this were handled already
        # DATA taken by the fast step and not yet made an event: its stream,
        # its payloads and their flow-controlled size.
        joining_id = 0
        joined: list[memoryview] = []
        joined_length = 0

        def flush_joined() -> None:
            # The run's flow control is counted here, once: nothing between
            # its frames could change the stream or the windows.
            nonlocal joined, joined_length
            if joined:
                self._account_data(joining_id, joined_length)
                events.append(join_data(joining_id, joined, joined_length))
                joined, joined_length = [], 0

        while size - position >= _FRAME_HEAD_SIZE:
            high, low, kind, flags, stream_id = _FRAME_HEAD.unpack_from(view, position)
            length = (high << 16) | low
            if length > self.max_inbound_frame_size:
                self._refuse(
                    h2.exceptions.FrameTooLargeError(
                        f"Received overlong frame: length {length}, "
                        f"max {self.max_inbound_frame_size}"
                    )
                )
            end = position + _FRAME_HEAD_SIZE + length
            if end > size:
                break
            if kind != _DATA or self._in_header_block:
                # h2's, in a run handed over when DATA follows or at the end.
                if kind in _HEADER_BLOCK_TYPES:
                    self._in_header_block = not flags & _END_HEADERS
                position = end
                continue
            stream_id &= _STREAM_ID_MASK
            if handed < position:
                # The run before this frame may change the stream (a reset,
                # say): h2 sees it first.
                flush_joined()
                events += super().receive_data(view[handed:position])
            if not flags & (_END_STREAM | _PADDED) and (
                (joined and stream_id == joining_id) or self._takes_data(stream_id)
            ):
                if stream_id != joining_id:
                    flush_joined()
                    joining_id = stream_id
                joined.append(view[position + _FRAME_HEAD_SIZE : end])
                joined_length += length
            else:
                flush_joined()
                if flags & _PADDED:
                    # Rare: hyperframe strips and checks the padding.
                    events += super().receive_data(view[position:end])
                else:
                    payload = bytes(view[position + _FRAME_HEAD_SIZE : end])
                    frame = LightDataFrame(stream_id, payload, bool(flags & _END_STREAM))
                    try:
                        events += self._receive_frame(frame)
                    except h2.exceptions.ProtocolError as exc:
                        self._refuse(exc)
            position = handed = end
        flush_joined()
        if handed < position:
            events += super().receive_data(view[handed:position])
        if position < size:
            self._partial = bytes(view[position:])

    def _refuse(self, exc: h2.exceptions.ProtocolError) -> NoReturn:
        """As h2's receive_data does on a protocol error: queue GOAWAY, raise."""
        self._terminate_connection(exc.error_code)
        raise exc

    def _takes_data(self, stream_id: int) -> bool:
        """Whether a DATA frame on ``stream_id`` may skip h2's own handler.

        Not when the stream is unknown or closed, the connection is closing,
        or h2 lacks the members used here: then h2 handles the frame.
        """
        if not LEAN_DATA or self.state_machine.state is not _CLIENT_OPEN:
            return False
        stream: Any = self.streams.get(stream_id)
        return stream is not None and stream.state_machine.state in RECEIVING_STATES

    def _account_data(self, stream_id: int, length: int) -> None:
        """Count ``length`` bytes of DATA on a stream that takes data, as h2 would."""
        stream: Any = self.streams[stream_id]
        # RFC 9113 §6.9: DATA counts against both windows (FlowControlError
        # when the peer overruns one), and Content-Length is checked as it
        # arrives (§8.1.1).
        try:
            self._inbound_flow_control_window_manager.window_consumed(length)
            stream._inbound_window_manager.window_consumed(length)
            stream._track_content_length(length, False)
        except h2.exceptions.ProtocolError as exc:
            self._refuse(exc)
