"""permessage-deflate with a bound on the inflated size of each message."""

from __future__ import annotations

import pytest
from ws_scripted import deflate_bomb_frame, frame
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Event, TextMessage
from wsproto.extensions import PerMessageDeflate

from trio_http._websocket_deflate import BoundedDeflate


def _pair(limit: int, params: str = "") -> tuple[Connection, Connection]:
    """A client with the bounded extension and a server compressing with wsproto's own."""
    ours = BoundedDeflate(limit)
    ours.finalize(params)
    theirs = PerMessageDeflate()
    theirs.accept(f"permessage-deflate; {params}" if params else "permessage-deflate")
    client = Connection(ConnectionType.CLIENT, extensions=[ours])
    server = Connection(ConnectionType.SERVER, extensions=[theirs])
    return client, server


def _deliver(client: Connection, data: bytes) -> list[Event]:
    client.receive_data(data)
    return list(client.events())


def test_messages_up_to_the_limit_inflate() -> None:
    client, server = _pair(1000)
    for text in ("a" * 1000, "b" * 10, "a" * 1000):  # context carried over
        events = _deliver(client, server.send(TextMessage(data=text)))
        assert [type(event) for event in events] == [TextMessage]
        assert events[0].data == text


def test_a_message_inflating_past_the_limit_is_refused_with_1009() -> None:
    client, server = _pair(1000)
    events = _deliver(client, server.send(BytesMessage(data=b"\0" * 1001)))
    assert isinstance(events[-1], CloseConnection)
    assert events[-1].code == 1009


def test_the_limit_counts_the_whole_fragmented_message() -> None:
    client, server = _pair(1000)
    data = server.send(BytesMessage(data=b"x" * 600, message_finished=False))
    data += server.send(BytesMessage(data=b"y" * 600, message_finished=True))
    events = _deliver(client, data)
    assert isinstance(events[-1], CloseConnection)
    assert events[-1].code == 1009


def test_the_count_restarts_with_each_message() -> None:
    client, server = _pair(1000)
    for _ in range(5):
        events = _deliver(client, server.send(BytesMessage(data=b"z" * 900)))
        assert [type(event) for event in events] == [BytesMessage]


def test_a_bomb_stops_without_inflating_it_all() -> None:
    client, _ = _pair(64 * 1024)
    events = _deliver(client, deflate_bomb_frame(256 * 1024 * 1024))
    assert isinstance(events[-1], CloseConnection)
    assert events[-1].code == 1009


def test_garbage_compressed_data_is_1007() -> None:
    client, _ = _pair(1000)
    events = _deliver(client, frame(0x2, b"\xff\xff\xff\xff not deflate", rsv1=True))
    assert isinstance(events[-1], CloseConnection)
    assert events[-1].code == 1007


def test_no_context_takeover_resets_the_inflater() -> None:
    client, server = _pair(1000, "server_no_context_takeover")
    for _ in range(3):
        events = _deliver(client, server.send(TextMessage(data="same text " * 20)))
        assert events[0].data == "same text " * 20


@pytest.mark.parametrize("size", [0, 1, 5000])
def test_uncompressed_frames_pass_through(size: int) -> None:
    client, _ = _pair(10_000)
    events = _deliver(client, frame(0x2, b"q" * size))
    assert isinstance(events[0], BytesMessage)
    assert events[0].data == b"q" * size
