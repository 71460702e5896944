"""AsyncClient.parallel: bounds, ordering, error policies, laziness, cancellation."""

from __future__ import annotations

import ast
import gc
import socket
import sys
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import trio
from nginx import Nginx
from server import Responder, ServerRequest, TestServer, open_test_server

import trio_http
import trio_http._parallel
from trio_http import AsyncClient, Request, Response
from trio_http._parallel import AsyncParallel, ParallelResult, ParallelStats

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import ExceptionGroup


class MemoryTransport(trio_http.AsyncBaseTransport):
    """Answers every request at once with ``200 ok``, without any I/O."""

    def __init__(self) -> None:
        self.sent = 0

    async def handle_async_request(self, request: Request) -> Response:
        await trio.lowlevel.checkpoint()
        self.sent += 1
        return Response(200, content=b"ok", request=request)

    async def aclose(self) -> None:
        pass


def closed_port_url() -> str:
    """A loopback URL nothing listens on (connecting fails at once)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/"


async def wait_until(condition: object, timeout: float = 5.0) -> None:
    with trio.fail_after(timeout):
        while not condition():  # type: ignore[operator]
            await trio.sleep(0.002)


def add_hold_route(server: TestServer) -> list[str]:
    """``/hold`` streams a never-ending body; returns the list of disconnects seen."""
    disconnects: list[str] = []

    @server.route("/hold")
    async def hold(request: ServerRequest, respond: Responder) -> None:
        await respond.start(200, [("Content-Length", "100000000")])
        try:
            while True:
                await respond.send(b"x")
                await trio.sleep(0.005)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            disconnects.append(request.target)
            raise

    return disconnects


def add_sleep_route(server: TestServer, seconds: float = 0.01) -> None:
    @server.route("/sleep")
    async def sleep(request: ServerRequest, respond: Responder) -> None:
        await trio.sleep(seconds)
        await respond.respond(200, [("Content-Type", "text/plain")], request.target.encode())


# -- bounds --------------------------------------------------------------------


async def test_max_in_flight_bounds_server_concurrency(server: TestServer) -> None:
    add_sleep_route(server)
    urls = [server.url_for(f"/sleep?i={i}") for i in range(40)]
    async with AsyncClient() as client, client.parallel(urls, max_in_flight=5) as results:
        statuses = [result.value.status_code async for result in results]
    assert statuses == [200] * 40
    assert server.max_concurrent_requests == 5


async def test_max_in_flight_is_independent_of_pool_limits(server: TestServer) -> None:
    add_sleep_route(server)
    urls = [server.url_for(f"/sleep?i={i}") for i in range(30)]
    limits = trio_http.Limits(max_connections=3)
    async with AsyncClient(limits=limits) as client:
        async with client.parallel(urls, max_in_flight=20) as results:
            count = len([result async for result in results])
    assert count == 30
    assert server.max_concurrent_requests == 3


async def test_max_per_host_bounds_each_origin(server: TestServer) -> None:
    add_sleep_route(server, 0.02)
    async with open_test_server() as other:
        add_sleep_route(other, 0.02)
        urls = [s.url_for(f"/sleep?i={i}") for i in range(12) for s in (server, other)]
        async with AsyncClient() as client:
            async with client.parallel(urls, max_in_flight=10, max_per_host=2) as results:
                peak = 0
                async for result in results:
                    assert result.ok
                    peak = max(peak, results.stats.in_flight)
        assert other.max_concurrent_requests == 2
    assert server.max_concurrent_requests == 2


# -- order ---------------------------------------------------------------------


async def run_scrambled(server: TestServer, *, ordered: bool) -> list[int]:
    """Release the server's answers in a fixed scrambled order; return yield order."""
    permutation = [3, 0, 6, 1, 7, 2, 5, 4]
    gates = {index: trio.Event() for index in permutation}

    @server.route("/gated")
    async def gated(request: ServerRequest, respond: Responder) -> None:
        index = int(request.args["i"])  # type: ignore[arg-type]
        await gates[index].wait()
        await respond.json({"i": index})

    urls = [server.url_for(f"/gated?i={i}") for i in range(len(permutation))]
    seen: list[int] = []
    async with AsyncClient() as client, trio.open_nursery() as nursery:
        async with client.parallel(urls, max_in_flight=8, ordered=ordered) as results:

            async def release() -> None:
                for done, index in enumerate(permutation):
                    gates[index].set()
                    await wait_until(lambda done=done: results.stats.done > done)

            nursery.start_soon(release)
            async for result in results:
                assert result.value.json() == {"i": result.index}
                assert result.request is not None
                assert result.request.url == urls[result.index]
                seen.append(result.index)
    assert len(seen) == len(permutation)
    return seen


