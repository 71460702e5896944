"""MockTransport: sync and async handlers, request body, errors."""

from __future__ import annotations

import contextlib

import pytest
import trio

from trio_http import AsyncClient, ConnectTimeout, Request, Response
from trio_http._transports._mock import MockTransport


async def test_sync_handler_sees_request_and_answers() -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return Response(201, headers={"X-Path": request.url.path}, content=request.content[::-1])

    async with AsyncClient(transport=MockTransport(handler)) as client:
        r = await client.post("https://api.example/items", content=b"abc")
    assert r.status_code == 201
    assert r.headers["X-Path"] == "/items"
    assert r.content == b"cba"
    assert r.request is seen[0]
    assert seen[0].method == "POST"


async def test_async_handler_and_streamed_request_body_is_read_first() -> None:
    async def body():  # type: ignore[no-untyped-def]
        yield b"one"
        yield b"two"

    async def handler(request: Request) -> Response:
        return Response(200, content=request.content)

    async with AsyncClient(transport=MockTransport(handler)) as client:
        r = await client.post("https://api.example/", content=body())
    assert r.content == b"onetwo"


async def test_handler_exceptions_reach_the_caller() -> None:
    def handler(request: Request) -> Response:
        raise ConnectTimeout("simulated")

    async with AsyncClient(transport=MockTransport(handler)) as client:
        with pytest.raises(ConnectTimeout, match="simulated") as info:
            await client.get("https://api.example/")
    assert info.value.request is not None
    assert info.value.request.url.host == "api.example"


async def test_handler_returning_non_response_is_a_type_error() -> None:
    async with AsyncClient(transport=MockTransport(lambda request: "nope")) as client:  # type: ignore[arg-type,return-value]
        with pytest.raises(TypeError, match="must return a Response"):
            await client.get("https://api.example/")


async def test_streamed_mock_response_body_is_delivered() -> None:
    from trio_http._streams import ByteStream

    def handler(request: Request) -> Response:
        return Response(200, stream=ByteStream(b"streamed"))

    async with AsyncClient(transport=MockTransport(handler)) as client:
        async with client.stream("GET", "https://api.example/") as r:
            assert [chunk async for chunk in r.aiter_bytes()] == [b"streamed"]


# Run under their own trio.run: pytest-trio reports a test that a stray
# trio.Cancelled ends early as passed, which would hide the bug tested here.


@pytest.mark.parametrize("own_block", [False, True], ids=["client-only", "transport-block-too"])
def test_client_block_over_a_mock_transport_exits_cleanly(own_block: bool) -> None:
    async def main() -> int:
        transport = MockTransport(lambda request: Response(204))
        async with contextlib.AsyncExitStack() as stack:
            if own_block:
                await stack.enter_async_context(transport)
            async with AsyncClient(transport=transport) as client:
                response = await client.get("http://testserver/")
            await trio.lowlevel.checkpoint()
        await trio.lowlevel.checkpoint()
        return response.status_code

    assert trio.run(main) == 204
