"""Sequential GETs through blocking sessions against local nginx.

trio_http.Session vs requests.Session vs httpx.Client, in one run:

    python benchmarks/bench_sync.py --requests 5000

Prints requests per second and how many times faster trio_http is. Use
``--profile`` to print a cProfile of the trio_http run (both threads' CPU
lands in this process; the loop thread is profiled with the caller's).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
from collections.abc import Callable
from typing import Any

from _common import Result, local_nginx, print_table, timed

import trio_http

WARMUP = 200


def _run(session: Any, url: str, count: int) -> list[float]:
    get = session.get
    for _ in range(WARMUP):
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


RUNNERS: dict[str, Callable[[str, int], list[float]]] = {
    "trio_http Session": run_trio_http,
    "requests Session": run_requests,
    "httpx Client": run_httpx,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--path", default="/ok")
    parser.add_argument("--profile", action="store_true", help="profile the trio_http run only")
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
        results = []
        for name, runner in RUNNERS.items():
            try:
                wall, cpu = runner(url, args.requests)
            except ImportError:
                print(f"{name}: not installed, skipped")
                continue
            results.append(Result(name, args.requests, wall, cpu))
        results[0].name = "trio_http"
        print_table(f"{args.requests} sequential GETs of {args.path}, blocking API", results)


if __name__ == "__main__":
    main()
