"""Session.parallel / trio_http.parallel: the blocking twin of AsyncClient.parallel."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio
from server import Responder, ServerRequest, TestServer
from threaded_server import serve_in_thread

import trio_http
from trio_http import Parallel, Request, Response, Session, parallel

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import ExceptionGroup

TESTS = Path(__file__).resolve().parent


@pytest.fixture
def live() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        yield running


@pytest.fixture
def session() -> Iterator[Session]:
    with Session() as opened:
        yield opened


def add_routes(server: TestServer) -> list[str]:
    """``/sleep?s=`` answers after s seconds; ``/hold`` never ends (disconnects recorded);
    ``/fail?after=n`` drops its connection once n requests are in progress."""
    disconnects: list[str] = []

    async def hold(request: ServerRequest, respond: Responder) -> None:
        await respond.start(200, [("Content-Length", "100000000")])
        try:
            while True:
                await respond.send(b"x")
                await trio.sleep(0.005)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            disconnects.append(request.target)
            raise

    async def sleep(request: ServerRequest, respond: Responder) -> None:
        await trio.sleep(float(request.args["s"]))  # type: ignore[arg-type]
        await respond.respond(200, [], request.target.encode())

    async def fail(request: ServerRequest, respond: Responder) -> None:
        # Once every other request of the test is in, drop the connection.
        while server.in_flight < int(request.args["after"]):  # type: ignore[arg-type]
            await trio.sleep(0.002)
        await trio.sleep(0.02)
        raise trio.BrokenResourceError

    server.routes["/hold"] = hold
    server.routes["/fail"] = fail
    server.routes["/sleep"] = sleep
    return disconnects


def closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/"


def wait_until(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


def test_results_in_input_order_within_the_bound(live: TestServer, session: Session) -> None:
    add_routes(live)
    urls = [live.url_for(f"/sleep?s=0.01&i={i}") for i in range(30)]
    with session.parallel(urls, max_in_flight=4) as results:
        outcomes = list(results)
    assert [result.index for result in outcomes] == list(range(30))
    assert all(result.value.text.endswith(f"i={i}") for i, result in enumerate(outcomes))
    assert live.max_concurrent_requests == 4
    assert (results.stats.done, results.stats.in_flight) == (30, 0)


def test_results_as_completed(live: TestServer, session: Session) -> None:
    add_routes(live)
    urls = [live.url_for(f"/sleep?s={(5 - i) * 0.06:.2f}") for i in range(6)]
    order = [r.index for r in session.parallel(urls, max_in_flight=6, ordered=False)]
    assert order == [5, 4, 3, 2, 1, 0]


def test_session_defaults_apply_to_items(live: TestServer, session: Session) -> None:
    session.headers["X-Session"] = "yes"
    session.params = {"p": "1"}
    items = [
        live.url_for("/anything"),
        ("POST", live.url_for("/anything"), {"json": {"a": 1}, "headers": {"X-Item": "2"}}),
        ("GET", live.url_for("/redirect/1"), {"allow_redirects": False}),
    ]
    first, second, third = (r.value for r in session.parallel(items))
    assert first.json()["headers"]["x-session"] == "yes"
    assert first.json()["args"] == {"p": "1"}
    assert second.json()["json"] == {"a": 1}
    assert second.json()["headers"]["x-item"] == "2"
    assert second.json()["headers"]["x-session"] == "yes"
    assert third.status_code == 302


def test_fail_fast_raises_a_group_of_the_failures(live: TestServer, session: Session) -> None:
    disconnects = add_routes(live)
    urls = [live.url_for(f"/hold?i={i}") for i in range(3)] + [live.url_for("/fail?after=4")]
    with pytest.raises(ExceptionGroup) as caught:
        for _ in session.parallel(urls, max_in_flight=4):
            pytest.fail("no request can succeed")
    assert len(caught.value.exceptions) == 1
    error = caught.value.exceptions[0]
    assert isinstance(error, trio_http.RequestException)
    assert error.request is not None and error.request.url.path == "/fail"
    wait_until(lambda: len(disconnects) == 3)
    assert session.get(live.url_for("/get")).status_code == 200


def test_collect_mode_returns_every_outcome(live: TestServer, session: Session) -> None:
    urls = [live.url_for("/get"), closed_port_url(), live.url_for("/status/503")]
    outcomes = list(session.parallel(urls, errors="collect"))
    assert [result.ok for result in outcomes] == [True, False, True]
    assert isinstance(outcomes[1].error, trio_http.ConnectError)
    assert outcomes[2].value.status_code == 503


def test_break_cancels_requests_in_flight(live: TestServer, session: Session) -> None:
    disconnects = add_routes(live)
    urls = [live.url_for("/get")] + [live.url_for(f"/hold?i={i}") for i in range(3)]
    for result in session.parallel(urls, max_in_flight=4):
        assert result.index == 0
        wait_until(lambda: live.in_flight == 3)
        break
    wait_until(lambda: len(disconnects) == 3)
    assert session.get(live.url_for("/get")).status_code == 200


def test_keyboard_interrupt_in_the_loop_cancels_and_keeps_the_session(
    live: TestServer, session: Session
) -> None:
    disconnects = add_routes(live)
    urls = [live.url_for("/get")] + [live.url_for(f"/hold?i={i}") for i in range(3)]
    with pytest.raises(KeyboardInterrupt):
        with session.parallel(urls, max_in_flight=4) as results:
            for _ in results:
                wait_until(lambda: live.in_flight == 3)
                raise KeyboardInterrupt
    # The with block waited for the cancellation: nothing is in flight.
    assert results.stats.in_flight == 0
    wait_until(lambda: len(disconnects) == 3)
    assert session.get(live.url_for("/get")).status_code == 200


def test_ctrl_c_while_waiting_cancels_and_keeps_the_session() -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(TESTS)!r})
        from threaded_server import serve_in_thread
        from test_sync_parallel import add_routes
        from trio_http import Session

        with serve_in_thread() as live, Session() as session:
            disconnects = add_routes(live)
            urls = [live.url_for(f"/hold?i={{i}}") for i in range(3)]
            try:
                with session.parallel(urls, max_in_flight=3) as results:
                    print("waiting", flush=True)
                    for _ in results:
                        pass
            except KeyboardInterrupt:
                print("interrupted", results.stats.in_flight, flush=True)
            print("status", session.get(live.url_for("/get")).status_code, flush=True)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=TESTS.parent,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "waiting"
        time.sleep(0.3)
        os.kill(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert "interrupted 0" in out, err
    assert "status 200" in out, err


def test_lazy_input_is_pulled_within_the_window(session: Session) -> None:
    class Memory(trio_http.AsyncBaseTransport):
        async def handle_async_request(self, request: Request) -> Response:
            await trio.lowlevel.checkpoint()
            return Response(200, content=b"ok", request=request)

    produced = 0

    def urls() -> Iterator[str]:
        nonlocal produced
        for index in range(20_000):
            produced += 1
            yield f"http://memory/{index}"

    session.mount("http://memory", Memory())
    received = 0
    for result in session.parallel(urls(), max_in_flight=8):
        received += 1
        assert result.index == received - 1
        # Engine window (2 x 8), plus up to two hand-off windows (2 x 8 each).
        assert produced - received <= 48
    assert received == 20_000


def test_async_handler_runs_in_the_loop_thread(live: TestServer, session: Session) -> None:
    async def size(response: Response) -> int:
        return len(await response.aread())

    urls = [live.url_for(f"/bytes/{n}") for n in (1, 1000, 200_000)]
    assert [r.value for r in session.parallel(urls, handler=size)] == [1, 1000, 200_000]


def test_overall_timeout_raises_total_timeout(live: TestServer, session: Session) -> None:
    add_routes(live)
    with pytest.raises(trio_http.TotalTimeout):
        list(session.parallel([live.url_for("/hold")], timeout=0.2))
    assert session.get(live.url_for("/get")).status_code == 200


def test_module_level_parallel_uses_a_temporary_session(live: TestServer) -> None:
    urls = [live.url_for(f"/get?i={i}") for i in range(5)]
    results = parallel(urls, max_in_flight=2)
    assert isinstance(results, Parallel)
    assert [r.value.json()["args"]["i"] for r in results] == ["0", "1", "2", "3", "4"]


def test_invalid_options_and_async_input_are_rejected(session: Session) -> None:
    with pytest.raises(ValueError):
        session.parallel(["http://m/"], max_in_flight=0)

    async def items() -> object:
        yield "http://m/"

    with pytest.raises(TypeError):
        session.parallel(items())  # type: ignore[arg-type]
