"""``NO_PROXY``: which URLs bypass the proxy, decided without I/O.

Host names are never resolved to match an entry: a name matches names, an
address or a network matches only URLs whose host is an IP address literal.
"""

from __future__ import annotations

import ipaddress
from typing import final

from ._exceptions import InvalidURL
from ._urls import URL

__all__ = ["NoProxy"]

_IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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
