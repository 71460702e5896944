"""The one interface between the client and its transports.

Everything a transport may do is declared here, so the client calls it
without probing: send one request, close, be entered as an async context
manager, and run background housekeeping while the client is open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

from .._config import DEFAULT_TIMEOUT, Timeouts
from .._deadlines import Deadlines

if TYPE_CHECKING:
    from types import TracebackType

    from .._request import Request
    from .._response import Response

__all__ = ["AsyncBaseTransport", "request_deadlines"]


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
