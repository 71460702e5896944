"""H2Engine's frame splitter and fast DATA step, against plain h2. No I/O.

The main property: for any traffic a server sends, cut into reads at any
points, H2Engine yields the same events (DATA joined per stream), ends in
the same flow-control state and queues the same bytes to send as h2's own
H2Connection fed the same reads.
"""

from __future__ import annotations

from typing import Any

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings
import pytest
from hyperframe.frame import ContinuationFrame, DataFrame, HeadersFrame
from hypothesis import given, settings
from hypothesis import strategies as st

from trio_http._transports._http2_engine import (
    CLOSED_STREAMS_KEPT,
    H2_CONFIG,
    LEAN_DATA,
    LEAN_GOAWAY,
    DataChunk,
    H2Engine,
)

REQUEST = [(b":method", b"GET"), (b":scheme", b"https"), (b":authority", b"x"), (b":path", b"/")]
MAX_FRAME = 65536


def client_pair() -> tuple[H2Engine, h2.connection.H2Connection]:
    """An H2Engine and a plain h2 client, set up alike, plus nothing sent yet."""
    engine = H2Engine()
    plain = h2.connection.H2Connection(config=H2_CONFIG)
    for client in (engine, plain):
        client.local_settings = h2.settings.Settings(
            client=True,
            initial_values={
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20,
                h2.settings.SettingCodes.MAX_FRAME_SIZE: MAX_FRAME,
            },
        )
        client.max_inbound_frame_size = MAX_FRAME
        client.initiate_connection()
        client.increment_flow_control_window((4 << 20) - 65535)
    return engine, plain


def connect(streams: int) -> tuple[H2Engine, h2.connection.H2Connection, Any, bytes]:
    """Both clients open ``streams`` requests.

    Returns both, a server that read their preface, and the server's first bytes.
    """
    engine, plain = client_pair()
    for index in range(streams):
        for client in (engine, plain):
            client.send_headers(2 * index + 1, REQUEST, end_stream=True)
            if client is engine:
                engine.outbound_open += 1
    preface = engine.data_to_send()
    assert preface == plain.data_to_send()
    server = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    server.initiate_connection()
    server.receive_data(preface)
    server.max_outbound_frame_size = MAX_FRAME
    return engine, plain, server, server.data_to_send()


def normalise(events: list[Any]) -> list[Any]:
    """Comparable events: DATA as (stream, bytes, flow length), joined per stream run."""
    result: list[Any] = []
    for event in events:
        if isinstance(event, (DataChunk, h2.events.DataReceived)):
            item = ["data", event.stream_id, bytes(event.data), event.flow_controlled_length]
            last = result[-1] if result else None
            if isinstance(last, list) and last[0] == "data" and last[1] == item[1]:
                last[2] += item[2]
                last[3] += item[3]
                continue
            result.append(item)
        else:
            result.append(repr(event))
    return result


def feed(client: Any, wire: bytes, cuts: list[int]) -> list[Any]:
    events: list[Any] = []
    start = 0
    for cut in [*sorted(cuts), len(wire)]:
        events += client.receive_data(wire[start:cut])
        start = cut
    return events


def windows(client: Any) -> tuple[int, dict[int, int]]:
    return (
        client._inbound_flow_control_window_manager.current_window_size,
        {
            stream_id: stream._inbound_window_manager.current_window_size
            for stream_id, stream in client.streams.items()
        },
    )


# One thing the server does: (action, stream index, size, extra).
actions = st.lists(
    st.tuples(
        st.sampled_from(["data", "data", "data", "padded", "end", "reset", "ping", "headers"]),
        st.integers(0, 2),
        st.integers(0, 20_000),
        st.integers(0, 255),
    ),
    max_size=25,
)


