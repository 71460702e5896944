"""TLS contexts and opening TCP, TLS and Unix-socket streams on loopback."""

from __future__ import annotations

import functools
import os
import pathlib
import shutil
import socket
import ssl
import subprocess
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
import trio.testing
import trustme
from conftest import make_server_ssl_context
from server import TestServer

from trio_http import ConnectError, SSLError
from trio_http._config import MIN_READ_SIZE
from trio_http._transports._net import (
    DirectSocket,
    Receiver,
    create_ssl_context,
    negotiated_protocol,
    next_read_size,
    open_stream,
    socket_readable,
)
from trio_http._transports._net_tls import TLSSocketStream

Handler = Callable[[Any], Awaitable[None]]


@asynccontextmanager
async def serving(
    handler: Handler, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[tuple[int, list[BaseException]]]:
    """Serve ``handler`` on 127.0.0.1; yield the port and the handler errors."""
    errors: list[BaseException] = []

    async def guarded(stream: Any) -> None:
        try:
            await handler(stream)
        except Exception as exc:  # a failed handshake is often what a test wants
            errors.append(exc)
        finally:
            await trio.aclose_forcefully(stream)

    async with trio.open_nursery() as nursery:
        serve: functools.partial[Any]
        if ssl_context is None:
            serve = functools.partial(trio.serve_tcp, guarded, 0, host="127.0.0.1")
        else:
            serve = functools.partial(
                trio.serve_ssl_over_tcp,
                guarded,
                0,
                ssl_context,
                host="127.0.0.1",
                https_compatible=True,
            )
        listeners = await nursery.start(serve)
        listener = listeners[0]
        # An SSLListener wraps the SocketListener that owns the socket.
        sockets = getattr(listener, "transport_listener", listener)
        try:
            yield sockets.socket.getsockname()[1], errors
        finally:
            nursery.cancel_scope.cancel()


async def echo_upper(stream: trio.abc.Stream) -> None:
    data = await stream.receive_some()
    await stream.send_all(data.upper())


async def greet_after_handshake(stream: trio.SSLStream[Any]) -> None:
    await stream.do_handshake()
    await stream.send_all(b"hello")
    await stream.receive_some()  # hold the connection until the client closes


async def round_trip(stream: trio.abc.Stream, data: bytes = b"ping") -> bytes:
    await stream.send_all(data)
    return bytes(await stream.receive_some())


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- create_ssl_context --------------------------------------------------------


def test_same_settings_give_the_very_same_context(ca_bundle: str) -> None:
    first = create_ssl_context(ca_bundle)
    assert create_ssl_context(ca_bundle) is first
    assert create_ssl_context(pathlib.Path(ca_bundle)) is first
    assert create_ssl_context() is create_ssl_context(True)


def test_different_settings_give_different_contexts(ca_bundle: str) -> None:
    verified = create_ssl_context(True)
    assert create_ssl_context(False) is not verified
    assert create_ssl_context(ca_bundle) is not verified
    assert create_ssl_context(True, alpn=("h2", "http/1.1")) is not verified


def test_default_context_verifies_certificates_and_hostnames() -> None:
    context = create_ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert context.cert_store_stats()["x509_ca"] > 0


@pytest.mark.parametrize("alpn", [("http/1.1",), ("h2", "http/1.1")])
def test_built_contexts_refuse_compression_and_renegotiation(alpn: tuple[str, ...]) -> None:
    # RFC 9113 §9.2 for HTTP/2; the TLS read-ahead relies on no renegotiation.
    options = create_ssl_context(alpn=alpn).options
    assert options & ssl.OP_NO_COMPRESSION
    assert options & ssl.OP_NO_RENEGOTIATION


def test_verify_false_disables_checks() -> None:
    context = create_ssl_context(False)
    assert context.verify_mode == ssl.CERT_NONE
    assert not context.check_hostname


def test_ca_file_path_loads_that_ca(ca: trustme.CA, ca_bundle: str) -> None:
    context = create_ssl_context(ca_bundle)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    expected = ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode())
    assert expected in context.get_ca_certs(binary_form=True)


