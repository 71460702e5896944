"""The one exception tree of trio_http.

Names and inheritance follow requests wherever the two overlap, so that
``except requests.exceptions.X`` ports by renaming the import. Classes that
requests lacks slot in where a requests user would look for them::

    RequestException (OSError)
    ├── HTTPError                       raise_for_status() on 4xx/5xx
    ├── ConnectionError
    │   ├── ConnectError                could not open TCP/Unix connection
    │   ├── ProxyError
    │   ├── SSLError                    TLS handshake or verification failed
    │   ├── ConnectTimeout  (+Timeout)
    │   ├── ReadError                   peer reset/closed while we waited
    │   ├── WriteError                  peer reset/closed while we sent
    │   ├── RemoteProtocolError         the server broke HTTP framing
    │   │   ├── ResponseTooLarge        a named size limit was exceeded
    │   │   └── StreamReset             the server reset one HTTP/2 stream
    │   └── WebSocketError              a WebSocket failed
    │       ├── WebSocketHandshakeError the server refused the upgrade (.response)
    │       ├── WebSocketClosed         the socket is closed (.code, .reason)
    │       └── WebSocketProtocolError  the peer broke RFC 6455
    │           └── WebSocketMessageTooBig  a message exceeded max_message_size
    ├── Timeout
    │   ├── ConnectTimeout  (+ConnectionError)
    │   ├── ReadTimeout
    │   ├── WriteTimeout
    │   ├── PoolTimeout                 no connection slot within the pool timeout
    │   └── TotalTimeout                the overall per-request deadline expired
    ├── TooManyRedirects
    ├── URLRequired
    ├── MissingSchema       (+ValueError)
    ├── InvalidSchema       (+ValueError)
    ├── InvalidURL          (+ValueError)
    │   └── InvalidProxyURL
    ├── InvalidHeader       (+ValueError)
    ├── InvalidJSONError
    │   └── JSONDecodeError (+json.JSONDecodeError, so also ValueError)
    ├── ChunkedEncodingError            body ended before its declared length
    ├── ContentDecodingError
    │   ├── DecompressionBombError      decoded size exceeded the allowed ratio
    │   └── TooManyContentEncodings     more codings than MAX_CONTENT_ENCODINGS
    ├── CookieConflictError (+RuntimeError) several cookies match one name
    ├── StreamConsumedError (+TypeError)
    ├── ResponseNotRead                 .content before the body was read
    ├── RetryError
    ├── UnrewindableBodyError           a streamed body cannot be sent twice
    └── LocalProtocolError  (+ValueError) we were asked to send invalid HTTP

    ClientStateError (RuntimeError)     client used outside its ``async with``

    RequestsWarning (Warning)           requests' warning names, for porting
    ├── FileModeWarning (+DeprecationWarning)
    ├── InsecureRequestWarning          an HTTPS request sent with verify=False
    └── RequestsDependencyWarning

Every exception raised while a request is in flight carries ``.request``
(and ``.response`` once one exists), like requests.
"""

from __future__ import annotations

import json
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._request import Request
    from ._response import Response

__all__ = [
    "ChunkedEncodingError",
    "CookieConflictError",
    "ClientStateError",
    "ConnectError",
    "ConnectTimeout",
    "ConnectionError",
    "ContentDecodingError",
    "DecompressionBombError",
    "FileModeWarning",
    "HTTPError",
    "InsecureRequestWarning",
    "InvalidHeader",
    "InvalidJSONError",
    "InvalidProxyURL",
    "InvalidSchema",
    "InvalidURL",
    "JSONDecodeError",
    "LocalProtocolError",
    "MissingSchema",
    "PoolTimeout",
    "ProxyError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "RequestException",
    "RequestsDependencyWarning",
    "RequestsWarning",
    "ResponseNotRead",
    "ResponseTooLarge",
    "RetryError",
    "SSLError",
    "StreamConsumedError",
    "StreamReset",
    "Timeout",
    "TooManyContentEncodings",
    "TooManyRedirects",
    "TotalTimeout",
    "URLRequired",
    "UnrewindableBodyError",
    "WebSocketClosed",
    "WebSocketError",
    "WebSocketHandshakeError",
    "WebSocketMessageTooBig",
    "WebSocketProtocolError",
    "WriteError",
    "WriteTimeout",
]


