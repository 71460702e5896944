"""ASGITransport: scope, streaming both ways, disconnects, lifespan, bad apps."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
import trio.testing

import trio_http
from trio_http import AsyncClient, ClientStateError, ReadError, ReadTimeout, Timeouts
from trio_http._transports._asgi import ASGITransport, ClientDisconnected
from trio_http._transports._asgi_exchange import DISCONNECT_GRACE_S

Message = dict[str, Any]


async def echo_scope_app(scope: Any, receive: Any, send: Any) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    payload = {
        key: scope[key]
        for key in ("method", "scheme", "path", "query_string", "root_path", "client", "server")
    }
    payload["raw_path"] = scope["raw_path"].decode()
    payload["query_string"] = scope["query_string"].decode()
    payload["headers"] = [[k.decode(), v.decode()] for k, v in scope["headers"]]
    payload["body"] = body.decode()
    payload["http_version"] = scope["http_version"]
    data = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-type", b"application/json"), (b"x-app", b"yes")],
        }
    )
    await send({"type": "http.response.body", "body": data})


async def test_scope_carries_request_details_and_response_is_returned() -> None:
    transport = ASGITransport(echo_scope_app, root_path="/mount", client=("10.0.0.1", 5555))
    async with transport, AsyncClient(transport=transport) as client:
        r = await client.post(
            "https://example.org:8443/a%20b/c?x=1&y=%C3%A9",
            content=b"hello",
            headers={"X-Test": "1"},
        )
    assert r.status_code == 201
    assert r.headers["X-App"] == "yes"
    data = r.json()
    assert data["method"] == "POST"
    assert data["scheme"] == "https"
    assert data["path"] == "/a b/c"
    assert data["raw_path"] == "/a%20b/c"
    assert data["query_string"] == "x=1&y=%C3%A9"
    assert data["root_path"] == "/mount"
    assert data["client"] == ["10.0.0.1", 5555]
    assert data["server"] == ["example.org", 8443]
    assert data["body"] == "hello"
    assert data["http_version"] == "1.1"
    assert ["x-test", "1"] in data["headers"]
    assert ["host", "example.org:8443"] in data["headers"]


def streaming_app(chunks: int, delay: float, log: list[str]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            for i in range(chunks):
                await send(
                    {"type": "http.response.body", "body": f"chunk{i};".encode(), "more_body": True}
                )
                log.append(f"sent{i}")
                await trio.sleep(delay)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except ClientDisconnected:
            log.append("send-raised")
            message = await receive()
            log.append(message["type"])
            raise

    return app


async def test_streaming_response_delivers_first_chunk_before_the_app_finishes(
    autojump_clock: trio.testing.MockClock,
) -> None:
    log: list[str] = []
    transport = ASGITransport(streaming_app(10, 1.0, log))
    async with transport, AsyncClient(transport=transport) as client:
        start = trio.current_time()
        arrivals: list[tuple[float, bytes]] = []
        async with client.stream("GET", "http://testserver/stream") as r:
            async for chunk in r.aiter_bytes():
                arrivals.append((trio.current_time() - start, chunk))
    assert arrivals[0][0] < 1.0
    assert b"".join(chunk for _, chunk in arrivals) == b"".join(
        f"chunk{i};".encode() for i in range(10)
    )
    # Chunks arrive as they are sent, one second apart, not all at the end.
    assert len(arrivals) == 10
    assert arrivals[5][0] == pytest.approx(5.0)


async def test_request_body_streams_to_the_app_chunk_by_chunk() -> None:
    seen: list[tuple[bytes, bool]] = []
    first_chunk_seen = trio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            seen.append((message["body"], message["more_body"]))
            first_chunk_seen.set()
            if not message["more_body"]:
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"%d" % len(seen)})

    async def body() -> AsyncIterator[bytes]:
        yield b"one"
        # The app sees the first chunk before the second one exists.
        await first_chunk_seen.wait()
        yield b"two"

    transport = ASGITransport(app)
    async with transport, AsyncClient(transport=transport) as client:
        r = await client.post("http://testserver/", content=body())
    assert seen == [(b"one", True), (b"two", True), (b"", False)]
    assert r.text == "3"


async def test_request_body_with_known_length_ends_with_last_chunk() -> None:
    seen: list[tuple[bytes, bool]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            seen.append((message["body"], message["more_body"]))
            if not message["more_body"]:
                break
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body"})

    async def body() -> AsyncIterator[bytes]:
        yield b"ab"
        yield b"cd"

    transport = ASGITransport(app)
    async with transport, AsyncClient(transport=transport) as client:
        r = await client.post("http://testserver/", content=body(), headers={"Content-Length": "4"})
    assert r.status_code == 204
    assert seen == [(b"ab", True), (b"cd", False)]


async def test_closing_response_early_delivers_disconnect_to_the_app(
    autojump_clock: trio.testing.MockClock,
) -> None:
    log: list[str] = []
    # The app's next send comes well within the disconnect grace period.
    transport = ASGITransport(streaming_app(10, DISCONNECT_GRACE_S / 4, log))
    async with transport, AsyncClient(transport=transport) as client:
        async with client.stream("GET", "http://testserver/") as r:
            async for chunk in r.aiter_bytes():
                assert chunk == b"chunk0;"
                break
    assert log[-2:] == ["send-raised", "http.disconnect"]
    assert "sent9" not in log


async def test_cancelled_client_mid_stream_wakes_app_waiting_in_receive(
    autojump_clock: trio.testing.MockClock,
) -> None:
    events: list[str] = []
    app_finished = trio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()  # the (empty) request body
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        message = await receive()  # blocks until the client goes away
        events.append(message["type"])
        app_finished.set()

    transport = ASGITransport(app)
    async with transport, AsyncClient(transport=transport) as client:
        with trio.move_on_after(0.5) as scope:
            async with client.stream("GET", "http://testserver/") as r:
                async for chunk in r.aiter_bytes():
                    assert chunk == b"first"
        assert scope.cancelled_caught
        assert app_finished.is_set()
    assert events == ["http.disconnect"]


async def test_app_ignoring_disconnect_is_cancelled_after_grace(
    autojump_clock: trio.testing.MockClock,
) -> None:
    cancelled = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x", "more_body": True})
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            cancelled.append(True)
            raise

    transport = ASGITransport(app)
    async with transport, AsyncClient(transport=transport) as client:
        async with client.stream("GET", "http://testserver/") as r:
            async for _ in r.aiter_bytes():
                break
        assert cancelled == [True]
        # The transport still works afterwards.
        transport.app = echo_scope_app
        assert (await client.get("http://testserver/")).status_code == 201


async def test_cancel_while_waiting_for_response_start_disconnects_app(
    autojump_clock: trio.testing.MockClock,
) -> None:
    events: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        events.append((await receive())["type"])

    transport = ASGITransport(app)
    async with transport, AsyncClient(transport=transport) as client:
        with trio.move_on_after(0.2):
            await client.get("http://testserver/")
    assert events == ["http.disconnect"]


async def test_app_exception_is_raised_by_default() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise ZeroDivisionError("boom")

    transport = ASGITransport(app)
    async with transport, AsyncClient(transport=transport) as client:
        with pytest.raises(ZeroDivisionError, match="boom"):
            await client.get("http://testserver/")


async def test_app_exception_becomes_500_when_configured() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise ZeroDivisionError("boom")

    transport = ASGITransport(app, raise_app_exceptions=False)
    async with transport, AsyncClient(transport=transport) as client:
        r = await client.get("http://testserver/")
    assert r.status_code == 500
    assert r.content == b""


async def test_app_exception_mid_body_is_raised_from_the_body() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        raise KeyError("late")

    transport = ASGITransport(app)
    async with transport, AsyncClient(transport=transport) as client:
        with pytest.raises(KeyError, match="late"):
            await client.get("http://testserver/")
    transport = ASGITransport(app, raise_app_exceptions=False)
    async with transport, AsyncClient(transport=transport) as client:
        with pytest.raises(ReadError):
            await client.get("http://testserver/")


async def test_app_that_never_starts_a_response_raises_clear_error() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    transport = ASGITransport(app)
    async with transport, AsyncClient(transport=transport) as client:
        with pytest.raises(RuntimeError, match=r"without sending .http\.response\.start."):
            await client.get("http://testserver/")


async def test_app_sending_body_before_start_raises_clear_error() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.body", "body": b"oops"})

    transport = ASGITransport(app)
    async with transport, AsyncClient(transport=transport) as client:
        with pytest.raises(RuntimeError, match=r"before .http\.response\.start."):
            await client.get("http://testserver/")


async def test_app_returning_before_body_completes_is_a_read_error() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})

    transport = ASGITransport(app)
    async with transport, AsyncClient(transport=transport) as client:
        with pytest.raises(ReadError, match="before completing"):
            await client.get("http://testserver/")


async def test_hanging_app_hits_the_read_timeout(autojump_clock: trio.testing.MockClock) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await trio.sleep_forever()

    transport = ASGITransport(app)
    async with transport, AsyncClient(transport=transport, timeout=Timeouts(5)) as client:
        with pytest.raises(ReadTimeout):
            await client.get("http://testserver/")


async def test_transport_used_outside_its_block_raises() -> None:
    transport = ASGITransport(echo_scope_app)
    with pytest.raises(ClientStateError, match="not open"):
        await transport.handle_async_request(trio_http.Request("GET", "http://testserver/"))


async def test_client_enters_its_transport_so_no_separate_block_is_needed() -> None:
    transport = ASGITransport(echo_scope_app)
    async with AsyncClient(transport=transport) as client:
        response = await client.get("http://testserver/")
    assert response.status_code == 201


async def hello_app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


# The next tests run their own trio.run: pytest-trio takes a trio.Cancelled
# leaving a test for the test being cancelled and reports it as passed, so
# a Cancelled escaping a block would go unnoticed under it.


def test_one_line_client_over_an_asgi_transport_exits_cleanly() -> None:
    async def main() -> str:
        async with AsyncClient(transport=trio_http.ASGITransport(hello_app)) as client:
            response = await client.get("http://testserver/")
        await trio.lowlevel.checkpoint()
        return response.text

    assert trio.run(main) == "hello"


def test_client_inside_the_transports_own_block_exits_cleanly() -> None:
    async def main() -> str:
        transport = ASGITransport(hello_app)
        async with transport:
            async with AsyncClient(transport=transport) as client:
                response = await client.get("http://testserver/")
            await trio.lowlevel.checkpoint()  # the transport is still open here
            assert (await client_free_get(transport)).status_code == 200
        await trio.lowlevel.checkpoint()
        with pytest.raises(ClientStateError):
            await client_free_get(transport)
        return response.text

    assert trio.run(main) == "hello"


async def client_free_get(transport: ASGITransport) -> trio_http.Response:
    response = await transport.handle_async_request(trio_http.Request("GET", "http://t/"))
    await response.aread()
    return response


def test_closing_the_transport_inside_its_block_stops_apps_but_not_the_block() -> None:
    app_cancelled = trio.Event()

    async def stuck_app(scope: Any, receive: Any, send: Any) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await trio.sleep_forever()
        finally:
            app_cancelled.set()

    async def main() -> list[str]:
        steps = []
        async with ASGITransport(stuck_app) as transport:
            response = await client_free_get_head(transport)
            await transport.aclose()
            with trio.fail_after(5):
                await app_cancelled.wait()
            steps.append("block goes on")
            with pytest.raises(ReadError):
                await response.aread()
            with pytest.raises(ClientStateError):
                await client_free_get(transport)
        steps.append("block exited")
        return steps

    assert trio.run(main) == ["block goes on", "block exited"]


async def client_free_get_head(transport: ASGITransport) -> trio_http.Response:
    return await transport.handle_async_request(trio_http.Request("GET", "http://t/"))


def test_one_line_client_runs_a_starlette_lifespan_and_exits_cleanly() -> None:
    pytest.importorskip("starlette")
    from starlette.applications import Starlette
    from starlette.requests import Request as StarletteRequest
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    async def home(request: StarletteRequest) -> PlainTextResponse:
        return PlainTextResponse(f"home after {events}")

    app = Starlette(routes=[Route("/", home)], lifespan=lifespan)

    async def main() -> str:
        transport = trio_http.ASGITransport(app, lifespan=True)
        async with AsyncClient(transport=transport, base_url="http://testserver") as client:
            text = (await client.get("/")).text
        await trio.lowlevel.checkpoint()
        return text

    assert trio.run(main) == "home after ['startup']"
    assert events == ["startup", "shutdown"]


async def test_lifespan_startup_and_shutdown_run_around_the_block() -> None:
    events: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                events.append(message["type"])
                if message["type"] == "lifespan.startup":
                    scope["state"]["db"] = "connected"
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["state"]["db"].encode()})

    async with ASGITransport(app, lifespan=True) as transport:
        assert events == ["lifespan.startup"]
        async with AsyncClient(transport=transport) as client:
            assert (await client.get("http://testserver/")).text == "connected"
    assert events == ["lifespan.startup", "lifespan.shutdown"]


async def test_lifespan_startup_failure_raises() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})

    with pytest.raises(RuntimeError, match="no database"):
        async with ASGITransport(app, lifespan=True):
            pass  # pragma: no cover


async def test_starlette_app_streams_and_reads_bodies(
    autojump_clock: trio.testing.MockClock,
) -> None:
    starlette = pytest.importorskip("starlette")
    del starlette
    from starlette.applications import Starlette
    from starlette.requests import Request as StarletteRequest
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    async def ticks(request: StarletteRequest) -> StreamingResponse:
        async def generate() -> AsyncIterator[bytes]:
            for i in range(10):
                yield f"{i}\n".encode()
                await trio.sleep(1)

        return StreamingResponse(generate(), media_type="text/plain")

    async def upload(request: StarletteRequest) -> JSONResponse:
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
        return JSONResponse({"received": total, "q": request.query_params["q"]})

    app = Starlette(routes=[Route("/ticks", ticks), Route("/upload", upload, methods=["POST"])])

    async def body() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * 1000

    transport = ASGITransport(app)
    async with transport, AsyncClient(transport=transport, base_url="http://testserver") as client:
        r = await client.post("/upload", params={"q": "v"}, content=body())
        assert r.json() == {"received": 5000, "q": "v"}
        start = trio.current_time()
        async with client.stream("GET", "/ticks") as r:
            lines = []
            async for line in r.aiter_lines():
                if not lines:
                    assert trio.current_time() - start < 1.0
                lines.append(line)
        assert lines == [str(i) for i in range(10)]
