"""AsyncWebSocket against a scripted server: messages, limits, pings, closing, cancellation."""

from __future__ import annotations

import pytest
import trio
import trio.testing
from ws_scripted import (
    ServerConnection,
    accept_value,
    deflate_bomb_frame,
    echo_handler,
    frame,
    open_ws_server,
)
from wsproto.events import BytesMessage, CloseConnection, Ping, Pong, TextMessage

import trio_http
from trio_http import (
    WebSocketClosed,
    WebSocketMessageTooBig,
    WebSocketProtocolError,
)


async def test_text_and_bytes_messages_round_trip() -> None:
    async with open_ws_server(echo_handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url + "/echo") as ws:
            assert ws.http_version == "HTTP/1.1"
            assert ws.response.status_code == 101
            await ws.send_text("héllo")
            assert await ws.receive() == "héllo"
            await ws.send_bytes(b"\x00\x01\x02")
            assert await ws.receive() == b"\x00\x01\x02"
            await ws.send("again")
            assert await ws.receive_text() == "again"
            await ws.send(bytearray(b"raw"))
            assert await ws.receive_bytes() == b"raw"
            big = bytes(range(256)) * 4096  # 1 MiB, many TCP segments
            await ws.send_bytes(big)
            assert await ws.receive_bytes() == big


