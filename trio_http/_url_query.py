"""Query parameters: ``params=`` encoded as requests encodes them.

Values are form-encoded (``application/x-www-form-urlencoded``: UTF-8, spaces
as ``+``); a list value repeats its name, ``None`` is left out, and anything
else that is not text goes through ``str()``, as in requests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias
from urllib.parse import quote_plus

from ._exceptions import InvalidURL

__all__ = ["Primitive", "PrimitiveOrSeq", "QueryParamTypes", "encode_params"]

Primitive: TypeAlias = str | bytes | int | float | bool | None
PrimitiveOrSeq: TypeAlias = Primitive | Sequence[Primitive]
QueryParamTypes: TypeAlias = (
    Mapping[str, PrimitiveOrSeq] | Sequence[tuple[str, PrimitiveOrSeq]] | str | bytes
)


def _param_text(value: object) -> str | bytes:
    if isinstance(value, (str, bytes)):
        return value
    # requests compatibility: True -> "True", 1.5 -> "1.5", anything else str().
    return str(value)


def _form_quote(value: str | bytes) -> str:
    try:
        return quote_plus(value, safe="")
    except UnicodeEncodeError as exc:
        raise InvalidURL(f"query parameter cannot be encoded as UTF-8: {exc.reason}") from None


def encode_params(params: QueryParamTypes) -> str:
    """Encode query parameters as ``application/x-www-form-urlencoded`` text.

    A mapping value that is a list or tuple gives one pair per item; ``None``
    values are skipped; other non-text values use ``str()``; spaces become
    ``"+"``. A ``str`` or ``bytes`` argument is an already-encoded query and
    is returned as text.

    Args:
        params: a mapping, a sequence of pairs, or an encoded query string.

    Returns:
        The query string, without ``"?"``.

    Raises:
        InvalidURL: a name or value cannot be encoded (lone surrogate), or the
            bytes query is not UTF-8.
    """
    if isinstance(params, str):
        return params
    if isinstance(params, bytes):
        try:
            return params.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidURL("query string bytes are not valid UTF-8") from None
    items = params.items() if isinstance(params, Mapping) else params
    pieces: list[str] = []
    for name, values in items:
        if values is None:
            continue
        key = _form_quote(_param_text(name))
        if isinstance(values, (list, tuple)):
            for value in values:
                if value is not None:
                    pieces.append(f"{key}={_form_quote(_param_text(value))}")
        else:
            pieces.append(f"{key}={_form_quote(_param_text(values))}")
    return "&".join(pieces)
