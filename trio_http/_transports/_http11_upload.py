"""Uploading a streamed (or large) request body while the response may arrive.

How this works: the head goes out first; a child task then sends the body
while this task already waits for the response head, so a server that
answers early (413, 401, ...) is heard at once and the upload stops. The
read timeout starts only once the upload is done: a server may legitimately
stay silent while it receives a long body. A failing body source, or a
broken pipe with no answer, wins over what the read saw.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

import h11
import trio

from .._exceptions import LocalProtocolError, WriteError
from ._net import IO_ERRORS

if TYPE_CHECKING:
    from .._deadlines import Deadlines
    from .._request import Request

__all__ = ["SendAll", "exchange_streamed"]

# Sends the pieces, in order, as one stream of bytes (a checkpoint).
SendAll = Callable[[Sequence[bytes]], Awaitable[None]]

# Events are immutable: one end-of-message event serves every request.
_END_OF_MESSAGE = h11.EndOfMessage()
_INF = math.inf


async def exchange_streamed(
    send_all: SendAll,
    h: h11.Connection,
    request: Request,
    head: bytes,
    deadlines: Deadlines,
    read_head: Callable[[Request], Awaitable[h11.Response]],
) -> h11.Response:
    """Send ``head``, then upload the body while waiting for the response head.

    A checkpoint. The read timeout starts once the upload is done; a
    final answer before that stops the upload (the connection is then
    mid-request: the caller closes it). Cancellation leaves the
    connection in an unknown state, for the caller to close.

    Args:
        send_all: sends pieces of bytes on the connection (a checkpoint).
        h: the connection's h11 state; the head was sent through it.
        read_head: reads the final response head (a checkpoint).

    Raises:
        WriteError, WriteTimeout, ReadTimeout, LocalProtocolError: or
        what the body source or ``read_head`` raises.
    """
    await _send(send_all, [head], deadlines, "sending the request head")
    # The read timeout only starts once the upload is done: a server may
    # legitimately stay silent while it receives a long body.
    head_scope = trio.CancelScope(deadline=deadlines.total)
    upload_error: list[BaseException] = []
    upload_done = trio.Event()

    async def upload() -> None:
        try:
            await _send_body(send_all, h, request, deadlines)
        except Exception as exc:  # handed to the reading task below
            upload_error.append(exc)
            head_scope.cancel()
        finally:
            upload_done.set()
            head_scope.deadline = min(
                head_scope.deadline, deadlines.phase("read", trio.current_time())
            )

    event: h11.Response | None = None
    head_error: Exception | None = None
    async with trio.open_nursery() as nursery:
        nursery.start_soon(upload)
        try:
            event = await _receive_head(read_head, request, head_scope, deadlines)
        except Exception as exc:
            head_error = exc
        # A final answer before the upload finished: stop sending. The
        # connection is then mid-request and will be closed, not reused.
        nursery.cancel_scope.cancel()
    if upload_error and (event is None or not isinstance(upload_error[0], WriteError)):
        # A failing body source (or a broken pipe with no answer) wins.
        raise upload_error[0]
    if head_error is not None:
        raise head_error
    assert event is not None
    return event


async def _send_body(
    send_all: SendAll,
    h: h11.Connection,
    request: Request,
    deadlines: Deadlines,
) -> None:
    chunks = aiter(request.stream)
    try:
        async for chunk in chunks:
            # The framing pieces apart (chunked: size line, data, CRLF), so
            # that the data is sent as it is, never joined into a copy.
            pieces = h.send_with_data_passthrough(h11.Data(data=chunk))
            if pieces:
                await _send(send_all, pieces, deadlines, "sending the request body")
    finally:
        # Stopped early (an early answer, a timeout, a broken pipe): close
        # the body's iterator now, not whenever the collector finds it.
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
    try:
        end = h.send(_END_OF_MESSAGE)
    except h11.LocalProtocolError as exc:
        # Content-Length promised more or fewer bytes than the body had.
        raise LocalProtocolError(f"request body does not match its length: {exc}") from exc
    if end:
        await _send(send_all, [end], deadlines, "sending the request body")


async def _send(
    send_all: SendAll,
    data: list[bytes],
    deadlines: Deadlines,
    what: str,
) -> None:
    deadline = deadlines.phase("write", trio.current_time())
    try:
        if deadline == _INF:
            await send_all(data)
            return
        with trio.CancelScope(deadline=deadline) as scope:
            await send_all(data)
    except IO_ERRORS as exc:
        raise WriteError(f"connection broke while {what}: {exc!r}") from exc
    if scope.cancelled_caught:
        raise deadlines.expired("write", deadline, what)


async def _receive_head(
    read_head: Callable[[Request], Awaitable[h11.Response]],
    request: Request,
    scope: trio.CancelScope,
    deadlines: Deadlines,
) -> h11.Response:
    """Read the final response head under ``scope``'s deadline."""
    with scope:
        return await read_head(request)
    raise deadlines.expired("read", scope.deadline, "waiting for the response")
