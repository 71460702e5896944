"""Shared helpers for the benchmarks: a local nginx, a round-robin harness and tables.

Every client runs in one process against the same local server, and the
scripts report ratios, because absolute numbers on a shared machine swing by
tens of percent from one run to the next.

How rounds work: :func:`run_rounds` runs every client once per round and
rotates the order each round (round ``r`` starts with client ``r mod n``), so
no client is always first or last. Each call of a runner does its own warm-up
and its own ``trio.run``/``asyncio.run``, so clients stay independent.

How to read :func:`print_rounds`: req/s, µs/req and CPU µs/req are medians
over rounds. "trio_http faster" is the median of ratios taken *within* each
round (a slow phase of the machine slows both sides of a ratio alike), with
the smallest and largest per-round ratio in brackets: ``2.13x (1.88-2.41)``.
A target such as "at least 2x" is met when the whole bracket clears it, and
is in doubt when the bracket straddles it. "by CPU" is the same for CPU time
of this process, which is steadier than wall time. With one round the table
is the single-run table of :func:`print_table`.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import trustme
from nginx import Nginx, start_nginx

__all__ = [
    "Nginx",
    "Result",
    "Runner",
    "add_rounds_option",
    "format_spread",
    "local_nginx",
    "print_rounds",
    "print_table",
    "run_rounds",
    "timed",
]

# A runner does its own warm-up, then measures ``count`` requests and returns
# the ``timed()`` box: (wall seconds, CPU seconds).
Runner = Callable[[], Sequence[float]]

DASH = "\u2013"  # en dash between the smallest and largest per-round ratio


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

    @property
    def cpu_per_item(self) -> float:
        return self.cpu_seconds / self.count


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


def add_rounds_option(
    parser: argparse.ArgumentParser, flag: str = "--rounds", default: int = 5
) -> None:
    """Add a ``--rounds N`` style option (N >= 1) to a script's parser."""

    def positive(text: str) -> int:
        value = int(text)
        if value < 1:
            raise argparse.ArgumentTypeError("must be at least 1")
        return value

    parser.add_argument(
        flag,
        type=positive,
        default=default,
        metavar="N",
        help=f"run every client N times, order rotated each round (default {default})",
    )


def run_rounds(runners: Mapping[str, Runner], rounds: int, count: int) -> dict[str, list[Result]]:
    """Run every client once per round, rotating the order every round.

    Args:
        runners: client name -> runner, in table order.
        rounds: how many rounds; round ``r`` starts at client ``r mod n``.
        count: requests (or bytes) each runner call measures.

    Returns:
        Client name -> one Result per round, indexed by round, so that
        ``results[a][r]`` and ``results[b][r]`` ran in the same round.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    names = list(runners)
    results: dict[str, list[Result]] = {name: [] for name in names}
    for round_index in range(rounds):
        start = round_index % len(names)
        for name in names[start:] + names[:start]:
            wall, cpu = runners[name]()
            results[name].append(Result(name, count, wall, cpu))
    return results


def format_spread(ratios: Sequence[float]) -> str:
    """``2.13x (1.88-2.41)``: the median ratio, then the smallest and largest."""
    if len(ratios) == 1:
        return f"{ratios[0]:.2f}x"
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}{DASH}{max(ratios):.2f})"


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


def print_rounds(
    title: str, results_by_client: Mapping[str, list[Result]], baseline: str = "trio_http"
) -> None:
    """Print medians over rounds and per-round ratios against ``baseline``.

    With a single round this prints exactly :func:`print_table`.
    """
    base = results_by_client[baseline]
    rounds = len(base)
    if rounds == 1:
        print_table(title, [runs[0] for runs in results_by_client.values()], baseline)
        return
    print(f"\n{title}")
    print(f"median of {rounds} rounds; ratios are per round: median (min{DASH}max)")
    print(
        f"{'client':<28}{'req/s':>10}{'µs/req':>10}{'CPU µs/req':>12}"
        f"{'trio_http faster':>22}{'by CPU':>22}"
    )
    for name, runs in results_by_client.items():
        rate = statistics.median(run.rate for run in runs)
        micros = statistics.median(1e6 / run.rate for run in runs)
        cpu_micros = statistics.median(1e6 * run.cpu_per_item for run in runs)
        # Pair each run with the baseline's run of the same round.
        ratios = [b.rate / run.rate for b, run in zip(base, runs, strict=True)]
        cpu_ratios = [
            run.cpu_per_item / b.cpu_per_item
            for b, run in zip(base, runs, strict=True)
            if b.cpu_seconds
        ]
        if name == baseline:
            ratio_text = cpu_text = "1.00x"
        else:
            ratio_text = format_spread(ratios)
            cpu_text = format_spread(cpu_ratios) if cpu_ratios else "-"
        print(
            f"{name:<28}{rate:>10.0f}{micros:>10.0f}{cpu_micros:>12.0f}"
            f"{ratio_text:>22}{cpu_text:>22}"
        )
