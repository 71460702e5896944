"""Stub HTTP services in tests: a request router and a pytest fixture.

A :class:`MockRouter` is a transport. Declare routes by method and URL, give
each a canned response, a function or an exception, send requests through
it, then check what was called::

    router = MockRouter()
    users = router.get("https://api.example.com/users", params={"page": "2"})
    users.respond(200, json=[{"id": 1}])
    router.post(url_prefix="https://api.example.com/upload").raises(trio_http.ConnectTimeout)

    async with trio_http.AsyncClient(transport=router) as client:
        r = await client.get("https://api.example.com/users?page=2")
    assert users.call_count == 1
    assert users.calls[0].request.url.query == "page=2"

A request no route matches raises :class:`UnmatchedRequest` (an
``AssertionError``), and is remembered: :meth:`MockRouter.assert_all_called`
also fails if one happened, even if the code under test swallowed the error.

The ``trio_http_mock`` pytest fixture gives a fresh router per test, makes
every client the test creates without an explicit ``transport=`` use it (so
code under test that builds its own ``AsyncClient`` or ``Session`` is
stubbed too), and asserts at teardown that every required route was called
and no request went unmatched. Enable it with::

    # conftest.py
    pytest_plugins = ["trio_http.testing"]
"""

from __future__ import annotations

import inspect
import json as jsonlib
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, final

from ._headers import Headers
from ._request import Request
from ._response import Response
from ._transports._base import AsyncBaseTransport
from ._transports._default import set_pool_factory
from ._urls import URL

__all__ = ["Call", "MockRouter", "Route", "UnmatchedRequest", "mock_response", "trio_http_mock"]

SideEffect = Callable[[Request], "Response | Awaitable[Response]"]


class UnmatchedRequest(AssertionError):
    """A request reached a :class:`MockRouter` and no route matched it."""

    def __init__(self, message: str, request: Request) -> None:
        super().__init__(message)
        self.request = request


def mock_response(
    status_code: int = 200,
    *,
    json: Any = None,
    text: str | None = None,
    content: bytes | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
) -> Response:
    """Build a response with its body in memory.

    Args:
        status_code: the status.
        json: a value to send as JSON (sets ``Content-Type``).
        text: a UTF-8 text body (sets ``Content-Type`` to ``text/plain``).
        content: a raw body.
        headers: more response headers; they win over the defaults.
    """
    response_headers = Headers()
    body = b""
    if json is not None:
        body = jsonlib.dumps(json).encode("utf-8")
        response_headers["Content-Type"] = "application/json"
    elif text is not None:
        body = text.encode("utf-8")
        response_headers["Content-Type"] = "text/plain; charset=utf-8"
    elif content is not None:
        body = content
    response_headers["Content-Length"] = str(len(body))
    if headers is not None:
        for name, value in headers.items() if isinstance(headers, Mapping) else headers:
            response_headers[name] = value
    return Response(status_code, headers=response_headers, content=body)


@final
@dataclass(frozen=True, slots=True)
class Call:
    """One request a route answered, and what it answered with.

    ``response`` is ``None`` when the route raised an exception.
    """

    request: Request
    response: Response | None


def _copy_response(template: Response) -> Response:
    # Each call gets its own Response: clients set attributes on it.
    return Response(
        template.status_code,
        headers=template.headers.copy(),
        content=template.content,
        reason_phrase=template.reason_phrase,
        http_version=template.http_version,
    )


