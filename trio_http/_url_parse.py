"""URL components: split once, then each checked and normalised on its own.

How this works: :func:`parse` splits the input with the RFC 3986 Appendix B
pattern; :func:`normal_parts` then normalises each component:

* the scheme is lower-cased and the host goes through
  :func:`~trio_http._url_host.normalise_host` (IDNA, IP literals);
* a port equal to the scheme's default is dropped, so ``http://a:80/`` and
  ``http://a/`` are the same URL;
* path, query, fragment and userinfo have unsafe characters percent-encoded
  as UTF-8 (:func:`requote`), while escapes already present are kept byte for
  byte;
* dot-segments are removed from the path of an absolute URL.

Components travel as a :data:`Parts` tuple; :func:`render` writes them back
as text and :func:`resolve_reference` joins a reference to a base (RFC 3986
§5.2). The common case (an ASCII URL that is already clean) touches each
component with one precompiled regex search.
"""

from __future__ import annotations

import re
from typing import TypeAlias

from ._exceptions import InvalidURL
from ._url_host import normalise_host

__all__ = [
    "CONTROL",
    "DEFAULT_PORTS",
    "MAX_URL_LENGTH",
    "PATH_UNSAFE",
    "QUERY_UNSAFE",
    "SCHEME",
    "USERINFO_UNSAFE",
    "USERINFO_UNSAFE_STRICT",
    "Parts",
    "check_port",
    "mask_userinfo",
    "netloc",
    "normal_parts",
    "parse",
    "parse_port",
    "remove_dot_segments",
    "render",
    "requote",
    "resolve_reference",
]

MAX_URL_LENGTH = 64 * 1024  # characters, after stripping surrounding whitespace

DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443, "ws": 80, "wss": 443}

# (scheme, userinfo, host, port, path, query, fragment, has_authority);
# userinfo is percent-encoded "user" or "user:password", "" if none.
Parts: TypeAlias = tuple[str, str, str, "int | None", str, str, str, bool]

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
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Browsers strip leading and trailing C0 controls and spaces before parsing.
_SURROUNDING_WS = "".join(map(chr, range(0x21)))

_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
# Each pattern matches what must be encoded in its component: a run of
# characters outside the allowed set, or a "%" that does not start an escape.
PATH_UNSAFE = re.compile(rf"[^{_UNRESERVED}{_SUB_DELIMS}:@/%]+|%(?![0-9A-Fa-f]{{2}})")
QUERY_UNSAFE = re.compile(rf"[^{_UNRESERVED}{_SUB_DELIMS}:@/?%]+|%(?![0-9A-Fa-f]{{2}})")
# ":" separates user from password, so it is kept while requoting parsed input.
USERINFO_UNSAFE = re.compile(rf"[^{_UNRESERVED}{_SUB_DELIMS}:%]+|%(?![0-9A-Fa-f]{{2}})")
# Used for decoded values given to copy_with(): every "%" is literal.
USERINFO_UNSAFE_STRICT = re.compile(rf"[^{_UNRESERVED}{_SUB_DELIMS}]+")

SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_PORT = re.compile(r"[0-9]+")


def _escape_match(match: re.Match[str]) -> str:
    # errors="strict": a lone surrogate cannot be sent and is reported as InvalidURL
    # by the caller catching UnicodeEncodeError.
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8"))


def requote(text: str, unsafe: re.Pattern[str], component: str) -> str:
    """Percent-encode what ``unsafe`` matches; keep existing escapes as they are."""
    if unsafe.search(text) is None:
        return text
    try:
        return unsafe.sub(_escape_match, text)
    except UnicodeEncodeError as exc:
        raise InvalidURL(f"invalid character in URL {component}: {exc.reason}") from None


def parse_port(text: str) -> int | None:
    """The port of an authority, None when empty."""
    if not text:
        return None  # RFC 3986 §3.2.3: an empty port means the default
    if _PORT.fullmatch(text) is None:
        raise InvalidURL(f"invalid port {text!r}: not a number")
    port = int(text)
    if port > 65535:
        raise InvalidURL(f"invalid port {text!r}: must be 0-65535")
    return port


