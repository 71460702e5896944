"""One request's way through redirects and auth challenges, around single exchanges.

How this works. :func:`send_following` sends a request with a given
``send_one`` (the client's single exchange: cookies, hooks, transport) and,
while the response is a redirect to follow, asks the pure
:func:`~._redirects.build_redirect_request` for the next hop. On the origin
the request started at, an :class:`~._auth.Auth` flow generator drives the
exchange instead (:func:`_send_with_auth`): it may look at a response and
ask for the request again (a Digest challenge, say). Intermediate responses
are drained (a small body is read, so the connection is reused) and kept in
``history``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ._exceptions import RequestException
from ._redirects import build_redirect_request

if TYPE_CHECKING:
    from ._auth import Auth
    from ._request import Request
    from ._response import Response

__all__ = ["REDIRECT_BODY_DRAIN_MAX", "read_or_close", "send_following"]

# A redirect's own body is read (to keep the connection) only up to this size.
REDIRECT_BODY_DRAIN_MAX = 64 * 1024

SendOne = Callable[["Request"], Awaitable["Response"]]


async def send_following(
    send_one: SendOne,
    request: Request,
    auth: Auth | None,
    follow_redirects: bool,
    max_redirects: int,
) -> Response:
    """Send ``request``, following redirects and answering auth challenges.

    A checkpoint. The final response's ``history`` holds the hops before it;
    when redirects are not followed, a redirect's ``next_request`` is set.

    Raises:
        TooManyRedirects: more than ``max_redirects`` hops.
    """
    history: list[Response] = []
    origin = request.url.origin
    while True:
        if auth is None or request.url.origin != origin:
            # No auth on this hop: one coroutine layer less per request.
            response = await send_one(request)
        else:
            response = await _send_with_auth(send_one, request, auth, history)
        if not follow_redirects or not response.is_redirect:
            response.history = history
            if response.is_redirect:
                response.next_request = _next_hop(request, response, history, max_redirects)
            return response
        try:
            next_request = _next_hop(request, response, history, max_redirects)
        except BaseException:
            await response.aclose()
            raise
        await _drain(response)
        history.append(response)
        request = next_request


def _next_hop(
    request: Request, response: Response, history: list[Response], max_redirects: int
) -> Request:
    next_request = build_redirect_request(
        request, response, history=history, max_redirects=max_redirects
    )
    next_request.extensions = request.extensions
    next_request.deadlines = request.deadlines
    return next_request


async def _send_with_auth(
    send_one: SendOne, request: Request, auth: Auth, history: list[Response]
) -> Response:
    if auth.requires_request_body:
        await request.aread()
    flow = auth.auth_flow(request)
    next_request = next(flow)
    while True:
        response = await send_one(next_request)
        if auth.requires_response_body:
            await response.aread()
        try:
            next_request = flow.send(response)
        except StopIteration:
            return response
        except BaseException:
            await response.aclose()
            raise
        next_request.extensions = request.extensions
        next_request.deadlines = request.deadlines
        try:
            # The retry sends the body again (a file is sought back).
            next_request.stream.rewind()
        except BaseException:
            await response.aclose()
            raise
        await _drain(response)
        response.history = list(history)
        history.append(response)


async def read_or_close(response: Response) -> None:
    """Read the body; on any error or cancellation close the response. A checkpoint."""
    try:
        await response.aread()
    except BaseException:
        await response.aclose()
        raise


async def _drain(response: Response) -> None:
    """Finish with an intermediate response (redirect, auth challenge).

    A small body is read so the connection can be reused; a large one is
    not worth the bytes, so the connection is closed instead.
    """
    length = response.headers.get("Content-Length")
    if length is not None and length.isdigit() and int(length) <= REDIRECT_BODY_DRAIN_MAX:
        try:
            async for _ in response.aiter_raw():
                pass
        except RequestException:
            pass
    await response.aclose()
