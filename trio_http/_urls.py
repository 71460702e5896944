"""URL: a parsed, normalised URL that is also a ``str``.

Parsing and normalising the components is :mod:`trio_http._url_parse`'s
(hosts: :mod:`trio_http._url_host`; query parameters:
:mod:`trio_http._url_query`); this module holds the value type built from
them, and :func:`validate_request_url`, the check before a request is sent.
A URL is built for every request, so parses of recent strings are cached.
"""

from __future__ import annotations

import enum
from typing import final
from urllib.parse import parse_qsl, unquote

from ._exceptions import InvalidSchema, InvalidURL, MissingSchema
from ._url_host import normalise_host
from ._url_parse import (
    CONTROL,
    DEFAULT_PORTS,
    QUERY_UNSAFE,
    SCHEME,
    USERINFO_UNSAFE_STRICT,
    Parts,
    check_port,
    mask_userinfo,
    netloc,
    normal_parts,
    parse,
    render,
    requote,
    resolve_reference,
)
from ._url_query import QueryParamTypes, encode_params

__all__ = ["URL", "validate_request_url"]

SENDABLE_SCHEMES = frozenset({"http", "https"})


class _Unset(enum.Enum):
    UNSET = enum.auto()


_UNSET = _Unset.UNSET


_PARSED_CACHE_SIZE = 512  # distinct URL strings whose parse is kept
_PARSED: dict[str, URL] = {}


