"""Proxy settings: proxy URLs, the environment's ``*_PROXY`` variables, ``NO_PROXY``.

How this works. :class:`Proxy` is one parsed proxy URL with its credentials
kept apart from the URL (so neither ``repr`` nor a log line shows them).
:func:`proxies_from_environment` reads ``HTTP_PROXY``, ``HTTPS_PROXY``,
``ALL_PROXY`` and ``NO_PROXY`` (lower-case names win over upper-case ones)
into a :class:`ProxySettings`, which answers "which proxy, if any, for this
URL?" without I/O: host names are never resolved to match ``NO_PROXY``.

Precedence, from strongest: an explicit ``proxy=`` given to the client (the
environment is then not read at all); ``proxy=False`` (no proxy, whatever
the environment says); the environment when ``trust_env`` is on.

Upper-case ``HTTP_PROXY`` is ignored when ``REQUEST_METHOD`` is set: a CGI
server copies the request's ``Proxy:`` header into ``HTTP_PROXY``, so a
client could otherwise route a CGI program's requests through a proxy of its
choosing (the "httpoxy" problem, CVE-2016-5385). Lower-case ``http_proxy``
cannot be set that way and is always read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, final

from ._auth import basic_auth_header
from ._exceptions import InvalidProxyURL, InvalidURL
from ._headers import Headers
from ._urls import URL

if TYPE_CHECKING:
    import ssl

    from ._types import HeaderTypes

__all__ = [
    "PROXY_SCHEMES",
    "NoProxy",
    "Proxy",
    "ProxySettings",
    "proxies_from_environment",
]

# Default proxy ports: 80 and 443 as for origins; 1080 is SOCKS' (RFC 1928 §3).
PROXY_DEFAULT_PORTS: dict[str, int] = {
    "http": 80,
    "https": 443,
    "socks4": 1080,
    "socks4a": 1080,
    "socks5": 1080,
    "socks5h": 1080,
}
PROXY_SCHEMES = frozenset(PROXY_DEFAULT_PORTS)
SOCKS_SCHEMES = frozenset({"socks4", "socks4a", "socks5", "socks5h"})

_IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@final
@dataclass(frozen=True, slots=True, init=False)
class Proxy:
    """One proxy server.

    Args:
        url: ``http://``, ``https://`` (TLS to the proxy itself),
            ``socks5://`` (names resolved here), ``socks5h://`` (names
            resolved by the proxy), ``socks4://`` or ``socks4a://``, with an
            optional ``user:password@``. Without a port: 80, 443 or 1080.
        auth: ``(user, password)``; overrides credentials in the URL.
        headers: extra headers for the proxy only (sent on ``CONNECT`` and
            on requests forwarded in absolute form), never to the origin.
        ssl_context: TLS settings for an ``https://`` proxy; default: the
            client's ``verify`` and ``cert``.

    Raises:
        InvalidProxyURL: unknown scheme, no host, a path, or unparsable.

    Attributes:
        url: the proxy URL *without* credentials.
        auth: ``(user, password)`` or ``None``.
        headers: the proxy-only headers.
        ssl_context: as given.
    """

    url: URL
    auth: tuple[str, str] | None
    headers: Headers
    ssl_context: ssl.SSLContext | None = field(compare=False)

    def __init__(
        self,
        url: str | URL,
        *,
        auth: tuple[str, str] | None = None,
        headers: HeaderTypes | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parsed = _parse_proxy_url(url)
        if auth is None and (parsed.username or parsed.password):
            auth = (parsed.username, parsed.password)
        if parsed.username or parsed.password:
            parsed = parsed.copy_with(username="", password="")
        object.__setattr__(self, "url", parsed)
        object.__setattr__(self, "auth", auth)
        object.__setattr__(self, "headers", Headers(headers))
        object.__setattr__(self, "ssl_context", ssl_context)

    @classmethod
    def from_value(cls, value: str | URL | Proxy) -> Proxy:
        """A :class:`Proxy` from a proxy URL (or the proxy itself).

        Raises:
            InvalidProxyURL: see :class:`Proxy`.
        """
        return value if isinstance(value, Proxy) else cls(value)

    @property
    def scheme(self) -> str:
        """``"http"``, ``"https"``, ``"socks5"``, ``"socks5h"``, ``"socks4"``, ``"socks4a"``."""
        return self.url.scheme

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` to connect to; the port defaults by scheme."""
        url = self.url
        port = url.port
        return url.host, port if port is not None else PROXY_DEFAULT_PORTS[url.scheme]

    @property
    def is_socks(self) -> bool:
        return self.url.scheme in SOCKS_SCHEMES

    def proxy_headers(self) -> Headers:
        """Headers for the proxy: ``headers`` plus ``Proxy-Authorization``.

        RFC 9110 §11.7.2: Proxy-Authorization is consumed by the proxy; it is
        only ever added to a request addressed to the proxy.
        """
        headers = self.headers.copy()
        if self.auth is not None and "Proxy-Authorization" not in headers:
            headers["Proxy-Authorization"] = basic_auth_header(*self.auth)
        return headers

    def __repr__(self) -> str:
        auth = ", auth=('***', '***')" if self.auth is not None else ""
        return f"Proxy({str(self.url)!r}{auth})"


