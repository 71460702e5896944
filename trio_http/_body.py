"""The response body pipeline: raw chunks in, decoded bytes, text or lines out.

How this works: a pipeline is a short chain of sans-I/O stages. The first,
:class:`ByteStage`, takes each raw chunk as the transport delivered it,
undoes the Content-Encoding (bounded, see :mod:`trio_http._decompress_stage`)
and cuts the result into exact ``chunk_size`` pieces when asked;
:class:`TextStage` decodes those to ``str``; :class:`LineStage` and
:class:`RequestsLineStage` split text into lines. Every stage has the same
two calls: ``feed(raw)`` returns what a raw chunk completes, ``flush()``
what is left at the end of the body.

Both readers of a response drive the same pipeline and decode nothing
themselves: the async one feeds it from the transport's async iterator of
raw chunks, the blocking one from the batches of raw chunks that one portal
hop returns (:class:`BlockingBody`), and a body already in memory is fed in
one go (:func:`run`). A body without Content-Encoding and without a chunk
size passes through as the same ``bytes`` objects: nothing is copied.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import AnyStr, Generic, Protocol, TypeVar, final

from ._decompress_stage import ContentDecoder
from ._text import LineDecoder, TextDecoder

__all__ = [
    "BlockingBody",
    "BodyPipeline",
    "ByteStage",
    "LineStage",
    "Rechunker",
    "RequestsLineStage",
    "TextStage",
    "check_chunk_size",
    "join_chunks",
    "run",
]

T = TypeVar("T")
_In = TypeVar("_In")
_Out = TypeVar("_Out")


class BodyPipeline(Protocol[T]):
    """A chain of stages: raw body chunks in, items of type ``T`` out."""

    @property
    def raw_chunk_size(self) -> int | None:
        """The size raw pieces best come in (chunks are cut from them as they are), or None."""

    def feed(self, raw: bytes) -> list[T]:
        """Take the next raw chunk; return the items it completes (maybe none)."""

    def flush(self) -> list[T]:
        """Return what is left at the end of the body; call once.

        Raises:
            ContentDecodingError: the encoded body was truncated.
        """


class BlockingBody(Protocol):
    """Where a response from the blocking API reads its raw body, across threads.

    The blocking facade attaches one to each response it returns; this
    module sees only this interface, so it stays free of I/O libraries.
    """

    def prefer_chunk_size(self, size: int | None) -> None:
        """Before the first read: the reader cuts chunks of ``size`` (see ``AsyncByteStream``)."""

    def read_batch(self) -> list[bytes]:
        """Block until body bytes arrive; return every chunk buffered so far.

        Returns an empty list at the end of the body.
        """

    def close(self) -> None:
        """Close the body stream (the connection goes back to the pool if clean)."""


def run(pipeline: BodyPipeline[T], raws: Iterable[bytes]) -> list[T]:
    """Feed a whole body held in memory, then flush: everything it yields."""
    out: list[T] = []
    for raw in raws:
        out += pipeline.feed(raw)
    out += pipeline.flush()
    return out


def check_chunk_size(chunk_size: object) -> None:
    """Check a ``chunk_size`` argument as requests does.

    Raises:
        TypeError: neither an int nor None.
        ValueError: below 1.
    """
    if chunk_size is None:
        return
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int):
        raise TypeError(f"chunk_size must be an int or None, not {type(chunk_size).__name__}")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")


def join_chunks(chunks: list[bytes]) -> bytes:
    """One ``bytes``; a single chunk is returned as is, not copied."""
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class Rechunker:
    """Cut a byte stream into chunks of exactly ``chunk_size`` bytes.

    Args:
        chunk_size: the chunk size, or None to pass chunks through as they come.

    Raises:
        ValueError: ``chunk_size`` is not a positive number.
    """

    __slots__ = ("_buffer", "_size")

    def __init__(self, chunk_size: int | None) -> None:
        if chunk_size is not None and (
            isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0
        ):
            raise ValueError(f"chunk_size must be a whole number > 0 or None, not {chunk_size!r}")
        self._size = chunk_size
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add ``data``; return every complete chunk now available."""
        size = self._size
        if size is None:
            return [data] if data else []
        buffer = self._buffer
        if not buffer and len(data) == size:
            return [data]  # already one whole chunk: no copy
        if len(buffer) + len(data) < size:
            buffer += data
            return []
        chunks: list[bytes] = []
        view = memoryview(data)
        start = 0
        if buffer:
            start = size - len(buffer)
            buffer += view[:start]
            chunks.append(bytes(buffer))
            buffer.clear()
        end = len(data)
        while end - start >= size:
            chunks.append(bytes(view[start : start + size]))
            start += size
        if start < end:
            buffer += view[start:]
        return chunks

    def flush(self) -> bytes:
        """Return the last, shorter chunk (``b""`` when nothing is left)."""
        tail = bytes(self._buffer)
        self._buffer.clear()
        return tail


