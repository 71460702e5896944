"""Proxy and network helpers of :mod:`trio_http.utils`, decided by the client's proxy rules.

``NO_PROXY`` is matched by :class:`~trio_http._no_proxy.NoProxy`, the
environment is read by :func:`~trio_http._proxy_config.proxies_from_environment`
and ``proxies=`` keys by the mount patterns the client routes with; host
names are never resolved. The public names are re-exported by
:mod:`trio_http.utils`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from ._exceptions import InvalidURL
from ._no_proxy import NoProxy
from ._proxy_config import _env_proxy, _env_value, proxies_from_environment
from ._url_parse import DEFAULT_PORTS
from ._urlpatterns import URLPattern, sort_patterns
from ._urls import URL

if TYPE_CHECKING:
    from ._proxy_server import Proxy

__all__ = [
    "address_in_network",
    "dotted_netmask",
    "get_environ_proxies",
    "is_ipv4_address",
    "is_valid_cidr",
    "select_proxy",
    "set_environ",
    "should_bypass_proxies",
]


def should_bypass_proxies(url: str, no_proxy: str | None) -> bool:
    """Whether ``url`` goes direct under ``no_proxy`` (default: ``$NO_PROXY``).

    Entries as :class:`trio_http.Session` reads them: ``*``, a host and its
    subdomains (``example.com``, ``.example.com``, ``*.example.com``), an IP
    address or network (IPv4 or IPv6), any with a ``:port``. Host names are
    never resolved. A URL without a host always goes direct.

    Raises:
        InvalidURL: ``url`` cannot be parsed.
    """
    if no_proxy is None:
        no_proxy = _env_value(os.environ, "NO_PROXY")
    target = URL(url)
    if not target.host:
        return True
    rules = NoProxy(no_proxy)
    if target.port is None and target.scheme not in DEFAULT_PORTS:
        # No port to compare with an entry's: port 0 matches no ":port"
        # entry, while entries without a port still match by host.
        target = target.copy_with(port=0)
    return rules.matches(target)


def _proxy_url(proxy: Proxy) -> str:
    url = proxy.url
    if proxy.auth is not None:
        username, password = proxy.auth
        url = url.copy_with(username=username, password=password)
    # A proxy URL has no path; URL shows an http(s) URL's empty path as "/".
    return str(url).removesuffix("/")


def get_environ_proxies(url: str, no_proxy: str | None = None) -> dict[str, str]:
    """The proxy settings the environment gives for ``url``, keyed as in requests.

    ``"http"`` and ``"https"`` are the proxies the client would use for
    those schemes (``ALL_PROXY`` fills in for one without its own
    variable), ``"all"`` is ``ALL_PROXY`` and ``"no"`` the environment's
    ``NO_PROXY``, each present when set. Read as trio_http reads them:
    lower-case names win, ``HTTP_PROXY`` is ignored in a CGI program. Empty
    when ``url`` bypasses proxies (:func:`should_bypass_proxies`).

    Raises:
        InvalidProxyURL: a variable holds an unusable proxy URL.
    """
    if should_bypass_proxies(url, no_proxy):
        return {}
    settings = proxies_from_environment(os.environ)
    proxies = {
        scheme: _proxy_url(proxy)
        for scheme, proxy in (
            ("http", settings.http),
            ("https", settings.https),
            ("all", _env_proxy(os.environ, "ALL_PROXY")),
        )
        if proxy is not None
    }
    # requests lists NO_PROXY too, as urllib's getproxies() does.
    environment_no_proxy = _env_value(os.environ, "NO_PROXY")
    if environment_no_proxy:
        proxies["no"] = environment_no_proxy
    return proxies


def select_proxy(url: str, proxies: Mapping[str, str | None] | None) -> str | None:
    """The value of ``proxies`` that serves ``url``, or ``None``.

    Keys are those of requests' ``proxies=`` (``"https"``, ``"all"``,
    ``"http://host"``, ``"all://host"``), read as trio_http routes them:
    the most specific key that matches wins (a port, then a host, then a
    scheme), and trio_http's mount patterns (``"all://*.example.com"``,
    ``"http://host:8080"``) work too. ``"no_proxy"`` is not a key here.
    """
    if not proxies:
        return None
    target = URL(url)
    keys: dict[URLPattern, str] = {}
    for key in proxies:
        if key == "no_proxy":
            continue
        try:
            keys[URLPattern(key if "://" in key else f"{key}://")] = key
        except InvalidURL:
            continue
    for pattern in sort_patterns(list(keys)):
        try:
            matched = pattern.matches(target)
        except InvalidURL:  # a pattern with a port, a URL with none to compare
            continue
        if matched:
            return proxies[keys[pattern]]
    return None


@contextlib.contextmanager
def set_environ(env_name: str, value: str | None) -> Iterator[None]:
    """Set the environment variable ``env_name`` to ``value`` for the ``with`` block.

    Its earlier value (or its absence) is restored on the way out, even
    when the block raises. With ``value`` ``None``, nothing is changed.
    The environment is the process's: other threads see the change.
    """
    if value is None:
        yield
        return
    previous = os.environ.get(env_name)
    os.environ[env_name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(env_name, None)
        else:
            os.environ[env_name] = previous


def is_ipv4_address(string_ip: str) -> bool:
    """Whether ``string_ip`` is a dotted-quad IPv4 address, as URLs write one."""
    try:
        ipaddress.IPv4Address(string_ip)
    except ValueError:
        return False
    return True


def is_valid_cidr(string_network: str) -> bool:
    """Whether ``string_network`` is an ``address/prefix`` network (IPv4 or IPv6).

    The prefix is a length from 1 up (``/0`` is refused, as in requests).
    """
    _, slash, prefix = string_network.partition("/")
    if not slash or not prefix.isdigit():
        return False
    try:
        network = ipaddress.ip_network(string_network, strict=False)
    except ValueError:
        return False
    return network.prefixlen >= 1


def address_in_network(ip: str, net: str) -> bool:
    """Whether the address ``ip`` is in the network ``net`` (``"10.0.0.0/8"``).

    Raises:
        ValueError: ``ip`` or ``net`` is not an address or network.
    """
    return ipaddress.ip_address(ip) in ipaddress.ip_network(net, strict=False)


def dotted_netmask(mask: int) -> str:
    """The IPv4 netmask of a prefix length: ``24`` gives ``"255.255.255.0"``.

    Raises:
        ValueError: ``mask`` is not from 0 to 32.
    """
    return str(ipaddress.IPv4Network((0, mask)).netmask)
