"""What the environment adds to a requests call: proxies and a CA bundle.

requests reads ``HTTP_PROXY``-style variables (through
:mod:`trio_http._proxy_config`, which parses them for the client too) and
``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` while ``trust_env`` is on:
:func:`environment_proxies` and :func:`ca_bundle_from_environment` (for
``Session.merge_environment_settings``); :func:`resolve_proxies` and
:func:`proxy_authorization` are the proxy steps of following a redirect
(``Session.rebuild_proxies``).

Everything here reads the environment and decides; nothing waits.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ._proxy_config import NoProxy, Proxy, proxies_from_environment
from ._urls import URL

__all__ = [
    "ca_bundle_from_environment",
    "environment_proxies",
    "proxy_authorization",
    "resolve_proxies",
]


def ca_bundle_from_environment() -> str | None:
    """``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE``, when one is set."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None


def _proxy_url(proxy: Proxy) -> str:
    # The proxy as requests' mappings hold it: with its credentials, and no
    # path (a proxy URL has none; URL renders an empty one as "/").
    url = proxy.url
    if proxy.auth is not None:
        url = url.copy_with(username=proxy.auth[0], password=proxy.auth[1])
    return str(url).removesuffix("/")


def environment_proxies(url: URL, no_proxy: str | None) -> dict[str, str]:
    """requests' ``get_environ_proxies``: every scheme's proxy, unless ``url`` is exempt.

    ``no_proxy`` replaces ``NO_PROXY`` when given.
    """
    settings = proxies_from_environment(os.environ)
    exempt = NoProxy(no_proxy) if no_proxy else settings.no_proxy
    if exempt and exempt.matches(url):
        return {}
    return {
        scheme: _proxy_url(proxy)
        for scheme, proxy in (("http", settings.http), ("https", settings.https))
        if proxy is not None
    }


def resolve_proxies(
    url: str | URL, proxies: Mapping[str, Any] | None, trust_env: bool
) -> dict[str, Any]:
    """``proxies`` plus, with ``trust_env``, the environment's proxy for ``url``'s scheme.

    A proxy already given for the scheme wins; ``NO_PROXY`` (or a
    ``"no_proxy"`` key) may exempt ``url``.
    """
    resolved = dict(proxies or {})
    if trust_env:
        parsed = url if isinstance(url, URL) else URL(url)
        found = environment_proxies(parsed, resolved.get("no_proxy"))
        proxy = found.get(parsed.scheme)
        if proxy:
            resolved.setdefault(parsed.scheme, proxy)
    return resolved


def proxy_authorization(url: str | URL, proxies: Mapping[str, Any]) -> str | None:
    """The ``Proxy-Authorization`` a plain-HTTP request to ``url`` sends its proxy, or None.

    Only a proxy URL with credentials has one; an ``https`` request tunnels
    and authenticates on ``CONNECT`` instead.
    """
    parsed = url if isinstance(url, URL) else URL(url)
    value = proxies.get(parsed.scheme)
    if not value or parsed.scheme == "https":
        return None
    return Proxy.from_value(value).proxy_headers().get("Proxy-Authorization")
