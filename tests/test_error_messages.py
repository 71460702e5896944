"""Errors say what went wrong: refused ports, TLS failures, servers speaking something else.

Each test provokes one failure against a real listener on loopback (or a
real TLS handshake in memory) and checks the exact words of the reason.
"""

from __future__ import annotations

import datetime
import errno
import os
import socket
import ssl
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import pytest
import trio
import trustme
from conftest import make_server_ssl_context
from h2server import open_h2_server
from server import RawReader, TestServer, open_test_server

from trio_http import (
    AsyncClient,
    ConnectError,
    ConnectionPool,
    InvalidURL,
    RemoteProtocolError,
    SSLError,
)
from trio_http._transports._net import create_ssl_context, open_stream
from trio_http._transports._net_errors import connect_failure
from trio_http._transports._wrong_protocol import (
    HTTP2_ONLY,
    http1_reply_to_http2,
    non_http1_reply,
)

if sys.version_info < (3, 11):
    from exceptiongroup import ExceptionGroup

# A CA whose name is known, so that messages naming the issuer can be exact.
ISSUER = "O=trio_http tests, OU=Error messages CA"
PAST = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
FUTURE = datetime.datetime(2999, 1, 1, tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def named_ca() -> trustme.CA:
    return trustme.CA(
        organization_name="trio_http tests", organization_unit_name="Error messages CA"
    )


@pytest.fixture(scope="module")
def named_ca_bundle(named_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("named-ca") / "ca.pem"
    named_ca.cert_pem.write_to_path(str(path))
    return str(path)


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@asynccontextmanager
async def tls_server_with(cert: trustme.LeafCert) -> AsyncIterator[TestServer]:
    async with open_test_server(make_server_ssl_context(cert)) as running:
        yield running


async def failure_of(url: str, **client_options: object) -> BaseException:
    """What one GET of ``url`` raises, with a client built from ``client_options``."""
    async with AsyncClient(**client_options) as client:  # type: ignore[arg-type]
        with pytest.raises(Exception) as info:
            await client.get(url)
    return info.value


# -- TCP --------------------------------------------------------------------


async def test_refused_port_says_connection_refused() -> None:
    port = unused_port()
    error = await failure_of(f"http://127.0.0.1:{port}/")
    assert isinstance(error, ConnectError)
    assert str(error) == f"could not connect to 127.0.0.1:{port}: Connection refused"


class _TwoAddresses(trio.abc.HostnameResolver):
    """Resolves ``two.test`` to 127.0.0.1 and 127.0.0.2, and nothing else."""

    async def getaddrinfo(  # type: ignore[override]
        self, host: bytes, port: bytes | str | int | None, *args: object, **kwargs: object
    ) -> list[tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple[str, int]]]:
        if host != b"two.test":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        assert port is not None
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, int(port)))
            for ip in ("127.0.0.1", "127.0.0.2")
        ]

    async def getnameinfo(self, sockaddr: tuple[str, int], flags: int) -> tuple[str, str]:
        raise NotImplementedError


async def test_refused_on_every_address_names_the_addresses_tried() -> None:
    trio.socket.set_custom_hostname_resolver(_TwoAddresses())
    port = unused_port()
    error = await failure_of(f"http://two.test:{port}/")
    assert isinstance(error, ConnectError)
    assert str(error) == (
        f"could not connect to two.test:{port} (127.0.0.1, 127.0.0.2): Connection refused"
    )


async def test_unknown_host_says_it_could_not_be_resolved() -> None:
    trio.socket.set_custom_hostname_resolver(_TwoAddresses())
    error = await failure_of("http://nowhere.test/")
    assert isinstance(error, ConnectError)
    assert str(error) == "could not resolve 'nowhere.test': Name or service not known"


async def test_missing_unix_socket_names_its_path(tmp_path: object) -> None:
    path = f"{tmp_path}/missing.sock"
    error = await failure_of("http://localhost/", uds=path)
    assert isinstance(error, ConnectError)
    assert str(error) == f"could not connect to the Unix socket {path!r}: No such file or directory"


def _trio_connect_error(host: str, port: int, failures: list[tuple[str, int]]) -> OSError:
    """An OSError shaped as Trio's ``open_tcp_stream`` raises it, from real errno values."""
    per_address = [
        OSError(code, f"Error connecting to {(ip, port)!r}: {os.strerror(code)}")
        for ip, code in failures
    ]
    error = OSError(f"all attempts to connect to {host}:{port} failed")
    error.__cause__ = ExceptionGroup(str(error), per_address)
    return error


