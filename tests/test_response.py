"""Reading a response body: once, through the body pipeline, async or blocking."""

from __future__ import annotations

import gzip

import pytest
from bodies import ChunkStream, ReadyStream, blocking, split_at, streamed
from hypothesis import given
from hypothesis import strategies as st

from trio_http import (
    ContentDecodingError,
    Response,
    ResponseNotRead,
    StreamConsumedError,
    TooManyContentEncodings,
)
from trio_http._streams import ByteStream

# -- async reads --------------------------------------------------------------


def test_content_of_an_unread_stream_raises_response_not_read() -> None:
    response = streamed([b"abc"])
    with pytest.raises(ResponseNotRead) as info:
        _ = response.content
    assert info.value.response is response
    with pytest.raises(ResponseNotRead):
        _ = response.text


async def test_aread_collects_the_body_and_closes_the_stream() -> None:
    stream = ChunkStream([b"ab", b"", b"cd"])
    response = Response(200, stream=stream)
    assert await response.aread() == b"abcd"
    assert response.content == b"abcd"
    assert response.is_closed
    assert response.is_stream_consumed
    assert response.num_bytes_downloaded == 4
    assert stream.close_calls == 1
    # A second read returns the buffered body.
    assert await response.aread() == b"abcd"


async def test_aiter_bytes_replays_content_that_was_read() -> None:
    response = streamed([b"hello ", b"world"])
    await response.aread()
    assert [chunk async for chunk in response.aiter_bytes()] == [b"hello world"]
    assert [chunk async for chunk in response.aiter_bytes(chunk_size=4)] == [
        b"hell",
        b"o wo",
        b"rld",
    ]


async def test_second_iteration_raises_stream_consumed() -> None:
    response = streamed([b"a", b"b"])
    assert [chunk async for chunk in response.aiter_bytes()] == [b"a", b"b"]
    with pytest.raises(StreamConsumedError):
        async for _ in response.aiter_bytes():
            pass
    with pytest.raises(StreamConsumedError):
        await response.aread()
    with pytest.raises(StreamConsumedError):
        async for _ in response.aiter_raw():
            pass


async def test_iteration_closes_the_stream_at_the_end() -> None:
    stream = ChunkStream([b"a"])
    response = Response(200, stream=stream)
    async for _ in response.aiter_bytes():
        pass
    assert response.is_closed
    assert stream.close_calls == 1


async def test_aclose_is_idempotent() -> None:
    stream = ChunkStream([b"unread"])
    response = Response(200, stream=stream)
    await response.aclose()
    await response.aclose()
    assert response.is_closed
    assert stream.close_calls == 1


async def test_aiter_bytes_exact_chunk_sizes() -> None:
    response = streamed([b"abcde", b"f", b"ghijklm"])
    chunks = [chunk async for chunk in response.aiter_bytes(chunk_size=3)]
    assert chunks == [b"abc", b"def", b"ghi", b"jkl", b"m"]


@given(
    body=st.binary(max_size=300),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=12),
    chunk_size=st.integers(min_value=1, max_value=40),
)
async def test_aiter_bytes_chunk_size_is_exact_however_the_body_arrives(
    body: bytes, cuts: list[int], chunk_size: int
) -> None:
    response = streamed(split_at(body, cuts))
    chunks = [chunk async for chunk in response.aiter_bytes(chunk_size=chunk_size)]
    assert b"".join(chunks) == body
    assert all(len(chunk) == chunk_size for chunk in chunks[:-1])
    if chunks:
        assert 0 < len(chunks[-1]) <= chunk_size


@given(
    body=st.binary(max_size=300),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=12),
    chunk_size=st.integers(min_value=1, max_value=40),
)
async def test_aiter_raw_chunk_size_is_exact(body: bytes, cuts: list[int], chunk_size: int) -> None:
    response = streamed(split_at(body, cuts))
    chunks = [chunk async for chunk in response.aiter_raw(chunk_size=chunk_size)]
    assert b"".join(chunks) == body
    assert all(len(chunk) == chunk_size for chunk in chunks[:-1])


