"""TLSSocketStream: TLS with OpenSSL on the socket, against loopback servers.

Most servers are Trio TLS servers (``trio.serve_ssl_over_tcp``) whose
per-connection handler scripts what the client meets: data, a clean or an
abrupt end, a reset, a record that cannot decrypt. Two are the standard
library's blocking TLS in a thread instead: one sends data while the
test's Trio tasks are held still, and one refuses a missing client
certificate with the alert OpenSSL writes (Trio's SSLStream does not send
it). The client side is always a ``TLSSocketStream`` over a fresh TCP
connection.
"""

from __future__ import annotations

import array
import functools
import gc
import select
import socket
import ssl
import struct
import threading
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

import pytest
import trio
import trio.testing
import trustme
from conftest import make_server_ssl_context
from hypothesis import given, settings
from hypothesis import strategies as st

from trio_http import SSLError
from trio_http._transports._connect import open_stream
from trio_http._transports._net_tls import TLSSocketStream

ServerStream = trio.SSLStream[trio.SocketStream]
Handler = Callable[[ServerStream], Awaitable[None]]

# A period of 251 (prime) bytes: no TLS record or read size is a multiple of
# it, so a record lost, doubled or moved shows in the bytes, not only in the
# length.
STREAM = bytes(range(251)) * 6000  # 1.5 MB, enough for the Hypothesis test
PATTERN = STREAM[: 1 << 20]  # 1 MiB
RECORD = 16 * 1024  # RFC 8446 §5.1: the most plaintext one TLS record carries
SETTLE_S = 0.2  # time for what a loopback server sent to reach our socket
REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
# More than the loopback socket buffers on both sides hold (the server does
# not read), so a send of it has to wait half way.
HUGE = bytes(16 * 1024 * 1024)
# SO_LINGER on with a zero timeout: close() sends RST instead of FIN.
LINGER_RESET = struct.pack("ii", 1, 0)
# An application-data record (TLS 1.2 framing, as TLS 1.3 uses) of 32 bytes
# that cannot decrypt.
GARBAGE_RECORD = b"\x17\x03\x03\x00\x20" + b"\x00" * 32
X509_V_ERR_HOSTNAME_MISMATCH = 62


# -- a loopback Trio TLS server and a client -----------------------------------


@dataclass
class Server:
    port: int = 0
    errors: list[Exception] = field(default_factory=list)


@asynccontextmanager
async def serving(
    handler: Handler, context: ssl.SSLContext, *, https_compatible: bool = True
) -> AsyncIterator[Server]:
    """Serve ``handler`` over TLS on 127.0.0.1 until the block ends.

    A handler's exception is kept in ``errors`` (a client that hangs up on
    purpose makes some); the connection is closed when the handler returns.
    """
    server = Server()

    async def guarded(stream: ServerStream) -> None:
        try:
            await handler(stream)
        except Exception as exc:
            server.errors.append(exc)
        finally:
            await trio.aclose_forcefully(stream)

    serve = functools.partial(
        trio.serve_ssl_over_tcp,
        guarded,
        0,
        context,
        host="127.0.0.1",
        https_compatible=https_compatible,
    )
    async with trio.open_nursery() as nursery:
        listeners: list[trio.SSLListener[trio.SocketStream]] = await nursery.start(serve)
        transport = listeners[0].transport_listener
        assert isinstance(transport, trio.SocketListener)
        server.port = transport.socket.getsockname()[1]
        try:
            yield server
        finally:
            nursery.cancel_scope.cancel()


async def connect(
    port: int, context: ssl.SSLContext, server_hostname: str = "localhost"
) -> TLSSocketStream:
    """A TLSSocketStream to 127.0.0.1:``port``, its handshake done."""
    tcp = await trio.open_tcp_stream("127.0.0.1", port)
    client = TLSSocketStream.wrap(tcp, context, server_hostname)
    try:
        await client.do_handshake()
    except BaseException:
        client.close()
        raise
    return client


@asynccontextmanager
async def connected(port: int, context: ssl.SSLContext) -> AsyncIterator[TLSSocketStream]:
    """A connection (see :func:`connect`) for the block, closed after it.

    The block has 10 s: a stream that loses what it waits for fails the
    test rather than hanging it.
    """
    with trio.fail_after(10):
        client = await connect(port, context)
        try:
            yield client
        finally:
            client.close()


