"""Byte streams: request bodies going out and response bodies coming in.

A request body is a :class:`RequestContent`: an async iterable of ``bytes``
that knows its length when it can (``Content-Length`` instead of chunked
framing) and whether it can be sent a second time (``rewindable``), which
redirects, auth retries and connection retries ask before replaying it.

A response body is an :class:`AsyncByteStream`: an async iterable of raw
``bytes`` that the consumer must ``aclose()``; transports return one and the
layers above see nothing else.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import IO, Any

from ._config import WRITE_CHUNK
from ._exceptions import StreamConsumedError, UnrewindableBodyError

__all__ = [
    "AsyncByteStream",
    "AsyncIterableContent",
    "ByteStream",
    "BytesContent",
    "FileContent",
    "IterableContent",
    "RequestContent",
]


class RequestContent:
    """A request body. Subclasses set ``length`` and ``rewindable``.

    Iterating is not a checkpoint by itself; the transport that sends the
    chunks is.
    """

    __slots__ = ("length", "rewindable")

    length: int | None
    rewindable: bool

    def __aiter__(self) -> AsyncIterator[bytes]:  # pragma: no cover - abstract
        raise NotImplementedError

    def rewind(self) -> None:
        """Prepare to be sent again.

        Raises:
            UnrewindableBodyError: the body was a one-shot stream.
        """
        if not self.rewindable:
            raise UnrewindableBodyError(
                "the request body is a one-shot stream and cannot be sent again"
            )


class BytesContent(RequestContent):
    """A body held in memory.

    ``text`` is the body as the caller gave it when that was text (a ``str``
    body, encoded form fields), which requests' ``PreparedRequest.body``
    shows; ``None`` for a body given as bytes.
    """

    __slots__ = ("body", "text")

    def __init__(self, body: bytes, text: str | None = None) -> None:
        self.body = body
        self.text = text
        self.length = len(body)
        self.rewindable = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.body:
            yield self.body


EMPTY_CONTENT = BytesContent(b"")


class IterableContent(RequestContent):
    """A body from a sync iterable of bytes (a generator is sent once only)."""

    __slots__ = ("_consumed", "_iterable")

    def __init__(self, iterable: Iterable[bytes], length: int | None = None) -> None:
        self._iterable = iterable
        self._consumed = False
        self.length = length
        # A list or tuple can be iterated again; a generator cannot.
        self.rewindable = isinstance(iterable, (list, tuple))

    def rewind(self) -> None:
        super().rewind()
        self._consumed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._consumed and not self.rewindable:
            raise StreamConsumedError("the request body stream was already sent")
        self._consumed = True
        for item in self._iterable:
            chunk: object = item
            if isinstance(chunk, str):
                chunk = chunk.encode("utf-8")
            elif not isinstance(chunk, (bytes, bytearray, memoryview)):
                raise TypeError(
                    f"request body iterables must yield bytes, got {type(chunk).__name__}"
                )
            if chunk:
                yield bytes(chunk)


class AsyncIterableContent(RequestContent):
    """A body from an async iterable of bytes; sent once only."""

    __slots__ = ("_consumed", "_iterable")

    def __init__(self, iterable: AsyncIterable[bytes], length: int | None = None) -> None:
        self._iterable = iterable
        self._consumed = False
        self.length = length
        self.rewindable = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._consumed:
            raise StreamConsumedError("the request body stream was already sent")
        self._consumed = True
        iterator = aiter(self._iterable)
        try:
            async for item in iterator:
                chunk: object = item
                if isinstance(chunk, str):
                    chunk = chunk.encode("utf-8")
                elif not isinstance(chunk, (bytes, bytearray, memoryview)):
                    raise TypeError(
                        f"request body iterables must yield bytes, got {type(chunk).__name__}"
                    )
                if chunk:
                    yield bytes(chunk)
        finally:
            # Closed before the end (the server answered early, a timeout):
            # the body is sent once only, so close the caller's iterator
            # now rather than leave an async generator to the collector.
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()


def is_text_file(fileobj: Any) -> bool:
    """Whether ``fileobj`` reads ``str`` (text mode) rather than bytes."""
    if isinstance(fileobj, io.TextIOBase):
        return True
    mode = getattr(fileobj, "mode", None)
    return isinstance(mode, str) and bool(mode) and "b" not in mode


def file_length(fileobj: IO[Any]) -> int | None:
    """Bytes left to read in ``fileobj``, or None when it cannot be told."""
    try:
        fileno = fileobj.fileno()
    except (AttributeError, OSError, ValueError):
        fileno = None
    try:
        position = fileobj.tell()
    except (AttributeError, OSError, ValueError):
        return None
    if fileno is not None:
        try:
            return max(os.fstat(fileno).st_size - position, 0)
        except OSError:
            pass
    try:
        end: int | None = fileobj.seek(0, os.SEEK_END)
        if end is None:
            # A hand-written file-like object whose seek() returns nothing.
            end = fileobj.tell()
        fileobj.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return max(end - position, 0)


class FileContent(RequestContent):
    """A body read from a file object in chunks, never whole.

    Reads are small blocking reads (``WRITE_CHUNK`` bytes), as for any local
    file; a seekable file is rewound to where it started.
    """

    __slots__ = ("_consumed", "_fileobj", "_start")

    def __init__(self, fileobj: IO[Any]) -> None:
        self._fileobj = fileobj
        self._consumed = False
        # Text is sent re-encoded as UTF-8, so its size on disk is no length.
        # A size of 0 is no length either (pipes and /proc files report it
        # whatever they hold): the body is sent chunked, as requests sends it.
        self.length = None if is_text_file(fileobj) else (file_length(fileobj) or None)
        try:
            self._start: int | None = fileobj.tell()
            self.rewindable = fileobj.seekable() if hasattr(fileobj, "seekable") else True
        except (AttributeError, OSError, ValueError):
            self._start = None
            self.rewindable = False

    def rewind(self) -> None:
        super().rewind()
        self._fileobj.seek(self._start or 0)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._consumed:
            # Sent before: start from the beginning again, or refuse.
            self.rewind()
        self._consumed = True
        read = self._fileobj.read
        while True:
            chunk = read(WRITE_CHUNK)
            if not chunk:
                return
            if isinstance(chunk, str):
                chunk = chunk.encode("utf-8")
            yield chunk


class AsyncByteStream:
    """A response body: iterate for raw bytes, then ``aclose()``.

    Closing is idempotent and always safe, also before the end: a transport
    then discards or closes its connection.
    """

    __slots__ = ()

    def __aiter__(self) -> AsyncIterator[bytes]:  # pragma: no cover - abstract
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release the body's resources. A checkpoint."""

    def prefer_chunk_size(self, size: int | None) -> None:
        """A hint: the reader cuts the raw bytes into chunks of ``size`` (None: as they come).

        A stream that copies what it reads anyway may hand out pieces that
        end where the reader's chunks end, so the reader copies nothing.
        Call it before iterating; streams that cannot use it ignore it.
        """

    def take_ready(self) -> list[bytes] | None:
        """The whole body at once, when it is already in memory; else ``None``.

        Lets a reader skip async iteration for bodies that arrived with their
        head. After a list is returned the stream is exhausted (still close it).
        """
        return None


class ByteStream(AsyncByteStream):
    """A response body already in memory (mock transports, decoded bodies)."""

    __slots__ = ("_body",)

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._body:
            yield self._body
