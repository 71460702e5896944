"""WebSocket echo against one local server: round-trip latency and messages per second.

    python benchmarks/bench_websocket.py --rounds 5
    python benchmarks/bench_websocket.py --only latency --messages 5000

Workloads (``--only``, repeatable):

``latency``       one message of 64 bytes at a time: send, wait for the echo,
                  repeat (``--latency-messages``, default 2,000)
``pipelined-64``  ``--messages`` (default 10,000) messages of 64 bytes sent by
                  one task while another reads the echoes
``pipelined-16k`` the same with 16 KiB messages

Clients: trio_http (``client.websocket``; and the blocking
``session.websocket`` for latency), the ``websockets`` package's asyncio
client and aiohttp's ``ws_connect``. All talk to the same echo server, the
``websockets`` package's server (``tests/ws_servers.py``) running in a
process of its own, so its CPU is not counted against any client. Message
compression is off on the server and in every client, so each moves the same
frames. Each runner connects and warms up outside the timed part, then times
the workload; CPU is this process's.

``--server hypercorn`` uses hypercorn over TLS instead (``wss://``, a
trustme certificate), and adds trio_http over HTTP/2 (RFC 8441 extended
CONNECT) as a row; hypercorn costs more CPU per message than the
``websockets`` server, so it bounds every client's rate sooner.

The table shows medians over rounds (rotated order, see ``_common.py``) of
messages per second, µs per message and CPU µs per message, and per round the
ratio of trio_http's rate to each client's ("trio_http faster") and of each
client's CPU per message to trio_http's ("by CPU"): the median with the
smallest and largest ratio in brackets.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import ssl
import statistics
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import trio
import trustme
from _common import DASH, Result, add_rounds_option, format_spread, run_rounds, timed
from ws_servers import WebSocketServer, start_hypercorn, start_websockets_server

import trio_http

WARMUP_MESSAGES = 200
SMALL = 64
LARGE = 16 * 1024
WORKLOADS = ("latency", "pipelined-64", "pipelined-16k")


def _payload(size: int) -> bytes:
    return (bytes(range(256)) * (size // 256 + 1))[:size]


def _ssl_context(ca: str | None) -> ssl.SSLContext | None:
    return None if ca is None else ssl.create_default_context(cafile=ca)


# -- trio_http -------------------------------------------------------------------


async def trio_http_latency(
    url: str, ca: str | None, count: int, size: int, http2: bool = False
) -> list[float]:
    payload = _payload(size)
    async with (
        trio_http.AsyncClient(verify=ca or True, http2=http2) as client,
        client.websocket(url, compression=False) as ws,
    ):
        assert ws.http_version == ("HTTP/2" if http2 else "HTTP/1.1"), ws.http_version
        for _ in range(WARMUP_MESSAGES):
            await ws.send_bytes(payload)
            await ws.receive()
        with timed() as elapsed:
            for _ in range(count):
                await ws.send_bytes(payload)
                echo = await ws.receive()
    assert echo == payload
    return elapsed


async def trio_http_pipelined(
    url: str, ca: str | None, count: int, size: int, http2: bool = False
) -> list[float]:
    payload = _payload(size)
    received = 0
    async with (
        trio_http.AsyncClient(verify=ca or True, http2=http2) as client,
        client.websocket(url, compression=False, max_queue=64) as ws,
    ):
        assert ws.http_version == ("HTTP/2" if http2 else "HTTP/1.1"), ws.http_version
        for _ in range(WARMUP_MESSAGES):
            await ws.send_bytes(payload)
            await ws.receive()

        async def send_all() -> None:
            for _ in range(count):
                await ws.send_bytes(payload)

        with timed() as elapsed:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(send_all)
                for _ in range(count):
                    received += len(await ws.receive_bytes())
    assert received == count * size
    return elapsed


def trio_http_blocking_latency(url: str, ca: str | None, count: int, size: int) -> list[float]:
    payload = _payload(size)
    with trio_http.Session() as session:
        session.verify = ca or True
        with session.websocket(url, compression=False) as ws:
            for _ in range(WARMUP_MESSAGES):
                ws.send_bytes(payload)
                ws.receive()
            with timed() as elapsed:
                for _ in range(count):
                    ws.send_bytes(payload)
                    echo = ws.receive()
    assert echo == payload
    return elapsed


# -- websockets (asyncio) ----------------------------------------------------------


async def websockets_latency(url: str, ca: str | None, count: int, size: int) -> list[float]:
    from websockets.asyncio.client import connect

    payload = _payload(size)
    async with connect(
        url, ssl=_ssl_context(ca), compression=None, max_size=None, ping_interval=None
    ) as ws:
        for _ in range(WARMUP_MESSAGES):
            await ws.send(payload)
            await ws.recv()
        with timed() as elapsed:
            for _ in range(count):
                await ws.send(payload)
                echo = await ws.recv()
    assert echo == payload
    return elapsed


async def websockets_pipelined(url: str, ca: str | None, count: int, size: int) -> list[float]:
    from websockets.asyncio.client import connect

    payload = _payload(size)
    received = 0
    async with connect(
        url, ssl=_ssl_context(ca), compression=None, max_size=None, ping_interval=None
    ) as ws:
        for _ in range(WARMUP_MESSAGES):
            await ws.send(payload)
            await ws.recv()

        async def send_all() -> None:
            for _ in range(count):
                await ws.send(payload)

        with timed() as elapsed:
            sender = asyncio.create_task(send_all())
            for _ in range(count):
                received += len(await ws.recv())
            await sender
    assert received == count * size
    return elapsed


# -- aiohttp ----------------------------------------------------------------------


async def aiohttp_latency(url: str, ca: str | None, count: int, size: int) -> list[float]:
    import aiohttp

    payload = _payload(size)
    context = _ssl_context(ca)
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, compress=0, max_msg_size=0, ssl=context or True) as ws,
    ):
        for _ in range(WARMUP_MESSAGES):
            await ws.send_bytes(payload)
            await ws.receive_bytes()
        with timed() as elapsed:
            for _ in range(count):
                await ws.send_bytes(payload)
                echo = await ws.receive_bytes()
    assert echo == payload
    return elapsed


async def aiohttp_pipelined(url: str, ca: str | None, count: int, size: int) -> list[float]:
    import aiohttp

    payload = _payload(size)
    received = 0
    context = _ssl_context(ca)
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, compress=0, max_msg_size=0, ssl=context or True) as ws,
    ):
        for _ in range(WARMUP_MESSAGES):
            await ws.send_bytes(payload)
            await ws.receive_bytes()

        async def send_all() -> None:
            for _ in range(count):
                await ws.send_bytes(payload)

        with timed() as elapsed:
            sender = asyncio.create_task(send_all())
            for _ in range(count):
                received += len(await ws.receive_bytes())
            await sender
    assert received == count * size
    return elapsed


# -- the table --------------------------------------------------------------------


def print_messages(title: str, results: Mapping[str, list[Result]], baseline: str) -> None:
    """Medians of msg/s, µs/msg and CPU µs/msg; per-round ratios against ``baseline``."""
    base = results[baseline]
    print(f"\n{title}")
    print(f"median of {len(base)} round(s); ratios are per round: median (min{DASH}max)")
    print(
        f"{'client':<30}{'msg/s':>10}{'µs/msg':>10}{'CPU µs/msg':>12}"
        f"{baseline + ' faster':>24}{'by CPU':>22}"
    )
    for name, runs in results.items():
        rate = statistics.median(run.rate for run in runs)
        micros = statistics.median(1e6 / run.rate for run in runs)
        cpu = statistics.median(1e6 * run.cpu_per_item for run in runs)
        if name == baseline:
            ratio_text = cpu_text = "1.00x"
        else:
            ratio_text = format_spread([b.rate / r.rate for b, r in zip(base, runs, strict=True)])
            cpu_text = format_spread(
                [r.cpu_per_item / b.cpu_per_item for b, r in zip(base, runs, strict=True)]
            )
        print(f"{name:<30}{rate:>10.0f}{micros:>10.1f}{cpu:>12.1f}{ratio_text:>24}{cpu_text:>22}")


def _trio(fn: Callable[..., object], *args: object) -> Callable[[], list[float]]:
    return functools.partial(trio.run, fn, *args)  # type: ignore[arg-type]


def _asyncio(fn: Callable[..., object], *args: object) -> Callable[[], list[float]]:
    return lambda: asyncio.run(fn(*args))  # type: ignore[arg-type]


def runners(
    server: WebSocketServer, workload: str, count: int
) -> dict[str, Callable[[], list[float]]]:
    url, ca = server.url + "/echo", server.ca_bundle
    has_client = hasattr(trio_http.AsyncClient, "websocket")
    # hypercorn over TLS allows WebSockets over HTTP/2 as well.
    h2 = ca is not None
    table: dict[str, Callable[[], list[float]]] = {}
    if workload == "latency":
        if has_client:
            table["trio_http"] = _trio(trio_http_latency, url, ca, count, SMALL)
            if h2:
                table["trio_http HTTP/2"] = _trio(trio_http_latency, url, ca, count, SMALL, True)
        if hasattr(trio_http.Session, "websocket"):
            table["trio_http blocking"] = functools.partial(
                trio_http_blocking_latency, url, ca, count, SMALL
            )
        table["websockets"] = _asyncio(websockets_latency, url, ca, count, SMALL)
        table["aiohttp"] = _asyncio(aiohttp_latency, url, ca, count, SMALL)
        return table
    size = SMALL if workload == "pipelined-64" else LARGE
    if has_client:
        table["trio_http"] = _trio(trio_http_pipelined, url, ca, count, size)
        if h2:
            table["trio_http HTTP/2"] = _trio(trio_http_pipelined, url, ca, count, size, True)
    table["websockets"] = _asyncio(websockets_pipelined, url, ca, count, size)
    table["aiohttp"] = _asyncio(aiohttp_pipelined, url, ca, count, size)
    return table


@contextlib.contextmanager
def echo_server(kind: str) -> Iterator[WebSocketServer]:
    """The echo server in a process of its own: ``websockets`` or ``hypercorn`` (TLS)."""
    with tempfile.TemporaryDirectory(prefix="trio_http-bench-ws-") as tmp:
        if kind == "hypercorn":
            server = start_hypercorn(Path(tmp), trustme.CA(), tls=True)
        else:
            server = start_websockets_server(Path(tmp) / "server.log", compression=False)
        try:
            yield server
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000, help="pipelined messages")
    parser.add_argument("--latency-messages", type=int, default=2_000)
    parser.add_argument("--only", action="append", choices=WORKLOADS, help="repeatable")
    parser.add_argument("--server", choices=["websockets", "hypercorn"], default="websockets")
    add_rounds_option(parser, default=5)
    args = parser.parse_args()
    with echo_server(args.server) as server:
        print(f"echo server: {args.server} at {server.url}")
        for workload in args.only or WORKLOADS:
            count = args.latency_messages if workload == "latency" else args.messages
            table = runners(server, workload, count)
            baseline = "trio_http" if "trio_http" in table else "websockets"
            if workload == "latency":
                title = f"echo round trip, {count} sequential messages of {SMALL} B"
            else:
                size = SMALL if workload == "pipelined-64" else LARGE
                title = f"pipelined echo, {count} messages of {size} B"
            print_messages(title, run_rounds(table, args.rounds, count), baseline)


if __name__ == "__main__":
    main()