async def test_receive_text_refuses_a_binary_message_and_stays_open() -> None:
    async with open_ws_server(echo_handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            await ws.send_bytes(b"x")
            with pytest.raises(WebSocketProtocolError, match="text"):
                await ws.receive_text()
            await ws.send_text("y")
            with pytest.raises(WebSocketProtocolError, match="binary"):
                await ws.receive_bytes()
            await ws.send_text("still open")
            assert await ws.receive() == "still open"


async def test_send_refuses_wrong_types() -> None:
    async with open_ws_server(echo_handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            with pytest.raises(TypeError):
                await ws.send_text(b"bytes")  # type: ignore[arg-type]
            with pytest.raises(TypeError):
                await ws.send_bytes("text")  # type: ignore[arg-type]


async def test_fragmented_messages_are_reassembled() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        await conn.send_raw(
            frame(0x1, "hé".encode()[:2], fin=False)
            + frame(0x0, "hé".encode()[2:] + b"l", fin=False)
            + frame(0x9, b"in-between")  # a control frame may interleave
            + frame(0x0, b"lo")
            + frame(0x2, b"\x01", fin=False)
            + frame(0x0, b"\x02")
        )
        await conn.next_event()  # the pong
        await conn.finish()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            assert await ws.receive() == "héllo"
            assert await ws.receive() == b"\x01\x02"


async def test_frames_sent_with_the_101_are_delivered() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.read_request()
        await conn.send_raw(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
            + accept_value(conn.key).encode()
            + b"\r\n\r\n"
            + frame(0x1, b"first")
            + frame(0x1, b"second")
        )
        await conn.stream.receive_some(1024)  # the client's close frame
        await conn.send_raw(frame(0x8, b"\x03\xe8"))  # 1000
        await conn.drain_raw()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url, compression=False) as ws:
            assert await ws.receive() == "first"
            assert await ws.receive() == "second"


async def test_async_for_ends_at_a_normal_close() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        for text in ("a", "b", "c"):
            await conn.send(TextMessage(data=text))
        await conn.send(CloseConnection(code=1000, reason="done"))
        await conn.finish()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            assert [message async for message in ws] == ["a", "b", "c"]
            assert (ws.close_code, ws.close_reason) == (1000, "done")


async def test_peer_close_raises_with_code_and_reason_and_is_answered() -> None:
    answered: list[tuple[int, str]] = []

    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        await conn.send(TextMessage(data="last"))
        await conn.send(CloseConnection(code=4000, reason="bye"))
        event = await conn.next_event()
        assert isinstance(event, CloseConnection)
        answered.append((event.code, event.reason))

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            assert await ws.receive() == "last"  # received before the close: still readable
            with pytest.raises(WebSocketClosed) as caught:
                await ws.receive()
            assert (caught.value.code, caught.value.reason) == (4000, "bye")
            with pytest.raises(WebSocketClosed) as again:
                await ws.send_text("too late")
            assert again.value.code == 4000
            with pytest.raises(WebSocketClosed):
                async for _ in ws:
                    pass
        await server.wait_all_closed()
    assert answered == [(4000, "bye")]


async def test_connection_lost_without_close_frame_is_1006() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        await conn.send(TextMessage(data="then nothing"))
        await conn.stream.aclose()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            assert await ws.receive() == "then nothing"
            with pytest.raises(WebSocketClosed) as caught:
                await ws.receive()
            assert caught.value.code == 1006
            assert ws.close_code == 1006


async def test_leaving_the_block_runs_the_close_handshake() -> None:
    seen: list[tuple[int, str]] = []

    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        event = await conn.next_event()
        assert isinstance(event, CloseConnection)
        seen.append((event.code, event.reason))
        await conn.send(event.response())

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            pass
        assert ws.close_code == 1000
        await server.wait_all_closed()
    assert seen == [(1000, "")]


async def test_close_sends_code_and_reason_and_is_idempotent() -> None:
    seen: list[tuple[int, str]] = []

    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        event = await conn.next_event()
        assert isinstance(event, CloseConnection)
        seen.append((event.code, event.reason))
        await conn.send(event.response())

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            await ws.close(4001, "going")
            await ws.close()
            assert (ws.close_code, ws.close_reason) == (4001, "going")
            with pytest.raises(WebSocketClosed):
                await ws.send_text("after close")
    assert seen == [(4001, "going")]


async def test_an_error_in_the_block_propagates_unwrapped_and_closes_1011() -> None:
    seen: list[int] = []

    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        event = await conn.next_event()
        assert isinstance(event, CloseConnection)
        seen.append(event.code)
        await conn.send(event.response())

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        with pytest.raises(KeyError):
            async with client.websocket(server.url):
                raise KeyError("mine")
        await server.wait_all_closed()
    assert seen == [1011]


async def test_close_without_the_peer_answering_waits_close_timeout(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        await conn.wait_for_eof()  # reads our close frame, never answers

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url, close_timeout=3) as ws:
            started = trio.current_time()
        assert 3 <= trio.current_time() - started < 4
        assert ws.close_code == 1006
        await server.wait_all_closed()


async def test_pings_from_the_peer_are_answered() -> None:
    pongs: list[bytes] = []

    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        await conn.send(Ping(payload=b"are you there"))
        event = await conn.next_event()
        assert isinstance(event, Pong)
        pongs.append(bytes(event.payload))
        await conn.send(TextMessage(data="ok"))
        await conn.finish()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            assert await ws.receive() == "ok"
    assert pongs == [b"are you there"]


async def test_ping_waits_for_its_pong() -> None:
    release = trio.Event()

    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        event = await conn.next_event()
        assert isinstance(event, Ping)
        await release.wait()
        await conn.send(event.response())
        await conn.finish()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws, trio.open_nursery() as nursery:
            done = trio.Event()

            async def pinger() -> None:
                await ws.ping(b"p1")
                done.set()

            nursery.start_soon(pinger)
            await trio.testing.wait_all_tasks_blocked()
            assert not done.is_set()
            release.set()
            with trio.fail_after(5):
                await done.wait()


async def test_ping_is_woken_when_the_socket_closes() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        await conn.next_event()  # the ping: not answered
        await conn.stream.aclose()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            with pytest.raises(WebSocketClosed) as caught, trio.fail_after(5):
                await ws.ping()
            assert caught.value.code == 1006


async def test_ping_payload_is_bounded() -> None:
    async with open_ws_server(echo_handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            with pytest.raises(ValueError, match="125"):
                await ws.ping(b"x" * 126)


async def test_keepalive_without_pong_fails_the_socket_1011(
    autojump_clock: trio.testing.MockClock,
) -> None:
    seen: list[int] = []

    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        while True:
            event = await conn.next_event()
            if event is None:
                return
            if isinstance(event, CloseConnection):
                seen.append(event.code)
                await conn.wait_for_eof()
                return

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url, ping_interval=5, ping_timeout=2) as ws:
            started = trio.current_time()
            with pytest.raises(WebSocketClosed) as caught:
                await ws.receive()
            assert caught.value.code == 1011
            assert 7 <= trio.current_time() - started < 8
        await server.wait_all_closed()
    assert seen == [1011]


async def test_keepalive_with_pongs_keeps_the_socket_open(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with open_ws_server(echo_handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url, ping_interval=1, ping_timeout=1) as ws:
            await trio.sleep(30)
            assert ws.close_code is None
            await ws.send_text("alive")
            assert await ws.receive() == "alive"


async def test_oversized_message_fails_with_1009() -> None:
    seen: list[int] = []

    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        await conn.send(BytesMessage(data=b"x" * 100))
        await conn.send(TextMessage(data="y" * 101))
        event = await conn.next_event()
        assert isinstance(event, CloseConnection)
        seen.append(event.code)

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url, max_message_size=100) as ws:
            assert await ws.receive() == b"x" * 100  # exactly the limit is fine
            with pytest.raises(WebSocketMessageTooBig):
                await ws.receive()
            with pytest.raises(WebSocketClosed) as caught:
                await ws.receive()
            assert caught.value.code == 1009
        await server.wait_all_closed()
    assert seen == [1009]


async def test_oversized_fragmented_message_fails_before_it_is_whole() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        await conn.send_raw(frame(0x2, b"a" * 60, fin=False) + frame(0x0, b"b" * 60, fin=False))
        await conn.wait_for_eof()  # never finishes the message

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url, max_message_size=100) as ws:
            with pytest.raises(WebSocketMessageTooBig), trio.fail_after(5):
                await ws.receive()


