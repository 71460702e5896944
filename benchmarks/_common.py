"""Shared helpers for the benchmarks: a local nginx and result tables.

Benchmarks run every client in one process run against the same local
server and report ratios, because absolute numbers on shared machines are
noisy. Each client gets a warm-up round that is not counted.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import trustme
from nginx import Nginx, start_nginx

__all__ = ["Nginx", "Result", "local_nginx", "print_table", "timed"]


@contextlib.contextmanager
def local_nginx() -> Iterator[Nginx]:
    """Start nginx on loopback in a temp prefix; stop exactly that process."""
    with tempfile.TemporaryDirectory(prefix="trio_http-bench-") as prefix:
        server = start_nginx(Path(prefix), trustme.CA())
        try:
            yield server
        finally:
            server.stop()


class Result:
    """One client's measurement: requests done, wall and CPU seconds taken.

    CPU time of this process per request is steadier than wall time on a
    shared machine, so the table shows both.
    """

    def __init__(self, name: str, count: int, seconds: float, cpu_seconds: float = 0.0) -> None:
        self.name = name
        self.count = count
        self.seconds = seconds
        self.cpu_seconds = cpu_seconds

    @property
    def rate(self) -> float:
        return self.count / self.seconds


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    """``with timed() as t: ...`` then ``t == [wall seconds, CPU seconds]``."""
    box: list[float] = []
    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)
        box.append(time.process_time() - cpu_start)


def print_table(title: str, results: list[Result], baseline: str = "trio_http") -> None:
    """Print req/s per client and each client's speed relative to ``baseline``."""
    base = next(r for r in results if r.name == baseline)
    print(f"\n{title}")
    print(
        f"{'client':<28}{'req/s':>10}{'µs/req':>10}{'CPU µs/req':>12}"
        f"{'trio_http faster':>18}{'by CPU':>9}"
    )
    for result in results:
        ratio = base.rate / result.rate
        cpu = 1e6 * result.cpu_seconds / result.count
        cpu_ratio = result.cpu_seconds / base.cpu_seconds if base.cpu_seconds else 0.0
        print(
            f"{result.name:<28}{result.rate:>10.0f}{1e6 / result.rate:>10.0f}{cpu:>12.0f}"
            f"{ratio:>17.2f}x{cpu_ratio:>8.2f}x"
        )
