"""URL patterns that route requests to transports (mounts) and proxies.

A pattern is ``scheme://host:port`` where each part may be left out or
wildcarded: ``"all://"`` matches everything, ``"https://"`` every HTTPS URL,
``"all://example.com"`` one host on any scheme, ``"all://*.example.com"`` its
subdomains, ``"all://*example.com"`` the host and its subdomains,
``"http://*:8080"`` any host on port 8080. When several patterns match, the
most specific wins: a port beats no port, a host beats a wildcard host, a
longer host beats a shorter one, a scheme beats ``all``.
"""

from __future__ import annotations

from typing import final

from ._exceptions import InvalidURL
from ._urls import URL

__all__ = ["URLPattern", "sort_patterns"]


@final
class URLPattern:
    """One mount pattern; see the module docstring for the syntax.

    Raises:
        InvalidURL: the pattern has no ``://`` or a bad port.
    """

    __slots__ = ("_host", "_host_rule", "_port", "_scheme", "pattern")

    def __init__(self, pattern: str) -> None:
        if "://" not in pattern:
            raise InvalidURL(
                f"mount pattern {pattern!r} must look like 'https://', "
                "'all://example.com' or 'http://*:8080'"
            )
        self.pattern = pattern
        scheme, _, rest = pattern.partition("://")
        rest = rest.rstrip("/")
        host, port = rest, ""
        if rest.startswith("["):
            end = rest.find("]")
            host, port = rest[: end + 1], rest[end + 2 :] if end + 1 < len(rest) else ""
        elif ":" in rest:
            host, _, port = rest.rpartition(":")
        if port and not port.isdigit():
            raise InvalidURL(f"mount pattern {pattern!r} has a bad port")
        self._scheme = "" if scheme == "all" else scheme.lower()
        self._port: int | None = int(port) if port else None
        host = host.lower()
        if host in ("", "*"):
            self._host_rule = "any"
            self._host = ""
        elif host.startswith("*."):
            self._host_rule = "subdomains"
            self._host = URL(f"http://{host[2:]}/").host
        elif host.startswith("*"):
            self._host_rule = "host_and_subdomains"
            self._host = URL(f"http://{host[1:]}/").host
        else:
            self._host_rule = "exact"
            self._host = URL(f"http://{host}/").host

    def matches(self, url: URL) -> bool:
        """Whether ``url`` is routed by this pattern."""
        if self._scheme and url.scheme != self._scheme:
            return False
        if self._port is not None and url.effective_port != self._port:
            return False
        rule = self._host_rule
        if rule == "any":
            return True
        host = url.host
        if rule == "exact":
            return host == self._host
        if rule == "subdomains":
            return host.endswith("." + self._host)
        return host == self._host or host.endswith("." + self._host)

    @property
    def priority(self) -> tuple[int, int, int, int]:
        """Sort key: lower sorts first, and first match wins."""
        return (
            0 if self._port is not None else 1,
            0 if self._host_rule != "any" else 1,
            -len(self._host),
            0 if self._scheme else 1,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, URLPattern) and self.pattern == other.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"URLPattern({self.pattern!r})"


def sort_patterns(patterns: list[URLPattern]) -> list[URLPattern]:
    """Most specific first, so the first match is the one to use."""
    return sorted(patterns, key=lambda pattern: pattern.priority)
