"""Response body decoding: Content-Encoding, re-chunking, text and lines.

How content decoding works: :func:`make_decoder` turns a ``Content-Encoding``
header into one decoder (or ``None`` for identity, the common case, so the
body then passes through untouched). Every decoder is incremental and
*bounded*: it never asks a decompressor for more than a small step of output
at a time, and it compares the bytes decoded so far with the encoded bytes
consumed so far. Once the output exceeds ``max(min_allowance, max_ratio *
encoded)`` it raises :class:`DecompressionBombError`, so a tiny input can
never allocate a huge buffer.

A chain of more than :data:`MAX_CONTENT_ENCODINGS` codings raises
:class:`TooManyContentEncodings` from :func:`make_decoder`, before a single
decoder exists: each layer would cost a decompressor's memory and a pass
over every byte, and real servers send one coding, rarely two.

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

import codecs
import functools
import zlib
from types import ModuleType
from typing import Any

from ._config import MAX_CONTENT_ENCODINGS, MAX_DECOMPRESSION_RATIO, MIN_DECOMPRESSION_ALLOWANCE
from ._exceptions import ContentDecodingError, DecompressionBombError, TooManyContentEncodings

__all__ = [
    "ContentDecoder",
    "LineDecoder",
    "Rechunker",
    "TextDecoder",
    "decode_text",
    "guess_encoding",
    "make_decoder",
    "parse_link_header",
    "text_encoding_from_content_type",
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


class _Meter:
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

    def __init__(self, name: str, meter: _Meter, counts_input: bool) -> None:
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


class _ZlibDecoder(_Stage):
    """gzip (several members allowed) or deflate (zlib-wrapped or raw)."""

    __slots__ = ("_done", "_gzip", "_head", "_obj")

    def __init__(self, name: str, meter: _Meter, counts_input: bool, gzip: bool) -> None:
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

    def __init__(self, name: str, meter: _Meter, counts_input: bool, expansion: int) -> None:
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


class _BrotliDecoder(_SlicedDecoder):
    __slots__ = ("_capped", "_error", "_obj")

    def __init__(self, meter: _Meter, counts_input: bool) -> None:
        module = _import_optional("br")
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


class _ZstdDecoder(_SlicedDecoder):
    __slots__ = ("_error", "_head", "_module", "_obj")

    def __init__(self, meter: _Meter, counts_input: bool) -> None:
        self._module = _import_optional("zstd")
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


_EXTRAS = {"br": ("brotli", "brotlicffi"), "zstd": ("zstandard",)}
_EXTRA_NAMES = {"br": "brotli", "zstd": "zstd"}


@functools.cache
def _import_optional(coding: str) -> ModuleType:
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


def _make_stage(token: str, meter: _Meter, counts_input: bool) -> ContentDecoder | None:
    if token in ("gzip", "x-gzip"):
        return _ZlibDecoder("gzip", meter, counts_input, gzip=True)
    if token == "deflate":
        return _ZlibDecoder("deflate", meter, counts_input, gzip=False)
    if token == "br":
        return _BrotliDecoder(meter, counts_input)
    if token == "zstd":
        return _ZstdDecoder(meter, counts_input)
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
        return _make_stage(value, _Meter(max_ratio, min_allowance), True)
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
    meter = _Meter(max_ratio, min_allowance)
    stages: list[ContentDecoder] = []
    for token in reversed(tokens):
        stage = _make_stage(token, meter, not stages)
        if stage is not None:
            stages.append(stage)
    if not stages:
        return None
    return stages[0] if len(stages) == 1 else _ChainDecoder(stages)


class Rechunker:
    """Cut a byte stream into chunks of exactly ``chunk_size`` bytes.

    Args:
        chunk_size: the chunk size, or None to pass chunks through as they come.

    Raises:
        ValueError: ``chunk_size`` is not a positive number.
    """

    __slots__ = ("_buffer", "_size")

    def __init__(self, chunk_size: int | None) -> None:
        if chunk_size is not None and (
            isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0
        ):
            raise ValueError(f"chunk_size must be a whole number > 0 or None, not {chunk_size!r}")
        self._size = chunk_size
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add ``data``; return every complete chunk now available."""
        size = self._size
        if size is None:
            return [data] if data else []
        buffer = self._buffer
        if len(buffer) + len(data) < size:
            buffer += data
            return []
        chunks: list[bytes] = []
        view = memoryview(data)
        start = 0
        if buffer:
            start = size - len(buffer)
            buffer += view[:start]
            chunks.append(bytes(buffer))
            buffer.clear()
        end = len(data)
        while end - start >= size:
            chunks.append(bytes(view[start : start + size]))
            start += size
        if start < end:
            buffer += view[start:]
        return chunks

    def flush(self) -> bytes:
        """Return the last, shorter chunk (``b""`` when nothing is left)."""
        tail = bytes(self._buffer)
        self._buffer.clear()
        return tail


def _codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return "utf-8"


class TextDecoder:
    """Decode bytes to text incrementally; bad bytes become U+FFFD.

    An unknown encoding name falls back to UTF-8; a UTF-8 byte order mark at
    the start is dropped.
    """

    __slots__ = ("_decoder",)

    def __init__(self, encoding: str) -> None:
        name = _codec_name(encoding)
        if name == "utf-8":
            name = "utf-8-sig"
        self._decoder = codecs.getincrementaldecoder(name)(errors="replace")

    def decode(self, data: bytes) -> str:
        """Decode the next chunk (a split multi-byte character is held back)."""
        return self._decoder.decode(data)

    def flush(self) -> str:
        """Return what is left; an incomplete character becomes U+FFFD."""
        return self._decoder.decode(b"", True)


