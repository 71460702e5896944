"""Memory of a soak against local nginx: RSS per scenario, each in a fresh process.

    python benchmarks/bench_memory.py                      # every scenario
    python benchmarks/bench_memory.py --only https-small --requests 500
    python benchmarks/bench_memory.py --workers 32 --large-requests 16 --seconds 60
    python benchmarks/bench_memory.py --blocking           # threads and Session
    MALLOC_ARENA_MAX=2 python benchmarks/bench_memory.py --malloc-trim

Scenarios: plain HTTP/1.1 (``http``), HTTP/1.1 over TLS (``https``) and
HTTP/2 over TLS (``h2``, ``AsyncClient(http2=True)``), each on small
responses (``/small.txt``, 17 bytes, read with ``get()``) and on 1 MiB ones
(``/1m.bin``, streamed and dropped chunk by chunk, so that RSS shows what the
client keeps rather than 32 bodies held by the caller). ``--workers`` Trio
tasks share one ``AsyncClient`` whose pool keeps a connection per worker
(``--keepalive N`` keeps fewer, so connections are closed and opened again
all along), and each does ``--requests`` (small) or ``--large-requests`` (1 MiB) sequential
GETs, stopping early when ``--seconds`` have passed. ``--blocking`` runs the
workers as threads sharing one ``trio_http.Session`` instead (the loop runs
in the facade's thread, the pool has Session's default limits; HTTP/2 is
then skipped, as Session speaks HTTP/1.1).

Every scenario runs in its own subprocess, so none inherits another's heap.
A sampler reads ``/proc/self/status`` every 50 ms. Columns (MB = 10^6 bytes):

* ``start``: RSS with the client open and one request done (imports,
  SSL context and one connection included);
* ``plateau``: the median RSS sample over the second half of the soak;
* ``end``: RSS after the soak, every connection idle in the pool;
* ``closed``: RSS after the client was closed;
* ``peak``: the high-water mark (``VmHWM``);
* ``heap used`` / ``heap free``: the C heap at ``end`` as glibc's
  ``mallinfo2`` counts it (all arenas; OpenSSL's buffers are there, unseen
  by tracemalloc), free being held by the heap but unused: fragmentation;
* ``conns``: connections open to nginx at ``end``.

``--tracemalloc`` adds the Python-object memory tracemalloc sees at ``end``
(slows the soak); ``--malloc-trim`` calls glibc's ``malloc_trim(0)`` after
``closed`` and reports the RSS after it, as an experiment showing how much
of the rest is freed heap the allocator kept. Both are diagnostics; neither
is something trio_http does. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import statistics
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import trio_http

if TYPE_CHECKING:
    from _common import Nginx

SAMPLE_INTERVAL = 0.05  # seconds between RSS samples
CHILD_TIMEOUT_SLACK = 60.0  # seconds a child may run past --seconds (start-up, close)
PATHS = {"small": "/small.txt", "1m": "/1m.bin"}
SCENARIOS = [f"{protocol}-{size}" for size in PATHS for protocol in ("http", "https", "h2")]


# -- the child: one scenario, reported as one JSON line --------------------


def _status_kib() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in KiB."""
    values: dict[str, int] = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values


class _MallInfo2(ctypes.Structure):
    # glibc's struct mallinfo2: ten size_t counters, in this order.
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallinfo2"):
        return None  # not glibc 2.33+
    libc.mallinfo2.restype = _MallInfo2
    return libc


def _heap_kib(libc: Any) -> tuple[int, int]:
    """(bytes in use, bytes free but kept) of the C heap, in KiB; zeros without glibc."""
    if libc is None:
        return 0, 0
    info = libc.mallinfo2()
    return (info.uordblks + info.hblkhd) // 1024, info.fordblks // 1024