async def test_ordered_results_follow_input_order(server: TestServer) -> None:
    assert await run_scrambled(server, ordered=True) == list(range(8))


async def test_unordered_results_arrive_as_completed(server: TestServer) -> None:
    assert await run_scrambled(server, ordered=False) == [3, 0, 6, 1, 7, 2, 5, 4]


async def test_slow_head_item_pauses_intake_in_ordered_mode() -> None:
    release = trio.Event()
    taken: list[int] = []

    class HeadBlocked(MemoryTransport):
        async def handle_async_request(self, request: Request) -> Response:
            if request.url.path == "/0":
                await release.wait()
            return await super().handle_async_request(request)

    def urls() -> Iterator[str]:
        for index in range(1000):
            taken.append(index)
            yield f"http://memory/{index}"

    async with AsyncClient(transport=HeadBlocked()) as client:
        async with client.parallel(urls(), max_in_flight=4) as results:
            await wait_until(lambda: results.stats.done >= 7)
            await trio.sleep(0.01)
            # The window is 2 * max_in_flight items past the caller's position.
            assert len(taken) == 8
            release.set()
            indexes = [result.index async for result in results]
    assert indexes == list(range(1000))


# -- errors --------------------------------------------------------------------


async def test_fail_fast_cancels_the_rest_and_raises_only_the_failure(
    server: TestServer,
) -> None:
    disconnects = add_hold_route(server)

    @server.route("/fail")
    async def fail(request: ServerRequest, respond: Responder) -> None:
        await wait_until(lambda: server.in_flight >= 5)
        await trio.sleep(0.02)  # let the holds send their first bytes
        raise trio.BrokenResourceError  # the server drops the connection

    urls = [server.url_for(f"/hold?i={i}") for i in range(4)] + [server.url_for("/fail")]
    async with AsyncClient() as client:
        with pytest.raises(ExceptionGroup) as caught:
            async with client.parallel(urls, max_in_flight=5) as results:
                async for _ in results:
                    pytest.fail("no request can succeed")
        assert len(caught.value.exceptions) == 1
        error = caught.value.exceptions[0]
        assert isinstance(error, trio_http.RequestException)
        assert error.request is not None and error.request.url.path == "/fail"
        assert any("parallel item #4" in note for note in error.__notes__)
        await wait_until(lambda: len(disconnects) == 4)
        # The pool is consistent afterwards.
        assert (await client.get(server.url_for("/get"))).status_code == 200


async def test_fail_fast_group_holds_exactly_the_concurrent_failures() -> None:
    go = trio.Event()

    class Failing(MemoryTransport):
        async def handle_async_request(self, request: Request) -> Response:
            await go.wait()
            if request.url.path.startswith("/bad"):
                raise trio_http.ConnectError("refused", request=request)
            await trio.sleep_forever()
            raise AssertionError("unreachable")

    urls = ["http://m/bad1", "http://m/ok1", "http://m/bad2", "http://m/ok2", "http://m/bad3"]
    async with AsyncClient(transport=Failing()) as client:
        with pytest.raises(ExceptionGroup) as caught:
            async with client.parallel(urls, max_in_flight=5, ordered=False) as results:
                await wait_until(lambda: results.stats.in_flight == 5)
                go.set()
                async for _ in results:
                    pass
    paths = sorted(exc.request.url.path for exc in caught.value.exceptions)
    assert paths == ["/bad1", "/bad2", "/bad3"]
    assert caught.value.split(trio_http.ConnectError)[1] is None


async def test_fail_fast_group_splits_by_exception_type(server: TestServer) -> None:
    urls = [server.url_for("/get"), closed_port_url()]
    handled = []
    async with AsyncClient() as client:
        try:
            async with client.parallel(urls, max_in_flight=2) as results:
                async for _ in results:
                    pass
        except ExceptionGroup as group:
            # What ``except* trio_http.ConnectError`` does (3.11+ syntax).
            matched, rest = group.split(trio_http.ConnectError)
            assert rest is None
            assert matched is not None
            handled.extend(matched.exceptions)
    assert len(handled) == 1


