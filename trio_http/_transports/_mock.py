"""A transport that answers every request with a function, for stubbing."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, final

from .._response import Response
from ._base import AsyncBaseTransport

if TYPE_CHECKING:
    from .._request import Request

__all__ = ["MockHandler", "MockTransport"]

MockHandler = Callable[["Request"], "Response | Awaitable[Response]"]


@final
class MockTransport(AsyncBaseTransport):
    """Answer requests with ``handler(request)``, sync or async.

    The request body is read into memory first, so the handler can look at
    ``request.content``. The handler may also raise, for example
    :class:`~trio_http.ConnectTimeout`, to simulate a network failure::

        def handler(request: trio_http.Request) -> trio_http.Response:
            return trio_http.Response(200, content=request.url.path)

        client = trio_http.AsyncClient(transport=trio_http.MockTransport(handler))

    Works the same behind the blocking ``Session``: the handler then runs in
    its event-loop thread.

    Args:
        handler: a function, or an async function, from :class:`Request` to
            :class:`Response`.
    """

    def __init__(self, handler: MockHandler) -> None:
        self.handler = handler

    async def handle_async_request(self, request: Request) -> Response:
        """Read the request body, then return the handler's response.

        A checkpoint. Raises whatever the handler raises.
        """
        await request.aread()
        result = self.handler(request)
        response = await result if inspect.isawaitable(result) else result
        if not isinstance(response, Response):
            raise TypeError(
                f"the MockTransport handler must return a Response, not {type(response).__name__}"
            )
        if response.request is None:
            response.request = request
        return response
