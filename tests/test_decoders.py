from __future__ import annotations

import codecs
import gzip
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st
from server import Responder, ServerRequest, TestServer
from threaded_server import serve_in_thread

import trio_http
from trio_http import _decoders
from trio_http._config import MAX_CONTENT_ENCODINGS
from trio_http._decoders import (
    LineDecoder,
    Rechunker,
    TextDecoder,
    decode_text,
    guess_encoding,
    make_decoder,
    parse_link_header,
    text_encoding_from_content_type,
)
from trio_http._exceptions import (
    ContentDecodingError,
    DecompressionBombError,
    TooManyContentEncodings,
)


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(cut, len(data)) for cut in cuts})
    pieces = []
    start = 0
    for point in points:
        pieces.append(data[start:point])
        start = point
    pieces.append(data[start:])
    return pieces


def decode_all(encoding: str, pieces: list[bytes], **limits: int) -> bytes:
    decoder = make_decoder(encoding, **limits)
    assert decoder is not None
    out = [decoder.decode(piece) for piece in pieces]
    out.append(decoder.flush())
    return b"".join(out)


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def brotli_compress(data: bytes) -> bytes:
    brotli = pytest.importorskip("brotli")
    return bytes(brotli.compress(data))


def zstd_compress(data: bytes) -> bytes:
    zstandard = pytest.importorskip("zstandard")
    return bytes(zstandard.ZstdCompressor().compress(data))


# -- make_decoder ---------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "identity", " Identity "])
def test_identity_has_no_decoder(value: str | None) -> None:
    assert make_decoder(value) is None


def test_unknown_coding_passes_through() -> None:
    assert make_decoder("compress") is None
    assert make_decoder("foo, identity") is None
    decoder = make_decoder("gzip, foo")
    assert decoder is not None
    assert decode_all("gzip, foo", [gzip.compress(b"x")]) == b"x"


@pytest.mark.parametrize("name", ["gzip", "x-gzip", "GZIP"])
def test_gzip_decodes(name: str) -> None:
    assert decode_all(name, [gzip.compress(b"hello" * 100)]) == b"hello" * 100


def test_gzip_with_several_members_decodes_them_all() -> None:
    body = gzip.compress(b"one ") + gzip.compress(b"two")
    assert decode_all("gzip", [body]) == b"one two"
    assert decode_all("gzip", [bytes([b]) for b in body]) == b"one two"


def test_gzip_ignores_trailing_garbage() -> None:
    assert decode_all("gzip", [gzip.compress(b"data") + b"\x00\x00\n"]) == b"data"
    assert decode_all("gzip", [gzip.compress(b"data"), b"x"]) == b"data"


def test_truncated_gzip_raises_on_flush() -> None:
    body = gzip.compress(b"some data here" * 50)
    decoder = make_decoder("gzip")
    assert decoder is not None
    decoder.decode(body[:-4])
    with pytest.raises(ContentDecodingError, match="ended before"):
        decoder.flush()


def test_single_byte_body_is_truncated() -> None:
    decoder = make_decoder("gzip")
    assert decoder is not None
    decoder.decode(b"\x1f")
    with pytest.raises(ContentDecodingError):
        decoder.flush()


@pytest.mark.parametrize("name", ["gzip", "deflate", "br", "zstd", "gzip, br"])
def test_empty_body_is_not_truncated(name: str) -> None:
    pytest.importorskip("brotli")
    pytest.importorskip("zstandard")
    decoder = make_decoder(name)
    assert decoder is not None
    assert decoder.decode(b"") == b""
    assert decoder.flush() == b""


def test_corrupt_gzip_raises_content_decoding_error() -> None:
    decoder = make_decoder("gzip")
    assert decoder is not None
    with pytest.raises(ContentDecodingError, match="invalid gzip") as info:
        decoder.decode(b"not gzip at all")
    assert isinstance(info.value.__cause__, zlib.error)


def test_deflate_accepts_zlib_wrapped_and_raw() -> None:
    payload = b"deflated " * 40
    assert decode_all("deflate", [zlib.compress(payload)]) == payload
    assert decode_all("deflate", [raw_deflate(payload)]) == payload
    # The wrapper is detected even when the first chunk is one byte.
    assert decode_all("deflate", split_at(zlib.compress(payload), [1, 2, 3])) == payload
    assert decode_all("deflate", split_at(raw_deflate(payload), [1])) == payload


