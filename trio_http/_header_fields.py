"""One header field: checking a name and a value, and the forms a field is kept in.

How this works: a field is kept as an entry, ``(raw_name, raw_value, name,
lower_name, value)``: the bytes sent or received, exactly, and the text that
lookups use. :func:`_make_entry` builds one from what a user gave (checked and
encoded), :func:`_decode_entry` from bytes parsed off the wire (trusted, only
decoded). :class:`~trio_http._headers.Headers` keeps a list of them.

Text and bytes: a ``str`` value is sent as Latin-1 when it fits (the
historical HTTP charset) and as UTF-8 otherwise. Received bytes are shown as
UTF-8 when they are valid UTF-8, else as Latin-1, which never fails. The
bytes themselves round-trip exactly through :attr:`Headers.raw`; a text value
round-trips unless it is Latin-1 text whose encoding happens to be valid UTF-8
(mojibake such as ``"Ã©"``), which reads back decoded.
"""

from __future__ import annotations

import re
from typing import NoReturn, TypeAlias

from ._exceptions import InvalidHeader

__all__ = [
    "SENSITIVE_HEADERS",
    "text_of",
    "validate_header_name",
    "validate_header_value",
]

# Values never shown in repr() or in error messages.
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})

# RFC 9110 §5.6.2: token = 1*tchar.
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 9110 §5.5: a field value is VCHAR, obs-text, SP and HTAB. Every other
# control is refused; CR, LF and NUL above all, since they split messages.
_BAD_VALUE_CHAR = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_OWS = " \t"

# (raw_name, raw_value, name, lower_name, value). The value is text, but one
# the caller gave as bytes (or as a str subclass) is kept as given, as
# requests shows it: text_of() gives its text form.
_Entry: TypeAlias = tuple[bytes, bytes, str, str, str]


def _name_for_message(name: bytes) -> str:
    return name.decode("latin-1")


def validate_header_name(name: bytes) -> None:
    """Check that ``name`` is an RFC 9110 token.

    Raises:
        InvalidHeader: the name is empty or has a character a token cannot hold.
    """
    if _TOKEN.fullmatch(name) is None:
        raise InvalidHeader(f"invalid header name {name!r}: must be a non-empty token")


def validate_header_value(value: bytes, *, name: bytes = b"") -> None:
    """Check that ``value`` holds no CR, LF, NUL or other control character but HTAB.

    Args:
        value: the value, already stripped of surrounding whitespace.
        name: the header's name, used in the error message.

    Raises:
        InvalidHeader: the value holds a forbidden character. The message
            names the header and the character's position; it shows the value
            only for headers that are not credentials.
    """
    bad = _BAD_VALUE_CHAR.search(value)
    if bad is None:
        return
    label = _name_for_message(name) if name else "header"
    detail = f" in {value!r}" if name.lower().decode("latin-1") not in SENSITIVE_HEADERS else ""
    raise InvalidHeader(
        f"invalid value for {label}: control character {bad.group()!r} "
        f"at position {bad.start()}{detail}"
    )


def _encode_name(name: object) -> bytes:
    if isinstance(name, str):
        try:
            raw = name.encode("ascii")
        except UnicodeEncodeError:
            raise InvalidHeader(f"invalid header name {name!r}: must be ASCII") from None
    elif isinstance(name, bytes):
        raw = name
    else:
        raise InvalidHeader(f"header name {name!r} must be str or bytes, not {type(name).__name__}")
    validate_header_name(raw)
    return raw


def _encode_value(raw_name: bytes, value: object) -> bytes:
    if isinstance(value, str):
        value = value.strip(_OWS)
        try:
            raw = value.encode("latin-1")
        except UnicodeEncodeError:
            try:
                raw = value.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidHeader(
                    f"value of {_name_for_message(raw_name)} cannot be encoded "
                    "(it holds a lone surrogate)"
                ) from None
    elif isinstance(value, bytes):
        raw = value.strip(b" \t")
    else:
        # requests refuses non-text values too; str() would hide bugs like
        # passing None or a number where a token was meant.
        raise InvalidHeader(
            f"value of header {_name_for_message(raw_name)} must be str or bytes, "
            f"not {type(value).__name__}"
        )
    validate_header_value(raw, name=raw_name)
    return raw


# A value may not start with whitespace (requests refuses it: on the wire it
# would read as the continuation of the previous line, RFC 9112 §5.2).
_LEADING_OWS = (" ", "\t", b" ", b"\t")


def _refuse_leading_whitespace(raw_name: bytes) -> NoReturn:
    raise InvalidHeader(
        f"invalid value for {_name_for_message(raw_name)}: it starts with whitespace"
    )


def text_of(value: str | bytes) -> str:
    """The text form of an entry's value: bytes given by the caller are decoded."""
    if isinstance(value, bytes):
        return _decode_value(value)
    return value if type(value) is str else str(value)


def _decode_value(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


# Validated str names -> (raw name, lower name). Requests reuse a few dozen
# names, so this skips encoding and the token check for nearly every header.
_NAME_CACHE: dict[str, tuple[bytes, str]] = {}
_NAME_CACHE_SIZE = 512


def _make_entry(name: object, value: object) -> _Entry:
    cached = _NAME_CACHE.get(name) if type(name) is str else None
    if cached is None:
        raw_name = _encode_name(name)
        text_name = raw_name.decode("ascii")  # a valid token is ASCII
        lower = text_name.lower()
        if type(name) is str and len(_NAME_CACHE) < _NAME_CACHE_SIZE:
            _NAME_CACHE[name] = (raw_name, lower)
    else:
        raw_name, lower = cached
        text_name = name  # type: ignore[assignment]  # a str, checked above
    if type(value) is str:
        # The text the caller gave is kept as the value's text form: exact even
        # for Latin-1 text whose bytes would also decode as UTF-8.
        text = value.strip(_OWS)
        if len(text) != len(value) and value[0] in _OWS:
            _refuse_leading_whitespace(raw_name)
        return (raw_name, _encode_value(raw_name, text), text_name, lower, text)
    raw_value = _encode_value(raw_name, value)  # refuses what is neither str nor bytes
    given: str | bytes = value  # type: ignore[assignment]
    if given[:1] in _LEADING_OWS:
        _refuse_leading_whitespace(raw_name)
    # requests shows a value as it was given: bytes stay bytes and a str
    # subclass keeps its type (trailing whitespace, when there was some, is
    # dropped as from any value).
    stripped = given.rstrip(_OWS) if isinstance(given, str) else given.rstrip(b" \t")
    shown = given if len(stripped) == len(given) else stripped
    return (raw_name, raw_value, text_name, lower, shown)  # type: ignore[return-value]


def _decode_entry(raw_name: bytes, raw_value: bytes) -> _Entry:
    name = raw_name.decode("latin-1")
    return (raw_name, raw_value, name, name.lower(), _decode_value(raw_value))
