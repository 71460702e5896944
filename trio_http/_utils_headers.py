"""Header and text-encoding helpers of :mod:`trio_http.utils`.

Headers are checked and split as the client checks and splits them;
charsets are read from ``Content-Type`` as requests reads them. The public
names are re-exported by :mod:`trio_http.utils`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING
from urllib.request import parse_http_list

from ._header_fields import _make_entry
from ._header_params import parse_link_header, split_params, unquote_param
from ._text import _BOMS, TextDecoder, decode_text, text_encoding_from_content_type

if TYPE_CHECKING:
    from ._response import Response

__all__ = [
    "check_header_validity",
    "get_encoding_from_headers",
    "get_encodings_from_content",
    "get_unicode_from_response",
    "guess_json_utf",
    "parse_dict_header",
    "parse_header_links",
    "parse_list_header",
    "stream_decode_response_unicode",
    "to_native_string",
    "unquote_header_value",
]


def check_header_validity(header: tuple[str | bytes, str | bytes]) -> None:
    """Check a ``(name, value)`` header as trio_http checks it before sending.

    The name must be an RFC 9110 token; the value may not start with
    whitespace (as in requests) and may hold no control character but HTAB
    (trailing spaces and tabs are stripped when sent, so they are accepted).

    Raises:
        InvalidHeader: the name or the value would be refused.
    """
    name, value = header
    _make_entry(name, value)


def to_native_string(string: str | bytes, encoding: str = "ascii") -> str:
    """``string`` as ``str``: text as it is, bytes decoded with ``encoding``.

    Raises:
        UnicodeDecodeError: the bytes are not valid in ``encoding``.
    """
    return string if isinstance(string, str) else string.decode(encoding)


def unquote_header_value(value: str, is_filename: bool = False) -> str:
    """Remove the quotes around a header value, the way browsers quote.

    Only ``\\\\`` and ``\\"`` are unescaped, since browsers send Windows
    paths (``"C:\\dir\\file"``) without escaping their backslashes; with
    ``is_filename``, a UNC path (``"\\\\server\\share"``) is kept as it is
    inside the quotes.
    """
    if not value or value[0] != '"' or value[-1] != '"':
        return value
    inner = value[1:-1]
    if is_filename and inner.startswith("\\\\"):
        return inner
    return inner.replace("\\\\", "\\").replace('\\"', '"')


def _strip_quotes(item: str) -> str:
    # parse_http_list has already undone the escapes inside quoted strings.
    return item[1:-1] if len(item) >= 2 and item[0] == item[-1] == '"' else item


def parse_list_header(value: str) -> list[str]:
    """Split a comma-separated header (RFC 9110 §5.6.1), quoted strings unquoted.

    ``'token, "quoted, with comma"'`` gives ``["token", "quoted, with comma"]``.
    """
    return [_strip_quotes(item) for item in parse_http_list(value)]


def parse_dict_header(value: str) -> dict[str, str | None]:
    """Read ``name=value`` pairs of a comma-separated header into a dict.

    A name without ``=`` maps to ``None``; quoted values are unquoted.
    """
    result: dict[str, str | None] = {}
    for item in parse_http_list(value):
        name, eq, item_value = item.partition("=")
        result[name] = _strip_quotes(item_value) if eq else None
    return result


def parse_header_links(value: str) -> list[dict[str, str]]:
    """Parse a ``Link`` header (RFC 8288): one dict per link, ``url`` and its parameters.

    Parameter names are lower-cased (``rel``, ``type``...), quotes removed.
    """
    return parse_link_header(value)


# -- encodings ---------------------------------------------------------------


def get_encoding_from_headers(headers: Mapping[str, str]) -> str | None:
    """The text encoding a ``Content-Type`` header implies, as requests reads it.

    The ``charset`` parameter when there is one; else ``ISO-8859-1`` for
    ``text/*`` (RFC 2616's default), ``utf-8`` for JSON; else ``None``.
    ``trio_http.Response.encoding`` differs for ``text/*``: it says
    ``utf-8``.
    """
    content_type = headers.get("content-type")
    if not content_type:
        return None
    media_type, *params = split_params(content_type)
    for param in params:
        name, eq, charset = param.partition("=")
        if eq and name.strip().lower() == "charset":
            return unquote_param(charset).strip("'\"")
    if media_type.strip().lower().startswith("text/"):
        return "ISO-8859-1"
    return text_encoding_from_content_type(content_type)


_META = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_META_CHARSET = re.compile(r"""charset\s*=\s*["']*([^"'\s;>/]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(r"""<\?xml\b[^>]*?\bencoding\s*=\s*["']*([^"'\s?>]+)""")


def get_encodings_from_content(content: str) -> list[str]:
    """The encodings an HTML or XML text declares, in the order found.

    ``charset`` in ``<meta>`` tags, then the encoding of an XML declaration
    at the very start. Deprecated, as in requests: decode with the
    response's encoding instead.
    """
    warnings.warn(
        "get_encodings_from_content is deprecated (as in requests); "
        "decode with the response's encoding instead",
        DeprecationWarning,
        stacklevel=2,
    )
    found = [
        match.group(1)
        for tag in _META.finditer(content)
        if (match := _META_CHARSET.search(tag.group())) is not None
    ]
    declaration = _XML_ENCODING.match(content)
    if declaration is not None:
        found.append(declaration.group(1))
    return found


# RFC 8259 §8.1: a JSON text starts with two ASCII characters, so where its
# first four bytes hold NUL says which UTF it is in (without a byte order
# mark). Any other pattern of NULs is no JSON text in any UTF.
_JSON_UTF_BY_NULS: dict[tuple[int, ...], str] = {
    (): "utf-8",
    (0, 2): "utf-16-be",
    (1, 3): "utf-16-le",
    (0, 1, 2): "utf-32-be",
    (1, 2, 3): "utf-32-le",
}


def guess_json_utf(data: bytes) -> str | None:
    """The UTF encoding of a JSON text, from its first bytes (RFC 8259 §8.1).

    A byte order mark names it (``utf-32``, ``utf-8-sig``, ``utf-16``);
    else where the NUL bytes among the first four fall. ``None`` when they
    fit no UTF (``b"\\0\\0\\0\\0"``), as in requests. On four bytes or more
    that it recognises, it agrees with the detection of ``json.loads``,
    which :meth:`trio_http.Response.json` relies on.
    """
    # The byte order marks a body is decoded by (UTF-32-LE's before
    # UTF-16-LE's, which starts it).
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    nuls = tuple(index for index, byte in enumerate(data[:4]) if byte == 0)
    return _JSON_UTF_BY_NULS.get(nuls)


def stream_decode_response_unicode(
    iterator: Iterable[bytes], r: Response
) -> Iterator[str] | Iterator[bytes]:
    """Decode chunks of ``r``'s body with ``r.encoding`` as they come.

    Bad bytes become U+FFFD and a character split across chunks is decoded
    whole; with no encoding, the chunks pass through as bytes.
    """
    encoding = r.encoding
    if encoding is None:
        return iter(iterator)
    return _decode_chunks(iterator, encoding)


def _decode_chunks(chunks: Iterable[bytes], encoding: str) -> Iterator[str]:
    decoder = TextDecoder(encoding)
    for chunk in chunks:
        text = decoder.decode(chunk)
        if text:
            yield text
    tail = decoder.flush()
    if tail:
        yield tail


def get_unicode_from_response(r: Response) -> str:
    """``r``'s body decoded with the charset its headers give (else UTF-8).

    Deprecated, as in requests: use ``r.text``.
    """
    warnings.warn(
        "get_unicode_from_response is deprecated (as in requests); use r.text",
        DeprecationWarning,
        stacklevel=2,
    )
    return decode_text(r.content, get_encoding_from_headers(r.headers) or "utf-8")
