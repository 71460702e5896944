"""One stubbed endpoint of :mod:`trio_http.testing`: what it matches, answers and records.

A :class:`Route` matches a request by method, URL, query parameters and
headers; it answers with a canned response, an exception or a function of
the request, in turn or the same every time; it records each call as a
:class:`Call`. The router that tries routes in order is
:class:`~trio_http._testing_router.MockRouter`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, final

from ._request import Request
from ._response import Response
from ._testing_responses import copy_response, mock_response
from ._urls import URL

__all__ = ["Call", "Route", "SideEffect"]

SideEffect = Callable[[Request], "Response | Awaitable[Response]"]


@final
@dataclass(frozen=True, slots=True)
class Call:
    """One request a route answered, and what it answered with.

    ``response`` is ``None`` when the route raised an exception.
    """

    request: Request
    response: Response | None


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
                response = copy_response(answer)
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
