"""SOCKS4, SOCKS4a, SOCKS5 and SOCKS5h proxies (the ``socks`` extra: socksio).

How this works. :class:`SocksTransport` owns one :class:`ConnectionPool`
whose stream opener connects to the proxy over TCP, runs the SOCKS
handshake with socksio (sans-I/O) and, for ``https://`` origins, negotiates
TLS with the origin through the tunnel. Requests then go in origin form, as
on a direct connection.

Names are resolved here for ``socks5://`` and ``socks4://`` and by the proxy
for ``socks5h://`` and ``socks4a://`` (use these when the proxy can see
names this machine cannot, or to keep lookups off the local network).

socksio parses whole messages, so replies are read with their exact lengths
(RFC 1928 §6; SOCKS4 replies are 8 bytes); the proxy sends nothing else
until the client speaks, so an exact read never takes the origin's bytes.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from typing import TYPE_CHECKING, Any, final

import trio

from .._config import DEFAULT_LIMITS, Limits
from .._exceptions import ConnectError, InvalidProxyURL, ProxyError
from .._proxy_config import Proxy
from ._connect import start_tls
from ._net import CertTypes, VerifyTypes, open_stream
from ._proxy import PooledProxyTransport

if TYPE_CHECKING:
    from .._request import Request
    from .._response import Response
    from .._urls import URL

__all__ = ["SocksTransport"]

SOCKS4_DEFAULT_USER_ID = "trio_http"


def _import_socksio() -> Any:
    try:
        import socksio
    except ImportError as exc:  # pragma: no cover - the extra is installed for tests
        raise ImportError(
            "SOCKS proxies need the 'socks' extra: pip install 'trio_http[socks]'"
        ) from exc
    return socksio


async def _receive_exactly(stream: trio.abc.Stream, count: int) -> bytes:
    data = bytearray()
    while len(data) < count:
        chunk = await stream.receive_some(count - len(data))
        if not chunk:
            raise ProxyError("the SOCKS proxy closed the connection during the handshake")
        data += chunk
    return bytes(data)


async def _resolve(host: str, port: int, family: int) -> str:
    """One address of ``host`` (of ``family``, or any when AF_UNSPEC)."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        infos = await trio.socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    except OSError as exc:
        raise ConnectError(f"could not resolve {host}: {exc}") from exc
    if not infos:
        raise ConnectError(f"could not resolve {host}")
    address = str(infos[0][4][0])
    return address


