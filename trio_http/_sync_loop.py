"""What the blocking API runs in the portal's loop thread.

How this works. An ``AsyncClient`` must be entered and exited by one task,
so each client a session uses is owned by a small task in the portal's
nursery that opens it, waits for the session to close and closes it
(:class:`SessionClients`). Requests from any number of threads run as
their own tasks beside it (:func:`send_request`, one portal hop each).
A module-level call (``trio_http.get``) needs its client for one request
only: :func:`send_once` opens it, sends and closes it in that same hop.

Once a client is handed to the loop, the calling thread only reads it
(``build_request``): what may change between calls (the redirect limit)
travels with each call and is set in the loop, and a session whose cookie
jar or mounts change gets another client rather than changing this one.

A streamed response (``stream=True``) reads its body through a
:class:`~trio_http._sync_pump.StreamPump`: a task in the loop that reads
ahead into a bounded queue which the reader's thread takes from without a
hop.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, final

import trio

from ._adapter_options import ClientOptions
from ._client import AsyncClient
from ._headers import Headers
from ._sync_options import ClientSettings, mount_pattern
from ._sync_pump import STREAM_READ_AHEAD, StreamPump

if TYPE_CHECKING:
    from ._cookies import Cookies
    from ._portal import Portal
    from ._request import Request
    from ._response import Response
    from ._transports._base import AsyncBaseTransport

__all__ = [
    "STREAM_READ_AHEAD",
    "SessionClients",
    "StreamPump",
    "new_client",
    "send_once",
    "send_once_streaming",
    "send_request",
]


_SESSION_DEFAULTS = ClientOptions()


async def send_request(
    client: AsyncClient,
    request: Request,
    stream: bool,
    send_options: dict[str, Any],
    max_redirects: int | None = None,
) -> Response:
    """``client.send``, for :meth:`Portal.call` (which passes arguments by position).

    ``max_redirects`` (``None``: the client's) is the caller's limit for this
    call; ``send`` reads it before its first checkpoint, so calls from other
    sessions sharing the client cannot see each other's.
    """
    if max_redirects is not None:
        client.max_redirects = max_redirects
    return await client.send(request, stream=stream, **send_options)


async def send_once(
    client: AsyncClient, request: Request, send_options: dict[str, Any]
) -> Response:
    """Open ``client``, send ``request`` reading its body, close the client: one hop."""
    async with client:
        return await client.send(request, stream=False, **send_options)


async def send_once_streaming(
    portal: Portal, client: AsyncClient, request: Request, send_options: dict[str, Any]
) -> tuple[Response, Callable[[], Awaitable[None]]]:
    """Open ``client`` for one streamed response, in one hop.

    Returns:
        The response (body unread) and the coroutine function that closes
        the client, to run in the loop once the response is closed.
    """
    owned = _OwnedClient(client, portal)
    await owned.open()
    try:
        response = await client.send(request, stream=True, **send_options)
    except BaseException:
        with trio.CancelScope(shield=True):
            await owned.close()
        raise
    return response, owned.close


def new_client(
    settings: ClientSettings,
    options: ClientOptions | None,
    *,
    cookies: Cookies,
    max_redirects: int,
    transport: AsyncBaseTransport | None = None,
    mounts: Mapping[str, AsyncBaseTransport] | None = None,
) -> AsyncClient:
    """The (unopened) client of a blocking session for these settings.

    Args:
        settings: TLS and proxy settings (``client_settings``).
        options: limits, retries, HTTP/2 and transport (``None``: defaults).
        cookies: the jar the client keeps cookies in.
        max_redirects: the redirect limit it starts with.
        transport: the transport when ``options`` names none.
        mounts: requests-style prefixes routed to other transports.
    """
    verify, cert, proxy_items, trust_env = settings
    if options is None:
        options = _SESSION_DEFAULTS
    client = AsyncClient(
        verify=verify,
        cert=cert,
        cookies=None,
        max_redirects=max_redirects,
        mounts={mount_pattern(p): t for p, t in mounts.items()} if mounts else None,
        transport=options.transport or transport,
        proxy=dict(proxy_items) if proxy_items else None,
        trust_env=trust_env,
        limits=options.limits,
        retries=options.retries,
        http2=options.http2,
    )
    # The session merges its own headers per request; the client adds none of
    # its defaults (a deleted session header stays gone). Its jar is the
    # session's. Both set before the loop owns the client.
    client.headers = Headers()
    client.cookies = cookies
    return client


@final
class _OwnedClient:
    """An AsyncClient opened and closed by its own task in the portal."""

    __slots__ = ("_close_requested", "_finished", "client", "portal")

    def __init__(self, client: AsyncClient, portal: Portal) -> None:
        self.client = client
        self.portal = portal
        self._close_requested: trio.Event | None = None
        self._finished: trio.Event | None = None

    async def open(self) -> None:
        self._close_requested = trio.Event()
        self._finished = trio.Event()
        await self.portal.nursery.start(self._own)

    async def _own(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        assert self._close_requested is not None and self._finished is not None
        try:
            async with self.client:
                task_status.started()
                await self._close_requested.wait()
        except Exception:
            pass
        finally:
            self._finished.set()

    def request_close_nowait(self) -> None:
        # Loop thread only.
        if self._close_requested is not None:
            self._close_requested.set()

    async def close(self) -> None:
        self.request_close_nowait()
        if self._finished is not None:
            await self._finished.wait()


# (settings, options, id of the cookie jar, mounts as items)
_ClientKey = tuple[ClientSettings, ClientOptions | None, int, tuple[tuple[str, Any], ...]]


def _close_nowait(owned_clients: dict[_ClientKey, _OwnedClient]) -> None:
    # Finalizer of an unclosed, garbage-collected session: tell the owner
    # tasks to close their clients, without waiting.
    for owned in list(owned_clients.values()):
        if not owned.portal.is_closed and owned.portal.pid == os.getpid():
            owned.portal.call_soon(owned.request_close_nowait)
    owned_clients.clear()


@final
class SessionClients:
    """A session's open clients, one per ``ClientSettings``, each owned in the portal.

    Safe to use from any thread. Clients left open when this object is
    garbage collected are told to close, without waiting.

    Args:
        transport: the transport every client sends through (``None``:
            the default pool).
    """

    __slots__ = ("__weakref__", "_lock", "_owned", "transport")

    def __init__(self, transport: AsyncBaseTransport | None) -> None:
        self.transport = transport
        self._owned: dict[_ClientKey, _OwnedClient] = {}
        self._lock = threading.Lock()
        weakref.finalize(self, _close_nowait, self._owned)

    def client_for(
        self,
        portal: Portal,
        settings: ClientSettings,
        *,
        cookies: Cookies,
        max_redirects: int,
        adapters: Mapping[str, AsyncBaseTransport] | None = None,
        options: ClientOptions | None = None,
    ) -> AsyncClient:
        """The open client for these settings, opened in ``portal`` on first use.

        One client per (settings, options, jar, mounts): a session that
        replaces its jar or mounts gets a new client, so an open one never
        changes. Blocks for one portal hop when a client is opened;
        otherwise never blocks.

        Args:
            portal: the loop the client must live in.
            settings: TLS and proxy settings.
            cookies: the session's jar, the client's own.
            max_redirects: the redirect limit a new client starts with (each
                call passes its own to :func:`send_request`).
            adapters: requests-style prefixes routed to transports.
            options: limits, retries, HTTP/2 and transport (``None``: defaults).
        """
        key = (settings, options, id(cookies), tuple(adapters.items()) if adapters else ())
        owned = self._owned.get(key)
        if owned is None or owned.portal is not portal:
            owned = self._open(portal, key, cookies, max_redirects, adapters)
        return owned.client

    def _open(
        self,
        portal: Portal,
        key: _ClientKey,
        cookies: Cookies,
        max_redirects: int,
        adapters: Mapping[str, AsyncBaseTransport] | None,
    ) -> _OwnedClient:
        with self._lock:
            owned = self._owned.get(key)
            if owned is None or owned.portal is not portal:
                settings, options = key[0], key[1]
                client = new_client(
                    settings,
                    options,
                    cookies=cookies,
                    max_redirects=max_redirects,
                    transport=self.transport,
                    mounts=adapters,
                )
                owned = _OwnedClient(client, portal)
                portal.call(owned.open)
                # The client holds the jar, so id(cookies) in the key cannot
                # be reused by another jar while the entry lives.
                self._owned[key] = owned
        return owned

    def all(self) -> list[AsyncClient]:
        """Every client currently open."""
        with self._lock:
            return [owned.client for owned in self._owned.values()]

    def close(self) -> None:
        """Close every client, waiting for each (one portal hop per client)."""
        with self._lock:
            owned_clients = list(self._owned.values())
            self._owned.clear()
        for owned in owned_clients:
            portal = owned.portal
            if portal.is_closed or portal.pid != os.getpid():
                continue
            portal.call(owned.close)

    def __len__(self) -> int:
        return len(self._owned)
