"""Start-up cost: import time, import + first GET, peak RSS and modules loaded.

    python benchmarks/bench_start.py --rounds 7
    python benchmarks/bench_start.py --modules      # list what a GET imports

Every measurement is a fresh interpreter (``sys.executable``), so nothing
is cached in the process, but with bytecode caches written (a first,
unmeasured run writes them, as pip does on install; the variable
``PYTHONDONTWRITEBYTECODE`` is dropped for the children); the clients run in
rotated order each round against one local nginx. Columns, medians over rounds:

* ``import ms``: ``import <client>`` alone, in the child, timed with
  ``perf_counter`` around the import statement;
* ``+GET ms``: that import plus the first GET of a 4-byte file over plain
  HTTP (for trio_http: ``trio_http.get``, which starts the loop thread, and
  a ``Session``);
* ``peak MB``: the child's ``VmHWM`` after the GET (10^6 bytes);
* ``modules``: ``len(sys.modules)`` after the GET.

The ``import trio`` row is the floor trio_http stands on: trio_http's own
cost is the difference. ``--modules`` prints the modules a trio_http GET
imports that are on the list of what a plain GET should not need (HTTP/2,
HPACK, the cookie jar's ``http.cookiejar``, auth flows, decoders beyond
zlib, in-process transports, proxies, WebSockets).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from collections.abc import Mapping, Sequence

from _common import DASH, add_rounds_option, local_nginx

CHILD = r"""
import sys, time
started = time.perf_counter()
{imports}
imported = time.perf_counter()
url = sys.argv[1]
{get}
done = time.perf_counter()
hwm = 0
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) * 1024
print((imported - started) * 1000, (done - started) * 1000, hwm / 1e6, len(sys.modules))
if len(sys.argv) > 2:
    print("\n".join(sorted(sys.modules)))
"""

# client -> (import statement, code doing one GET of ``url`` and checking it)
CLIENTS: dict[str, tuple[str, str]] = {
    "import trio (the floor)": ("import trio", "pass"),
    "trio_http.get": ("import trio_http", "assert trio_http.get(url).status_code == 200"),
    "trio_http.Session": (
        "import trio_http",
        "assert trio_http.Session().get(url).status_code == 200",
    ),
    "requests.get": ("import requests", "assert requests.get(url).status_code == 200"),
    "urllib3.request": ("import urllib3", "assert urllib3.request('GET', url).status == 200"),
    "httpx.get": ("import httpx", "assert httpx.get(url).status_code == 200"),
    "aiohttp": (
        "import aiohttp, asyncio",
        "async def main():\n"
        "    async with aiohttp.ClientSession() as session:\n"
        "        async with session.get(url) as response:\n"
        "            assert response.status == 200\n"
        "            await response.read()\n"
        "asyncio.run(main())",
    ),
}

# What a plain HTTP/1.1 GET should not import (prefixes of module names).
NOT_FOR_A_PLAIN_GET = (
    "h2",
    "hpack",
    "hyperframe",
    "http.cookiejar",
    "netrc",
    "email.utils",
    "trio_http._auth_digest",
    "trio_http._auth_challenge",
    "trio_http._transports._http2",
    "trio_http._transports._http2_engine",
    "trio_http._transports._asgi",
    "trio_http._transports._wsgi",
    "trio_http._transports._mock",
    "trio_http._transports._urllib3",
    "trio_http._transports._proxy",
    "trio_http._transports._socks",
    "trio_http._websocket",
    "trio_http._websocket_connect",
    "trio_http._websocket_sync",
    "trio_http._multipart",
    "trio_http._parallel",
    "trio_http._parallel_items",
    "trio_http._sync_parallel",
    "wsproto",
    "brotli",
    "zstandard",
    "socksio",
)


def child_code(client: str) -> str:
    imports, get = CLIENTS[client]
    return CHILD.format(imports=imports, get=get)


def child_environment() -> dict[str, str]:
    # An installed package has its bytecode compiled (pip does it); a
    # checkout run with PYTHONDONTWRITEBYTECODE would compile every module
    # of trio_http from source on every start and measure that instead.
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


def measure(client: str, url: str) -> list[float]:
    """One fresh interpreter: [import ms, import+GET ms, peak MB, modules]."""
    done = subprocess.run(
        [sys.executable, "-c", child_code(client), url],
        capture_output=True,
        text=True,
        check=False,
        env=child_environment(),
    )
    if done.returncode != 0:
        raise RuntimeError(f"{client}: {done.stderr.strip().splitlines()[-1:]}")
    return [float(field) for field in done.stdout.split()[:4]]


def modules_of_a_get(client: str, url: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", child_code(client), url, "--list"],
        capture_output=True,
        text=True,
        check=True,
        env=child_environment(),
    )
    return done.stdout.splitlines()[1:]


def unneeded(modules: Sequence[str]) -> list[str]:
    """The modules in ``modules`` that a plain GET should not need."""
    return [
        name
        for name in modules
        if any(name == prefix or name.startswith(prefix + ".") for prefix in NOT_FOR_A_PLAIN_GET)
    ]


def available(clients: Sequence[str], url: str) -> list[str]:
    """The clients installed here; running each once also writes its bytecode."""
    kept = []
    for client in clients:
        try:
            measure(client, url)
        except RuntimeError as exc:
            print(f"skipped {exc}")
        else:
            kept.append(client)
    return kept


def print_start(results: Mapping[str, list[list[float]]]) -> None:
    floor = results.get("import trio (the floor)")
    rounds = len(next(iter(results.values())))
    print(f"\nstart-up, fresh interpreter each; median of {rounds} round(s)")
    header = f"{'client':<26}{'import ms':>11}{'+GET ms':>10}{'peak MB':>9}{'modules':>9}"
    print(header + f"{'+GET over trio':>22}")
    for client, runs in results.items():
        columns = [statistics.median(run[i] for run in runs) for i in range(4)]
        over = ""
        if floor is not None and client != "import trio (the floor)":
            gaps = [run[1] - base[1] for run, base in zip(runs, floor, strict=True)]
            over = f"{statistics.median(gaps):+.0f} ms ({min(gaps):+.0f}{DASH}{max(gaps):+.0f})"
        print(
            f"{client:<26}{columns[0]:>11.1f}{columns[1]:>10.1f}{columns[2]:>9.1f}"
            f"{columns[3]:>9.0f}{over:>22}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_rounds_option(parser, default=7)
    parser.add_argument("--modules", action="store_true", help="list what a GET should not import")
    args = parser.parse_args()
    with local_nginx() as server:
        (server.prefix / "html" / "tiny.txt").write_bytes(b"tiny")
        url = server.http_url + "/tiny.txt"
        if args.modules:
            for client in ("trio_http.get", "trio_http.Session"):
                extra = unneeded(modules_of_a_get(client, url))
                print(f"{client}: {len(extra)} module(s) a plain GET should not need")
                for name in extra:
                    print(f"    {name}")
            return
        clients = available(list(CLIENTS), url)
        results: dict[str, list[list[float]]] = {client: [] for client in clients}
        for round_index in range(args.rounds):
            start = round_index % len(clients)
            for client in clients[start:] + clients[:start]:
                results[client].append(measure(client, url))
        print_start(results)


if __name__ == "__main__":
    main()
