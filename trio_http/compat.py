"""requests' ``requests.compat`` names, for code written against requests.

requests kept this module from its Python 2 days: code still imports
``urljoin``, ``JSONDecodeError`` or ``builtin_str`` from it. Here they are
the standard library's objects (Python 3 only), with two exceptions that
follow trio_http: ``JSONDecodeError`` is :class:`trio_http.JSONDecodeError`,
so ``except compat.JSONDecodeError`` catches what ``Response.json()``
raises, and ``is_urllib3_1`` is ``False``, since trio_http sends a text body
as UTF-8, as requests does with urllib3 2. No character-detection package
is used (``chardet`` is ``None``).
"""

from __future__ import annotations

import json as json
from builtins import bytes as bytes
from builtins import str as str
from collections import OrderedDict as OrderedDict
from collections.abc import Callable as Callable
from collections.abc import Mapping as Mapping
from collections.abc import MutableMapping as MutableMapping
from http import cookiejar as cookielib
from http.cookies import Morsel as Morsel
from io import StringIO as StringIO
from types import ModuleType
from urllib.parse import quote as quote
from urllib.parse import quote_plus as quote_plus
from urllib.parse import unquote as unquote
from urllib.parse import unquote_plus as unquote_plus
from urllib.parse import urldefrag as urldefrag
from urllib.parse import urlencode as urlencode
from urllib.parse import urljoin as urljoin
from urllib.parse import urlparse as urlparse
from urllib.parse import urlsplit as urlsplit
from urllib.parse import urlunparse as urlunparse
from urllib.request import getproxies as getproxies
from urllib.request import getproxies_environment as getproxies_environment
from urllib.request import parse_http_list as parse_http_list
from urllib.request import proxy_bypass as proxy_bypass

# Defined by urllib.request, though missing from typeshed's stubs.
from urllib.request import (  # type: ignore[attr-defined]
    proxy_bypass_environment as proxy_bypass_environment,
)

from ._exceptions import JSONDecodeError as JSONDecodeError

__all__ = [
    "Callable",
    "JSONDecodeError",
    "Mapping",
    "Morsel",
    "MutableMapping",
    "OrderedDict",
    "StringIO",
    "basestring",
    "builtin_str",
    "bytes",
    "chardet",
    "cookielib",
    "getproxies",
    "getproxies_environment",
    "has_simplejson",
    "integer_types",
    "is_py2",
    "is_py3",
    "is_urllib3_1",
    "json",
    "numeric_types",
    "parse_http_list",
    "proxy_bypass",
    "proxy_bypass_environment",
    "quote",
    "quote_plus",
    "str",
    "unquote",
    "unquote_plus",
    "urldefrag",
    "urlencode",
    "urljoin",
    "urlparse",
    "urlsplit",
    "urlunparse",
]

# Python 3 only: the answers requests gives there.
is_py2 = False
is_py3 = True
has_simplejson = False
# trio_http decodes text without guessing a charset from the bytes.
chardet: ModuleType | None = None
# requests' switch for urllib3 1.x (text bodies sent as Latin-1); trio_http
# behaves as requests does with urllib3 2.
is_urllib3_1 = False

builtin_str = str
basestring = (str, bytes)
numeric_types = (int, float)
integer_types = (int,)
