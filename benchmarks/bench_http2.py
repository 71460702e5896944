"""HTTP/2 against local nginx: multiplexed GETs vs httpx, and a large download.

    python benchmarks/bench_http2.py                      # everything
    python benchmarks/bench_http2.py --only gets --requests 5000
    python benchmarks/bench_http2.py --only download --size-mib 256
    python benchmarks/bench_http2.py --profile gets       # cProfile trio_http's run

``gets``: 5,000 GETs with 100 and with 1,000 in flight over one HTTP/2
connection (TLS, ALPN h2), trio_http vs httpx (``http2=True``), both on Trio;
the server's connection count is checked after each run.
``download``: one file (256 MiB by default, written to nginx's document root
in the temporary prefix) downloaded over HTTP/2 and over HTTP/1.1 with
trio_http; prints MB/s and the HTTP/2 : HTTP/1.1 ratio.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
from collections.abc import Awaitable, Callable
from typing import Any

import trio
from _common import Nginx, Result, local_nginx, print_table, timed

import trio_http

GetFn = Callable[[str], Awaitable[Any]]


async def _drive(get: GetFn, url: str, count: int, in_flight: int) -> None:
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            response = await get(url)
            assert response.status_code == 200, response

    async with trio.open_nursery() as nursery:
        for _ in range(in_flight):
            nursery.start_soon(worker)


async def gets_trio_http(server: Nginx, count: int, in_flight: int) -> list[float]:
    url = server.https_url + "/ok"
    async with trio_http.AsyncClient(http2=True, verify=str(server.ca_bundle)) as client:
        await _drive(client.get, url, min(count, 500), in_flight)
        with timed() as elapsed:
            await _drive(client.get, url, count, in_flight)
        assert server.established_connections(server.https_port) == 1
    return elapsed


async def gets_httpx(server: Nginx, count: int, in_flight: int) -> list[float]:
    import httpx

    url = server.https_url + "/ok"
    async with httpx.AsyncClient(http2=True, verify=str(server.ca_bundle)) as client:
        await _drive(client.get, url, min(count, 500), in_flight)
        with timed() as elapsed:
            await _drive(client.get, url, count, in_flight)
        response = await client.get(url)
        assert response.http_version == "HTTP/2"
    return elapsed


async def download(server: Nginx, url: str, http2: bool) -> tuple[float, int]:
    client = trio_http.AsyncClient(http2=http2, verify=str(server.ca_bundle), timeout=120)
    async with client, client.stream("GET", url) as response:
        expected = "HTTP/2" if http2 else "HTTP/1.1"
        assert response.http_version == expected, response.http_version
        size = 0
        with timed() as elapsed:
            async for chunk in response.aiter_raw():
                size += len(chunk)
    return elapsed[0], size


def bench_gets(server: Nginx, count: int, profile: bool) -> None:
    for in_flight in (100, 1000):
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            trio.run(gets_trio_http, server, count, in_flight)
            profiler.disable()
            print(f"\n== profile, {in_flight} in flight ==")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            continue
        ours = trio.run(gets_trio_http, server, count, in_flight)
        theirs = trio.run(gets_httpx, server, count, in_flight)
        print_table(
            f"{count} GETs over one HTTP/2 connection, {in_flight} in flight",
            [
                Result("trio_http", count, ours[0], ours[1]),
                Result("httpx (http2=True)", count, theirs[0], theirs[1]),
            ],
        )


def bench_download(server: Nginx, size_mib: int) -> None:
    path = server.prefix / "html" / "big.bin"
    block = bytes(range(256)) * 4096  # 1 MiB
    with path.open("wb") as file:
        for _ in range(size_mib):
            file.write(block)
    results = {}
    for http2 in (False, True, False, True):
        seconds, size = trio.run(download, server, server.https_url + "/big.bin", http2)
        assert size == size_mib * 1024 * 1024
        best = results.get(http2)
        results[http2] = seconds if best is None else min(best, seconds)
    print(f"\n{size_mib} MiB download over TLS (best of 2)")
    for http2, seconds in sorted(results.items()):
        name = "HTTP/2" if http2 else "HTTP/1.1"
        print(f"{name:<10}{size_mib * 1.048576 / seconds:>10.0f} MB/s{seconds:>8.2f} s")
    print(f"HTTP/2 speed / HTTP/1.1 speed: {results[False] / results[True]:.2f}")
    path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--only", choices=["gets", "download"])
    parser.add_argument("--profile", action="store_true", help="profile trio_http's GET runs")
    args = parser.parse_args()
    with local_nginx() as server:
        if args.only in (None, "gets"):
            bench_gets(server, args.requests, args.profile)
        if args.only in (None, "download") and not args.profile:
            bench_download(server, args.size_mib)


if __name__ == "__main__":
    main()