def test_truncated_deflate_raises_on_flush() -> None:
    decoder = make_decoder("deflate")
    assert decoder is not None
    decoder.decode(zlib.compress(b"abc" * 1000)[:-6])
    with pytest.raises(ContentDecodingError):
        decoder.flush()


def test_brotli_decodes_and_rejects_corrupt_data() -> None:
    assert decode_all("br", [brotli_compress(b"brotli " * 100)]) == b"brotli " * 100
    decoder = make_decoder("br")
    assert decoder is not None
    with pytest.raises(ContentDecodingError, match="invalid br"):
        decoder.decode(b"\xff\xff\xff\xff garbage")


def test_truncated_brotli_raises_on_flush() -> None:
    body = brotli_compress(bytes(range(256)) * 100)
    decoder = make_decoder("br")
    assert decoder is not None
    decoder.decode(body[: len(body) // 2])
    with pytest.raises(ContentDecodingError):
        decoder.flush()


def test_zstd_decodes_several_frames_and_ignores_padding() -> None:
    body = zstd_compress(b"first ") + zstd_compress(b"second") + b"\n\n"
    assert decode_all("zstd", [body]) == b"first second"
    assert decode_all("zstd", [bytes([b]) for b in body]) == b"first second"


def test_zstd_rejects_corrupt_and_truncated_data() -> None:
    decoder = make_decoder("zstd")
    assert decoder is not None
    with pytest.raises(ContentDecodingError, match="invalid zstd"):
        decoder.decode(b"\x28\xb5\x2f\xfd" + b"\xff" * 20)
    body = zstd_compress(bytes(range(256)) * 100)
    decoder = make_decoder("zstd")
    assert decoder is not None
    decoder.decode(body[:-3])
    with pytest.raises(ContentDecodingError):
        decoder.flush()


def test_chained_codings_are_undone_in_reverse_order() -> None:
    payload = b"chained " * 200
    body = brotli_compress(gzip.compress(payload))
    assert decode_all("gzip, br", [body]) == payload
    assert decode_all("gzip,br", split_at(body, [3, 10, 11])) == payload


def test_missing_optional_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real_import = importlib.import_module

    def fake_import(name: str, package: str | None = None) -> object:
        if name in ("brotli", "brotlicffi"):
            raise ImportError(name)
        return real_import(name, package)

    _decoders._import_optional.cache_clear()
    monkeypatch.setattr(importlib, "import_module", fake_import)
    try:
        with pytest.raises(ContentDecodingError, match=r"pip install trio_http\[brotli\]"):
            make_decoder("br")
    finally:
        _decoders._import_optional.cache_clear()


# -- bomb protection ------------------------------------------------------


def test_ratio_above_limit_raises_bomb_error() -> None:
    body = gzip.compress(b"\0" * 200_000)
    with pytest.raises(DecompressionBombError):
        decode_all("gzip", [body], max_ratio=10, min_allowance=1000)
    # The same body within generous limits decodes.
    assert len(decode_all("gzip", [body], max_ratio=10_000, min_allowance=1000)) == 200_000


def test_min_allowance_lets_small_bodies_through_any_ratio() -> None:
    body = gzip.compress(b"\0" * 5000)
    assert decode_all("gzip", [body], max_ratio=1, min_allowance=5000) == b"\0" * 5000
    with pytest.raises(DecompressionBombError):
        decode_all("gzip", [body], max_ratio=1, min_allowance=4999)


@pytest.mark.parametrize("name", ["deflate", "br", "zstd", "gzip, br"])
def test_every_coding_is_bounded(name: str) -> None:
    payload = b"\0" * 3_000_000
    encoders = {
        "deflate": zlib.compress,
        "br": brotli_compress,
        "zstd": zstd_compress,
        "gzip, br": lambda data: brotli_compress(gzip.compress(data)),
    }
    body = encoders[name](payload)
    with pytest.raises(DecompressionBombError):
        decode_all(name, [body], max_ratio=100, min_allowance=100_000)


def _gzip_of_zeros(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    pieces = [compressor.compress(block) for _ in range(size // len(block))]
    pieces.append(compressor.flush())
    return b"".join(pieces)


@pytest.mark.slow
def test_gigabyte_gzip_bomb_fails_with_small_peak_memory() -> None:
    bomb = _gzip_of_zeros(1024**3)
    assert len(bomb) < 2 * 1024 * 1024
    decoder = make_decoder("gzip")
    assert decoder is not None
    tracemalloc.start()
    try:
        with pytest.raises(DecompressionBombError):
            # Fed in one piece: the worst case for a decoder that trusts input size.
            decoder.decode(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024


# -- stacked codings ------------------------------------------------------

_CHAIN_ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli_compress,
    "zstd": zstd_compress,
}


def _with_identities(codings: list[str], positions: list[int]) -> str:
    tokens = list(codings)
    for position in positions:
        tokens.insert(min(position, len(tokens)), "identity")
    return ", ".join(tokens)


@given(
    payload=st.binary(max_size=2000),
    codings=st.lists(
        st.sampled_from(sorted(_CHAIN_ENCODERS)), min_size=1, max_size=MAX_CONTENT_ENCODINGS
    ),
    identities=st.lists(st.integers(0, MAX_CONTENT_ENCODINGS), max_size=10),
)
def test_any_chain_within_the_limit_decodes(
    payload: bytes, codings: list[str], identities: list[int]
) -> None:
    body = payload
    for coding in codings:  # listed in the order they were applied
        body = _CHAIN_ENCODERS[coding](body)
    header = _with_identities(codings, identities)
    assert decode_all(header, [body]) == payload


@given(
    codings=st.lists(
        st.sampled_from([*_CHAIN_ENCODERS, "compress", "GZIP"]),
        min_size=MAX_CONTENT_ENCODINGS + 1,
        max_size=60,
    ),
    identities=st.lists(st.integers(0, 60), max_size=10),
)
def test_a_chain_beyond_the_limit_raises_before_any_decoder_exists(
    codings: list[str], identities: list[int]
) -> None:
    header = _with_identities(codings, identities)
    built: list[str] = []
    real_make_stage = _decoders._make_stage

    def counting_make_stage(token: str, *args: Any) -> Any:
        built.append(token)
        return real_make_stage(token, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_decoders, "_make_stage", counting_make_stage)
        with pytest.raises(TooManyContentEncodings, match=f"lists {len(codings)} codings") as info:
            make_decoder(header)
    assert built == []
    assert isinstance(info.value, ContentDecodingError)  # requests users' except clause


def test_identity_does_not_count_towards_the_limit() -> None:
    # identity costs nothing: five real codings among many identities decode.
    body = b"five"
    for _ in range(MAX_CONTENT_ENCODINGS):
        body = gzip.compress(body)
    header = ", ".join(["identity"] * 50 + ["gzip"] * MAX_CONTENT_ENCODINGS + ["", "identity"])
    assert decode_all(header, [body]) == b"five"
    assert make_decoder(", ".join(["identity"] * 1000)) is None


def test_a_thousand_stacked_codings_fail_fast_with_little_memory() -> None:
    header = ", ".join(["gzip"] * 1000)
    tracemalloc.start()
    try:
        with pytest.raises(TooManyContentEncodings, match="lists 1000 codings"):
            make_decoder(header)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # One gzip decoder alone would allocate more than this (zlib's window).
    assert peak < 256 * 1024


_STACKED = [("Content-Type", "application/octet-stream")] + [("Content-Encoding", "gzip")] * 1000


async def _head_then_stall(request: ServerRequest, respond: Responder) -> None:
    # The head arrives; the body never does. A client that tried to decode
    # it would wait here instead of failing.
    await respond.start(200, _STACKED)
    await trio.sleep_forever()


async def _stacked_with_body(request: ServerRequest, respond: Responder) -> None:
    await respond.respond(200, _STACKED, b"raw, not decoded")


def _check_carries_request_and_response(
    error: TooManyContentEncodings, response: trio_http.Response | None = None
) -> None:
    assert error.response is not None
    if response is not None:
        assert error.response is response
    assert error.request is error.response.request
    assert error.request is not None
    assert error.request.url.path in ("/stalled", "/stacked")


async def test_async_client_rejects_stacked_codings_before_reading_the_body(
    server: TestServer,
) -> None:
    server.route("/stalled")(_head_then_stall)
    async with trio_http.AsyncClient() as client:
        with trio.fail_after(5):
            with pytest.raises(TooManyContentEncodings) as info:
                await client.get(server.url_for("/stalled"))
        _check_carries_request_and_response(info.value)
        async with client.stream("GET", server.url_for("/stalled")) as response:
            with trio.fail_after(5):
                with pytest.raises(TooManyContentEncodings) as info:
                    await response.aread()
            _check_carries_request_and_response(info.value, response)
            with trio.fail_after(5):
                with pytest.raises(TooManyContentEncodings):
                    async for _ in response.aiter_bytes():
                        pass
            assert response.num_bytes_downloaded == 0
        # The pool is still usable.
        assert (await client.get(server.url_for("/get"))).status_code == 200


async def test_stacked_codings_still_allow_raw_reads(server: TestServer) -> None:
    server.route("/stacked")(_stacked_with_body)
    async with trio_http.AsyncClient() as client:
        async with client.stream("GET", server.url_for("/stacked")) as response:
            with pytest.raises(TooManyContentEncodings):
                await response.aread()
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
    assert raw == b"raw, not decoded"


@pytest.fixture(scope="module")
def live() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        running.route("/stalled")(_head_then_stall)
        running.route("/stacked")(_stacked_with_body)
        yield running


def test_blocking_api_rejects_stacked_codings_before_reading_the_body(live: TestServer) -> None:
    with pytest.raises(TooManyContentEncodings) as info:
        trio_http.get(live.url_for("/stalled"), timeout=5)
    _check_carries_request_and_response(info.value)
    with trio_http.Session() as session:
        with pytest.raises(TooManyContentEncodings) as info:
            session.get(live.url_for("/stalled"), timeout=5)
        _check_carries_request_and_response(info.value)
        response = session.get(live.url_for("/stalled"), stream=True, timeout=5)
        with response:
            with pytest.raises(TooManyContentEncodings) as info:
                for _ in response.iter_content(1024):
                    pass
            _check_carries_request_and_response(info.value, response)
            assert response.num_bytes_downloaded == 0
        # Undecoded reads work on such a response.
        response = session.get(live.url_for("/stacked"), stream=True, timeout=5)
        with response:
            with pytest.raises(TooManyContentEncodings):
                next(response.iter_content(1024))
            assert b"".join(response.iter_raw()) == b"raw, not decoded"
        assert session.get(live.url_for("/get"), timeout=5).status_code == 200


# -- round trips ----------------------------------------------------------

_ENCODERS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "raw deflate": raw_deflate,
}


@given(payload=st.binary(max_size=5000), cuts=st.lists(st.integers(0, 5000), max_size=8))
@pytest.mark.parametrize("name", ["gzip", "deflate", "raw deflate", "br", "zstd"])
def test_round_trip_any_split(name: str, payload: bytes, cuts: list[int]) -> None:
    if name == "br":
        body = brotli_compress(payload)
    elif name == "zstd":
        body = zstd_compress(payload)
    else:
        body = _ENCODERS[name](payload)
    coding = "deflate" if name == "raw deflate" else name
    assert decode_all(coding, split_at(body, cuts)) == payload


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


# -- text -----------------------------------------------------------------


def test_text_decoder_holds_back_split_characters() -> None:
    decoder = TextDecoder("utf-8")
    data = "héllo €".encode()
    assert decoder.decode(data[:2]) == "h"
    assert decoder.decode(data[2:-1]) == "éllo "
    assert decoder.decode(data[-1:]) == "€"
    assert decoder.flush() == ""


def test_text_decoder_replaces_bad_bytes_and_strips_bom() -> None:
    decoder = TextDecoder("UTF8")
    assert decoder.decode(b"\xef\xbb\xbfa\xff") == "a\ufffd"
    decoder = TextDecoder("utf-8")
    decoder.decode(b"a")
    assert decoder.decode(b"\xe2\x82") == ""
    assert decoder.flush() == "\ufffd"


def test_text_decoder_unknown_encoding_falls_back_to_utf8() -> None:
    assert TextDecoder("no-such-codec").decode("é".encode()) == "é"
    assert TextDecoder("latin-1").decode(b"\xe9") == "é"


def test_decode_text() -> None:
    assert decode_text(b"\xef\xbb\xbfhi", "utf-8") == "hi"
    assert decode_text(b"\xe9", "bogus") == "\ufffd"
    assert decode_text(b"\xe9", "iso-8859-1") == "é"
    assert decode_text(b"\xef\xbb\xbfhi", "latin-1") == "ï»¿hi"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xef\xbb\xbfhi", "utf-8-sig"),
        ("hi".encode("utf-16"), "utf-16"),
        ("hi".encode("utf-16-be"), "ascii"),
        (b"\xfe\xff\x00h", "utf-16"),
        ("hi".encode("utf-32"), "utf-32"),
        (b"\x00\x00\xfe\xff\x00\x00\x00h", "utf-32"),
        (b"plain", "ascii"),
        (b"", "ascii"),
        ("naïve".encode(), "utf-8"),
        ("naïve".encode("latin-1"), "windows-1252"),
    ],
)
def test_guess_encoding(content: bytes, expected: str) -> None:
    assert guess_encoding(content) == expected


@pytest.mark.parametrize(
    "raw",
    [
        codecs.BOM_UTF8 + "hé".encode(),
        codecs.BOM_UTF16_LE + "hé".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "hé".encode("utf-16-be"),
        codecs.BOM_UTF32_BE + "hé".encode("utf-32-be"),
    ],
)
def test_guessed_bom_encodings_drop_the_mark(raw: bytes) -> None:
    assert decode_text(raw, guess_encoding(raw)) == "hé"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("text/html; charset=UTF-8", "UTF-8"),
        ("text/html;charset=utf-8", "utf-8"),
        ('text/html; CHARSET="iso-8859-1"', "iso-8859-1"),
        ('text/plain; format="a;b"; charset=latin-1', "latin-1"),
        ("text/plain; charset=", None),
        ("text/plain; charset=no-such-codec", None),
        ("text/plain", None),
        ("application/json", "utf-8"),
        ("Application/JSON ; foo=bar", "utf-8"),
        ("application/problem+json", "utf-8"),
        ("application/json; charset=utf-16", "utf-16"),
        ("application/octet-stream", None),
    ],
)
def test_text_encoding_from_content_type(value: str | None, expected: str | None) -> None:
    assert text_encoding_from_content_type(value) == expected


