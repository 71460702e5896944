"""Soak: many requests through one AsyncClient against real servers at their defaults.

How this works: nginx and hypercorn run with their own keep-alive defaults, so
both end every connection after 1000 requests (HTTP/1.1: ``Connection:
close``; HTTP/2: GOAWAY followed by the last responses), many times per
scenario. Each scenario sends ``TRIO_HTTP_SOAK_REQUESTS`` requests (default
20,000) through one :class:`AsyncClient` from :data:`WORKERS` tasks. A plan
drawn up front from a seeded :class:`random.Random` fixes each request's path
(``/ok`` or ``/12k.bin``) and, for about 10 % of them, where the caller gives
up: after a random delay from the start (anywhere from the pool wait to the
body), right after the response head, or after a random delay while reading
the body. Every 5 % of the requests a sample records RSS, open sockets and
live Trio tasks.

A scenario passes when no request failed other than by its own cancellation,
every other response had the right version, status and body, the samples
after warm-up stay within the tolerances below, and after the client's
``async with`` the process holds as many sockets and tasks as before it.
Each scenario adds a line to the "soak summary" section at the end of the run.

A second kind of test starts ``TRIO_HTTP_SOAK_CONCURRENT`` requests (default
10,000) at once, one task each, and expects every one to succeed.

Run with ``pytest -m soak``; ``TRIO_HTTP_SOAK_REQUESTS=2000`` gives a quick
version. Failures name the seed (``TRIO_HTTP_SOAK_SEED``) that reproduces the
plan; the timing of course differs from run to run.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import pytest
import trio
from asgi_app import TWELVE_KIB as HYPERCORN_12K
from interop import RunningServer, hypercorn_h2, hypercorn_h2c  # noqa: F401
from nginx import TWELVE_KIB as NGINX_12K
from nginx import Nginx

from trio_http import AsyncClient, Limits, ReadError, RemoteProtocolError, Response, Timeouts

pytestmark = [
    pytest.mark.soak,
    pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs Linux /proc"),
]

REQUESTS = int(os.environ.get("TRIO_HTTP_SOAK_REQUESTS", "20000"))
CONCURRENT = int(os.environ.get("TRIO_HTTP_SOAK_CONCURRENT", "10000"))
SEED = os.environ.get("TRIO_HTTP_SOAK_SEED", "trio_http-soak-1")
WORKERS = 32  # tasks sharing one client in a scenario
CANCEL_SHARE = 0.10  # share of planned requests the caller gives up on
SAMPLES = 20  # samples per scenario, one every 5 % of the requests
SCENARIO_TIMEOUT = 300.0  # seconds for one scenario, client exit included
FIRST_ERRORS = 5  # errors quoted in a failure message

# Tolerances, checked on the samples from 25 % of the requests to the end.
# By then the pool, the TLS and h2 state and Python's allocator arenas have
# reached their working size, so growth after that point is what a leak
# looks like. 10 MB over the last 15,000 of 20,000 requests is about 700
# bytes per request: a leaked response (its 12 KiB body) or connection per
# request shows many times over. What is not a leak: over TLS, where
# cancellations and the 20-connection keep-alive limit make the 32 workers
# open new connections all the time, OpenSSL's per-connection buffers
# fragment the C heap; measured here, RSS grows about 5 MB over those 15,000
# requests and levels off (+9, +5, +2 MB per 30,000 requests over 90,000)
# while the count of Python objects stays flat. The limit leaves twice that.
RSS_GROWTH_LIMIT = 10 * 1024 * 1024  # bytes, from the 25 % sample to the end
# Sockets in use beyond those open before the client: HTTP/1.1 holds at most
# one connection per worker. HTTP/2 holds one per origin, plus those that
# received GOAWAY and still wait for the server to close them: nginx closes
# right after its last response, but hypercorn leaves unanswered streams
# behind (see the scenarios below) and closes later, so a few can overlap.
# A socket leaked per GOAWAY (20 in a scenario) or per cancelled stream
# (hundreds) still goes far past 6; the count after the client must match
# the count before it exactly in any case.
HTTP11_SOCKET_LIMIT = WORKERS
HTTP2_SOCKET_LIMIT = 6
# Tasks beyond those alive before the client: the workers, the client's own
# housekeeping, and for HTTP/2 a reader and a writer per connection (the
# socket limit above); 8 covers housekeeping with room to spare.
TASK_SLACK = 8

Stage = Literal["request", "head", "body"]
STAGES: tuple[Stage, ...] = ("request", "head", "body")
PATHS = ("/ok", "/12k.bin")


@dataclass(frozen=True, slots=True)
class Step:
    """One planned request: its path and where (if at all) the caller gives up."""

    path: str
    cancel: Stage | None
    delay: float  # seconds, for the "request" and "body" stages


def make_plan(rng: random.Random, count: int) -> list[Step]:
    plan = []
    for _ in range(count):
        path = rng.choice(PATHS)
        if rng.random() < CANCEL_SHARE:
            # Log-uniform from 10 us to 20 ms: from "at the first checkpoint"
            # to "after a typical response has long arrived" under load.
            plan.append(Step(path, rng.choice(STAGES), 10 ** rng.uniform(-5, -1.7)))
        else:
            plan.append(Step(path, None, 0.0))
    return plan


@dataclass(frozen=True, slots=True)
class Sample:
    done: int  # requests finished when taken
    rss: int  # bytes
    sockets: int
    tasks: int


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def open_sockets() -> int:
    """Sockets among this process's file descriptors."""
    count = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                count += 1
        except FileNotFoundError:  # the descriptor listdir itself used
            continue
    return count


