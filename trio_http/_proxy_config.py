"""Proxy settings: proxy URLs, the environment's ``*_PROXY`` variables, ``NO_PROXY``.

How this works. :class:`~trio_http._proxy_server.Proxy` is one parsed proxy
URL with its credentials kept apart from the URL (so neither ``repr`` nor a
log line shows them); :class:`~trio_http._no_proxy.NoProxy` is a parsed
``NO_PROXY``. :func:`proxies_from_environment` reads ``HTTP_PROXY``,
``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` (lower-case names win over
upper-case ones) into a :class:`ProxySettings`, which answers "which proxy,
if any, for this URL?" without I/O: host names are never resolved to match
``NO_PROXY``.

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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, final

from ._exceptions import InvalidProxyURL
from ._no_proxy import NoProxy
from ._proxy_server import PROXY_SCHEMES, Proxy

if TYPE_CHECKING:
    from ._urls import URL

# The proxy and NO_PROXY types are re-exported: the transports import them
# from here, beside the settings they make up.
__all__ = [
    "PROXY_SCHEMES",
    "NoProxy",
    "Proxy",
    "ProxySettings",
    "proxies_from_environment",
]


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
