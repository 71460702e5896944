"""The cookie jar: :class:`Cookies`, a mapping over ``http.cookiejar``.

How this works: the standard library's :class:`http.cookiejar.CookieJar`
already implements the matching rules (domain and subdomain matching, path
prefixes, ``Secure``, ``Expires`` and ``Max-Age``, refusal of cookies for a
domain the response's host does not belong to). It talks to
``urllib.request``-shaped objects, so two tiny adapters (``_cookie_adapters``)
present a :class:`Request` and a :class:`Response` in that shape; nothing else
is reimplemented. How the jar itself is made and read is ``_cookie_jar``'s.

On top, limits against a hostile server that the standard jar lacks (sizes,
counts, the ``Cookie`` header's length), decided in ``_cookie_limits``: this
module keeps each cookie's stamp (creation and last set) for them and applies
what they decide.
"""

from __future__ import annotations

import http.cookiejar
import math
import time
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, final, overload

from ._cookie_adapters import RequestAdapter, ResponseAdapter
from ._cookie_jar import all_cookies, make_cookie, new_policy, stored_cookie
from ._cookie_limits import (
    UNSTAMPED,
    Key,
    Stamp,
    check_cookie_size,
    cookie_key,
    cookies_to_evict,
    header_fits,
    header_within_limit,
    new_stamp,
)
from ._exceptions import CookieConflictError

if TYPE_CHECKING:
    from typing import TypeVar

    from ._request import Request
    from ._response import Response

    _T = TypeVar("_T")

__all__ = ["Cookies"]


_HEADER_CACHE_SIZE = 256  # distinct (scheme, host, port, path) keys kept