def live_tasks() -> int:
    """Every task in this Trio run, found from the root task's nurseries."""
    root = trio.lowlevel.current_root_task()
    assert root is not None  # only None outside a Trio run
    count = 0
    pending = [root]
    while pending:
        task = pending.pop()
        count += 1
        for nursery in task.child_nurseries:
            pending.extend(nursery.child_tasks)
    return count


def sample(done: int) -> Sample:
    return Sample(done, rss_bytes(), open_sockets(), live_tasks())


# hypercorn 0.18 ends an HTTP/2 connection at its request cap by calling
# h2's close_connection() as the request over the cap arrives: the GOAWAY
# names the highest stream it received, and from then on its h2 state is
# closed, so it cannot send the rest of a response it had begun (headers out,
# body not yet) and answers any further frame from the client with
# GOAWAY(PROTOCOL_ERROR). Streams it never answered the client sends again
# (idempotent GETs); a response cut after its head is an error the client
# must report, not hide. Those, and only those, are counted apart for the
# hypercorn HTTP/2 scenario, within this share of its requests.
TRUNCATED_SHARE_LIMIT = 0.005


def cut_by_server(exc: Exception) -> bool:
    """A response the server began and then abandoned when it ended the connection."""
    return isinstance(exc, RemoteProtocolError | ReadError) and str(exc).startswith(
        "the server closed the HTTP/2 connection"
    )


@dataclass
class Tally:
    ok: int = 0
    cancelled: int = 0
    errors: int = 0
    truncated: int = 0  # cut_by_server, where the server is known to do so
    first_errors: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)

    def record_error(self, index: int, step: Step, exc: Exception) -> None:
        self.errors += 1
        message = f"{type(exc).__name__}: {exc}"
        if exc.__cause__ is not None:
            message += f" (from {type(exc.__cause__).__name__}: {exc.__cause__})"
        self.kinds[message[:120]] += 1
        if len(self.first_errors) < FIRST_ERRORS:
            self.first_errors.append(f"#{index} {step.path} cancel={step.cancel}: {message}")

    def describe_errors(self) -> str:
        lines = ["first errors:", *self.first_errors, "most common:"]
        lines += [f"{count} x {kind}" for kind, count in self.kinds.most_common(5)]
        return "\n  ".join(lines)


@dataclass(frozen=True, slots=True)
class Target:
    """A server and the way one scenario talks to it."""

    name: str
    base_url: str
    verify: str | bool
    http2: bool
    body_12k: bytes
    truncates: bool = False  # the server cuts responses at its request cap

    @property
    def http_version(self) -> str:
        return "HTTP/2" if self.http2 else "HTTP/1.1"

    def expected_body(self, path: str) -> bytes:
        return b"ok" if path == "/ok" else self.body_12k


def _check(target: Target, step: Step, response: Response, body: bytes) -> None:
    if response.status_code != 200 or response.http_version != target.http_version:
        raise AssertionError(f"got {response.http_version} {response.status_code}")
    if body != target.expected_body(step.path):
        raise AssertionError(f"wrong body: {len(body)} bytes starting {body[:16]!r}")