@final
class URL(str):
    """A parsed, normalised URL; immutable, hashable, and a ``str``.

    The ``str`` value is the normalised URL, so string code keeps working
    (``url.startswith("https:")``, ``url + "?x=1"``, ``json.dumps(url)``),
    while the components are attributes. ``==`` compares normalised forms:
    ``URL("HTTP://A:80") == "http://a/"``.

    Args:
        url: an absolute URL, a relative reference, or another ``URL``. Bytes
            are decoded as UTF-8. Surrounding whitespace is stripped.
        params: query parameters appended to the query of ``url`` (as requests
            does), form-encoded; not to a URL whose scheme does not start
            with ``http`` (``mailto:``, ``data:``), which requests leaves as is.

    Raises:
        InvalidURL: the URL is too long, contains control characters, or has an
            invalid host, port or percent-encoding.

    Attributes are normalised: ``scheme`` and ``host`` lower-cased (``host``
    IDNA-encoded, IPv6 without brackets), ``port`` is ``None`` when absent or
    equal to the scheme's default, ``path``, ``query`` and ``fragment`` are
    percent-encoded, ``username`` and ``password`` are decoded.
    """

    __slots__ = (
        "_fragment",
        "_has_authority",
        "_host",
        "_origin",
        "_path",
        "_port",
        "_query",
        "_scheme",
        "_str",
        "_target",
        "_userinfo",
    )

    _scheme: str
    _userinfo: str  # percent-encoded "user" or "user:password", "" if none
    _host: str
    _port: int | None
    _path: str
    _query: str
    _fragment: str
    _has_authority: bool
    _str: str  # the value as an exact str (str() of a subclass would copy)
    _origin: tuple[str, str, int] | None
    _target: bytes | None

    def __new__(cls, url: str | bytes | URL = "", *, params: QueryParamTypes | None = None) -> URL:
        if isinstance(url, URL):
            if params is None:
                return url  # immutable: no copy needed
            parts = url._parts()
        elif params is None and type(url) is str and (cached := _PARSED.get(url)) is not None:
            # Clients send to the same few URLs over and over; a URL is
            # immutable, so the parsed object is shared.
            return cached
        else:
            if isinstance(url, bytes):
                try:
                    url = url.decode("utf-8")
                except UnicodeDecodeError:
                    raise InvalidURL("URL bytes are not valid UTF-8") from None
            elif not isinstance(url, str):
                raise InvalidURL(f"URL must be str, bytes or URL, not {type(url).__name__}")
            parts = normal_parts(*parse(url))
        if params is not None and (not parts[0] or parts[0].startswith("http")):
            # requests leaves a URL of another scheme (mailto:, data:) as it is.
            extra = encode_params(params)
            if extra:
                query = parts[5]
                query = f"{query}&{extra}" if query else extra
                parts = (*parts[:5], requote(query, QUERY_UNSAFE, "query"), *parts[6:])
        built = cls._build(parts)
        if params is None and type(url) is str and cls is URL:
            if len(_PARSED) >= _PARSED_CACHE_SIZE:
                _PARSED.clear()
            _PARSED[url] = built
        return built

    @classmethod
    def _build(cls, parts: Parts) -> URL:
        """Make a URL from components that are already normal."""
        scheme, userinfo, host, port, path, query, fragment, has_authority = parts
        text = render(parts, userinfo)
        url = str.__new__(cls, text)
        url._scheme = scheme
        url._userinfo = userinfo
        url._host = host
        url._port = port
        url._path = path
        url._query = query
        url._fragment = fragment
        url._has_authority = has_authority
        url._str = text
        url._origin = None
        url._target = None
        return url

    def _parts(self) -> Parts:
        return (
            self._scheme,
            self._userinfo,
            self._host,
            self._port,
            self._path,
            self._query,
            self._fragment,
            self._has_authority,
        )

    # -- components -------------------------------------------------------

    @property
    def scheme(self) -> str:
        """The lower-cased scheme, ``""`` for a relative reference."""
        return self._scheme

    @property
    def username(self) -> str:
        """The percent-decoded user name, ``""`` if none."""
        return unquote(self._userinfo.partition(":")[0]) if self._userinfo else ""

    @property
    def password(self) -> str:
        """The percent-decoded password, ``""`` if none."""
        return unquote(self._userinfo.partition(":")[2]) if self._userinfo else ""

    @property
    def host(self) -> str:
        """The lower-cased ASCII host (IDNA-encoded; IPv6 without brackets)."""
        return self._host

    @property
    def port(self) -> int | None:
        """The explicit port, or ``None`` when absent or equal to the default."""
        return self._port

    @property
    def path(self) -> str:
        """The percent-encoded path (``"/"`` for an http(s) URL without one)."""
        return self._path

    @property
    def query(self) -> str:
        """The percent-encoded query without ``"?"``, ``""`` if none."""
        return self._query

    @property
    def fragment(self) -> str:
        """The percent-encoded fragment without ``"#"``, ``""`` if none."""
        return self._fragment

    @property
    def effective_port(self) -> int:
        """The port to connect to: the explicit one or the scheme's default.

        Raises:
            InvalidURL: no port is given and the scheme has no default.
        """
        if self._port is not None:
            return self._port
        try:
            return DEFAULT_PORTS[self._scheme]
        except KeyError:
            raise InvalidURL(f"no port given and no default port for {self._scheme!r}") from None

    @property
    def origin(self) -> tuple[str, str, int]:
        """``(scheme, host, effective_port)``: the key connections are pooled by."""
        origin = self._origin
        if origin is None:
            origin = self._origin = (self._scheme, self._host, self.effective_port)
        return origin

    @property
    def netloc(self) -> str:
        """The value of a ``Host`` header: host (IPv6 bracketed) and a non-default port."""
        return netloc(self._host, self._port)

    @property
    def target(self) -> bytes:
        """The request-target of the request line, ``b"/path?query"``."""
        target = self._target
        if target is None:
            text = self._path or "/"
            if self._query:
                text = f"{text}?{self._query}"
            # Every non-ASCII character was percent-encoded at construction.
            target = self._target = text.encode("ascii")
        return target

    @property
    def is_absolute_url(self) -> bool:
        """Whether the URL has a scheme (RFC 3986 §4.3), so it needs no base."""
        return bool(self._scheme)

    @property
    def is_relative_url(self) -> bool:
        """Whether the URL is a relative reference, to be joined to a base."""
        return not self._scheme

    @property
    def params(self) -> list[tuple[str, str]]:
        """The query decoded as form pairs, blank values kept."""
        return parse_qsl(self._query, keep_blank_values=True)

    # -- derived URLs -----------------------------------------------------

    def join(self, url: str | URL) -> URL:  # type: ignore[override]
        """Resolve a reference against this URL (RFC 3986 §5.2.2).

        Args:
            url: the reference, e.g. a ``Location`` header value.

        Returns:
            The target URL, dot-segments removed.

        Raises:
            InvalidURL: the reference is not a valid URL.
        """
        ref = url if isinstance(url, URL) else URL(url)
        if ref._scheme:
            return ref
        return URL._build(normal_parts(*resolve_reference(self._parts(), ref._parts())))

    def copy_with(
        self,
        *,
        scheme: str | _Unset = _UNSET,
        username: str | _Unset = _UNSET,
        password: str | _Unset = _UNSET,
        host: str | _Unset = _UNSET,
        port: int | _Unset | None = _UNSET,
        path: str | _Unset = _UNSET,
        query: str | _Unset = _UNSET,
        fragment: str | _Unset = _UNSET,
    ) -> URL:
        """Return a copy with some components replaced.

        ``username`` and ``password`` are plain text (they get encoded);
        ``path``, ``query`` and ``fragment`` are percent-encoded text (unsafe
        characters get encoded, escapes are kept); ``host`` may be an IPv6
        address with or without brackets; ``port=None`` removes the port.

        Raises:
            InvalidURL: a replacement component is invalid.
        """
        new_scheme = self._scheme
        if scheme is not _UNSET:
            if scheme and SCHEME.fullmatch(scheme) is None:
                raise InvalidURL(f"invalid scheme {scheme!r}")
            new_scheme = scheme.lower()
        userinfo = self._userinfo
        if username is not _UNSET or password is not _UNSET:
            user = (
                requote(username, USERINFO_UNSAFE_STRICT, "username")
                if username is not _UNSET
                else self._userinfo.partition(":")[0]
            )
            secret = (
                requote(password, USERINFO_UNSAFE_STRICT, "password")
                if password is not _UNSET
                else self._userinfo.partition(":")[2]
            )
            userinfo = f"{user}:{secret}" if secret else user
        new_host = self._host
        if host is not _UNSET:
            if CONTROL.search(host) is not None:
                raise InvalidURL(f"invalid host {host!r}")
            if ":" in host and not host.startswith("["):
                host = f"[{host}]"
            new_host = normalise_host(host)
        new_port = self._port if port is _UNSET else check_port(port)
        for name, value in (("path", path), ("query", query), ("fragment", fragment)):
            if isinstance(value, str) and CONTROL.search(value) is not None:
                raise InvalidURL(f"{name} contains a control character")
        if path is not _UNSET and path and new_host and not path.startswith("/"):
            path = "/" + path  # RFC 3986 §3.3: with an authority the path is absolute
        parts = normal_parts(
            new_scheme,
            userinfo,
            new_host,
            new_port,
            self._path if path is _UNSET else path,
            self._query if query is _UNSET else query,
            self._fragment if fragment is _UNSET else fragment,
            self._has_authority or bool(new_host),
        )
        return URL._build(parts)

    def copy_merge_params(self, params: QueryParamTypes) -> URL:
        """Return a copy with ``params`` appended to the query.

        Raises:
            InvalidURL: the parameters cannot be encoded.
        """
        return URL(self, params=params)

    # -- text forms -------------------------------------------------------

    def _render(self, userinfo: str) -> str:
        return render(self._parts(), userinfo)

    def __str__(self) -> str:
        return self._str

    def __repr__(self) -> str:
        return f"URL({self._render(mask_userinfo(self._userinfo))!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, URL):
            return self._str == other._str
        if isinstance(other, str):
            if self._str == other:
                return True
            try:
                return self._str == URL(other)._str
            except InvalidURL:
                return False
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self._str)

    def __reduce__(self) -> tuple[type[URL], tuple[str]]:
        return (URL, (self._str,))

    def __copy__(self) -> URL:
        return self

    def __deepcopy__(self, memo: object) -> URL:
        return self


