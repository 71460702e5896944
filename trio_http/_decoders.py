"""Content-Encoding: from the header to one incremental decoder.

How this works: :func:`make_decoder` turns a ``Content-Encoding`` header into
one decoder (or ``None`` for identity, the common case, so the body then
passes through untouched). A list of codings becomes a chain of the bounded
decoders of :mod:`trio_http._decompress_stage`, undone right to left and
sharing one ratio meter, so the limit holds for the whole chain.

A chain of more than :data:`MAX_CONTENT_ENCODINGS` codings raises
:class:`TooManyContentEncodings` from :func:`make_decoder`, before a single
decoder exists: each layer would cost a decompressor's memory and a pass
over every byte, and real servers send one coding, rarely two.
"""

from __future__ import annotations

from ._config import MAX_CONTENT_ENCODINGS, MAX_DECOMPRESSION_RATIO, MIN_DECOMPRESSION_ALLOWANCE
from ._decompress_optional import BrotliDecoder, ZstdDecoder
from ._decompress_stage import ContentDecoder, Meter
from ._decompress_zlib import ZlibDecoder
from ._exceptions import TooManyContentEncodings

__all__ = ["make_decoder"]


class _ChainDecoder(ContentDecoder):
    """Several codings, undone in the reverse of the order they were applied."""

    __slots__ = ("_stages",)

    def __init__(self, stages: list[ContentDecoder]) -> None:
        self._stages = stages

    def decode(self, data: bytes) -> bytes:
        for stage in self._stages:
            if not data:
                return b""
            data = stage.decode(data)
        return data

    def flush(self) -> bytes:
        data = b""
        for stage in self._stages:
            data = (stage.decode(data) if data else b"") + stage.flush()
        return data


def _make_stage(token: str, meter: Meter, counts_input: bool) -> ContentDecoder | None:
    if token in ("gzip", "x-gzip"):
        return ZlibDecoder("gzip", meter, counts_input, gzip=True)
    if token == "deflate":
        return ZlibDecoder("deflate", meter, counts_input, gzip=False)
    if token == "br":
        return BrotliDecoder(meter, counts_input)
    if token == "zstd":
        return ZstdDecoder(meter, counts_input)
    return None  # identity, or a coding we do not know: passed through


_IDENTITY = frozenset(["", "identity"])


def make_decoder(
    content_encoding: str | None,
    *,
    max_ratio: int = MAX_DECOMPRESSION_RATIO,
    min_allowance: int = MIN_DECOMPRESSION_ALLOWANCE,
) -> ContentDecoder | None:
    """The decoder for a ``Content-Encoding`` header, or None for identity.

    Knows ``gzip``/``x-gzip``, ``deflate`` (zlib-wrapped or raw), ``br`` (with
    the ``brotli`` or ``brotlicffi`` package) and ``zstd`` (with
    ``zstandard``). A list such as ``gzip, br`` is undone right to left.
    Unknown codings are passed through unchanged, as requests does.

    Args:
        content_encoding: the header value (repeated header lines joined
            with commas).
        max_ratio: decoded bytes allowed per encoded byte.
        min_allowance: decoded bytes always allowed, whatever the ratio.

    Raises:
        TooManyContentEncodings: more than ``MAX_CONTENT_ENCODINGS`` (5)
            codings other than ``identity``.
        ContentDecodingError: a coding needs a package that is not installed.
    """
    if content_encoding is None:
        return None
    value = content_encoding.strip().lower()
    if value in _IDENTITY:
        return None
    if "," not in value:
        return _make_stage(value, Meter(max_ratio, min_allowance), True)
    tokens = [token.strip() for token in value.split(",")]
    # identity (and an empty list element, RFC 9110 §5.6.1) costs nothing,
    # so it does not count; an unknown coding does, since the server claims
    # a layer that we would pass on undecoded.
    codings = len(tokens) - sum(token in _IDENTITY for token in tokens)
    if codings > MAX_CONTENT_ENCODINGS:
        raise TooManyContentEncodings(
            f"the response's Content-Encoding lists {codings} codings; at most "
            f"{MAX_CONTENT_ENCODINGS} are decoded (identity not counted)"
        )
    meter = Meter(max_ratio, min_allowance)
    stages: list[ContentDecoder] = []
    for token in reversed(tokens):
        stage = _make_stage(token, meter, not stages)
        if stage is not None:
            stages.append(stage)
    if not stages:
        return None
    return stages[0] if len(stages) == 1 else _ChainDecoder(stages)