def test_different_reasons_are_grouped_with_their_addresses() -> None:
    error = _trio_connect_error(
        "example.test",
        443,
        [
            ("2001:db8::1", errno.ENETUNREACH),
            ("192.0.2.1", errno.ETIMEDOUT),
            ("192.0.2.2", errno.ETIMEDOUT),
        ],
    )
    assert connect_failure("example.test", 443, error) == (
        "could not connect to example.test:443: Network is unreachable (2001:db8::1); "
        "Connection timed out (192.0.2.1, 192.0.2.2)"
    )


def test_ipv6_literal_is_bracketed() -> None:
    error = _trio_connect_error("::1", 80, [("::1", errno.ENETUNREACH)])
    assert connect_failure("::1", 80, error) == (
        "could not connect to [::1]:80: Network is unreachable"
    )


# -- TLS: the server's certificate ------------------------------------------


async def test_untrusted_certificate_names_the_reason_and_issuer(named_ca: trustme.CA) -> None:
    async with tls_server_with(named_ca.issue_cert("127.0.0.1")) as running:
        # trust_env=False: certifi's roots, whatever SSL_CERT_FILE says.
        error = await failure_of(running.url, trust_env=False)
    assert isinstance(error, SSLError)
    assert str(error) == (
        f"TLS handshake with 127.0.0.1:{running.port} failed: certificate verify failed: "
        f"unable to get local issuer certificate (issuer: {ISSUER})"
    )


async def test_hostname_mismatch_names_the_host_and_the_certificate_names(
    named_ca: trustme.CA, named_ca_bundle: str
) -> None:
    cert = named_ca.issue_cert("example.org", "www.example.org")
    async with tls_server_with(cert) as running:
        by_name = await failure_of(f"https://localhost:{running.port}/", verify=named_ca_bundle)
        by_ip = await failure_of(running.url, verify=named_ca_bundle)
    assert isinstance(by_name, SSLError)
    assert str(by_name) == (
        f"TLS handshake with localhost:{running.port} failed: certificate verify failed: "
        "hostname 'localhost' does not match the certificate, "
        "which is for example.org, www.example.org"
    )
    assert str(by_ip) == (
        f"TLS handshake with 127.0.0.1:{running.port} failed: certificate verify failed: "
        "IP address '127.0.0.1' does not match the certificate, "
        "which is for example.org, www.example.org"
    )


async def test_expired_certificate_gives_its_end_date(
    named_ca: trustme.CA, named_ca_bundle: str
) -> None:
    cert = named_ca.issue_cert("127.0.0.1", not_before=PAST.replace(year=2019), not_after=PAST)
    async with tls_server_with(cert) as running:
        error = await failure_of(running.url, verify=named_ca_bundle)
    assert isinstance(error, SSLError)
    assert str(error) == (
        f"TLS handshake with 127.0.0.1:{running.port} failed: certificate verify failed: "
        "certificate has expired (valid until 2020-01-01 00:00:00 UTC)"
    )


async def test_certificate_not_valid_yet_gives_its_start_date(
    named_ca: trustme.CA, named_ca_bundle: str
) -> None:
    cert = named_ca.issue_cert("127.0.0.1", not_before=FUTURE, not_after=FUTURE.replace(year=3000))
    async with tls_server_with(cert) as running:
        error = await failure_of(running.url, verify=named_ca_bundle)
    assert str(error) == (
        f"TLS handshake with 127.0.0.1:{running.port} failed: certificate verify failed: "
        "certificate is not yet valid (valid from 2999-01-01 00:00:00 UTC)"
    )


async def test_tls_to_a_plain_http_port_says_wrong_version_number(server: TestServer) -> None:
    error = await failure_of(f"https://127.0.0.1:{server.port}/")
    assert isinstance(error, SSLError)
    assert str(error) == (
        f"TLS handshake with 127.0.0.1:{server.port} failed: wrong version number: "
        "the server did not answer in TLS (if this port serves plain HTTP, use http://)"
    )


# -- TLS: a client certificate the server requires --------------------------