def check_port(port: int | None) -> int | None:
    """A port given as a number (``copy_with``), checked."""
    if port is None:
        return None
    if isinstance(port, bool) or not isinstance(port, int):
        raise InvalidURL(f"invalid port {port!r}: must be an int")
    if not 0 <= port <= 65535:
        raise InvalidURL(f"invalid port {port}: must be 0-65535")
    return port


def remove_dot_segments(path: str) -> str:
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


def mask_userinfo(userinfo: str) -> str:
    """Userinfo fit to show: the password replaced."""
    user, sep, _ = userinfo.partition(":")
    return f"{user}:[secure]" if sep else user


def _host_for(scheme: str | None, raw_host: str) -> str:
    # A percent-encoded host of a scheme other than http(s) is that scheme's
    # business ("http+unix://%2Frun%2Fapp.sock/", a socket path): it is kept
    # as written, as requests keeps it, when it does not decode to a name.
    if "%" not in raw_host or (scheme or "").lower() in ("http", "https", ""):
        return normalise_host(raw_host)
    try:
        return normalise_host(raw_host)
    except InvalidURL:
        return raw_host


def parse(text: str) -> Parts:
    """Split and check a URL string; scheme, userinfo and host come out normal."""
    text = text.strip(_SURROUNDING_WS)
    if len(text) > MAX_URL_LENGTH:
        raise InvalidURL(f"URL longer than {MAX_URL_LENGTH} characters")
    bad = CONTROL.search(text)
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
            userinfo = requote(userinfo, USERINFO_UNSAFE, "userinfo")
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
        host = _host_for(scheme, raw_host)
        port = parse_port(port_text)
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


def normal_parts(
    scheme: str,
    userinfo: str,
    host: str,
    port: int | None,
    path: str,
    query: str,
    fragment: str,
    has_authority: bool,
) -> Parts:
    """Normalise port, path, query and fragment (scheme, userinfo, host already are)."""
    if port is not None and DEFAULT_PORTS.get(scheme) == port:
        port = None
    if path:
        path = requote(path, PATH_UNSAFE, "path")
        if scheme and "/." in path:
            path = remove_dot_segments(path)
    elif has_authority and scheme in DEFAULT_PORTS:
        path = "/"
    return (
        scheme,
        userinfo,
        host,
        port,
        path,
        requote(query, QUERY_UNSAFE, "query") if query else "",
        requote(fragment, QUERY_UNSAFE, "fragment") if fragment else "",
        has_authority or bool(host or userinfo or port is not None),
    )


def netloc(host: str, port: int | None) -> str:
    if ":" in host:
        host = "[" + host.replace("%", "%25") + "]"
    return host if port is None else f"{host}:{port}"


def render(parts: Parts, userinfo: str) -> str:
    scheme, _, host, port, path, query, fragment, has_authority = parts
    text = f"{scheme}:" if scheme else ""
    if has_authority:
        text += f"//{userinfo}@" if userinfo else "//"
        text += netloc(host, port)
    text += path
    if query:
        text += "?" + query
    if fragment:
        text += "#" + fragment
    return text


def _merge_paths(base_has_authority: bool, base_path: str, ref_path: str) -> str:
    """RFC 3986 §5.2.3."""
    if base_has_authority and not base_path:
        return "/" + ref_path
    return base_path[: base_path.rfind("/") + 1] + ref_path


def resolve_reference(base: Parts, ref: Parts) -> Parts:
    """The target of the relative reference ``ref`` from ``base`` (RFC 3986 §5.2.2).

    ``ref`` has no scheme (one that has is its own target). The result is
    not normalised yet: pass it through :func:`normal_parts`.
    """
    scheme, userinfo, host, port, base_path, base_query, _, has_authority = base
    _, ref_userinfo, ref_host, ref_port, ref_path, ref_query, fragment, ref_authority = ref
    if ref_authority:
        path = remove_dot_segments(ref_path)
        return (scheme, ref_userinfo, ref_host, ref_port, path, ref_query, fragment, True)
    if not ref_path:
        path, query = base_path, ref_query or base_query
    elif ref_path.startswith("/"):
        path, query = remove_dot_segments(ref_path), ref_query
    else:
        path = remove_dot_segments(_merge_paths(has_authority, base_path, ref_path))
        query = ref_query
    return (scheme, userinfo, host, port, path, query, fragment, has_authority)
