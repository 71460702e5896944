"""HTTP(S) proxies: forwarding ``http://`` requests, tunnelling ``https://`` ones.

How this works. A :class:`ProxyTransport` owns one :class:`ConnectionPool`
whose connections all lead through its proxy, so a proxied connection is
never handed to a direct request (or to another proxy's) even for the same
origin. The pool's stream opener connects to the proxy (TCP, or TLS for an
``https://`` proxy) and then:

* for an ``http://`` origin returns that stream as it is: the request goes
  to the proxy in absolute form (RFC 9112 §3.2.2), with the proxy's
  headers added to a copy of the request, so the caller's request (and any
  redirect built from it) never carries ``Proxy-Authorization``;
* for an ``https://`` origin sends ``CONNECT host:port`` (RFC 9110 §9.3.6)
  with the proxy's headers, checks for a 2xx, and negotiates TLS with the
  origin inside the tunnel (TLS inside TLS for an ``https://`` proxy). The
  origin only ever sees the bytes of its own request.

The whole set-up runs under the connect timeout, like any connection.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, final

import h11
import trio

from .._config import DEFAULT_LIMITS, MAX_HEADER_BYTES, Limits
from .._exceptions import ConnectError, ProxyError
from .._headers import Headers
from .._proxy_config import NoProxy, Proxy
from .._request import Request
from .._response import Response
from ._base import AsyncBaseTransport
from ._connect import start_tls
from ._net import CertTypes, VerifyTypes, create_ssl_context, open_stream
from ._pool import ConnectionPool

if TYPE_CHECKING:
    from .._urls import URL
    from ._base import UpgradedStream

__all__ = ["NoProxyRouter", "PooledProxyTransport", "ProxyTransport"]

_READ_SIZE = 16 * 1024  # a CONNECT reply is a small head


def _authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class PooledProxyTransport(AsyncBaseTransport):
    """The shared part of every proxy transport: one pool per proxy.

    A subclass opens the pool's connections through the proxy
    (``_open_stream``), so proxied and direct connections to one origin
    never mix.
    """

    proxy: Proxy
    _pool: ConnectionPool

    def _start_pool(
        self, proxy: Proxy, *, verify: VerifyTypes, cert: CertTypes, limits: Limits
    ) -> None:
        self.proxy = proxy
        self._pool = ConnectionPool(
            verify=verify, cert=cert, limits=limits, stream_opener=self._open_stream
        )

    async def _open_stream(
        self,
        origin: tuple[str, str, int],
        request: Request,
        ssl_context: ssl.SSLContext | None,
    ) -> trio.abc.Stream:
        raise NotImplementedError  # pragma: no cover

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.proxy!r}>"

    @property
    def pool(self) -> ConnectionPool:
        """The pool of connections through this proxy."""
        return self._pool

    async def handle_async_upgrade(
        self, request: Request
    ) -> tuple[Response, UpgradedStream | None]:
        """A WebSocket handshake through the proxy, always in a tunnel. A checkpoint."""
        return await self._pool.handle_async_upgrade(request)

    async def run_housekeeping(
        self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """The pool's housekeeping (idle expiry, connection tasks). Runs until cancelled."""
        await self._pool.run_housekeeping(task_status=task_status)

    async def aclose(self) -> None:
        """Close every connection through the proxy. Idempotent; a checkpoint."""
        await self._pool.aclose()


