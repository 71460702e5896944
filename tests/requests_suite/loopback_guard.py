"""Refuses outbound connections to anything but loopback, for the whole process.

Patching ``socket.socket.connect`` reaches every client in the process: the
standard library's, urllib3's and trio's (trio calls ``connect`` on a stdlib
socket object, non-blocking). A refused connection raises
``OSError(ENETUNREACH)`` at once, so a test that would leave the machine
fails fast instead of waiting out a timeout, and the refusal is recorded with
the test that asked for it. Name resolution is left alone: it goes to the
machine's configured resolver, and an offline machine answers "unknown host"
quickly.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from collections.abc import Callable
from typing import final

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def is_loopback(host: str) -> bool:
    """Whether connecting to ``host`` stays on this machine."""
    name = host.lower().rstrip(".")
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.partition("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # Linux routes a connection to 0.0.0.0 or :: to the local host.
    return address.is_loopback or address.is_unspecified


@final
class LoopbackGuard:
    """Installs and removes the ``connect`` check; ``refused`` lists what it stopped."""

    def __init__(self) -> None:
        self.refused: list[str] = []
        self._restore: Callable[[], None] | None = None

    def _check(self, sock: socket.socket, address: object) -> None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return
        if not isinstance(address, tuple) or not address:
            return
        host = address[0]
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if not isinstance(host, str) or is_loopback(host):
            return
        port = address[1] if len(address) > 1 else "?"
        test = os.environ.get("PYTEST_CURRENT_TEST", "outside a test")
        self.refused.append(f"{test}: {host}:{port}")
        raise OSError(
            errno.ENETUNREACH,
            f"connection to {host}:{port} refused: this run reaches loopback only",
        )

    def install(self) -> None:
        if self._restore is not None:
            return
        original_connect = socket.socket.connect
        original_connect_ex = socket.socket.connect_ex
        check = self._check

        def connect(sock: socket.socket, address: object) -> None:
            check(sock, address)
            original_connect(sock, address)  # type: ignore[arg-type]

        def connect_ex(sock: socket.socket, address: object) -> int:
            try:
                check(sock, address)
            except OSError as exc:
                return exc.errno or errno.ENETUNREACH
            return original_connect_ex(sock, address)  # type: ignore[arg-type]

        def restore() -> None:
            socket.socket.connect = original_connect  # type: ignore[method-assign]
            socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]

        socket.socket.connect = connect  # type: ignore[method-assign]
        socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
        self._restore = restore

    def uninstall(self) -> None:
        if self._restore is not None:
            self._restore()
            self._restore = None
