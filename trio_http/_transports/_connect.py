"""Opening byte streams: TCP with happy eyeballs, Unix sockets, TLS with ALPN.

A failure says what went wrong in words (see :mod:`._net_errors`): each
address tried and why it failed, or why the TLS handshake failed, naming
the certificate's hosts or dates when verification refused it.
"""

from __future__ import annotations

import ssl

import trio

from .._exceptions import ConnectError, SSLError
from ._net_errors import authority, connect_failure, handshake_failure
from ._net_tls import TLSSocketStream

__all__ = ["HAPPY_EYEBALLS_DELAY", "negotiated_protocol", "open_stream", "start_tls"]

HAPPY_EYEBALLS_DELAY = 0.25  # seconds, RFC 8305 §5 recommends 250 ms


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
        ConnectError: DNS failure, refused or unreachable; the message names
            each address tried and why it failed.
        SSLError: the TLS handshake failed (bad certificate, protocol); the
            message says why.
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
        raise ConnectError(connect_failure(host, port, exc, uds=uds)) from exc
    if ssl_context is None:
        return stream
    return await start_tls(stream, ssl_context, server_hostname or host, authority(host, port))


async def start_tls(
    stream: trio.abc.Stream, ssl_context: ssl.SSLContext, server_hostname: str, what: str
) -> trio.abc.Stream:
    """Negotiate TLS over an open ``stream`` (``what`` names the peer); closes it on failure.

    Over a TCP socket OpenSSL works on the descriptor itself
    (:class:`~._net_tls.TLSSocketStream`); over anything else (a proxy's TLS
    tunnel) it is ``trio.SSLStream``. A checkpoint.

    Raises:
        SSLError: the handshake failed (certificate, protocol, peer closed);
            the message says why.
    """
    tls: TLSSocketStream | trio.SSLStream[trio.abc.Stream]
    if isinstance(stream, trio.SocketStream):
        try:
            tls = TLSSocketStream.wrap(stream, ssl_context, server_hostname)
        except BaseException:
            await trio.aclose_forcefully(stream)
            raise
    else:
        tls = trio.SSLStream(
            stream, ssl_context, server_hostname=server_hostname, https_compatible=True
        )
    try:
        await tls.do_handshake()
    except BaseException as exc:
        reason = None
        if isinstance(exc, (ssl.SSLError, trio.BrokenResourceError, OSError)):
            # Read before closing: the SSL object holds the certificate a
            # failed verification refused (Trio's is a private attribute).
            ssl_object = (
                tls.ssl_object
                if isinstance(tls, TLSSocketStream)
                else getattr(tls, "_ssl_object", None)
            )
            reason = handshake_failure(exc, ssl_object, server_hostname)
        if isinstance(tls, TLSSocketStream):
            tls.close()
        await trio.aclose_forcefully(stream)
        if reason is not None:
            raise SSLError(f"TLS handshake with {what} failed: {reason}") from exc
        raise
    return tls


def negotiated_protocol(stream: trio.abc.Stream) -> str | None:
    """The ALPN protocol the server chose, or None (plain TCP, no ALPN)."""
    if isinstance(stream, (trio.SSLStream, TLSSocketStream)):
        protocol: str | None = stream.selected_alpn_protocol()
        return protocol
    return None
