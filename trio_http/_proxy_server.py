"""One proxy server: its URL, with the credentials kept apart, and its own headers.

:class:`Proxy` parses a proxy URL (``http``, ``https`` or a SOCKS scheme; a
bare ``host:port`` is a plain HTTP proxy) and keeps its credentials out of
the URL, so neither ``repr`` nor a log line shows them. Which proxy serves
which URL is :mod:`trio_http._proxy_config`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, final

from ._auth import basic_auth_header
from ._exceptions import InvalidProxyURL, InvalidURL
from ._headers import Headers
from ._urls import URL

if TYPE_CHECKING:
    import ssl

    from ._types import HeaderTypes

__all__ = ["PROXY_DEFAULT_PORTS", "PROXY_SCHEMES", "SOCKS_SCHEMES", "Proxy"]

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
