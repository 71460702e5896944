"""The standard library's cookie jar as :class:`~trio_http._cookies.Cookies` uses it.

Its policy (host-only cookies stay host-only), cookies made by hand with
requests' meaning of ``domain``, and two reads of its tree faster than its
own recursive walk. The fast reads rely on ``CookieJar._cookies``, the nested
``{domain: {path: {name: cookie}}}`` of the standard library's jar; a jar
without it is walked through the public iterator instead.
"""

from __future__ import annotations

import http.cookiejar
from collections.abc import Iterator

from ._cookie_limits import Key, cookie_key

__all__ = ["all_cookies", "make_cookie", "new_policy", "stored_cookie"]


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


def new_policy() -> http.cookiejar.DefaultCookiePolicy:
    """The policy of a jar this package creates."""
    # RFC 6265 §5.3: a cookie set without a Domain attribute is host-only. The
    # standard policy sends it to subdomains too unless told not to.
    return http.cookiejar.DefaultCookiePolicy(
        strict_ns_domain=http.cookiejar.DefaultCookiePolicy.DomainStrictNonDomain
    )


def make_cookie(
    name: str,
    value: str,
    domain: str,
    path: str,
    secure: bool,
    expires: int | None,
) -> http.cookiejar.Cookie:
    """A cookie set by hand (:meth:`Cookies.set <trio_http._cookies.Cookies.set>`)."""
    return http.cookiejar.Cookie(
        version=0,
        name=name,
        value=value,
        port=None,
        port_specified=False,
        domain=domain,
        # Set by hand, so no host-only restriction: "" matches every host and
        # "example.com" its subdomains too (requests' meaning).
        domain_specified=True,
        domain_initial_dot=domain.startswith("."),
        path=path,
        path_specified=bool(path),
        secure=secure,
        expires=expires,
        discard=expires is None,
        comment=None,
        comment_url=None,
        rest={},
    )