async def test_aiter_text_decodes_characters_split_across_chunks() -> None:
    encoded = "€ and ☃".encode()
    response = streamed(
        [encoded[:1], encoded[1:2], encoded[2:7], encoded[7:]],
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    pieces = [text async for text in response.aiter_text()]
    assert "".join(pieces) == "€ and ☃"
    assert "\ufffd" not in "".join(pieces)


async def test_aiter_text_uses_the_charset() -> None:
    response = streamed(
        ["olé".encode("latin-1")], headers={"Content-Type": "text/plain; charset=latin-1"}
    )
    assert [text async for text in response.aiter_text()] == ["olé"]


async def test_aiter_lines_handles_crlf_split_across_chunks() -> None:
    response = streamed([b"one\r", b"\ntwo\n", b"thr", b"ee\r\n\nfour"])
    lines = [line async for line in response.aiter_lines()]
    assert lines == ["one", "two", "three", "", "four"]


_LINE_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
    max_size=12,
)


@given(
    lines=st.lists(st.tuples(_LINE_TEXT, st.sampled_from(["\n", "\r\n"])), max_size=8),
    tail=_LINE_TEXT,
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=10),
)
async def test_aiter_lines_is_independent_of_chunking(
    lines: list[tuple[str, str]], tail: str, cuts: list[int]
) -> None:
    body = ("".join(line + ending for line, ending in lines) + tail).encode()
    response = streamed(split_at(body, cuts))
    got = [line async for line in response.aiter_lines()]
    expected = [line for line, _ in lines] + ([tail] if tail else [])
    assert got == expected


