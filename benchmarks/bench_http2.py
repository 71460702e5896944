"""HTTP/2 against local nginx: multiplexed GETs vs httpx, and a large download.

    python benchmarks/bench_http2.py                      # everything
    python benchmarks/bench_http2.py --only gets --requests 5000 --rounds 5
    python benchmarks/bench_http2.py --only download --size-mib 256 --download-rounds 3
    python benchmarks/bench_http2.py --profile gets       # cProfile trio_http's run

``gets``: 5,000 GETs with 100 and with 1,000 in flight over one HTTP/2
connection (TLS, ALPN h2), trio_http vs httpx (``http2=True``), both on Trio;
the server's connection count is checked after each trio_http run. Each
scenario runs both clients ``--rounds`` times (default 5), rotating which goes
first, each in its own ``trio.run`` with its own warm-up; the table shows
medians, and "trio_http faster" is the median of the per-round ratios with
their min-max range (see ``_common.py``).
``download``: one file (256 MiB by default, written to nginx's document root
in the temporary prefix) downloaded over HTTP/1.1 and over HTTP/2 with
trio_http, ``--download-rounds`` times each (default 3, as it is slow), order
rotated each round; prints median MB/s and the HTTP/2 : HTTP/1.1 speed ratio
as the median of per-round ratios with their range, by wall time and by CPU
time of this process (steadier on a shared machine).

``--rounds 1 --download-rounds 1`` gives one run of everything.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import pstats
import statistics
from collections.abc import Awaitable, Callable
from typing import Any

import trio
from _common import (
    Nginx,
    Runner,
    add_rounds_option,
    format_spread,
    local_nginx,
    print_rounds,
    run_rounds,
    timed,
)

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
    # One connection: beyond nginx's 128 streams, requests wait for a slot
    # instead of opening more connections (the default).
    limits = trio_http.Limits(max_connections_per_host=1)
    async with trio_http.AsyncClient(
        http2=True, verify=str(server.ca_bundle), limits=limits
    ) as client:
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


async def download(server: Nginx, url: str, http2: bool, size: int) -> list[float]:
    client = trio_http.AsyncClient(http2=http2, verify=str(server.ca_bundle), timeout=120)
    async with client, client.stream("GET", url) as response:
        expected = "HTTP/2" if http2 else "HTTP/1.1"
        assert response.http_version == expected, response.http_version
        received = 0
        with timed() as elapsed:
            async for chunk in response.aiter_raw():
                received += len(chunk)
    assert received == size, (received, size)
    return elapsed


def bench_gets(server: Nginx, count: int, rounds: int, profile: bool) -> None:
    for in_flight in (100, 1000):
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            trio.run(gets_trio_http, server, count, in_flight)
            profiler.disable()
            print(f"\n== profile, {in_flight} in flight ==")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            continue
        runners: dict[str, Runner] = {
            "trio_http": functools.partial(trio.run, gets_trio_http, server, count, in_flight),
            "httpx (http2=True)": functools.partial(trio.run, gets_httpx, server, count, in_flight),
        }
        print_rounds(
            f"{count} GETs over one HTTP/2 connection, {in_flight} in flight",
            run_rounds(runners, rounds, count),
        )


def bench_download(server: Nginx, size_mib: int, rounds: int) -> None:
    path = server.prefix / "html" / "big.bin"
    block = bytes(range(256)) * 4096  # 1 MiB
    with path.open("wb") as file:
        for _ in range(size_mib):
            file.write(block)
    url, size = server.https_url + "/big.bin", size_mib * 1024 * 1024
    runners: dict[str, Runner] = {
        name: functools.partial(trio.run, download, server, url, http2, size)
        for name, http2 in (("HTTP/1.1", False), ("HTTP/2", True))
    }
    # Result.count is bytes here, so Result.rate is bytes per second.
    results = run_rounds(runners, rounds, size)
    path.unlink()
    summary = f"median of {rounds} rounds" if rounds > 1 else "one round"
    print(f"\n{size_mib} MiB download over TLS ({summary})")
    print(f"{'':<10}{'wall':>15}{'CPU':>9}")
    for name, runs in results.items():
        speed = statistics.median(run.rate for run in runs) / 1e6
        seconds = statistics.median(run.seconds for run in runs)
        cpu = statistics.median(run.cpu_seconds for run in runs)
        print(f"{name:<10}{speed:>10.0f} MB/s{seconds:>8.2f} s{cpu:>7.2f} s")
    pairs = list(zip(results["HTTP/1.1"], results["HTTP/2"], strict=True))
    ratios = [h2.rate / h1.rate for h1, h2 in pairs]
    cpu_ratios = [h1.cpu_seconds / h2.cpu_seconds for h1, h2 in pairs]
    print(f"HTTP/2 speed / HTTP/1.1 speed: {format_spread(ratios)}")
    print(f"the same by CPU time:          {format_spread(cpu_ratios)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--only", choices=["gets", "download"])
    parser.add_argument("--profile", action="store_true", help="profile trio_http's GET runs")
    add_rounds_option(parser)
    add_rounds_option(parser, "--download-rounds", default=3)
    args = parser.parse_args()
    with local_nginx() as server:
        if args.only in (None, "gets"):
            bench_gets(server, args.requests, args.rounds, args.profile)
        if args.only in (None, "download") and not args.profile:
            bench_download(server, args.size_mib, args.download_rounds)


if __name__ == "__main__":
    main()
