from __future__ import annotations

import gzip
import tracemalloc
import zlib

import pytest
from codings import brotli_compress, decode_all, raw_deflate, split_at, zstd_compress
from hypothesis import given
from hypothesis import strategies as st

from trio_http import _decompress_optional
from trio_http._decoders import make_decoder
from trio_http._exceptions import ContentDecodingError, DecompressionBombError

# -- one coding at a time ---------------------------------------------------


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


def test_missing_optional_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real_import = importlib.import_module

    def fake_import(name: str, package: str | None = None) -> object:
        if name in ("brotli", "brotlicffi"):
            raise ImportError(name)
        return real_import(name, package)

    _decompress_optional.import_optional.cache_clear()
    monkeypatch.setattr(importlib, "import_module", fake_import)
    try:
        with pytest.raises(ContentDecodingError, match=r"pip install trio_http\[brotli\]"):
            make_decoder("br")
    finally:
        _decompress_optional.import_optional.cache_clear()


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


def test_large_brotli_body_decodes_completely() -> None:
    payload = b"".join(bytes([i % 251]) * 50 + b"some text " * 20 for i in range(20_000))
    body = brotli_compress(payload)
    pieces = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    assert decode_all("br", pieces) == payload
