"""requests' cookie helpers (``requests.cookies``), over trio_http's cookie jar.

``RequestsCookieJar`` is the :class:`trio_http.Cookies` subclass that
iterates, counts and lists as requests' jar does; ``session.cookies`` and a
session's ``response.cookies`` are one. The functions accept a
:class:`trio_http.Cookies` (either kind) or any
:class:`http.cookiejar.CookieJar` wherever requests takes a jar; requests
and responses are trio_http's :class:`~trio_http.Request` and
:class:`~trio_http.Response`.
"""

from __future__ import annotations

import http.cookiejar
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeVar, overload

from ._cookie_jar import create_cookie as create_cookie
from ._cookie_jar import morsel_to_cookie as morsel_to_cookie
from ._cookie_requests_jar import RequestsCookieJar as RequestsCookieJar
from ._cookies import Cookies
from ._exceptions import CookieConflictError as CookieConflictError
from ._request import Request

if TYPE_CHECKING:
    from ._response import Response

__all__ = [
    "CookieConflictError",
    "RequestsCookieJar",
    "cookiejar_from_dict",
    "create_cookie",
    "extract_cookies_to_jar",
    "get_cookie_header",
    "merge_cookies",
    "morsel_to_cookie",
    "remove_cookie_by_name",
]

_Jar = TypeVar("_Jar", bound=Cookies | http.cookiejar.CookieJar)


def _as_cookies(jar: Cookies | http.cookiejar.CookieJar) -> Cookies:
    # A standard jar is wrapped, not copied: what is done goes into it.
    return jar if isinstance(jar, Cookies) else Cookies(jar)


def extract_cookies_to_jar(
    jar: Cookies | http.cookiejar.CookieJar, request: Request, response: Response
) -> None:
    """Store the cookies ``response`` sets into ``jar``, as if it answered ``request``.

    The jar's policy decides what is kept, and trio_http's cookie limits
    apply (an oversized ``Set-Cookie`` is ignored).
    """
    _as_cookies(jar).extract_cookies(response, request)


def get_cookie_header(jar: Cookies | http.cookiejar.CookieJar, request: Request) -> str | None:
    """The ``Cookie`` header ``jar`` would add to ``request``, or ``None``.

    ``request`` is left unchanged. A request that already has a ``Cookie``
    header gets none from the jar, so the answer is then ``None``.
    """
    if "Cookie" in request.headers:
        return None
    probe = Request(request.method, request.url)
    _as_cookies(jar).set_cookie_header(probe)
    return probe.headers.get("Cookie")


def remove_cookie_by_name(
    cookiejar: Cookies | http.cookiejar.CookieJar,
    name: str,
    domain: str | None = None,
    path: str | None = None,
) -> None:
    """Remove the cookies called ``name`` (for ``domain`` and ``path`` when given).

    Nothing happens when none matches.
    """
    _as_cookies(cookiejar).delete(name, domain, path)


@overload
def cookiejar_from_dict(
    cookie_dict: Mapping[str, str] | None, cookiejar: None = None, overwrite: bool = True
) -> RequestsCookieJar: ...
@overload
def cookiejar_from_dict(
    cookie_dict: Mapping[str, str] | None, cookiejar: _Jar, overwrite: bool = True
) -> _Jar: ...
def cookiejar_from_dict(
    cookie_dict: Mapping[str, str] | None,
    cookiejar: Cookies | http.cookiejar.CookieJar | None = None,
    overwrite: bool = True,
) -> Cookies | http.cookiejar.CookieJar:
    """Add names and values to a jar (a new :class:`RequestsCookieJar` by default).

    Each cookie goes to every host and path, as requests' session cookies do.

    Args:
        cookie_dict: the names and values; ``None`` adds nothing.
        cookiejar: the jar to add to.
        overwrite: replace cookies of the same name already there; with
            ``False`` such names are skipped.

    Returns:
        The jar.

    Raises:
        ValueError: a name and value together exceed ``MAX_COOKIE_BYTES``.
    """
    jar = RequestsCookieJar() if cookiejar is None else cookiejar
    if cookie_dict:
        target = _as_cookies(jar)
        present = set() if overwrite else {cookie.name for cookie in target.jar}
        for name, value in cookie_dict.items():
            if name not in present:
                target.set_cookie(create_cookie(name, value))
    return jar


def merge_cookies(
    cookiejar: _Jar,
    cookies: Mapping[str, str] | Cookies | http.cookiejar.CookieJar | None,
) -> _Jar:
    """Add ``cookies`` to ``cookiejar`` and return it.

    A mapping's names do not replace cookies of the same name already in
    the jar; a jar's cookies are copied whole (domain, path and all) and do.

    Raises:
        ValueError: ``cookiejar`` is not a cookie jar.
    """
    if not isinstance(cookiejar, (Cookies, http.cookiejar.CookieJar)):
        raise ValueError(f"can only merge into a cookie jar, not {type(cookiejar).__name__}")
    if isinstance(cookies, (Cookies, http.cookiejar.CookieJar)):
        _as_cookies(cookiejar).update(cookies)
    elif cookies is not None:
        cookiejar_from_dict(cookies, cookiejar, overwrite=False)
    return cookiejar