@final
class ByteStage:
    """Raw chunks in; Content-Encoding undone, then cut to ``chunk_size``.

    Args:
        decoder: the body's content decoder; None passes bytes through.
        chunk_size: bytes per output chunk (the last may be shorter); None
            yields the decoded bytes as they come, empty pieces skipped.

    Raises:
        ValueError: ``chunk_size`` is not a positive number.
    """

    __slots__ = ("_decoder", "_rechunker", "raw_chunk_size")

    def __init__(self, decoder: ContentDecoder | None, chunk_size: int | None) -> None:
        self._decoder = decoder
        self._rechunker = None if chunk_size is None else Rechunker(chunk_size)
        #: The size raw pieces best come in: chunks are cut from them as
        #: they are (None: decoding makes sizes unrelated, or no size).
        self.raw_chunk_size = chunk_size if decoder is None else None

    def feed(self, raw: bytes) -> list[bytes]:
        data = raw if self._decoder is None else self._decoder.decode(raw)
        if not data:
            return []
        rechunker = self._rechunker
        return [data] if rechunker is None else rechunker.feed(data)

    def flush(self) -> list[bytes]:
        tail = b"" if self._decoder is None else self._decoder.flush()
        rechunker = self._rechunker
        if rechunker is None:
            return [tail] if tail else []
        chunks = rechunker.feed(tail)
        last = rechunker.flush()
        if last:
            chunks.append(last)
        return chunks


class _Stage(Generic[_In, _Out]):
    """A stage after the first: converts what its source stage yields."""

    __slots__ = ("_source",)

    raw_chunk_size: int | None = None  # what a later stage yields is not raw bytes

    def __init__(self, source: BodyPipeline[_In]) -> None:
        self._source = source

    def feed(self, raw: bytes) -> list[_Out]:
        return self._convert(self._source.feed(raw))

    def flush(self) -> list[_Out]:
        out = self._convert(self._source.flush())
        out += self._tail()
        return out

    def _convert(self, items: list[_In]) -> list[_Out]:
        raise NotImplementedError  # pragma: no cover - abstract

    def _tail(self) -> list[_Out]:
        raise NotImplementedError  # pragma: no cover - abstract


@final
class TextStage(_Stage[bytes, str]):
    """Bytes in, text out; bad bytes become U+FFFD, empty pieces are skipped.

    Args:
        source: the byte stage to decode.
        encoding: the codec name (unknown names fall back to UTF-8).
    """

    __slots__ = ("_decoder",)

    def __init__(self, source: BodyPipeline[bytes], encoding: str) -> None:
        super().__init__(source)
        self._decoder = TextDecoder(encoding)

    def _convert(self, items: list[bytes]) -> list[str]:
        return [text for text in map(self._decoder.decode, items) if text]

    def _tail(self) -> list[str]:
        tail = self._decoder.flush()
        return [tail] if tail else []


@final
class LineStage(_Stage[str, str]):
    """Text in, lines out without their endings (``\\n``, ``\\r\\n``, ``\\r``)."""

    __slots__ = ("_lines",)

    def __init__(self, source: BodyPipeline[str]) -> None:
        super().__init__(source)
        self._lines = LineDecoder()

    def _convert(self, items: list[str]) -> list[str]:
        lines: list[str] = []
        for text in items:
            lines += self._lines.decode(text)
        return lines

    def _tail(self) -> list[str]:
        return self._lines.flush()


# What str.splitlines and bytes.splitlines may end a line with.
_LINE_ENDS: frozenset[str | bytes] = frozenset(
    {"\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"}
    | {b"\n", b"\r", b"\v", b"\f", b"\x1c", b"\x1d", b"\x1e"}
)
_CR: frozenset[str | bytes] = frozenset(["\r", b"\r"])


@final
class RequestsLineStage(_Stage[AnyStr, AnyStr]):
    """Lines as requests' ``iter_lines`` splits them: bytes or text, any delimiter.

    Without a delimiter, lines end where ``str.splitlines`` (or
    ``bytes.splitlines``) says; a line whose break may continue in the next
    chunk (a last ``\\r``) waits for it.

    Args:
        source: the byte or text stage to split.
        delimiter: split on exactly this instead.
    """

    __slots__ = ("_delimiter", "_pending")

    def __init__(self, source: BodyPipeline[AnyStr], delimiter: AnyStr | None) -> None:
        self._source = source  # not super().__init__: mypy trips on AnyStr there
        self._delimiter: AnyStr | None = delimiter
        self._pending: AnyStr | None = None

    def _convert(self, items: list[AnyStr]) -> list[AnyStr]:
        lines: list[AnyStr] = []
        delimiter = self._delimiter
        for chunk in items:
            pending = self._pending
            text = chunk if pending is None else pending + chunk
            if delimiter is not None:
                pieces = text.split(delimiter)
                self._pending = pieces.pop()
                lines += pieces
                continue
            pieces = text.splitlines(keepends=True)
            last = pieces[-1] if pieces else None
            # A last piece without its line break (or ending in a CR that a
            # LF in the next chunk may complete) waits for more data.
            if last is not None and (last[-1:] not in _LINE_ENDS or last[-1:] in _CR):
                self._pending = pieces.pop()
            else:
                self._pending = None
            lines += [piece.splitlines()[0] for piece in pieces]
        return lines

    def _tail(self) -> list[AnyStr]:
        pending, self._pending = self._pending, None
        if not pending:
            return []
        return pending.splitlines() if self._delimiter is None else [pending]