def _parse_proxy_url(value: str | URL) -> URL:
    if isinstance(value, str) and "://" not in value:
        # "proxy.local:3128", as curl and requests accept: plain HTTP proxy.
        value = "http://" + value
    try:
        url = value if isinstance(value, URL) else URL(value)
    except InvalidURL as exc:
        raise InvalidProxyURL(f"invalid proxy URL: {exc}") from exc
    shown = repr(url)[5:-2]
    if url.scheme not in PROXY_SCHEMES:
        raise InvalidProxyURL(
            f"unsupported proxy scheme {url.scheme!r} in {shown!r}: use one of "
            f"{', '.join(sorted(PROXY_SCHEMES))}"
        )
    if not url.host:
        raise InvalidProxyURL(f"proxy URL {shown!r} has no host")
    if url.path not in ("", "/") or url.query or url.fragment:
        raise InvalidProxyURL(f"proxy URL {shown!r} must not have a path or query")
    if url.path == "/":
        url = url.copy_with(path="")
    return url


# -- NO_PROXY -----------------------------------------------------------------


@final
class NoProxy:
    """Parsed ``NO_PROXY``: which URLs go direct.

    Entries are separated by commas (or whitespace):

    * ``*`` — every URL;
    * ``example.com``, ``.example.com`` or ``*.example.com`` — that host and
      every subdomain of it;
    * ``192.168.1.7``, ``::1`` or ``[::1]`` — that IP address literal;
    * ``10.0.0.0/8``, ``fd00::/8`` — URLs whose host is an IP address in the
      range (names are not resolved);
    * any of the host forms with ``:port`` — only URLs to that port.

    Matching ignores case. Entries that cannot be parsed are ignored, as
    other tools ignore them, so a stray value cannot break every request.
    """

    __slots__ = ("_all", "_hosts", "_networks", "_ports", "entries")

    def __init__(self, value: str = "") -> None:
        self.entries: tuple[str, ...] = tuple(value.replace(",", " ").split())
        self._all = False
        # host -> ports (None: any port)
        self._hosts: dict[str, set[int] | None] = {}
        self._networks: list[tuple[_IPNetwork, int | None]] = []
        for entry in self.entries:
            self._add(entry)
        self._ports: bool = any(ports is not None for ports in self._hosts.values())

    def _add(self, entry: str) -> None:
        if entry == "*":
            self._all = True
            return
        host, port = _split_host_port(entry)
        if host is None:
            return
        if "/" in host:
            try:
                network = ipaddress.ip_network(host.strip("[]"), strict=False)
            except ValueError:
                return
            self._networks.append((network, port))
            return
        host = host.lstrip("*").lstrip(".")
        if not host:
            return
        try:
            host = URL(f"http://{host}/").host if ":" not in host else _normalise_ip(host)
        except (InvalidURL, ValueError):
            return
        if port is None:
            self._hosts[host] = None
        elif host not in self._hosts:
            self._hosts[host] = {port}
        else:
            ports = self._hosts[host]
            if ports is not None:
                ports.add(port)

    def __bool__(self) -> bool:
        return bool(self._all or self._hosts or self._networks)

    def matches(self, url: URL) -> bool:
        """Whether ``url`` must bypass the proxy. Pure, no DNS."""
        if self._all:
            return True
        host = url.host
        hosts = self._hosts
        if hosts:
            port = url.effective_port
            candidate = host
            while True:
                if candidate in hosts:
                    ports = hosts[candidate]
                    if ports is None or port in ports:
                        return True
                if ":" in host:
                    break  # an IPv6 literal has no parent domains
                dot = candidate.find(".")
                if dot < 0:
                    break
                candidate = candidate[dot + 1 :]
        if self._networks:
            try:
                address = ipaddress.ip_address(host)
            except ValueError:
                return False
            port = url.effective_port
            for network, wanted_port in self._networks:
                if address in network and (wanted_port is None or wanted_port == port):
                    return True
        return False

    def __repr__(self) -> str:
        return f"NoProxy({','.join(self.entries)!r})"


