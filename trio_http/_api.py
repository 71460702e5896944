"""requests-style module functions: ``trio_http.get(url)`` and friends.

Each call opens a :class:`Session`, sends one request and closes the
session, as requests' functions do; use a ``Session`` to reuse connections.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._sync import Session, _StreamPump

if TYPE_CHECKING:
    from ._models import Response
    from ._urls import URL

__all__ = ["delete", "get", "head", "options", "patch", "post", "put", "request"]


def request(method: str, url: str | URL, **kwargs: Any) -> Response:
    """Send one request in a fresh :class:`Session` (blocking).

    Keyword arguments are those of :meth:`Session.request`. A streamed
    response (``stream=True``) stays readable after the session closes,
    until the response is closed.

    Raises:
        RequestException: one subclass per failure.
    """
    session = Session()
    try:
        response = session.request(method, url, **kwargs)
    except BaseException:
        session.close()
        raise
    body = response._blocking
    if body is not None and not response.is_closed and isinstance(body, _StreamPump):
        # The connection must outlive this call: close the session with the body.
        body.after_close = session.close
    else:
        session.close()
    return response


def get(url: str | URL, params: Any = None, **kwargs: Any) -> Response:
    """Send a GET request; see :func:`request`."""
    return request("GET", url, params=params, **kwargs)


def options(url: str | URL, **kwargs: Any) -> Response:
    """Send an OPTIONS request; see :func:`request`."""
    return request("OPTIONS", url, **kwargs)


def head(url: str | URL, **kwargs: Any) -> Response:
    """Send a HEAD request (redirects not followed by default); see :func:`request`."""
    kwargs.setdefault("allow_redirects", False)
    return request("HEAD", url, **kwargs)


def post(url: str | URL, data: Any = None, json: Any = None, **kwargs: Any) -> Response:
    """Send a POST request; see :func:`request`."""
    return request("POST", url, data=data, json=json, **kwargs)


def put(url: str | URL, data: Any = None, **kwargs: Any) -> Response:
    """Send a PUT request; see :func:`request`."""
    return request("PUT", url, data=data, **kwargs)


def patch(url: str | URL, data: Any = None, **kwargs: Any) -> Response:
    """Send a PATCH request; see :func:`request`."""
    return request("PATCH", url, data=data, **kwargs)


def delete(url: str | URL, **kwargs: Any) -> Response:
    """Send a DELETE request; see :func:`request`."""
    return request("DELETE", url, **kwargs)
