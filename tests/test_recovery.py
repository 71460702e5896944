"""A client that meets failing connections keeps working: a property test.

A scripted HTTP/2 server answers each request as a drawn plan says: a
response, a closed socket, a reset stream, a graceful GOAWAY below the
request, or bytes that break the protocol. Request loops that swallow
errors must make progress: every error is one public exception, the pool
replaces dead connections, and once the plan is used up every request
succeeds and nothing is left running.
"""

from __future__ import annotations

from collections import deque

import h2.exceptions
import trio
from h2server import H2Exchange, open_h2_server
from hypothesis import given, settings
from hypothesis import strategies as st

import trio_http
from trio_http._transports._http2_state import RetryableStreamError

ACTIONS = ["ok", "close", "reset", "goaway", "garbage"]
BAD_FRAME = b"\x00\x00\x04\x00\x00\x00\x00\x00\x00junk"  # DATA on stream 0
WORKERS = 3
SUCCESSES_AFTER_PLAN = 10


async def serve_by_plan(exchange: H2Exchange, plan: deque[str]) -> None:
    action = plan.popleft() if plan else "ok"
    if action == "ok":
        await exchange.respond(200, [("content-length", "2")])
        await exchange.send(b"ok", end=True)
    elif action == "close":
        await exchange.conn.stream.aclose()
    elif action == "reset":
        await exchange.reset(code=2)  # INTERNAL_ERROR
    elif action == "goaway":
        # Not processed: the client sends it again on a new connection.
        await exchange.goaway(last_stream_id=max(0, exchange.stream_id - 2))
    else:
        await exchange.send_raw(BAD_FRAME)


async def run_plan(actions: list[str]) -> None:
    plan = deque(actions)
    async with open_h2_server() as server:

        @server.route("/p")
        async def planned(exchange: H2Exchange) -> None:
            try:
                await serve_by_plan(exchange, plan)
            except h2.exceptions.ProtocolError:
                pass  # the client already ended this connection (its GOAWAY)

        errors: list[BaseException] = []
        successes_after_plan = 0
        async with trio_http.AsyncClient(http2=True, http1=False, timeout=5) as client:

            async def worker() -> None:
                nonlocal successes_after_plan
                while successes_after_plan < SUCCESSES_AFTER_PLAN:
                    exhausted = not plan
                    try:
                        response = await client.get(server.url + "/p")
                    except trio_http.RequestException as exc:
                        errors.append(exc)
                        continue
                    assert response.content == b"ok"
                    if exhausted:
                        successes_after_plan += 1

            with trio.fail_after(20):
                async with trio.open_nursery() as nursery:
                    for _ in range(WORKERS):
                        nursery.start_soon(worker)
        failures = sum(action != "ok" for action in actions)
        # One failure can break every request on its connection, but no more.
        assert len(errors) <= failures * WORKERS
        for exc in errors:
            assert not isinstance(exc, RetryableStreamError)
            # Every error is one of the public exception classes.
            assert type(exc) is getattr(trio_http, type(exc).__name__)
        assert server.connections_opened <= failures + 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(ACTIONS), max_size=12))
def test_request_loops_that_swallow_errors_make_progress(actions: list[str]) -> None:
    trio.run(run_plan, actions)
