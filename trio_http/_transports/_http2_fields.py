"""Received HTTP/2 header blocks checked against RFC 9113's field rules (§8.2, §8.3).

h2's own inbound validation is off (see ``H2_CONFIG``): these checks take one
pass per block, and a block that breaks them fails its stream only, as
§8.1.1 asks, not the whole connection.
"""

from __future__ import annotations

import re

__all__ = ["MalformedFields", "check_response_fields", "check_trailer_fields"]

# A regular field name: no byte in 0x00-0x20, no upper case, no colon, no
# 0x7f-0xff (§8.2.1). A pseudo-header name is one colon and such a name.
_REGULAR_NAME = re.compile(rb"[\x21-\x39\x3b-\x40\x5b-\x7e]+")
# §8.2.1: no NUL, CR or LF anywhere in a value.
_BAD_VALUE_BYTE = re.compile(rb"[\x00\r\n]")
# §8.2.2: fields that only mean something on one HTTP/1.1 connection.
_CONNECTION_SPECIFIC = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade"}
)
_STATUS = re.compile(rb"[1-9][0-9][0-9]")


class MalformedFields(Exception):
    """A header block breaks RFC 9113's field rules (a stream error, §8.1.1)."""


def _check_regular(fields: list[tuple[bytes, bytes]], start: int) -> None:
    for index in range(start, len(fields)):
        name, value = fields[index]
        if _REGULAR_NAME.fullmatch(name) is None:
            if name[:1] == b":":
                raise MalformedFields(f"pseudo-header {name!r} after a regular field")
            raise MalformedFields(f"invalid field name {name!r}")
        if value:
            if _BAD_VALUE_BYTE.search(value) is not None:
                raise MalformedFields(f"NUL, CR or LF in the value of {name.decode()!r}")
            if value[0] in b" \t" or value[-1] in b" \t":
                raise MalformedFields(f"whitespace around the value of {name.decode()!r}")
        if name in _CONNECTION_SPECIFIC:
            raise MalformedFields(f"connection-specific field {name.decode()!r}")
        if name == b"te" and value.lower() != b"trailers":
            raise MalformedFields(f"TE field with {value!r}")


def check_response_fields(
    fields: list[tuple[bytes, bytes]],
) -> tuple[int, list[tuple[bytes, bytes]]]:
    """Validate a response (or 1xx) header block in one pass.

    Exactly one ``:status`` pseudo-header, first; no other pseudo-header;
    then regular fields whose names and values follow §8.2.1 and none of the
    connection-specific fields of §8.2.2.

    Returns:
        (the status code, the regular fields).

    Raises:
        MalformedFields: the block breaks one of those rules.
    """
    if not fields or fields[0][0] != b":status":
        raise MalformedFields("the response has no leading :status pseudo-header")
    status = fields[0][1]
    if _STATUS.fullmatch(status) is None:
        raise MalformedFields(f"invalid :status {status!r}")
    _check_regular(fields, 1)
    return int(status), fields[1:]


def check_trailer_fields(fields: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Validate a trailer block: regular fields only (§8.1).

    Raises:
        MalformedFields: a pseudo-header, or a field breaking §8.2.1/§8.2.2.
    """
    _check_regular(fields, 0)
    return fields
