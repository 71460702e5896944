"""Reading a cookie jar as requests does: by name, with domain and path to choose.

:class:`CookieMapping` is the read side of :class:`~trio_http._cookies.Cookies`
(which adds storing, limits and the link to requests and responses). Its
mapping view has one key per cookie name; requests' jar methods
(``iteritems``, ``list_domains``, ``get_dict``...) see every cookie, so a
name stored for two domains shows twice there, as in requests.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, Mapping, ValuesView
from typing import TYPE_CHECKING, final, overload

from ._exceptions import CookieConflictError

if TYPE_CHECKING:
    import http.cookiejar
    from typing import TypeVar

    _T = TypeVar("_T")

__all__ = ["CookieItems", "CookieMapping", "CookieValues"]


class CookieMapping(Mapping[str, str]):
    """The read side of a cookie jar: a mapping from names to values, and requests' queries.

    ``jar[name]`` and :meth:`get` raise :class:`CookieConflictError` when
    the name is stored for several domains or paths with different values.
    :meth:`items`, :meth:`values` and the ``iter*`` methods see every
    cookie, names stored twice included, and never raise.
    """

    __slots__ = ()

    jar: http.cookiejar.CookieJar
    # Whether two cookies of one name conflict even when their values agree
    # (requests' rule, kept by its RequestsCookieJar); by default they don't.
    _same_values_conflict: bool = False

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
                values (for a ``RequestsCookieJar``: several match at all).
        """
        value: str | None = None
        found = False
        for cookie in self._matching(name, domain, path):
            if found and (self._same_values_conflict or cookie.value != value):
                raise CookieConflictError(
                    f"several cookies named {name!r} match; pass domain= and/or path= to choose one"
                )
            value = cookie.value
            found = True
        return value if found else default

    def get_dict(self, domain: str | None = None, path: str | None = None) -> dict[str, str]:
        """Names and values as a plain dict (the last stored wins on a clash).

        Args:
            domain: only cookies stored for exactly this domain.
            path: only cookies stored for exactly this path.
        """
        return {cookie.name: cookie.value or "" for cookie in self._matching(None, domain, path)}

    def iterkeys(self) -> Iterator[str]:
        """The name of every cookie, once per cookie (requests' ``iterkeys``)."""
        return (cookie.name for cookie in self.jar)

    def itervalues(self) -> Iterator[str]:
        """The value of every cookie (``""`` for a cookie without one)."""
        return (cookie.value or "" for cookie in self.jar)

    def iteritems(self) -> Iterator[tuple[str, str]]:
        """``(name, value)`` of every cookie, in the jar's order."""
        return ((cookie.name, cookie.value or "") for cookie in self.jar)

    def values(self) -> CookieValues:
        """A view of every cookie's value (a name stored twice gives two)."""
        return CookieValues(self)

    def items(self) -> CookieItems:
        """A view of every cookie's ``(name, value)``; ``dict(jar.items())`` never raises."""
        return CookieItems(self)

    def list_domains(self) -> list[str]:
        """The domains cookies are stored for, each once (``""``: every host)."""
        return list(dict.fromkeys(cookie.domain for cookie in self.jar))

    def list_paths(self) -> list[str]:
        """The paths cookies are stored for, each once."""
        return list(dict.fromkeys(cookie.path for cookie in self.jar))

    def multiple_domains(self) -> bool:
        """Whether cookies are stored for more than one domain."""
        domains = {cookie.domain for cookie in self.jar}
        return len(domains) > 1

    # -- mapping ----------------------------------------------------------

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

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


@final
class CookieValues(ValuesView[str]):
    """Every cookie's value, as requests' ``values()`` lists them."""

    __slots__ = ("_cookies",)

    def __init__(self, cookies: CookieMapping) -> None:
        super().__init__(cookies)
        self._cookies = cookies

    def __iter__(self) -> Iterator[str]:
        return self._cookies.itervalues()

    def __len__(self) -> int:
        return sum(1 for _ in self._cookies.jar)

    def __contains__(self, value: object) -> bool:
        return any(each == value for each in self._cookies.itervalues())

    def __repr__(self) -> str:
        # Values are secrets (session ids): only how many.
        return f"<CookieValues of {len(self)} cookies>"


@final
class CookieItems(ItemsView[str, str]):
    """Every cookie's ``(name, value)``, as requests' ``items()`` lists them."""

    __slots__ = ("_cookies",)

    def __init__(self, cookies: CookieMapping) -> None:
        super().__init__(cookies)
        self._cookies = cookies

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return self._cookies.iteritems()

    def __len__(self) -> int:
        return sum(1 for _ in self._cookies.jar)

    def __contains__(self, item: object) -> bool:
        return any(each == item for each in self._cookies.iteritems())

    def __repr__(self) -> str:
        # The names only: values are secrets (session ids).
        return f"CookieItems({[name for name, _ in self]!r})"