# -- lines ----------------------------------------------------------------


def test_line_decoder_splits_every_line_ending() -> None:
    lines = LineDecoder()
    assert lines.decode("a\nb\r\nc\rd") == ["a", "b", "c"]
    assert lines.flush() == ["d"]
    assert lines.flush() == []


def test_line_decoder_joins_cr_and_lf_across_chunks() -> None:
    lines = LineDecoder()
    assert lines.decode("a\r") == ["a"]
    assert lines.decode("\nb\n") == ["b"]
    assert lines.decode("\n") == [""]
    assert lines.flush() == []


def test_line_decoder_keeps_empty_lines() -> None:
    lines = LineDecoder()
    assert lines.decode("a\n\n\r\n\rb") == ["a", "", "", ""]
    assert lines.flush() == ["b"]


@given(
    text=st.text(alphabet=st.sampled_from(["a", "b", "\r", "\n", " ", "é"]), max_size=60),
    cuts=st.lists(st.integers(0, 60), max_size=10),
)
def test_line_decoder_ignores_how_text_is_split(text: str, cuts: list[int]) -> None:
    whole = LineDecoder()
    expected = whole.decode(text) + whole.flush()
    points = sorted({min(cut, len(text)) for cut in cuts})
    lines = LineDecoder()
    got = []
    start = 0
    for point in [*points, len(text)]:
        got += lines.decode(text[start:point])
        start = point
    got += lines.flush()
    assert got == expected
    normalized = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if normalized[-1] == "":
        normalized.pop()
    assert expected == normalized
    assert all("\r" not in line and "\n" not in line for line in got)


# -- Link -----------------------------------------------------------------


def test_parse_link_header() -> None:
    value = (
        '<https://api.example.org/items?page=2>; rel="next", '
        '<https://api.example.org/items?page=9>; REL=last; title="a, b; c"'
    )
    assert parse_link_header(value) == [
        {"url": "https://api.example.org/items?page=2", "rel": "next"},
        {"url": "https://api.example.org/items?page=9", "rel": "last", "title": "a, b; c"},
    ]


def test_parse_link_header_is_tolerant() -> None:
    assert parse_link_header("") == []
    assert parse_link_header(" , ") == []
    assert parse_link_header("<a,b>") == [{"url": "a,b"}]
    assert parse_link_header("http://x/; rel=next") == [{"url": "http://x/", "rel": "next"}]
    assert parse_link_header("<http://x/>; rel; type='text/html'") == [
        {"url": "http://x/", "rel": "", "type": "text/html"}
    ]


def test_large_brotli_body_decodes_completely() -> None:
    payload = b"".join(bytes([i % 251]) * 50 + b"some text " * 20 for i in range(20_000))
    body = brotli_compress(payload)
    pieces = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    assert decode_all("br", pieces) == payload
