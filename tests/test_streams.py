"""Request body streams: lengths, rewinding, one-shot sources."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest

from trio_http import StreamConsumedError, UnrewindableBodyError
from trio_http._streams import (
    AsyncIterableContent,
    BytesContent,
    ByteStream,
    FileContent,
    IterableContent,
    file_length,
)


async def collect(content: object) -> bytes:
    return b"".join([chunk async for chunk in content])  # type: ignore[attr-defined]


async def test_bytes_content_is_rewindable_and_sized() -> None:
    body = BytesContent(b"abc")
    assert body.length == 3
    assert await collect(body) == b"abc"
    body.rewind()
    assert await collect(body) == b"abc"
    assert await collect(BytesContent(b"")) == b""


async def test_list_bodies_rewind_but_generators_are_one_shot() -> None:
    listed = IterableContent([b"a", "b", bytearray(b"c")])
    assert listed.rewindable
    assert await collect(listed) == b"abc"
    listed.rewind()
    assert await collect(listed) == b"abc"
    generated = IterableContent(chunk for chunk in [b"x", b"y"])
    assert not generated.rewindable
    assert await collect(generated) == b"xy"
    with pytest.raises(UnrewindableBodyError):
        generated.rewind()
    with pytest.raises(StreamConsumedError):
        await collect(generated)


async def test_iterables_of_non_bytes_are_rejected() -> None:
    with pytest.raises(TypeError, match="must yield bytes"):
        await collect(IterableContent([1, 2]))  # type: ignore[list-item]


async def test_async_iterables_are_one_shot() -> None:
    async def source() -> AsyncIterator[bytes]:
        yield b"1"
        yield b"2"

    body = AsyncIterableContent(source())
    assert body.length is None
    assert await collect(body) == b"12"
    with pytest.raises(StreamConsumedError):
        await collect(body)


async def test_file_content_streams_from_current_position_and_rewinds() -> None:
    fileobj = io.BytesIO(b"header" + b"x" * 200_000)
    fileobj.seek(6)
    body = FileContent(fileobj)
    assert body.length == 200_000
    assert await collect(body) == b"x" * 200_000
    # Sending again (a redirect, an auth retry) starts over at the same place.
    assert await collect(body) == b"x" * 200_000


async def test_text_mode_files_have_no_length_and_are_sent_as_utf8() -> None:
    body = FileContent(io.StringIO("grüße"))
    assert body.length is None
    assert await collect(body) == "grüße".encode()


async def test_unseekable_file_is_not_rewindable() -> None:
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.chunks = [b"a", b"b"]

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def tell(self) -> int:
            raise OSError("not seekable")

        def read(self, size: int = -1) -> bytes:
            return self.chunks.pop(0) if self.chunks else b""

    body = FileContent(Pipe())
    assert body.length is None
    assert not body.rewindable
    assert await collect(body) == b"ab"
    with pytest.raises(UnrewindableBodyError):
        await collect(body)


def test_file_length_of_real_file(tmp_path: object) -> None:
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "data.bin"
    path.write_bytes(b"z" * 1234)
    with path.open("rb") as fileobj:
        fileobj.read(34)
        assert file_length(fileobj) == 1200


async def test_byte_stream_yields_its_body_once_per_iteration() -> None:
    assert await collect(ByteStream(b"body")) == b"body"
    assert await collect(ByteStream(b"")) == b""