@final
class Route:
    """One stubbed endpoint of a :class:`MockRouter`.

    Build routes with the router's methods; configure the answer with
    :meth:`respond`, :meth:`raises` or :meth:`side_effect`.

    Attributes:
        name: an optional label shown in failure messages.
        required: whether :meth:`MockRouter.assert_all_called` demands a call.
        calls: the :class:`Call` records, oldest first.
    """

    def __init__(
        self,
        method: str | None,
        url: str | URL | None,
        *,
        url_prefix: str | None,
        url_regex: str | re.Pattern[str] | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        name: str | None,
        required: bool,
    ) -> None:
        self.method = method.upper() if method else None
        self.name = name
        self.required = required
        self._url: URL | None = None
        self._params: list[tuple[str, str]] = []
        if url is not None:
            parsed = URL(url)
            self._url = parsed
            self._params = list(parsed.params)
        if params:
            self._params.extend(params.items())
        self._prefix = url_prefix
        self._regex = re.compile(url_regex) if isinstance(url_regex, str) else url_regex
        self._headers = list(headers.items()) if headers else []
        self._answers: list[Response | BaseException | type[BaseException] | SideEffect] = [
            mock_response(200)
        ]
        self._repeat_last = True
        self.calls: list[Call] = []

    # -- configuring --------------------------------------------------------

    def respond(
        self,
        status_code: int = 200,
        *,
        json: Any = None,
        text: str | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    ) -> Route:
        """Answer every call with this response (see :func:`mock_response`).

        Returns:
            the route, so declarations read as one line.
        """
        response = mock_response(
            status_code, json=json, text=text, content=content, headers=headers
        )
        self._answers = [response]
        return self

    def raises(self, exception: BaseException | type[BaseException]) -> Route:
        """Raise ``exception`` (an instance or a class) on every call."""
        self._answers = [exception]
        return self

    def side_effect(self, function: SideEffect) -> Route:
        """Answer with ``function(request)``, sync or async, on every call."""
        self._answers = [function]
        return self

    def respond_in_turn(
        self, *answers: Response | BaseException | type[BaseException] | SideEffect
    ) -> Route:
        """Answer call *n* with ``answers[n]``; calls past the end fail.

        Each answer is a :class:`Response` (see :func:`mock_response`), an
        exception to raise, or a function of the request.
        """
        if not answers:
            raise ValueError("respond_in_turn needs at least one answer")
        self._answers = list(answers)
        self._repeat_last = False
        return self

    # -- matching and answering ---------------------------------------------

    def matches(self, request: Request) -> bool:
        """Whether this route answers ``request``. Not a checkpoint."""
        if self.method is not None and request.method != self.method:
            return False
        url = request.url
        expected = self._url
        if expected is not None and (
            url.scheme != expected.scheme
            or url.host != expected.host
            or url.effective_port != expected.effective_port
            or (url.path or "/") != (expected.path or "/")
        ):
            return False
        if self._prefix is not None or self._regex is not None:
            text = str(url)
            if self._prefix is not None and not text.startswith(self._prefix):
                return False
            if self._regex is not None and self._regex.search(text) is None:
                return False
        if self._params:
            present = url.params
            if any(pair not in present for pair in self._params):
                return False
        return all(request.headers.get(name) == value for name, value in self._headers)

    async def answer(self, request: Request) -> Response:
        """Record the call and produce its response (or raise)."""
        index = len(self.calls)
        if index < len(self._answers):
            answer = self._answers[index]
        elif self._repeat_last:
            answer = self._answers[-1]
        else:
            self.calls.append(Call(request, None))
            raise AssertionError(
                f"{self!r} was called {index + 1} times but has {len(self._answers)} answers"
            )
        try:
            if isinstance(answer, Response):
                response = _copy_response(answer)
            elif isinstance(answer, BaseException) or (
                isinstance(answer, type) and issubclass(answer, BaseException)
            ):
                raise answer
            else:
                function: SideEffect = answer  # type: ignore[assignment]
                result = function(request)
                response = await result if inspect.isawaitable(result) else result
                if not isinstance(response, Response):
                    raise TypeError(
                        f"the side effect of {self!r} returned {type(response).__name__}, "
                        "not a Response"
                    )
        except BaseException:
            self.calls.append(Call(request, None))
            raise
        response.request = request
        self.calls.append(Call(request, response))
        return response

    # -- inspecting ---------------------------------------------------------

    @property
    def called(self) -> bool:
        """Whether the route answered at least one request."""
        return bool(self.calls)

    @property
    def call_count(self) -> int:
        """How many requests the route answered."""
        return len(self.calls)

    def reset(self) -> None:
        """Forget the recorded calls."""
        self.calls.clear()

    def __repr__(self) -> str:
        parts = [self.method or "*"]
        if self._url is not None:
            parts.append(str(self._url))
        if self._prefix is not None:
            parts.append(f"prefix={self._prefix!r}")
        if self._regex is not None:
            parts.append(f"regex={self._regex.pattern!r}")
        if self._params:
            parts.append(f"params={self._params!r}")
        label = f"{self.name!r} " if self.name else ""
        return f"<Route {label}{' '.join(parts)}>"


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


def _fixture(function: Callable[..., Any]) -> Any:
    # Imported lazily so that importing trio_http.testing does not need pytest.
    import pytest

    return pytest.fixture(function)


@_fixture
def trio_http_mock() -> Iterator[MockRouter]:
    """A :class:`MockRouter` that every client made in the test uses.

    Clients created with an explicit ``transport=`` keep it. At teardown the
    fixture calls :meth:`MockRouter.assert_all_called`.
    """
    router = MockRouter()

    def default_transport(**_: Any) -> MockRouter:
        return router

    previous = set_pool_factory(default_transport)
    try:
        yield router
    finally:
        set_pool_factory(previous)
    router.assert_all_called()
