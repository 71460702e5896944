"""HTTP/1.1 responses that break framing: the exception class, against requests'.

A plain socket server in a thread answers each connection with fixed bytes
and closes it; ``requests.get`` and ``trio_http.get`` must fail with the
same-named exception (or both succeed).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

import trio_http


@contextmanager
def answering(reply: bytes) -> Iterator[str]:
    """A loopback server that sends ``reply`` to each request, then closes."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                received = b""
                while b"\r\n\r\n" not in received:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    received += chunk
                conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def outcome(library: Any, url: str) -> str:
    try:
        response = library.get(url, timeout=5)
    except library.RequestException as exc:
        return type(exc).__name__
    return f"{response.status_code} {response.content!r}"


def both(reply: bytes) -> str:
    with answering(reply) as url:
        theirs = outcome(requests, url)
        ours = outcome(trio_http, url)
    assert ours == theirs
    return ours


def test_conflicting_content_lengths_are_invalid_header() -> None:
    reply = (
        b"HTTP/1.1 200 OK\r\nContent-Length: 16\r\nContent-Length: 32\r\n\r\n"
        b"-- Bad Actor -- Original Content\r\n"
    )
    assert both(reply) == "InvalidHeader"


def test_repeated_equal_content_lengths_are_accepted() -> None:
    assert both(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok") == (
        "200 b'ok'"
    )


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
    ],
    ids=["head-chunked", "head-content-length", "body-chunked", "body-content-length"],
)
def test_response_cut_short_is_chunked_encoding_error(reply: bytes) -> None:
    # A head without its blank line, or a body shorter than declared, then
    # the server's close.
    assert both(reply) == "ChunkedEncodingError"
