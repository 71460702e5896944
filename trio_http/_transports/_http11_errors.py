"""Translating what h11, ssl and the OS raise on an HTTP/1.1 connection.

Each function returns trio_http's exception for one failure; the caller
raises it ``from`` the original. Bytes the server sent are shown as bytes
literals, and a reply that is not HTTP/1.x says what it is instead
(see :mod:`._wrong_protocol`).
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from .._config import MAX_HEADER_BYTES
from .._exceptions import (
    ChunkedEncodingError,
    InvalidHeader,
    ReadError,
    RemoteProtocolError,
    ResponseTooLarge,
    SSLError,
)
from ._net_errors import tls_failure
from ._wrong_protocol import non_http1_reply

if TYPE_CHECKING:
    import h11

    from .._request import Request

__all__ = ["body_error", "protocol_error", "read_error", "tls_alert_error"]


def read_error(
    exc: BaseException, what: str, request: Request, received: bytes = b""
) -> ReadError | SSLError | RemoteProtocolError:
    """The error for a broken read while ``what``.

    A TLS alert is an SSLError; a connection that broke after the server
    sent something that is not HTTP (``received``: the start of the
    response, unparsed) is a RemoteProtocolError saying what it sent.
    """
    other = non_http1_reply(received)
    if other is not None:
        return RemoteProtocolError(f"malformed response: {other}", request=request)
    # A TLS alert after the handshake (a refused client certificate under
    # TLS 1.3, say) arrives on the first read: report it as a TLS failure.
    reason = tls_failure(exc)
    if reason is not None:
        return SSLError(f"TLS failure while {what}: {reason}", request=request)
    return ReadError(f"connection broke while {what}: {exc!r}", request=request)


def tls_alert_error(alert: BaseException, request: Request) -> SSLError:
    """The error for a TLS alert read after a write broke (see ``pending_tls_alert``)."""
    reason = tls_failure(alert) or str(alert)
    return SSLError(f"TLS failure while sending the request: {reason}", request=request)


# h11 marks an incomplete event that outgrew max_incomplete_event_size with
# this hint (431 Request Header Fields Too Large), and no other error with it.
_H11_TOO_LARGE_HINT = 431


# h11 quotes a line it refused as the repr of a bytearray.
_BYTEARRAY_REPR = re.compile(r"""bytearray\((b'(?:[^'\\]|\\.)*'|b"(?:[^"\\]|\\.)*")\)""")
_REFUSED_STATUS_LINE = re.compile(r"""^illegal status line: (b['"].*)$""", re.DOTALL)


def _readable(message: str) -> str:
    """h11's message with each ``bytearray(b'...')`` shown as ``b'...'``."""
    return _BYTEARRAY_REPR.sub(r"\1", message)


def _refused_status_line(message: str) -> bytes:
    """The line h11 refused as a status line, from its (readable) message; b"" if none."""
    match = _REFUSED_STATUS_LINE.match(message)
    if match is None:
        return b""
    try:
        line = ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError):
        return b""
    return line if isinstance(line, bytes) else b""


# h11 gives these refusals no type or hint of their own; its message is the
# only thing that tells them apart from other malformed heads.
_H11_CONFLICTING_LENGTHS = "conflicting Content-Length headers"
_H11_HEAD_CUT_SHORT = "peer unexpectedly closed connection"


def protocol_error(
    exc: h11.RemoteProtocolError, request: Request, received: bytes = b""
) -> RemoteProtocolError | InvalidHeader | ChunkedEncodingError:
    """The error for a malformed (or too large) response head.

    Two cases get requests' classes: ``Content-Length`` headers that
    disagree are an InvalidHeader (urllib3's check, which requests
    reports so), and a head the server cut short by closing after its status
    line is a ChunkedEncodingError, like a body cut short: requests reads
    such a head as complete and fails on the body it declared.

    Args:
        exc: what h11 raised.
        request: the request answered.
        received: the start of the response, when h11 still holds it (a head
            it refused early, or one cut short by the server's close).
    """
    message = _readable(str(exc))
    if exc.error_status_hint == _H11_TOO_LARGE_HINT:
        return ResponseTooLarge(
            f"response header block exceeds {MAX_HEADER_BYTES} bytes", request=request
        )
    if message == _H11_CONFLICTING_LENGTHS:
        # RFC 9112 §6.3: a response whose lengths disagree is unrecoverable
        # (the message boundary is unknown); h11 has consumed the head, so
        # ``received`` is what followed it and says nothing here.
        return InvalidHeader(
            f"malformed response: {message} (the response length is unknown)",
            request=request,
        )
    if message == _H11_HEAD_CUT_SHORT and received.startswith(b"HTTP/1."):
        return ChunkedEncodingError(
            "connection closed before the response was complete: the head ended "
            f"after {len(received)} bytes, without its blank line",
            request=request,
        )
    other = non_http1_reply(received or _refused_status_line(message))
    if other is not None:
        message = other
    return RemoteProtocolError(f"malformed response: {message}", request=request)


def body_error(exc: h11.RemoteProtocolError, request: Request) -> Exception:
    """The error for a malformed or truncated response body."""
    message = _readable(str(exc))
    # By message: h11 raises a truncated body (EOF before Content-Length or
    # the last chunk) as a plain RemoteProtocolError with the default hint,
    # like any malformed body; its text is the only thing that tells them apart.
    if "peer closed connection without sending complete message body" in message:
        return ChunkedEncodingError(
            f"connection closed before the response body was complete: {message}",
            request=request,
        )
    return RemoteProtocolError(f"malformed response body: {message}", request=request)
