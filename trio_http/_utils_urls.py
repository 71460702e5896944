"""URL and credential helpers of :mod:`trio_http.utils`, decided by :class:`~trio_http.URL`.

URLs are parsed and normalised as the client parses them; netrc
credentials are the ones :class:`~trio_http.NetRCAuth` would send. The
public names are re-exported by :mod:`trio_http.utils`.
"""

from __future__ import annotations

import base64
import os
import re

from ._auth import NetRCAuth
from ._exceptions import InvalidURL
from ._request import Request
from ._url_parse import SCHEME, requote
from ._urls import URL

__all__ = [
    "get_auth_from_url",
    "get_netrc_auth",
    "prepend_scheme_if_needed",
    "requote_uri",
    "unquote_unreserved",
    "urldefragauth",
]

# RFC 3986 §2.3 unreserved characters: an escape of one means the character.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# What unquote_unreserved reads as an escape: "%" and two letters or digits
# (any script, as str.isalnum() counts them); one that is not hexadecimal is
# an error there, not text.
_ESCAPE_LIKE = re.compile(r"%([^\W_]{2})")
# What a whole URI may hold as it is: unreserved and reserved characters
# (RFC 3986 §2.2) and escapes; anything else, or a "%" that starts no
# escape, is percent-encoded.
_URI_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+|%(?![0-9A-Fa-f]{2})")
# A scheme and its colon at the start of a URL (RFC 3986 §3.1).
_SCHEME_PREFIX = re.compile(rf"(?:{SCHEME.pattern}:)?")


def _unescape_unreserved(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else match.group()


def _unescape_unreserved_strictly(match: re.Match[str]) -> str:
    try:
        code = int(match.group(1), 16)
    except ValueError:
        raise InvalidURL(f"invalid percent-escape {match.group()!r}") from None
    char = chr(code)
    return char if char in _UNRESERVED else match.group()


def unquote_unreserved(uri: str) -> str:
    """``uri`` with the escapes of unreserved characters decoded (``%7E`` becomes ``~``).

    Every other escape, and every character, is left as it is.

    Raises:
        InvalidURL: a ``%`` is followed by two letters or digits that are
            not hexadecimal (``%zz``), as in requests.
    """
    return _ESCAPE_LIKE.sub(_unescape_unreserved_strictly, uri)


def requote_uri(uri: str) -> str:
    """Quote ``uri`` fully and consistently.

    Escapes of unreserved characters are decoded (``%7E`` becomes ``~``);
    other escapes are kept as they are; characters a URI cannot hold
    (spaces, non-ASCII, ``"<>\\^`{|}``) are percent-encoded as UTF-8, and
    so is a ``%`` that starts no escape.

    Raises:
        InvalidURL: ``uri`` holds a lone surrogate, which cannot be encoded.
    """
    return requote(_ESCAPE.sub(_unescape_unreserved, uri), _URI_UNSAFE, "URI")


def urldefragauth(url: str) -> str:
    """``url`` without its fragment and its ``user:password@``, normalised as :class:`URL` is.

    As in requests, a URL without ``//`` after its scheme is read as
    starting with its host: ``"example.com/path"`` gives
    ``"//example.com/path"``.

    Raises:
        InvalidURL: ``url`` cannot be parsed.
    """
    scheme = _SCHEME_PREFIX.match(url)
    rest_at = scheme.end() if scheme is not None else 0
    if url[rest_at : rest_at + 1] not in ("", "?", "#") and not url.startswith("//", rest_at):
        url = f"{url[:rest_at]}//{url[rest_at:]}"
    return str(URL(url).copy_with(username="", password="", fragment=""))


def get_auth_from_url(url: str) -> tuple[str, str]:
    """The ``(user, password)`` in ``url``, percent-decoded; ``("", "")`` without any.

    Raises:
        InvalidURL: ``url`` cannot be parsed.
    """
    parsed = URL(url)
    return (parsed.username, parsed.password)


def prepend_scheme_if_needed(url: str, new_scheme: str) -> str:
    """``url`` with ``new_scheme`` in front when it has no ``scheme://``.

    ``"proxy.local:3128"`` becomes ``"http://proxy.local:3128"``, as trio_http
    reads a proxy URL; ``"//host/path"`` gets only the scheme. A URL that has
    a scheme is returned unchanged.
    """
    if "://" in url:
        return url
    if url.startswith("//"):
        return f"{new_scheme}:{url}"
    return f"{new_scheme}://{url}"


def get_netrc_auth(url: str | bytes, raise_errors: bool = False) -> tuple[str, str] | None:
    """The ``(login, password)`` that :class:`trio_http.NetRCAuth` would send to ``url``.

    The file is ``$NETRC``, else ``~/.netrc``; only a ``machine`` entry
    naming the URL's host counts (never ``default``).

    Args:
        url: the URL whose host is looked up.
        raise_errors: raise when the file exists but cannot be read or
            parsed; by default that means no credentials.

    Raises:
        netrc.NetrcParseError, OSError: with ``raise_errors`` only.
    """
    if isinstance(url, bytes):
        url = url.decode("utf-8")
    path = os.environ.get("NETRC") or os.path.expanduser("~/.netrc")
    if not os.path.exists(path):
        return None
    request = Request("GET", url)
    auth = NetRCAuth(path) if raise_errors else NetRCAuth()
    try:
        next(auth.auth_flow(request))
    except OSError:
        if raise_errors:
            raise
        return None
    header = request.headers.get("Authorization")
    if header is None:
        return None
    # NetRCAuth holds the credentials as the Basic header it sends; each of
    # login and password is Latin-1 when it fits, else UTF-8
    # (_auth.basic_auth_header), so each is decoded on its own.
    login, _, password = base64.b64decode(header.partition(" ")[2]).partition(b":")
    return (_credential_text(login), _credential_text(password))


def _credential_text(raw: bytes) -> str:
    # Latin-1 text that is also valid UTF-8 (mojibake such as "Ã©") reads
    # back decoded; no netrc name or password in practice.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
