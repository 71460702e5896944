"""``trio-http fetch FILE``: download every URL listed, many at once.

How this works. :class:`UrlLines` reads the list as the fan-out asks for
URLs (a few ahead of the downloads in flight), in blocks from a worker
thread, so a list of a million lines or a slow pipe costs little memory
and never stalls the loop. :meth:`trio_http.AsyncClient.parallel` sends the
requests, bounded in total and per host, with ``errors="collect"``; its
handler refuses an error status, picks a unique safe name and streams the
body into place with :func:`~._cli_download.save_body` (all or nothing).
The consuming loop tallies outcomes, and a progress task redraws one bar
from the fan-out's live stats. Ctrl-C cancels everything in flight; each
download removes its temporary file on the way out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import final

import trio
from rich.filesize import decimal
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

import trio_http

from ._cli_commands import FetchCommand, UsageError
from ._cli_download import DOWNLOAD_HEADERS, live_progress, save_body
from ._cli_exits import ExitCode
from ._cli_names import NameAllocator, name_from_url
from ._cli_output import Output, describe, printable

__all__ = ["UrlLines", "run_fetch"]

READ_SIZE = 64 * 1024  # bytes of the URL list read per trip to the worker thread


@final
class UrlLines:
    """The URLs of a list, one per line, read lazily from a file descriptor.

    Blank lines and ``#`` comments are skipped. ``pending`` maps the
    position of each URL handed out (its fan-out index) to the URL, until
    the caller pops it.
    """

    def __init__(self, fd: int, *, owned: bool = True) -> None:
        self._fd = fd
        self._owned = owned  # close() closes it: not so standard input
        # A read from a terminal or a pipe may wait forever, so Ctrl-C does
        # not wait for the reading thread. A thread left behind still holds
        # the descriptor, which must then stay open: see close().
        self._reading = False
        self._buffer = b""
        self._lines: list[bytes] = []
        self._eof = False
        self.count = 0
        self.pending: dict[int, str] = {}

    @property
    def exhausted(self) -> bool:
        """Whether every URL of the list has been handed out."""
        return self._eof and not self._lines

    def __aiter__(self) -> UrlLines:
        return self

    async def __anext__(self) -> str:
        while True:
            while self._lines:
                url = self._lines.pop().decode("utf-8", "replace").strip()
                if url and not url.startswith("#"):
                    self.pending[self.count] = url
                    self.count += 1
                    return url
            if self._eof:
                raise StopAsyncIteration
            self._reading = True
            data = await trio.to_thread.run_sync(
                os.read, self._fd, READ_SIZE, abandon_on_cancel=True
            )
            self._reading = False
            if data:
                *complete, self._buffer = (self._buffer + data).split(b"\n")
            else:
                self._eof = True
                complete, self._buffer = [self._buffer], b""
            self._lines = complete[::-1]  # popped from the end, in order

    def close(self) -> None:
        """Close the file descriptor if it was opened for this list and is not being read.

        A descriptor an abandoned read still uses is left to the process's exit.
        """
        if self._owned and not self._reading:
            self._owned = False
            os.close(self._fd)


@dataclass
class _Tally:
    started: float
    saved: int = 0
    bytes: int = 0
    failures: list[tuple[int, str, str]] = field(default_factory=list)  # index, URL, error

    def add_bytes(self, size: int) -> None:
        self.bytes += size

    def rate(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-6)
        return f"{decimal(int(self.bytes / elapsed))}/s"


def _open_source(source: str) -> UrlLines:
    if source == "-":
        return UrlLines(0, owned=False)
    try:
        return UrlLines(os.open(source, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)))
    except OSError as exc:
        raise UsageError(f"cannot read {source!r}: {exc.strerror or exc}") from exc


def _prepare_directory(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {str(directory)!r}: {exc.strerror or exc}") from exc


def _original_url(response: trio_http.Response) -> str:
    # Named after what the list asked for, not where redirects ended.
    first = response.history[0] if response.history else response
    return str(first.request.url if first.request is not None else response.url)


def _summary(tally: _Tally, count: int, directory: Path, elapsed: float) -> Text:
    failed = len(tally.failures)
    text = Text(f"{count:,} URLs in {elapsed:.2f} s: ")
    text.append(f"{tally.saved:,} saved", style="green" if tally.saved else "")
    text.append(
        f" to {printable(str(directory))} ({tally.bytes:,} bytes, "
        f"{tally.rate(tally.started + elapsed)}), "
    )
    text.append(f"{failed:,} failed", style="bold red" if failed else "")
    if failed:
        text.append("\nfailed:")
        for _, url, error in sorted(tally.failures):
            text.append(f"\n  {printable(url)}: {error}")
    return text


async def run_fetch(command: FetchCommand, output: Output) -> ExitCode:
    """Download every URL of ``command.source`` into ``command.directory``.

    A checkpoint. Returns :attr:`ExitCode.ERROR` when any URL failed (the
    summary lists them), :attr:`ExitCode.OK` otherwise.

    Raises:
        UsageError: the list cannot be read or the directory created.
    """
    directory = Path(command.directory)
    lines = _open_source(command.source)
    names = NameAllocator()
    tally = _Tally(started=trio.current_time())

    async def save(response: trio_http.Response) -> tuple[str, int]:
        response.raise_for_status()
        name = names.allocate(name_from_url(_original_url(response)))
        return name, await save_body(response, directory / name, tally.add_bytes)

    progress = Progress(
        SpinnerColumn(),
        BarColumn(),
        TextColumn("{task.description}", markup=False),
        TimeElapsedColumn(),
        console=output.stderr,
        auto_refresh=False,
        redirect_stdout=False,
        redirect_stderr=False,
        disable=not output.stderr.is_terminal,
    )
    bar = progress.add_task("starting", total=None)
    try:
        _prepare_directory(directory)
        async with command.client.open_client(headers=DOWNLOAD_HEADERS) as client:
            fan_out = client.parallel(
                lines,
                max_in_flight=command.max_in_flight,
                max_per_host=command.max_per_host,
                ordered=False,
                errors="collect",
                handler=save,
            )
            stats = fan_out.stats

            def update_bar() -> None:
                total = lines.count if lines.exhausted else None
                of_total = "" if total is None else f"/{total:,}"
                progress.update(
                    bar,
                    total=total,
                    completed=stats.done,
                    description=(
                        f"done {stats.done:,}{of_total}  failed {stats.failed:,}  "
                        f"in flight {stats.in_flight:,}  {decimal(tally.bytes)}  "
                        f"{tally.rate(trio.current_time())}"
                    ),
                )

            async with fan_out as results, live_progress(progress, update_bar):
                async for result in results:
                    url = lines.pending.pop(result.index, "?")
                    if result.error is None:
                        tally.saved += 1
                        if command.verbose:
                            name, size = result.value
                            output.note(f"saved {url} -> {name} ({size:,} bytes)")
                    else:
                        tally.failures.append((result.index, url, describe(result.error)))
                        if command.verbose:
                            output.note(f"failed {url}: {describe(result.error)}")
    finally:
        lines.close()
    elapsed = trio.current_time() - tally.started
    output.stdout.print(_summary(tally, lines.count, directory, elapsed))
    return ExitCode.ERROR if tally.failures else ExitCode.OK
