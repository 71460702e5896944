"""trio_http: a Trio-native HTTP client with structured concurrency.

The public API is exactly what this module re-exports. The names are
loaded on first use (PEP 562), so ``import trio_http`` costs little more
than importing Trio: a program that only sends a GET never loads the
proxy, in-process, urllib3 or HTTP/2 transports, and one that never
touches ``trio_http.utils`` never imports it.
"""

from __future__ import annotations

from importlib import import_module as _import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import adapters as adapters
    from . import auth as auth
    from . import cookies as cookies
    from . import exceptions as exceptions
    from . import hooks as hooks
    from . import models as models
    from . import sessions as sessions
    from . import status_codes as status_codes
    from . import structures as structures
    from . import utils as utils
    from ._api import delete as delete
    from ._api import get as get
    from ._api import head as head
    from ._api import options as options
    from ._api import parallel as parallel
    from ._api import patch as patch
    from ._api import post as post
    from ._api import put as put
    from ._api import request as request
    from ._auth import Auth as Auth
    from ._auth import BasicAuth as BasicAuth
    from ._auth import FunctionAuth as FunctionAuth
    from ._auth import NetRCAuth as NetRCAuth
    from ._auth_digest import DigestAuth as DigestAuth
    from ._client import AsyncClient as AsyncClient
    from ._client_defaults import USE_CLIENT_DEFAULT as USE_CLIENT_DEFAULT
    from ._client_defaults import __version__ as __version__
    from ._config import Limits as Limits
    from ._config import Timeouts as Timeouts
    from ._cookies import Cookies as Cookies
    from ._exceptions import ChunkedEncodingError as ChunkedEncodingError
    from ._exceptions import ClientStateError as ClientStateError
    from ._exceptions import ConnectError as ConnectError
    from ._exceptions import ConnectionError as ConnectionError
    from ._exceptions import ConnectTimeout as ConnectTimeout
    from ._exceptions import ContentDecodingError as ContentDecodingError
    from ._exceptions import CookieConflictError as CookieConflictError
    from ._exceptions import DecompressionBombError as DecompressionBombError
    from ._exceptions import FileModeWarning as FileModeWarning
    from ._exceptions import HTTPError as HTTPError
    from ._exceptions import InvalidHeader as InvalidHeader
    from ._exceptions import InvalidJSONError as InvalidJSONError
    from ._exceptions import InvalidProxyURL as InvalidProxyURL
    from ._exceptions import InvalidSchema as InvalidSchema
    from ._exceptions import InvalidURL as InvalidURL
    from ._exceptions import JSONDecodeError as JSONDecodeError
    from ._exceptions import LocalProtocolError as LocalProtocolError
    from ._exceptions import MissingSchema as MissingSchema
    from ._exceptions import PoolTimeout as PoolTimeout
    from ._exceptions import ProxyError as ProxyError
    from ._exceptions import ReadError as ReadError
    from ._exceptions import ReadTimeout as ReadTimeout
    from ._exceptions import RemoteProtocolError as RemoteProtocolError
    from ._exceptions import RequestException as RequestException
    from ._exceptions import RequestsDependencyWarning as RequestsDependencyWarning
    from ._exceptions import RequestsWarning as RequestsWarning
    from ._exceptions import ResponseNotRead as ResponseNotRead
    from ._exceptions import ResponseTooLarge as ResponseTooLarge
    from ._exceptions import RetryError as RetryError
    from ._exceptions import SSLError as SSLError
    from ._exceptions import StreamConsumedError as StreamConsumedError
    from ._exceptions import StreamReset as StreamReset
    from ._exceptions import Timeout as Timeout
    from ._exceptions import TooManyContentEncodings as TooManyContentEncodings
    from ._exceptions import TooManyRedirects as TooManyRedirects
    from ._exceptions import TotalTimeout as TotalTimeout
    from ._exceptions import UnrewindableBodyError as UnrewindableBodyError
    from ._exceptions import URLRequired as URLRequired
    from ._exceptions import WebSocketClosed as WebSocketClosed
    from ._exceptions import WebSocketError as WebSocketError
    from ._exceptions import WebSocketHandshakeError as WebSocketHandshakeError
    from ._exceptions import WebSocketMessageTooBig as WebSocketMessageTooBig
    from ._exceptions import WebSocketProtocolError as WebSocketProtocolError
    from ._exceptions import WriteError as WriteError
    from ._exceptions import WriteTimeout as WriteTimeout
    from ._headers import Headers as Headers
    from ._parallel import AsyncParallel as AsyncParallel
    from ._parallel import ParallelResult as ParallelResult
    from ._parallel import ParallelStats as ParallelStats
    from ._prepared import PreparedRequest as PreparedRequest
    from ._proxy_config import Proxy as Proxy
    from ._request import Request as Request
    from ._response import Response as Response
    from ._retries import Retry as Retry
    from ._session import Session as Client
    from ._session import Session as Session
    from ._session import session as session
    from ._status_codes import codes as codes
    from ._streams import AsyncByteStream as AsyncByteStream
    from ._sync_parallel import Parallel as Parallel
    from ._transports._asgi import ASGITransport as ASGITransport
    from ._transports._base import AsyncBaseTransport as AsyncBaseTransport
    from ._transports._http2_state import HTTP2Settings as HTTP2Settings
    from ._transports._mock import MockTransport as MockTransport
    from ._transports._pool import ConnectionPool as ConnectionPool
    from ._transports._proxy import ProxyTransport as ProxyTransport
    from ._transports._retry import RetryTransport as RetryTransport
    from ._transports._socks import SocksTransport as SocksTransport
    from ._transports._urllib3 import Urllib3Transport as Urllib3Transport
    from ._transports._wsgi import WSGITransport as WSGITransport
    from ._urls import URL as URL
    from ._websocket import AsyncWebSocket as AsyncWebSocket
    from ._websocket_sync import WebSocket as WebSocket
    from .structures import CaseInsensitiveDict as CaseInsensitiveDict

