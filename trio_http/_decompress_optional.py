"""br and zstd, the codings that need an optional package, fed in bounded slices.

brotli before 1.2 and zstd cannot cap the output of one call, so they are fed
input slices small enough to bound it instead (:class:`SlicedDecoder`).
Their packages are imported on first use (:func:`import_optional`); a
response that needs one not installed fails with a message naming the extra
to install.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

from ._decompress_stage import Meter, Stage, join_output
from ._exceptions import ContentDecodingError

__all__ = ["BrotliDecoder", "SlicedDecoder", "ZstdDecoder", "import_optional"]

# RFC 9659 §3: a zstd content coding uses at most an 8 MB window.
_ZSTD_MAX_WINDOW = 8 * 1024 * 1024
# Most output one input byte can produce in a decompressor whose output
# cannot be capped per call (zstd: a 4-byte RLE block yields 128 KiB).
_UNCAPPED_EXPANSION = 64 * 1024
_MIN_SLICE = 256
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class SlicedDecoder(Stage):
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
        return join_output(out)

    def _process(self, piece: memoryview, out: list[bytes]) -> None:
        raise NotImplementedError  # pragma: no cover - abstract

    def flush(self) -> bytes:
        if self._started and not self._finished:
            raise self._truncated()
        return b""


class BrotliDecoder(SlicedDecoder):
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


class ZstdDecoder(SlicedDecoder):
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
