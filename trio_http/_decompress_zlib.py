"""gzip and deflate, decoded with the standard library's zlib.

zlib caps the output of one call, so each call asks for at most the stage's
next step. Several gzip members are decoded in turn (RFC 1952 §2.2); deflate
is zlib-wrapped or raw, told apart by its first two bytes.
"""

from __future__ import annotations

import zlib
from typing import Any

from ._decompress_stage import Meter, Stage, join_output
from ._exceptions import ContentDecodingError

__all__ = ["ZlibDecoder"]


class ZlibDecoder(Stage):
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
        return join_output(out)

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
