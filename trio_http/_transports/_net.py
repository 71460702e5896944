"""Opening byte streams: TCP with happy eyeballs, TLS with ALPN, Unix sockets.

SSL contexts are expensive to build (loading certifi's bundle takes tens of
milliseconds), so each distinct configuration is built once per process and
cached; a context is never mutated after it is handed out.
"""

from __future__ import annotations

import functools
import os
import ssl
from typing import TYPE_CHECKING, Any, Union

import trio

from .._exceptions import ConnectError, SSLError, Timeout, TotalTimeout

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["CertTypes", "VerifyTypes", "create_ssl_context", "open_stream"]

VerifyTypes = Union[bool, str, "os.PathLike[str]", ssl.SSLContext]
CertTypes = Union[str, tuple[str, str], tuple[str, str, str], None]  # noqa: UP007

HAPPY_EYEBALLS_DELAY = 0.25  # seconds, RFC 8305 §5 recommends 250 ms


@functools.lru_cache(maxsize=1)
def _certifi_where() -> str:
    import certifi

    return certifi.where()


@functools.lru_cache(maxsize=32)
def _build_context(verify: bool | str, cert: CertTypes, alpn: tuple[str, ...]) -> ssl.SSLContext:
    if verify is False:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        # Not create_default_context(): that adds the system store, and a
        # caller who names a CA bundle (or relies on certifi's) must get
        # exactly that trust. PROTOCOL_TLS_CLIENT checks hostnames and
        # requires certificates by default.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if verify is True:
            context.load_verify_locations(cafile=_certifi_where())
        elif os.path.isdir(verify):
            context.load_verify_locations(capath=verify)
        elif os.path.isfile(verify):
            context.load_verify_locations(cafile=verify)
        else:
            raise OSError(f"could not find a CA bundle or directory at {verify!r}")
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # RFC 9113 §9.2: HTTP/2 needs TLS 1.2+ and no renegotiation; harmless for 1.1.
    context.options |= ssl.OP_NO_COMPRESSION
    if cert is not None:
        if isinstance(cert, str):
            context.load_cert_chain(cert)
        elif len(cert) == 2:
            context.load_cert_chain(cert[0], cert[1])
        else:
            context.load_cert_chain(cert[0], cert[1], cert[2])
    if alpn:
        context.set_alpn_protocols(list(alpn))
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog:
        context.keylog_filename = keylog
    return context


def create_ssl_context(
    verify: VerifyTypes = True,
    cert: CertTypes = None,
    *,
    alpn: Sequence[str] = ("http/1.1",),
) -> ssl.SSLContext:
    """Return the (cached) client SSL context for these settings.

    Args:
        verify: True (certifi's CAs), False (no verification), a CA bundle
            file or directory path, or a ready ``ssl.SSLContext`` (used as is).
        cert: client certificate: a PEM path holding cert and key, a
            ``(cert, key)`` pair, or ``(cert, key, password)``.
        alpn: protocols to offer, most preferred first.

    Raises:
        SSLError: the CA bundle or client certificate cannot be loaded.
    """
    if isinstance(verify, ssl.SSLContext):
        return verify
    if isinstance(verify, os.PathLike):
        verify = os.fspath(verify)
    try:
        return _build_context(verify, cert, tuple(alpn))
    except (OSError, ssl.SSLError) as exc:
        raise SSLError(f"could not load TLS settings: {exc}") from exc


async def open_stream(
    host: str,
    port: int,
    *,
    ssl_context: ssl.SSLContext | None,
    server_hostname: str | None = None,
    local_address: str | None = None,
    uds: str | None = None,
) -> trio.abc.Stream:
    """Open a TCP (or Unix) connection, then TLS over it when asked.

    A checkpoint. Cancellation closes whatever was opened.

    Raises:
        ConnectError: DNS failure, refused or unreachable.
        SSLError: the TLS handshake failed (bad certificate, protocol).
    """
    try:
        if uds is not None:
            stream: trio.abc.Stream = await trio.open_unix_socket(uds)
        else:
            stream = await trio.open_tcp_stream(
                host,
                port,
                happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY,
                local_address=local_address,
            )
    except OSError as exc:
        raise ConnectError(f"could not connect to {host}:{port}: {exc}") from exc
    if ssl_context is None:
        return stream
    tls = trio.SSLStream(
        stream,
        ssl_context,
        server_hostname=server_hostname or host,
        https_compatible=True,
    )
    try:
        await tls.do_handshake()
    except BaseException as exc:
        await trio.aclose_forcefully(stream)
        if isinstance(exc, ssl.SSLError):
            raise SSLError(f"TLS handshake with {host}:{port} failed: {exc}") from exc
        if isinstance(exc, (trio.BrokenResourceError, OSError)):
            raise SSLError(f"TLS handshake with {host}:{port} failed: {exc}") from exc
        raise
    return tls


def negotiated_protocol(stream: trio.abc.Stream) -> str | None:
    """The ALPN protocol the server chose, or None (plain TCP, no ALPN)."""
    if isinstance(stream, trio.SSLStream):
        protocol: str | None = stream.selected_alpn_protocol()
        return protocol
    return None


# -- helpers shared by the connection kinds -------------------------------

# What a broken or closed socket raises from send_all/receive_some.
IO_ERRORS = (trio.BrokenResourceError, trio.ClosedResourceError, OSError)


def close_stream_nowait(stream: trio.abc.Stream) -> None:
    """Close the socket under ``stream`` at once, without a checkpoint.

    TLS close_notify is skipped: HTTP messages are framed, so truncation is
    detected without it, and cleanup must not wait on a stalled peer.
    """
    inner: Any = stream
    while not isinstance(inner, trio.SocketStream):
        inner = getattr(inner, "transport_stream", None)
        if inner is None:
            # Not socket-backed (tests use memory streams): nothing to wait on.
            close = getattr(stream, "close", None)
            if callable(close):
                close()
            return
    inner.socket.close()


def socket_of(stream: trio.abc.Stream) -> Any:
    """The socket under ``stream`` (through TLS layers), or None."""
    inner: Any = stream
    while not isinstance(inner, trio.SocketStream):
        inner = getattr(inner, "transport_stream", None)
        if inner is None:
            return None
    return inner.socket


def phase_deadline(timeout: float | None, total_deadline: float) -> float:
    """The deadline of a phase with ``timeout`` seconds, within the overall one."""
    if timeout is None:
        return total_deadline
    return min(trio.current_time() + timeout, total_deadline)


def timeout_error(
    kind: type[Timeout], phase_deadline: float, total_deadline: float, what: str
) -> Timeout:
    """The phase's timeout, or :class:`TotalTimeout` when the overall deadline bound."""
    if total_deadline <= phase_deadline:
        return TotalTimeout(f"the overall request deadline expired while {what}")
    return kind(f"timed out while {what}")