class _Sampler:
    """RSS samples taken every SAMPLE_INTERVAL seconds by a daemon thread."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL):
            self.samples.append((time.monotonic(), _status_kib()["VmRSS"]))

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def plateau(self, since: float) -> int:
        """The median sample taken after ``since``; the last sample if none."""
        late = [rss for when, rss in self.samples if when >= since]
        if not late:
            return self.samples[-1][1] if self.samples else _status_kib()["VmRSS"]
        return int(statistics.median(late))


def _child(options: dict[str, Any]) -> dict[str, Any]:
    protocol, size = options["scenario"].split("-")
    base = options["http_url"] if protocol == "http" else options["https_url"]
    url = base + PATHS[size]
    count = options["requests"] if size == "small" else options["large_requests"]
    deadline = time.monotonic() + options["seconds"]
    libc = _libc()
    if options["tracemalloc"]:
        import tracemalloc

        tracemalloc.start()
    report: dict[str, Any] = {"scenario": options["scenario"]}
    with _Sampler() as sampler:
        if options["blocking"]:
            done = _soak_blocking(options, url, count, deadline, report, libc, sampler)
        else:
            import trio

            done = trio.run(
                _soak_async, options, protocol, url, count, deadline, report, libc, sampler
            )
    report["closed"] = _status_kib()["VmRSS"]
    report["peak"] = _status_kib()["VmHWM"]
    report["requests"] = done
    if options["malloc_trim"] and libc is not None:
        libc.malloc_trim(0)
        report["trimmed"] = _status_kib()["VmRSS"]
    return report


def _finish(report: dict[str, Any], libc: Any, sampler: _Sampler, halfway: float) -> None:
    """Fill in ``plateau`` and the ``end`` columns; the client is still open."""
    report["plateau"] = sampler.plateau(halfway)
    report["end"] = _status_kib()["VmRSS"]
    report["heap_used"], report["heap_free"] = _heap_kib(libc)
    if "tracemalloc" in sys.modules:
        import tracemalloc

        report["traced"] = tracemalloc.get_traced_memory()[0] // 1024


async def _soak_async(
    options: dict[str, Any],
    protocol: str,
    url: str,
    count: int,
    deadline: float,
    report: dict[str, Any],
    libc: Any,
    sampler: _Sampler,
) -> int:
    import trio

    workers: int = options["workers"]
    streamed = url.endswith(PATHS["1m"])
    keepalive = options["keepalive"] or workers
    limits = trio_http.Limits(max_connections=workers, max_keepalive_connections=keepalive)
    done = 0
    client = trio_http.AsyncClient(
        http2=protocol == "h2", verify=options["ca_bundle"], limits=limits, timeout=60
    )

    async def one() -> None:
        nonlocal done
        if streamed:
            async with client.stream("GET", url) as response:
                async for _ in response.aiter_raw():
                    pass
        else:
            response = await client.get(url)
        assert response.status_code == 200, response
        done += 1

    async def worker() -> None:
        for _ in range(count):
            if time.monotonic() > deadline:
                return
            await one()

    async with client:
        await one()
        report["start"] = _status_kib()["VmRSS"]
        started = time.monotonic()
        async with trio.open_nursery() as nursery:
            for _ in range(workers):
                nursery.start_soon(worker)
        halfway = started + (time.monotonic() - started) / 2
        _finish(report, libc, sampler, halfway)
        report["conns"] = _established(options)
    return done


def _soak_blocking(
    options: dict[str, Any],
    url: str,
    count: int,
    deadline: float,
    report: dict[str, Any],
    libc: Any,
    sampler: _Sampler,
) -> int:
    workers: int = options["workers"]
    streamed = url.endswith(PATHS["1m"])
    done = [0] * workers
    errors: list[BaseException] = []

    def one(session: trio_http.Session) -> None:
        if streamed:
            with session.get(url, stream=True) as response:
                for _ in response.iter_content(64 * 1024):
                    pass
        else:
            response = session.get(url)
        assert response.status_code == 200, response

    def worker(index: int, session: trio_http.Session) -> None:
        try:
            for _ in range(count):
                if time.monotonic() > deadline:
                    return
                one(session)
                done[index] += 1
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    with trio_http.Session() as session:
        session.verify = options["ca_bundle"]
        one(session)
        report["start"] = _status_kib()["VmRSS"]
        started = time.monotonic()
        threads = [
            threading.Thread(target=worker, args=(index, session)) for index in range(workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        halfway = started + (time.monotonic() - started) / 2
        _finish(report, libc, sampler, halfway)
        report["conns"] = _established(options)
    return sum(done) + 1


def _established(options: dict[str, Any]) -> int:
    """Open TCP connections from this machine to either nginx port.

    Read from ``/proc/net/tcp`` here rather than through ``tests/nginx.py``,
    whose imports (pytest, trustme) would show up in the ``closed`` column.
    """
    wanted = {f"{options['http_port']:04X}", f"{options['https_port']:04X}"}
    count = 0
    with open("/proc/net/tcp") as table:
        next(table)  # column titles
        for line in table:
            fields = line.split()
            # Our side: the remote port is nginx's; state 01 is ESTABLISHED.
            if fields[2].rpartition(":")[2] in wanted and fields[3] == "01":
                count += 1
    return count


# -- the parent: nginx, one subprocess per scenario, the table -------------


def _run_scenario(server: Nginx, scenario: str, args: argparse.Namespace) -> dict[str, Any]:
    options = {
        "scenario": scenario,
        "http_url": server.http_url,
        "https_url": server.https_url,
        "http_port": server.http_port,
        "https_port": server.https_port,
        "ca_bundle": str(server.ca_bundle),
        "workers": args.workers,
        "requests": args.requests,
        "large_requests": args.large_requests,
        "seconds": args.seconds,
        "blocking": args.blocking,
        "keepalive": args.keepalive,
        "tracemalloc": args.tracemalloc,
        "malloc_trim": args.malloc_trim,
    }
    result = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(options)],
        capture_output=True,
        text=True,
        timeout=args.seconds + CHILD_TIMEOUT_SLACK,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{scenario} failed:\n{result.stderr}")
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def _print(reports: list[dict[str, Any]], args: argparse.Namespace) -> None:
    mode = "threads + Session" if args.blocking else "Trio tasks + AsyncClient"
    print(f"\n{args.workers} workers ({mode}); RSS and heap in MB")
    columns = ["start", "plateau", "end", "closed", "peak", "heap_used", "heap_free"]
    titles = ["start", "plateau", "end", "closed", "peak", "heap used", "heap free"]
    if args.tracemalloc:
        columns.append("traced")
        titles.append("traced")
    if args.malloc_trim:
        columns.append("trimmed")
        titles.append("trimmed")
    print(f"{'scenario':<12}{'requests':>9}" + "".join(f"{t:>10}" for t in titles) + "   conns")
    for report in reports:
        cells = "".join(f"{report[c] * 1024 / 1e6:>10.1f}" for c in columns)
        print(f"{report['scenario']:<12}{report['requests']:>9}{cells}{report['conns']:>8}")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(_child(json.loads(sys.argv[2]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument(
        "--requests", type=int, default=200, help="GETs per worker, small responses"
    )
    parser.add_argument(
        "--large-requests", type=int, default=8, help="GETs per worker, 1 MiB responses"
    )
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="stop a scenario's workers after this"
    )
    parser.add_argument(
        "--keepalive",
        type=int,
        default=0,
        help="idle connections the pool keeps (default: one per worker; fewer churns)",
    )
    parser.add_argument("--only", action="append", choices=SCENARIOS, help="repeatable")
    parser.add_argument("--blocking", action="store_true", help="threads and one Session")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--malloc-trim", action="store_true")
    args = parser.parse_args()
    scenarios = args.only or SCENARIOS
    if args.blocking:
        scenarios = [name for name in scenarios if not name.startswith("h2")]
    # Only the parent starts nginx: a child imports no more than it measures.
    from _common import local_nginx

    with local_nginx() as server:
        reports = [_run_scenario(server, scenario, args) for scenario in scenarios]
    _print(reports, args)


if __name__ == "__main__":
    main()
