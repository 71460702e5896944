"""The cookie jar's limits against a hostile server, none of which ``http.cookiejar`` has.

How this works:

* a ``Set-Cookie`` whose name and value exceed :data:`MAX_COOKIE_BYTES`, or
  whose whole value exceeds :data:`MAX_SET_COOKIE_BYTES`, is ignored before
  the jar parses it, as browsers ignore one (the response does not fail);
* the jar keeps at most :data:`MAX_COOKIES_PER_DOMAIN` cookies per domain and
  :data:`MAX_COOKIES` in all. Every cookie stored is stamped from one
  process-wide counter (creation and last set), and a response that pushes
  the jar over evicts the least recently set;
* the ``Cookie`` header a jar builds stays within
  :data:`MAX_COOKIE_HEADER_BYTES`: when the matching cookies do not fit, those
  first in RFC 6265 §5.4 order (longer paths, then earlier creation) are sent.

The functions here decide; :class:`~trio_http._cookies.Cookies` keeps the
stamps and applies the decisions to its jar.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ._config import (
    MAX_COOKIE_BYTES,
    MAX_COOKIE_HEADER_BYTES,
    MAX_COOKIES,
    MAX_COOKIES_PER_DOMAIN,
    MAX_SET_COOKIE_BYTES,
)

if TYPE_CHECKING:
    import http.cookiejar

    from ._cookie_adapters import RequestAdapter

__all__ = [
    "UNSTAMPED",
    "Key",
    "Stamp",
    "check_cookie_size",
    "cookie_key",
    "cookies_to_evict",
    "header_fits",
    "header_within_limit",
    "new_stamp",
    "set_cookie_fits",
]

_COOKIE_LINE_OVERHEAD = len("Cookie: \r\n")  # what the header line adds to its value

# How the jar files a cookie: (domain, path, name).
Key = tuple[str, str, str]
# (creation, last set), both from _CLOCK. One counter for every jar, so that
# stamps copied from one jar to another still compare.
Stamp = tuple[int, int]
_CLOCK = itertools.count(1)
UNSTAMPED: Stamp = (0, 0)  # stored behind our back (the jar used directly): oldest


def cookie_key(cookie: http.cookiejar.Cookie) -> Key:
    """Where ``cookie`` is filed in a jar: ``(domain, path, name)``."""
    return (cookie.domain, cookie.path, cookie.name)


def new_stamp(replaced: Stamp | None) -> Stamp:
    """The stamp of a cookie stored now, replacing one stamped ``replaced`` (if any)."""
    now = next(_CLOCK)
    # RFC 6265 §5.3 step 11.3: a cookie that replaces another keeps the
    # other's creation time.
    created = now if replaced is None else replaced[0]
    return (created, now)


def _site(domain: str) -> str:
    # A host-only cookie is filed under "example.com", a Domain one under
    # ".example.com": one site for the per-domain limit.
    return domain.lstrip(".")


def _wire_len(text: str) -> int:
    """Bytes ``text`` takes in a header: exact for ASCII, an upper bound otherwise."""
    # Headers go out as Latin-1 when they can, else as UTF-8 (_headers.py);
    # UTF-8 is never the shorter.
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def set_cookie_fits(value: str) -> bool:
    """Whether one ``Set-Cookie`` value is within the cookie size limits."""
    size = _wire_len(value)
    if size <= MAX_COOKIE_BYTES:
        return True
    if size > MAX_SET_COOKIE_BYTES:
        return False
    # Name and value as http.cookiejar.parse_ns_headers finds them: the text
    # before the first ";", split at the first "=", stripped.
    name, _, cookie_value = value.split(";", 1)[0].partition("=")
    return _wire_len(name.strip()) + _wire_len(cookie_value.strip()) <= MAX_COOKIE_BYTES


def check_cookie_size(name: str, value: str) -> None:
    """Refuse a cookie set by hand whose name and value exceed ``MAX_COOKIE_BYTES``.

    Raises:
        ValueError: the name and value together are too long. The message
            gives the name and the size, never the value (often a secret).
    """
    size = _wire_len(name) + _wire_len(value or "")
    if size > MAX_COOKIE_BYTES:
        raise ValueError(
            f"cookie {name!r} is {size} bytes long (name and value); "
            f"at most {MAX_COOKIE_BYTES} bytes are allowed, as in browsers"
        )


def cookies_to_evict(
    cookies: list[http.cookiejar.Cookie], stamps: dict[Key, Stamp], domains: Iterable[str]
) -> list[http.cookiejar.Cookie]:
    """The cookies to drop so that ``cookies`` (a whole jar) is within the count limits.

    Only the sites of ``domains`` (where a response just stored cookies) are
    held to ``MAX_COOKIES_PER_DOMAIN``; the whole jar to ``MAX_COOKIES``.
    Expired cookies go first, then the least recently set.
    """
    if len(cookies) <= min(MAX_COOKIES_PER_DOMAIN, MAX_COOKIES):
        return []
    now = int(time.time())

    def last_set(cookie: http.cookiejar.Cookie) -> tuple[bool, int]:
        # RFC 6265 §5.3 step 12: expired cookies go first.
        return (not cookie.is_expired(now), stamps.get(cookie_key(cookie), UNSTAMPED)[1])

    by_site: dict[str, list[http.cookiejar.Cookie]] = {_site(domain): [] for domain in domains}
    for cookie in cookies:
        group = by_site.get(_site(cookie.domain))
        if group is not None:
            group.append(cookie)
    evicted: list[http.cookiejar.Cookie] = []
    for group in by_site.values():
        excess = len(group) - MAX_COOKIES_PER_DOMAIN
        if excess > 0:
            evicted += heapq.nsmallest(excess, group, key=last_set)
    excess = len(cookies) - len(evicted) - MAX_COOKIES
    if excess > 0:
        chosen = {id(cookie) for cookie in evicted}
        rest = (cookie for cookie in cookies if id(cookie) not in chosen)
        evicted += heapq.nsmallest(excess, rest, key=last_set)
    return evicted


def header_fits(value: str) -> bool:
    """Whether a ``Cookie`` header line with ``value`` is within ``MAX_COOKIE_HEADER_BYTES``."""
    return _wire_len(value) + _COOKIE_LINE_OVERHEAD <= MAX_COOKIE_HEADER_BYTES


def header_within_limit(
    jar: http.cookiejar.CookieJar, request: RequestAdapter, stamps: dict[Key, Stamp]
) -> str:
    """A ``Cookie`` value of the matching cookies that fit, in RFC order.

    A cookie that does not fit is left out; a later, smaller one may
    still go. Called just after ``add_cookie_header``, which set the
    jar's clock for the expiry checks.
    """
    # The jar's own matching rules, as a list rather than joined text:
    # only a private helper gives that. Without it, send nothing rather
    # than an oversized header.
    cookies_for: Callable[[RequestAdapter], list[http.cookiejar.Cookie]] | None = getattr(
        jar, "_cookies_for_request", None
    )
    if cookies_for is None:
        return ""
    matching = sorted(
        cookies_for(request),
        key=lambda cookie: (-len(cookie.path), stamps.get(cookie_key(cookie), UNSTAMPED)[0]),
    )
    budget = MAX_COOKIE_HEADER_BYTES - _COOKIE_LINE_OVERHEAD
    pieces: list[str] = []
    for cookie in matching:
        # Netscape syntax, the only kind the default policy stores.
        piece = cookie.name if cookie.value is None else f"{cookie.name}={cookie.value}"
        size = _wire_len(piece) + (2 if pieces else 0)  # "; " between pieces
        if size <= budget:
            pieces.append(piece)
            budget -= size
    return "; ".join(pieces)
