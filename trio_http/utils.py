"""requests' helper functions (``requests.utils``), answered by trio_http's own rules.

Each helper keeps requests' name, arguments and purpose, and decides with
the code trio_http itself uses: URLs are parsed by :class:`trio_http.URL`,
``NO_PROXY`` is matched by the rules the client routes by, headers are
checked as they are before sending, netrc credentials are those
:class:`trio_http.NetRCAuth` sends. Where those rules differ from
requests' (a ``"host:port"`` proxy, ``*.example.com`` in ``NO_PROXY``, IPv6
networks), the answer is trio_http's; the "Coming from requests" page lists
the differences.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote as quote
from urllib.parse import unquote as unquote
from urllib.parse import urlparse as urlparse
from urllib.parse import urlunparse as urlunparse

from ._client_defaults import __version__
from ._sync_options import default_headers as _session_default_headers
from ._url_parse import DEFAULT_PORTS as _URL_DEFAULT_PORTS
from ._utils_bodies import add_dict_to_cookiejar as add_dict_to_cookiejar
from ._utils_bodies import dict_from_cookiejar as dict_from_cookiejar
from ._utils_bodies import extract_zipped_paths as extract_zipped_paths
from ._utils_bodies import from_key_val_list as from_key_val_list
from ._utils_bodies import guess_filename as guess_filename
from ._utils_bodies import iter_slices as iter_slices
from ._utils_bodies import rewind_body as rewind_body
from ._utils_bodies import super_len as super_len
from ._utils_bodies import to_key_val_list as to_key_val_list
from ._utils_headers import check_header_validity as check_header_validity
from ._utils_headers import get_encoding_from_headers as get_encoding_from_headers
from ._utils_headers import get_encodings_from_content as get_encodings_from_content
from ._utils_headers import get_unicode_from_response as get_unicode_from_response
from ._utils_headers import guess_json_utf as guess_json_utf
from ._utils_headers import parse_dict_header as parse_dict_header
from ._utils_headers import parse_header_links as parse_header_links
from ._utils_headers import parse_list_header as parse_list_header
from ._utils_headers import stream_decode_response_unicode as stream_decode_response_unicode
from ._utils_headers import to_native_string as to_native_string
from ._utils_headers import unquote_header_value as unquote_header_value
from ._utils_network import address_in_network as address_in_network
from ._utils_network import dotted_netmask as dotted_netmask
from ._utils_network import get_environ_proxies as get_environ_proxies
from ._utils_network import is_ipv4_address as is_ipv4_address
from ._utils_network import is_valid_cidr as is_valid_cidr
from ._utils_network import select_proxy as select_proxy
from ._utils_network import set_environ as set_environ
from ._utils_network import should_bypass_proxies as should_bypass_proxies
from ._utils_urls import get_auth_from_url as get_auth_from_url
from ._utils_urls import get_netrc_auth as get_netrc_auth
from ._utils_urls import prepend_scheme_if_needed as prepend_scheme_if_needed
from ._utils_urls import requote_uri as requote_uri
from ._utils_urls import unquote_unreserved as unquote_unreserved
from ._utils_urls import urldefragauth as urldefragauth
from .cookies import cookiejar_from_dict as cookiejar_from_dict

if TYPE_CHECKING:
    from .structures import CaseInsensitiveDict

    # certifi's CA bundle, looked up on first use (below): certifi is not
    # otherwise imported by ``import trio_http``.
    DEFAULT_CA_BUNDLE_PATH: str
else:

    def __getattr__(name: str) -> str:
        if name == "DEFAULT_CA_BUNDLE_PATH":
            import certifi

            path = globals()[name] = certifi.where()
            return path
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_CA_BUNDLE_PATH",
    "DEFAULT_PORTS",
    "add_dict_to_cookiejar",
    "address_in_network",
    "check_header_validity",
    "cookiejar_from_dict",
    "default_headers",
    "default_user_agent",
    "dict_from_cookiejar",
    "dotted_netmask",
    "extract_zipped_paths",
    "from_key_val_list",
    "get_auth_from_url",
    "get_encoding_from_headers",
    "get_encodings_from_content",
    "get_environ_proxies",
    "get_netrc_auth",
    "get_unicode_from_response",
    "guess_filename",
    "guess_json_utf",
    "is_ipv4_address",
    "is_valid_cidr",
    "iter_slices",
    "parse_dict_header",
    "parse_header_links",
    "parse_list_header",
    "prepend_scheme_if_needed",
    "quote",
    "requote_uri",
    "rewind_body",
    "select_proxy",
    "set_environ",
    "should_bypass_proxies",
    "stream_decode_response_unicode",
    "super_len",
    "to_key_val_list",
    "to_native_string",
    "unquote",
    "unquote_header_value",
    "unquote_unreserved",
    "urldefragauth",
    "urlparse",
    "urlunparse",
]

# The default port of each scheme, which URL normalisation drops (a copy:
# changing it must not change how URLs are parsed).
DEFAULT_PORTS: dict[str, int] = dict(_URL_DEFAULT_PORTS)


def default_user_agent(name: str = "trio_http") -> str:
    """``"<name>/<trio_http version>"``, the form of the default ``User-Agent``."""
    return f"{name}/{__version__}"


def default_headers() -> CaseInsensitiveDict[str | bytes | None]:
    """The headers a new :class:`trio_http.Session` sends (a fresh copy)."""
    return _session_default_headers()
