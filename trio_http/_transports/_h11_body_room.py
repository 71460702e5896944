"""How many body bytes h11 would take next as they are: the one adapter to h11's reader state.

How this works. Once h11 has parsed a response head it has chosen the
body's framing: a ``Content-Length`` count, chunked encoding, or "until the
connection closes". Inside a stretch of body bytes (the rest of a counted
body, the rest of the current chunk, or a close-delimited body) h11 does
nothing with the bytes but copy them through its receive buffer and count
them down. :func:`body_room` says how long that stretch still is, and
:func:`take_body` counts bytes that the connection handed on itself, so
they skip h11's buffer (two copies of every byte) and arrive as the
``bytes`` the socket returned.

h11 stays the authority on framing and connection state: the room ends one
byte short of every count, so the last byte of a body and of every chunk,
every chunk header, the trailer and the end of the message still go through
h11, which makes each transition itself. Only a counter h11 keeps is moved,
by exactly the bytes h11 would have counted.

This reads private members of h11 (``Connection._reader``,
``Connection._receive_buffer``, and the counters of its three body
readers). They are probed once at import; without them :func:`body_room`
is always 0 and every byte goes through h11 as before
(``tests/test_h11_body_room.py`` fails when the installed h11 lacks them,
so the fast path cannot be lost silently). h11 is bounded in the
package's requirements to the versions tested.
"""

from __future__ import annotations

from typing import Any

import h11

__all__ = ["LEAN_BODY", "body_room", "take_body"]

_UNBOUNDED = 1 << 62  # a close-delimited body: no count to stay short of


def _probe() -> tuple[type, type, type] | None:
    """h11's body reader classes when every member used here is present; else None."""
    try:
        from h11._readers import ChunkedReader, ContentLengthReader, Http10Reader
    except ImportError:
        return None
    connection = h11.Connection(h11.CLIENT)
    counted, chunked = ContentLengthReader(10), ChunkedReader()
    if not (
        hasattr(connection, "_reader")
        and hasattr(connection, "_receive_buffer")
        and hasattr(connection, "_receive_buffer_closed")
        and isinstance(getattr(counted, "_remaining", None), int)
        and isinstance(getattr(chunked, "_bytes_in_chunk", None), int)
        and isinstance(getattr(chunked, "_bytes_to_discard", None), bytes)
        and isinstance(getattr(chunked, "_reading_trailer", None), bool)
    ):
        return None
    return ContentLengthReader, ChunkedReader, Http10Reader


_READERS = _probe()
#: True when h11 has every member this module reads (see the module docstring).
LEAN_BODY = _READERS is not None


def body_room(h: h11.Connection) -> int:
    """Body bytes ``h`` would take next as they are, one short of any count; 0 if none.

    0 unless h11 is reading a response body with an empty buffer and is
    inside a stretch of body bytes with more than one byte left.
    """
    if _READERS is None or h.their_state is not h11.SEND_BODY:
        return 0
    if h._receive_buffer or h._receive_buffer_closed:
        return 0
    counted, chunked, close_delimited = _READERS
    reader: Any = h._reader
    kind = type(reader)
    if kind is counted:
        return max(int(reader._remaining) - 1, 0)
    if kind is chunked:
        if reader._reading_trailer or reader._bytes_to_discard:
            return 0
        return max(int(reader._bytes_in_chunk) - 1, 0)
    if kind is close_delimited:
        return _UNBOUNDED
    return 0


def take_body(h: h11.Connection, count: int) -> None:
    """Count ``count`` body bytes handed on past ``h``; at most :func:`body_room` of them."""
    assert _READERS is not None and 0 < count <= body_room(h)
    counted, chunked, _ = _READERS
    reader: Any = h._reader
    kind = type(reader)
    if kind is counted:
        reader._remaining -= count
    elif kind is chunked:
        reader._bytes_in_chunk -= count