async def test_collect_mode_returns_every_outcome(server: TestServer) -> None:
    async def json_or_fail(response: Response) -> object:
        await response.aread()
        response.raise_for_status()
        return response.json()

    items: list[trio_http._parallel.ParallelItem] = [
        server.url_for("/get?a=1"),
        server.url_for("/status/404"),
        closed_port_url(),
        "http://",
        ("POST", server.url_for("/anything"), {"json": {"x": 1}}),
    ]
    async with AsyncClient() as client:
        async with client.parallel(
            items, max_in_flight=3, errors="collect", handler=json_or_fail
        ) as results:
            outcomes = [result async for result in results]
        stats = results.stats
    assert [result.index for result in outcomes] == [0, 1, 2, 3, 4]
    assert [result.ok for result in outcomes] == [True, False, False, False, True]
    assert outcomes[0].value["args"] == {"a": "1"}  # type: ignore[index]
    assert isinstance(outcomes[1].error, trio_http.HTTPError)
    assert isinstance(outcomes[2].error, trio_http.ConnectError)
    assert outcomes[2].request is not None
    assert isinstance(outcomes[3].error, trio_http.InvalidURL)
    assert outcomes[3].request is None
    assert outcomes[4].value["json"] == {"x": 1}  # type: ignore[index]
    with pytest.raises(trio_http.ConnectError):
        outcomes[2].value  # noqa: B018 - the property raises the item's error
    assert (stats.total, stats.done, stats.failed, stats.in_flight) == (5, 5, 3, 0)
    assert stats.succeeded == 2


async def test_exception_in_the_body_propagates_unwrapped(server: TestServer) -> None:
    disconnects = add_hold_route(server)
    urls = [server.url_for("/get")] + [server.url_for(f"/hold?i={i}") for i in range(3)]
    async with AsyncClient() as client:
        with pytest.raises(KeyError):
            async with client.parallel(urls, max_in_flight=4) as results:
                async for _ in results:
                    await wait_until(lambda: server.in_flight == 3)
                    raise KeyError("mine")
        await wait_until(lambda: len(disconnects) == 3)


# -- leaving early and cancellation ------------------------------------------------


async def test_break_cancels_requests_in_flight(server: TestServer) -> None:
    disconnects = add_hold_route(server)
    urls = [server.url_for("/get")] + [server.url_for(f"/hold?i={i}") for i in range(3)]
    async with AsyncClient() as client:
        async with client.parallel(urls, max_in_flight=4) as results:
            async for result in results:
                assert result.index == 0
                await wait_until(lambda: server.in_flight == 3)
                break
        assert results.stats.in_flight == 0
        await wait_until(lambda: len(disconnects) == 3)
        assert (await client.get(server.url_for("/get"))).status_code == 200


async def test_cancelling_the_surrounding_scope_cancels_every_request(
    server: TestServer,
) -> None:
    disconnects = add_hold_route(server)
    urls = [server.url_for(f"/hold?i={i}") for i in range(6)]
    async with AsyncClient() as client:
        with trio.CancelScope() as scope:
            async with client.parallel(urls, max_in_flight=6) as results:
                await wait_until(lambda: server.in_flight == 6)
                scope.cancel()
                async for _ in results:
                    pytest.fail("nothing completes")
        assert scope.cancelled_caught
        assert results.stats.in_flight == 0
        await wait_until(lambda: len(disconnects) == 6)
        assert (await client.get(server.url_for("/get"))).status_code == 200


async def test_overall_timeout_cancels_and_raises_total_timeout(server: TestServer) -> None:
    disconnects = add_hold_route(server)
    urls = [server.url_for(f"/hold?i={i}") for i in range(3)]
    async with AsyncClient() as client:
        with pytest.raises(trio_http.TotalTimeout):
            async with client.parallel(urls, max_in_flight=3, timeout=0.2) as results:
                async for _ in results:
                    pass
        await wait_until(lambda: len(disconnects) == 3)


async def test_per_request_timeout_from_an_item_applies_to_that_item(server: TestServer) -> None:
    add_hold_route(server)
    items = [
        ("GET", server.url_for("/delay/0.3"), {"timeout": 0.05}),
        ("GET", server.url_for("/get")),
    ]
    async with AsyncClient() as client:
        async with client.parallel(items, errors="collect") as results:
            outcomes = [result async for result in results]
    assert isinstance(outcomes[0].error, trio_http.Timeout)
    assert outcomes[1].ok


# -- input forms and laziness ------------------------------------------------------