del TYPE_CHECKING

# Public name -> (module, attribute): imported on first use.
_LAZY: dict[str, tuple[str, str]] = {
    "delete": ("._api", "delete"),
    "get": ("._api", "get"),
    "head": ("._api", "head"),
    "options": ("._api", "options"),
    "parallel": ("._api", "parallel"),
    "patch": ("._api", "patch"),
    "post": ("._api", "post"),
    "put": ("._api", "put"),
    "request": ("._api", "request"),
    "Auth": ("._auth", "Auth"),
    "BasicAuth": ("._auth", "BasicAuth"),
    "FunctionAuth": ("._auth", "FunctionAuth"),
    "NetRCAuth": ("._auth", "NetRCAuth"),
    "DigestAuth": ("._auth_digest", "DigestAuth"),
    "AsyncClient": ("._client", "AsyncClient"),
    "USE_CLIENT_DEFAULT": ("._client_defaults", "USE_CLIENT_DEFAULT"),
    "__version__": ("._client_defaults", "__version__"),
    "Limits": ("._config", "Limits"),
    "Timeouts": ("._config", "Timeouts"),
    "Cookies": ("._cookies", "Cookies"),
    "ChunkedEncodingError": ("._exceptions", "ChunkedEncodingError"),
    "ClientStateError": ("._exceptions", "ClientStateError"),
    "ConnectError": ("._exceptions", "ConnectError"),
    "ConnectionError": ("._exceptions", "ConnectionError"),
    "ConnectTimeout": ("._exceptions", "ConnectTimeout"),
    "ContentDecodingError": ("._exceptions", "ContentDecodingError"),
    "CookieConflictError": ("._exceptions", "CookieConflictError"),
    "DecompressionBombError": ("._exceptions", "DecompressionBombError"),
    "FileModeWarning": ("._exceptions", "FileModeWarning"),
    "HTTPError": ("._exceptions", "HTTPError"),
    "InvalidHeader": ("._exceptions", "InvalidHeader"),
    "InvalidJSONError": ("._exceptions", "InvalidJSONError"),
    "InvalidProxyURL": ("._exceptions", "InvalidProxyURL"),
    "InvalidSchema": ("._exceptions", "InvalidSchema"),
    "InvalidURL": ("._exceptions", "InvalidURL"),
    "JSONDecodeError": ("._exceptions", "JSONDecodeError"),
    "LocalProtocolError": ("._exceptions", "LocalProtocolError"),
    "MissingSchema": ("._exceptions", "MissingSchema"),
    "PoolTimeout": ("._exceptions", "PoolTimeout"),
    "ProxyError": ("._exceptions", "ProxyError"),
    "ReadError": ("._exceptions", "ReadError"),
    "ReadTimeout": ("._exceptions", "ReadTimeout"),
    "RemoteProtocolError": ("._exceptions", "RemoteProtocolError"),
    "RequestException": ("._exceptions", "RequestException"),
    "RequestsDependencyWarning": ("._exceptions", "RequestsDependencyWarning"),
    "RequestsWarning": ("._exceptions", "RequestsWarning"),
    "ResponseNotRead": ("._exceptions", "ResponseNotRead"),
    "ResponseTooLarge": ("._exceptions", "ResponseTooLarge"),
    "RetryError": ("._exceptions", "RetryError"),
    "SSLError": ("._exceptions", "SSLError"),
    "StreamConsumedError": ("._exceptions", "StreamConsumedError"),
    "StreamReset": ("._exceptions", "StreamReset"),
    "Timeout": ("._exceptions", "Timeout"),
    "TooManyContentEncodings": ("._exceptions", "TooManyContentEncodings"),
    "TooManyRedirects": ("._exceptions", "TooManyRedirects"),
    "TotalTimeout": ("._exceptions", "TotalTimeout"),
    "UnrewindableBodyError": ("._exceptions", "UnrewindableBodyError"),
    "URLRequired": ("._exceptions", "URLRequired"),
    "WebSocketClosed": ("._exceptions", "WebSocketClosed"),
    "WebSocketError": ("._exceptions", "WebSocketError"),
    "WebSocketHandshakeError": ("._exceptions", "WebSocketHandshakeError"),
    "WebSocketMessageTooBig": ("._exceptions", "WebSocketMessageTooBig"),
    "WebSocketProtocolError": ("._exceptions", "WebSocketProtocolError"),
    "WriteError": ("._exceptions", "WriteError"),
    "WriteTimeout": ("._exceptions", "WriteTimeout"),
    "Headers": ("._headers", "Headers"),
    "AsyncParallel": ("._parallel", "AsyncParallel"),
    "ParallelResult": ("._parallel", "ParallelResult"),
    "ParallelStats": ("._parallel", "ParallelStats"),
    "PreparedRequest": ("._prepared", "PreparedRequest"),
    "Proxy": ("._proxy_config", "Proxy"),
    "Request": ("._request", "Request"),
    "Response": ("._response", "Response"),
    "Retry": ("._retries", "Retry"),
    "Client": ("._session", "Session"),
    "Session": ("._session", "Session"),
    "session": ("._session", "session"),
    "codes": ("._status_codes", "codes"),
    "AsyncByteStream": ("._streams", "AsyncByteStream"),
    "Parallel": ("._sync_parallel", "Parallel"),
    "ASGITransport": ("._transports._asgi", "ASGITransport"),
    "AsyncBaseTransport": ("._transports._base", "AsyncBaseTransport"),
    "HTTP2Settings": ("._transports._http2_state", "HTTP2Settings"),
    "MockTransport": ("._transports._mock", "MockTransport"),
    "ConnectionPool": ("._transports._pool", "ConnectionPool"),
    "ProxyTransport": ("._transports._proxy", "ProxyTransport"),
    "RetryTransport": ("._transports._retry", "RetryTransport"),
    "SocksTransport": ("._transports._socks", "SocksTransport"),
    "AsyncWebSocket": ("._websocket", "AsyncWebSocket"),
    "WebSocket": ("._websocket_sync", "WebSocket"),
    "Urllib3Transport": ("._transports._urllib3", "Urllib3Transport"),
    "WSGITransport": ("._transports._wsgi", "WSGITransport"),
    "URL": ("._urls", "URL"),
    "CaseInsensitiveDict": (".structures", "CaseInsensitiveDict"),
}
# Public submodules, imported on first use too.
_SUBMODULES = frozenset(
    {
        "adapters",
        "auth",
        "cookies",
        "exceptions",
        "hooks",
        "models",
        "sessions",
        "status_codes",
        "structures",
        "utils",
    }
)

