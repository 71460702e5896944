"""What the blocking API runs in the portal's loop thread.

How this works. An ``AsyncClient`` must be entered and exited by one task,
so each client a session uses is owned by a small task in the portal's
nursery that opens it, waits for the session to close and closes it
(:class:`SessionClients`). Requests from any number of threads run as
their own tasks beside it (:func:`send_request`, one portal hop each).

A streamed response (``stream=True``) reads its body through a
:class:`StreamPump`: a task in the loop that reads ahead into a bounded
buffer, so that each blocking read takes everything buffered in one hop.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, final

import trio

from ._client import AsyncClient
from ._headers import Headers
from ._sync_options import ClientSettings, mount_pattern

if TYPE_CHECKING:
    from ._cookies import Cookies
    from ._portal import Portal
    from ._request import Request
    from ._response import Response
    from ._transports._base import AsyncBaseTransport

__all__ = ["STREAM_READ_AHEAD", "SessionClients", "StreamPump", "send_request"]

STREAM_READ_AHEAD = 1024 * 1024  # bytes a streamed body may read ahead of its reader


async def send_request(
    client: AsyncClient, request: Request, stream: bool, send_options: dict[str, Any]
) -> Response:
    """``client.send``, for :meth:`Portal.call` (which passes arguments by position)."""
    return await client.send(request, stream=stream, **send_options)


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


def _close_nowait(owned_clients: dict[ClientSettings, _OwnedClient]) -> None:
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

    __slots__ = ("__weakref__", "_lock", "_owned", "_transport")

    def __init__(self, transport: AsyncBaseTransport | None) -> None:
        self._transport = transport
        self._owned: dict[ClientSettings, _OwnedClient] = {}
        self._lock = threading.Lock()
        weakref.finalize(self, _close_nowait, self._owned)

    def client_for(
        self,
        portal: Portal,
        settings: ClientSettings,
        *,
        cookies: Cookies,
        max_redirects: int,
        adapters: Mapping[str, AsyncBaseTransport],
    ) -> AsyncClient:
        """The open client for ``settings``, opened in ``portal`` on first use.

        Every client is handed ``cookies`` (the session's jar) and the
        ``max_redirects`` in force. Blocks for one portal hop when a client
        is opened; otherwise never blocks.

        Args:
            portal: the loop the client must live in.
            settings: what the client is built with.
            cookies: the session's jar, shared by all its clients.
            max_redirects: the session's redirect limit.
            adapters: the session's mounts, as requests' prefixes.
        """
        owned = self._owned.get(settings)
        if owned is None or owned.portal is not portal:
            owned = self._open(portal, settings, max_redirects, adapters)
        client = owned.client
        if client.cookies is not cookies:
            for each in self.all():
                each.cookies = cookies
        if client.max_redirects != max_redirects:
            client.max_redirects = max_redirects
        return client

    def _open(
        self,
        portal: Portal,
        settings: ClientSettings,
        max_redirects: int,
        adapters: Mapping[str, AsyncBaseTransport],
    ) -> _OwnedClient:
        with self._lock:
            owned = self._owned.get(settings)
            if owned is None or owned.portal is not portal:
                verify, cert, proxy_items, trust_env = settings
                client = AsyncClient(
                    verify=verify,
                    cert=cert,
                    cookies=None,
                    max_redirects=max_redirects,
                    mounts={mount_pattern(p): t for p, t in adapters.items()},
                    transport=self._transport,
                    proxy=dict(proxy_items) if proxy_items else None,
                    trust_env=trust_env,
                )
                # The session merges its own headers per request; the client
                # adds none of its defaults (a deleted session header stays gone).
                client.headers = Headers()
                owned = _OwnedClient(client, portal)
                portal.call(owned.open)
                self._owned[settings] = owned
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


@final
class StreamPump:
    """Reads a streamed response body ahead of its blocking reader.

    Implements :class:`~trio_http._body.BlockingBody` through the portal:
    :meth:`read_batch` and :meth:`close` are called by the reader's thread
    and each make one hop.

    Attributes:
        after_close: called on the reader's thread once the body is closed.
    """

    __slots__ = (
        "_buffered",
        "_chunks",
        "_data_ready",
        "_done",
        "_error",
        "_portal",
        "_response",
        "_room",
        "_scope",
        "_started",
        "after_close",
    )

    def __init__(self, portal: Portal, response: Response) -> None:
        self._portal = portal
        self._response = response
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._done = False
        self._error: BaseException | None = None
        self._started = False
        self._scope: trio.CancelScope | None = None
        self._data_ready: trio.Event | None = None
        self._room: trio.Event | None = None
        self.after_close: Callable[[], None] | None = None

    # -- called from the reader's thread ---------------------------------

    def read_batch(self) -> list[bytes]:
        return self._portal.call(self._take)

    def close(self) -> None:
        try:
            if not self._portal.is_closed:
                self._portal.call(self._aclose)
        finally:
            after_close, self.after_close = self.after_close, None
            if after_close is not None:
                after_close()

    # -- loop side --------------------------------------------------------

    async def _pump(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        with trio.CancelScope() as scope:
            self._scope = scope
            task_status.started()
            try:
                async for chunk in self._response.stream:
                    self._chunks.append(chunk)
                    self._buffered += len(chunk)
                    self._wake_reader()
                    while self._buffered >= STREAM_READ_AHEAD:
                        self._room = trio.Event()
                        await self._room.wait()
            except Exception as exc:
                self._error = exc
        self._done = True
        self._wake_reader()

    def _wake_reader(self) -> None:
        if self._data_ready is not None:
            self._data_ready.set()

    async def _take(self) -> list[bytes]:
        if not self._started:
            self._started = True
            await self._portal.nursery.start(self._pump)
        while not self._chunks and not self._done:
            self._data_ready = trio.Event()
            await self._data_ready.wait()
        self._data_ready = None
        if self._chunks:
            batch = list(self._chunks)
            self._chunks.clear()
            self._buffered = 0
            if self._room is not None:
                self._room.set()
            return batch
        error, self._error = self._error, None
        if error is not None:
            raise error
        return []

    async def _aclose(self) -> None:
        if self._scope is not None:
            self._scope.cancel()
        self._done = True
        await self._response.aclose()