async def test_accepts_requests_urls_tuples_and_async_iterables(server: TestServer) -> None:
    async with AsyncClient() as client:
        built = client.build_request("PUT", server.url_for("/anything"), content=b"body")

        async def items() -> AsyncIterator[trio_http._parallel.ParallelItem]:
            yield built
            yield trio_http.URL(server.url_for("/get?u=1"))
            yield ("DELETE", server.url_for("/anything"))
            yield ("GET", server.url_for("/redirect/1"), {"follow_redirects": False})

        async with client.parallel(items(), max_in_flight=2) as results:
            outcomes = [result.value async for result in results]
    assert results.stats.total is None
    assert outcomes[0].json()["method"] == "PUT"
    assert outcomes[0].json()["data"] == "body"
    assert outcomes[1].json()["args"] == {"u": "1"}
    assert outcomes[2].json()["method"] == "DELETE"
    assert outcomes[3].status_code == 302


async def test_an_item_of_the_wrong_type_fails_with_type_error() -> None:
    async with AsyncClient(transport=MemoryTransport()) as client:
        with pytest.raises(ExceptionGroup) as caught:
            async with client.parallel([42], max_in_flight=1) as results:  # type: ignore[list-item]
                async for _ in results:
                    pass
    assert caught.group_contains(TypeError)


async def test_handler_consumes_streamed_bodies(server: TestServer) -> None:
    responses: list[Response] = []

    async def count_bytes(response: Response) -> int:
        responses.append(response)
        total = 0
        async for chunk in response.aiter_bytes():
            total += len(chunk)
        return total

    urls = [server.url_for(f"/bytes/{size}") for size in (0, 10, 300_000)]
    async with AsyncClient() as client:
        async with client.parallel(urls, handler=count_bytes) as results:
            sizes = [result.value async for result in results]
    assert sizes == [0, 10, 300_000]
    assert all(response.is_closed for response in responses)


@pytest.mark.parametrize("ordered", [True, False])
async def test_lazy_input_keeps_memory_flat(ordered: bool) -> None:
    count = 20_000
    produced = 0

    def urls() -> Iterator[str]:
        nonlocal produced
        for index in range(count):
            produced += 1
            yield f"http://memory/{index}"

    transport = MemoryTransport()
    received = 0
    async with AsyncClient(transport=transport) as client:
        gc.collect()
        tracemalloc.start()
        try:
            async with client.parallel(urls(), max_in_flight=8, ordered=ordered) as results:
                async for result in results:
                    received += 1
                    # Never more than the window ahead of the consumer.
                    assert produced - received <= 16
                    assert result.value.status_code == 200
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert received == count == transport.sent
    # The responses held at once would take several MB.
    assert peak < 500_000, peak


@pytest.mark.slow
async def test_100000_lazy_requests_hold_a_window_of_responses_at_most() -> None:
    # tracemalloc makes 100,000 requests take a minute: count instead the
    # responses created but not yet handed to the caller (Response has no
    # weak references), which is what the engine holds.
    transport = MemoryTransport()
    received = 0
    most_held = 0
    urls = (f"http://memory/{index}" for index in range(100_000))
    async with AsyncClient(transport=transport) as client:
        async with client.parallel(urls, max_in_flight=8) as results:
            async for result in results:
                received += 1
                most_held = max(most_held, transport.sent - received)
                assert result.value.status_code == 200
    assert received == 100_000
    # In flight (8) plus ready (the window of 16 covers both).
    assert most_held <= 16, most_held


async def test_empty_input_yields_nothing() -> None:
    async with AsyncClient(transport=MemoryTransport()) as client:
        async with client.parallel([]) as results:
            assert [result async for result in results] == []
        assert results.stats.done == 0


# -- misuse ------------------------------------------------------------------------


async def test_iterating_outside_the_block_raises_a_clear_error() -> None:
    async with AsyncClient(transport=MemoryTransport()) as client:
        parallel = client.parallel(["http://m/"])
        with pytest.raises(RuntimeError, match="async with"):
            async for _ in parallel:
                pass


@pytest.mark.parametrize(
    "options",
    [{"max_in_flight": 0}, {"max_per_host": 0}, {"errors": "ignore"}, {"timeout": -1}],
)
async def test_invalid_options_are_rejected(options: dict[str, object]) -> None:
    async with AsyncClient(transport=MemoryTransport()) as client:
        with pytest.raises(ValueError):
            client.parallel(["http://m/"], **options)  # type: ignore[call-overload]


async def test_a_block_is_entered_once() -> None:
    async with AsyncClient(transport=MemoryTransport()) as client:
        parallel = client.parallel(["http://m/"])
        async with parallel as results:
            assert [r.index async for r in results] == [0]
        with pytest.raises(RuntimeError):
            async with parallel:
                pass