@contextmanager
def client_cert_server(
    ca: trustme.CA, *, maximum: ssl.TLSVersion, reset: bool, alpn: tuple[str, ...] = ()
) -> Iterator[int]:
    """A blocking TLS server (standard library, its own thread) requiring client certificates.

    A handshake that fails sends the alert, as OpenSSL does. With ``reset``
    the server then closes at once, unread request and all (the kernel
    resets the connection); without, it reads until the client closes. A
    client that presents a certificate gets one ``200 ok``.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    context.maximum_version = maximum
    if alpn:
        context.set_alpn_protocols(list(alpn))
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue  # a timeout: look at ``stop`` again
            conn.settimeout(5)
            tls = context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
            try:
                tls.do_handshake()
                tls.recv(65536)
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            except (ssl.SSLError, OSError):
                if not reset:
                    raw = socket.socket(fileno=tls.detach())
                    try:
                        while raw.recv(65536):
                            pass
                    except OSError:
                        pass
                    raw.close()
            finally:
                tls.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(10)
        listener.close()


CERT_REQUIRED_REASON = (
    "the server requires a client certificate (tlsv13 alert certificate required); "
    "pass one with cert="
)


@pytest.mark.parametrize("reset", [False, True], ids=["server-waits", "server-resets"])
async def test_tls13_missing_client_certificate_is_an_ssl_error(
    named_ca: trustme.CA, named_ca_bundle: str, reset: bool
) -> None:
    with client_cert_server(named_ca, maximum=ssl.TLSVersion.TLSv1_3, reset=reset) as port:
        error = await failure_of(f"https://localhost:{port}/", verify=named_ca_bundle)
    assert isinstance(error, SSLError)
    # The alert arrives with the first read, or is read back after the
    # request's write met the reset: which one comes first is a race.
    assert str(error) in (
        f"TLS failure while waiting for the response: {CERT_REQUIRED_REASON}",
        f"TLS failure while sending the request: {CERT_REQUIRED_REASON}",
    )


async def test_tls13_missing_client_certificate_over_http2_is_an_ssl_error(
    named_ca: trustme.CA, named_ca_bundle: str
) -> None:
    with client_cert_server(
        named_ca, maximum=ssl.TLSVersion.TLSv1_3, reset=False, alpn=("h2",)
    ) as port:
        error = await failure_of(f"https://localhost:{port}/", verify=named_ca_bundle, http2=True)
    assert isinstance(error, SSLError)
    # Exactly the reason: a refusal is not tried again on new connections.
    assert str(error) in (
        f"TLS failure while reading: {CERT_REQUIRED_REASON}",
        f"TLS failure while sending: {CERT_REQUIRED_REASON}",
    )


async def test_tls13_alert_is_read_back_after_the_reset_broke_the_write(
    named_ca: trustme.CA, named_ca_bundle: str
) -> None:
    """The reset is already there when the request goes out: the write fails first."""
    context = create_ssl_context(named_ca_bundle)

    async def open_then_wait(
        origin: tuple[str, str, int], request: object, ssl_context: object
    ) -> trio.abc.Stream:
        stream = await open_stream(
            "127.0.0.1", origin[2], ssl_context=context, server_hostname="localhost"
        )
        # Until the server's alert and its reset have arrived.
        await trio.sleep(0.2)
        return stream

    with client_cert_server(named_ca, maximum=ssl.TLSVersion.TLSv1_3, reset=True) as port:
        pool = ConnectionPool(verify=named_ca_bundle, stream_opener=open_then_wait)
        error = await failure_of(f"https://localhost:{port}/", transport=pool)
    assert isinstance(error, SSLError)
    assert str(error) == f"TLS failure while sending the request: {CERT_REQUIRED_REASON}"


async def test_tls12_missing_client_certificate_fails_the_handshake(
    named_ca: trustme.CA, named_ca_bundle: str
) -> None:
    with client_cert_server(named_ca, maximum=ssl.TLSVersion.TLSv1_2, reset=True) as port:
        error = await failure_of(f"https://localhost:{port}/", verify=named_ca_bundle)
    assert isinstance(error, SSLError)
    assert str(error) == (
        f"TLS handshake with localhost:{port} failed: the server refused the handshake "
        "(sslv3 alert handshake failure): it may require a client certificate, "
        "or share no TLS version or cipher suite with this client"
    )


async def test_the_client_certificate_server_answers_a_client_with_one(
    named_ca: trustme.CA, named_ca_bundle: str, tmp_path: object
) -> None:
    pem = f"{tmp_path}/client.pem"
    named_ca.issue_cert("client.test").private_key_and_cert_chain_pem.write_to_path(pem)
    with client_cert_server(named_ca, maximum=ssl.TLSVersion.TLSv1_3, reset=True) as port:
        async with AsyncClient(verify=named_ca_bundle, cert=pem) as client:
            response = await client.get(f"https://localhost:{port}/")
    assert response.text == "ok"


# -- servers that do not speak what was sent ----------------------------------

SSH_BANNER = b"SSH-2.0-OpenSSH_9.2\r\n"


async def test_ssh_banner_is_shown_as_bytes(raw_server: TestServer) -> None:
    async def ssh_like(stream: trio.abc.Stream) -> None:
        # An SSH server greets first, then gives up on what it reads.
        await stream.send_all(SSH_BANNER)
        await RawReader(stream).receive_head()

    raw_server.raw_handler = ssh_like
    error = await failure_of(raw_server.url)
    assert isinstance(error, RemoteProtocolError)
    assert str(error) == (
        "malformed response: the server did not answer in HTTP: "
        "it sent b'SSH-2.0-OpenSSH_9.2\\r\\n'"
    )


async def test_garbage_status_line_is_shown_as_bytes(raw_server: TestServer) -> None:
    async def garbage(stream: trio.abc.Stream) -> None:
        await RawReader(stream).receive_head()
        await stream.send_all(SSH_BANNER + b"\r\n")

    raw_server.raw_handler = garbage
    error = await failure_of(raw_server.url)
    assert str(error) == (
        "malformed response: the server did not answer in HTTP: it sent b'SSH-2.0-OpenSSH_9.2'"
    )


async def test_malformed_header_line_is_shown_as_bytes(raw_server: TestServer) -> None:
    async def bad_header(stream: trio.abc.Stream) -> None:
        await RawReader(stream).receive_head()
        await stream.send_all(b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")

    raw_server.raw_handler = bad_header
    error = await failure_of(raw_server.url)
    assert str(error) == "malformed response: illegal header line: b'no colon here'"


async def test_http11_request_to_an_http2_only_port_says_so() -> None:
    async with open_h2_server() as h2_only:
        error = await failure_of(h2_only.url + "/ok")
    assert isinstance(error, RemoteProtocolError)
    assert str(error) == f"malformed response: {HTTP2_ONLY}"
    assert HTTP2_ONLY == (
        "the server speaks HTTP/2 only (prior knowledge); use http2=True, http1=False"
    )


async def test_h2c_request_to_an_http11_only_port_says_so(raw_server: TestServer) -> None:
    connections = 0

    async def http11_only(stream: trio.abc.Stream) -> None:
        nonlocal connections
        connections += 1
        await RawReader(stream).receive_head()  # the preface reads as a request head
        await stream.send_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")

    raw_server.raw_handler = http11_only
    error = await failure_of(raw_server.url, http1=False, http2=True)
    assert isinstance(error, RemoteProtocolError)
    assert str(error) == (
        "the server answered in HTTP/1.1 (b'HTTP/1.1 400 Bad Request'): it does not speak "
        "HTTP/2 with prior knowledge (h2c) on this port; use http1=True"
    )
    # Another connection would meet the same answer: none is tried.
    assert connections == 1


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (b"HTTP/1.1 200 OK\r\n", None),
        (b"HTT", None),
        (b"", None),
        (b"\x00\x00\x12\x04\x00\x00\x00\x00\x00" + bytes(18), HTTP2_ONLY),
        (b"\x00\x00\x00\x04\x01\x00\x00\x00\x00", HTTP2_ONLY),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", HTTP2_ONLY),
        (
            b"\x00\x00\x05\x04\x00\x00\x00\x00\x00",
            "the server did not answer in HTTP: "
            "it sent b'\\x00\\x00\\x05\\x04\\x00\\x00\\x00\\x00\\x00'",
        ),
        (b"x" * 70, f"the server did not answer in HTTP: it sent {b'x' * 64!r} (and 6 more bytes)"),
    ],
)
def test_what_a_reply_to_http11_is(received: bytes, expected: str | None) -> None:
    assert non_http1_reply(received) == expected


def test_only_an_http1_status_line_is_taken_for_an_http11_answer() -> None:
    assert http1_reply_to_http2(b"\x00\x00\x06\x04\x00\x00\x00\x00\x00") is None
    assert http1_reply_to_http2(b"HTTP/1.0 400 Bad\r\n\r\n") == (
        "the server answered in HTTP/1.1 (b'HTTP/1.0 400 Bad'): it does not speak "
        "HTTP/2 with prior knowledge (h2c) on this port; use http1=True"
    )


# -- URLs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"), [("http://", "http://"), ("https://?q=1", "https://?q=1")]
)
async def test_url_without_host_is_shown_as_given(url: str, shown: str) -> None:
    error = await failure_of(url)
    assert isinstance(error, InvalidURL)
    assert str(error) == f"Invalid URL {shown!r}: no host supplied"
