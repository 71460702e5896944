"""WSGITransport: environ, streaming both ways, close(), exc_info, bad apps."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import trio

from trio_http import AsyncClient, ReadError
from trio_http._transports._wsgi import WSGITransport

StartResponse = Callable[..., Any]


def environ_app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    body = environ["wsgi.input"].read()
    keys = (
        "REQUEST_METHOD",
        "SCRIPT_NAME",
        "PATH_INFO",
        "QUERY_STRING",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "REMOTE_ADDR",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "HTTP_X_TEST",
        "HTTP_HOST",
        "wsgi.url_scheme",
    )
    payload = {key: environ.get(key) for key in keys}
    payload["body"] = body.decode()
    payload["version"] = list(environ["wsgi.version"])
    payload["errors_is_stderr"] = environ["wsgi.errors"] is sys.stderr
    start_response("201 Made", [("Content-Type", "application/json"), ("X-App", "yes")])
    return [json.dumps(payload).encode()]


async def test_environ_follows_pep_3333() -> None:
    transport = WSGITransport(environ_app, script_name="/mount", remote_addr="10.1.2.3")
    async with AsyncClient(transport=transport) as client:
        r = await client.post(
            "https://example.org:8443/mount/a%20b?x=1",
            content=b"payload",
            headers={"X-Test": "t", "Content-Type": "text/plain"},
        )
    assert r.status_code == 201
    assert r.reason_phrase == "Made"
    assert r.headers["X-App"] == "yes"
    data = r.json()
    assert data["REQUEST_METHOD"] == "POST"
    assert data["SCRIPT_NAME"] == "/mount"
    assert data["PATH_INFO"] == "/a b"
    assert data["QUERY_STRING"] == "x=1"
    assert data["SERVER_NAME"] == "example.org"
    assert data["SERVER_PORT"] == "8443"
    assert data["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert data["REMOTE_ADDR"] == "10.1.2.3"
    assert data["CONTENT_TYPE"] == "text/plain"
    assert data["CONTENT_LENGTH"] == "7"
    assert data["HTTP_X_TEST"] == "t"
    assert data["HTTP_HOST"] == "example.org:8443"
    assert data["wsgi.url_scheme"] == "https"
    assert data["body"] == "payload"
    assert data["version"] == [1, 0]
    assert data["errors_is_stderr"] is True


async def test_wsgi_errors_stream_is_configurable() -> None:
    errors = io.StringIO()

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        environ["wsgi.errors"].write("logged")
        start_response("200 OK", [])
        return [b""]

    async with AsyncClient(transport=WSGITransport(app, wsgi_errors=errors)) as client:
        r = await client.get("http://testserver/")
    assert r.content == b""
    assert errors.getvalue() == "logged"


async def test_streamed_request_body_is_read_through_wsgi_input() -> None:
    lines: list[bytes] = []

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        stream = environ["wsgi.input"]
        lines.append(stream.readline())
        lines.append(stream.read(3))
        lines.append(stream.read())
        start_response("200 OK", [])
        return [b"ok"]

    async def body() -> AsyncIterator[bytes]:
        yield b"first "
        yield b"line\nab"
        yield b"cdef"

    async with AsyncClient(transport=WSGITransport(app)) as client:
        r = await client.post("http://testserver/", content=body())
    assert r.text == "ok"
    assert lines == [b"first line\n", b"abc", b"def"]


class ClosingBody:
    """A response iterable that records how far it got and whether it was closed."""

    def __init__(self, chunks: int, gate: threading.Event | None = None) -> None:
        self.chunks = chunks
        self.produced = 0
        self.closed = False
        self.gate = gate

    def __iter__(self) -> Iterator[bytes]:
        for i in range(self.chunks):
            if i and self.gate is not None:
                self.gate.wait(5)
            self.produced += 1
            yield b"chunk%d;" % i

    def close(self) -> None:
        self.closed = True


async def test_response_iterable_streams_and_is_closed() -> None:
    body = ClosingBody(5)

    def app(environ: dict[str, Any], start_response: StartResponse) -> ClosingBody:
        start_response("200 OK", [])
        return body

    async with AsyncClient(transport=WSGITransport(app)) as client:
        async with client.stream("GET", "http://testserver/") as r:
            chunks = [chunk async for chunk in r.aiter_raw()]
    assert chunks == [b"chunk%d;" % i for i in range(5)]
    assert body.closed


async def test_first_chunk_arrives_before_the_app_produces_the_rest() -> None:
    gate = threading.Event()
    body = ClosingBody(3, gate)

    def app(environ: dict[str, Any], start_response: StartResponse) -> ClosingBody:
        start_response("200 OK", [])
        return body

    async with AsyncClient(transport=WSGITransport(app)) as client:
        async with client.stream("GET", "http://testserver/") as r:
            iterator = r.aiter_raw()
            assert await anext(iterator) == b"chunk0;"
            assert body.produced == 1
            gate.set()
            assert [chunk async for chunk in iterator] == [b"chunk1;", b"chunk2;"]


async def test_closing_response_early_closes_the_iterable() -> None:
    body = ClosingBody(100)

    def app(environ: dict[str, Any], start_response: StartResponse) -> ClosingBody:
        start_response("200 OK", [])
        return body

    async with AsyncClient(transport=WSGITransport(app)) as client:
        async with client.stream("GET", "http://testserver/") as r:
            async for _ in r.aiter_raw():
                break
    assert body.closed
    assert body.produced < 100


async def test_cancelled_client_mid_stream_closes_the_iterable() -> None:
    body = ClosingBody(1000)

    def app(environ: dict[str, Any], start_response: StartResponse) -> ClosingBody:
        start_response("200 OK", [])
        return body

    async with AsyncClient(transport=WSGITransport(app)) as client:
        with trio.CancelScope() as scope:
            async with client.stream("GET", "http://testserver/") as r:
                async for _ in r.aiter_raw():
                    scope.cancel()
        assert scope.cancelled_caught
    assert body.closed
    assert body.produced < 1000


async def test_write_callable_data_comes_first() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        write = start_response("200 OK", [])
        write(b"written;")
        return iter([b"iterated"])

    async with AsyncClient(transport=WSGITransport(app)) as client:
        r = await client.get("http://testserver/")
    assert r.content == b"written;iterated"


def exc_info_app(fail_after_start: bool) -> Any:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [("X-Stage", "first")])
        if fail_after_start:
            yield b"partial"
        try:
            raise ValueError("handler failed")
        except ValueError:
            start_response("500 Internal Server Error", [("X-Stage", "error")], sys.exc_info())
        yield b"error page"

    return app


async def test_start_response_with_exc_info_before_body_replaces_the_status() -> None:
    async with AsyncClient(transport=WSGITransport(exc_info_app(False))) as client:
        r = await client.get("http://testserver/")
    assert r.status_code == 500
    assert r.headers["X-Stage"] == "error"
    assert r.content == b"error page"


async def test_start_response_with_exc_info_after_body_reraises() -> None:
    async with AsyncClient(transport=WSGITransport(exc_info_app(True))) as client:
        with pytest.raises(ValueError, match="handler failed"):
            await client.get("http://testserver/")
        transport = WSGITransport(exc_info_app(True), raise_app_exceptions=False)
    async with AsyncClient(transport=transport) as client:
        with pytest.raises(ReadError):
            await client.get("http://testserver/")


async def test_app_exception_raised_or_turned_into_500() -> None:
    closed = []

    class Failing:
        def __iter__(self) -> Iterator[bytes]:
            raise KeyError("broken")

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Failing:
        start_response("200 OK", [])
        return Failing()

    async with AsyncClient(transport=WSGITransport(app)) as client:
        with pytest.raises(KeyError, match="broken"):
            await client.get("http://testserver/")
    assert closed == [True]
    transport = WSGITransport(app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport) as client:
        r = await client.get("http://testserver/")
    assert r.status_code == 500
    assert closed == [True, True]


async def test_app_that_never_calls_start_response_raises_clear_error() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        return [b"body without status"]

    async with AsyncClient(transport=WSGITransport(app)) as client:
        with pytest.raises(RuntimeError, match="did not call start_response"):
            await client.get("http://testserver/")


async def test_start_response_twice_without_exc_info_is_an_error() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [])
        start_response("201 Created", [])
        return []

    async with AsyncClient(transport=WSGITransport(app)) as client:
        with pytest.raises(RuntimeError, match="twice"):
            await client.get("http://testserver/")


async def test_flask_app_with_json_upload_and_streaming_response() -> None:
    flask = pytest.importorskip("flask")
    app = flask.Flask("wsgi_test")

    @app.post("/echo")
    def echo() -> Any:
        data = flask.request.get_json()
        return flask.jsonify(got=data, arg=flask.request.args["a"]), 202

    @app.get("/stream")
    def stream() -> Any:
        def generate() -> Iterator[str]:
            # Needs the request context on every chunk, pulled hop by hop.
            for i in range(3):
                yield f"{flask.request.path}:{i}\n"

        return flask.Response(flask.stream_with_context(generate()), mimetype="text/plain")

    @app.get("/redirect")
    def redirect() -> Any:
        return flask.redirect("/stream")

    transport = WSGITransport(app)
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        r = await client.post("/echo", params={"a": "b"}, json={"k": [1, 2]})
        assert r.status_code == 202
        assert r.json() == {"got": {"k": [1, 2]}, "arg": "b"}
        r = await client.get("/redirect")
        assert r.history[0].status_code == 302
        assert r.text.splitlines() == ["/stream:0", "/stream:1", "/stream:2"]


async def test_wsgi_input_readinto_and_iteration_return_what_has_arrived() -> None:
    seen: list[Any] = []

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        stream = environ["wsgi.input"]
        buffer = bytearray(100)
        count = stream.readinto(buffer)
        seen.append(bytes(buffer[:count]))
        seen.append(list(stream))
        seen.append(stream.read())
        start_response("200 OK", [])
        return []

    async def body() -> AsyncIterator[bytes]:
        yield b"head"
        yield b"a\nb\n"
        yield b"c"

    async with AsyncClient(transport=WSGITransport(app)) as client:
        await client.post("http://testserver/", content=body())
    assert seen == [b"head", [b"a\n", b"b\n", b"c"], b""]


# Run under their own trio.run: pytest-trio reports a test that a stray
# trio.Cancelled ends early as passed, which would hide the bug tested here.


@pytest.mark.parametrize("own_block", [False, True], ids=["client-only", "transport-block-too"])
def test_client_block_over_a_wsgi_transport_exits_cleanly(own_block: bool) -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello"]

    async def main() -> str:
        transport = WSGITransport(app)
        async with contextlib.AsyncExitStack() as stack:
            if own_block:
                await stack.enter_async_context(transport)
            async with AsyncClient(transport=transport) as client:
                response = await client.get("http://testserver/")
            await trio.lowlevel.checkpoint()
        await trio.lowlevel.checkpoint()
        return response.text

    assert trio.run(main) == "hello"
