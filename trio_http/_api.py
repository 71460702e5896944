"""requests-style module functions: ``trio_http.get(url)`` and friends.

Each call sends one request with a session of its own, as requests'
functions do; use a ``Session`` to reuse connections. The call's client is
opened, used and closed in one trip to the loop thread
(:func:`~._sync_loop.send_once`); a streamed response keeps it open until
the response is closed. ``parallel`` does the same for one blocking
fan-out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar, final, overload

from ._session import Session
from ._sync_loop import StreamPump, new_client, send_once, send_once_streaming

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._adapter_options import ClientOptions
    from ._client import AsyncClient
    from ._parallel import ParallelItem
    from ._portal import Portal
    from ._request import Request
    from ._request_options import (
        ParallelOptions,
        SessionGetOptions,
        SessionPostOptions,
        SessionPutOptions,
        SessionRequestOptions,
    )
    from ._response import Response
    from ._sync_options import ClientSettings
    from ._sync_parallel import Parallel
    from ._types import JSONTypes, QueryParamTypes, RequestData
    from ._urls import URL

__all__ = [
    "delete",
    "get",
    "head",
    "in_new_session",
    "options",
    "parallel",
    "patch",
    "post",
    "put",
    "request",
]

T = TypeVar("T")


@final
class _OneShotSession(Session):
    """The session of one module-level call (``trio_http.get``).

    Its request opens a client, sends and closes the client in one hop
    (:func:`~._sync_loop.send_once`); a streamed response keeps its client
    open until the response is closed. A parallel() iterator uses the
    session's clients, closed with the iterator.
    """

    def _request_client(
        self, portal: Portal, settings: ClientSettings, options: ClientOptions
    ) -> AsyncClient:
        return new_client(
            settings,
            options,
            cookies=self._session_jar(),
            max_redirects=self.max_redirects,
            transport=self._clients.transport,
            mounts=self._transport_mounts(),
        )

    def _exchange(
        self,
        portal: Portal,
        client: AsyncClient,
        request: Request,
        stream: bool,
        send_options: dict[str, Any],
    ) -> tuple[Response, StreamPump | None]:
        if not stream:
            return portal.call(send_once, client, request, send_options), None
        sent, close_client = portal.call(send_once_streaming, portal, client, request, send_options)
        pump = StreamPump(portal, sent, close_client)
        sent.attach_blocking_body(pump)
        return sent, pump

    def _parallel_closed(self) -> None:
        self.close()


def in_new_session(call: Callable[[Session], T]) -> T:
    """``call(session)`` with a session of its own: ``trio_http.get()`` and friends.

    ``call`` makes one request or starts one ``parallel()``; what it opens
    is closed once that is done (a streamed response or a parallel iterator
    keeps it open until it is closed), or at once if ``call`` raises.
    """
    one_shot = _OneShotSession()
    try:
        return call(one_shot)
    except BaseException:
        one_shot.close()
        raise


def request(method: str, url: str | URL, **kwargs: Unpack[SessionRequestOptions]) -> Response:
    """Send one request in a fresh :class:`Session` (blocking).

    Keyword arguments are those of :meth:`Session.request`. A streamed
    response (``stream=True``) stays readable after the session closes,
    until the response is closed.

    Raises:
        RequestException: one subclass per failure.
    """
    return in_new_session(lambda session: session.request(method, url, **kwargs))


def get(
    url: str | URL, params: QueryParamTypes | None = None, **kwargs: Unpack[SessionGetOptions]
) -> Response:
    """Send a GET request; see :func:`request`."""
    return request("GET", url, params=params, **kwargs)


def options(url: str | URL, **kwargs: Unpack[SessionRequestOptions]) -> Response:
    """Send an OPTIONS request; see :func:`request`."""
    return request("OPTIONS", url, **kwargs)


def head(url: str | URL, **kwargs: Unpack[SessionRequestOptions]) -> Response:
    """Send a HEAD request (redirects not followed by default); see :func:`request`."""
    kwargs.setdefault("allow_redirects", False)
    return request("HEAD", url, **kwargs)


def post(
    url: str | URL,
    data: RequestData | None = None,
    json: JSONTypes = None,
    **kwargs: Unpack[SessionPostOptions],
) -> Response:
    """Send a POST request; see :func:`request`."""
    return request("POST", url, data=data, json=json, **kwargs)


def put(
    url: str | URL, data: RequestData | None = None, **kwargs: Unpack[SessionPutOptions]
) -> Response:
    """Send a PUT request; see :func:`request`."""
    return request("PUT", url, data=data, **kwargs)


def patch(
    url: str | URL, data: RequestData | None = None, **kwargs: Unpack[SessionPutOptions]
) -> Response:
    """Send a PATCH request; see :func:`request`."""
    return request("PATCH", url, data=data, **kwargs)


def delete(url: str | URL, **kwargs: Unpack[SessionRequestOptions]) -> Response:
    """Send a DELETE request; see :func:`request`."""
    return request("DELETE", url, **kwargs)


@overload
def parallel(
    requests: Iterable[ParallelItem],
    *,
    handler: None = ...,
    **options: Unpack[ParallelOptions],
) -> Parallel[Response]: ...


@overload
def parallel(
    requests: Iterable[ParallelItem],
    *,
    handler: Callable[[Response], Awaitable[T]],
    **options: Unpack[ParallelOptions],
) -> Parallel[T]: ...


# Any: the overloads above give the result type (Response or the handler's).
def parallel(
    requests: Iterable[ParallelItem],
    *,
    handler: Callable[[Response], Awaitable[Any]] | None = None,
    **options: Unpack[ParallelOptions],
) -> Parallel[Any]:
    """Send many requests concurrently with a temporary :class:`Session`.

    ``for result in trio_http.parallel(urls, max_in_flight=20): ...``. The
    session is closed when the iteration ends or the iterator is closed.
    Arguments as for :meth:`AsyncClient.parallel`.
    """
    return in_new_session(lambda session: session.parallel(requests, handler=handler, **options))
