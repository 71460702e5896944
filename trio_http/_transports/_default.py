"""The front door of the transports: the one object an AsyncClient sends through.

How this works. :class:`TransportRouter` holds the client's default
transport (a :class:`ConnectionPool`, unless the caller gave one) and its
mounts: URL patterns, most specific first (see ``_urlpatterns``), each with a
transport. Proxies are mounts too: ``proxy=`` (one URL, a :class:`Proxy`, or
requests' ``proxies`` mapping) or, with ``trust_env``, the environment's
``*_PROXY`` variables give one transport per distinct proxy, wrapped in a
:class:`NoProxyRouter` when ``NO_PROXY`` lists hosts to reach directly.
:meth:`TransportRouter.send` picks the transport for a URL (a dict-free
scan of the few mounts; none at all in the common case) and applies the
client's :class:`Retry`.

Entering the router enters every distinct transport once, and
:meth:`~TransportRouter.run_housekeeping` starts each one's housekeeping in
the router's own nursery (HTTP/2 reader tasks live there), so the client
only enters and starts this one object. :func:`set_pool_factory` swaps the
default pool for tests (``trio_http.testing``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, final

import trio

from .._config import DEFAULT_LIMITS, Limits
from .._proxy_config import NoProxy, Proxy, ProxySettings, proxies_from_environment
from .._urlpatterns import URLPattern, sort_patterns
from ._base import AsyncBaseTransport
from ._pool import ConnectionPool
from ._retry import send_with_retries
from ._tls_context import SYSTEM_TRUST, require_truststore, verify_from_environment

if TYPE_CHECKING:
    from types import TracebackType

    from .._request import Request
    from .._response import Response
    from .._retries import Retry
    from .._urls import URL
    from ._base import UpgradedStream
    from ._net import CertTypes, VerifyTypes

__all__ = [
    "CertTypes",
    "TransportRouter",
    "VerifyTypes",
    "open_proxy_transport",
    "set_pool_factory",
]

PoolFactory = Callable[..., AsyncBaseTransport]
_pool_factory: PoolFactory = ConnectionPool


def set_pool_factory(factory: PoolFactory | None) -> PoolFactory:
    """Build every client's default transport with ``factory`` from now on.

    ``factory`` takes the pool's keyword arguments (``verify``, ``cert``,
    ``limits``, ``local_address``, ``uds``, ``http1``, ``http2``); ``None``
    restores :class:`ConnectionPool`. Clients given ``transport=`` are not
    affected. Returns the factory in use before, to restore it.
    """
    global _pool_factory
    previous, _pool_factory = _pool_factory, factory or ConnectionPool
    return previous


@final
class TransportRouter(AsyncBaseTransport):
    """The default transport, the mounts and the proxies of one client.

    Args:
        transport: the default transport; ``None`` builds a pool from the
            other arguments.
        mounts: ``{pattern: transport}`` given by the caller; they win over
            proxy mounts for the same pattern.
        proxy: see :class:`AsyncClient`; proxies apply only when the
            default transport is built here.
        trust_env: read proxies from the environment when ``proxy`` is None,
            and CA files from ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when
            ``verify`` is True.
        retry: retries applied to every request, or None.
        pool_options: keyword arguments for the pool (``verify``, ``cert``,
            ``limits``, ``local_address``, ``uds``, ``http1``, ``http2``).
    """

    def __init__(
        self,
        transport: AsyncBaseTransport | None,
        *,
        mounts: Mapping[str, AsyncBaseTransport] | None = None,
        proxy: Any = None,
        trust_env: bool = True,
        retry: Retry | None = None,
        **pool_options: Any,
    ) -> None:
        if transport is None:
            pool_options["verify"] = _verify_setting(pool_options.get("verify", True), trust_env)
        self.default = transport if transport is not None else _pool_factory(**pool_options)
        self._mounts: list[tuple[URLPattern, AsyncBaseTransport]] = []
        self._retry = retry
        self._stack = contextlib.AsyncExitStack()
        if transport is None:
            self._mount_proxies(
                proxy,
                trust_env=trust_env,
                verify=pool_options.get("verify", True),
                cert=pool_options.get("cert"),
                limits=pool_options.get("limits", DEFAULT_LIMITS),
            )
        for pattern, mounted in (mounts or {}).items():
            self.mount(pattern, mounted)

    # -- routing ------------------------------------------------------------

    def mount(self, pattern: str, transport: AsyncBaseTransport) -> None:
        """Route URLs matching ``pattern`` to ``transport``; the same pattern again replaces it.

        Raises:
            InvalidURL: the pattern is not of the form ``scheme://host:port``.
        """
        key = URLPattern(pattern)
        mounts = {p: t for p, t in self._mounts if p != key}
        mounts[key] = transport
        self._mounts = [(p, mounts[p]) for p in sort_patterns(list(mounts))]

    def transport_for_url(self, url: URL) -> AsyncBaseTransport:
        """The transport that serves ``url``: the most specific mount, else the default."""
        for pattern, transport in self._mounts:
            if pattern.matches(url):
                return transport
        return self.default

    def send(self, request: Request) -> Awaitable[Response]:
        """Send ``request`` through its transport, with the retries; await the result.

        Not a coroutine itself: no extra frame per request.
        """
        transport = self.transport_for_url(request.url) if self._mounts else self.default
        if self._retry is None:
            return transport.handle_async_request(request)
        return send_with_retries(transport, request, self._retry)

    async def handle_async_request(self, request: Request) -> Response:
        return await self.send(request)

    async def handle_async_upgrade(
        self, request: Request
    ) -> tuple[Response, UpgradedStream | None]:
        """Send an upgrade handshake through the transport for its URL (no retries).

        A checkpoint.

        Raises:
            WebSocketError: that transport cannot open WebSockets.
        """
        transport = self.transport_for_url(request.url) if self._mounts else self.default
        if not _declares_everything(transport):
            # A duck-typed transport: the base class's refusal.
            return await AsyncBaseTransport.handle_async_upgrade(transport, request)
        return await transport.handle_async_upgrade(request)

    def _mount_proxy_mapping(
        self, proxies: Mapping[str, str | None], *, verify: Any, cert: Any, limits: Limits
    ) -> None:
        """requests' ``proxies`` dict: scheme, ``all`` or ``scheme://host`` keys.

        A ``None`` or empty value sends matching URLs direct; ``no_proxy``
        lists hosts that bypass every proxy of the mapping.
        """
        no_proxy = NoProxy(proxies.get("no_proxy") or "")
        built: dict[str, AsyncBaseTransport] = {}
        for key, value in proxies.items():
            if key == "no_proxy":
                continue
            pattern = key if "://" in key else f"{key}://"
            if not value:
                self.mount(pattern, self.default)
                continue
            transport = built.get(value)
            if transport is None:
                transport = built[value] = open_proxy_transport(
                    Proxy.from_value(value), verify=verify, cert=cert, limits=limits
                )
            if no_proxy:
                from ._proxy import NoProxyRouter

                transport = NoProxyRouter(transport, self.default, no_proxy)
            self.mount(pattern, transport)

    def _mount_proxies(
        self, proxy: Any, *, trust_env: bool, verify: Any, cert: Any, limits: Limits
    ) -> None:
        # One transport (so one pool) per distinct proxy; routing is by mount.
        if proxy is True:
            raise TypeError("proxy must be a URL, a Proxy, False or None, not True")
        if proxy is False:
            return
        if isinstance(proxy, Mapping):
            self._mount_proxy_mapping(proxy, verify=verify, cert=cert, limits=limits)
            return
        if proxy is not None:
            settings = ProxySettings.from_value(proxy)
        elif trust_env:
            settings = proxies_from_environment(os.environ)
        else:
            return
        built: dict[tuple[str, tuple[str, str] | None], AsyncBaseTransport] = {}
        for pattern, chosen in (("http://", settings.http), ("https://", settings.https)):
            if chosen is None:
                continue
            key = (str(chosen.url), chosen.auth)
            transport = built.get(key)
            if transport is None:
                transport = built[key] = open_proxy_transport(
                    chosen, verify=verify, cert=cert, limits=limits
                )
            if settings.no_proxy:
                from ._proxy import NoProxyRouter

                transport = NoProxyRouter(transport, self.default, settings.no_proxy)
            self.mount(pattern, transport)

    # -- life cycle ----------------------------------------------------------

    def transports(self) -> list[AsyncBaseTransport]:
        """The default and every mounted transport, each once."""
        unique: dict[int, AsyncBaseTransport] = {id(self.default): self.default}
        for _, transport in self._mounts:
            unique.setdefault(id(transport), transport)
        return list(unique.values())

    async def __aenter__(self) -> TransportRouter:
        """Enter every transport (an in-process app transport opens its nursery here).

        If one fails to enter, those entered already are closed again.
        """
        stack = self._stack
        try:
            for transport in self.transports():
                if _declares_everything(transport):
                    await stack.enter_async_context(transport)
                else:
                    # A duck-typed transport: only its aclose() to call.
                    stack.push_async_callback(transport.aclose)
        except BaseException:
            await stack.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every transport entered, in reverse order. A checkpoint."""
        await self._stack.aclose()
        await trio.lowlevel.checkpoint()

    async def run_housekeeping(
        self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Run every transport's housekeeping until cancelled.

        Started with ``nursery.start``: returns control once each transport's
        own housekeeping has started (a pool's nursery for HTTP/2 tasks
        exists before the first request).
        """
        async with trio.open_nursery() as nursery:
            for transport in self.transports():
                if _declares_everything(transport):
                    await nursery.start(transport.run_housekeeping)
            task_status.started()
            await trio.sleep_forever()


def open_proxy_transport(
    proxy: str | URL | Proxy,
    *,
    verify: VerifyTypes = True,
    cert: CertTypes = None,
    limits: Limits = DEFAULT_LIMITS,
    local_address: str | None = None,
) -> AsyncBaseTransport:
    """A transport for any kind of proxy: HTTP, HTTPS or SOCKS.

    Not a checkpoint; connects lazily.

    Raises:
        InvalidProxyURL: the proxy URL is invalid.
        ImportError: a SOCKS proxy without the ``socks`` extra installed.
    """
    proxy = Proxy.from_value(proxy)
    if proxy.is_socks:
        # Imported here: socksio is an optional extra.
        from ._socks import SocksTransport

        return SocksTransport(
            proxy, verify=verify, cert=cert, limits=limits, local_address=local_address
        )
    # Imported here too: a client without proxies never needs it.
    from ._proxy import ProxyTransport

    return ProxyTransport(
        proxy, verify=verify, cert=cert, limits=limits, local_address=local_address
    )


def _verify_setting(verify: VerifyTypes, trust_env: bool) -> VerifyTypes:
    """``verify`` as the pool and proxies get it: the environment's CA files applied.

    With ``trust_env``, ``verify=True`` means ``SSL_CERT_FILE`` or
    ``SSL_CERT_DIR`` when set (read now, as proxies are). ``"system"``
    without truststore installed fails here, not at the first request.

    Raises:
        ImportError: ``verify="system"`` and truststore is not installed.
    """
    if trust_env:
        verify = verify_from_environment(verify, os.environ)
    if isinstance(verify, str) and verify == SYSTEM_TRUST:
        require_truststore()
    return verify


def _declares_everything(transport: object) -> bool:
    """A subclass of the base has every optional method; a duck-typed one only sends and closes."""
    return isinstance(transport, AsyncBaseTransport)