@final
class ProxyTransport(PooledProxyTransport):
    """Sends every request through one HTTP or HTTPS proxy.

    Mount it for the URLs that should use the proxy, or let the client build
    it from ``proxy=`` and the environment::

        client = AsyncClient(mounts={"https://": ProxyTransport("http://proxy:3128")})

    Args:
        proxy: the proxy (a URL or a :class:`Proxy`); ``http://`` or ``https://``.
        verify: TLS verification for origins (and for an ``https://`` proxy
            unless its :class:`Proxy` has an ``ssl_context``).
        cert: client certificate for origins.
        limits: pool limits for this proxy's connections.
        local_address: local IP address to bind the connection to the proxy to.

    Raises:
        InvalidProxyURL: the proxy URL is invalid or a SOCKS URL (use
            :class:`SocksTransport` for a SOCKS proxy).
    """

    def __init__(
        self,
        proxy: str | URL | Proxy,
        *,
        verify: VerifyTypes = True,
        cert: CertTypes = None,
        limits: Limits = DEFAULT_LIMITS,
        local_address: str | None = None,
    ) -> None:
        from .._exceptions import InvalidProxyURL

        parsed = Proxy.from_value(proxy)
        if parsed.is_socks:
            raise InvalidProxyURL(
                f"{parsed!r} is a SOCKS proxy: use open_proxy_transport() or SocksTransport"
            )
        self._verify = verify
        self._cert = cert
        self._local_address = local_address
        self._proxy_headers = parsed.proxy_headers()
        self._start_pool(parsed, verify=verify, cert=cert, limits=limits)

    async def handle_async_request(self, request: Request) -> Response:
        """Send ``request`` through the proxy. A checkpoint.

        Raises:
            ProxyError: could not reach the proxy, or it refused the tunnel
                (``error.response.status_code`` holds its status).
        """
        if request.url.scheme != "http":
            return await self._pool.handle_async_request(request)
        # Forwarding: a copy of the request carries the proxy's headers and
        # the absolute-form target; the caller's request stays untouched.
        url = request.url
        headers = request.headers.copy()
        headers.update(self._proxy_headers)
        extensions = dict(request.extensions)
        extensions["target"] = f"http://{url.netloc}".encode("ascii") + url.target
        forwarded = Request(
            request.method, url, headers=headers, stream=request.stream, extensions=extensions
        )
        response = await self._pool.handle_async_request(forwarded)
        response.request = request
        return response

    async def _open_stream(
        self,
        origin: tuple[str, str, int],
        request: Request,
        ssl_context: ssl.SSLContext | None,
    ) -> trio.abc.Stream:
        stream = await self._connect_to_proxy()
        scheme, host, port = origin
        if scheme == "http" and "upgrade" not in request.extensions:
            return stream
        try:
            await self._send_connect(stream, host, port, request)
        except BaseException:
            await trio.aclose_forcefully(stream)
            raise
        if ssl_context is None:
            return stream  # a WebSocket to an http:// origin: tunnelled, not forwarded
        server_hostname = request.extensions.get("sni_hostname") or host
        return await start_tls(stream, ssl_context, server_hostname, f"{host}:{port} (via proxy)")

    async def _connect_to_proxy(self) -> trio.abc.Stream:
        proxy = self.proxy
        host, port = proxy.address
        context: ssl.SSLContext | None = None
        if proxy.scheme == "https":
            context = proxy.ssl_context or create_ssl_context(self._verify, self._cert)
        try:
            return await open_stream(
                host, port, ssl_context=context, local_address=self._local_address
            )
        except ConnectError as exc:
            raise ProxyError(f"could not connect to proxy {proxy.url}: {exc}") from exc

    async def _send_connect(
        self, stream: trio.abc.Stream, host: str, port: int, request: Request
    ) -> None:
        authority = _authority(host, port)
        conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES)
        headers = Headers([("Host", authority)])
        headers.update(self._proxy_headers)
        try:
            data = conn.send(
                h11.Request(
                    method=b"CONNECT", target=authority.encode("ascii"), headers=headers.raw
                )
            )
            assert data is not None
            data += conn.send(h11.EndOfMessage()) or b""
            await stream.send_all(data)
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(bytes(await stream.receive_some(_READ_SIZE)))
                    continue
                if isinstance(event, h11.InformationalResponse):
                    continue
                break
        except (h11.ProtocolError, trio.BrokenResourceError, OSError) as exc:
            raise ProxyError(
                f"proxy {self.proxy.url} broke off the CONNECT to {authority}: {exc}",
                request=request,
            ) from exc
        if isinstance(event, h11.Response) and 200 <= event.status_code < 300:
            leftover, _ = conn.trailing_data
            if leftover:
                # TLS has the client speak first: bytes here are not the origin's.
                raise ProxyError(
                    f"proxy {self.proxy.url} sent data before the tunnel was used",
                    request=request,
                )
            return
        if not isinstance(event, h11.Response):
            raise ProxyError(
                f"proxy {self.proxy.url} closed the connection during CONNECT", request=request
            )
        reason = event.reason.decode("latin-1")
        response = Response(
            event.status_code,
            headers=Headers.from_raw(list(event.headers.raw_items())),
            request=request,
            reason_phrase=reason,
            content=b"",
        )
        raise ProxyError(
            f"proxy {self.proxy.url} refused CONNECT to {authority}: {event.status_code} {reason}",
            request=request,
            response=response,
        )


@final
class NoProxyRouter(AsyncBaseTransport):
    """Sends URLs matching ``no_proxy`` to ``direct``, all others to ``proxied``.

    ``direct`` belongs to someone else (the client's own pool): closing this
    router closes only ``proxied``.
    """

    def __init__(
        self, proxied: AsyncBaseTransport, direct: AsyncBaseTransport, no_proxy: NoProxy
    ) -> None:
        self.proxied = proxied
        self.direct = direct
        self.no_proxy = no_proxy

    async def handle_async_request(self, request: Request) -> Response:
        transport = self.direct if self.no_proxy.matches(request.url) else self.proxied
        return await transport.handle_async_request(request)

    async def handle_async_upgrade(
        self, request: Request
    ) -> tuple[Response, UpgradedStream | None]:
        transport = self.direct if self.no_proxy.matches(request.url) else self.proxied
        return await transport.handle_async_upgrade(request)

    async def run_housekeeping(
        self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Run the proxied transport's housekeeping (``direct`` has its own owner)."""
        await self.proxied.run_housekeeping(task_status=task_status)

    async def aclose(self) -> None:
        await self.proxied.aclose()