async def test_closed_client_is_refused() -> None:
    async with AsyncClient(transport=MemoryTransport()) as client:
        pass
    with pytest.raises(trio_http.ClientStateError):
        async with client.parallel(["http://m/"]):
            pass


class PlainSender:
    """Not a client: only the two methods the fan-out engine may use."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def build_request(self, method: str, url: str | trio_http.URL, **options: object) -> Request:
        return Request(method, url, headers={"X-Sender": "plain"})

    async def send(self, request: Request, *, stream: bool = False) -> Response:
        await trio.lowlevel.checkpoint()
        if request.url.path == "/bad":
            raise trio_http.ConnectError("refused", request=request)
        self.sent.append(request.url.path)
        return Response(200, content=request.headers["X-Sender"], request=request)


async def test_the_engine_needs_only_a_request_sender() -> None:
    sender = PlainSender()
    engine: AsyncParallel[Response] = AsyncParallel(
        sender, ["http://m/a", ("POST", "http://m/b")], max_in_flight=2
    )
    async with engine as results:
        texts = [result.value.text async for result in results]
    assert texts == ["plain", "plain"]
    assert sorted(sender.sent) == ["/a", "/b"]


async def test_a_fail_fast_error_names_its_item_in_a_note_on_every_python() -> None:
    # Python 3.10 has no add_note(): the engine sets __notes__ itself there.
    engine: AsyncParallel[Response] = AsyncParallel(PlainSender(), ["http://m/a", "http://m/bad"])
    with pytest.raises(ExceptionGroup) as caught:
        async with engine as results:
            async for _ in results:
                pass
    [error] = caught.value.exceptions
    assert isinstance(error, trio_http.ConnectError)
    assert error.__notes__ == ["in parallel item #1: GET http://m/bad"]


def test_the_engine_does_not_import_the_client() -> None:
    source = Path(trio_http._parallel.__file__).read_text()
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module is not None
    }
    assert "_client" not in imported
    assert "_check_open" not in source


def test_result_and_stats_reprs() -> None:
    request = Request("GET", "http://example.org/")
    assert "GET http://example.org/" in repr(ParallelResult(3, request, 1))
    assert "error=" in repr(ParallelResult(3, None, None, ValueError("x")))
    stats = ParallelStats(10)
    assert repr(stats) == "<ParallelStats done=0/10 failed=0 in_flight=0>"
    assert AsyncParallel.__name__ == "AsyncParallel"


# -- HTTP/2 (against nginx, which negotiates h2 over ALPN) ---------------------------


@pytest.fixture
def h2_client_options(nginx: Nginx) -> dict[str, object]:
    return {"http2": True, "verify": str(nginx.ca_bundle)}


@pytest.mark.nginx
@pytest.mark.parametrize("ordered", [True, False])
async def test_http2_fan_out_multiplexes_in_order_or_as_completed(
    nginx: Nginx, h2_client_options: dict[str, object], ordered: bool
) -> None:
    urls = [nginx.https_url + ("/ok" if i % 2 else "/small.txt") for i in range(200)]
    async with AsyncClient(**h2_client_options) as client:  # type: ignore[arg-type]
        async with client.parallel(urls, max_in_flight=50, ordered=ordered) as results:
            outcomes = [result async for result in results]
    assert sorted(result.index for result in outcomes) == list(range(200))
    if ordered:
        assert [result.index for result in outcomes] == list(range(200))
    assert {result.value.http_version for result in outcomes} == {"HTTP/2"}


@pytest.mark.nginx
async def test_http2_fail_fast_and_collect(
    nginx: Nginx, h2_client_options: dict[str, object]
) -> None:
    async def must_be_ok(response: Response) -> str:
        await response.aread()
        response.raise_for_status()
        return response.text

    urls = [nginx.https_url + "/ok", nginx.https_url + "/missing", nginx.https_url + "/ok"]
    async with AsyncClient(**h2_client_options) as client:  # type: ignore[arg-type]
        async with client.parallel(urls, handler=must_be_ok, errors="collect") as results:
            oks = [result.ok async for result in results]
        assert oks == [True, False, True]
        with pytest.raises(ExceptionGroup) as caught:
            async with client.parallel(urls, handler=must_be_ok) as results:
                async for _ in results:
                    pass
        assert caught.group_contains(trio_http.HTTPError)
        assert (await client.get(nginx.https_url + "/ok")).text == "ok"