class RequestException(OSError):
    """Base class of every error trio_http raises for a request.

    Attributes:
        request: the request being sent when the error happened, if any.
        response: the response, when the error happened after one arrived.
    """

    def __init__(
        self,
        *args: Any,
        request: Request | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(*args)
        self.response = response
        if request is None and response is not None:
            request = getattr(response, "request", None)
        self.request = request


class HTTPError(RequestException):
    """An HTTP error status, raised by ``Response.raise_for_status()``."""


class ConnectionError(RequestException):
    """The connection failed: could not connect, or broke while in use."""


class ConnectError(ConnectionError):
    """Could not open a connection (DNS failure, refused, unreachable)."""


class ProxyError(ConnectionError):
    """The proxy refused or failed the request."""


class SSLError(ConnectionError):
    """TLS handshake or certificate verification failed."""


class Timeout(RequestException):
    """A request timed out. Catch this to catch every timeout below."""


class ConnectTimeout(ConnectionError, Timeout):
    """Connecting (DNS, TCP, TLS, proxy tunnel) took longer than allowed."""


class ReadTimeout(Timeout):
    """The server sent nothing for longer than the read timeout."""


class WriteTimeout(Timeout):
    """Sending the request stalled for longer than the write timeout."""


class PoolTimeout(Timeout):
    """No connection became free within the pool timeout."""


class TotalTimeout(Timeout):
    """The overall per-request deadline expired (DNS to last body byte)."""


class ReadError(ConnectionError):
    """The peer closed or reset the connection while we were reading."""


class WriteError(ConnectionError):
    """The peer closed or reset the connection while we were sending."""


class RemoteProtocolError(ConnectionError):
    """The server violated HTTP; the connection is closed and not reused."""


class ResponseTooLarge(RemoteProtocolError):
    """The response exceeded a named limit (header block size, line length)."""


class StreamReset(RemoteProtocolError):
    """The server reset this request's HTTP/2 stream (RST_STREAM).

    Only this request failed; other requests on the connection go on.

    Attributes:
        error_code: the RFC 9113 §7 error code the server sent (an ``int``;
            ``0x8`` is CANCEL, ``0x7`` REFUSED_STREAM).
    """

    def __init__(
        self,
        *args: Any,
        error_code: int = 0,
        request: Request | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(*args, request=request, response=response)
        self.error_code = error_code


class WebSocketError(ConnectionError):
    """Base class of every WebSocket failure (handshake, protocol, closure)."""


class WebSocketHandshakeError(WebSocketError):
    """The server did not accept the WebSocket handshake.

    Raised for a status other than 101 (HTTP/1.1) or 2xx (HTTP/2), and for a
    101 whose ``Sec-WebSocket-Accept``, subprotocol or extensions are wrong.

    Attributes:
        response: the handshake response; its body (read up to a bound) is
            in ``response.content``.
    """


class WebSocketClosed(WebSocketError):
    """The WebSocket is closed; raised by sending or receiving on it.

    Attributes:
        code: the close code (RFC 6455 §7.4): the peer's, ours, or ``1006``
            when the connection ended without a close frame.
        reason: the close reason, possibly empty.
    """

    def __init__(
        self,
        *args: Any,
        code: int = 1006,
        reason: str = "",
        request: Request | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(*args, request=request, response=response)
        self.code = code
        self.reason = reason


class WebSocketProtocolError(WebSocketError):
    """The peer broke the WebSocket protocol (an invalid frame, say); the socket is closed."""


class WebSocketMessageTooBig(WebSocketProtocolError):
    """A received message (after decompression) exceeded ``max_message_size``.

    The socket is closed with code 1009.
    """


class TooManyRedirects(RequestException):
    """More redirects than ``max_redirects``, or a redirect loop."""


class URLRequired(RequestException):
    """A valid URL is required to make a request."""


class MissingSchema(RequestException, ValueError):
    """The URL has no scheme (``example.org/x`` instead of ``https://...``)."""


class InvalidSchema(RequestException, ValueError):
    """The URL's scheme is not one trio_http can send to."""


class InvalidURL(RequestException, ValueError):
    """The URL cannot be parsed or is not valid."""


class InvalidProxyURL(InvalidURL):
    """The proxy URL is not valid."""


class InvalidHeader(RequestException, ValueError):
    """A header name or value is invalid (CR, LF, NUL, bad characters)."""


class InvalidJSONError(RequestException):
    """A JSON body could not be encoded or decoded."""


class JSONDecodeError(InvalidJSONError, json.JSONDecodeError):
    """The response body is not valid JSON; also a ``ValueError``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # json.JSONDecodeError wants (msg, doc, pos); RequestException wants
        # the request/response keywords.
        request = kwargs.pop("request", None)
        response = kwargs.pop("response", None)
        json.JSONDecodeError.__init__(self, *args)
        InvalidJSONError.__init__(self, *self.args, request=request, response=response)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.msg, self.doc, self.pos))


class ChunkedEncodingError(RequestException):
    """The body ended before its declared length or chunked framing ended."""


class ContentDecodingError(RequestException):
    """The body's Content-Encoding could not be decoded."""


class DecompressionBombError(ContentDecodingError):
    """Decoding the body produced more than the allowed size or ratio."""


class TooManyContentEncodings(ContentDecodingError):
    """The response's ``Content-Encoding`` lists more than five codings.

    ``identity`` does not count; repeated header lines count together.

    Raised when the body is first read, before any of it is decoded; the
    undecoded body can still be read with ``aiter_raw``/``iter_raw``.
    """


class CookieConflictError(RequestException, RuntimeError):
    """Several cookies with one name (and different values) match a lookup.

    Pass ``domain`` and/or ``path`` to ``Cookies.get`` to choose one.
    """


class StreamConsumedError(RequestException, TypeError):
    """The response body was already streamed and cannot be read again."""


class ResponseNotRead(RequestException):
    """A streamed response's content was used before it was read."""


class RetryError(RequestException):
    """Retries were exhausted."""


class UnrewindableBodyError(RequestException):
    """A streamed request body would have to be sent again but cannot be."""


class LocalProtocolError(RequestException, ValueError):
    """The request could not be expressed as valid HTTP."""


class ClientStateError(RuntimeError):
    """A client was used outside its ``async with`` block, or after closing."""


class RequestsWarning(Warning):
    """Base class of the warnings with requests' names."""


class FileModeWarning(RequestsWarning, DeprecationWarning):
    """A file given as a body was opened in text mode."""


class RequestsDependencyWarning(RequestsWarning):
    """An optional dependency has an unsupported version."""


class InsecureRequestWarning(RequestsWarning):
    """An HTTPS request went without checking the server's certificate (``verify=False``).

    Emitted once per such request, as urllib3 does under requests, and shown
    every time unless a filter says otherwise: silence it with
    ``warnings.simplefilter("ignore", InsecureRequestWarning)``.
    """


# urllib3 shows its security warnings every time, not once per code
# location; the same here. Appended, so any filter the program or the
# command line sets comes first and wins.
warnings.simplefilter("always", InsecureRequestWarning, append=True)