def validate_request_url(url: URL) -> None:
    """Check that a request can be sent to ``url``.

    Raises:
        MissingSchema: the URL has no scheme.
        InvalidSchema: the scheme is neither ``http`` nor ``https``.
        InvalidURL: the URL has no host.
    """
    if not url.scheme and ":" in url.path.partition("/")[0] and not url._has_authority:
        # "10.0.0.1:3128/": no scheme can start with a digit, but requests
        # reads the colon as one and raises InvalidSchema; so does this.
        shown = url._render(mask_userinfo(url._userinfo))
        raise InvalidSchema(
            f"Unsupported URL {shown!r}: no scheme before the colon. "
            f"Perhaps you meant 'http://{shown}'?"
        )
    if not url.scheme:
        shown = url._render(mask_userinfo(url._userinfo))
        suggestion = f"https:{shown}" if shown.startswith("//") else f"https://{shown}"
        raise MissingSchema(
            f"Invalid URL {shown!r}: no scheme supplied. Perhaps you meant {suggestion!r}?"
        )
    if url.scheme not in SENDABLE_SCHEMES:
        shown = url._render(mask_userinfo(url._userinfo))
        hint = ""
        if not url._has_authority and (url.scheme == "localhost" or url.path[:1].isdigit()):
            # "localhost:8000/x" splits into scheme "localhost" and path "8000/x".
            hint = f" Perhaps you meant 'http://{shown}'?"
        raise InvalidSchema(
            f"Unsupported URL scheme {url.scheme!r} in {shown!r}: "
            f"only 'http' and 'https' can be requested.{hint}"
        )
    if not url.host:
        parts = url._parts()
        if url._path == "/":
            # "http://" was normalised to "http:///": show it as typed.
            parts = (*parts[:4], "", *parts[5:])
        shown = render(parts, mask_userinfo(url._userinfo))
        raise InvalidURL(f"Invalid URL {shown!r}: no host supplied")
