"""requests-style module functions: ``trio_http.get(url)`` and friends.

Each call opens a :class:`Session`, sends one request and closes the
session, as requests' functions do; use a ``Session`` to reuse connections.
``parallel`` does the same for one blocking fan-out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar, overload

from ._parallel import ParallelItem
from ._session import in_new_session

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._request_options import (
        ParallelOptions,
        SessionGetOptions,
        SessionPostOptions,
        SessionPutOptions,
        SessionRequestOptions,
    )
    from ._response import Response
    from ._sync_parallel import Parallel
    from ._types import JSONTypes, QueryParamTypes, RequestData
    from ._urls import URL

__all__ = ["delete", "get", "head", "options", "parallel", "patch", "post", "put", "request"]

T = TypeVar("T")


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
