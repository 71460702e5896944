"""The floor: a bare h11-on-Trio GET loop against local nginx, no client layers.

Run next to bench_core.py to see how much trio_http's layers add per request:

    python benchmarks/bench_floor.py --requests 5000 --rounds 5

Both loops run once per round, rotating which goes first, each in its own
``trio.run`` after 200 unmeasured requests. The table shows medians over
rounds; "trio_http faster" is below 1 here and is the median of per-round
ratios with their min-max range (see ``_common.py``). ``--rounds 1`` prints
the single-run table.
"""

from __future__ import annotations

import argparse
import functools

import h11
import trio
from _common import add_rounds_option, local_nginx, print_rounds, run_rounds, timed

from trio_http import URL


async def bare_loop(url: str, count: int) -> list[float]:
    target = URL(url)
    stream = await trio.open_tcp_stream(target.host, target.effective_port)
    conn = h11.Connection(h11.CLIENT)
    request = h11.Request(method="GET", target=target.target, headers=[("Host", target.netloc)])

    async def one() -> None:
        await stream.send_all(conn.send(request) + conn.send(h11.EndOfMessage()))
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await stream.receive_some(256 * 1024))
            elif type(event) is h11.EndOfMessage:
                break
        conn.start_next_cycle()

    for _ in range(200):
        await one()
    with timed() as elapsed:
        for _ in range(count):
            await one()
    await stream.aclose()
    return elapsed


async def trio_http_loop(url: str, count: int) -> list[float]:
    import trio_http

    async with trio_http.AsyncClient() as client:
        for _ in range(200):
            await client.get(url)
        with timed() as elapsed:
            for _ in range(count):
                await client.get(url)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    add_rounds_option(parser)
    args = parser.parse_args()
    with local_nginx() as nginx:
        url = nginx.http_url + "/small.txt"
        runners = {
            "trio_http": functools.partial(trio.run, trio_http_loop, url, args.requests),
            "bare h11 on trio": functools.partial(trio.run, bare_loop, url, args.requests),
        }
        results = run_rounds(runners, args.rounds, args.requests)
        print_rounds(f"{args.requests} sequential GETs, HTTP/1.1", results)


if __name__ == "__main__":
    main()