def _normalise_ip(host: str) -> str:
    return str(ipaddress.ip_address(host.strip("[]")))


def _split_host_port(entry: str) -> tuple[str | None, int | None]:
    """``"host:80"`` -> ``("host", 80)``; IPv6 needs brackets to carry a port."""
    entry = entry.lower()
    if entry.startswith("["):
        end = entry.find("]")
        if end < 0:
            return None, None
        host, rest = entry[: end + 1], entry[end + 1 :]
        if "/" in rest and rest.startswith("/"):
            # "[fd00::]/8": a bracketed network
            prefix, _, port_text = rest[1:].partition(":")
            host, rest = f"{host[1:-1]}/{prefix}", (":" + port_text if port_text else "")
        if not rest:
            return host, None
        if not rest.startswith(":") or not rest[1:].isdigit():
            return None, None
        return host, int(rest[1:])
    if entry.count(":") == 1:
        host, _, port_text = entry.partition(":")
        if not port_text.isdigit():
            return None, None
        return host, int(port_text)
    return entry, None  # a name, IPv4, or a bare IPv6 literal / network


# -- the environment ----------------------------------------------------------


@final
@dataclass(frozen=True, slots=True)
class ProxySettings:
    """Which proxy serves which URL scheme, and which URLs bypass it.

    Attributes:
        http: proxy for ``http://`` URLs, or ``None``.
        https: proxy for ``https://`` URLs, or ``None``.
        no_proxy: URLs that go direct even though a proxy is set.
    """

    http: Proxy | None = None
    https: Proxy | None = None
    no_proxy: NoProxy = field(default_factory=NoProxy)

    @classmethod
    def from_value(cls, value: str | URL | Proxy) -> ProxySettings:
        """One proxy for every URL, no exceptions (an explicit ``proxy=``)."""
        proxy = Proxy.from_value(value)
        return cls(http=proxy, https=proxy)

    def proxy_for(self, url: URL) -> Proxy | None:
        """The proxy to send ``url`` through, or ``None`` to go direct."""
        proxy = self.https if url.scheme == "https" else self.http if url.scheme == "http" else None
        if proxy is None or (self.no_proxy and self.no_proxy.matches(url)):
            return None
        return proxy

    def __bool__(self) -> bool:
        return self.http is not None or self.https is not None


def _env_value(environ: Mapping[str, str], name: str) -> str:
    # Lower-case wins (curl, wget and Python's urllib agree); empty means unset.
    value = environ.get(name.lower(), "").strip()
    if value:
        return value
    if name == "HTTP_PROXY" and "REQUEST_METHOD" in environ:
        return ""  # httpoxy: see the module docstring
    return environ.get(name, "").strip()


def _env_proxy(environ: Mapping[str, str], name: str) -> Proxy | None:
    value = _env_value(environ, name)
    if not value:
        return None
    try:
        return Proxy(value)
    except InvalidProxyURL as exc:
        raise InvalidProxyURL(f"environment variable {name}: {exc}") from exc


def proxies_from_environment(environ: Mapping[str, str]) -> ProxySettings:
    """Read proxy settings from ``environ`` (usually ``os.environ``).

    ``HTTP_PROXY`` serves ``http://`` URLs, ``HTTPS_PROXY`` ``https://``
    ones, ``ALL_PROXY`` either when the specific variable is unset;
    ``NO_PROXY`` lists the exceptions (see :class:`NoProxy`).

    Raises:
        InvalidProxyURL: a variable holds an unusable proxy URL; the message
            names the variable.
    """
    every = _env_proxy(environ, "ALL_PROXY")
    http = _env_proxy(environ, "HTTP_PROXY") or every
    https = _env_proxy(environ, "HTTPS_PROXY") or every
    if http is None and https is None:
        return ProxySettings()
    return ProxySettings(http, https, NoProxy(_env_value(environ, "NO_PROXY")))
