"""The installed h2 as the engine uses it: our configuration, and its private members.

:class:`~._http2_engine.H2Engine` reads and overrides a few of h2's private
members, and each use is probed here, once, at import. The fast DATA step
reads three (the connection's inbound window manager, and the stream's window
manager and ``_track_content_length``): :data:`LEAN_DATA` says whether the
installed h2 has them; without them DATA frames still skip hyperframe but go
through h2's DATA handler. The GOAWAY step and the closed-stream record use
h2's GOAWAY handler, its send buffer and its closed-stream table:
:data:`LEAN_GOAWAY`; without them h2's own handling applies.
``tests/test_http2_engine.py`` fails when either is False, so the loss cannot
go unnoticed, and ``pyproject.toml`` bounds h2 to the versions tested.
"""

from __future__ import annotations

import h2.config
import h2.connection
import h2.stream
import hyperframe.frame

__all__ = ["H2_CONFIG", "LEAN_DATA", "LEAN_GOAWAY", "RECEIVING_STATES"]

H2_CONFIG = h2.config.H2Configuration(
    client_side=True,
    header_encoding=None,
    # Outbound headers were validated by Headers and lowercased by the
    # connection.
    validate_outbound_headers=False,
    normalize_outbound_headers=False,
    split_outbound_cookies=False,
    # Received header blocks are checked by check_response_fields and
    # check_trailer_fields in one pass each (h2 chains eight generators per
    # field), and a malformed one fails its stream only, as RFC 9113 §8.1.1
    # asks. Joining split Cookie fields concerns requests, not responses.
    validate_inbound_headers=False,
    normalize_inbound_headers=False,
)

# States in which a stream takes DATA with no state change (RFC 9113 §5.1).
RECEIVING_STATES = frozenset({h2.stream.StreamState.OPEN, h2.stream.StreamState.HALF_CLOSED_LOCAL})


def _has_lean_members() -> bool:
    try:
        probe = h2.connection.H2Connection(config=H2_CONFIG)
        probe.initiate_connection()
        probe.send_headers(1, [(b":method", b"GET"), (b":path", b"/")], end_stream=True)
        stream = probe.streams.get(1)
    except Exception:  # an h2 unlike the one known here: take the safe path
        return False
    return (
        hasattr(probe, "_inbound_flow_control_window_manager")
        and hasattr(stream, "_inbound_window_manager")
        and callable(getattr(stream, "_track_content_length", None))
        and getattr(getattr(stream, "state_machine", None), "state", None) in RECEIVING_STATES
    )


#: Whether the installed h2 has the members the fast DATA step uses.
LEAN_DATA = _has_lean_members()


def _has_goaway_members() -> bool:
    probe = h2.connection.H2Connection(config=H2_CONFIG)
    table = getattr(probe, "_frame_dispatch_table", None)
    return (
        isinstance(table, dict)
        and hyperframe.frame.GoAwayFrame in table
        and callable(getattr(probe, "_receive_goaway_frame", None))
        and isinstance(getattr(probe, "_data_to_send", None), bytearray)
        and isinstance(getattr(probe, "_closed_streams", None), dict)
        and callable(getattr(probe, "_stream_is_closed_by_reset", None))
    )


#: Whether the installed h2 has the members the GOAWAY step and the bounded
#: closed-stream record use; without them h2's own handling applies.
LEAN_GOAWAY = _has_goaway_members()