class LineDecoder:
    """Split text into lines, however it was chunked.

    Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` and are returned without their
    ending; a ``\\r`` ending one chunk and a ``\\n`` starting the next are one
    line break.
    """

    __slots__ = ("_pending", "_skip_lf")

    def __init__(self) -> None:
        self._pending = ""
        self._skip_lf = False

    def decode(self, text: str) -> list[str]:
        """Add ``text``; return the lines it completes."""
        if not text:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
                if not text:
                    return []
        if self._pending:
            text = self._pending + text
        if "\r" in text:
            # A \r at the very end may be the first half of \r\n.
            self._skip_lf = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        self._pending = lines.pop()
        return lines

    def flush(self) -> list[str]:
        """Return the last line if the text did not end with a line break."""
        pending = self._pending
        self._pending = ""
        self._skip_lf = False
        return [pending] if pending else []


def _unquote(value: str) -> str:
    """Strip whitespace and one pair of quotes, undoing backslash escapes."""
    value = value.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
        if "\\" in value:
            chars: list[str] = []
            escaped = False
            for char in value:
                if escaped or char != "\\":
                    chars.append(char)
                    escaped = False
                else:
                    escaped = True
            value = "".join(chars)
    return value


def _split_params(value: str) -> list[str]:
    """Split on ``;`` outside quoted strings."""
    if '"' not in value:
        return value.split(";")
    parts: list[str] = []
    start = 0
    quoted = False
    escaped = False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            parts.append(value[start:index])
            start = index + 1
    parts.append(value[start:])
    return parts


@functools.lru_cache(maxsize=256)
def text_encoding_from_content_type(value: str | None) -> str | None:
    """The text encoding a ``Content-Type`` header names.

    Returns the ``charset`` parameter when Python knows that codec. Without
    one, JSON types (``application/json``, ``*/*+json``) are UTF-8 (RFC 8259)
    and everything else is None, so the caller decides (no ISO-8859-1 guess).
    """
    if not value:
        return None
    parts = _split_params(value) if ";" in value else [value]
    for param in parts[1:]:
        name, eq, param_value = param.partition("=")
        if eq and name.strip().lower() == "charset":
            charset = _unquote(param_value)
            if not charset:
                break
            try:
                codecs.lookup(charset)
            except LookupError:
                return None
            return charset
    media_type = parts[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        return "utf-8"
    return None


def has_explicit_charset(value: str | None) -> bool:
    """Whether a ``Content-Type`` header names a ``charset`` Python knows.

    Unlike :func:`text_encoding_from_content_type`, a media type's default
    (UTF-8 for JSON) does not count.
    """
    if not value or ";" not in value:
        return False
    for param in _split_params(value)[1:]:
        name, eq, param_value = param.partition("=")
        if eq and name.strip().lower() == "charset":
            charset = _unquote(param_value)
            if not charset:
                return False
            try:
                codecs.lookup(charset)
            except LookupError:
                return False
            return True
    return False


def decode_text(content: bytes, encoding: str) -> str:
    """Decode a whole body; bad bytes become U+FFFD.

    An unknown encoding name falls back to UTF-8; for UTF-8 a leading byte
    order mark is dropped.
    """
    name = _codec_name(encoding)
    if name == "utf-8":
        name = "utf-8-sig"
    return content.decode(name, errors="replace")


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def guess_encoding(content: bytes) -> str:
    """Guess a body's encoding from its bytes alone (``apparent_encoding``).

    A byte order mark decides (``utf-8-sig``, ``utf-16``, ``utf-32``: these
    codecs read the mark and drop it); else ``ascii`` when every byte is
    below 0x80, ``utf-8`` when the body is valid UTF-8, and ``windows-1252``
    (which decodes almost anything) otherwise.
    """
    if content[:1] in (b"\xef", b"\xff", b"\xfe", b"\x00"):
        for bom, name in _BOMS:
            if content.startswith(bom):
                return name
    if content.isascii():
        return "ascii"
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return "windows-1252"
    return "utf-8"


def _split_links(value: str) -> list[str]:
    """Split a Link header at commas outside ``<...>`` and quoted strings."""
    links: list[str] = []
    start = 0
    in_url = quoted = escaped = False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif in_url:
            in_url = char != ">"
        elif char == "<":
            in_url = True
        elif char == '"':
            quoted = True
        elif char == ",":
            links.append(value[start:index])
            start = index + 1
    links.append(value[start:])
    return links


_LINK_STRIP = "<> '\""


def parse_link_header(value: str) -> list[dict[str, str]]:
    """Parse a ``Link`` header (RFC 8288) into one dict per link.

    Each dict has ``url`` plus the link's parameters (``rel``, ``type``...),
    parameter names lower-cased and quotes removed. Malformed parts are
    skipped or kept as well as they can be, never raised.
    """
    result: list[dict[str, str]] = []
    for link in _split_links(value):
        if not link.strip():
            continue
        if "<" in link and ">" in link:
            opening = link.index("<")
            closing = link.index(">", opening)
            url = link[opening + 1 : closing].strip()
            rest = link[closing + 1 :]
        else:
            url, _, rest = link.partition(";")
            url = url.strip(_LINK_STRIP)
            rest = ";" + rest
        entry = {"url": url}
        for param in _split_params(rest):
            name, eq, param_value = param.partition("=")
            name = name.strip().lower()
            if not name:
                continue
            entry[name] = _unquote(param_value).strip(_LINK_STRIP) if eq else ""
        result.append(entry)
    return result
