"""The response bodies of HTTP/1.1 connections.

A body that came whole with its head is a :class:`ReadyBody`; any other is
an :class:`H11Body`, which asks its connection for each next event as the
caller iterates, and hands the connection back (reusable or not) when the
body ends or is abandoned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

from .._streams import AsyncByteStream

if TYPE_CHECKING:
    from .._deadlines import Deadlines
    from .._request import Request
    from ._http11 import HTTP11Connection

__all__ = ["H11Body", "ReadyBody"]


class H11Body(AsyncByteStream):
    """The body of one HTTP/1.1 response, read as the caller iterates."""

    __slots__ = ("_conn", "_deadlines", "_done", "_pending", "_request")

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
        self._pending = pending  # body bytes that came with the head
        self._done = False

    def __aiter__(self) -> H11Body:
        return self

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        if self._pending:
            await trio.lowlevel.checkpoint_if_cancelled()
            return self._pending.pop(0)
        try:
            data = await self._conn.receive_body_chunk(self._request, self._deadlines)
        except BaseException:
            self._done = True
            self._conn.discard()
            raise
        if data is not None:
            return data
        self._done = True
        self._conn.response_complete()
        raise StopAsyncIteration

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