async def fetch(client: AsyncClient, target: Target, step: Step) -> bool:
    """Send one planned request and check its response; True when it was cancelled."""
    url = target.base_url + step.path
    if step.cancel is None:
        response = await client.get(url)
        _check(target, step, response, response.content)
        return False
    with trio.CancelScope() as scope:
        if step.cancel == "request":
            scope.deadline = trio.current_time() + step.delay
            response = await client.get(url)
            _check(target, step, response, response.content)
        else:
            async with client.stream("GET", url) as response:
                if step.cancel == "head":
                    scope.cancel()
                    await trio.lowlevel.checkpoint()
                scope.deadline = trio.current_time() + step.delay
                _check(target, step, response, await response.aread())
    return scope.cancelled_caught


@pytest.fixture(
    params=[
        "nginx-http1-plain",
        "nginx-http1-tls",
        "nginx-http2",
        "hypercorn-http1-plain",
        "hypercorn-http1-tls",
        "hypercorn-http2",
    ]
)
def target(request: pytest.FixtureRequest) -> Target:
    name: str = request.param
    server_name, protocol, *tls = name.split("-")
    http2 = protocol == "http2"
    plain = tls == ["plain"]
    if server_name == "nginx":
        nginx: Nginx = request.getfixturevalue("nginx_defaults")
        if plain:
            return Target(name, nginx.http_url, False, http2, NGINX_12K)
        return Target(name, nginx.https_url, str(nginx.ca_bundle), http2, NGINX_12K)
    # The interop fixtures run hypercorn with its defaults.
    hypercorn: RunningServer = request.getfixturevalue("hypercorn_h2c" if plain else "hypercorn_h2")
    verify = hypercorn.ca_bundle or False
    return Target(name, hypercorn.url, verify, http2, HYPERCORN_12K, truncates=http2)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


async def test_soak_with_cancellations_stays_flat(target: Target, soak_report: list[str]) -> None:
    plan = make_plan(random.Random(f"{SEED}:{target.name}"), REQUESTS)
    sample_every = max(1, math.ceil(REQUESTS / SAMPLES))
    tally = Tally()
    samples: list[Sample] = []
    done = 0
    before = sample(0)
    started = time.monotonic()

    with trio.move_on_after(SCENARIO_TIMEOUT) as overall:
        async with AsyncClient(http2=target.http2, verify=target.verify, trust_env=False) as client:
            next_index = 0

            async def worker() -> None:
                nonlocal next_index, done
                while next_index < len(plan):
                    index = next_index
                    next_index += 1
                    step = plan[index]
                    try:
                        cancelled = await fetch(client, target, step)
                    except Exception as exc:
                        if target.truncates and cut_by_server(exc):
                            tally.truncated += 1
                        else:
                            tally.record_error(index, step, exc)
                    else:
                        if cancelled:
                            tally.cancelled += 1
                        else:
                            tally.ok += 1
                    done += 1
                    if done % sample_every == 0:
                        samples.append(sample(done))

            async with trio.open_nursery() as nursery:
                for _ in range(WORKERS):
                    nursery.start_soon(worker)
            samples.append(sample(done))
    after = sample(done)
    seconds = time.monotonic() - started

    warm = [one for one in samples if one.done >= REQUESTS / 4] or samples[-1:]
    max_sockets = max(one.sockets for one in warm)
    max_tasks = max(one.tasks for one in warm)
    soak_report.append(
        f"{target.name:22} requests={REQUESTS} ok={tally.ok} cancelled={tally.cancelled} "
        f"errors={tally.errors} "
        + (f"cut-by-server={tally.truncated} " if target.truncates else "")
        + f"rss={_mb(warm[0].rss)}->{_mb(samples[-1].rss)}MB "
        f"sockets={before.sockets}/{max_sockets}/{after.sockets} "
        f"tasks={before.tasks}/{max_tasks}/{after.tasks} {seconds:.1f}s"
        + ("" if not tally.errors else f" first: {tally.first_errors[0][:150]}")
    )

    context = f"{target.name}, seed {SEED!r}"
    assert not overall.cancelled_caught, (
        f"{context}: {done} of {REQUESTS} requests in {SCENARIO_TIMEOUT} s"
    )
    assert tally.errors == 0, (
        f"{context}: {tally.errors} of {REQUESTS} requests failed\n  {tally.describe_errors()}"
    )
    assert tally.truncated <= TRUNCATED_SHARE_LIMIT * REQUESTS, (
        f"{context}: {tally.truncated} responses cut by the server"
    )
    assert tally.ok + tally.cancelled + tally.truncated == REQUESTS
    assert after.sockets == before.sockets, f"{context}: sockets left open"
    assert after.tasks == before.tasks, f"{context}: tasks left running"
    growth = samples[-1].rss - warm[0].rss
    assert growth <= RSS_GROWTH_LIMIT, (
        f"{context}: RSS grew {_mb(growth)} MB after warm-up: {[_mb(s.rss) for s in samples]}"
    )
    socket_limit = HTTP2_SOCKET_LIMIT if target.http2 else HTTP11_SOCKET_LIMIT
    assert max_sockets - before.sockets <= socket_limit, (
        f"{context}: sockets after warm-up {[s.sockets for s in warm]}, before {before.sockets}"
    )
    task_limit = WORKERS + TASK_SLACK + (2 * HTTP2_SOCKET_LIMIT if target.http2 else 0)
    assert max_tasks - before.tasks <= task_limit, (
        f"{context}: tasks after warm-up {[s.tasks for s in warm]}, before {before.tasks}"
    )


