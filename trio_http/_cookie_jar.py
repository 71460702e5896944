"""The standard library's cookie jar as :class:`~trio_http._cookies.Cookies` uses it.

Its policy (host-only cookies stay host-only), cookies made by hand with
requests' meaning of ``domain``, and two reads of its tree faster than its
own recursive walk. The fast reads rely on ``CookieJar._cookies``, the nested
``{domain: {path: {name: cookie}}}`` of the standard library's jar; a jar
without it is walked through the public iterator instead.
"""

from __future__ import annotations

import copy
import sys
import time
import types
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, TypeGuard, cast

from ._cookie_limits import Key, cookie_key

if TYPE_CHECKING:
    import http.cookiejar
    from http.cookies import Morsel

__all__ = [
    "all_cookies",
    "cookiejar_module",
    "create_cookie",
    "for_every_host",
    "is_cookie_jar",
    "morsel_to_cookie",
    "new_jar",
    "new_policy",
    "stored_cookie",
]


def stored_cookie(jar: http.cookiejar.CookieJar, key: Key) -> http.cookiejar.Cookie | None:
    """The cookie ``jar`` holds under ``key``, if any."""
    tree = getattr(jar, "_cookies", None)
    if isinstance(tree, dict):
        domain, path, name = key
        cookie: http.cookiejar.Cookie | None = tree.get(domain, {}).get(path, {}).get(name)
        return cookie
    for cookie in jar:
        if cookie_key(cookie) == key:
            return cookie
    return None


def all_cookies(jar: http.cookiejar.CookieJar) -> Iterator[http.cookiejar.Cookie]:
    """Every cookie in ``jar``, faster than ``iter(jar)``'s recursive walk."""
    tree = getattr(jar, "_cookies", None)
    if not isinstance(tree, dict):
        yield from jar
        return
    for paths in tree.values():
        for names in paths.values():
            yield from names.values()


def cookiejar_module() -> types.ModuleType:
    """``http.cookiejar``, imported on first use.

    With it come ``urllib.request``, ``http.client`` and ``email``: several
    milliseconds and about a megabyte that a client which never sees a
    cookie does not pay.
    """
    import http.cookiejar

    return http.cookiejar


def is_cookie_jar(value: object) -> TypeGuard[http.cookiejar.CookieJar]:
    """Whether ``value`` is an ``http.cookiejar.CookieJar``, without importing it.

    Nothing can be a ``CookieJar`` before ``http.cookiejar`` was imported.
    """
    module = sys.modules.get("http.cookiejar")
    return module is not None and isinstance(value, module.CookieJar)


def new_jar(policy: http.cookiejar.CookiePolicy | None = None) -> http.cookiejar.CookieJar:
    """An empty standard jar with ``policy`` (default :func:`new_policy`)."""
    jar: http.cookiejar.CookieJar = cookiejar_module().CookieJar(
        new_policy() if policy is None else policy
    )
    return jar


def new_policy() -> http.cookiejar.DefaultCookiePolicy:
    """The policy of a jar this package creates."""
    # RFC 6265 §5.3: a cookie set without a Domain attribute is host-only. The
    # standard policy sends it to subdomains too unless told not to.
    cookiejar = cookiejar_module()
    return cookiejar.DefaultCookiePolicy(  # type: ignore[no-any-return]
        strict_ns_domain=cookiejar.DefaultCookiePolicy.DomainStrictNonDomain
    )


def for_every_host(cookie: http.cookiejar.Cookie) -> http.cookiejar.Cookie:
    """``cookie``, or a copy the host-only policy sends where ``cookie`` means to go.

    A cookie without a domain is for every host. requests' ``create_cookie``
    marks its domain as not specified, and under :func:`new_policy` such a
    cookie would be sent to no host at all; the copy marks it specified.
    """
    if cookie.domain or cookie.domain_specified:
        return cookie
    every_host = copy.copy(cookie)
    every_host.domain_specified = True
    return every_host


def create_cookie(
    name: str,
    value: str | None,
    *,
    domain: str = "",
    path: str = "/",
    secure: bool = False,
    expires: int | None = None,
    discard: bool = True,
    version: int = 0,
    port: str | None = None,
    comment: str | None = None,
    comment_url: str | None = None,
    rest: Mapping[str, str | None] | None = None,
    rfc2109: bool = False,
) -> http.cookiejar.Cookie:
    """A cookie made by hand, as requests' ``create_cookie`` makes it.

    Without a ``domain`` the cookie goes to every host (a jar of this
    package sends it everywhere whatever the policy says); with one, to that
    domain and its subdomains.

    Args:
        name: the cookie name.
        value: the value, sent as is.
        domain: ``""`` for every host, else the domain (a leading dot is
            allowed and changes nothing).
        path: the path prefix it is sent for.
        secure: send it only over https.
        expires: expiry as a Unix timestamp; ``None`` for no expiry.
        discard: a session cookie, removed by ``clear_session_cookies()``.
        version: 0 for Netscape cookies (the only kind servers send today).
        port: the ports it is sent to (``"80,8080"``), ``None`` for any.
        comment: the cookie's comment attribute.
        comment_url: the cookie's comment URL attribute.
        rest: other attributes; default ``{"HttpOnly": None}``.
        rfc2109: whether it came as an RFC 2109 cookie.

    Returns:
        The :class:`http.cookiejar.Cookie`.
    """
    return cookiejar_module().Cookie(  # type: ignore[no-any-return]
        version=version,
        name=name,
        value=value,
        port=port,
        port_specified=bool(port),
        domain=domain,
        domain_specified=bool(domain),
        domain_initial_dot=domain.startswith("."),
        path=path,
        path_specified=bool(path),
        secure=secure,
        expires=expires,
        discard=discard,
        comment=comment,
        comment_url=comment_url,
        # The standard library types rest as dict[str, str]; requests (and the
        # jar itself) store None for a valueless attribute such as HttpOnly.
        rest=cast("dict[str, str]", dict(rest) if rest is not None else {"HttpOnly": None}),
        rfc2109=rfc2109,
    )


def morsel_to_cookie(morsel: Morsel[str]) -> http.cookiejar.Cookie:
    """The cookie an :class:`http.cookies.Morsel` describes.

    ``max-age`` wins over ``expires``, as RFC 6265 §5.3 step 3 says.

    Raises:
        TypeError: ``max-age`` is not a whole number.
        ValueError: ``expires`` is not a date.
    """
    expires: int | None = None
    if morsel["max-age"]:
        try:
            expires = int(time.time()) + int(morsel["max-age"])
        except ValueError:
            raise TypeError(f"max-age {morsel['max-age']!r} is not a whole number") from None
    elif morsel["expires"]:
        # The date forms servers use (RFC 1123, the Netscape dashed form...)
        # are those the jar reads from Set-Cookie.
        timestamp = cookiejar_module().http2time(morsel["expires"])
        if timestamp is None:
            raise ValueError(f"expires {morsel['expires']!r} is not a date")
        expires = int(timestamp)
    return create_cookie(
        morsel.key,
        morsel.value,
        domain=morsel["domain"],
        path=morsel["path"],
        secure=bool(morsel["secure"]),
        expires=expires,
        discard=False,
        version=int(morsel["version"] or 0),
        comment=morsel["comment"] or None,
        rest={"HttpOnly": morsel["httponly"]},
    )