def serve(server: Any, plan: list[tuple[str, int, int, int]], streams: int) -> bytes:
    """Turn a plan into the bytes a server sends (headers first on every stream)."""
    for index in range(streams):
        server.send_headers(2 * index + 1, [(b":status", b"200")])
    ended: set[int] = set()
    for action, index, size, extra in plan:
        stream_id = 2 * index + 1
        if action == "ping":
            server.ping(bytes([extra]) * 8)
            continue
        if stream_id in ended:
            continue
        payload = bytes([extra]) * size
        window = min(server.local_flow_control_window(stream_id), size)
        if action in ("data", "padded", "end"):
            sent = 0
            while sent < window or (action == "end" and sent == 0):
                piece = payload[sent : sent + min(window - sent, 8192)]
                last = action == "end" and sent + len(piece) >= window
                pad = extra % 32 if action == "padded" else None
                if pad is not None and len(piece) + pad + 1 > 8192:
                    piece = piece[: 8192 - pad - 1]
                server.send_data(stream_id, piece, end_stream=last, pad_length=pad)
                sent += len(piece)
                if last:
                    ended.add(stream_id)
                    break
                if not piece:
                    break
        elif action == "reset":
            server.reset_stream(stream_id, h2.errors.ErrorCodes.CANCEL)
            ended.add(stream_id)
        elif action == "headers":
            server.send_headers(stream_id, [(b"x-trailer", b"1")], end_stream=True)
            ended.add(stream_id)
    return server.data_to_send()


@settings(max_examples=150, deadline=None)
@given(plan=actions, cut_points=st.lists(st.floats(0, 1), max_size=12))
def test_engine_matches_h2_for_any_traffic_and_any_reads(
    plan: list[tuple[str, int, int, int]], cut_points: list[float]
) -> None:
    engine, plain, server, settings_bytes = connect(streams=3)
    wire = settings_bytes + serve(server, plan, streams=3)
    cuts = [int(point * len(wire)) for point in cut_points]
    engine_events = feed(engine, wire, cuts)
    plain_events = feed(plain, wire, cuts)
    assert normalise(engine_events) == normalise(plain_events)
    assert windows(engine) == windows(plain)
    assert engine.data_to_send() == plain.data_to_send()
    # Acknowledging what was received gives the same WINDOW_UPDATEs.
    for stream_id in list(plain.streams):
        received = sum(
            e.flow_controlled_length
            for e in plain_events
            if isinstance(e, h2.events.DataReceived) and e.stream_id == stream_id
        )
        for client in (engine, plain):
            if received and stream_id in client.streams:
                client.acknowledge_received_data(received, stream_id)
    assert engine.data_to_send() == plain.data_to_send()


def test_installed_h2_has_what_the_fast_data_step_uses() -> None:
    assert LEAN_DATA


def test_consecutive_data_frames_on_a_stream_are_one_chunk() -> None:
    engine, _, server, settings_bytes = connect(streams=1)
    engine.receive_data(settings_bytes)
    server.send_headers(1, [(b":status", b"200")])
    engine.receive_data(server.data_to_send())
    for index in range(32):
        server.send_data(1, bytes([index]) * 8192)
    events = engine.receive_data(server.data_to_send())
    assert len(events) == 1
    (chunk,) = events
    assert type(chunk) is DataChunk
    assert chunk.stream_id == 1
    assert chunk.data == b"".join(bytes([index]) * 8192 for index in range(32))
    assert chunk.flow_controlled_length == 32 * 8192


def test_a_frame_split_across_reads_is_joined_first() -> None:
    engine, _, server, settings_bytes = connect(streams=1)
    engine.receive_data(settings_bytes)
    server.send_headers(1, [(b":status", b"200")])
    engine.receive_data(server.data_to_send())
    server.send_data(1, b"a" * 1000)
    wire = server.data_to_send()
    assert engine.receive_data(wire[:4]) == []
    assert engine.receive_data(wire[4:500]) == []
    (chunk,) = engine.receive_data(wire[500:])
    assert chunk.data == b"a" * 1000


def test_data_on_streams_in_turn_keeps_its_order() -> None:
    engine, _, server, settings_bytes = connect(streams=2)
    engine.receive_data(settings_bytes)
    for stream_id in (1, 3):
        server.send_headers(stream_id, [(b":status", b"200")])
    engine.receive_data(server.data_to_send())
    for payload, stream_id in ((b"1", 1), (b"2", 3), (b"3", 1), (b"4", 1)):
        server.send_data(stream_id, payload)
    events = engine.receive_data(server.data_to_send())
    assert [(e.stream_id, e.data) for e in events] == [(1, b"1"), (3, b"2"), (1, b"34")]