async def read_request(stream: ServerStream) -> bytes:
    request = b""
    while not request.endswith(b"\r\n\r\n"):
        chunk = await stream.receive_some()
        if not chunk:
            break
        request += chunk
    return request


async def read_to_end(stream: trio.abc.ReceiveStream) -> bytes:
    received = bytearray()
    while chunk := await stream.receive_some():
        received += chunk
    return bytes(received)


async def receive_to_end(
    client: TLSSocketStream, max_bytes: int
) -> tuple[bytes, list[int], trio.BrokenResourceError | None]:
    """Everything up to the end or a break: the bytes, each call's size, the error.

    Fails the test if a call returns more than ``max_bytes``.
    """
    received, sizes = bytearray(), []
    try:
        while chunk := await client.receive_some(max_bytes):
            assert len(chunk) <= max_bytes
            received += chunk
            sizes.append(len(chunk))
    except trio.BrokenResourceError as exc:
        return bytes(received), sizes, exc
    return bytes(received), sizes, None


async def hold(stream: ServerStream) -> None:
    """Complete the handshake, then neither read nor write."""
    await stream.do_handshake()
    await trio.sleep_forever()


async def cancelled_before(call: Awaitable[object]) -> bool:
    """Run ``call`` in a scope cancelled before it starts; whether it was cancelled."""
    with trio.CancelScope() as scope:
        scope.cancel()
        await call
    return scope.cancelled_caught


async def send_cut_short(client: TLSSocketStream) -> None:
    """A send of :data:`HUGE` to a server that does not read, cancelled half way."""
    with trio.move_on_after(0.1) as scope:
        await client.send_all(HUGE)
    assert scope.cancelled_caught, "the send finished: it was not cut half way"


async def breaks_at_once(call: Awaitable[object]) -> bool:
    """Whether ``call`` raises BrokenResourceError rather than waiting (0.2 s)."""
    with trio.move_on_after(0.2):
        try:
            await call
        except trio.BrokenResourceError:
            return True
    return False


# -- a blocking server in a thread ---------------------------------------------