async def test_aiter_raw_skips_decoding_while_aiter_bytes_decodes_gzip() -> None:
    payload = b"compressible " * 200
    encoded = gzip.compress(payload)
    halves = [encoded[: len(encoded) // 2], encoded[len(encoded) // 2 :]]
    headers = {"Content-Encoding": "gzip"}

    raw = streamed(halves, headers=headers)
    assert b"".join([chunk async for chunk in raw.aiter_raw()]) == encoded
    assert raw.num_bytes_downloaded == len(encoded)

    decoded = streamed(halves, headers=headers)
    assert b"".join([chunk async for chunk in decoded.aiter_bytes()]) == payload
    assert decoded.num_bytes_downloaded == len(encoded)

    read = streamed(halves, headers=headers)
    assert await read.aread() == payload


async def test_gzip_body_in_exact_chunks() -> None:
    payload = bytes(range(256)) * 10
    response = streamed([gzip.compress(payload)], headers={"Content-Encoding": "gzip"})
    chunks = [chunk async for chunk in response.aiter_bytes(chunk_size=1000)]
    assert [len(chunk) for chunk in chunks] == [1000, 1000, 560]
    assert b"".join(chunks) == payload


def test_content_given_up_front_is_read_and_closed() -> None:
    response = Response(200, content="héllo")
    assert response.content == "héllo".encode()
    assert response.is_closed
    assert response.is_stream_consumed


async def test_aread_takes_a_ready_body_in_one_step_without_copying_it() -> None:
    chunk = b"small body"
    stream = ReadyStream([chunk])
    response = Response(200, stream=stream)
    assert await response.aread() is chunk
    assert not stream.iterated
    assert stream.close_calls == 1
    assert response.is_closed and response.num_bytes_downloaded == len(chunk)


async def test_aread_decodes_a_ready_gzip_body() -> None:
    stream = ReadyStream([gzip.compress(b"zipped " * 50)])
    response = Response(200, headers={"Content-Encoding": "gzip"}, stream=stream)
    assert await response.aread() == b"zipped " * 50
    assert not stream.iterated


async def test_aread_closes_the_stream_when_decoding_fails() -> None:
    stream = ReadyStream([b"not gzip"])
    response = Response(200, headers={"Content-Encoding": "gzip"}, stream=stream)
    with pytest.raises(ContentDecodingError):
        await response.aread()
    assert response.is_closed and stream.close_calls == 1


async def test_too_many_codings_leave_the_body_unread_for_raw_reads() -> None:
    stream = ReadyStream([b"raw"])
    response = Response(200, headers={"Content-Encoding": "gzip, " * 5 + "br"}, stream=stream)
    with pytest.raises(TooManyContentEncodings) as info:
        await response.aread()
    assert info.value.response is response
    assert not response.is_stream_consumed
    assert [chunk async for chunk in response.aiter_raw()] == [b"raw"]


# -- blocking reads ---------------------------------------------------------------


def test_blocking_reads_refuse_a_response_from_the_async_client() -> None:
    response = streamed([b"x"])
    with pytest.raises(RuntimeError, match="AsyncClient"):
        list(response.iter_bytes())
    assert not response.is_stream_consumed


def test_blocking_read_counts_bytes_and_closes_the_body() -> None:
    response, body = blocking([[b"ab", b"c"], [b"de"]])
    assert response.read() == b"abcde"
    assert response.num_bytes_downloaded == 5
    assert body.closed and response.is_closed
    assert list(response.iter_bytes(2)) == [b"ab", b"cd", b"e"]  # replayed from content
    with pytest.raises(StreamConsumedError):
        list(response.iter_raw())


def test_content_of_a_blocking_response_reads_the_body() -> None:
    response, _ = blocking([[gzip.compress(b"body")]], headers={"Content-Encoding": "gzip"})
    assert response.content == b"body"


def test_blocking_read_rejects_too_many_codings_before_reading() -> None:
    response, body = blocking([[b"raw"]], headers={"Content-Encoding": ", ".join(["br"] * 6)})
    with pytest.raises(TooManyContentEncodings):
        next(response.iter_content(10))
    assert body.reads == 0
    assert list(response.iter_raw()) == [b"raw"]


@pytest.mark.parametrize(
    ("decode_unicode", "delimiter", "expected"),
    [
        (False, None, [b"a", b"b", b"c"]),
        (True, None, ["a", "b", "c"]),
        (False, b"\n", [b"a", b"b\r", b"c"]),
    ],
)
def test_iter_lines_over_batches(
    decode_unicode: bool, delimiter: bytes | None, expected: list[bytes] | list[str]
) -> None:
    response, _ = blocking([[b"a\nb\r"], [b"\nc"]])
    assert list(response.iter_lines(3, decode_unicode, delimiter)) == expected


@given(
    payload=st.binary(max_size=2000),
    cuts=st.lists(st.integers(0, 2000), max_size=6),
    batch=st.integers(1, 4),
    chunk_size=st.one_of(st.none(), st.integers(1, 300)),
    gzipped=st.booleans(),
)
async def test_blocking_and_async_reads_give_the_same_chunks(
    payload: bytes, cuts: list[int], batch: int, chunk_size: int | None, gzipped: bool
) -> None:
    headers = {"Content-Encoding": "gzip"} if gzipped else {}
    pieces = split_at(gzip.compress(payload) if gzipped else payload, cuts)
    from_async = [chunk async for chunk in streamed(pieces, headers).aiter_bytes(chunk_size)]
    batches = [pieces[start : start + batch] for start in range(0, len(pieces), batch)]
    response, _ = blocking(batches, headers)
    assert list(response.iter_bytes(chunk_size)) == from_async
    assert b"".join(from_async) == payload


async def test_aclose_finishes_a_loop_left_early() -> None:
    stream = ChunkStream([b"a", b"b", b"c"])
    response = Response(200, stream=stream)
    async for _ in response.aiter_bytes():
        break
    await response.aclose()
    assert stream.close_calls == 1
    # A stream that iterates through an async generator of its own.
    in_memory = Response(200, stream=ByteStream(b"abc"))
    async for _ in in_memory.aiter_raw(1):
        break
    await in_memory.aclose()
    assert in_memory.is_closed


# -- the chunk size a reader wants reaches the body stream ---------------------


@pytest.mark.parametrize(
    ("encoding", "read", "hint"),
    [
        (None, "bytes", 1000),
        (None, "raw", 1000),
        ("gzip", "raw", 1000),  # raw bytes are cut as they come
        ("gzip", "bytes", None),  # decoded sizes are unrelated to raw ones
        (None, "text", None),
    ],
)
async def test_the_readers_chunk_size_is_offered_to_the_stream(
    encoding: str | None, read: str, hint: int | None
) -> None:
    payload = gzip.compress(b"x" * 5000) if encoding else b"x" * 5000
    headers = {"Content-Encoding": encoding} if encoding else None
    response = streamed([payload], headers=headers)
    stream = response.stream
    assert isinstance(stream, ChunkStream)
    reader = getattr(response, f"aiter_{read}")
    async for _ in reader(1000):
        pass
    assert stream.preferred == [hint]


def test_a_blocking_reader_offers_its_chunk_size_too() -> None:
    response, body = blocking([[b"x" * 5000]])
    assert b"".join(response.iter_content(1000)) == b"x" * 5000
    assert body.preferred == 1000
    response, body = blocking([[gzip.compress(b"y" * 100)]], headers={"Content-Encoding": "gzip"})
    assert b"".join(response.iter_content(10)) == b"y" * 100
    assert body.preferred is None