def test_an_overlong_frame_is_refused_from_its_header_alone() -> None:
    engine, _, _, settings_bytes = connect(streams=1)
    engine.receive_data(settings_bytes)
    engine.data_to_send()
    frame = DataFrame(1, data=b"x" * (MAX_FRAME + 1)).serialize()
    with pytest.raises(h2.exceptions.FrameTooLargeError):
        engine.receive_data(frame[:9])  # h2 itself would wait for all of it
    assert goaway_code(engine.data_to_send()) == h2.errors.ErrorCodes.FRAME_SIZE_ERROR


def test_data_beyond_the_stream_window_is_a_flow_control_error() -> None:
    engine, _, server, settings_bytes = connect(streams=1)
    engine.receive_data(settings_bytes)
    server.send_headers(1, [(b":status", b"200")])
    engine.receive_data(server.data_to_send())
    engine.data_to_send()
    # Raw frames: the server's own h2 would refuse to overrun the window.
    overrun = b"".join(DataFrame(1, data=b"x" * 60_000).serialize() for _ in range(18))
    with pytest.raises(h2.exceptions.FlowControlError):
        engine.receive_data(overrun)
    assert goaway_code(engine.data_to_send()) == h2.errors.ErrorCodes.FLOW_CONTROL_ERROR


def test_data_beyond_content_length_is_a_protocol_error() -> None:
    engine, plain, server, settings_bytes = connect(streams=1)
    server.send_headers(1, [(b":status", b"200"), (b"content-length", b"10")])
    server.send_data(1, b"x" * 8)
    head = settings_bytes + server.data_to_send()
    extra = DataFrame(1, data=b"x" * 8).serialize()
    for client in (engine, plain):
        client.receive_data(head)
        with pytest.raises(h2.exceptions.InvalidBodyLengthError):
            client.receive_data(extra)
    assert engine.data_to_send() == plain.data_to_send()


def test_data_inside_a_header_block_is_a_protocol_error() -> None:
    engine, _, _, settings_bytes = connect(streams=1)
    engine.receive_data(settings_bytes)
    engine.data_to_send()
    block = server_header_block()
    headers = HeadersFrame(1, data=block[:5]).serialize()  # no END_HEADERS
    data = DataFrame(1, data=b"x").serialize()
    engine.receive_data(headers)
    with pytest.raises(h2.exceptions.ProtocolError, match="header block"):
        engine.receive_data(data)
    assert goaway_code(engine.data_to_send()) == h2.errors.ErrorCodes.PROTOCOL_ERROR


def test_continuation_ends_the_header_block_and_data_follows() -> None:
    engine, _, _, settings_bytes = connect(streams=1)
    engine.receive_data(settings_bytes)
    block = server_header_block()
    continuation = ContinuationFrame(1, data=block[5:])
    continuation.flags.add("END_HEADERS")
    wire = (
        HeadersFrame(1, data=block[:5]).serialize()
        + continuation.serialize()
        + DataFrame(1, data=b"body").serialize()
    )
    events = engine.receive_data(wire)
    assert [type(e) for e in events] == [h2.events.ResponseReceived, DataChunk]
    assert events[1].data == b"body"


def test_data_after_a_reset_in_the_same_read_goes_to_h2() -> None:
    engine, plain, server, settings_bytes = connect(streams=1)
    server.send_headers(1, [(b":status", b"200")])
    server.reset_stream(1, h2.errors.ErrorCodes.CANCEL)
    late = DataFrame(1, data=b"late").serialize()
    wire = settings_bytes + server.data_to_send() + late
    assert normalise(engine.receive_data(wire)) == normalise(plain.receive_data(wire))
    # h2 answers DATA on a reset stream with RST_STREAM and credits the window.
    assert engine.data_to_send() == plain.data_to_send()


def server_header_block() -> bytes:
    from hpack import Encoder

    return bytes(Encoder().encode([(b":status", b"200"), (b"x-long", b"v" * 40)]))


def goaway_code(data: bytes) -> int:
    from hyperframe.frame import Frame, GoAwayFrame

    position = 0
    while position < len(data):
        frame, length = Frame.parse_frame_header(memoryview(data[position : position + 9]))
        frame.parse_body(memoryview(data[position + 9 : position + 9 + length]))
        if isinstance(frame, GoAwayFrame):
            return int(frame.error_code)
        position += 9 + length
    raise AssertionError("no GOAWAY queued")


# -- GOAWAY and the closed-stream record -----------------------------------------

SETTINGS_ACK = b"\x00\x00\x00\x04\x01\x00\x00\x00\x00"


