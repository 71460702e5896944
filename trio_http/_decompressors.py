"""Bounded decompressors, one per content coding (gzip, deflate, br, zstd).

How this works: every decoder is incremental and *bounded*. It never asks a
decompressor for more than a small step of output at a time, and a
:class:`Meter` shared by the stages of one body compares the bytes decoded
so far with the encoded bytes consumed so far. Once the output exceeds
``max(min_allowance, max_ratio * encoded)`` it raises
:class:`DecompressionBombError`, so a tiny input can never allocate a huge
buffer. zlib caps the output of one call; brotli before 1.2 and zstd
cannot, so they are fed input slices small enough to bound it instead.

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

import functools
import zlib
from types import ModuleType
from typing import Any

from ._exceptions import ContentDecodingError, DecompressionBombError

__all__ = [
    "BrotliDecoder",
    "ContentDecoder",
    "Meter",
    "ZlibDecoder",
    "ZstdDecoder",
    "import_optional",
]

# Most output asked of a decompressor in one call: bounds the memory one
# call can allocate whatever the input.
_STEP = 256 * 1024
# RFC 9659 §3: a zstd content coding uses at most an 8 MB window.
_ZSTD_MAX_WINDOW = 8 * 1024 * 1024
# Most output one input byte can produce in a decompressor whose output
# cannot be capped per call (zstd: a 4-byte RLE block yields 128 KiB).
_UNCAPPED_EXPANSION = 64 * 1024
_MIN_SLICE = 256
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


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


class _Stage(ContentDecoder):
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


def _join(out: list[bytes]) -> bytes:
    if not out:
        return b""
    return out[0] if len(out) == 1 else b"".join(out)


class ZlibDecoder(_Stage):
    """gzip (several members allowed) or deflate (zlib-wrapped or raw)."""

    __slots__ = ("_done", "_gzip", "_head", "_obj")

    def __init__(self, name: str, meter: Meter, counts_input: bool, gzip: bool) -> None:
        super().__init__(name, meter, counts_input)
        self._gzip = gzip
        self._obj: Any = None  # zlib's Decompress type is not importable
        self._head = b""
        self._done = False

    def _open(self, head: bytes) -> Any:
        if self._gzip:
            if self._started and head[:2] != b"\x1f\x8b":
                return None  # trailing bytes after the last member
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if self._started:
            return None
        # RFC 9110 §8.4.1.2 says zlib-wrapped (RFC 1950), but servers also
        # send raw RFC 1951 data; the two header bytes tell them apart.
        cmf, flg = head[0], head[1]
        wrapped = cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf << 8 | flg) % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

    def decode(self, data: bytes) -> bytes:
        out: list[bytes] = []
        while data:
            if self._obj is None:
                if self._done:
                    if self._counts_input:
                        self._meter.encoded += len(data)
                    break
                if self._head:
                    data = self._head + data
                if len(data) < 2:
                    self._head = data
                    break
                self._head = b""
                self._obj = self._open(data)
                if self._obj is None:
                    self._done = True
                    continue
                self._started = True
            data = self._run(data, out)
        return _join(out)

    def _run(self, data: bytes, out: list[bytes]) -> bytes:
        """Decompress ``data``; return the bytes after the stream's end, if any."""
        obj = self._obj
        meter = self._meter
        try:
            while True:
                step = self._step()
                chunk = obj.decompress(data, step)
                tail = obj.unconsumed_tail
                if obj.eof:
                    rest: bytes = obj.unused_data
                    if self._counts_input:
                        meter.encoded += len(data) - len(rest)
                    if chunk:
                        self._accept(chunk, out)
                    self._obj = None
                    return rest
                if self._counts_input:
                    meter.encoded += len(data) - len(tail)
                if chunk:
                    self._accept(chunk, out)
                if not tail and len(chunk) < step:
                    return b""
                data = tail
        except zlib.error as exc:
            raise ContentDecodingError(f"invalid {self._name} data: {exc}") from exc

    def flush(self) -> bytes:
        if self._obj is not None or (self._head and not self._started):
            raise self._truncated()
        return b""


