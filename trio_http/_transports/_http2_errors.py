"""The errors an HTTP/2 connection hands its streams, made from what the server did.

A stream the server did not process gets a retryable error
(:func:`not_processed`); a protocol violation h2 found becomes ours
(:func:`protocol_error`); one connection failure becomes a fresh exception
per stream (:func:`copy_error`), since each request owns its traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import h2.errors
import h2.exceptions
import hpack

from .._exceptions import (
    ReadError,
    RemoteProtocolError,
    RequestException,
    ResponseTooLarge,
    SSLError,
)
from ._http2_resend import RetryableStreamError
from ._net_errors import tls_failure
from ._wrong_protocol import http1_reply_to_http2

if TYPE_CHECKING:
    from ._http2_received import StreamState

__all__ = [
    "code_name",
    "connection_error",
    "copy_error",
    "not_processed",
    "protocol_error",
    "read_failure",
    "received_violation",
]


def not_processed(stream: StreamState, message: str) -> RemoteProtocolError:
    """The error for a stream the server says it did not process.

    RFC 9113 §8.7: such a request may be sent again elsewhere. A server that
    says so after it began to answer contradicts itself; the caller, who
    has the response already, gets a plain protocol error.
    """
    if stream.headers is None:
        return RetryableStreamError(message)
    return RemoteProtocolError(f"{message}, after it began to answer it")


def code_name(code: int) -> str:
    """An HTTP/2 error code's name (RFC 9113 §7), or its number."""
    try:
        return h2.errors.ErrorCodes(code).name
    except ValueError:
        return f"error code {code:#x}"


def protocol_error(exc: h2.exceptions.ProtocolError) -> RemoteProtocolError:
    """Our exception for a protocol violation h2 found in what the server sent."""
    cause = exc.__cause__ or exc.__context__
    message = str(exc)
    if isinstance(cause, hpack.OversizedHeaderListError) or "continuation" in message.lower():
        return ResponseTooLarge(f"the server sent too large a header block: {message}")
    return RemoteProtocolError(f"the server broke HTTP/2: {message}")


def copy_error(error: Exception) -> RequestException:
    """A fresh exception per stream: each request owns its traceback."""
    if isinstance(error, RequestException):
        return type(error)(*error.args)
    return RemoteProtocolError(str(error))


def connection_error(exc: Exception) -> Exception:
    """What an unexpected failure of the connection's tasks becomes for its streams."""
    if isinstance(exc, RequestException):
        return exc
    return RemoteProtocolError(f"the HTTP/2 connection failed: {exc!r}")


def read_failure(exc: BaseException) -> tuple[Exception, bool]:
    """What a failed read of the connection becomes, and whether the server refused us.

    A TLS alert means the server refused the connection (a client
    certificate it did not take, say): nothing was processed.
    """
    reason = tls_failure(exc)
    if reason is None:
        return ReadError(f"the HTTP/2 connection broke while reading: {exc!r}"), False
    return SSLError(f"TLS failure while reading: {reason}"), True


def received_violation(
    exc: h2.exceptions.ProtocolError, answered: bool, data: bytes | bytearray
) -> tuple[Exception, bool]:
    """What a violation h2 found in ``data`` becomes, and whether nothing was processed.

    ``answered``: events came before the violation in this read. A server
    that answered the preface with HTTP/1.1 spoke the wrong protocol and
    processed nothing.
    """
    http1 = None if answered else http1_reply_to_http2(bytes(data[:256]))
    if http1 is None:
        return protocol_error(exc), False
    return RemoteProtocolError(http1), True
