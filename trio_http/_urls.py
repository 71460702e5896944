"""URLs: parsing, normalisation, reference resolution and query parameters.

How this works: the input is split once with the RFC 3986 Appendix B pattern,
then each component is validated and normalised on its own:

* the scheme and host are lower-cased; a registered name goes through IDNA
  (UTS #46) so that ``bücher.example`` becomes ``xn--bcher-kva.example``;
  IPv4 and IPv6 literals are checked with :mod:`ipaddress`;
* a port equal to the scheme's default is dropped, so ``http://a:80/`` and
  ``http://a/`` are the same URL;
* path, query, fragment and userinfo have unsafe characters percent-encoded
  as UTF-8, while escapes already present are kept byte for byte;
* dot-segments are removed from the path of an absolute URL.

The common case (an ASCII URL that is already clean) touches each component
with one precompiled regex search and no allocation beyond the slots, since a
URL is built for every request.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import TypeAlias, final
from urllib.parse import parse_qsl, quote_plus, unquote

import idna

from ._exceptions import InvalidSchema, InvalidURL, MissingSchema

__all__ = [
    "DEFAULT_PORTS",
    "MAX_URL_LENGTH",
    "URL",
    "Primitive",
    "PrimitiveOrSeq",
    "QueryParamTypes",
    "encode_params",
    "validate_request_url",
]

Primitive: TypeAlias = str | bytes | int | float | bool | None
PrimitiveOrSeq: TypeAlias = Primitive | Sequence[Primitive]
QueryParamTypes: TypeAlias = (
    Mapping[str, PrimitiveOrSeq] | Sequence[tuple[str, PrimitiveOrSeq]] | str | bytes
)

MAX_URL_LENGTH = 64 * 1024  # characters, after stripping surrounding whitespace
MAX_HOST_LENGTH = 253  # RFC 1035 §2.3.4, without the trailing dot
MAX_LABEL_LENGTH = 63  # RFC 1035 §2.3.4

DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443, "ws": 80, "wss": 443}
SENDABLE_SCHEMES = frozenset({"http", "https"})

# RFC 3986 Appendix B, with the scheme restricted to its §3.1 grammar so that
# "1abc:x" stays a path instead of becoming a scheme.
_SPLIT = re.compile(
    r"(?:([A-Za-z][A-Za-z0-9+.\-]*):)?"  # scheme
    r"(?://([^/?#]*))?"  # authority
    r"([^?#]*)"  # path
    r"(?:\?([^#]*))?"  # query
    r"(?:#(.*))?",  # fragment
    re.DOTALL,
)
# C0 controls and DEL. A literal space is accepted (and encoded as %20) as in
# requests and browsers; every other control, including TAB/CR/LF, is refused
# because it can only come from injection or corruption.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Browsers strip leading and trailing C0 controls and spaces before parsing.
_SURROUNDING_WS = "".join(map(chr, range(0x21)))

_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
# Each pattern matches what must be encoded in its component: a run of
# characters outside the allowed set, or a "%" that does not start an escape.
_PATH_UNSAFE = re.compile(rf"[^{_UNRESERVED}{_SUB_DELIMS}:@/%]+|%(?![0-9A-Fa-f]{{2}})")
_QUERY_UNSAFE = re.compile(rf"[^{_UNRESERVED}{_SUB_DELIMS}:@/?%]+|%(?![0-9A-Fa-f]{{2}})")
# ":" separates user from password, so it is kept while requoting parsed input.
_USERINFO_UNSAFE = re.compile(rf"[^{_UNRESERVED}{_SUB_DELIMS}:%]+|%(?![0-9A-Fa-f]{{2}})")
# Used for decoded values given to copy_with(): every "%" is literal.
_USERINFO_UNSAFE_STRICT = re.compile(rf"[^{_UNRESERVED}{_SUB_DELIMS}]+")

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_PORT = re.compile(r"[0-9]+")
_IPV4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
# Letters, digits, hyphen and underscore: the names DNS serves in practice.
_ASCII_HOST = re.compile(r"[a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*\.?")
_ZONE_ID = re.compile(rf"[{_UNRESERVED}]+")
# WHATWG URL "forbidden host code points", plus controls and non-ASCII.
_FORBIDDEN_HOST = re.compile(r"[\x00-\x20\x7f-\U0010ffff#/:<>?@\[\\\]^|%\"`{}]")


class _Unset(enum.Enum):
    UNSET = enum.auto()


_UNSET = _Unset.UNSET


def _escape_match(match: re.Match[str]) -> str:
    # errors="strict": a lone surrogate cannot be sent and is reported as InvalidURL
    # by the caller catching UnicodeEncodeError.
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8"))


def _requote(text: str, unsafe: re.Pattern[str], component: str) -> str:
    """Percent-encode what ``unsafe`` matches; keep existing escapes as they are."""
    if unsafe.search(text) is None:
        return text
    try:
        return unsafe.sub(_escape_match, text)
    except UnicodeEncodeError as exc:
        raise InvalidURL(f"invalid character in URL {component}: {exc.reason}") from None


def _check_label_lengths(host: str) -> None:
    name = host[:-1] if host.endswith(".") else host
    if len(name) > MAX_HOST_LENGTH:
        raise InvalidURL(f"host name longer than {MAX_HOST_LENGTH} characters")
    for label in name.split("."):
        if not label:
            raise InvalidURL(f"empty label in host {host!r}")
        if len(label) > MAX_LABEL_LENGTH:
            raise InvalidURL(f"host label longer than {MAX_LABEL_LENGTH} characters in {host!r}")


def _normalise_ipv6(literal: str) -> str:
    """Validate the text between "[" and "]"; return it without brackets."""
    if literal[:1] in ("v", "V"):
        raise InvalidURL(f"IPvFuture address literals are not supported: [{literal}]")
    address, sep, zone = literal.partition("%")
    if sep:
        # RFC 6874: the zone separator is "%25" in a URL; a bare "%" is tolerated.
        if zone.startswith("25"):
            zone = zone[2:]
        zone = unquote(zone)
        if _ZONE_ID.fullmatch(zone) is None:
            raise InvalidURL(f"invalid IPv6 zone identifier in [{literal}]")
    try:
        normalised = ipaddress.IPv6Address(address).compressed
    except ValueError:
        raise InvalidURL(f"invalid IPv6 address [{literal}]") from None
    return f"{normalised}%{zone}" if sep else normalised


@functools.lru_cache(maxsize=1024)
def _normalise_host(raw: str) -> str:
    """Return the canonical form of a host as found in a URL's authority.

    Cached because a client talks to few hosts, and IDNA is slow.
    """
    if not raw:
        return ""
    if raw[0] == "[":
        if raw[-1] != "]":
            raise InvalidURL(f"unterminated IPv6 address in host {raw!r}")
        return _normalise_ipv6(raw[1:-1])
    if ":" in raw:
        # Only reachable through copy_with(host="::1"), which is given unbracketed.
        return _normalise_ipv6(raw)
    host = raw.lower()
    if "%" in host:
        try:
            host = unquote(host, errors="strict").lower()
        except UnicodeDecodeError:
            raise InvalidURL(f"invalid percent-encoding in host {raw!r}") from None
    if _IPV4.fullmatch(host) is not None:
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise InvalidURL(f"invalid IPv4 address {host!r}") from None
    if _ASCII_HOST.fullmatch(host) is not None and "xn--" not in host:
        _check_label_lengths(host)
        return host
    try:
        encoded = idna.encode(host, uts46=True).decode("ascii")
    except UnicodeError as exc:
        if (
            not host.isascii()
            or _FORBIDDEN_HOST.search(host) is not None
            or host.startswith("xn--")
            or ".xn--" in host
        ):
            raise InvalidURL(f"invalid host {raw!r}: {exc}") from None
        # DNS allows what IDNA refuses (underscores, other sub-delims): an ASCII
        # name without forbidden characters or broken A-labels ("xn--") is
        # passed to the resolver as is.
        encoded = host
    _check_label_lengths(encoded)
    return encoded


def _parse_port(text: str) -> int | None:
    if not text:
        return None  # RFC 3986 §3.2.3: an empty port means the default
    if _PORT.fullmatch(text) is None:
        raise InvalidURL(f"invalid port {text!r}: not a number")
    port = int(text)
    if port > 65535:
        raise InvalidURL(f"invalid port {text!r}: must be 0-65535")
    return port


def _check_port(port: int | None) -> int | None:
    if port is None:
        return None
    if isinstance(port, bool) or not isinstance(port, int):
        raise InvalidURL(f"invalid port {port!r}: must be an int")
    if not 0 <= port <= 65535:
        raise InvalidURL(f"invalid port {port}: must be 0-65535")
    return port


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, written over segments instead of the input buffer."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment == ".":
            if index == last:
                output.append("")
        elif segment == "..":
            if len(output) > 1 or (output and output[0]):
                output.pop()
            if index == last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def _merge_paths(base: URL, ref_path: str) -> str:
    """RFC 3986 §5.2.3."""
    if base._has_authority and not base._path:
        return "/" + ref_path
    return base._path[: base._path.rfind("/") + 1] + ref_path


def _mask_userinfo(userinfo: str) -> str:
    user, sep, _ = userinfo.partition(":")
    return f"{user}:[secure]" if sep else user


_Parts: TypeAlias = tuple[str, str, str, "int | None", str, str, str, bool]


def _parse(text: str) -> _Parts:
    """Split and check a URL string; scheme, userinfo and host come out normal."""
    text = text.strip(_SURROUNDING_WS)
    if len(text) > MAX_URL_LENGTH:
        raise InvalidURL(f"URL longer than {MAX_URL_LENGTH} characters")
    bad = _CONTROL.search(text)
    if bad is not None:
        raise InvalidURL(
            f"URL contains control character {bad.group()!r} at position {bad.start()}"
        )
    match = _SPLIT.fullmatch(text)
    # The pattern matches every string; the assert documents it for mypy.
    assert match is not None
    scheme, authority, path, query, fragment = match.groups()
    userinfo = host = ""
    port: int | None = None
    if authority is not None:
        userinfo, _, hostport = authority.rpartition("@")
        if userinfo:
            userinfo = _requote(userinfo, _USERINFO_UNSAFE, "userinfo")
            user, colon, secret = userinfo.partition(":")
            if colon and not secret:
                userinfo = user  # "user:@host" has no password
        if hostport.startswith("["):
            end = hostport.find("]")
            if end == -1:
                raise InvalidURL(f"unterminated IPv6 address in {hostport!r}")
            raw_host, rest = hostport[: end + 1], hostport[end + 1 :]
            if rest and not rest.startswith(":"):
                raise InvalidURL(f"unexpected {rest!r} after IPv6 address")
            port_text = rest[1:]
        else:
            raw_host, _, port_text = hostport.partition(":")
        host = _normalise_host(raw_host)
        port = _parse_port(port_text)
    return (
        (scheme or "").lower(),
        userinfo,
        host,
        port,
        path,
        query or "",
        fragment or "",
        authority is not None,
    )


def _normal_parts(
    scheme: str,
    userinfo: str,
    host: str,
    port: int | None,
    path: str,
    query: str,
    fragment: str,
    has_authority: bool,
) -> _Parts:
    """Normalise port, path, query and fragment (scheme, userinfo, host already are)."""
    if port is not None and DEFAULT_PORTS.get(scheme) == port:
        port = None
    if path:
        path = _requote(path, _PATH_UNSAFE, "path")
        if scheme and "/." in path:
            path = _remove_dot_segments(path)
    elif has_authority and scheme in DEFAULT_PORTS:
        path = "/"
    return (
        scheme,
        userinfo,
        host,
        port,
        path,
        _requote(query, _QUERY_UNSAFE, "query") if query else "",
        _requote(fragment, _QUERY_UNSAFE, "fragment") if fragment else "",
        has_authority or bool(host or userinfo or port is not None),
    )


def _netloc(host: str, port: int | None) -> str:
    if ":" in host:
        host = "[" + host.replace("%", "%25") + "]"
    return host if port is None else f"{host}:{port}"


def _render(parts: _Parts, userinfo: str) -> str:
    scheme, _, host, port, path, query, fragment, has_authority = parts
    text = f"{scheme}:" if scheme else ""
    if has_authority:
        text += f"//{userinfo}@" if userinfo else "//"
        text += _netloc(host, port)
    text += path
    if query:
        text += "?" + query
    if fragment:
        text += "#" + fragment
    return text


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
            does), encoded with :func:`encode_params`.

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
            parts = _normal_parts(*_parse(url))
        if params is not None:
            extra = encode_params(params)
            if extra:
                query = parts[5]
                query = f"{query}&{extra}" if query else extra
                parts = (*parts[:5], _requote(query, _QUERY_UNSAFE, "query"), *parts[6:])
        built = cls._build(parts)
        if params is None and type(url) is str and cls is URL:
            if len(_PARSED) >= _PARSED_CACHE_SIZE:
                _PARSED.clear()
            _PARSED[url] = built
        return built

    @classmethod
    def _build(cls, parts: _Parts) -> URL:
        """Make a URL from components that are already normal."""
        scheme, userinfo, host, port, path, query, fragment, has_authority = parts
        text = _render(parts, userinfo)
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

    def _parts(self) -> _Parts:
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

    @classmethod
    def _from_parts(
        cls,
        scheme: str,
        userinfo: str,
        host: str,
        port: int | None,
        path: str,
        query: str,
        fragment: str,
        has_authority: bool,
    ) -> URL:
        return cls._build(
            _normal_parts(scheme, userinfo, host, port, path, query, fragment, has_authority)
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
        return _netloc(self._host, self._port)

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
        base = self
        if ref._has_authority:
            return URL._from_parts(
                base._scheme,
                ref._userinfo,
                ref._host,
                ref._port,
                _remove_dot_segments(ref._path),
                ref._query,
                ref._fragment,
                True,
            )
        if not ref._path:
            path = base._path
            query = ref._query or base._query
        else:
            if ref._path.startswith("/"):
                path = _remove_dot_segments(ref._path)
            else:
                path = _remove_dot_segments(_merge_paths(base, ref._path))
            query = ref._query
        return URL._from_parts(
            base._scheme,
            base._userinfo,
            base._host,
            base._port,
            path,
            query,
            ref._fragment,
            base._has_authority,
        )

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
            if scheme and _SCHEME.fullmatch(scheme) is None:
                raise InvalidURL(f"invalid scheme {scheme!r}")
            new_scheme = scheme.lower()
        userinfo = self._userinfo
        if username is not _UNSET or password is not _UNSET:
            user = (
                _requote(username, _USERINFO_UNSAFE_STRICT, "username")
                if username is not _UNSET
                else self._userinfo.partition(":")[0]
            )
            secret = (
                _requote(password, _USERINFO_UNSAFE_STRICT, "password")
                if password is not _UNSET
                else self._userinfo.partition(":")[2]
            )
            userinfo = f"{user}:{secret}" if secret else user
        new_host = self._host
        if host is not _UNSET:
            if _CONTROL.search(host) is not None:
                raise InvalidURL(f"invalid host {host!r}")
            if ":" in host and not host.startswith("["):
                host = f"[{host}]"
            new_host = _normalise_host(host)
        new_port = self._port if port is _UNSET else _check_port(port)
        for name, value in (("path", path), ("query", query), ("fragment", fragment)):
            if isinstance(value, str) and _CONTROL.search(value) is not None:
                raise InvalidURL(f"{name} contains a control character")
        if path is not _UNSET and path and new_host and not path.startswith("/"):
            path = "/" + path  # RFC 3986 §3.3: with an authority the path is absolute
        return URL._from_parts(
            new_scheme,
            userinfo,
            new_host,
            new_port,
            self._path if path is _UNSET else path,
            self._query if query is _UNSET else query,
            self._fragment if fragment is _UNSET else fragment,
            self._has_authority or bool(new_host),
        )

    def copy_merge_params(self, params: QueryParamTypes) -> URL:
        """Return a copy with ``params`` appended to the query.

        Raises:
            InvalidURL: the parameters cannot be encoded.
        """
        return URL(self, params=params)

    # -- text forms -------------------------------------------------------

    def _render(self, userinfo: str) -> str:
        return _render(self._parts(), userinfo)

    def __str__(self) -> str:
        return self._str

    def __repr__(self) -> str:
        return f"URL({self._render(_mask_userinfo(self._userinfo))!r})"

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
    if not url.scheme:
        shown = url._render(_mask_userinfo(url._userinfo))
        suggestion = f"https:{shown}" if shown.startswith("//") else f"https://{shown}"
        raise MissingSchema(
            f"Invalid URL {shown!r}: no scheme supplied. Perhaps you meant {suggestion!r}?"
        )
    if url.scheme not in SENDABLE_SCHEMES:
        shown = url._render(_mask_userinfo(url._userinfo))
        hint = ""
        if not url._has_authority and (url.scheme == "localhost" or url.path[:1].isdigit()):
            # "localhost:8000/x" splits into scheme "localhost" and path "8000/x".
            hint = f" Perhaps you meant 'http://{shown}'?"
        raise InvalidSchema(
            f"Unsupported URL scheme {url.scheme!r} in {shown!r}: "
            f"only 'http' and 'https' can be requested.{hint}"
        )
    if not url.host:
        shown = url._render(_mask_userinfo(url._userinfo))
        raise InvalidURL(f"Invalid URL {shown!r}: no host supplied")


def _param_text(value: object) -> str | bytes:
    if isinstance(value, (str, bytes)):
        return value
    # requests compatibility: True -> "True", 1.5 -> "1.5", anything else str().
    return str(value)


def _form_quote(value: str | bytes) -> str:
    try:
        return quote_plus(value, safe="")
    except UnicodeEncodeError as exc:
        raise InvalidURL(f"query parameter cannot be encoded as UTF-8: {exc.reason}") from None


def encode_params(params: QueryParamTypes) -> str:
    """Encode query parameters as ``application/x-www-form-urlencoded`` text.

    A mapping value that is a list or tuple gives one pair per item; ``None``
    values are skipped; other non-text values use ``str()``; spaces become
    ``"+"``. A ``str`` or ``bytes`` argument is an already-encoded query and
    is returned as text.

    Args:
        params: a mapping, a sequence of pairs, or an encoded query string.

    Returns:
        The query string, without ``"?"``.

    Raises:
        InvalidURL: a name or value cannot be encoded (lone surrogate), or the
            bytes query is not UTF-8.
    """
    if isinstance(params, str):
        return params
    if isinstance(params, bytes):
        try:
            return params.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidURL("query string bytes are not valid UTF-8") from None
    items = params.items() if isinstance(params, Mapping) else params
    pieces: list[str] = []
    for name, values in items:
        if values is None:
            continue
        key = _form_quote(_param_text(name))
        if isinstance(values, (list, tuple)):
            for value in values:
                if value is not None:
                    pieces.append(f"{key}={_form_quote(_param_text(value))}")
        else:
            pieces.append(f"{key}={_form_quote(_param_text(values))}")
    return "&".join(pieces)
