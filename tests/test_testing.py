"""trio_http.testing: MockRouter routes, answers, records, and the fixture."""

from __future__ import annotations

import json
import re

import pytest
import trio

import trio_http
from trio_http import AsyncClient, ConnectTimeout, Request, Response
from trio_http.testing import (
    MockRouter,
    UnmatchedRequest,
    mock_response,
    trio_http_mock,  # noqa: F401 - makes the fixture available in this module
)

pytest_plugins = ["pytester"]


async def test_routes_match_by_method_url_and_params() -> None:
    router = MockRouter()
    page2 = router.get("https://api.example.com/users", params={"page": "2"}).respond(
        json=[{"id": 2}]
    )
    users = router.get("https://api.example.com/users").respond(json=[{"id": 1}])
    create = router.post("https://api.example.com/users").respond(201, text="made")
    async with AsyncClient(transport=router) as client:
        assert (await client.get("https://api.example.com/users?page=2&x=y")).json() == [{"id": 2}]
        assert (await client.get("https://api.example.com/users")).json() == [{"id": 1}]
        r = await client.post("https://api.example.com/users", json={"name": "n"})
    assert r.status_code == 201
    assert r.text == "made"
    assert r.headers["Content-Type"].startswith("text/plain")
    assert (page2.call_count, users.call_count, create.call_count) == (1, 1, 1)
    assert json.loads(create.calls[0].request.content) == {"name": "n"}
    assert create.calls[0].response is r
    assert [call.request.method for call in router.calls] == ["GET", "GET", "POST"]
    router.assert_all_called()


async def test_prefix_regex_and_header_routes() -> None:
    router = MockRouter()
    by_prefix = router.route(url_prefix="https://files.example/v1/").respond(text="prefix")
    by_regex = router.route(url_regex=re.compile(r"/items/\d+$")).respond(text="regex")
    by_header = router.route(url_regex="admin", headers={"X-Role": "admin"}).respond(text="hdr")
    async with AsyncClient(transport=router) as client:
        assert (await client.delete("https://files.example/v1/a/b")).text == "prefix"
        assert (await client.get("http://other.example/items/42")).text == "regex"
        assert (await client.get("http://x.example/admin", headers={"X-Role": "admin"})).text == (
            "hdr"
        )
        with pytest.raises(UnmatchedRequest, match="no mocked route matches GET"):
            await client.get("http://x.example/admin", headers={"X-Role": "user"})
    assert by_prefix.called and by_regex.called and by_header.called
    with pytest.raises(
        AssertionError, match=re.escape("request matched no route: GET http://x.example/admin")
    ):
        router.assert_all_called()


async def test_exact_url_does_not_match_other_host_port_or_path() -> None:
    router = MockRouter()
    router.get("https://api.example.com/users").respond()
    async with AsyncClient(transport=router) as client:
        for url in (
            "http://api.example.com/users",
            "https://api.example.com:8443/users",
            "https://api.example.com/users/1",
            "https://www.example.com/users",
        ):
            with pytest.raises(UnmatchedRequest):
                await client.get(url)
    assert len(router.unmatched) == 4


async def test_raises_and_side_effects() -> None:
    router = MockRouter()
    router.get("https://slow.example/").raises(ConnectTimeout)
    seen: list[Request] = []

    async def echo(request: Request) -> Response:
        await trio.lowlevel.checkpoint()
        seen.append(request)
        return mock_response(202, content=request.url.query.encode())

    router.get("https://echo.example/").side_effect(echo)
    router.get("https://sync.example/").side_effect(lambda request: mock_response(204))
    async with AsyncClient(transport=router) as client:
        with pytest.raises(ConnectTimeout):
            await client.get("https://slow.example/")
        r = await client.get("https://echo.example/?a=1")
        assert (r.status_code, r.content) == (202, b"a=1")
        assert (await client.get("https://sync.example/")).status_code == 204
    assert seen[0].url.query == "a=1"
    assert router.routes[0].calls[0].response is None


async def test_respond_in_turn_then_fails_past_the_end() -> None:
    router = MockRouter()
    flaky = router.get("https://flaky.example/").respond_in_turn(
        ConnectTimeout("first"), mock_response(503), mock_response(200, text="ok")
    )
    async with AsyncClient(transport=router) as client:
        with pytest.raises(ConnectTimeout):
            await client.get("https://flaky.example/")
        assert (await client.get("https://flaky.example/")).status_code == 503
        assert (await client.get("https://flaky.example/")).text == "ok"
        with pytest.raises(AssertionError, match="called 4 times but has 3 answers"):
            await client.get("https://flaky.example/")
    assert flaky.call_count == 4


async def test_each_call_gets_its_own_response_object() -> None:
    router = MockRouter()
    router.get("https://a.example/").respond(json={"k": 1})
    async with AsyncClient(transport=router) as client:
        first = await client.get("https://a.example/")
        second = await client.get("https://a.example/")
    assert first is not second
    assert first.json() == second.json() == {"k": 1}


def test_assert_all_called_names_required_routes_only() -> None:
    router = MockRouter()
    router.get("https://a.example/", name="needed")
    router.get("https://b.example/", required=False)
    with pytest.raises(AssertionError, match="route never called: <Route 'needed' GET") as info:
        router.assert_all_called()
    assert "b.example" not in str(info.value)
    assert MockRouter(assert_all_called=False).routes == []


async def test_router_mounted_for_one_host_only() -> None:
    router = MockRouter()
    router.get("https://api.example.com/x").respond(text="mocked")
    other = MockRouter()
    other.route().respond(text="default")
    async with AsyncClient(transport=other, mounts={"all://api.example.com": router}) as client:
        assert (await client.get("https://api.example.com/x")).text == "mocked"
        assert (await client.get("https://elsewhere.example/x")).text == "default"


async def test_fixture_stubs_clients_created_by_code_under_test(
    trio_http_mock: MockRouter,  # noqa: F811
) -> None:
    route = trio_http_mock.get("https://service.example/health").respond(json={"ok": True})

    async def code_under_test() -> bool:
        async with trio_http.AsyncClient() as client:
            r = await client.get("https://service.example/health")
            return bool(r.json()["ok"])

    assert await code_under_test()
    assert route.called


def test_fixture_teardown_reports_uncalled_routes(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('pytest_plugins = ["trio_http.testing"]')
    pytester.makepyfile(
        """
        def test_declares_but_never_calls(trio_http_mock):
            trio_http_mock.get("https://never.example/")
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*route never called: <Route GET https://never.example/>*"])


def test_router_works_with_blocking_session() -> None:
    router = MockRouter()
    route = router.get("https://blocking.example/").respond(text="sync")
    with trio_http.Session(transport=router) as session:
        assert session.get("https://blocking.example/").text == "sync"
    assert route.call_count == 1
