"""Retry policy (pure decisions) and the retrying send, against scripted
transports (exact timing under an autojump clock) and the test server."""

from __future__ import annotations

import email.utils
import itertools
import time
from collections.abc import AsyncIterator

import pytest
import trio
from server import RawReader, Responder, ServerRequest, TestServer

import trio_http
from trio_http import Timeouts
from trio_http._deadlines import Deadlines
from trio_http._exceptions import ConnectError, ProxyError, ReadError
from trio_http._headers import Headers
from trio_http._request import Request
from trio_http._response import Response
from trio_http._retries import Retry, parse_retry_after
from trio_http._transports._base import AsyncBaseTransport
from trio_http._transports._retry import RetryTransport, send_with_retries

NO_WAIT = Retry(3, backoff_factor=0)


def _request(method: str = "GET", **kwargs: object) -> Request:
    return Request(method, "http://example.test/", **kwargs)  # type: ignore[arg-type]


# -- pure decisions -------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap_without_jitter() -> None:
    retry = Retry(backoff_factor=0.5, backoff_max=3.0, backoff_jitter=0)
    assert [retry.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_shortens_waits_by_at_most_its_fraction() -> None:
    retry = Retry(backoff_factor=1.0, backoff_jitter=0.5, random=lambda: 0.999999)
    assert retry.backoff(1) == pytest.approx(0.5, abs=1e-5)
    assert Retry(backoff_factor=1.0, backoff_jitter=0.5, random=lambda: 0.0).backoff(1) == 1.0


def test_parse_retry_after_seconds_dates_and_garbage() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(" 120 ", now) == 120.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(date, now) == pytest.approx(30.0)
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after(past, now) == 0.0
    for bad in ("-1", "1.5", "soon", "", "١٢"):
        assert parse_retry_after(bad, now) is None


def test_post_is_retried_after_connect_errors_but_not_after_read_errors() -> None:
    attempts = NO_WAIT.new_attempts()
    post = _request("POST", content=b"x")
    assert attempts.after_error(post, ConnectError("refused")) == 0.0
    assert attempts.after_error(post, ReadError("reset")) is None
    assert attempts.after_error(_request(), ReadError("reset")) == 0.0


def test_unrewindable_body_is_never_retried() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"x"

    request = _request("PUT", content=body())
    attempts = NO_WAIT.new_attempts()
    assert attempts.after_error(request, ConnectError("refused")) is None
    assert attempts.after_response(request, 503, Headers(), 0.0) is None


def test_only_configured_statuses_are_retried() -> None:
    attempts = Retry(3, status_forcelist={500}, backoff_factor=0).new_attempts()
    assert attempts.after_response(_request(), 503, Headers(), 0.0) is None
    assert attempts.after_response(_request(), 500, Headers(), 0.0) == 0.0


def test_per_kind_counts_and_total_cap() -> None:
    attempts = Retry(total=3, connect=1, backoff_factor=0).new_attempts()
    request = _request()
    assert attempts.after_error(request, ConnectError("x")) == 0.0
    assert attempts.after_error(request, ConnectError("x")) is None
    assert attempts.after_error(request, ReadError("x")) == 0.0
    assert attempts.after_response(request, 503, Headers(), 0.0) == 0.0
    assert attempts.after_response(request, 503, Headers(), 0.0) is None


def test_proxy_refusal_is_not_retried() -> None:
    refusal = ProxyError("no", response=Response(407))
    assert NO_WAIT.new_attempts().after_error(_request(), refusal) is None
    assert NO_WAIT.new_attempts().after_error(_request(), ProxyError("down")) == 0.0


def test_retry_from_value_and_validation() -> None:
    assert Retry.from_value(None) is None and Retry.from_value(0) is None
    assert Retry.from_value(2) == Retry(total=2)
    with pytest.raises(TypeError):
        Retry.from_value("3")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Retry(total=-1)
    with pytest.raises(ValueError):
        Retry(backoff_jitter=2)


# -- timing, with a scripted transport ------------------------------------------


class Scripted(AsyncBaseTransport):
    """Answers each try from ``script`` (a Response or an exception) and
    records the (mock) time of each try."""

    def __init__(self, *script: Response | Exception) -> None:
        self.script = list(script)
        self.times: list[float] = []

    async def handle_async_request(self, request: Request) -> Response:
        await trio.lowlevel.checkpoint()
        self.times.append(trio.current_time())
        outcome = self.script.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        outcome.request = request
        return outcome


def _gaps(times: list[float]) -> list[float]:
    return [round(b - a, 6) for a, b in itertools.pairwise(times)]


async def test_connect_errors_are_retried_with_exponential_backoff(autojump_clock: object) -> None:
    transport = Scripted(ConnectError("a"), ConnectError("b"), ConnectError("c"), Response(200))
    retry = Retry(3, backoff_factor=0.5, backoff_jitter=0)
    response = await send_with_retries(transport, _request(), retry)
    assert response.status_code == 200
    assert _gaps(transport.times) == [0.5, 1.0, 2.0]


async def test_exhausted_retries_raise_the_last_error(autojump_clock: object) -> None:
    transport = Scripted(ConnectError("a"), ConnectError("last"))
    with pytest.raises(ConnectError, match="last"):
        await send_with_retries(transport, _request(), Retry(1, backoff_jitter=0))


async def test_retry_after_seconds_is_honoured(autojump_clock: object) -> None:
    transport = Scripted(Response(503, headers={"Retry-After": "7"}), Response(200))
    response = await send_with_retries(transport, _request(), Retry(3, backoff_jitter=0))
    assert response.status_code == 200
    assert _gaps(transport.times) == [7.0]


async def test_retry_after_date_is_honoured(autojump_clock: object) -> None:
    # The date is compared with the wall clock, so allow for a second of skew.
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    transport = Scripted(Response(429, headers={"Retry-After": when}), Response(200))
    await send_with_retries(transport, _request(), Retry(3))
    assert 18.5 <= _gaps(transport.times)[0] <= 20.0


async def test_retry_after_beyond_the_cap_returns_the_response_at_once(
    autojump_clock: object,
) -> None:
    transport = Scripted(Response(503, headers={"Retry-After": "3600"}), Response(200))
    start = trio.current_time()
    response = await send_with_retries(transport, _request(), Retry(3, retry_after_max=60))
    assert response.status_code == 503
    assert trio.current_time() == start
    assert len(transport.script) == 1  # the second answer was never asked for


async def test_no_retry_starts_that_would_end_past_the_overall_deadline(
    autojump_clock: object,
) -> None:
    request = _request()
    request.deadlines = Deadlines(Timeouts(total=5), trio.current_time() + 5)
    transport = Scripted(Response(503, headers={"Retry-After": "10"}), Response(200))
    response = await send_with_retries(transport, request, Retry(3))
    assert response.status_code == 503


async def test_retry_transport_wraps_another_transport(autojump_clock: object) -> None:
    inner = Scripted(Response(503), Response(200))
    async with RetryTransport(inner, Retry(2, backoff_factor=0)) as transport:
        response = await transport.handle_async_request(_request())
    assert response.status_code == 200


# -- against the test server ------------------------------------------------------


def _flaky(server: TestServer, failures: int, status: int = 503) -> list[ServerRequest]:
    seen: list[ServerRequest] = []

    @server.route("/flaky")
    async def flaky(request: ServerRequest, respond: Responder) -> None:
        seen.append(request)
        if len(seen) <= failures:
            await respond.respond(status, [("Retry-After", "0")], b"busy")
        else:
            await respond.respond(200, [], b"ok " + request.body)

    return seen


async def test_get_is_retried_on_503_until_it_succeeds(server: TestServer) -> None:
    seen = _flaky(server, failures=2)
    async with trio_http.AsyncClient(retries=NO_WAIT) as client:
        response = await client.get(server.url_for("/flaky"))
    assert response.status_code == 200
    assert len(seen) == 3


async def test_post_is_never_replayed_after_a_503(server: TestServer) -> None:
    seen = _flaky(server, failures=5)
    async with trio_http.AsyncClient(retries=NO_WAIT) as client:
        response = await client.post(server.url_for("/flaky"), content=b"payment")
    assert response.status_code == 503
    assert len(seen) == 1


async def test_post_is_never_replayed_after_the_connection_breaks(
    raw_server: TestServer,
) -> None:
    received: list[bytes] = []

    async def reset_after_request(stream: trio.abc.Stream) -> None:
        head, _ = await RawReader(stream).receive_request()
        received.append(head)
        await stream.aclose()

    raw_server.raw_handler = reset_after_request
    async with trio_http.AsyncClient(retries=NO_WAIT) as client:
        with pytest.raises(trio_http.ConnectionError):
            await client.post(raw_server.url + "/charge", content=b"once")
        with pytest.raises(trio_http.ConnectionError):
            await client.get(raw_server.url + "/read")
    assert [head.split(b" ")[0] for head in received] == [b"POST"] + [b"GET"] * 4


async def test_streamed_body_is_never_replayed(server: TestServer) -> None:
    seen = _flaky(server, failures=5)

    async def body() -> AsyncIterator[bytes]:
        yield b"chunk"

    async with trio_http.AsyncClient(retries=NO_WAIT) as client:
        response = await client.put(server.url_for("/flaky"), content=body())
    assert response.status_code == 503
    assert len(seen) == 1


async def test_rewindable_put_body_is_sent_whole_on_each_try(server: TestServer) -> None:
    seen = _flaky(server, failures=1)
    async with trio_http.AsyncClient(retries=NO_WAIT) as client:
        response = await client.put(server.url_for("/flaky"), content=b"data")
    assert response.content == b"ok data"
    assert [request.body for request in seen] == [b"data", b"data"]


async def test_statuses_outside_the_forcelist_are_not_retried(server: TestServer) -> None:
    seen = _flaky(server, failures=5, status=500)
    async with trio_http.AsyncClient(retries=NO_WAIT) as client:
        response = await client.get(server.url_for("/flaky"))
    assert response.status_code == 500
    assert len(seen) == 1


async def test_client_without_retries_sends_once(server: TestServer) -> None:
    seen = _flaky(server, failures=1)
    async with trio_http.AsyncClient() as client:
        response = await client.get(server.url_for("/flaky"))
    assert response.status_code == 503
    assert len(seen) == 1
