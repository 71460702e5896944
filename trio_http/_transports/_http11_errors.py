"""Translating what h11, ssl and the OS raise on an HTTP/1.1 connection.

Each function returns trio_http's exception for one failure; the caller
raises it ``from`` the original.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

from .._config import MAX_HEADER_BYTES
from .._exceptions import (
    ChunkedEncodingError,
    ReadError,
    RemoteProtocolError,
    ResponseTooLarge,
    SSLError,
)

if TYPE_CHECKING:
    import h11

    from .._request import Request

__all__ = ["body_error", "protocol_error", "read_error"]


def read_error(exc: BaseException, what: str, request: Request) -> ReadError | SSLError:
    """The error for a broken read while ``what`` (a TLS alert is an SSLError)."""
    # A TLS alert after the handshake (a refused client certificate under
    # TLS 1.3, say) arrives on the first read: report it as a TLS failure.
    cause = exc if isinstance(exc, ssl.SSLError) else exc.__cause__
    if isinstance(cause, ssl.SSLError):
        return SSLError(f"TLS failure while {what}: {cause}", request=request)
    return ReadError(f"connection broke while {what}: {exc!r}", request=request)


# h11 marks an incomplete event that outgrew max_incomplete_event_size with
# this hint (431 Request Header Fields Too Large), and no other error with it.
_H11_TOO_LARGE_HINT = 431


def protocol_error(exc: h11.RemoteProtocolError, request: Request) -> RemoteProtocolError:
    """The error for a malformed (or too large) response head."""
    message = str(exc)
    if exc.error_status_hint == _H11_TOO_LARGE_HINT:
        return ResponseTooLarge(
            f"response header block exceeds {MAX_HEADER_BYTES} bytes", request=request
        )
    return RemoteProtocolError(f"malformed response: {message}", request=request)


def body_error(exc: h11.RemoteProtocolError, request: Request) -> Exception:
    """The error for a malformed or truncated response body."""
    message = str(exc)
    # By message: h11 raises a truncated body (EOF before Content-Length or
    # the last chunk) as a plain RemoteProtocolError with the default hint,
    # like any malformed body; its text is the only thing that tells them apart.
    if "peer closed connection without sending complete message body" in message:
        return ChunkedEncodingError(
            f"connection closed before the response body was complete: {message}",
            request=request,
        )
    return RemoteProtocolError(f"malformed response body: {message}", request=request)
