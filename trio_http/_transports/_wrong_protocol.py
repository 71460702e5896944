"""Telling, from the first bytes of a reply, that a server speaks another protocol.

A request in one protocol to a server that speaks another fails in the
other's parser with a message about frame lengths or request lines. These
pure functions look at the start of what the server sent and say what it
speaks instead, so that the error can say what to change.
"""

from __future__ import annotations

__all__ = ["HTTP2_ONLY", "excerpt", "http1_reply_to_http2", "non_http1_reply"]

HTTP2_ONLY = "the server speaks HTTP/2 only (prior knowledge); use http2=True, http1=False"
# Bytes of a reply shown in a message; the rest is counted.
MAX_BYTES_SHOWN = 64

_FRAME_HEADER_SIZE = 9  # RFC 9113 §4.1
_SETTINGS = 0x4  # RFC 9113 §6.5
_SETTINGS_ACK = 0x1
_SETTING_SIZE = 6  # RFC 9113 §6.5.1: a 16-bit identifier and a 32-bit value
_CLIENT_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def excerpt(data: bytes) -> str:
    """``data`` as a bytes literal, cut after :data:`MAX_BYTES_SHOWN` bytes."""
    shown = repr(bytes(data[:MAX_BYTES_SHOWN]))
    if len(data) > MAX_BYTES_SHOWN:
        shown += f" (and {len(data) - MAX_BYTES_SHOWN} more bytes)"
    return shown


def _is_http2(received: bytes) -> bool:
    """Whether ``received`` opens the way an HTTP/2 server's side does.

    RFC 9113 §3.4: the server's connection preface is a SETTINGS frame on
    stream 0, sent at once. Some servers echo the client's preface instead.
    """
    head = received[: len(_CLIENT_PREFACE)]
    if len(head) >= len(b"PRI ") and _CLIENT_PREFACE.startswith(head):
        return True
    if len(received) < _FRAME_HEADER_SIZE:
        return False
    length = int.from_bytes(received[:3], "big")
    return (
        received[3] == _SETTINGS
        and received[4] & ~_SETTINGS_ACK == 0
        and received[5:9] == b"\0\0\0\0"
        and length % _SETTING_SIZE == 0
    )


def non_http1_reply(received: bytes) -> str | None:
    """What a reply to an HTTP/1.1 request is, when its start is not HTTP/1.x.

    Returns:
        A sentence for the error message; None when ``received`` is (or may
        still become) an HTTP/1.x status line, or is empty.
    """
    if not received or b"HTTP/".startswith(received[:5]):
        return None
    if _is_http2(received):
        return HTTP2_ONLY
    return f"the server did not answer in HTTP: it sent {excerpt(received)}"


def http1_reply_to_http2(received: bytes) -> str | None:
    """What a reply to an HTTP/2 connection preface is, when it is HTTP/1.x.

    A server that does not take HTTP/2 with prior knowledge reads the
    preface as a malformed HTTP/1.1 request and answers it (400, usually).
    Its status line, read as a frame header, announces a frame of several
    megabytes: no HTTP/2 server can send that to a client that allows
    64 KiB frames, so the reply is told apart without guessing.
    """
    if not received.startswith(b"HTTP/1."):
        return None
    status_line = received.split(b"\r\n", 1)[0]
    return (
        f"the server answered in HTTP/1.1 ({excerpt(status_line)}): it does not "
        "speak HTTP/2 with prior knowledge (h2c) on this port; use http1=True"
    )
