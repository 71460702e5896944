"""HTTP/2's ALPN offer on an ``ssl.SSLContext`` the caller built.

How this works. HTTP/2 over TLS is negotiated with ALPN (RFC 7301), and the
offer is a setting of the whole context: Python has no per-connection ALPN
and no way to copy a context. So a caller's context (``verify=`` an
``ssl.SSLContext``, a ``truststore.SSLContext`` say) gets ``h2`` the way
httpx does it, by setting it on the context, with two limits: it is done at
most once per context, and only when the context offers no protocols yet. A
context that offers some is the caller's decision and is left alone.

Python cannot read a context's ALPN protocols back either, so
:func:`offered_alpn` looks at what the context would send: it starts a
handshake in memory (no socket, nothing leaves the process), takes the
ClientHello the context writes, and reads the ALPN extension out of it.
That costs about one key-share generation, once per context.
"""

from __future__ import annotations

import ssl
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["alpn_in_client_hello", "offer_alpn_once", "offered_alpn"]

_HANDSHAKE_RECORD = 0x16  # RFC 8446 §5.1 ContentType handshake
_CLIENT_HELLO = 0x01  # RFC 8446 §4 HandshakeType client_hello
_ALPN_EXTENSION = 16  # RFC 7301 §3.1
_RANDOM_SIZE = 32
# A name no DNS answers (RFC 6761 §6.4), for the ClientHello's SNI.
_PROBE_HOSTNAME = "alpn-probe.invalid"

# Contexts whose ALPN was looked at already: each is looked at once.
_examined: weakref.WeakSet[ssl.SSLContext] = weakref.WeakSet()


class _Reader:
    """Reads the length-prefixed fields of a TLS message; IndexError past the end."""

    __slots__ = ("data", "position")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def take(self, size: int) -> bytes:
        end = self.position + size
        if end > len(self.data):
            raise IndexError("truncated TLS message")
        chunk = self.data[self.position : end]
        self.position = end
        return chunk

    def number(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def vector(self, length_size: int) -> bytes:
        return self.take(self.number(length_size))


def _handshake_bytes(records: bytes) -> bytes:
    """The handshake messages carried by a run of TLS records (RFC 8446 §5.1)."""
    reader = _Reader(records)
    messages = b""
    while reader.position < len(records):
        content_type = reader.number(1)
        reader.take(2)  # legacy_record_version
        fragment = reader.vector(2)
        if content_type != _HANDSHAKE_RECORD:
            raise ValueError("not a handshake record")
        messages += fragment
    return messages


def alpn_in_client_hello(records: bytes) -> tuple[str, ...] | None:
    """The protocols a ClientHello offers with ALPN: () for none, None if unreadable.

    Args:
        records: the TLS records a client wrote first (RFC 8446 §4.1.2).
    """
    try:
        hello = _Reader(_handshake_bytes(records))
        if hello.number(1) != _CLIENT_HELLO:
            return None
        body = _Reader(hello.vector(3))
        body.take(2 + _RANDOM_SIZE)  # legacy_version, random
        body.vector(1)  # legacy_session_id
        body.vector(2)  # cipher_suites
        body.vector(1)  # legacy_compression_methods
        if body.position == len(body.data):
            return ()  # no extensions at all
        extensions = _Reader(body.vector(2))
        while extensions.position < len(extensions.data):
            kind = extensions.number(2)
            payload = extensions.vector(2)
            if kind != _ALPN_EXTENSION:
                continue
            names = _Reader(_Reader(payload).vector(2))
            offered: list[str] = []
            while names.position < len(names.data):
                offered.append(names.vector(1).decode("ascii", "replace"))
            return tuple(offered)
    except (IndexError, ValueError):
        return None
    return ()


def offered_alpn(context: ssl.SSLContext) -> tuple[str, ...] | None:
    """The ALPN protocols ``context`` offers: () for none, None if it cannot tell.

    Not a checkpoint, no I/O: the handshake is started on memory buffers and
    dropped after its first message.
    """
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    try:
        probe = context.wrap_bio(incoming, outgoing, server_hostname=_PROBE_HOSTNAME)
        probe.do_handshake()
    except ssl.SSLWantReadError:
        pass  # the ClientHello is written; the server's answer would be next
    except (ssl.SSLError, ValueError, OSError):
        return None
    return alpn_in_client_hello(outgoing.read())


def offer_alpn_once(context: ssl.SSLContext, alpn: Sequence[str]) -> None:
    """Make a caller's ``context`` offer ``alpn`` when it offers no protocols yet.

    At most once per context, and only for an offer that includes ``h2``:
    HTTP/1.1 needs no ALPN. A context whose offer cannot be read is left
    alone. Not a checkpoint.
    """
    if "h2" not in alpn or context in _examined:
        return
    _examined.add(context)
    if offered_alpn(context) == ():
        context.set_alpn_protocols(list(alpn))
