"""Text: which charset a body uses, and decoding it to ``str`` and lines.

The charset comes from ``Content-Type`` (:func:`text_encoding_from_content_type`)
or, for ``apparent_encoding``, from the bytes alone (:func:`guess_encoding`).
Decoding never raises: bad bytes become U+FFFD, an unknown codec name falls
back to UTF-8, and a UTF-8 byte order mark is dropped.
"""

from __future__ import annotations

import codecs
import functools

from ._header_params import split_params, unquote_param

__all__ = [
    "LineDecoder",
    "TextDecoder",
    "decode_text",
    "guess_encoding",
    "has_explicit_charset",
    "text_encoding_from_content_type",
]


def _codec_name(encoding: str) -> str:
    """The codec to decode with: Python's name, ``utf-8-sig`` for UTF-8."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = "utf-8"
    return "utf-8-sig" if name == "utf-8" else name


class TextDecoder:
    """Decode bytes to text incrementally; bad bytes become U+FFFD.

    An unknown encoding name falls back to UTF-8; a UTF-8 byte order mark at
    the start is dropped.
    """

    __slots__ = ("_decoder",)

    def __init__(self, encoding: str) -> None:
        self._decoder = codecs.getincrementaldecoder(_codec_name(encoding))(errors="replace")

    def decode(self, data: bytes) -> str:
        """Decode the next chunk (a split multi-byte character is held back)."""
        return self._decoder.decode(data)

    def flush(self) -> str:
        """Return what is left; an incomplete character becomes U+FFFD."""
        return self._decoder.decode(b"", True)


def decode_text(content: bytes, encoding: str) -> str:
    """Decode a whole body; bad bytes become U+FFFD.

    An unknown encoding name falls back to UTF-8; for UTF-8 a leading byte
    order mark is dropped.
    """
    return content.decode(_codec_name(encoding), errors="replace")


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


def _charset_param(params: list[str]) -> str | None:
    """The unquoted value of the first ``charset`` parameter, None if absent."""
    for param in params:
        name, eq, value = param.partition("=")
        if eq and name.strip().lower() == "charset":
            return unquote_param(value)
    return None


def _is_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


@functools.lru_cache(maxsize=256)
def text_encoding_from_content_type(value: str | None) -> str | None:
    """The text encoding a ``Content-Type`` header names.

    Returns the ``charset`` parameter when Python knows that codec. Without
    one, JSON types (``application/json``, ``*/*+json``) are UTF-8 (RFC 8259)
    and everything else is None, so the caller decides (no ISO-8859-1 guess).
    """
    if not value:
        return None
    parts = split_params(value) if ";" in value else [value]
    charset = _charset_param(parts[1:])
    if charset:
        return charset if _is_codec(charset) else None
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
    charset = _charset_param(split_params(value)[1:])
    if not charset:
        return False
    return _is_codec(charset)


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
