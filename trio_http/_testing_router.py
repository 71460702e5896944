"""The transport of :mod:`trio_http.testing`: requests answered by declared routes.

:class:`MockRouter` tries its routes in the order they were declared and
keeps what no route matched, so a test fails at teardown even when the code
under test swallowed the :class:`UnmatchedRequest`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, final

from ._request import Request
from ._response import Response
from ._testing_route import Call, Route
from ._transports._base import AsyncBaseTransport
from ._urls import URL

__all__ = ["MockRouter", "UnmatchedRequest"]


class UnmatchedRequest(AssertionError):
    """A request reached a :class:`MockRouter` and no route matched it."""

    def __init__(self, message: str, request: Request) -> None:
        super().__init__(message)
        self.request = request


@final
class MockRouter(AsyncBaseTransport):
    """A transport that answers requests from declared routes.

    Routes are tried in the order they were declared; the first match
    answers. Use it as ``AsyncClient(transport=router)``, mount it
    (``mounts={"all://api.example.com": router}``), or through the
    ``trio_http_mock`` fixture. The blocking ``Session`` takes it the same
    way.

    Args:
        assert_all_called: whether :meth:`assert_all_called` (run by the
            fixture at teardown) checks the required routes.
    """

    def __init__(self, *, assert_all_called: bool = True) -> None:
        self.routes: list[Route] = []
        self.unmatched: list[Request] = []
        self.calls: list[Call] = []
        self.check_all_called = assert_all_called

    def route(
        self,
        method: str | None = None,
        url: str | URL | None = None,
        *,
        url_prefix: str | None = None,
        url_regex: str | re.Pattern[str] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        name: str | None = None,
        required: bool = True,
    ) -> Route:
        """Declare a route; it answers ``200`` with no body until configured.

        Args:
            method: the HTTP method, or ``None`` for any.
            url: scheme, host, port and path must equal this URL's; its
                query parameters must all be present in the request.
            url_prefix: the full request URL must start with this.
            url_regex: ``re.search`` must find this in the full request URL.
            params: query parameters that must all be present.
            headers: request headers that must have these values.
            name: a label for failure messages.
            required: whether the route must be called (see
                :meth:`assert_all_called`).
        """
        route = Route(
            method,
            url,
            url_prefix=url_prefix,
            url_regex=url_regex,
            params=params,
            headers=headers,
            name=name,
            required=required,
        )
        self.routes.append(route)
        return route

    def get(self, url: str | URL | None = None, **kwargs: Any) -> Route:
        """Declare a GET route; arguments as for :meth:`route`."""
        return self.route("GET", url, **kwargs)

    def post(self, url: str | URL | None = None, **kwargs: Any) -> Route:
        """Declare a POST route; arguments as for :meth:`route`."""
        return self.route("POST", url, **kwargs)

    def put(self, url: str | URL | None = None, **kwargs: Any) -> Route:
        """Declare a PUT route; arguments as for :meth:`route`."""
        return self.route("PUT", url, **kwargs)

    def patch(self, url: str | URL | None = None, **kwargs: Any) -> Route:
        """Declare a PATCH route; arguments as for :meth:`route`."""
        return self.route("PATCH", url, **kwargs)

    def delete(self, url: str | URL | None = None, **kwargs: Any) -> Route:
        """Declare a DELETE route; arguments as for :meth:`route`."""
        return self.route("DELETE", url, **kwargs)

    def head(self, url: str | URL | None = None, **kwargs: Any) -> Route:
        """Declare a HEAD route; arguments as for :meth:`route`."""
        return self.route("HEAD", url, **kwargs)

    def options(self, url: str | URL | None = None, **kwargs: Any) -> Route:
        """Declare an OPTIONS route; arguments as for :meth:`route`."""
        return self.route("OPTIONS", url, **kwargs)

    async def handle_async_request(self, request: Request) -> Response:
        """Answer ``request`` from the first matching route.

        A checkpoint. The request body is read first, so routes and tests
        can look at ``request.content``.

        Raises:
            UnmatchedRequest: no route matches.
        """
        await request.aread()
        for route in self.routes:
            if route.matches(request):
                try:
                    response = await route.answer(request)
                finally:
                    self.calls.append(route.calls[-1])
                return response
        self.unmatched.append(request)
        declared = "\n".join(f"  {route!r}" for route in self.routes) or "  (none)"
        raise UnmatchedRequest(
            f"no mocked route matches {request.method} {request.url}; routes:\n{declared}",
            request,
        )

    def assert_all_called(self) -> None:
        """Fail unless every required route was called and nothing went unmatched.

        Raises:
            AssertionError: naming the routes never called and the
                unmatched requests.
        """
        problems = []
        if self.check_all_called:
            problems += [
                f"route never called: {route!r}"
                for route in self.routes
                if route.required and not route.called
            ]
        problems += [
            f"request matched no route: {request.method} {request.url}"
            for request in self.unmatched
        ]
        if problems:
            raise AssertionError("\n".join(problems))

    def reset(self) -> None:
        """Forget every recorded call and unmatched request; keep the routes."""
        for route in self.routes:
            route.reset()
        self.calls.clear()
        self.unmatched.clear()