async def test_deflate_round_trip() -> None:
    async with open_ws_server(echo_handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            assert "permessage-deflate" in ws.response.headers["sec-websocket-extensions"]
            for _ in range(3):  # context takeover across messages
                await ws.send_text("compressible " * 1000)
                assert await ws.receive() == "compressible " * 1000


async def test_compression_can_be_turned_off() -> None:
    offers: list[list[str]] = []

    async def handler(conn: ServerConnection) -> None:
        await conn.read_request()
        offers.append(conn.offered_extensions)
        await conn.accept()
        await conn.finish()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url, compression=False) as ws:
            assert "sec-websocket-extensions" not in ws.response.headers
    assert offers == [[]]


async def test_deflate_bomb_is_stopped_at_max_message_size() -> None:
    seen: list[int] = []

    async def handler(conn: ServerConnection) -> None:
        await conn.accept(compression=True)
        await conn.send_raw(deflate_bomb_frame(64 * 1024 * 1024))
        event = await conn.next_event()
        assert isinstance(event, CloseConnection)
        seen.append(event.code)

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url, max_message_size=1024 * 1024) as ws:
            with pytest.raises(WebSocketMessageTooBig):
                await ws.receive()
        await server.wait_all_closed()
    assert seen == [1009]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (frame(0x3, b""), 1002),  # a reserved opcode
        (frame(0x1, b"\xff\xfe"), 1007),  # text that is not UTF-8
        (frame(0x9, b"x" * 126), 1002),  # a control frame over 125 bytes
        (frame(0x0, b"orphan"), 1002),  # a continuation with nothing to continue
    ],
)
async def test_invalid_frames_fail_the_socket(raw: bytes, code: int) -> None:
    seen: list[int] = []

    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        await conn.send_raw(raw)
        event = await conn.next_event()
        assert isinstance(event, CloseConnection)
        seen.append(event.code)

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url, compression=False) as ws:
            with pytest.raises(WebSocketProtocolError):
                await ws.receive()
            with pytest.raises(WebSocketClosed) as caught:
                await ws.send_text("no")
            assert caught.value.code == code
        await server.wait_all_closed()
    assert seen == [code]


async def test_full_queue_stops_reading_until_messages_are_taken() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        for number in range(5):
            await conn.send(TextMessage(data=str(number)))
        await conn.send(CloseConnection(code=1000))
        await conn.finish()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url, max_queue=2) as ws:
            await trio.sleep(0.2)
            await trio.testing.wait_all_tasks_blocked()
            # Two messages wait; the reader stopped before reaching the close.
            assert ws._messages.statistics().current_buffer_used == 2
            assert ws.close_code is None
            assert [message async for message in ws] == ["0", "1", "2", "3", "4"]
            assert ws.close_code == 1000


async def test_closing_with_a_full_queue_does_not_hang() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        for number in range(10):
            await conn.send(TextMessage(data=str(number)))
        while (event := await conn.next_event()) is not None:
            if isinstance(event, CloseConnection):
                await conn.send(event.response())
                return

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        with trio.fail_after(5):
            async with client.websocket(server.url, max_queue=1) as ws:
                await trio.sleep(0.1)
        assert ws.close_code == 1000


