"""Turn ``content=``, ``data=``, ``files=`` and ``json=`` into a request body.

The rules follow requests: ``data``/``files`` win over ``json``; ``data`` may
be form fields (a mapping or a list of pairs) or a raw body (``str``,
``bytes``, a file, an iterator). ``content=`` is the raw body and cannot be
combined with the others.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from ._exceptions import InvalidJSONError, LocalProtocolError
from ._streams import (
    EMPTY_CONTENT,
    AsyncIterableContent,
    BytesContent,
    FileContent,
    IterableContent,
    RequestContent,
)

__all__ = ["encode_content", "encode_form", "encode_json", "encode_request"]

_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"


def encode_content(content: Any) -> RequestContent:
    """A raw body: bytes, str (sent as UTF-8), a file, or an (async) iterable of bytes.

    Raises:
        TypeError: any other type.
    """
    if isinstance(content, bytes):
        return BytesContent(content)
    if isinstance(content, (bytearray, memoryview)):
        return BytesContent(bytes(content))
    if isinstance(content, str):
        return BytesContent(content.encode("utf-8"), content)
    if hasattr(content, "read"):
        return FileContent(content)
    if hasattr(content, "__aiter__"):
        return AsyncIterableContent(content)
    if hasattr(content, "__iter__") and not isinstance(content, Mapping):
        length = None
        if isinstance(content, (list, tuple)) and all(
            isinstance(chunk, bytes) for chunk in content
        ):
            length = sum(len(chunk) for chunk in content)
        return IterableContent(content, length)
    raise TypeError(
        "the request body must be bytes, str, a file object or an iterable of bytes, "
        f"not {type(content).__name__} (send form fields with data=, JSON with json=)"
    )


def encode_form(data: Any) -> str:
    """URL-encode form fields as requests does (spaces as ``+``, UTF-8).

    ``data`` is a mapping or a sequence of pairs; list values repeat their
    name and ``None`` values are left out. The result is ASCII text, as
    requests keeps it.
    """
    from ._multipart import iter_fields  # with mimetypes: not every request has a form

    return urlencode(list(iter_fields(data)))


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON.

    Raises:
        InvalidJSONError: NaN or infinity, or a value JSON cannot express.
    """
    try:
        text = jsonlib.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidJSONError(f"the json= value cannot be sent as JSON: {exc}") from exc
    return text.encode("utf-8")


def encode_request(
    *,
    content: Any = None,
    data: Any = None,
    files: Any = None,
    json: Any = None,
    boundary: bytes | None = None,
) -> tuple[dict[str, str], RequestContent]:
    """Build a request body and the ``Content-Type`` it needs.

    Framing headers are not returned: the request derives them from the
    body's ``length``.

    Args:
        content: a raw body (see :func:`encode_content`); alone only.
        data: form fields, or a raw body as requests accepts it.
        files: file fields; with ``data`` fields, a multipart body.
        json: a value sent as JSON, when there is neither ``data`` nor ``files``.
        boundary: the multipart boundary, random when not given.

    Returns:
        ``({"Content-Type": ...} or {}, body)``.

    Raises:
        LocalProtocolError: ``content`` combined with another body argument.
        InvalidJSONError: ``json`` cannot be encoded.
        TypeError: a body of an unsupported type.
        ValueError: ``files`` with a raw ``data`` body, or a bad boundary.
    """
    if content is not None:
        if data is not None or files is not None or json is not None:
            raise LocalProtocolError(
                "content= is the raw request body and cannot be combined with "
                "data=, files= or json="
            )
        return {}, encode_content(content)
    if files:
        if data is not None and not isinstance(data, (Mapping, list, tuple)):
            raise ValueError(
                "with files=, data= must hold form fields (a mapping or a list of pairs), "
                f"not {type(data).__name__}"
            )
        from ._multipart import MultipartContent

        multipart = MultipartContent(data, files, boundary)
        body = multipart.body
        stream = multipart if body is None else BytesContent(body)
        return {"Content-Type": multipart.content_type}, stream
    if not data and json is not None:
        return {"Content-Type": _JSON}, BytesContent(encode_json(json))
    if data is None:
        return {}, EMPTY_CONTENT
    if isinstance(data, (Mapping, list, tuple)):
        if not data:
            return {}, EMPTY_CONTENT
        form = encode_form(data)
        return {"Content-Type": _FORM}, BytesContent(form.encode("ascii"), form)
    return {}, encode_content(data)