@final
class Cookies(MutableMapping[str, str]):
    """A cookie jar that reads as a mapping from cookie names to values.

    A client keeps one: it stores the ``Set-Cookie`` headers of every
    response (:meth:`extract_cookies`) and adds a ``Cookie`` header with the
    cookies that match each request's URL (:meth:`set_cookie_header`).

    Cookies set by hand with ``jar[name] = value`` or :meth:`set` without a
    ``domain`` match every host, like requests' session cookies.

    Limits: a cookie's name and value together hold at most 4096 bytes (a
    larger one from a server is ignored; set by hand it raises
    ``ValueError``); the jar keeps at most 180 cookies per domain and 3000 in
    all (the least recently set go first); the ``Cookie`` header it builds
    stays within 8 KiB (the cookies that do not fit are not sent).

    The mapping view has one key per cookie name. When one name is stored
    for several domains or paths with different values, ``jar[name]`` raises
    :class:`CookieConflictError`; use :meth:`get` with ``domain``/``path``,
    :meth:`get_dict`, or iterate :attr:`jar` for the full picture.

    Args:
        cookies: initial cookies: another :class:`Cookies` (copied), a
            ``CookieJar`` (wrapped, not copied, so a requests-style jar keeps
            receiving cookies), a mapping, or ``(name, value)`` pairs.

    Attributes:
        jar: the underlying :class:`http.cookiejar.CookieJar`. It has its own
            lock, so a jar may be shared between threads.
    """

    __slots__ = ("_header_cache", "_header_cache_key", "_stamps", "jar")

    def __init__(
        self,
        cookies: (
            Cookies
            | http.cookiejar.CookieJar
            | Mapping[str, str]
            | Iterable[tuple[str, str]]
            | None
        ) = None,
    ) -> None:
        # Cookie header per (scheme, host, port, path), valid while the jar's
        # contents and the clock (earliest expiry) say nothing changed.
        self._header_cache: dict[tuple[str, str, int | None, str], str] = {}
        self._header_cache_key: tuple[tuple[object, ...], float] = ((), 0.0)
        # When each cookie stored through this object was created and last
        # set; entries for cookies gone from the jar are pruned now and then.
        self._stamps: dict[Key, Stamp] = {}
        if isinstance(cookies, http.cookiejar.CookieJar):
            self.jar: http.cookiejar.CookieJar = cookies
        else:
            self.jar = http.cookiejar.CookieJar(new_policy())
            if cookies is not None:
                self.update(cookies)

    # -- requests and responses -------------------------------------------

    def extract_cookies(self, response: Response) -> None:
        """Store the cookies of ``response``'s ``Set-Cookie`` headers.

        Cookies the policy refuses (a domain the response's host is not in, a
        path it cannot set) are dropped; an expiry date in the past or
        ``Max-Age=0`` deletes the stored cookie. A cookie larger than
        ``MAX_COOKIE_BYTES`` (name and value) or ``MAX_SET_COOKIE_BYTES``
        (the whole header value) is ignored. When the jar then holds more
        than ``MAX_COOKIES_PER_DOMAIN`` cookies for a domain the response
        set cookies for, or more than ``MAX_COOKIES`` in all, the least
        recently set are evicted.

        Raises:
            RuntimeError: the response has no request attached.
        """
        if "Set-Cookie" not in response.headers:
            return
        request = response.request
        if request is None:
            raise RuntimeError("cannot extract cookies from a response without a request")
        jar = self.jar
        adapter = RequestAdapter(request)
        # What CookieJar.extract_cookies does, one cookie at a time so that
        # each cookie stored can be stamped.
        domains: set[str] = set()
        for cookie in jar.make_cookies(
            ResponseAdapter(response),  # type: ignore[arg-type]
            adapter,  # type: ignore[arg-type]
        ):
            if self._store(cookie, adapter):
                domains.add(cookie.domain)
        if domains:
            self._evict(domains)

    def _store(
        self,
        cookie: http.cookiejar.Cookie,
        request: RequestAdapter | None = None,
        stamp: Stamp | None = None,
    ) -> bool:
        """Store ``cookie`` and stamp it; return whether it was stored.

        With ``request``, only if the jar's policy accepts it from there.
        ``stamp`` carries a copied cookie's stamp over.
        """
        jar = self.jar
        key = cookie_key(cookie)
        previous = stored_cookie(jar, key)
        if request is None:
            jar.set_cookie(cookie)
        else:
            jar.set_cookie_if_ok(cookie, request)  # type: ignore[arg-type]
            if stored_cookie(jar, key) is not cookie:
                return False
        if stamp is None:
            stamp = new_stamp(None if previous is None else self._stamps.get(key, UNSTAMPED))
        self._stamps[key] = stamp
        return True

    def _evict(self, domains: set[str]) -> None:
        """Enforce the per-domain limit for ``domains`` and the total limit.

        One pass over the jar, made only after a response stored cookies;
        stamps of cookies gone from the jar are pruned on the way.
        """
        cookies = list(all_cookies(self.jar))
        stamps = self._stamps
        if len(stamps) > len(cookies):
            present = {cookie_key(cookie) for cookie in cookies}
            self._stamps = stamps = {key: stamps[key] for key in present if key in stamps}
        for cookie in cookies_to_evict(cookies, stamps, domains):
            self._forget(cookie)

    def _forget(self, cookie: http.cookiejar.Cookie) -> None:
        self._stamps.pop(cookie_key(cookie), None)
        try:
            self.jar.clear(cookie.domain, cookie.path, cookie.name)
        except KeyError:
            pass  # already gone (another thread, or expired and cleared)

    def set_cookie_header(self, request: Request) -> None:
        """Add a ``Cookie`` header with the cookies that match ``request.url``.

        Secure cookies go only to ``https``; expired ones are dropped. A
        ``Cookie`` header already on the request is left alone. The header
        line stays within ``MAX_COOKIE_HEADER_BYTES``: when the matching
        cookies do not all fit, those first in RFC 6265 §5.4 order (longer
        paths, then earlier creation) are sent and the others left out.
        """
        jar = self.jar
        if not getattr(jar, "_cookies", True):
            return  # an empty standard jar: nothing to send, nothing to cache
        if "Cookie" in request.headers:
            return
        # The stdlib policy walk costs ~50 µs per request; its answer depends
        # only on the URL, the jar's contents and the time, so it is cached.
        # The fingerprint sees every cookie added, replaced, re-valued or
        # removed, whether through this object or the jar directly.
        fingerprint = tuple(
            (id(cookie), cookie.value, cookie.expires, cookie.secure) for cookie in all_cookies(jar)
        )
        if not fingerprint:
            return  # empty jar: skip the policy machinery
        cached_fingerprint, valid_until = self._header_cache_key
        if fingerprint != cached_fingerprint or time.time() >= valid_until:
            self._header_cache.clear()
            expiries = [expires for _, _, expires, _ in fingerprint if expires is not None]
            self._header_cache_key = (fingerprint, min(expiries, default=math.inf))
        url = request.url
        key = (url.scheme, url.host, url.port, url.path)
        value = self._header_cache.get(key)
        if value is None:
            adapter = RequestAdapter(request)
            jar.add_cookie_header(adapter)  # type: ignore[arg-type]
            value = request.headers.get("Cookie") or ""
            if not header_fits(value):
                value = header_within_limit(jar, adapter, self._stamps)
                if value:
                    request.headers["Cookie"] = value
                else:
                    del request.headers["Cookie"]
            if len(self._header_cache) >= _HEADER_CACHE_SIZE:
                self._header_cache.clear()
            self._header_cache[key] = value
        elif value:
            request.headers["Cookie"] = value

    # -- requests-style API ------------------------------------------------

    def set(
        self,
        name: str,
        value: str,
        domain: str = "",
        path: str = "/",
        *,
        secure: bool = False,
        expires: int | None = None,
    ) -> None:
        """Store a cookie.

        Args:
            name: the cookie name.
            value: the cookie value, sent as is.
            domain: the host it is sent to (and, with a leading dot, its
                subdomains); ``""`` sends it to every host.
            path: the path prefix it is sent for.
            secure: send it only over https.
            expires: expiry as a Unix timestamp; ``None`` for a session cookie.

        Raises:
            ValueError: the name and value together are longer than
                ``MAX_COOKIE_BYTES`` (4096 bytes), more than browsers keep
                or servers accept.
        """
        # The one place where hand-set cookies enter (mapping, keyword and
        # cookies= arguments all come here), checked once; cookies copied
        # whole from another jar are not re-measured.
        check_cookie_size(name, value)
        self._store(make_cookie(name, value, domain, path, secure, expires))

    def _matching(
        self, name: str | None, domain: str | None, path: str | None
    ) -> list[http.cookiejar.Cookie]:
        return [
            cookie
            for cookie in self.jar
            if (name is None or cookie.name == name)
            and (domain is None or cookie.domain == domain)
            and (path is None or cookie.path == path)
        ]

    @overload
    def get(
        self, name: str, default: None = None, domain: str | None = None, path: str | None = None
    ) -> str | None: ...
    @overload
    def get(
        self, name: str, default: str | _T, domain: str | None = None, path: str | None = None
    ) -> str | _T: ...
    def get(
        self,
        name: str,
        default: object = None,
        domain: str | None = None,
        path: str | None = None,
    ) -> object:
        """The value of cookie ``name``, or ``default`` when none matches.

        Args:
            name: the cookie name.
            default: returned when no cookie matches.
            domain: only consider cookies stored for exactly this domain.
            path: only consider cookies stored for exactly this path.

        Raises:
            CookieConflictError: several matching cookies have different
                values.
        """
        value: str | None = None
        found = False
        for cookie in self._matching(name, domain, path):
            if found and cookie.value != value:
                raise CookieConflictError(
                    f"several cookies named {name!r} match; pass domain= and/or path= to choose one"
                )
            value = cookie.value
            found = True
        return value if found else default

    def delete(self, name: str, domain: str | None = None, path: str | None = None) -> None:
        """Remove every cookie called ``name`` (in ``domain``/``path`` if given)."""
        for cookie in self._matching(name, domain, path):
            self._forget(cookie)

    def clear(self, domain: str | None = None, path: str | None = None) -> None:
        """Remove all cookies, or those stored for ``domain`` and/or ``path``."""
        if domain is None and path is None:
            self.jar.clear()
            self._stamps.clear()
            return
        for cookie in self._matching(None, domain, path):
            self._forget(cookie)

    def update(  # type: ignore[override]
        self,
        cookies: (
            Cookies
            | http.cookiejar.CookieJar
            | Mapping[str, str]
            | Iterable[tuple[str, str]]
            | None
        ) = None,
        /,
        **kwargs: str,
    ) -> None:
        """Add cookies: whole cookies from a jar, or names and values.

        Raises:
            ValueError: a name and value together exceed ``MAX_COOKIE_BYTES``.
        """
        if isinstance(cookies, Cookies):
            stamps = cookies._stamps
            for cookie in cookies.jar:
                self._store(cookie, stamp=stamps.get(cookie_key(cookie)))
        elif isinstance(cookies, http.cookiejar.CookieJar):
            for cookie in cookies:
                self._store(cookie)
        elif isinstance(cookies, Mapping):
            for name, value in cookies.items():
                self.set(name, value)
        elif cookies is not None:
            for name, value in cookies:
                self.set(name, value)
        for name, value in kwargs.items():
            self.set(name, value)

    def get_dict(self, domain: str | None = None, path: str | None = None) -> dict[str, str]:
        """Names and values as a plain dict (the last stored wins on a clash)."""
        return {cookie.name: cookie.value or "" for cookie in self._matching(None, domain, path)}

    # -- mapping ----------------------------------------------------------

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def __delitem__(self, name: str) -> None:
        matches = self._matching(name, None, None)
        if not matches:
            raise KeyError(name)
        for cookie in matches:
            self._forget(cookie)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(cookie.name for cookie in self.jar))

    def __len__(self) -> int:
        return len({cookie.name for cookie in self.jar})

    def __contains__(self, name: object) -> bool:
        return any(cookie.name == name for cookie in self.jar)

    def __bool__(self) -> bool:
        for _ in self.jar:
            return True
        return False

    def __repr__(self) -> str:
        # Values are secrets (session ids); show where cookies go, not what.
        listed = ", ".join(
            f"{cookie.name} for {cookie.domain or '*'}{cookie.path}" for cookie in self.jar
        )
        return f"<Cookies [{listed}]>"
