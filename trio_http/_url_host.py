"""URL hosts: registered names through IDNA, IP literals checked.

A registered name is lower-cased and encoded with IDNA (UTS #46), so
``bücher.example`` becomes ``xn--bcher-kva.example``; an ASCII name that is
already clean skips IDNA, which is slow. IPv4 and IPv6 literals are checked
with :mod:`ipaddress` (IPv6 without brackets, compressed). Every name is
held to DNS's length limits.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import unquote

import idna

from ._exceptions import InvalidURL

__all__ = ["MAX_HOST_LENGTH", "MAX_LABEL_LENGTH", "normalise_host"]

MAX_HOST_LENGTH = 253  # RFC 1035 §2.3.4, without the trailing dot
MAX_LABEL_LENGTH = 63  # RFC 1035 §2.3.4

_IPV4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
# Letters, digits, hyphen and underscore: the names DNS serves in practice.
_ASCII_HOST = re.compile(r"[a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*\.?")
# RFC 6874: a zone identifier is made of unreserved characters.
_ZONE_ID = re.compile(r"[A-Za-z0-9\-._~]+")
# WHATWG URL "forbidden host code points", plus controls and non-ASCII:
# everything but the printable ASCII left over. Written as the class of what
# is allowed, negated: a class spelling out the range up to U+10FFFF costs
# about 4 ms to compile at import.
_FORBIDDEN_HOST = re.compile(r"[^!$&'()*+,\-.0-9;=A-Z_a-z~]")


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


def _punycode_decodes(host: str) -> bool:
    # An A-label ("xn--...") that decodes is kept as written even where
    # IDNA 2008 disallows what it decodes to ("xn--n3h", a snowman): it was
    # registered so, browsers and requests send it; only broken ones fail.
    for label in host.split("."):
        if label.startswith("xn--"):
            try:
                decoded = label[4:].encode("ascii").decode("punycode")
            except UnicodeError:
                return False
            if not decoded or decoded.isascii():
                return False
    return True


@functools.lru_cache(maxsize=1024)
def normalise_host(raw: str) -> str:
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
    if host[0] == "*":
        # A wildcard is a pattern, never a host to connect to (requests
        # rejects it too, before any DNS lookup).
        raise InvalidURL(f"invalid host {raw!r}: a wildcard label")
    if _ASCII_HOST.fullmatch(host) is not None and "xn--" not in host:
        _check_label_lengths(host)
        return host
    try:
        encoded = idna.encode(host, uts46=True).decode("ascii")
    except UnicodeError as exc:
        if (
            not host.isascii()
            or _FORBIDDEN_HOST.search(host) is not None
            or not _punycode_decodes(host)
        ):
            raise InvalidURL(f"invalid host {raw!r}: {exc}") from None
        # DNS allows what IDNA refuses (underscores, other sub-delims): an ASCII
        # name without forbidden characters or broken A-labels ("xn--") is
        # passed to the resolver as is.
        encoded = host
    _check_label_lengths(encoded)
    return encoded
