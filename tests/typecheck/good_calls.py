"""Calls that must type-check under ``mypy --strict`` (read by tests/test_request_options.py).

Nothing here runs: the functions are only type-checked.
"""

from __future__ import annotations

import io
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any

import trio_http
from trio_http import AsyncClient, Session
from trio_http.auth import HTTPBasicAuth

URL = "https://example.org/"


def _sign(request: trio_http.Request) -> trio_http.Request:
    request.headers["X-Signed"] = "1"
    return request


def _hook(response: trio_http.Response, **kwargs: object) -> None:
    pass


async def _body() -> AsyncIterator[bytes]:
    yield b"chunk"


def _chunks() -> Iterator[bytes]:
    yield b"chunk"


async def _status(response: trio_http.Response) -> int:
    return response.status_code


def _expect_response(value: trio_http.Response | None) -> None:
    pass


def _expect_int(value: int | None) -> None:
    pass


async def async_client_calls() -> None:
    async with AsyncClient(
        auth=("user", "pass"),
        timeout=5,
        event_hooks={"request": [print], "response": [_status]},
    ) as client:
        await client.get(URL)
        await client.get(URL, params={"q": "1", "n": 2, "many": ["a", "b"]}, timeout=5)
        await client.get(URL, timeout=2.5, follow_redirects=False, auth=_sign)
        await client.get(URL, timeout=(1, None), headers={"X-A": "1"}, cookies={"k": "v"})
        await client.get(
            URL, timeout=trio_http.Timeouts(total=10), auth=trio_http.DigestAuth("u", "p")
        )
        await client.get(URL, timeout=None, auth=HTTPBasicAuth("u", "p"), extensions={"x": 1})
        await client.head(URL, follow_redirects=True)
        await client.options(URL, headers=[("X-A", "1")], auth=trio_http.BasicAuth("u", "p"))
        await client.post(URL, json={"a": [1, 2.5, None, {"b": True}]})
        await client.post(URL, data={"field": "value", "n": 1}, files={"f": ("a.txt", b"x")})
        await client.post(URL, data=[("a", "1"), ("a", "2")])
        await client.post(URL, content=b"raw", headers={"Content-Type": "text/plain"})
        await client.put(URL, content=_body())
        await client.put(URL, content=_chunks())
        await client.patch(URL, content=io.BytesIO(b"x"), auth=None)
        await client.delete(URL, auth=trio_http.USE_CLIENT_DEFAULT, cookies=trio_http.Cookies())
        await client.request("QUERY", URL, json=None, timeout=trio_http.USE_CLIENT_DEFAULT)
        async with client.stream("GET", URL, timeout=5) as response:
            await response.aread()
        request = client.build_request("POST", URL, data="raw text")
        await client.send(request, auth=("u", "p"), follow_redirects=False)
        async with client.parallel([URL, ("POST", URL, {"json": {}})]) as results:
            async for result in results:
                _expect_response(result.value)
        async with client.parallel([URL], handler=_status) as statuses:
            async for status in statuses:
                _expect_int(status.value)


def session_calls(session: Session) -> None:
    session.get(URL)
    session.get(URL, {"q": "1"}, timeout=5, allow_redirects=False)
    session.get(URL, params=[("q", "1")], headers={"Accept": None}, stream=True)
    session.head(URL, allow_redirects=True, auth=("u", "p"))
    session.options(URL, verify=False, cert=("cert.pem", "key.pem"))
    session.post(URL, {"field": "value"}, {"json": True})
    session.post(URL, data=b"raw", json=None, hooks={"response": _hook})
    session.post(URL, files=[("f", io.BytesIO(b"x"))], proxies={"https": "http://proxy:3128"})
    session.put(URL, "raw", json=[1, 2, 3], timeout=(3.05, 27))
    session.patch(URL, data=io.StringIO("text"), hooks={"response": [_hook]})
    session.delete(URL, verify=ssl.create_default_context(), timeout=None)
    session.request("GET", URL, cookies={"k": "v"}, auth=HTTPBasicAuth("u", "p"))
    with session.parallel([URL, ("GET", URL, {"allow_redirects": False})]) as results:
        for result in results:
            _expect_response(result.value)
    with session.parallel([URL], handler=_status, max_in_flight=2) as statuses:
        for status in statuses:
            _expect_int(status.value)


def module_function_calls() -> None:
    trio_http.get(URL, {"q": "1"}, timeout=5)
    trio_http.head(URL, allow_redirects=True)
    trio_http.options(URL, headers={"X-A": "1"})
    trio_http.post(URL, {"a": "1"}, None, files={"f": b"x"})
    trio_http.put(URL, b"raw", params={"q": "1"})
    trio_http.patch(URL, json={"a": 1})
    trio_http.delete(URL, auth=_sign, verify="/etc/ssl/ca.pem")
    trio_http.request("GET", URL, stream=True, timeout=trio_http.Timeouts(connect=1))
    with trio_http.parallel([URL], ordered=False) as results:
        for result in results:
            _expect_response(result.value)
    with trio_http.parallel([URL], handler=_status) as statuses:
        for status in statuses:
            _expect_int(status.value)


async def forwarded_options(client: AsyncClient, session: Session, extra: dict[str, Any]) -> None:
    # Wrappers that pass options on untyped still type-check.
    await client.get(URL, **extra)
    session.post(URL, **extra)
    trio_http.put(URL, **extra)
