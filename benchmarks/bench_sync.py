"""Sequential GETs through the blocking APIs against local nginx.

Two tables, in one run:

- sessions: trio_http.Session vs requests.Session vs httpx.Client, each
  reusing its connections (``--requests`` GETs);
- module functions: ``trio_http.get(url)`` vs ``requests.get(url)``, each
  call with a session of its own and a fresh connection (``--calls`` GETs).

    python benchmarks/bench_sync.py --requests 5000 --calls 1000 --rounds 5

Every client runs once per round, rotating which goes first, each with its
own warm-up. Prints median requests per second and how many times faster
trio_http is: the median of the per-round ratios with their min-max range
(see ``_common.py``); ``--rounds 1`` prints the single-run table. Use
``--profile`` to print a cProfile of the trio_http Session run (both
threads' CPU lands in this process; the loop thread is profiled with the
caller's).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib.util
import pstats
from collections.abc import Callable
from typing import Any

from _common import Runner, add_rounds_option, local_nginx, print_rounds, run_rounds, timed

import trio_http

WARMUP = 200
# A module-level call opens and closes a connection: fewer warm-up calls.
FUNCTION_WARMUP = 50


def _run(session: Any, url: str, count: int, warmup: int = WARMUP) -> list[float]:
    # ``session`` is anything with a requests-style get(): a session or a module.
    get = session.get
    for _ in range(warmup):
        assert get(url).status_code == 200
    with timed() as elapsed:
        for _ in range(count):
            response = get(url)
            assert response.status_code == 200
    return elapsed


def run_trio_http(url: str, count: int) -> list[float]:
    with trio_http.Session() as session:
        return _run(session, url, count)


def run_requests(url: str, count: int) -> list[float]:
    import requests

    with requests.Session() as session:
        return _run(session, url, count)


def run_httpx(url: str, count: int) -> list[float]:
    import httpx

    with httpx.Client() as client:
        return _run(client, url, count)


def run_trio_http_get(url: str, count: int) -> list[float]:
    return _run(trio_http, url, count, FUNCTION_WARMUP)


def run_requests_get(url: str, count: int) -> list[float]:
    import requests

    return _run(requests, url, count, FUNCTION_WARMUP)


RunnerTable = dict[str, tuple[str, Callable[[str, int], list[float]]]]

# name -> (module the runner needs, runner); the first row is the baseline.
RUNNERS: RunnerTable = {
    "trio_http": ("trio_http", run_trio_http),
    "requests Session": ("requests", run_requests),
    "httpx Client": ("httpx", run_httpx),
}
FUNCTION_RUNNERS: RunnerTable = {
    "trio_http": ("trio_http", run_trio_http_get),
    "requests.get": ("requests", run_requests_get),
}


def _available(table: RunnerTable, url: str, count: int) -> dict[str, Runner]:
    runners: dict[str, Runner] = {}
    for name, (module, runner) in table.items():
        if importlib.util.find_spec(module) is None:
            print(f"{name}: not installed, skipped")
            continue
        runners[name] = functools.partial(runner, url, count)
    return runners


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument(
        "--calls", type=int, default=1000, help="module-level get() calls (0: skip)"
    )
    parser.add_argument("--path", default="/ok")
    parser.add_argument("--profile", action="store_true", help="profile the trio_http run only")
    add_rounds_option(parser)
    args = parser.parse_args()
    with local_nginx() as nginx:
        url = nginx.http_url + args.path
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            run_trio_http(url, args.requests)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            return
        runners = _available(RUNNERS, url, args.requests)
        results = run_rounds(runners, args.rounds, args.requests)
        print_rounds(f"{args.requests} sequential GETs of {args.path}, Session", results)
        if args.calls:
            runners = _available(FUNCTION_RUNNERS, url, args.calls)
            results = run_rounds(runners, args.rounds, args.calls)
            print_rounds(
                f"{args.calls} sequential trio_http.get() / requests.get() calls of {args.path}",
                results,
            )


if __name__ == "__main__":
    main()
