"""Encoding bodies for the decoder tests, and decoding them back in pieces."""

from __future__ import annotations

import zlib

import pytest

from trio_http._decoders import make_decoder


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