_SYSTEM_HAS_CAS = ssl.create_default_context().cert_store_stats()["x509_ca"] > 0


def test_ca_file_path_trusts_only_that_ca(ca: trustme.CA, ca_bundle: str) -> None:
    expected = ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode())
    assert create_ssl_context(ca_bundle).get_ca_certs(binary_form=True) == [expected]


@pytest.mark.parametrize("path", ["/no/such/ca-bundle.pem", "/no/such/dir/"])
def test_missing_ca_path_is_an_ssl_error(path: str) -> None:
    message = f"Could not find a suitable TLS CA certificate bundle, invalid path: {path}"
    with pytest.raises(SSLError) as info:
        create_ssl_context(path)
    assert str(info.value) == message


def test_ca_file_that_is_not_pem_is_an_ssl_error(tmp_path: pathlib.Path) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate\n")
    with pytest.raises(SSLError):
        create_ssl_context(str(bogus))


def test_ready_context_is_passed_through_untouched() -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    assert create_ssl_context(context) is context
    assert create_ssl_context(context, alpn=("h2",)) is context
    assert context.verify_mode == ssl.CERT_NONE


def test_client_cert_from_a_pem_path_loads(ca: trustme.CA, tmp_path: pathlib.Path) -> None:
    leaf = ca.issue_cert("client.test")
    combined = tmp_path / "client.pem"
    leaf.private_key_and_cert_chain_pem.write_to_path(str(combined))
    assert isinstance(create_ssl_context(False, str(combined)), ssl.SSLContext)

    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert_path))
    leaf.private_key_pem.write_to_path(str(key_path))
    assert isinstance(create_ssl_context(False, (str(cert_path), str(key_path))), ssl.SSLContext)


def test_missing_client_cert_is_an_ssl_error(tmp_path: pathlib.Path) -> None:
    with pytest.raises(SSLError):
        create_ssl_context(False, str(tmp_path / "missing.pem"))


def test_key_that_does_not_match_the_cert_is_an_ssl_error(
    ca: trustme.CA, tmp_path: pathlib.Path
) -> None:
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    ca.issue_cert("one.test").cert_chain_pems[0].write_to_path(str(cert_path))
    ca.issue_cert("two.test").private_key_pem.write_to_path(str(key_path))
    with pytest.raises(SSLError):
        create_ssl_context(False, (str(cert_path), str(key_path)))


# -- open_stream: TCP ----------------------------------------------------------


async def test_plain_tcp_stream_round_trip() -> None:
    async with serving(echo_upper) as (port, errors):
        stream = await open_stream("127.0.0.1", port, ssl_context=None)
        try:
            assert isinstance(stream, trio.SocketStream)
            assert await round_trip(stream, b"ping") == b"PING"
            assert negotiated_protocol(stream) is None
        finally:
            await stream.aclose()
    assert errors == []


async def test_refused_port_is_a_connect_error() -> None:
    port = unused_port()
    with pytest.raises(ConnectError, match=str(port)) as info:
        await open_stream("127.0.0.1", port, ssl_context=None)
    assert isinstance(info.value.__cause__, OSError)


# -- open_stream: TLS ----------------------------------------------------------