__all__ = [
    "ASGITransport",
    "AsyncBaseTransport",
    "AsyncByteStream",
    "AsyncClient",
    "AsyncParallel",
    "AsyncWebSocket",
    "Auth",
    "BasicAuth",
    "CaseInsensitiveDict",
    "ChunkedEncodingError",
    "Client",
    "ClientStateError",
    "ConnectError",
    "ConnectTimeout",
    "ConnectionError",
    "ConnectionPool",
    "ContentDecodingError",
    "CookieConflictError",
    "Cookies",
    "DecompressionBombError",
    "DigestAuth",
    "FileModeWarning",
    "FunctionAuth",
    "HTTP2Settings",
    "HTTPError",
    "Headers",
    "InvalidHeader",
    "InvalidJSONError",
    "InvalidProxyURL",
    "InvalidSchema",
    "InvalidURL",
    "JSONDecodeError",
    "Limits",
    "LocalProtocolError",
    "MissingSchema",
    "MockTransport",
    "NetRCAuth",
    "Parallel",
    "ParallelResult",
    "ParallelStats",
    "PoolTimeout",
    "PreparedRequest",
    "Proxy",
    "ProxyError",
    "ProxyTransport",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "Request",
    "RequestException",
    "RequestsDependencyWarning",
    "RequestsWarning",
    "Response",
    "ResponseNotRead",
    "ResponseTooLarge",
    "Retry",
    "RetryError",
    "RetryTransport",
    "SSLError",
    "Session",
    "SocksTransport",
    "StreamConsumedError",
    "StreamReset",
    "Timeout",
    "Timeouts",
    "TooManyContentEncodings",
    "TooManyRedirects",
    "TotalTimeout",
    "URL",
    "URLRequired",
    "USE_CLIENT_DEFAULT",
    "UnrewindableBodyError",
    "Urllib3Transport",
    "WSGITransport",
    "WebSocket",
    "WebSocketClosed",
    "WebSocketError",
    "WebSocketHandshakeError",
    "WebSocketMessageTooBig",
    "WebSocketProtocolError",
    "WriteError",
    "WriteTimeout",
    "__version__",
    "adapters",
    "auth",
    "codes",
    "cookies",
    "delete",
    "exceptions",
    "get",
    "head",
    "hooks",
    "models",
    "options",
    "parallel",
    "patch",
    "post",
    "put",
    "request",
    "session",
    "sessions",
    "status_codes",
    "structures",
    "utils",
]


def __getattr__(name: str) -> object:
    target = _LAZY.get(name)
    if target is not None:
        value = getattr(_import_module(target[0], __name__), target[1])
        _adopt(name, value)
    elif name in _SUBMODULES:
        value = _import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _adopt(name: str, value: object) -> None:
    # The classes are defined in private modules; they report the name
    # users import them by, so that reprs, documentation references and
    # pickles read "trio_http.Response". Pickling looks a class up again by
    # __module__ and __qualname__, so only a class exported under its own
    # name is adopted (Client, an alias of Session, is left to Session).
    if (
        isinstance(value, type)
        and value.__module__.startswith(__name__ + "._")
        and value.__qualname__ == name
    ):
        value.__module__ = __name__
