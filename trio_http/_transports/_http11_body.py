"""The response bodies of HTTP/1.1 connections.

A body that came whole with its head is a :class:`ReadyBody`; any other is
an :class:`H11Body`, which asks its connection for each next event as the
caller iterates, and hands the connection back (reusable or not) when the
body ends or is abandoned.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import trio

from .._streams import AsyncByteStream

if TYPE_CHECKING:
    from .._deadlines import Deadlines
    from .._request import Request
    from ._http11 import HTTP11Connection

__all__ = ["H11Body", "ReadyBody"]


class H11Body(AsyncByteStream):
    """The body of one HTTP/1.1 response, read as the caller iterates.

    Each read of the connection may come back as several pieces, cut to the
    chunk size the reader said it wants (:meth:`prefer_chunk_size`), so
    that re-chunking copies nothing; they are handed out one per step.
    """

    __slots__ = ("_conn", "_deadlines", "_done", "_handed", "_pending", "_piece", "_request")

    def __init__(
        self,
        conn: HTTP11Connection,
        request: Request,
        deadlines: Deadlines,
        pending: list[bytes],
    ) -> None:
        self._conn = conn
        self._request = request
        self._deadlines = deadlines
        self._pending = deque(pending)  # body bytes that came with the head
        self._done = False
        self._piece: int | None = None
        self._handed = 0  # body bytes handed out so far

    def __aiter__(self) -> H11Body:
        return self

    def prefer_chunk_size(self, size: int | None) -> None:
        self._piece = size

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        pending = self._pending
        if pending:
            await trio.lowlevel.checkpoint_if_cancelled()
        else:
            piece = self._piece
            # The first piece ends where the reader's current chunk does.
            first = 0 if piece is None else piece - self._handed % piece
            try:
                pieces = await self._conn.receive_body_pieces(
                    self._request, self._deadlines, first, piece
                )
            except BaseException:
                self._done = True
                self._conn.discard()
                raise
            if pieces is None:
                self._done = True
                self._conn.response_complete()
                raise StopAsyncIteration
            pending.extend(pieces)
        chunk = pending.popleft()
        self._handed += len(chunk)
        return chunk

    async def aclose(self) -> None:
        """Close the body; an unfinished one closes its connection.

        Closing a body that was read to its end is not a checkpoint: the
        reads were, and the connection is already back in the pool.
        """
        if not self._done:
            self._done = True
            self._conn.discard()
            await trio.lowlevel.checkpoint()


class ReadyBody(AsyncByteStream):
    """A body that was complete when its head was parsed."""

    __slots__ = ("_chunks",)

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __aiter__(self) -> ReadyBody:
        return self

    async def __anext__(self) -> bytes:
        await trio.lowlevel.checkpoint_if_cancelled()
        if self._chunks:
            return self._chunks.pop(0)
        raise StopAsyncIteration

    def take_ready(self) -> list[bytes]:
        chunks, self._chunks = self._chunks, []
        return chunks

    async def aclose(self) -> None:
        self._chunks = []
