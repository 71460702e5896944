"""The one interface between the client and its transports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import TracebackType

    from .._models import Request, Response

__all__ = ["AsyncBaseTransport"]


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

    async def __aenter__(self) -> AsyncBaseTransport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