async def _all_at_once(client: AsyncClient, url: str, http_version: str, tally: Tally) -> None:
    async def one(index: int) -> None:
        try:
            response = await client.get(url)
            if response.status_code != 200 or response.http_version != http_version:
                raise AssertionError(f"got {response.http_version} {response.status_code}")
            if response.content != b"ok":
                raise AssertionError(f"wrong body {response.content[:16]!r}")
        except Exception as exc:
            tally.record_error(index, Step("/ok", None, 0.0), exc)
        else:
            tally.ok += 1

    async with trio.open_nursery() as nursery:
        for index in range(CONCURRENT):
            nursery.start_soon(one, index)


async def _concurrent_scenario(
    name: str, client: AsyncClient, url: str, http_version: str, soak_report: list[str]
) -> None:
    tally = Tally()
    before = sample(0)
    started = time.monotonic()
    with trio.move_on_after(SCENARIO_TIMEOUT) as overall:
        async with client:
            await _all_at_once(client, url, http_version, tally)
    after = sample(0)
    soak_report.append(
        f"{name:22} requests={CONCURRENT} at once ok={tally.ok} errors={tally.errors} "
        f"rss={_mb(before.rss)}->{_mb(after.rss)}MB sockets={before.sockets}/{after.sockets} "
        f"tasks={before.tasks}/{after.tasks} {time.monotonic() - started:.1f}s"
        + ("" if not tally.errors else f" first: {tally.first_errors[0][:150]}")
    )
    assert not overall.cancelled_caught, f"{name}: not done in {SCENARIO_TIMEOUT} s"
    assert tally.errors == 0, (
        f"{name}: {tally.errors} of {CONCURRENT} requests failed\n  {tally.describe_errors()}"
    )
    assert tally.ok == CONCURRENT
    assert after.sockets == before.sockets, f"{name}: sockets left open"
    assert after.tasks == before.tasks, f"{name}: tasks left running"


async def test_http2_many_concurrent_requests_all_succeed(
    nginx_defaults: Nginx, soak_report: list[str]
) -> None:
    # 10,000 streams on connections that nginx ends after 1000 requests each,
    # 128 concurrent streams at a time: requests wait for stream slots and
    # move to the next connection after each GOAWAY.
    client = AsyncClient(http2=True, verify=str(nginx_defaults.ca_bundle), trust_env=False)
    await _concurrent_scenario(
        "nginx-http2-at-once", client, nginx_defaults.https_url + "/ok", "HTTP/2", soak_report
    )


async def test_http11_many_concurrent_requests_wait_for_the_pool(
    nginx_defaults: Nginx, soak_report: list[str]
) -> None:
    # The default Limits allow 100 connections, so 9,900 requests queue for
    # the pool in FIFO order and the last one waits for all the others. At
    # a few thousand requests per second that is seconds, but on a loaded
    # two-core machine it can pass the default 60 s pool timeout: let the
    # scenario's own 300 s bound decide instead.
    timeout = Timeouts(connect=10.0, read=60.0, write=60.0, pool=SCENARIO_TIMEOUT)
    client = AsyncClient(limits=Limits(), timeout=timeout, trust_env=False)
    await _concurrent_scenario(
        "nginx-http1-at-once", client, nginx_defaults.http_url + "/ok", "HTTP/1.1", soak_report
    )
