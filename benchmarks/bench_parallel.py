"""Fan-out: many GETs with a bound on requests in flight, against local nginx.

In one run, each over HTTP/1.1 with the same bound:

- trio_http: ``AsyncClient.parallel(urls, max_in_flight=N)`` (as completed
  and in input order);
- aiohttp: ``asyncio.gather`` over the URLs, each request under an
  ``asyncio.Semaphore(N)``;
- httpx on Trio: a nursery with one task per URL, each under a
  ``trio.Semaphore(N)``;
- with ``--floor``, the floor for any client built on h11 and Trio: N tasks,
  each looping on its own connection with one prebuilt h11 request, written
  and read straight on the socket descriptor. No timeouts, pool, models or
  fan-out: what is left is h11's parsing and Trio's I/O waits.

    python benchmarks/bench_parallel.py --requests 5000 --in-flight 100 --rounds 5
    python benchmarks/bench_parallel.py --profile   # cProfile of trio_http only

Every row runs once per round, rotating which goes first, each in its own
``trio.run``/``asyncio.run`` with its own warm-up. Prints median requests per
second and how many times faster trio_http is: the median of the per-round
ratios with their min-max range (see ``_common.py``). ``--rounds 1`` prints
the single-run table.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import os
import pstats

import h11
import trio
from _common import Runner, add_rounds_option, local_nginx, print_rounds, run_rounds, timed

import trio_http


async def run_trio_http(url: str, count: int, in_flight: int, ordered: bool) -> list[float]:
    limits = trio_http.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with trio_http.AsyncClient(limits=limits) as client:
        await _fan_out_trio_http(client, url, min(count, 500), in_flight, ordered)
        with timed() as elapsed:
            await _fan_out_trio_http(client, url, count, in_flight, ordered)
    return elapsed


async def _fan_out_trio_http(
    client: trio_http.AsyncClient, url: str, count: int, in_flight: int, ordered: bool
) -> None:
    urls = (url for _ in range(count))
    done = 0
    async with client.parallel(urls, max_in_flight=in_flight, ordered=ordered) as results:
        async for result in results:
            assert result.value.status_code == 200
            done += 1
    assert done == count


def run_aiohttp(url: str, count: int, in_flight: int) -> list[float]:
    import aiohttp

    async def main() -> list[float]:
        connector = aiohttp.TCPConnector(limit=in_flight)
        async with aiohttp.ClientSession(connector=connector) as session:
            semaphore = asyncio.Semaphore(in_flight)

            async def get() -> None:
                async with semaphore, session.get(url) as response:
                    await response.read()
                    assert response.status == 200

            async def fan_out(n: int) -> None:
                await asyncio.gather(*(get() for _ in range(n)))

            await fan_out(min(count, 500))
            with timed() as elapsed:
                await fan_out(count)
        return elapsed

    return asyncio.run(main())


async def run_httpx(url: str, count: int, in_flight: int) -> list[float]:
    import httpx

    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(limits=limits) as client:
        semaphore = trio.Semaphore(in_flight)

        async def get() -> None:
            async with semaphore:
                response = await client.get(url)
                assert response.status_code == 200

        async def fan_out(n: int) -> None:
            async with trio.open_nursery() as nursery:
                for _ in range(n):
                    nursery.start_soon(get)

        await fan_out(min(count, 500))
        with timed() as elapsed:
            await fan_out(count)
    return elapsed


async def run_floor(url: str, count: int, in_flight: int) -> list[float]:
    target = trio_http.URL(url)
    request = h11.Request(method="GET", target=target.target, headers=[("Host", target.netloc)])
    end = h11.EndOfMessage()

    async def worker(left: list[int]) -> None:
        stream = await trio.open_tcp_stream(target.host, target.effective_port)
        fd = stream.socket.fileno()
        conn = h11.Connection(h11.CLIENT)
        while left[0] > 0:
            left[0] -= 1
            os.write(fd, conn.send(request) + conn.send(end))  # type: ignore[operator]
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    await trio.lowlevel.wait_readable(fd)
                    conn.receive_data(os.read(fd, 65536))
                elif type(event) is h11.EndOfMessage:
                    break
            conn.start_next_cycle()
        await stream.aclose()

    async def fan_out(n: int) -> None:
        left = [n]
        async with trio.open_nursery() as nursery:
            for _ in range(in_flight):
                nursery.start_soon(worker, left)

    await fan_out(min(count, 500))
    with timed() as elapsed:
        await fan_out(count)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--in-flight", type=int, default=100)
    parser.add_argument("--path", default="/small.txt")
    parser.add_argument("--skip-httpx", action="store_true", help="httpx is slow at this size")
    parser.add_argument("--profile", action="store_true", help="cProfile trio_http, print top")
    parser.add_argument("--floor", action="store_true", help="add the bare h11-on-Trio floor")
    add_rounds_option(parser)
    args = parser.parse_args()
    count, in_flight = args.requests, args.in_flight
    with local_nginx() as nginx:
        url = nginx.http_url + args.path
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            trio.run(run_trio_http, url, count, in_flight, False)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
            return
        runners: dict[str, Runner] = {
            "trio_http": functools.partial(trio.run, run_trio_http, url, count, in_flight, False),
            "trio_http (input order)": functools.partial(
                trio.run, run_trio_http, url, count, in_flight, True
            ),
            "aiohttp gather+semaphore": functools.partial(run_aiohttp, url, count, in_flight),
        }
        if not args.skip_httpx:
            runners["httpx on trio"] = functools.partial(trio.run, run_httpx, url, count, in_flight)
        if args.floor:
            runners["floor: bare h11 on trio"] = functools.partial(
                trio.run, run_floor, url, count, in_flight
            )
        print_rounds(
            f"{count} GETs of {args.path}, {in_flight} in flight, HTTP/1.1, local nginx",
            run_rounds(runners, args.rounds, count),
        )


if __name__ == "__main__":
    main()
