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

from collections.abc import Callable, Iterator
from typing import Any

# The router, its routes and canned responses are defined in _testing_router,
# _testing_route and _testing_responses; this module is their public home.
from ._testing_responses import mock_response
from ._testing_route import Call, Route
from ._testing_route import SideEffect as SideEffect  # for annotating side effects
from ._testing_router import MockRouter, UnmatchedRequest
from ._transports._default import set_pool_factory

__all__ = ["Call", "MockRouter", "Route", "UnmatchedRequest", "mock_response", "trio_http_mock"]


# The router's classes report the module users import them from, in reprs,
# documentation references and pickles.
for _public in (Call, MockRouter, Route, UnmatchedRequest):
    _public.__module__ = __name__
del _public


def _fixture(function: Callable[..., Any]) -> Any:
    # The fixture is registered only where pytest is installed; without it the
    # module still imports and the function stays a plain generator.
    try:
        import pytest
    except ImportError:
        return function
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
