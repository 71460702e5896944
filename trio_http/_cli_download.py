"""Saving a body to a file, all or nothing, and showing its progress.

How this works. :func:`save_body` streams a response into a temporary file
next to the target (``.NAME.XXXXXXXX.part``, created exclusively, so it is
never someone else's file) and renames it over the target only once the
last byte is written. Any failure, cancellation or Ctrl-C removes the
temporary file instead, so a name that exists is always a complete body.

Progress bars are rich's, drawn on stderr only when it is a terminal.
They refresh from a Trio task (:func:`live_progress`) rather than rich's
own refresh thread: the command runs no threads but Trio's.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import trio
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

import trio_http

from ._cli_names import safe_name

__all__ = ["DOWNLOAD_HEADERS", "REFRESH_INTERVAL", "download", "live_progress", "save_body"]

# A download is saved as sent: asking for no content coding makes the bytes
# on the wire the bytes in the file (and the Content-Length the bar's total).
DOWNLOAD_HEADERS = (("Accept-Encoding", "identity"),)
REFRESH_INTERVAL = 0.1  # seconds between redraws of a progress bar
TEMP_SUFFIX = ".part"


@trio.lowlevel.enable_ki_protection
def _open_temp(target: Path) -> tuple[int, Path]:
    # KI-protected: a Ctrl-C lands after this returns the path to clean up,
    # never between creating the file and handing it over.
    name = safe_name(target.name)
    while True:
        temp = target.with_name(f".{name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue  # another download's temporary name: draw again


async def save_body(
    response: trio_http.Response,
    target: Path,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Write the decoded body to ``target``, atomically; return its size.

    A checkpoint. ``on_chunk`` is called with the size of each chunk
    written. An existing ``target`` is replaced only when the whole body
    has arrived.

    Raises:
        trio_http.RequestException: the body could not be read; ``target``
            is untouched.
        OSError: the file could not be written; ``target`` is untouched.

    Cancellation (and Ctrl-C) leaves ``target`` untouched and no
    temporary file behind.
    """
    fd, temp = _open_temp(target)
    written = 0
    saved = False
    raw = None
    try:
        raw = os.fdopen(fd, "wb", buffering=0)
        file = trio.wrap_file(raw)
        async for chunk in response.aiter_bytes():
            await file.write(chunk)
            written += len(chunk)
            if on_chunk is not None:
                on_chunk(len(chunk))
        await file.aclose()
        os.replace(temp, target)
        saved = True
    finally:
        if not saved:
            # Synchronous on purpose: this must finish under cancellation.
            if raw is not None:
                raw.close()
            else:
                os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
    return written


@contextlib.asynccontextmanager
async def live_progress(
    progress: Progress, before_refresh: Callable[[], None] | None = None
) -> AsyncIterator[Progress]:
    """Show ``progress`` for the block, redrawn from a Trio task.

    ``before_refresh`` runs before each redraw, to update the tasks' fields.
    A disabled ``progress`` (not a terminal) draws nothing and starts no task.
    """
    if progress.disable:
        yield progress
        return

    async def redraw() -> None:
        while True:
            await trio.sleep(REFRESH_INTERVAL)
            if before_refresh is not None:
                before_refresh()
            progress.refresh()

    with progress:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(redraw)
            try:
                yield progress
            finally:
                nursery.cancel_scope.cancel()
        if before_refresh is not None:
            before_refresh()  # the last frame shows the final numbers


def _download_columns(total: int | None) -> list[ProgressColumn]:
    columns: list[ProgressColumn] = []
    if total is None:
        columns.append(SpinnerColumn())
    columns += [
        TextColumn("{task.description}", style="bold", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    ]
    if total is not None:
        columns.append(TimeRemainingColumn())
    return columns


def _expected_size(response: trio_http.Response) -> int | None:
    # The saved body is decoded: a Content-Length counts encoded bytes.
    length = response.headers.get("content-length")
    if length is None or not length.isdigit() or "content-encoding" in response.headers:
        return None
    return int(length)


async def download(response: trio_http.Response, target: Path, console: Console) -> int:
    """Save the body to ``target`` with a progress bar on ``console``; return its size.

    A checkpoint; raises and cleans up as :func:`save_body`.
    """
    total = _expected_size(response)
    progress = Progress(
        *_download_columns(total),
        console=console,
        auto_refresh=False,
        redirect_stdout=False,
        redirect_stderr=False,
        disable=not console.is_terminal,
    )
    task = progress.add_task(target.name, total=total)

    def advance(size: int) -> None:
        progress.advance(task, size)

    async with live_progress(progress):
        size = await save_body(response, target, advance)
        progress.update(task, total=size, completed=size)
    return size
