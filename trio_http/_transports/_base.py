"""The one interface between the client and its transports.

Everything a transport may do is declared here, so the client calls it
without probing: send one request, close, be entered as an async context
manager, and run background housekeeping while the client is open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import trio

from .._config import DEFAULT_TIMEOUT, Timeouts
from .._deadlines import Deadlines
from .._exceptions import WebSocketError

if TYPE_CHECKING:
    from types import TracebackType

    from .._request import Request
    from .._response import Response

__all__ = ["AsyncBaseTransport", "UpgradedStream", "request_deadlines"]


class UpgradedStream(Protocol):
    """The raw byte stream of a connection after a successful upgrade handshake.

    What :meth:`AsyncBaseTransport.handle_async_upgrade` returns: over
    HTTP/1.1 the connection itself (after the 101), over HTTP/2 one
    extended-CONNECT stream (RFC 8441), in process a stream an app serves.
    """

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """Send every byte of ``data``. A checkpoint."""

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        """Some bytes, or ``b""`` once the peer has finished sending. A checkpoint."""

    async def aclose(self) -> None:
        """Close the stream: bounded, idempotent, silent for a dead stream. A checkpoint."""


def request_deadlines(request: Request) -> Deadlines:
    """The :class:`Deadlines` that ``request`` is sent under.

    ``AsyncClient.send`` sets them. A request handed to a transport directly
    gets them on first use, from its ``timeout`` extension or the default
    timeouts, the overall deadline counting from now: the same rules.
    """
    deadlines = request.deadlines
    if deadlines is None:
        timeouts = Timeouts.from_value(request.extensions.get("timeout", DEFAULT_TIMEOUT))
        deadlines = request.deadlines = Deadlines.start(timeouts, trio.current_time())
    return deadlines


class AsyncBaseTransport:
    """Sends one request and returns its response.

    The response's ``stream`` is an async byte stream that the caller must
    ``aclose()``; until then the transport may hold a connection for it.
    """

    async def handle_async_request(self, request: Request) -> Response:
        """Send ``request`` and return the response with its body unread.

        A checkpoint. Cancellation leaves the transport consistent: any
        connection in an unknown state is closed.
        """
        raise NotImplementedError  # pragma: no cover

    async def handle_async_upgrade(
        self, request: Request
    ) -> tuple[Response, UpgradedStream | None]:
        """Send the upgrade handshake ``request``; return the response and, on success, the stream.

        ``request`` is a WebSocket handshake in HTTP/1.1 form (``GET`` with
        ``Upgrade: websocket``; ``request.extensions["upgrade"]`` names the
        protocol). Success is a 101 over HTTP/1.1 and a 2xx over HTTP/2;
        on refusal the stream is None and the response's body is readable.
        The caller owns the stream and must ``aclose()`` it.

        A checkpoint. This default cannot upgrade.

        Raises:
            WebSocketError: this transport cannot open WebSockets.
        """
        await trio.lowlevel.checkpoint()
        raise WebSocketError(f"{type(self).__name__} cannot open WebSockets", request=request)

    async def aclose(self) -> None:
        """Close every connection this transport holds. A checkpoint."""

    async def run_housekeeping(
        self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Background work for the transport's life (idle expiry, HTTP/2 tasks).

        The client starts it with ``nursery.start`` in its own nursery after
        entering the transport, and cancels it on exit. This default has
        nothing to do: it reports itself started and returns.
        """
        task_status.started()

    async def __aenter__(self) -> AsyncBaseTransport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
