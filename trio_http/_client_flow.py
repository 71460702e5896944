"""One request's way through redirects and auth challenges, within its overall deadline.

How this works. :func:`send_whole` runs everything under one cancel scope
for the overall deadline (``Timeouts.total``): pool wait, DNS, connect, TLS,
every redirect hop and, unless streaming, the body. :func:`send_following`
sends a request with a given ``send_one`` (the client's single exchange:
cookies, hooks, transport) and,
while the response is a redirect to follow, asks the pure
:func:`~._redirects.build_redirect_request` for the next hop. On the origin
the request started at, an :class:`~._auth.Auth` flow generator drives the
exchange instead (:func:`_send_with_auth`): it may look at a response and
ask for the request again (a Digest challenge, say); on later hops it gets
``Auth._redirect_flow``, and the ``Authorization`` a flow computed is not
carried to the next hop. Intermediate responses are drained (a small body
is read, so the connection is reused) and kept in ``history`` in requests'
shape (see :func:`send_following`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING

import trio

from ._exceptions import RequestException
from ._redirects import build_redirect_request

if TYPE_CHECKING:
    from ._auth import Auth
    from ._request import Request
    from ._response import Response

__all__ = [
    "REDIRECT_BODY_DRAIN_MAX",
    "failure_checkpoint",
    "read_or_close",
    "send_following",
    "send_whole",
]

# A redirect's own body is read (to keep the connection) only up to this size.
REDIRECT_BODY_DRAIN_MAX = 64 * 1024

SendOne = Callable[["Request"], Awaitable["Response"]]


async def send_whole(
    send_one: SendOne,
    request: Request,
    auth: Auth | None,
    follow_redirects: bool,
    max_redirects: int,
    *,
    stream: bool,
) -> Response:
    """Send ``request`` (redirects, auth) within its overall deadline.

    ``request.deadlines`` must be set. Unless ``stream``, the final body is
    read too. A checkpoint.

    Raises:
        TotalTimeout: the overall deadline passed.
    """
    deadlines = request.deadlines
    assert deadlines is not None
    response: Response | None = None
    if not deadlines.has_total:
        # No overall deadline: skip the cancel scope (per-request cost).
        response = await send_following(send_one, request, auth, follow_redirects, max_redirects)
        if not stream:
            await read_or_close(response)
        return response
    with trio.CancelScope(deadline=deadlines.total) as scope:
        response = await send_following(send_one, request, auth, follow_redirects, max_redirects)
        if not stream:
            await read_or_close(response)
    if scope.cancelled_caught:
        if response is not None:
            await response.aclose()
        what = "sending the request and reading its response"
        raise deadlines.expired("read", deadlines.total, what, request)
    assert response is not None
    return response


async def failure_checkpoint() -> None:
    """The checkpoint of a request that failed, before its error is raised.

    A loop that goes on to its next request after an error must still let
    other tasks run (a dying connection's tasks among them). A cancellation
    that is already pending wins; one arriving during the yield does not
    replace the error, so a fan-out cancelling its siblings still sees
    each one's own failure.
    """
    await trio.lowlevel.checkpoint_if_cancelled()
    await trio.lowlevel.cancel_shielded_checkpoint()


async def send_following(
    send_one: SendOne,
    request: Request,
    auth: Auth | None,
    follow_redirects: bool,
    max_redirects: int,
) -> Response:
    """Send ``request``, following redirects and answering auth challenges.

    A checkpoint. The final response's ``history`` holds, oldest first, the
    redirects followed or, when there were none, the auth challenges
    answered (requests' shape: its digest hook keeps the challenge in the
    history of the answer, and following a redirect replaces that history).
    Each of those responses' own ``history`` holds the entries before it.
    When redirects are not followed, a redirect's ``next_request`` is set.

    Raises:
        TooManyRedirects: more than ``max_redirects`` hops; its ``response``
            (the redirect not followed) has the whole chain as ``history``.
    """
    history: list[Response] = []  # the redirects followed
    origin = request.url.origin
    # The Authorization the caller set, before any auth flow wrote its own.
    caller_authorization = request.headers.get("Authorization")
    while True:
        challenges: list[Response] = []
        if auth is None or request.url.origin != origin:
            # No auth on this hop: one coroutine layer less per request.
            response = await send_one(request)
        else:
            flow = auth._redirect_flow(request) if history else auth.auth_flow(request)
            response = await _send_with_auth(send_one, request, auth, flow, challenges)
        if not follow_redirects or not response.is_redirect:
            response.history = history if history else challenges
            if response.is_redirect:
                response.next_request = _next_hop(request, response, history, max_redirects)
                if auth is not None:
                    _restore_authorization(response.next_request, caller_authorization)
            return response
        response.history = history[:]
        try:
            next_request = _next_hop(request, response, history, max_redirects)
        except BaseException:
            await response.aclose()
            raise
        if auth is not None:
            _restore_authorization(next_request, caller_authorization)
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


def _restore_authorization(next_request: Request, caller_authorization: str | None) -> None:
    # What an auth flow computed belongs to its hop (a Digest answer covers
    # its method and URI): a redirect starts from the caller's own header,
    # and its own flow adds what it needs. A header the redirect rules
    # stripped (another origin) stays stripped.
    if "Authorization" not in next_request.headers:
        return
    if caller_authorization is None:
        del next_request.headers["Authorization"]
    else:
        next_request.headers["Authorization"] = caller_authorization


async def _send_with_auth(
    send_one: SendOne,
    request: Request,
    auth: Auth,
    flow: Generator[Request, Response, None],
    challenges: list[Response],
) -> Response:
    """Drive ``flow`` on one hop; the responses it answered go to ``challenges``."""
    if auth.requires_request_body:
        await request.aread()
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
        response.history = challenges[:]
        challenges.append(response)


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
