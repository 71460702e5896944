"""The body pipeline: decode, rechunk, text and lines, whatever the chunking."""

from __future__ import annotations

import gzip

import pytest
from bodies import split_at
from hypothesis import given
from hypothesis import strategies as st

from trio_http._body import (
    ByteStage,
    LineStage,
    Rechunker,
    RequestsLineStage,
    TextStage,
    check_chunk_size,
    join_chunks,
    run,
)
from trio_http._decoders import make_decoder
from trio_http._exceptions import ContentDecodingError

# -- Rechunker ------------------------------------------------------------


@pytest.mark.parametrize("size", [0, -1, 1.5, True])
def test_rechunker_rejects_bad_sizes(size: object) -> None:
    with pytest.raises(ValueError):
        Rechunker(size)  # type: ignore[arg-type]


def test_rechunker_without_size_passes_chunks_through() -> None:
    chunker = Rechunker(None)
    assert chunker.feed(b"abc") == [b"abc"]
    assert chunker.feed(b"") == []
    assert chunker.flush() == b""


@given(
    size=st.integers(1, 50),
    pieces=st.lists(st.binary(max_size=120), max_size=20),
)
def test_rechunker_reassembles_exact_chunks(size: int, pieces: list[bytes]) -> None:
    chunker = Rechunker(size)
    chunks = [chunk for piece in pieces for chunk in chunker.feed(piece)]
    tail = chunker.flush()
    assert all(len(chunk) == size for chunk in chunks)
    assert len(tail) < size
    assert b"".join(chunks) + tail == b"".join(pieces)


# -- ByteStage --------------------------------------------------------------


def test_identity_body_passes_through_as_the_same_objects() -> None:
    chunks = [b"abc", b"", b"defg"]
    out = run(ByteStage(None, None), chunks)
    assert out == [b"abc", b"defg"]
    assert out[0] is chunks[0] and out[1] is chunks[2]
    assert join_chunks(out[:1]) is chunks[0]


def test_gzip_body_is_decoded_and_cut_to_the_chunk_size() -> None:
    payload = bytes(range(256)) * 10
    stage = ByteStage(make_decoder("gzip"), 1000)
    out = run(stage, [gzip.compress(payload)])
    assert [len(chunk) for chunk in out] == [1000, 1000, 560]
    assert b"".join(out) == payload


def test_truncated_body_raises_from_flush() -> None:
    stage = ByteStage(make_decoder("gzip"), None)
    stage.feed(gzip.compress(b"data" * 100)[:-8])
    with pytest.raises(ContentDecodingError):
        stage.flush()


@given(
    payload=st.binary(max_size=3000),
    cuts=st.lists(st.integers(0, 3000), max_size=8),
    chunk_size=st.one_of(st.none(), st.integers(1, 700)),
)
def test_byte_stage_output_does_not_depend_on_the_input_chunking(
    payload: bytes, cuts: list[int], chunk_size: int | None
) -> None:
    body = gzip.compress(payload)
    out = run(ByteStage(make_decoder("gzip"), chunk_size), split_at(body, cuts))
    assert b"".join(out) == payload
    assert all(out)
    if chunk_size is not None:
        assert all(len(chunk) == chunk_size for chunk in out[:-1])


# -- text and lines -----------------------------------------------------------


def test_text_stage_holds_back_a_character_split_across_chunks() -> None:
    stage = TextStage(ByteStage(None, None), "utf-8")
    data = "é€".encode()
    assert stage.feed(data[:1]) == []
    assert stage.feed(data[1:3]) == ["é"]
    assert stage.feed(data[3:]) == ["€"]
    assert stage.flush() == []


def test_text_stage_flushes_an_incomplete_character_as_a_replacement() -> None:
    stage = TextStage(ByteStage(None, None), "utf-8")
    assert run(stage, [b"a\xe2\x82"]) == ["a", "\ufffd"]


def test_line_stage_joins_crlf_split_across_chunks() -> None:
    stage = LineStage(TextStage(ByteStage(None, None), "utf-8"))
    assert run(stage, [b"one\r", b"\ntwo\r\nthr", b"ee"]) == ["one", "two", "three"]


@pytest.mark.parametrize(
    ("chunks", "delimiter", "expected"),
    [
        ([b"a\nb", b"\r", b"\nc"], None, [b"a", b"b", b"c"]),
        ([b"a\n\nb\n"], None, [b"a", b"", b"b"]),
        ([b"a;b", b";;c"], b";", [b"a", b"b", b"", b"c"]),
        ([b"a\r\n", b"b"], None, [b"a", b"b"]),
    ],
)
def test_requests_line_stage_splits_like_requests(
    chunks: list[bytes], delimiter: bytes | None, expected: list[bytes]
) -> None:
    assert run(RequestsLineStage(ByteStage(None, None), delimiter), chunks) == expected


def test_requests_line_stage_splits_text_on_unicode_line_breaks() -> None:
    stage = RequestsLineStage(TextStage(ByteStage(None, None), "utf-8"), None)
    assert run(stage, ["a\u2028b\r".encode(), b"\nc"]) == ["a", "b", "c"]


# -- helpers -----------------------------------------------------------------


@pytest.mark.parametrize(("size", "error"), [(0, ValueError), (-1, ValueError), (1.5, TypeError)])
def test_check_chunk_size_raises_like_requests(size: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        check_chunk_size(size)


def test_check_chunk_size_accepts_none_and_positive_ints() -> None:
    check_chunk_size(None)
    check_chunk_size(1)
    with pytest.raises(TypeError):
        check_chunk_size(True)


def test_join_chunks() -> None:
    assert join_chunks([]) == b""
    assert join_chunks([b"a", b"b"]) == b"ab"