def goaway_then(server: Any, follower: str, last_stream_id: int) -> bytes:
    """A graceful GOAWAY, then ``follower`` and stream 1's response, as one write."""
    wire = b""
    if follower == "data":
        server.send_headers(1, [(b":status", b"200")])
        wire += server.data_to_send()
    server.close_connection(error_code=0, last_stream_id=last_stream_id)
    # The server goes on sending for streams up to the last id (RFC 9113 §6.8).
    server.state_machine.state = h2.connection.ConnectionState.SERVER_OPEN
    if follower == "ping":
        server.ping(b"pingpong")
    elif follower == "settings":
        server.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 100_000})
    wire += server.data_to_send()
    if follower == "settings-ack":
        wire += SETTINGS_ACK
    if follower != "data":
        server.send_headers(1, [(b":status", b"200")])
    server.send_data(1, b"body", end_stream=True)
    return wire + server.data_to_send()


@pytest.mark.parametrize("follower", ["headers", "data", "settings-ack", "settings", "ping"])
def test_frames_behind_a_goaway_in_the_same_read_are_taken(follower: str) -> None:
    engine, _, server, settings_bytes = connect(streams=2)
    engine.receive_data(settings_bytes)
    engine.data_to_send()
    events = engine.receive_data(goaway_then(server, follower, last_stream_id=1))
    kinds = [type(event) for event in events]
    terminated = kinds.index(h2.events.ConnectionTerminated)
    assert events[terminated].last_stream_id == 1
    after = kinds[terminated:]
    assert h2.events.StreamEnded in after
    assert any(
        isinstance(e, (DataChunk, h2.events.DataReceived)) and e.data == b"body" for e in events
    )
    if follower == "ping":
        assert h2.events.PingReceived in after
        assert b"pingpong" in engine.data_to_send()  # the PING ACK goes out
    if follower == "settings":
        assert h2.events.RemoteSettingsChanged in after
        assert SETTINGS_ACK in engine.data_to_send()


def test_a_goaway_keeps_what_was_queued_before_it() -> None:
    engine, _, server, settings_bytes = connect(streams=0)
    engine.receive_data(settings_bytes)
    engine.send_headers(1, REQUEST)
    engine.outbound_open += 1
    engine.send_data(1, b"upload")
    server.receive_data(engine.data_to_send())
    # Queued, not yet sent, when the GOAWAY arrives.
    engine.send_data(1, b"more upload", end_stream=True)
    queued = bytes(engine._data_to_send)
    server.close_connection(error_code=0, last_stream_id=1)
    server.state_machine.state = h2.connection.ConnectionState.SERVER_OPEN
    engine.receive_data(server.data_to_send())
    assert engine.data_to_send().startswith(queued)
    # The stream at the last id can still finish its upload.
    events = server.receive_data(queued)
    assert any(isinstance(e, h2.events.StreamEnded) for e in events)


def test_the_closed_stream_record_is_bounded() -> None:
    engine, _, _server, settings_bytes = connect(streams=0)
    engine.receive_data(settings_bytes)
    count = CLOSED_STREAMS_KEPT * 3
    for index in range(count):
        stream_id = 2 * index + 1
        engine.send_headers(stream_id, REQUEST, end_stream=True)
        engine.reset_stream(stream_id, h2.errors.ErrorCodes.CANCEL)
        engine.forget_stream(stream_id)
    assert len(engine._closed_streams) == CLOSED_STREAMS_KEPT
    engine.data_to_send()
    # A late frame on a stream that fell out of the record is a stream
    # error (RST_STREAM back), not the end of the connection.
    late = DataFrame(1, data=b"late").serialize()
    assert engine.receive_data(late) == []
    sent = engine.data_to_send()
    assert sent and goaway_or_none(sent) is None


def goaway_or_none(data: bytes) -> int | None:
    try:
        return goaway_code(data)
    except AssertionError:
        return None


def test_installed_h2_has_what_the_goaway_step_uses() -> None:
    assert LEAN_GOAWAY


def test_engine_takes_goaway_frames_itself() -> None:
    from hyperframe.frame import GoAwayFrame

    engine = H2Engine()
    handler = engine._frame_dispatch_table[GoAwayFrame]
    assert getattr(handler, "__func__", None) is H2Engine._receive_goaway_frame