async def test_tls_handshake_with_the_test_server(tls_server: TestServer, ca_bundle: str) -> None:
    context = create_ssl_context(ca_bundle)
    stream = await open_stream(tls_server.host, tls_server.port, ssl_context=context)
    try:
        assert isinstance(stream, TLSSocketStream)  # OpenSSL on the descriptor
        assert negotiated_protocol(stream) == "http/1.1"
        await stream.send_all(b"GET /status/204 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert (await stream.receive_some()).startswith(b"HTTP/1.1 204")
    finally:
        await stream.aclose()


async def test_server_without_h2_answers_http11_when_both_offered(
    tls_server: TestServer, ca_bundle: str
) -> None:
    context = create_ssl_context(ca_bundle, alpn=("h2", "http/1.1"))
    stream = await open_stream(tls_server.host, tls_server.port, ssl_context=context)
    try:
        assert negotiated_protocol(stream) == "http/1.1"
    finally:
        await stream.aclose()


@pytest.mark.parametrize(
    ("offered", "chosen"), [(("h2", "http/1.1"), "h2"), (("http/1.1",), "http/1.1")]
)
async def test_alpn_offer_decides_the_negotiated_protocol(
    server_cert: trustme.LeafCert, ca_bundle: str, offered: tuple[str, ...], chosen: str
) -> None:
    server_context = make_server_ssl_context(server_cert, alpn=("h2", "http/1.1"))
    async with serving(greet_after_handshake, server_context) as (port, errors):
        context = create_ssl_context(ca_bundle, alpn=offered)
        stream = await open_stream("127.0.0.1", port, ssl_context=context)
        try:
            assert negotiated_protocol(stream) == chosen
            assert await stream.receive_some() == b"hello"
        finally:
            await stream.aclose()
    assert errors == []


async def test_untrusted_certificate_is_an_ssl_error(tls_server: TestServer) -> None:
    # certifi's roots do not include the throwaway test CA.
    with pytest.raises(SSLError, match="TLS handshake"):
        await open_stream(tls_server.host, tls_server.port, ssl_context=create_ssl_context())


async def test_hostname_mismatch_is_an_ssl_error(tls_server: TestServer, ca_bundle: str) -> None:
    with pytest.raises(SSLError):
        await open_stream(
            tls_server.host,
            tls_server.port,
            ssl_context=create_ssl_context(ca_bundle),
            server_hostname="wrong.example",
        )


async def test_server_hostname_overrides_the_connect_host(
    tls_server: TestServer, ca_bundle: str
) -> None:
    # Connect to the IP but verify the certificate for a name it carries.
    stream = await open_stream(
        "127.0.0.1",
        tls_server.port,
        ssl_context=create_ssl_context(ca_bundle),
        server_hostname="localhost",
    )
    await stream.aclose()


async def test_verify_false_accepts_an_untrusted_certificate(tls_server: TestServer) -> None:
    stream = await open_stream(
        tls_server.host, tls_server.port, ssl_context=create_ssl_context(False)
    )
    try:
        assert negotiated_protocol(stream) == "http/1.1"
    finally:
        await stream.aclose()


async def test_tls_to_a_plain_tcp_server_is_an_ssl_error() -> None:
    async def speak_plain_http(stream: trio.abc.Stream) -> None:
        await stream.send_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    async with serving(speak_plain_http) as (port, _):
        with pytest.raises(SSLError):
            await open_stream("127.0.0.1", port, ssl_context=create_ssl_context(False))


async def test_ca_directory_is_used_for_verification(
    tls_server: TestServer, ca: trustme.CA
) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to name a hashed CA directory")
    with tempfile.TemporaryDirectory() as directory:
        pem = os.path.join(directory, "ca.pem")
        ca.cert_pem.write_to_path(pem)
        subject_hash = subprocess.run(
            [openssl, "x509", "-hash", "-noout", "-in", pem],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        os.rename(pem, os.path.join(directory, f"{subject_hash}.0"))
        context = create_ssl_context(directory)
        assert create_ssl_context(directory) is context
        stream = await open_stream(tls_server.host, tls_server.port, ssl_context=context)
        await stream.aclose()


async def test_empty_ca_directory_trusts_nothing(tls_server: TestServer) -> None:
    with tempfile.TemporaryDirectory() as directory:
        context = create_ssl_context(directory)
        with pytest.raises(SSLError):
            await open_stream(tls_server.host, tls_server.port, ssl_context=context)


async def test_client_certificate_is_presented_to_the_server(
    ca: trustme.CA, server_cert: trustme.LeafCert, ca_bundle: str, tmp_path: pathlib.Path
) -> None:
    server_context = make_server_ssl_context(server_cert)
    server_context.verify_mode = ssl.CERT_REQUIRED
    ca.configure_trust(server_context)
    peers: list[Any] = []

    async def record_peer(stream: trio.SSLStream[Any]) -> None:
        await stream.do_handshake()
        peers.append(stream.getpeercert())
        await stream.send_all(b"hello")
        await stream.receive_some()

    client_pem = tmp_path / "client.pem"
    ca.issue_cert("client.test").private_key_and_cert_chain_pem.write_to_path(str(client_pem))
    async with serving(record_peer, server_context) as (port, errors):
        context = create_ssl_context(ca_bundle, str(client_pem))
        stream = await open_stream("127.0.0.1", port, ssl_context=context)
        try:
            assert await stream.receive_some() == b"hello"
        finally:
            await stream.aclose()
    assert errors == []
    assert len(peers) == 1
    assert ("DNS", "client.test") in peers[0]["subjectAltName"]


# -- open_stream: Unix sockets -------------------------------------------------


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix domain sockets")
async def test_unix_socket_via_uds() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "s.sock")
        sock = trio.socket.socket(trio.socket.AF_UNIX, trio.socket.SOCK_STREAM)
        await sock.bind(path)
        sock.listen()
        listener = trio.SocketListener(sock)
        async with trio.open_nursery() as nursery:
            await nursery.start(trio.serve_listeners, echo_upper, [listener])
            # host and port are ignored for the connection itself.
            stream = await open_stream("localhost", 80, ssl_context=None, uds=path)
            try:
                assert await round_trip(stream, b"over unix") == b"OVER UNIX"
            finally:
                await stream.aclose()
            nursery.cancel_scope.cancel()


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix domain sockets")
async def test_missing_unix_socket_is_a_connect_error() -> None:
    with tempfile.TemporaryDirectory() as directory:
        with pytest.raises(ConnectError):
            await open_stream(
                "localhost", 80, ssl_context=None, uds=os.path.join(directory, "missing.sock")
            )


# -- Receiver: every TLS record at hand per call --------------------------------

PATTERN = bytes(range(256)) * 4096  # 1 MiB, 64 TLS records


async def receive_all(receiver: Receiver) -> tuple[bytes, list[int], BaseException | None]:
    """Read to the end (or an error); the bytes, each call's size, and the error."""
    data, sizes = bytearray(), []
    try:
        while chunk := await receiver.receive():
            data += chunk
            sizes.append(len(chunk))
    except trio.BrokenResourceError as exc:
        return bytes(data), sizes, exc
    return bytes(data), sizes, None


@asynccontextmanager
async def tls_receiver(
    handler: Handler, server_cert: trustme.LeafCert, ca_bundle: str, max_bytes: int
) -> AsyncIterator[Receiver]:
    async with serving(handler, make_server_ssl_context(server_cert)) as (port, _):
        context = create_ssl_context(ca_bundle)
        stream = await open_stream(
            "127.0.0.1", port, ssl_context=context, server_hostname="localhost"
        )
        try:
            yield Receiver(stream, max_bytes)
        finally:
            await stream.aclose()


async def send_pattern_then_wait(stream: trio.SSLStream[Any]) -> None:
    await stream.send_all(PATTERN)
    await stream.aclose()  # close_notify: a clean end


async def test_receiver_takes_many_records_per_call_and_loses_nothing(
    server_cert: trustme.LeafCert, ca_bundle: str
) -> None:
    async with tls_receiver(send_pattern_then_wait, server_cert, ca_bundle, 256 * 1024) as rx:
        await trio.sleep(0.2)  # let the whole megabyte reach our socket
        data, sizes, error = await receive_all(rx)
    assert error is None
    assert data == PATTERN
    # Reads grow from 16 KiB; at full size one call takes 16 records, not one.
    assert sizes[0] == 16 * 1024
    assert max(sizes) == 256 * 1024
    assert len(sizes) <= 12


async def test_receiver_never_returns_more_than_max_bytes(
    server_cert: trustme.LeafCert, ca_bundle: str
) -> None:
    async with tls_receiver(send_pattern_then_wait, server_cert, ca_bundle, 20_000) as rx:
        await trio.sleep(0.2)
        data, sizes, error = await receive_all(rx)
    assert error is None and data == PATTERN
    assert max(sizes) == 20_000


async def test_receiver_ends_cleanly_at_eof_without_close_notify(
    server_cert: trustme.LeafCert, ca_bundle: str
) -> None:
    async def send_then_drop(stream: trio.SSLStream[Any]) -> None:
        await stream.send_all(PATTERN[:100_000])
        stream.transport_stream.socket.close()  # no close_notify

    async with tls_receiver(send_then_drop, server_cert, ca_bundle, 256 * 1024) as rx:
        await trio.sleep(0.2)
        data, _, error = await receive_all(rx)
    # https_compatible: a missing close_notify reads as the end (HTTP frames
    # its own messages, so truncation is caught above this layer).
    assert error is None and data == PATTERN[:100_000]


async def test_receiver_hands_out_good_records_before_a_broken_one(
    server_cert: trustme.LeafCert, ca_bundle: str
) -> None:
    async def send_then_garbage(stream: trio.SSLStream[Any]) -> None:
        await stream.send_all(PATTERN[:50_000])
        # An application-data record that cannot decrypt.
        await stream.transport_stream.send_all(b"\x17\x03\x03\x00\x20" + b"\x00" * 32)
        await trio.sleep(1)

    async with tls_receiver(send_then_garbage, server_cert, ca_bundle, 256 * 1024) as rx:
        await trio.sleep(0.2)  # records and garbage arrive together
        data, _, error = await receive_all(rx)
    assert data == PATTERN[:50_000]
    assert isinstance(error, trio.BrokenResourceError)
    assert isinstance(error.__cause__, ssl.SSLError)


async def test_receiver_reports_a_reset_connection_as_broken(
    server_cert: trustme.LeafCert, ca_bundle: str
) -> None:
    async def send_then_reset(stream: trio.SSLStream[Any]) -> None:
        await stream.send_all(PATTERN[:50_000])
        sock = stream.transport_stream.socket
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()  # linger 0: RST instead of FIN

    async with tls_receiver(send_then_reset, server_cert, ca_bundle, 256 * 1024) as rx:
        await trio.sleep(0.2)
        data, _, error = await receive_all(rx)
    assert PATTERN.startswith(data)
    assert isinstance(error, trio.BrokenResourceError)


async def test_receiver_on_a_plain_stream_is_receive_some() -> None:
    async def send_pattern(stream: trio.SocketStream) -> None:
        await stream.send_all(PATTERN[:300_000])

    async with serving(send_pattern) as (port, _):
        stream = await open_stream("127.0.0.1", port, ssl_context=None)
        async with stream:
            rx = Receiver(stream, 64 * 1024)
            data, sizes, error = await receive_all(rx)
    assert error is None and data == PATTERN[:300_000]
    assert max(sizes) <= 64 * 1024


async def test_has_ready_sees_decrypted_bytes_and_a_readable_socket(
    server_cert: trustme.LeafCert, ca_bundle: str
) -> None:
    async def send_then_hold(stream: trio.SSLStream[Any]) -> None:
        await stream.send_all(PATTERN[:5000])
        await trio.sleep(5)

    async with tls_receiver(send_then_hold, server_cert, ca_bundle, 1000) as rx:
        await trio.sleep(0.2)
        assert rx.has_ready()  # the socket holds the record
        assert await rx.receive() == PATTERN[:1000]
        assert rx.has_ready()  # the rest of the record waits, decrypted
        received = 1000
        while received < 5000:
            received += len(await rx.receive())
        assert not rx.has_ready()  # nothing more until the server sends


async def test_an_error_after_good_records_is_raised_by_the_next_call(
    server_cert: trustme.LeafCert, ca_bundle: str
) -> None:
    async def send_then_garbage(stream: trio.SSLStream[Any]) -> None:
        await stream.send_all(b"x" * 100)
        await stream.transport_stream.send_all(b"\x17\x03\x03\x00\x20" + b"\x00" * 32)
        await trio.sleep(1)

    async with tls_receiver(send_then_garbage, server_cert, ca_bundle, 1000) as rx:
        await trio.sleep(0.2)  # the record and the garbage wait together
        assert await rx.receive() == b"x" * 100  # one call: good bytes, error kept
        with pytest.raises(trio.BrokenResourceError) as caught:
            await rx.receive()
        assert isinstance(caught.value.__cause__, ssl.SSLError)


async def test_receiver_over_tls_inside_a_tunnel_reads_the_tls_stream(
    server_cert: trustme.LeafCert, client_ssl_context: ssl.SSLContext
) -> None:
    # TLS inside a proxy's TLS tunnel: the transport is not a socket.
    client_transport, server_transport = trio.testing.memory_stream_pair()
    client = trio.SSLStream(client_transport, client_ssl_context, server_hostname="localhost")
    server = trio.SSLStream(
        server_transport, make_server_ssl_context(server_cert), server_side=True
    )

    async def serve() -> None:
        await server.send_all(PATTERN[:200_000])
        await server.aclose()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(serve)
        rx = Receiver(client, 256 * 1024)
        assert not rx.has_ready()  # no socket to poll
        data, _, error = await receive_all(rx)
    assert error is None and data == PATTERN[:200_000]


# -- Receiver: what a connection keeps in memory -----------------------------------


async def test_a_tls_connection_holds_at_most_one_record_between_reads(
    server_cert: trustme.LeafCert, ca_bundle: str
) -> None:
    # OpenSSL reads the socket itself: no ciphertext waits in memory, and a
    # read that stops at its size leaves the rest of one record decrypted.
    async with tls_receiver(send_pattern_then_wait, server_cert, ca_bundle, 100_000) as rx:
        stream = rx._stream
        assert isinstance(stream, TLSSocketStream)
        await trio.sleep(0.2)  # the whole megabyte waits in our socket
        data = bytearray()
        while chunk := await rx.receive():
            data += chunk
            assert stream.socket.pending() < 16 * 1024
        assert stream.socket.pending() == 0
    assert data == PATTERN


async def test_a_tls_receiver_holds_nothing_after_a_small_message(
    server_cert: trustme.LeafCert, ca_bundle: str
) -> None:
    async def send_small_then_hold(stream: trio.SSLStream[Any]) -> None:
        await stream.send_all(b"x" * 300)
        await trio.sleep(5)

    async with tls_receiver(send_small_then_hold, server_cert, ca_bundle, 256 * 1024) as rx:
        assert await rx.receive() == b"x" * 300
        stream = rx._stream
        assert isinstance(stream, TLSSocketStream)
        assert not stream.has_pending()
        assert not rx.has_ready()


def test_next_read_size_doubles_while_reads_fill_and_starts_over_after_a_short_one() -> None:
    maximum = 256 * 1024
    assert next_read_size(16 * 1024, 16 * 1024, maximum) == 32 * 1024
    assert next_read_size(128 * 1024, 128 * 1024, maximum) == maximum
    assert next_read_size(maximum, maximum, maximum) == maximum
    assert next_read_size(maximum, 100, maximum) == MIN_READ_SIZE
    assert next_read_size(maximum, 0, maximum) == MIN_READ_SIZE  # EOF
    assert next_read_size(maximum, 50_000, maximum) == maximum  # drained: keep
    assert next_read_size(1000, 10, 1000) == 1000  # never above the maximum


async def test_plain_reads_start_small_and_double_while_they_come_back_full() -> None:
    more = trio.Event()
    size = 16_384 + 32_768 + 65_536 + 20_000  # three full reads, then a short one

    async def send_pattern_then_a_little(stream: trio.SocketStream) -> None:
        await stream.send_all(PATTERN[:size])
        await more.wait()
        await stream.send_all(b"tail")

    async with serving(send_pattern_then_a_little) as (port, _):
        stream = await open_stream("127.0.0.1", port, ssl_context=None)
        async with stream:
            rx = Receiver(stream, 256 * 1024)
            assert rx.read_size == MIN_READ_SIZE
            await trio.sleep(0.2)  # all of it waits in our socket
            sizes = []
            while sum(sizes) < size:
                sizes.append(len(await rx.receive()))
            assert sizes == [16_384, 32_768, 65_536, 20_000]
            assert rx.read_size == 131_072  # drained, but not by a small read
            more.set()
            assert await rx.receive() == b"tail"
            assert rx.read_size == MIN_READ_SIZE  # a short read: small again


@pytest.mark.skipif(os.name != "posix", reason="direct descriptor I/O is POSIX only")
async def test_direct_socket_writes_a_head_at_once_and_reads_what_is_due() -> None:
    async with serving(echo_upper) as (port, _):
        stream = await open_stream("127.0.0.1", port, ssl_context=None)
        async with stream:
            rx = Receiver(stream, 256 * 1024)
            direct = DirectSocket(stream, rx)
            assert await direct.send_head(b"hello") is True  # one write took it all
            assert await direct.receive_due() == b"HELLO"
            assert rx.read_size == MIN_READ_SIZE  # a short read keeps reads small


@pytest.mark.skipif(os.name != "posix", reason="direct descriptor I/O is POSIX only")
async def test_direct_socket_closed_while_waiting_raises_closed_resource() -> None:
    async def hold(stream: trio.SocketStream) -> None:
        await trio.sleep(5)

    async with serving(hold) as (port, _):
        stream = await open_stream("127.0.0.1", port, ssl_context=None)
        direct = DirectSocket(stream, Receiver(stream, 64 * 1024))

        async def close_once_waiting() -> None:
            await trio.testing.wait_all_tasks_blocked()
            assert isinstance(stream, trio.SocketStream)
            stream.socket.close()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(close_once_waiting)
            with pytest.raises(trio.ClosedResourceError):
                await direct.receive_due()


async def test_direct_socket_without_a_plain_socket_uses_the_stream() -> None:
    left, right = trio.testing.memory_stream_pair()
    direct = DirectSocket(left, Receiver(left, 64 * 1024))
    assert await direct.send_head(b"head") is False  # went through send_all
    assert await right.receive_some() == b"head"
    await right.send_all(b"answer")
    assert await direct.receive_due() == b"answer"


async def test_socket_readable_sees_data_and_eof_and_answers_if_broken() -> None:
    go = trio.Event()

    async def send_on_cue(stream: trio.SocketStream) -> None:
        await go.wait()
        await stream.send_all(b"x")
        await trio.sleep(5)

    async with serving(send_on_cue) as (port, _):
        stream = await open_stream("127.0.0.1", port, ssl_context=None)
        assert not socket_readable(stream, if_broken=True)  # idle: nothing to read
        go.set()
        with trio.fail_after(5):
            while not socket_readable(stream, if_broken=True):
                await trio.sleep(0.01)
        assert isinstance(stream, trio.SocketStream)
        stream.socket.close()
        assert socket_readable(stream, if_broken=True) is True
        assert socket_readable(stream, if_broken=False) is False
    left, _ = trio.testing.memory_stream_pair()
    assert socket_readable(left, if_broken=True) is False  # no socket under it
