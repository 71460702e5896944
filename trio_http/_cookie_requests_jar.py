"""requests' ``RequestsCookieJar``: a cookie jar read as requests reads its own.

:class:`~trio_http.Cookies`, an ``AsyncClient``'s jar, is a mapping: it
iterates cookie names, each once. requests' jar is an
``http.cookiejar.CookieJar`` first: it iterates the
:class:`http.cookiejar.Cookie` objects, counts cookies, returns lists from
``keys()``, ``values()`` and ``items()`` (a name stored for two domains
shows twice), and calls any two cookies that one name finds a conflict.
:class:`RequestsCookieJar` is the same jar with those readings; sessions and
their responses hold one, so code written for requests keeps working.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ._cookies import Cookies

if TYPE_CHECKING:
    import http.cookiejar

__all__ = ["RequestsCookieJar"]


class RequestsCookieJar(Cookies):
    """A :class:`~trio_http.Cookies` jar that reads as requests' ``RequestsCookieJar``.

    Everything :class:`~trio_http.Cookies` offers (limits, ``set``,
    ``get_dict``, ``jar``...), with requests' answers where the two differ:

    - iterating gives the :class:`http.cookiejar.Cookie` objects, sorted by
      domain, path and name as ``http.cookiejar`` walks them;
    - ``len()`` counts cookies, and ``keys()``, ``values()`` and ``items()``
      are lists with an entry per cookie;
    - ``jar[name]`` and :meth:`get` raise :class:`CookieConflictError` when
      the name matches more than one cookie, even with equal values (pass
      ``domain``/``path`` to :meth:`get` to choose);
    - a value in double quotes is stored without its escaped quotes (each
      ``\\"`` is dropped).

    ``name in jar`` still asks about a name. Not an
    ``http.cookiejar.CookieJar`` subclass: the standard jar is ``jar``.

    Args:
        cookies: as for :class:`~trio_http.Cookies`.
    """

    __slots__ = ()

    _same_values_conflict = True

    def _as_stored(self, cookie: http.cookiejar.Cookie) -> http.cookiejar.Cookie:
        # requests' jar drops each \" of a quoted value as it stores it
        # (werkzeug sends foo="\"a:b\"" for the value '"a:b"'), from a
        # response or by hand alike. A copy is changed: the cookie may belong
        # to another jar too.
        value = cookie.value
        if value is not None and value.startswith('"') and value.endswith('"'):
            cookie = copy.copy(cookie)
            cookie.value = value.replace('\\"', "")
        return cookie

    # The overrides below return what requests' jar returns, not what the
    # Mapping protocol of Cookies promises; that is this class's point.

    def __iter__(self) -> Iterator[http.cookiejar.Cookie]:  # type: ignore[override]
        return iter(self.jar)

    def __len__(self) -> int:
        return len(self.jar)

    def keys(self) -> list[str]:  # type: ignore[override]
        """The name of every cookie (a name stored twice is listed twice)."""
        return list(self.iterkeys())

    def values(self) -> list[str]:  # type: ignore[override]
        """The value of every cookie (``""`` for a cookie without one)."""
        return list(self.itervalues())

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        """``(name, value)`` of every cookie; ``dict(jar.items())`` never raises."""
        return list(self.iteritems())
