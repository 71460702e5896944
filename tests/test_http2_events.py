"""StreamRouter: what HTTP/2 events do to the streams of a connection. No I/O.

A real h2 server connection makes the bytes; an H2Engine turns them into
events; the router applies them. Requests are stand-ins (the router only
keeps them), and a stream's ``waker`` records that its request was woken.
"""

from __future__ import annotations

from typing import Any

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings
import pytest

import trio_http
from trio_http._transports._http2_engine import H2Engine
from trio_http._transports._http2_events import (
    WAKE_BATCH,
    StreamRouter,
    StreamState,
    code_name,
)
from trio_http._transports._http2_state import RetryableStreamError

REQUEST = [(b":method", b"GET"), (b":scheme", b"http"), (b":authority", b"x"), (b":path", b"/")]
OK_HEAD = [(b":status", b"200")]


class Setup:
    """An engine and router with ``streams`` open, and the server they talk to."""

    def __init__(self, streams: int, *, uploading: bool = False) -> None:
        self.engine = H2Engine()
        self.engine.local_settings = h2.settings.Settings(
            client=True, initial_values={h2.settings.SettingCodes.MAX_FRAME_SIZE: 65536}
        )
        self.engine.max_inbound_frame_size = 65536
        self.engine.initiate_connection()
        self.drained = 0
        self.router = StreamRouter(self.engine, self._draining)
        self.woken: list[int] = []
        self.stream: dict[int, StreamState] = {}
        for index in range(streams):
            stream_id = 2 * index + 1
            self.engine.send_headers(stream_id, REQUEST, end_stream=not uploading)
            self.engine.outbound_open += 1
            state = StreamState(stream_id, request=None)  # type: ignore[arg-type]
            self.router.streams[stream_id] = state
            self.stream[stream_id] = state
            self.park(stream_id)
        # A server that sends whatever header block a test asks for.
        config = h2.config.H2Configuration(
            client_side=False, validate_outbound_headers=False, normalize_outbound_headers=False
        )
        self.server = h2.connection.H2Connection(config)
        self.server.initiate_connection()
        self.server.receive_data(self.engine.data_to_send())
        self.feed()

    def _draining(self) -> None:
        self.drained += 1

    def park(self, stream_id: int) -> None:
        """As a request task waiting on the stream would."""

        def woken(stream_id: int = stream_id) -> None:
            self.woken.append(stream_id)

        self.stream[stream_id].waker = woken

    def feed(self, extra: bytes = b"") -> None:
        """Everything the server queued (plus ``extra``) through engine and router."""
        self.router.dispatch(self.engine.receive_data(self.server.data_to_send() + extra))

    def goaway(self, last_stream_id: int, code: int = 0) -> None:
        self.server.close_connection(error_code=code, last_stream_id=last_stream_id)
        self.server.state_machine.state = h2.connection.ConnectionState.SERVER_OPEN
        self.feed()


def test_a_response_goes_to_its_stream_and_wakes_its_request() -> None:
    setup = Setup(streams=2)
    setup.server.send_headers(3, [*OK_HEAD, (b"x-a", b"1")])
    setup.server.send_data(3, b"body", end_stream=True)
    setup.feed()
    stream = setup.stream[3]
    assert (stream.status, stream.headers, stream.ended) == (200, [(b"x-a", b"1")], True)
    assert stream.body.take_all() == [b"body"]
    assert setup.woken == [3]
    assert setup.stream[1].headers is None


def test_a_malformed_head_fails_only_its_stream_with_a_reset() -> None:
    setup = Setup(streams=2)
    setup.server.send_headers(1, [*OK_HEAD, (b"connection", b"close")])
    setup.server.send_headers(3, OK_HEAD, end_stream=True)
    setup.feed()
    assert isinstance(setup.stream[1].error, trio_http.RemoteProtocolError)
    assert setup.stream[1].malformed
    assert setup.stream[3].ended and setup.stream[3].error is None
    events = setup.server.receive_data(setup.engine.data_to_send())
    resets = [e for e in events if isinstance(e, h2.events.StreamReset)]
    assert [(e.stream_id, e.error_code) for e in resets] == [
        (1, h2.errors.ErrorCodes.PROTOCOL_ERROR)
    ]


def test_data_for_an_abandoned_stream_goes_back_to_the_window() -> None:
    setup = Setup(streams=1)
    setup.server.send_headers(1, OK_HEAD)
    setup.feed()
    del setup.router.streams[1]
    window = setup.engine.inbound_flow_control_window
    setup.server.send_data(1, b"x" * 40_000)
    setup.feed()
    # Taken and acknowledged at once: the window is as before.
    assert setup.engine.inbound_flow_control_window == window


def test_small_data_wakes_a_waiting_request_once_the_wakes_are_flushed() -> None:
    setup = Setup(streams=1)
    setup.server.send_headers(1, OK_HEAD)
    setup.feed()
    setup.park(1)
    setup.woken.clear()
    setup.server.send_data(1, b"a" * 1000)
    setup.feed()
    assert setup.woken == []  # deferred: more may arrive in the next read
    setup.router.flush_wakes()
    assert setup.woken == [1]


