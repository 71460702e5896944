"""The bounded stage every content decoder is built on.

How this works: every decoder is incremental and *bounded*. It never asks a
decompressor for more than a small step of output at a time, and a
:class:`Meter` shared by the stages of one body compares the bytes decoded
so far with the encoded bytes consumed so far. Once the output exceeds
``max(min_allowance, max_ratio * encoded)`` it raises
:class:`DecompressionBombError`, so a tiny input can never allocate a huge
buffer. A :class:`Stage` is one coding of a body; the first stage of a body
counts the encoded bytes. zlib caps the output of one call
(:mod:`trio_http._decompress_zlib`); brotli before 1.2 and zstd cannot, so
they are fed input slices small enough to bound it instead
(:mod:`trio_http._decompress_optional`).

Stream ends, decided once for every coding:

* a stream that stops before its end marker (a truncated gzip member, an
  unfinished deflate, brotli or zstd stream) raises
  :class:`ContentDecodingError` from ``flush()``: a silently shortened body
  is worse than an error. An empty body (HEAD, 204, 304) is not truncated.
* bytes after a complete stream are ignored, unless they start another gzip
  member or zstd frame, which is decoded too (RFC 1952 §2.2 allows several
  members; RFC 8878 several frames). Some servers pad their bodies.
"""

from __future__ import annotations

from ._exceptions import ContentDecodingError, DecompressionBombError

__all__ = ["ContentDecoder", "Meter", "Stage", "join_output"]

# Most output asked of a decompressor in one call: bounds the memory one
# call can allocate whatever the input.
_STEP = 256 * 1024


class ContentDecoder:
    """Undo one ``Content-Encoding`` incrementally.

    Feed the raw body to :meth:`decode` chunk by chunk, then call
    :meth:`flush` once at the end.
    """

    __slots__ = ()

    def decode(self, data: bytes) -> bytes:
        """Decode the next raw chunk; may return ``b""`` while buffering.

        Raises:
            ContentDecodingError: the data is corrupt.
            DecompressionBombError: the decoded size exceeded the allowed ratio.
        """
        raise NotImplementedError  # pragma: no cover - abstract

    def flush(self) -> bytes:
        """Return what is left at the end of the body.

        Raises:
            ContentDecodingError: the encoded stream was truncated.
        """
        raise NotImplementedError  # pragma: no cover - abstract


class Meter:
    """Encoded bytes consumed so far, shared by the stages of one body."""

    __slots__ = ("encoded", "max_ratio", "min_allowance")

    def __init__(self, max_ratio: int, min_allowance: int) -> None:
        self.encoded = 0
        self.max_ratio = max_ratio
        self.min_allowance = min_allowance

    def allowed(self) -> int:
        allowed = self.max_ratio * self.encoded
        return allowed if allowed > self.min_allowance else self.min_allowance

    def bomb(self, produced: int) -> DecompressionBombError:
        return DecompressionBombError(
            f"decoding the body produced more than {produced - 1} bytes from "
            f"{self.encoded} encoded bytes, beyond the allowed ratio of "
            f"{self.max_ratio}:1 (at least {self.min_allowance} bytes are always allowed)"
        )


class Stage(ContentDecoder):
    """One coding. The first stage of a body counts the encoded bytes."""

    __slots__ = ("_counts_input", "_meter", "_name", "_produced", "_started")

    def __init__(self, name: str, meter: Meter, counts_input: bool) -> None:
        self._name = name
        self._meter = meter
        self._counts_input = counts_input
        self._produced = 0
        self._started = False

    def _accept(self, chunk: bytes, out: list[bytes]) -> None:
        self._produced += len(chunk)
        if self._produced > self._meter.allowed():
            raise self._meter.bomb(self._produced)
        out.append(chunk)

    def _step(self) -> int:
        # One byte more than allowed, so that going over is noticed.
        headroom = self._meter.allowed() - self._produced + 1
        return headroom if headroom < _STEP else _STEP

    def _truncated(self) -> ContentDecodingError:
        return ContentDecodingError(f"the {self._name} body ended before its end marker")


def join_output(out: list[bytes]) -> bytes:
    """The chunks one call decoded, as one ``bytes`` (a single chunk is not copied)."""
    if not out:
        return b""
    return out[0] if len(out) == 1 else b"".join(out)