class _SlicedDecoder(_Stage):
    """A decoder fed in slices sized so that the output stays bounded."""

    __slots__ = ("_expansion", "_finished")

    def __init__(self, name: str, meter: Meter, counts_input: bool, expansion: int) -> None:
        super().__init__(name, meter, counts_input)
        self._expansion = expansion
        self._finished = False

    def decode(self, data: bytes) -> bytes:
        out: list[bytes] = []
        view = memoryview(data)
        size = len(data)
        position = 0
        meter = self._meter
        while position < size:
            if self._finished:
                if self._counts_input:
                    meter.encoded += size - position
                break
            headroom = meter.allowed() - self._produced
            length = max(_MIN_SLICE, headroom // self._expansion)
            piece = view[position : position + length]
            position += len(piece)
            if self._counts_input:
                meter.encoded += len(piece)
            self._started = True
            self._process(piece, out)
        return _join(out)

    def _process(self, piece: memoryview, out: list[bytes]) -> None:
        raise NotImplementedError  # pragma: no cover - abstract

    def flush(self) -> bytes:
        if self._started and not self._finished:
            raise self._truncated()
        return b""


class BrotliDecoder(_SlicedDecoder):
    """br, with the brotli or brotlicffi package."""

    __slots__ = ("_capped", "_error", "_obj")

    def __init__(self, meter: Meter, counts_input: bool) -> None:
        module = import_optional("br")
        self._obj: Any = module.Decompressor()
        self._error: type[Exception] = module.error
        # brotli >= 1.2 caps the output of one call; older versions and
        # brotlicffi cannot, so they get smaller input slices instead.
        self._capped = hasattr(self._obj, "can_accept_more_data")
        expansion = meter.max_ratio if self._capped else _UNCAPPED_EXPANSION
        super().__init__("br", meter, counts_input, max(expansion, 1))

    def _process(self, piece: memoryview, out: list[bytes]) -> None:
        obj = self._obj
        try:
            if self._capped:
                chunk = obj.process(piece, output_buffer_limit=self._step())
                # Output can remain buffered even once more input is
                # welcome: drain until a call yields nothing.
                while chunk or not obj.can_accept_more_data():
                    if chunk:
                        self._accept(chunk, out)
                    chunk = obj.process(b"", output_buffer_limit=self._step())
            else:
                chunk = obj.process(bytes(piece))
                if chunk:
                    self._accept(chunk, out)
        except self._error as exc:
            raise ContentDecodingError(f"invalid br data: {exc}") from exc
        if obj.is_finished():
            self._finished = True


class ZstdDecoder(_SlicedDecoder):
    """zstd, with the zstandard package; several frames and padding allowed."""

    __slots__ = ("_error", "_head", "_module", "_obj")

    def __init__(self, meter: Meter, counts_input: bool) -> None:
        self._module = import_optional("zstd")
        self._error: type[Exception] = self._module.ZstdError
        self._obj: Any = self._new()
        self._head = b""
        super().__init__("zstd", meter, counts_input, _UNCAPPED_EXPANSION)

    def _new(self) -> Any:
        decompressor = self._module.ZstdDecompressor(max_window_size=_ZSTD_MAX_WINDOW)
        return decompressor.decompressobj()

    def _process(self, piece: memoryview, out: list[bytes]) -> None:
        data = bytes(piece)
        while data:
            if self._obj is None:
                # Between frames: another frame, a skippable frame, or padding.
                data = self._head + data
                if len(data) < 4:
                    self._head = data
                    return
                self._head = b""
                magic = data[:4]
                if magic != _ZSTD_MAGIC and not (
                    magic[1:] == b"\x2a\x4d\x18" and magic[0] & 0xF0 == 0x50
                ):
                    self._finished = True
                    return
                self._obj = self._new()
            try:
                chunk = self._obj.decompress(data)
            except self._error as exc:
                raise ContentDecodingError(f"invalid zstd data: {exc}") from exc
            if chunk:
                self._accept(chunk, out)
            if not self._obj.eof:
                return
            data = self._obj.unused_data
            self._obj = None

    def flush(self) -> bytes:
        if self._obj is not None and self._started and not self._finished:
            raise self._truncated()
        return b""


_EXTRAS = {"br": ("brotli", "brotlicffi"), "zstd": ("zstandard",)}
_EXTRA_NAMES = {"br": "brotli", "zstd": "zstd"}


@functools.cache
def import_optional(coding: str) -> ModuleType:
    """The module that decodes ``coding`` ("br" or "zstd"), imported on first use.

    Raises:
        ContentDecodingError: no package for it is installed; the message
            names the extra to install.
    """
    import importlib

    for module_name in _EXTRAS[coding]:
        try:
            return importlib.import_module(module_name)
        except ImportError:
            continue
    raise ContentDecodingError(
        f"the response uses Content-Encoding {coding!r}, which needs the "
        f"{' or '.join(_EXTRAS[coding])} package: pip install trio_http[{_EXTRA_NAMES[coding]}]"
    )