def test_data_beyond_the_wake_batch_wakes_at_once() -> None:
    setup = Setup(streams=1)
    setup.server.update_settings({h2.settings.SettingCodes.MAX_FRAME_SIZE: 65536})
    setup.feed()
    setup.engine.increment_flow_control_window(WAKE_BATCH * 2)
    setup.engine.increment_flow_control_window(WAKE_BATCH * 2, stream_id=1)
    setup.server.receive_data(setup.engine.data_to_send())
    setup.server.send_headers(1, OK_HEAD)
    setup.feed()
    setup.park(1)
    setup.woken.clear()
    for _ in range(WAKE_BATCH // 16384 + 1):
        setup.server.send_data(1, b"b" * 16384)
    setup.feed()
    assert setup.woken == [1]


def test_a_graceful_goaway_retries_streams_above_the_last_id_only() -> None:
    setup = Setup(streams=3)
    setup.goaway(last_stream_id=1)
    assert setup.drained == 1
    assert not setup.router.slots.accepting
    assert setup.router.goaway_last_id == 1 and setup.router.error is None
    assert setup.stream[1].error is None
    for stream_id in (3, 5):
        error = setup.stream[stream_id].error
        assert type(error) is RetryableStreamError and error.lost is None
    assert sorted(setup.woken) == [3, 5]


def test_a_later_goaway_can_only_lower_the_last_id() -> None:
    setup = Setup(streams=3)
    setup.goaway(last_stream_id=5)
    setup.goaway(last_stream_id=3)
    setup.goaway(last_stream_id=5)
    assert setup.router.goaway_last_id == 3
    assert isinstance(setup.stream[5].error, RetryableStreamError)
    assert setup.stream[3].error is None
    assert setup.drained == 1


def test_an_error_goaway_fails_the_streams_it_keeps() -> None:
    setup = Setup(streams=3)
    setup.server.send_headers(1, OK_HEAD)
    setup.feed()
    setup.goaway(last_stream_id=3, code=h2.errors.ErrorCodes.ENHANCE_YOUR_CALM)
    answered, unanswered = setup.stream[1].error, setup.stream[3].error
    assert type(answered) is trio_http.RemoteProtocolError
    assert "ENHANCE_YOUR_CALM" in str(answered)
    assert type(unanswered) is RetryableStreamError and unanswered.lost is not None
    error = setup.stream[5].error
    assert type(error) is RetryableStreamError and error.lost is None
    assert setup.router.error is not None


def test_a_lost_connection_fails_answered_streams_and_retries_unanswered_ones() -> None:
    setup = Setup(streams=3)
    setup.server.send_headers(1, OK_HEAD)
    setup.feed()
    setup.goaway(last_stream_id=5)
    setup.server.send_headers(3, OK_HEAD)
    setup.feed()
    setup.router.fail_streams(trio_http.ReadError("the server closed the connection"))
    # Answered in part: the error is the caller's.
    assert type(setup.stream[1].error) is trio_http.ReadError
    assert type(setup.stream[3].error) is trio_http.ReadError
    # Not answered: an idempotent request may go again, with why it could not stay.
    error = setup.stream[5].error
    assert type(error) is RetryableStreamError
    assert type(error.lost) is trio_http.ReadError


def test_a_lost_connection_gives_every_stream_its_own_error() -> None:
    setup = Setup(streams=2)
    setup.router.fail_streams(trio_http.ReadError("gone"))
    first, second = setup.stream[1].error, setup.stream[3].error
    assert isinstance(first, RetryableStreamError) and isinstance(second, RetryableStreamError)
    assert first is not second and first.lost is not second.lost
    assert setup.router.error is not None and not setup.router.slots.accepting


@pytest.mark.parametrize("answered", [False, True])
def test_refused_stream_is_retried_unless_the_server_had_answered(answered: bool) -> None:
    setup = Setup(streams=1)
    if answered:
        setup.server.send_headers(1, OK_HEAD)
        setup.feed()
    setup.server.reset_stream(1, h2.errors.ErrorCodes.REFUSED_STREAM)
    setup.feed()
    error: Any = setup.stream[1].error
    if answered:
        assert type(error) is trio_http.RemoteProtocolError
    else:
        assert type(error) is RetryableStreamError


def test_a_reset_after_a_complete_response_with_no_error_is_not_an_error() -> None:
    setup = Setup(streams=1, uploading=True)
    setup.server.send_headers(1, OK_HEAD, end_stream=True)
    setup.feed()
    # RFC 9113 §8.1: "stop sending the request body", after the response.
    setup.server.reset_stream(1, h2.errors.ErrorCodes.NO_ERROR)
    setup.feed()
    assert setup.stream[1].error is None and setup.stream[1].local_closed


def test_settings_change_the_stream_limit() -> None:
    setup = Setup(streams=0)
    setup.server.update_settings({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 7})
    setup.feed()
    assert setup.router.slots.max_concurrent == 7


def test_error_codes_have_names() -> None:
    assert code_name(7) == "REFUSED_STREAM"
    assert code_name(0xFF) == "error code 0xff"


def test_the_first_settings_frame_is_reported_once() -> None:
    engine = H2Engine()
    engine.initiate_connection()
    router = StreamRouter(engine, lambda: None)
    reported: list[int] = []
    router.on_first_settings = lambda: reported.append(
        engine.remote_settings.enable_connect_protocol
    )
    server = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    server.local_settings = h2.settings.Settings(
        client=False, initial_values={h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL: 1}
    )
    server.initiate_connection()
    server.receive_data(engine.data_to_send())
    router.dispatch(engine.receive_data(server.data_to_send()))
    # Applied before the report: extended CONNECT reads the value then.
    assert reported == [1]
    server.update_settings({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 5})
    router.dispatch(engine.receive_data(server.data_to_send()))
    assert reported == [1]
    assert router.slots.max_concurrent == 5
