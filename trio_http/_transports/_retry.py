"""Retrying requests: the waiting half of :mod:`trio_http._retries`.

:func:`send_with_retries` sends a request through a transport, asks the pure
:class:`~trio_http._retries.Attempts` whether a failure is worth another
try, sleeps the backoff with :func:`trio.sleep` and rewinds the body. A
retry that could not finish before the request's overall deadline is not
started: the last error is raised (or the last response returned) instead
of sleeping into a :class:`TotalTimeout`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, final

import trio

from .._retries import RETRYABLE_ERRORS, Retry
from ._base import AsyncBaseTransport, request_deadlines

if TYPE_CHECKING:
    from .._request import Request
    from .._response import Response
    from ._base import UpgradedStream

__all__ = ["RetryTransport", "send_with_retries"]


async def send_with_retries(
    transport: AsyncBaseTransport, request: Request, retry: Retry
) -> Response:
    """Send ``request`` through ``transport``, retrying as ``retry`` allows.

    A checkpoint. Cancellation during a backoff wait raises at once; an
    intermediate response is closed before waiting.

    Returns:
        The first response not retried (which may be an error status, when
        the retries for it were used up).

    Raises:
        RequestException: the last error, when it was not retried.
    """
    attempts = retry.new_attempts()
    deadlines = request_deadlines(request)
    forcelist = retry.status_forcelist
    while True:
        delay: float | None
        try:
            response = await transport.handle_async_request(request)
        except RETRYABLE_ERRORS as exc:
            delay = attempts.after_error(request, exc)
            if delay is None or deadlines.too_late(delay, trio.current_time()):
                raise
        else:
            if response.status_code not in forcelist:
                return response
            delay = attempts.after_response(
                request, response.status_code, response.headers, time.time()
            )
            if delay is None or deadlines.too_late(delay, trio.current_time()):
                return response
            await response.aclose()
        await trio.sleep(delay)
        request.stream.rewind()


@final
class RetryTransport(AsyncBaseTransport):
    """Wraps a transport and retries its failed requests.

    Args:
        transport: the transport that sends each try.
        retry: a :class:`Retry`, or a number of retries.

    Closing this transport closes ``transport``.
    """

    def __init__(self, transport: AsyncBaseTransport, retry: Retry | int = 3) -> None:
        self.transport = transport
        self.retry = Retry.from_value(retry) or Retry(total=0)

    async def handle_async_request(self, request: Request) -> Response:
        """Send ``request``, retrying as configured. A checkpoint."""
        return await send_with_retries(self.transport, request, self.retry)

    async def handle_async_upgrade(
        self, request: Request
    ) -> tuple[Response, UpgradedStream | None]:
        """An upgrade handshake through the wrapped transport, sent once. A checkpoint."""
        return await self.transport.handle_async_upgrade(request)

    async def run_housekeeping(
        self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Run the wrapped transport's housekeeping."""
        await self.transport.run_housekeeping(task_status=task_status)

    async def aclose(self) -> None:
        await self.transport.aclose()
