"""The cookie jar: :class:`Cookies`, a mapping over ``http.cookiejar``.

How this works: the standard library's :class:`http.cookiejar.CookieJar`
already implements the matching rules (domain and subdomain matching, path
prefixes, ``Secure``, ``Expires`` and ``Max-Age``, refusal of cookies for a
domain the response's host does not belong to). It talks to
``urllib.request``-shaped objects, so two tiny adapters (``_cookie_adapters``)
present a :class:`Request` and a :class:`Response` in that shape; nothing else
is reimplemented. How the jar itself is made and read is ``_cookie_jar``'s;
reading it by name, as requests' jar does, is ``_cookie_mapping``'s.

On top, limits against a hostile server that the standard jar lacks (sizes,
counts, the ``Cookie`` header's length), decided in ``_cookie_limits``: this
module keeps each cookie's stamp (creation and last set) for them and applies
what they decide.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import TYPE_CHECKING, cast

from ._cookie_adapters import RequestAdapter, ResponseAdapter
from ._cookie_jar import (
    all_cookies,
    create_cookie,
    for_every_host,
    is_cookie_jar,
    morsel_to_cookie,
    new_jar,
    stored_cookie,
)
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
from ._cookie_mapping import CookieMapping
from ._exceptions import CookieConflictError

if TYPE_CHECKING:
    import http.cookiejar
    from http.cookies import Morsel

    from typing_extensions import Self

    from ._request import Request
    from ._response import Response

__all__ = ["CookieConflictError", "Cookies"]


_HEADER_CACHE_SIZE = 256  # distinct (scheme, host, port, path) keys kept

# Makes the standard jar of a Cookies that had none, once, whichever thread
# stores the first cookie.
_NEW_JAR_LOCK = threading.Lock()

# What a pickled jar holds: its cookies, its policy, their stamps.
_PickledJar = tuple[
    list["http.cookiejar.Cookie"],
    "http.cookiejar.CookiePolicy",
    dict[Key, Stamp],
    type["Cookies"],
]


class Cookies(CookieMapping, MutableMapping[str, str]):
    """A cookie jar that reads as a mapping from cookie names to values.

    A client keeps one: it stores the ``Set-Cookie`` headers of every
    response (:meth:`extract_cookies`) and adds a ``Cookie`` header with the
    cookies that match each request's URL (:meth:`set_cookie_header`). It
    also offers requests' ``RequestsCookieJar`` API (``set``, ``get`` with
    ``domain``/``path``, ``get_dict``, ``list_domains``, ``iteritems``...);
    ``trio_http.cookies.RequestsCookieJar``, the jar of a ``Session``, is
    the subclass that also iterates and counts as requests' jar does.

    Cookies set by hand with ``jar[name] = value`` or :meth:`set` without a
    ``domain`` match every host, like requests' session cookies;
    ``jar[name] = None`` and ``del jar[name]`` remove every cookie of that
    name (a name that is not there is no error, as in requests).

    Limits: a cookie's name and value together hold at most 4096 bytes (a
    larger one from a server is ignored; set by hand it raises
    ``ValueError``); the jar keeps at most 180 cookies per domain and 3000 in
    all (the least recently set go first); the ``Cookie`` header it builds
    stays within 8 KiB (the cookies that do not fit are not sent).

    The mapping view has one key per cookie name. When one name is stored
    for several domains or paths with different values, ``jar[name]`` raises
    :class:`CookieConflictError`; use :meth:`get` with ``domain``/``path``,
    :meth:`get_dict`, ``items()``, or iterate :attr:`jar` for the
    :class:`http.cookiejar.Cookie` objects.

    Args:
        cookies: initial cookies: another :class:`Cookies` (copied), a
            ``CookieJar`` (wrapped, not copied, so a requests-style jar keeps
            receiving cookies), a mapping, or ``(name, value)`` pairs.

    The standard jar (and with it ``http.cookiejar``) is made when a
    cookie is first stored or the jar is first read: a client that never
    sees a cookie does not import it.
    """

    __slots__ = ("_header_cache", "_header_cache_key", "_jar", "_stamps")

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
        self._reset_caches()
        # When each cookie stored through this object was created and last
        # set; entries for cookies gone from the jar are pruned now and then.
        self._stamps: dict[Key, Stamp] = {}
        self._jar: http.cookiejar.CookieJar | None = None
        if is_cookie_jar(cookies):
            self._jar = cookies
        elif cookies is not None:
            self.update(cookies)

    @property
    def jar(self) -> http.cookiejar.CookieJar:
        """The underlying :class:`http.cookiejar.CookieJar`.

        It has its own lock, so a jar may be shared between threads.
        """
        jar = self._jar
        if jar is None:
            with _NEW_JAR_LOCK:
                jar = self._jar
                if jar is None:
                    jar = self._jar = new_jar()
        return jar

    @jar.setter
    def jar(self, jar: http.cookiejar.CookieJar) -> None:
        self._jar = jar
        self._reset_caches()

    def _reset_caches(self) -> None:
        # Cookie header per (scheme, host, port, path), valid while the jar's
        # contents and the clock (earliest expiry) say nothing changed.
        self._header_cache: dict[tuple[str, str, int | None, str], str] = {}
        self._header_cache_key: tuple[tuple[object, ...], float] = ((), 0.0)

    # -- requests and responses -------------------------------------------

    def extract_cookies(self, response: Response, request: Request | None = None) -> None:
        """Store the cookies of ``response``'s ``Set-Cookie`` headers.

        Cookies the policy refuses (a domain the response's host is not in, a
        path it cannot set) are dropped; an expiry date in the past or
        ``Max-Age=0`` deletes the stored cookie. A cookie larger than
        ``MAX_COOKIE_BYTES`` (name and value) or ``MAX_SET_COOKIE_BYTES``
        (the whole header value) is ignored. When the jar then holds more
        than ``MAX_COOKIES_PER_DOMAIN`` cookies for a domain the response
        set cookies for, or more than ``MAX_COOKIES`` in all, the least
        recently set are evicted.

        Args:
            response: the response.
            request: the request it answers; default ``response.request``.

        Raises:
            RuntimeError: no request is given and the response has none.
        """
        if "Set-Cookie" not in response.headers:
            return
        if request is None:
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
        cookie = self._as_stored(for_every_host(cookie))
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

    def _as_stored(self, cookie: http.cookiejar.Cookie) -> http.cookiejar.Cookie:
        """``cookie`` as this jar stores it (a subclass may store a changed copy)."""
        return cookie

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
        jar = self._jar
        if jar is None or not getattr(jar, "_cookies", True):
            return  # no jar yet, or an empty standard one: nothing to send
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

    # -- storing ------------------------------------------------------------

    def set(
        self,
        name: str,
        value: str | Morsel[str] | None,
        domain: str | None = None,
        path: str | None = None,
        *,
        secure: bool = False,
        expires: int | None = None,
        discard: bool | None = None,
        version: int = 0,
        port: str | None = None,
        comment: str | None = None,
        comment_url: str | None = None,
        rest: Mapping[str, str | None] | None = None,
        rfc2109: bool = False,
    ) -> http.cookiejar.Cookie | None:
        """Store a cookie (requests' ``RequestsCookieJar.set``).

        Args:
            name: the cookie name.
            value: the value, sent as is; an :class:`http.cookies.Morsel`
                (whose own attributes are used, the other arguments
                ignored); or ``None`` to remove the cookies called ``name``
                (in ``domain`` and ``path`` when given).
            domain: the host it is sent to, and its subdomains; ``None`` or
                ``""`` sends it to every host.
            path: the path prefix it is sent for; default ``"/"``.
            secure: send it only over https.
            expires: expiry as a Unix timestamp; ``None`` for a session cookie.
            discard: a session cookie; default: when ``expires`` is ``None``.
            version, port, comment, comment_url, rest, rfc2109: the other
                attributes of :func:`trio_http.cookies.create_cookie`.

        Returns:
            The cookie stored, or ``None`` when ``value`` was ``None``.

        Raises:
            ValueError: the name and value together are longer than
                ``MAX_COOKIE_BYTES`` (4096 bytes), more than browsers keep
                or servers accept.
            TypeError: ``value`` is neither text, a ``Morsel`` nor ``None``.
        """
        if value is None:
            self.delete(name, domain, path)
            return None
        if isinstance(value, str):
            cookie = create_cookie(
                name,
                value,
                domain=domain or "",
                path=path if path is not None else "/",
                secure=secure,
                expires=expires,
                discard=expires is None if discard is None else discard,
                version=version,
                port=port,
                comment=comment,
                comment_url=comment_url,
                rest=rest,
                rfc2109=rfc2109,
            )
        else:
            from http.cookies import Morsel

            if not isinstance(value, Morsel):
                raise TypeError(
                    f"a cookie value must be str, a Morsel or None, not {type(value).__name__}"
                )
            cookie = morsel_to_cookie(value)
        cookie = for_every_host(cookie)  # so that the cookie returned is the one stored
        self.set_cookie(cookie)
        return cookie

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        """Store a whole :class:`http.cookiejar.Cookie`, replacing one filed alike.

        Raises:
            ValueError: its name and value together exceed ``MAX_COOKIE_BYTES``.
        """
        # The one place where hand-set cookies enter (mapping, keyword and
        # cookies= arguments all come here), checked once; cookies copied
        # whole from another jar are not re-measured.
        check_cookie_size(cookie.name, cookie.value or "")
        self._store(cookie)

    def delete(self, name: str, domain: str | None = None, path: str | None = None) -> None:
        """Remove every cookie called ``name`` (in ``domain``/``path`` if given)."""
        for cookie in self._matching(name, domain, path):
            self._forget(cookie)

    def clear(
        self, domain: str | None = None, path: str | None = None, name: str | None = None
    ) -> None:
        """Remove all cookies, or those stored for ``domain``, ``path`` and/or ``name``."""
        if domain is None and path is None and name is None:
            self.jar.clear()
            self._stamps.clear()
            return
        for cookie in self._matching(name, domain, path):
            self._forget(cookie)

    def clear_session_cookies(self) -> None:
        """Remove the session cookies (those marked ``discard``), as a browser closing does."""
        self.jar.clear_session_cookies()

    def clear_expired_cookies(self) -> None:
        """Remove the cookies whose expiry has passed (they are never sent anyway)."""
        self.jar.clear_expired_cookies()

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
            if cookies._jar is not None:  # else nothing was stored there yet
                stamps = cookies._stamps
                for cookie in cookies._jar:
                    self._store(cookie, stamp=stamps.get(cookie_key(cookie)))
        elif is_cookie_jar(cookies):
            for cookie in cookies:
                self._store(cookie)
        elif isinstance(cookies, Mapping):
            for name, value in cookies.items():
                self.set(name, value)
        elif cookies is not None:
            for name, value in cast("Iterable[tuple[str, str]]", cookies):
                self.set(name, value)
        for name, value in kwargs.items():
            self.set(name, value)

    def __setitem__(self, name: str, value: str | Morsel[str] | None) -> None:
        self.set(name, value)

    def __delitem__(self, name: str) -> None:
        # As in requests (and httpx): a name that is not there is no error.
        self.delete(name)

    # -- policy, copies, pickling ------------------------------------------

    def get_policy(self) -> http.cookiejar.CookiePolicy:
        """The :class:`http.cookiejar.CookiePolicy` that decides what is stored and sent."""
        policy: http.cookiejar.CookiePolicy = self.jar._policy  # type: ignore[attr-defined]
        return policy

    def set_policy(self, policy: http.cookiejar.CookiePolicy) -> None:
        """Decide with ``policy`` from now on, for cookies stored and sent."""
        self.jar.set_policy(policy)
        self._reset_caches()  # cached headers were decided by the old policy

    def copy(self) -> Self:
        """A new jar of this class with the same cookies and policy, independent of this one."""
        clone = type(self)(self)
        clone.jar.set_policy(self.get_policy())
        return clone

    def __reduce__(self) -> tuple[Callable[..., Cookies], _PickledJar]:
        # The standard jar holds a lock and cannot be pickled; its cookies
        # and policy can (requests' jar pickles too). A wrapped jar of another
        # class comes back as a standard one.
        return (
            _restore,
            (list(all_cookies(self.jar)), self.get_policy(), dict(self._stamps), type(self)),
        )

    def __repr__(self) -> str:
        # Values are secrets (session ids); show where cookies go, not what.
        listed = ", ".join(
            f"{cookie.name} for {cookie.domain or '*'}{cookie.path}" for cookie in self.jar
        )
        return f"<{type(self).__name__} [{listed}]>"


def _restore(
    cookies: list[http.cookiejar.Cookie],
    policy: http.cookiejar.CookiePolicy,
    stamps: dict[Key, Stamp],
    kind: type[Cookies] = Cookies,  # absent from pickles of earlier versions
) -> Cookies:
    """A pickled :class:`Cookies` (or subclass) rebuilt (see ``Cookies.__reduce__``)."""
    restored = kind(new_jar(policy))
    for cookie in cookies:
        restored.jar.set_cookie(cookie)
    restored._stamps = stamps
    return restored