# -- cancellation -----------------------------------------------------------


async def test_cancel_during_handshake_closes_the_connection(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.read_request()
        await conn.wait_for_eof()  # never answers

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        with trio.move_on_after(5) as scope:
            async with client.websocket(server.url, timeout=None):
                pytest.fail("the handshake cannot succeed")  # pragma: no cover
        assert scope.cancelled_caught
        await server.wait_all_closed()
        assert server.opened == 1


async def test_cancel_during_receive_leaves_the_socket_usable() -> None:
    async with open_ws_server(echo_handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            with trio.move_on_after(0.05) as scope:
                await ws.receive()
            assert scope.cancelled_caught
            await ws.send_text("after")
            assert await ws.receive() == "after"
        assert ws.close_code == 1000


async def test_a_send_cancelled_while_the_writer_is_behind_sends_nothing(
    autojump_clock: trio.testing.MockClock,
) -> None:
    reading = trio.Event()
    received: list[bytes | str] = []

    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        await reading.wait()  # reads nothing until then: the client's writer blocks
        while (message := await conn.next_message()) is not None:
            received.append(message)
            if message == "after":
                await conn.send(CloseConnection(code=1000))
                await conn.finish()
                return

    big = bytes(8 * 1024 * 1024)
    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url, compression=False) as ws:
            await ws.send_bytes(big)  # queued at once: the writer is behind from now on
            with trio.move_on_after(5) as scope:
                await ws.send_text("cancelled")  # waits for room, then gives up
            assert scope.cancelled_caught
            reading.set()
            await ws.send_text("after")
            with pytest.raises(WebSocketClosed):
                await ws.receive()
    assert received == [big, "after"]


async def test_cancel_during_close_closes_at_once(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        await conn.wait_for_eof()  # never answers the close

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        with trio.move_on_after(1) as scope:
            async with client.websocket(server.url) as ws:
                started = trio.current_time()
        assert scope.cancelled_caught
        assert trio.current_time() - started < 2
        assert ws.close_code == 1006
        await server.wait_all_closed()


async def test_cancelled_block_aborts_without_handshake() -> None:
    frames: list[object] = []

    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        while (event := await conn.next_event()) is not None:
            frames.append(event)

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        with trio.CancelScope() as scope:
            async with client.websocket(server.url):
                scope.cancel()
                await trio.sleep(1)
        await server.wait_all_closed()
    # Only wsproto's own note of the lost connection, no close frame.
    assert [event.code for event in frames if isinstance(event, CloseConnection)] == [1006]


# -- checkpoints --------------------------------------------------------------


async def test_every_method_is_a_checkpoint_even_when_failing() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        await conn.send(CloseConnection(code=1000))
        await conn.finish()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            with pytest.raises(WebSocketClosed):
                await ws.receive()
            for call in (
                lambda: ws.receive(),
                lambda: ws.receive_text(),
                lambda: ws.receive_bytes(),
                lambda: ws.send_text("x"),
                lambda: ws.send_bytes(b"x"),
                lambda: ws.send("x"),
                lambda: ws.ping(),
            ):
                with trio.testing.assert_checkpoints(), pytest.raises(WebSocketClosed):
                    await call()
            with trio.testing.assert_checkpoints():
                await ws.close()
            with trio.testing.assert_checkpoints(), pytest.raises(TypeError):
                await ws.send_text(1)  # type: ignore[arg-type]


async def test_an_empty_close_frame_is_code_1005_and_answered() -> None:
    answered: list[bytes] = []

    async def handler(conn: ServerConnection) -> None:
        await conn.accept()
        await conn.send_raw(frame(0x8, b""))
        answered.append(await conn.stream.receive_some(1024))
        await conn.drain_raw()

    async with open_ws_server(handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            with pytest.raises(WebSocketClosed) as caught:
                await ws.receive()
            assert caught.value.code == 1005
        await server.wait_all_closed()
    assert answered[0][0] == 0x88  # a close frame, fin set


async def test_leaving_async_for_early_leaves_nothing_to_finalize() -> None:
    async with open_ws_server(echo_handler) as server, trio_http.AsyncClient() as client:
        async with client.websocket(server.url) as ws:
            for text in ("a", "b"):
                await ws.send_text(text)
            async for message in ws:
                assert message == "a"
                break
            assert await ws.receive() == "b"
        # filterwarnings=error turns an unfinished async generator into a failure.