@contextmanager
def serving_one_in_a_thread(script: Callable[[socket.socket], None]) -> Iterator[int]:
    """Run ``script`` on one connection accepted on 127.0.0.1, in a thread; yield the port.

    The script gets the accepted socket (blocking, 5 s timeout) and closes
    what it makes of it. Its own Trio-free timing is the point: what it
    sends does not depend on the test's Trio tasks being scheduled.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return  # nobody came: the test fails on its own
        conn.settimeout(5)
        with conn:
            script(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        thread.join(10)
        listener.close()


# -- receiving -----------------------------------------------------------------


async def test_round_trip_of_a_request_and_a_one_mebibyte_reply(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    requests: list[bytes] = []

    async def answer(stream: ServerStream) -> None:
        requests.append(await read_request(stream))
        await stream.send_all(PATTERN)
        await stream.aclose()

    async with serving(answer, make_server_ssl_context(server_cert)) as server:
        async with connected(server.port, client_ssl_context) as client:
            await client.send_all(REQUEST)
            await trio.sleep(SETTLE_S)
            first = await client.receive_some(256 * 1024)
            # Several records in one call, and never more than asked.
            assert RECORD < len(first) <= 256 * 1024
            rest, _, error = await receive_to_end(client, 256 * 1024)
    assert error is None
    assert requests == [REQUEST]
    assert first + rest == PATTERN
    assert server.errors == []


async def send_pattern_then_close(stream: ServerStream) -> None:
    await stream.send_all(PATTERN)
    await stream.aclose()  # close_notify: a clean end


async def test_receive_pieces_cuts_one_read_where_the_readers_chunks_end(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    async with serving(send_pattern_then_close, make_server_ssl_context(server_cert)) as server:
        async with connected(server.port, client_ssl_context) as client:
            await trio.sleep(SETTLE_S)
            pieces = await client.receive_pieces(200_000, 1000, 30_000)
            sizes = [len(piece) for piece in pieces]
            assert sizes[0] == 1000 and all(size == 30_000 for size in sizes[1:-1])
            assert RECORD < sum(sizes) <= 200_000 and 0 < sizes[-1] <= 30_000
            received = b"".join(pieces)
            while more := await client.receive_pieces(256 * 1024, 7, 5000):
                assert len(more[0]) == 7 and all(len(p) == 5000 for p in more[1:-1])
                received += b"".join(more)
    assert received == PATTERN


@pytest.mark.parametrize(("max_bytes", "most"), [(20_000, 20_000), (None, 64 * 1024)])
async def test_receive_some_never_returns_more_than_max_bytes(
    server_cert: trustme.LeafCert,
    client_ssl_context: ssl.SSLContext,
    max_bytes: int | None,
    most: int,
) -> None:
    # Without max_bytes, 64 KiB is the limit.
    async with serving(send_pattern_then_close, make_server_ssl_context(server_cert)) as server:
        async with connected(server.port, client_ssl_context) as client:
            await trio.sleep(SETTLE_S)
            sizes = []
            received = bytearray()
            while chunk := await client.receive_some(max_bytes):
                sizes.append(len(chunk))
                received += chunk
    assert received == PATTERN
    # More than a record per call, cut at the limit: the limit is what binds.
    assert max(sizes) == most


async def test_a_partly_read_record_waits_decrypted_for_the_next_call(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    async def send_one_record(stream: ServerStream) -> None:
        await stream.send_all(PATTERN[:5000])
        await trio.sleep_forever()

    async with serving(send_one_record, make_server_ssl_context(server_cert)) as server:
        async with connected(server.port, client_ssl_context) as client:
            assert not client.has_pending()
            assert await client.receive_some(1000) == PATTERN[:1000]
            assert client.has_pending()  # the other 4000 bytes of the record
            rest = [await client.receive_some(1000) for _ in range(4)]
            assert rest == [PATTERN[n : n + 1000] for n in range(1000, 5000, 1000)]
            assert not client.has_pending()


async def test_receive_some_rejects_a_max_bytes_below_one(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    async with serving(hold, make_server_ssl_context(server_cert)) as server:
        async with connected(server.port, client_ssl_context) as client:
            with trio.fail_after(1), pytest.raises(ValueError):
                await client.receive_some(0)


# -- the end of the stream, clean or not ---------------------------------------


@pytest.mark.parametrize("close_notify", [True, False], ids=["close-notify", "tcp-close"])
async def test_the_end_reads_as_empty_and_stays_so(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext, close_notify: bool
) -> None:
    async def send_then_end(stream: ServerStream) -> None:
        await stream.send_all(b"last words")
        if close_notify:
            await stream.aclose()
        else:
            stream.transport_stream.socket.close()  # FIN without close_notify

    async with serving(send_then_end, make_server_ssl_context(server_cert)) as server:
        async with connected(server.port, client_ssl_context) as client:
            await trio.sleep(SETTLE_S)  # the data and the end arrive together
            assert await client.receive_some() == b"last words"
            # https_compatible: a missing close_notify is an end, not an error.
            assert [await client.receive_some() for _ in range(3)] == [b"", b"", b""]
    assert server.errors == []


@pytest.mark.parametrize("breakage", ["reset", "bad-record"])
@pytest.mark.parametrize("together", [True, False], ids=["in-one-read", "after-a-read"])
async def test_a_break_after_good_records_comes_after_them_and_stays(
    server_cert: trustme.LeafCert,
    client_ssl_context: ssl.SSLContext,
    breakage: str,
    together: bool,
) -> None:
    # A reset is not a TCP close, which https_compatible excuses: an error,
    # as is a record that cannot decrypt; either after the data before it.
    data_read = trio.Event()

    async def send_then_break(stream: ServerStream) -> None:
        await stream.send_all(PATTERN[:50_000])
        if not together:
            await data_read.wait()
        if breakage == "bad-record":
            await stream.transport_stream.send_all(GARBAGE_RECORD)
            await trio.sleep_forever()
        sock = stream.transport_stream.socket
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
        sock.close()

    async with serving(send_then_break, make_server_ssl_context(server_cert)) as server:
        async with connected(server.port, client_ssl_context) as client:
            received = b""
            if together:
                await trio.sleep(SETTLE_S)  # the data and the break in one call
            else:
                while len(received) < 50_000:
                    received += await client.receive_some()
                data_read.set()
            rest, _, error = await receive_to_end(client, 256 * 1024)
            # Not b"" next: a caller asking again must not take it for an end.
            for _ in range(3):
                assert await breaks_at_once(client.receive_some())
    assert received + rest == PATTERN[:50_000]
    assert isinstance(error, trio.BrokenResourceError)
    cause = ssl.SSLError if breakage == "bad-record" else ConnectionResetError
    assert isinstance(error.__cause__, cause)


# -- checkpoints and cancellation ----------------------------------------------


async def test_receive_and_send_are_checkpoints_and_a_cancel_before_loses_nothing(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    received: list[bytes] = []

    async def greet_then_record(stream: ServerStream) -> None:
        await stream.send_all(b"hello")
        received.append(await read_to_end(stream))

    async with serving(greet_then_record, make_server_ssl_context(server_cert)) as server:
        client = await connect(server.port, client_ssl_context)
        try:
            await trio.sleep(SETTLE_S)  # "hello" waits in the socket
            assert await cancelled_before(client.receive_some())
            with trio.testing.assert_checkpoints():
                assert await client.receive_some() == b"hello"
            assert await cancelled_before(client.send_all(b"lost"))
            with trio.testing.assert_checkpoints():
                await client.send_all(b"kept")  # fits the socket buffer at once
            await client.aclose()
            with trio.fail_after(5):
                while not received:
                    await trio.sleep(0.01)
        finally:
            client.close()
    assert received == [b"kept"]
    assert server.errors == []


async def test_a_receive_cancelled_while_waiting_loses_nothing(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    go = trio.Event()

    async def late_then_echo(stream: ServerStream) -> None:
        await stream.do_handshake()
        await go.wait()
        await stream.send_all(b"late")
        await stream.send_all((await stream.receive_some()).upper())
        await trio.sleep_forever()

    async with serving(late_then_echo, make_server_ssl_context(server_cert)) as server:
        async with connected(server.port, client_ssl_context) as client:
            with trio.move_on_after(0.05) as scope:
                await client.receive_some()
            assert scope.cancelled_caught
            go.set()
            assert await client.receive_some() == b"late"
            await client.send_all(b"still usable")
            assert await client.receive_some() == b"STILL USABLE"
    assert server.errors == []


async def test_a_send_cancelled_half_way_breaks_every_later_send_and_receive(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    async with serving(hold, make_server_ssl_context(server_cert)) as server:
        async with connected(server.port, client_ssl_context) as client:
            await send_cut_short(client)
            # As with trio.SSLStream: every call on a broken stream raises again.
            for _ in range(2):
                assert await breaks_at_once(client.send_all(b"more"))
                assert await breaks_at_once(client.receive_some())


async def test_a_send_cancelled_half_way_still_breaks_sends_after_a_receive(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    go = trio.Event()

    async def read_when_told(stream: ServerStream) -> None:
        await stream.do_handshake()
        await go.wait()
        await read_to_end(stream)

    async with serving(read_when_told, make_server_ssl_context(server_cert)) as server:
        async with connected(server.port, client_ssl_context) as client:
            await send_cut_short(client)
            assert await breaks_at_once(client.receive_some())
            # The server reads now, so a send let through would finish: and
            # OpenSSL, taking it for a retry of the cut one, would put the
            # cut send's bytes in place of the first of these.
            go.set()
            with trio.fail_after(5):
                with pytest.raises(trio.BrokenResourceError):
                    await client.send_all(b"\x01" * (4 * 1024 * 1024))


# -- closing -------------------------------------------------------------------


async def test_close_wakes_a_waiting_receive_with_closed_resource_error(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    woken: list[BaseException] = []

    async with serving(hold, make_server_ssl_context(server_cert)) as server:
        client = await connect(server.port, client_ssl_context)

        async def receive() -> None:
            try:
                await client.receive_some()
            except trio.ClosedResourceError as exc:
                woken.append(exc)

        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(receive)
                await trio.testing.wait_all_tasks_blocked()
                client.close()
    assert len(woken) == 1


async def test_close_and_aclose_are_idempotent_and_leave_every_call_closed(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    async with serving(hold, make_server_ssl_context(server_cert)) as server:
        client = await connect(server.port, client_ssl_context)
        client.close()
        client.close()
        for _ in range(2):
            with trio.testing.assert_checkpoints():
                await client.aclose()
        with pytest.raises(trio.ClosedResourceError):
            await client.receive_some()
        with pytest.raises(trio.ClosedResourceError):
            await client.send_all(b"x")
        with pytest.raises(trio.ClosedResourceError):
            await client.wait_send_all_might_not_block()
        assert not client.has_pending()
        assert client.pending_alert() is None


async def test_aclose_of_an_open_stream_is_a_checkpoint(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    async with serving(hold, make_server_ssl_context(server_cert)) as server:
        client = await connect(server.port, client_ssl_context)
        with trio.testing.assert_checkpoints():
            await client.aclose()
        assert client.socket.fileno() == -1


@pytest.mark.parametrize("graceful", [True, False], ids=["aclose", "close"])
async def test_aclose_sends_close_notify_and_close_does_not(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext, graceful: bool
) -> None:
    ends: list[str] = []

    async def read_the_end(stream: ServerStream) -> None:
        try:
            ends.append("clean" if await stream.receive_some() == b"" else "data")
        except trio.BrokenResourceError:
            ends.append("abrupt")

    # Not https_compatible: only this server tells the two ends apart.
    context = make_server_ssl_context(server_cert)
    async with serving(read_the_end, context, https_compatible=False) as server:
        client = await connect(server.port, client_ssl_context)
        if graceful:
            await client.aclose()
        else:
            client.close()
        with trio.fail_after(5):
            while not ends:
                await trio.sleep(0.01)
    assert ends == ["clean" if graceful else "abrupt"]


# -- one task per direction ----------------------------------------------------


async def test_a_second_receiving_task_is_busy_even_with_data_ready(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    go = threading.Event()
    received: list[bytes] = []
    context = make_server_ssl_context(server_cert)
    # No TLS 1.3 session tickets: the socket turns readable with the data only.
    context.num_tickets = 0

    def send_when_told(conn: socket.socket) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:
            go.wait(5)
            tls.sendall(b"data")
            while tls.recv(1024):  # until the client closes
                pass

    with serving_one_in_a_thread(send_when_told) as port:
        async with connected(port, client_ssl_context) as client:

            async def receive() -> None:
                received.append(await client.receive_some())

            with trio.fail_after(5):
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(receive)
                    await trio.testing.wait_all_tasks_blocked()
                    with pytest.raises(trio.BusyResourceError):
                        await client.receive_some()
                    # Now with the data in the socket and the first task not
                    # yet woken (this blocks Trio on purpose): only the
                    # stream's own claim, not Trio's wait, says busy.
                    go.set()
                    assert select.select([client.socket], [], [], 5)[0]
                    with pytest.raises(trio.BusyResourceError):
                        await client.receive_some()
    assert received == [b"data"]


async def test_a_second_sending_task_is_busy(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    async with serving(hold, make_server_ssl_context(server_cert)) as server:
        async with connected(server.port, client_ssl_context) as client:
            with trio.fail_after(5):
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(client.send_all, HUGE)
                    await trio.testing.wait_all_tasks_blocked()  # the buffers are full
                    for _ in range(2):
                        with pytest.raises(trio.BusyResourceError):
                            await client.send_all(b"x")
                    nursery.cancel_scope.cancel()


# -- sending -------------------------------------------------------------------


async def test_a_large_send_of_any_buffer_arrives_whole(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    received: list[bytes] = []

    async def record(stream: ServerStream) -> None:
        received.append(await read_to_end(stream))

    # Wider than one write slice, and not a byte array: sent as its bytes.
    words = array.array("I", range(300_000))
    async with serving(record, make_server_ssl_context(server_cert)) as server:
        async with connected(server.port, client_ssl_context) as client:
            await client.send_all(memoryview(words))
            await client.send_all(bytearray(b"tail"))
            await client.aclose()
            with trio.fail_after(5):
                while not received:
                    await trio.sleep(0.01)
    assert received == [words.tobytes() + b"tail"]


# -- the handshake -------------------------------------------------------------


@pytest.mark.parametrize(
    ("server_offers", "client_offers", "chosen"),
    [
        (("http/1.1",), ("h2", "http/1.1"), "http/1.1"),
        (("h2", "http/1.1"), ("h2", "http/1.1"), "h2"),
        (("http/1.1",), (), None),
    ],
)
async def test_selected_alpn_protocol_is_the_servers_choice(
    ca: trustme.CA,
    server_cert: trustme.LeafCert,
    server_offers: tuple[str, ...],
    client_offers: tuple[str, ...],
    chosen: str | None,
) -> None:
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    if client_offers:
        client_context.set_alpn_protocols(list(client_offers))
    server_context = make_server_ssl_context(server_cert, alpn=server_offers)
    async with serving(hold, server_context) as server:
        async with connected(server.port, client_context) as client:
            assert client.selected_alpn_protocol() == chosen


async def test_wrap_takes_the_socket_from_the_trio_stream(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    async with serving(hold, make_server_ssl_context(server_cert)) as server:
        tcp = await trio.open_tcp_stream("127.0.0.1", server.port)
        fileno = tcp.socket.fileno()
        client = TLSSocketStream.wrap(tcp, client_ssl_context, "localhost")
        try:
            assert tcp.socket.fileno() == -1
            assert client.socket.fileno() == fileno
            await client.do_handshake()
            assert client.ssl_object.version() in ("TLSv1.2", "TLSv1.3")
        finally:
            client.close()


async def test_a_certificate_for_another_name_fails_the_handshake(
    ca: trustme.CA, client_ssl_context: ssl.SSLContext
) -> None:
    other_cert = ca.issue_cert("other.example", "www.other.example")
    async with serving(hold, make_server_ssl_context(other_cert)) as server:
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            await connect(server.port, client_ssl_context, server_hostname="localhost")
    assert info.value.verify_code == X509_V_ERR_HOSTNAME_MISMATCH


async def open_stream_failure(port: int, context: ssl.SSLContext) -> SSLError:
    """What open_stream raises against the server on ``port`` (nothing else kept)."""
    try:
        stream = await open_stream(
            "127.0.0.1", port, ssl_context=context, server_hostname="localhost"
        )
    except SSLError as exc:
        return exc
    await stream.aclose()
    raise AssertionError("open_stream succeeded")


async def test_open_stream_names_the_certificates_hosts_and_leaks_no_socket(
    ca: trustme.CA, client_ssl_context: ssl.SSLContext
) -> None:
    other_cert = ca.issue_cert("other.example", "www.other.example")
    async with serving(hold, make_server_ssl_context(other_cert)) as server:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            error = await open_stream_failure(server.port, client_ssl_context)
            # The error's traceback holds open_stream's frame, and the
            # stream with it: only once it is dropped can a leak show.
            error.__traceback__ = None
            gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []
    message = str(error)
    assert message.startswith(f"TLS handshake with 127.0.0.1:{server.port} failed: ")
    assert "'localhost'" in message
    assert "which is for other.example, www.other.example" in message
    assert isinstance(error.__cause__, ssl.SSLCertVerificationError)


# -- an alert after the handshake: a client certificate required ---------------


@dataclass
class RefusingServer:
    port: int
    refused: list[ssl.SSLError] = field(default_factory=list)
    request_sent: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)


@contextmanager
def refusing_server(
    ca: trustme.CA, server_cert: trustme.LeafCert, *, reset: bool
) -> Iterator[RefusingServer]:
    """A TLS 1.3 server requiring a client certificate, for one connection.

    The standard library's blocking TLS, in a thread: Trio's SSLStream does
    not send the alert of a handshake it refuses. A client without a
    certificate completes its side of the handshake; the server then sends
    the ``certificate_required`` alert. With ``reset`` it waits until the
    client says its request went out (``request_sent``), then closes with
    SO_LINGER 0, unread bytes and all: RST, not FIN. Without, it reads until
    the client closes. ``done`` is set after either.
    """
    context = make_server_ssl_context(server_cert)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.verify_mode = ssl.CERT_REQUIRED
    ca.configure_trust(context)
    refused: list[ssl.SSLError] = []
    request_sent, done = threading.Event(), threading.Event()

    def refuse(conn: socket.socket) -> None:
        tls = context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        try:
            tls.do_handshake()
        except ssl.SSLError as exc:
            refused.append(exc)
        with socket.socket(fileno=tls.detach()) as raw:
            raw.settimeout(5)
            try:
                if reset:
                    # Not a peek for the request: the client's Finished record
                    # may be unread, as OpenSSL stops at the record it refuses.
                    request_sent.wait(5)
                    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
                else:
                    while raw.recv(65536):
                        pass
            except OSError:
                pass
        done.set()

    with serving_one_in_a_thread(refuse) as port:
        yield RefusingServer(port, refused, request_sent, done)


async def test_a_refused_client_certificate_breaks_the_first_read(
    ca: trustme.CA, server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    with refusing_server(ca, server_cert, reset=False) as server:
        async with connected(server.port, client_ssl_context) as client:
            assert client.ssl_object.version() == "TLSv1.3"
            await client.send_all(REQUEST)
            with trio.fail_after(5):
                with pytest.raises(trio.BrokenResourceError) as info:
                    await client.receive_some()
    assert len(server.refused) == 1
    assert isinstance(info.value.__cause__, ssl.SSLError)
    assert info.value.__cause__.reason == "TLSV13_ALERT_CERTIFICATE_REQUIRED"


async def test_pending_alert_reads_the_alert_a_reset_left_behind(
    ca: trustme.CA, server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    with refusing_server(ca, server_cert, reset=True) as server:
        async with connected(server.port, client_ssl_context) as client:
            await client.send_all(REQUEST)
            server.request_sent.set()
            assert await trio.to_thread.run_sync(server.done.wait, 5)
            await trio.sleep(0.05)  # for the RST to land
            # What the reset is for: a write fails before any read meets the alert.
            with pytest.raises(trio.BrokenResourceError):
                await client.send_all(REQUEST)
            alert = client.pending_alert()
    assert len(server.refused) == 1
    assert isinstance(alert, ssl.SSLError)
    assert alert.reason == "TLSV13_ALERT_CERTIFICATE_REQUIRED"


async def test_pending_alert_is_none_without_an_alert(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    async def end_cleanly(stream: ServerStream) -> None:
        await stream.do_handshake()
        await stream.aclose()

    async with serving(hold, make_server_ssl_context(server_cert)) as server:
        async with connected(server.port, client_ssl_context) as client:
            assert client.pending_alert() is None  # nothing to read
    async with serving(end_cleanly, make_server_ssl_context(server_cert)) as server:
        async with connected(server.port, client_ssl_context) as client:
            await trio.sleep(SETTLE_S)
            assert client.pending_alert() is None  # close_notify


# -- any split of any stream ---------------------------------------------------

# Reads cycle through the drawn sizes this many times, then drain in large
# reads: a size of 1 over 1.4 MB would be a million calls.
RANDOM_READS = 2000


@settings(max_examples=25, deadline=None)
@given(
    sends=st.lists(st.integers(0, 70_000), max_size=20),
    read_sizes=st.lists(st.integers(1, 300_000), min_size=1, max_size=8),
    piled_up=st.booleans(),
)
def test_any_sends_arrive_as_their_concatenation_whatever_the_read_sizes(
    server_cert: trustme.LeafCert,
    ca: trustme.CA,
    sends: list[int],
    read_sizes: list[int],
    piled_up: bool,
) -> None:
    expected = STREAM[: sum(sends)]

    async def send_pieces(stream: ServerStream) -> None:
        await stream.do_handshake()  # also when there is nothing to send
        offset = 0
        for size in sends:
            await stream.send_all(STREAM[offset : offset + size])
            offset += size
        await stream.aclose()

    async def main() -> bytes:
        client_context = ssl.create_default_context()
        ca.configure_trust(client_context)
        received = bytearray()
        async with serving(send_pieces, make_server_ssl_context(server_cert)) as server:
            async with connected(server.port, client_context) as client:
                if piled_up:  # reads then meet many records at once, not one by one
                    await trio.sleep(0.05)
                calls = 0
                while True:
                    if calls < RANDOM_READS:
                        max_bytes = read_sizes[calls % len(read_sizes)]
                    else:
                        max_bytes = 300_000
                    chunk = await client.receive_some(max_bytes)
                    if not chunk:
                        break
                    assert len(chunk) <= max_bytes
                    received += chunk
                    calls += 1
        assert server.errors == []
        return bytes(received)

    assert trio.run(main) == expected