@final
class SocksTransport(PooledProxyTransport):
    """Sends every request through one SOCKS proxy.

    Args:
        proxy: ``socks5://``, ``socks5h://``, ``socks4://`` or ``socks4a://``
            URL (or :class:`Proxy`); SOCKS5 takes ``user:password@``, SOCKS4
            sends the user name as its user id.
        verify: TLS verification for origins.
        cert: client certificate for origins.
        limits: pool limits for this proxy's connections.
        local_address: local IP address to bind the connection to the proxy to.

    Raises:
        InvalidProxyURL: not a SOCKS proxy URL.
        ImportError: socksio is not installed.
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
        parsed = Proxy.from_value(proxy)
        if not parsed.is_socks:
            raise InvalidProxyURL(f"{parsed!r} is not a SOCKS proxy")
        self._socksio = _import_socksio()
        self._local_address = local_address
        self._start_pool(parsed, verify=verify, cert=cert, limits=limits)

    async def handle_async_request(self, request: Request) -> Response:
        """Send ``request`` through the proxy. A checkpoint.

        Raises:
            ProxyError: the proxy could not be reached, refused the
                credentials or could not reach the origin.
        """
        return await self._pool.handle_async_request(request)

    async def _open_stream(
        self,
        origin: tuple[str, str, int],
        request: Request,
        ssl_context: ssl.SSLContext | None,
    ) -> trio.abc.Stream:
        proxy_host, proxy_port = self.proxy.address
        try:
            stream = await open_stream(
                proxy_host, proxy_port, ssl_context=None, local_address=self._local_address
            )
        except ConnectError as exc:
            raise ProxyError(f"could not connect to proxy {self.proxy.url}: {exc}") from exc
        _, host, port = origin
        try:
            if self.proxy.scheme.startswith("socks5"):
                await self._socks5_handshake(stream, host, port)
            else:
                await self._socks4_handshake(stream, host, port)
        except BaseException as exc:
            await trio.aclose_forcefully(stream)
            if isinstance(exc, (trio.BrokenResourceError, OSError)) and not isinstance(
                exc, ProxyError
            ):
                raise ProxyError(f"SOCKS handshake with {self.proxy.url} failed: {exc}") from exc
            if isinstance(exc, self._socksio.ProtocolError):
                raise ProxyError(f"SOCKS proxy {self.proxy.url} sent an invalid reply") from exc
            raise
        if ssl_context is None:
            return stream
        server_hostname = request.extensions.get("sni_hostname") or host
        return await start_tls(stream, ssl_context, server_hostname, f"{host}:{port} (via SOCKS)")

    async def _socks5_handshake(self, stream: trio.abc.Stream, host: str, port: int) -> None:
        socksio = self._socksio
        auth = self.proxy.auth
        conn = socksio.SOCKS5Connection()
        method = (
            socksio.SOCKS5AuthMethod.USERNAME_PASSWORD
            if auth is not None
            else socksio.SOCKS5AuthMethod.NO_AUTH_REQUIRED
        )
        conn.send(socksio.SOCKS5AuthMethodsRequest([method]))
        await stream.send_all(conn.data_to_send())
        reply = conn.receive_data(await _receive_exactly(stream, 2))
        if reply.method != method:
            raise ProxyError(
                f"SOCKS proxy {self.proxy.url} accepts none of the offered auth methods"
            )
        if auth is not None:
            conn.send(
                socksio.SOCKS5UsernamePasswordRequest(
                    auth[0].encode("utf-8"), auth[1].encode("utf-8")
                )
            )
            await stream.send_all(conn.data_to_send())
            verdict = conn.receive_data(await _receive_exactly(stream, 2))
            if not verdict.success:
                raise ProxyError(f"SOCKS proxy {self.proxy.url} rejected the credentials")
        if self.proxy.scheme == "socks5":
            host = await _resolve(host, port, socket.AF_UNSPEC)
        conn.send(
            socksio.SOCKS5CommandRequest.from_address(socksio.SOCKS5Command.CONNECT, (host, port))
        )
        await stream.send_all(conn.data_to_send())
        head = await _receive_exactly(stream, 5)
        # RFC 1928 §6: VER REP RSV ATYP, then the bound address and port.
        atype = head[3]
        if atype == 1:
            rest = 4 + 2 - 1
        elif atype == 4:
            rest = 16 + 2 - 1
        elif atype == 3:
            rest = head[4] + 2
        else:
            raise ProxyError(f"SOCKS proxy {self.proxy.url} sent an invalid reply")
        reply = conn.receive_data(head + await _receive_exactly(stream, rest))
        if reply.reply_code != socksio.SOCKS5ReplyCode.SUCCEEDED:
            raise ProxyError(
                f"SOCKS proxy {self.proxy.url} could not connect to "
                f"{host}:{port}: {reply.reply_code.name.lower().replace('_', ' ')}"
            )

    async def _socks4_handshake(self, stream: trio.abc.Stream, host: str, port: int) -> None:
        socksio = self._socksio
        # SOCKS4 has no password, only a user id; socksio needs a non-empty
        # one, so a fixed id stands in when the URL names no user.
        user_id = (self.proxy.auth[0] if self.proxy.auth else "") or SOCKS4_DEFAULT_USER_ID
        conn_user = user_id.encode("utf-8")
        conn = socksio.SOCKS4Connection(user_id=conn_user)
        command = socksio.SOCKS4Command.CONNECT
        if self.proxy.scheme == "socks4a":
            conn.send(socksio.SOCKS4ARequest.from_address(command, (host, port)))
        else:
            address = await _resolve(host, port, socket.AF_INET)
            if ":" in address:
                raise ProxyError("SOCKS4 cannot reach IPv6 addresses; use socks5")
            conn.send(socksio.SOCKS4Request.from_address(command, (address, port)))
        await stream.send_all(conn.data_to_send())
        reply = conn.receive_data(await _receive_exactly(stream, 8))
        if reply.reply_code != socksio.SOCKS4ReplyCode.REQUEST_GRANTED:
            raise ProxyError(
                f"SOCKS4 proxy {self.proxy.url} refused {host}:{port}: "
                f"{reply.reply_code.name.lower().replace('_', ' ')}"
            )
