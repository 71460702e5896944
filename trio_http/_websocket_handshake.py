"""The WebSocket opening handshake as values: what to send, and whether the answer is right.

Layer 0: no I/O. The client builds the handshake headers here (RFC 6455
§4.1: ``Upgrade``, ``Connection``, a fresh ``Sec-WebSocket-Key``, version
13, the offered subprotocols and extensions), sends them through a
transport, and checks the transport's response here: over HTTP/1.1 a 101
with the ``Sec-WebSocket-Accept`` matching the key, over HTTP/2 (RFC 8441,
which has no key) any 2xx; in both, a subprotocol and extensions only from
those offered.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, final

from ._exceptions import InvalidSchema, WebSocketHandshakeError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._response import Response
    from ._urls import URL

__all__ = [
    "DEFAULT_CLOSE_TIMEOUT",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_MAX_QUEUE",
    "DEFAULT_PING_TIMEOUT",
    "WEBSOCKET_SCHEMES",
    "Negotiated",
    "accept_for",
    "check_handshake",
    "handshake_headers",
    "http_url_for",
    "new_key",
    "parse_extensions",
]

# RFC 6455 §1.3: appended to the key before hashing.
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
WEBSOCKET_VERSION = "13"
WEBSOCKET_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}

DEFAULT_MAX_MESSAGE_SIZE = 4 * 1024 * 1024  # bytes (characters for text) per received message
DEFAULT_MAX_QUEUE = 32  # received messages waiting for receive() before reading pauses
DEFAULT_PING_TIMEOUT = 20.0  # seconds a keep-alive ping waits for its pong
DEFAULT_CLOSE_TIMEOUT = 10.0  # seconds the close handshake waits for the peer's close


def new_key() -> str:
    """A fresh ``Sec-WebSocket-Key``: 16 random bytes, base64 (RFC 6455 §4.1)."""
    return base64.b64encode(os.urandom(16)).decode("ascii")


def accept_for(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` a server must answer ``key`` with (RFC 6455 §4.2.2)."""
    digest = hashlib.sha1((key + _GUID).encode("ascii")).digest()  # RFC 6455 names SHA-1
    return base64.b64encode(digest).decode("ascii")


def http_url_for(url: URL) -> URL:
    """``url`` with ``ws``/``wss`` mapped to ``http``/``https`` (which pass unchanged).

    Raises:
        InvalidSchema: any other scheme.
    """
    scheme = WEBSOCKET_SCHEMES.get(url.scheme)
    if scheme is None:
        raise InvalidSchema(f"a WebSocket URL must be ws://, wss://, http:// or https://: {url}")
    if scheme == url.scheme:
        return url
    return url.copy_with(scheme=scheme)


def handshake_headers(
    key: str, subprotocols: Sequence[str], extensions: str | None
) -> list[tuple[str, str]]:
    """The headers that make a ``GET`` a WebSocket handshake (RFC 6455 §4.1).

    Args:
        key: from :func:`new_key`.
        subprotocols: offered in order of preference (may be empty).
        extensions: the ``Sec-WebSocket-Extensions`` offer, or None.
    """
    headers = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", WEBSOCKET_VERSION),
    ]
    if subprotocols:
        headers.append(("Sec-WebSocket-Protocol", ", ".join(subprotocols)))
    if extensions:
        headers.append(("Sec-WebSocket-Extensions", extensions))
    return headers


def parse_extensions(value: str) -> list[tuple[str, str]]:
    """``Sec-WebSocket-Extensions`` as ``(name, parameters)`` pairs, names lower-cased.

    ``"permessage-deflate; server_no_context_takeover"`` gives
    ``[("permessage-deflate", "server_no_context_takeover")]``.
    """
    found = []
    for item in value.split(","):
        name, _, params = item.partition(";")
        name = name.strip().lower()
        if name:
            found.append((name, params.strip()))
    return found


@final
@dataclass(frozen=True, slots=True)
class Negotiated:
    """What the server agreed to in its handshake response.

    Attributes:
        subprotocol: the subprotocol chosen, or None.
        extensions: ``(name, parameters)`` of each extension accepted, in order.
    """

    subprotocol: str | None
    extensions: tuple[tuple[str, str], ...]


def check_handshake(
    response: Response,
    key: str,
    subprotocols: Sequence[str],
    offered_extensions: Sequence[str],
) -> Negotiated:
    """Check the server's answer to a handshake; return what it agreed to.

    Args:
        response: the handshake response (its ``http_version`` decides the rules).
        key: the ``Sec-WebSocket-Key`` sent (unused over HTTP/2).
        subprotocols: the subprotocols offered.
        offered_extensions: the names of the extensions offered.

    Raises:
        WebSocketHandshakeError: refused (a status other than 101, or 2xx
            over HTTP/2), or accepted wrongly (accept value, upgrade
            headers, a subprotocol or extension never offered).
    """
    status = response.status_code
    headers = response.headers
    if response.http_version == "HTTP/1.1":
        if status != 101:
            raise _refused(response, f"the server answered {status} instead of 101")
        if headers.get("upgrade", "").lower() != "websocket":
            raise _refused(response, "the 101 response has no 'Upgrade: websocket'")
        tokens = {token.strip().lower() for token in headers.get("connection", "").split(",")}
        if "upgrade" not in tokens:
            raise _refused(response, "the 101 response has no 'Connection: Upgrade'")
        if headers.get("sec-websocket-accept") != accept_for(key):
            raise _refused(response, "the server's Sec-WebSocket-Accept does not match the key")
    elif not 200 <= status < 300:
        raise _refused(response, f"the server answered {status} to the extended CONNECT")
    subprotocol = headers.get("sec-websocket-protocol")
    if subprotocol is not None:
        subprotocol = subprotocol.strip()
        if subprotocol not in subprotocols:
            raise _refused(response, f"the server chose subprotocol {subprotocol!r}, not offered")
    accepted = parse_extensions(", ".join(headers.get_list("sec-websocket-extensions")))
    for name, _ in accepted:
        if name not in offered_extensions:
            raise _refused(response, f"the server accepted extension {name!r}, not offered")
    if len({name for name, _ in accepted}) != len(accepted):
        raise _refused(response, "the server accepted one extension twice")
    return Negotiated(subprotocol or None, tuple(accepted))


def _refused(response: Response, why: str) -> WebSocketHandshakeError:
    url = response.request.url if response.request is not None else "the server"
    return WebSocketHandshakeError(
        f"WebSocket handshake with {url} failed: {why}", response=response
    )
