"""Sequential and concurrent GETs over HTTP/1.1 against local nginx.

trio_http.AsyncClient vs httpx.AsyncClient, both on Trio, in one run:

    python benchmarks/bench_core.py --requests 5000 --concurrency 100 --rounds 5

Each scenario (1 and ``--concurrency`` in flight) runs both clients once per
round, rotating which goes first, each in its own ``trio.run`` with its own
warm-up. Prints median requests per second and how many times faster
trio_http is: the median of the per-round ratios with their min-max range
(see ``_common.py``). ``--rounds 1`` prints the single-run table.
"""

from __future__ import annotations

import argparse
import functools
import statistics

import trio
from _common import Runner, add_rounds_option, local_nginx, print_rounds, run_rounds, timed

import trio_http


async def run_trio_http(url: str, count: int, concurrency: int) -> list[float]:
    limits = trio_http.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with trio_http.AsyncClient(limits=limits) as client:
        await _drive(client.get, url, min(count, 200), concurrency)
        with timed() as elapsed:
            await _drive(client.get, url, count, concurrency)
    return elapsed


async def run_httpx(url: str, count: int, concurrency: int) -> list[float]:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:
        await _drive(client.get, url, min(count, 200), concurrency)
        with timed() as elapsed:
            await _drive(client.get, url, count, concurrency)
    return elapsed


async def _drive(get, url: str, count: int, concurrency: int) -> None:  # type: ignore[no-untyped-def]
    if concurrency == 1:
        for _ in range(count):
            response = await get(url)
            assert response.status_code == 200
        return
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            response = await get(url)
            assert response.status_code == 200

    async with trio.open_nursery() as nursery:
        for _ in range(concurrency):
            nursery.start_soon(worker)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--path", default="/small.txt")
    parser.add_argument("--only", choices=["trio_http", "httpx"])
    add_rounds_option(parser)
    args = parser.parse_args()
    with local_nginx() as nginx:
        url = nginx.http_url + args.path
        for concurrency in (1, args.concurrency):
            runners: dict[str, Runner] = {}
            for name, runner in (("trio_http", run_trio_http), ("httpx on trio", run_httpx)):
                if args.only and not name.startswith(args.only):
                    continue
                runners[name] = functools.partial(trio.run, runner, url, args.requests, concurrency)
            results = run_rounds(runners, args.rounds, args.requests)
            if not args.only:
                print_rounds(
                    f"{args.requests} GETs of {args.path}, {concurrency} in flight, HTTP/1.1",
                    results,
                )
            else:
                [(name, runs)] = results.items()
                rate = statistics.median(run.rate for run in runs)
                print(f"{name}: {rate:.0f} req/s at {concurrency} in flight", end="")
                print(f" (median of {len(runs)} rounds)" if len(runs) > 1 else "")


if __name__ == "__main__":
    main()
