"""requests' exception names, for ``from trio_http.exceptions import HTTPError``.

The classes are those of the one exception tree (see :mod:`trio_http`'s
error documentation); ``except requests.exceptions.X`` ports by renaming
the import.
"""

from __future__ import annotations

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
from ._exceptions import InsecureRequestWarning as InsecureRequestWarning
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
from ._exceptions import WriteError as WriteError
from ._exceptions import WriteTimeout as WriteTimeout

__all__ = [
    "ChunkedEncodingError",
    "ClientStateError",
    "ConnectError",
    "ConnectTimeout",
    "ConnectionError",
    "ContentDecodingError",
    "CookieConflictError",
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
    "WriteError",
    "WriteTimeout",
]
