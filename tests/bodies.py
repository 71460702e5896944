"""Response bodies for tests: streams that yield given chunks, split as asked."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from trio_http import Response
from trio_http._streams import AsyncByteStream


class ChunkStream(AsyncByteStream):
    """A response body that yields the given chunks and counts its closes."""

    __slots__ = ("_chunks", "close_calls", "preferred")

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = list(chunks)
        self.close_calls = 0
        self.preferred: list[int | None] = []  # every prefer_chunk_size hint

    def prefer_chunk_size(self, size: int | None) -> None:
        self.preferred.append(size)

    def __aiter__(self) -> ChunkStream:
        return self

    async def __anext__(self) -> bytes:
        if not self._chunks:
            raise StopAsyncIteration
        return self._chunks.pop(0)

    async def aclose(self) -> None:
        self.close_calls += 1


def streamed(
    chunks: Iterable[bytes], headers: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    return Response(status_code, headers=headers, stream=ChunkStream(chunks))


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """Split ``data`` at the given offsets (clamped, sorted, deduplicated)."""
    points = sorted({min(max(cut, 0), len(data)) for cut in cuts} | {0, len(data)})
    return [data[start:end] for start, end in itertools.pairwise(points) if end > start]


class ReadyStream(ChunkStream):
    """A body that arrived with its head: ``take_ready`` hands it over whole."""

    __slots__ = ("iterated",)

    def __init__(self, chunks: Iterable[bytes]) -> None:
        super().__init__(chunks)
        self.iterated = False

    async def __anext__(self) -> bytes:
        self.iterated = True
        return await super().__anext__()

    def take_ready(self) -> list[bytes]:
        chunks, self._chunks = self._chunks, []
        return chunks


class BatchBody:
    """What the blocking facade attaches: batches of raw chunks, one per call."""

    def __init__(self, batches: Iterable[list[bytes]]) -> None:
        self._batches = list(batches)
        self.reads = 0
        self.closed = False
        self.preferred: int | None = None

    def prefer_chunk_size(self, size: int | None) -> None:
        self.preferred = size

    def read_batch(self) -> list[bytes]:
        self.reads += 1
        return self._batches.pop(0) if self._batches else []

    def close(self) -> None:
        self.closed = True


def blocking(
    batches: Iterable[list[bytes]], headers: dict[str, str] | None = None
) -> tuple[Response, BatchBody]:
    """A response as the blocking API returns it, and the body it reads from."""
    body = BatchBody(batches)
    response = Response(200, headers=headers, stream=AsyncByteStream())
    response.attach_blocking_body(body)
    return response, body
