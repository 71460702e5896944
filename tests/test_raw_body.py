"""``response.raw``: the body of a blocking response as a file object."""

from __future__ import annotations

import gzip

from bodies import blocking, streamed


def test_read_returns_at_most_the_amount_asked_for() -> None:
    response, body = blocking([[b"abc", b"defg"], [b"hij"]])
    raw = response.raw
    assert raw.read(2) == b"ab"
    assert raw.read(4) == b"cdef"
    assert raw.read() == b"ghij"
    assert raw.read(1) == b""
    assert body.closed


def test_raw_bytes_are_not_decoded_unless_asked() -> None:
    encoded = gzip.compress(b"payload")
    response, _ = blocking([[encoded]], headers={"Content-Encoding": "gzip"})
    assert response.raw.read() == encoded
    decoded, _ = blocking([[encoded]], headers={"Content-Encoding": "gzip"})
    assert decoded.raw.read(decode_content=True) == b"payload"


def test_stream_and_readinto() -> None:
    response, _ = blocking([[b"0123456789"]])
    assert list(response.raw.stream(4)) == [b"0123", b"4567", b"89"]
    response, _ = blocking([[b"xyz"]])
    buffer = bytearray(5)
    assert response.raw.readinto(buffer) == 3
    assert bytes(buffer[:3]) == b"xyz"


def test_a_body_read_already_and_an_async_client_body_read_as_empty() -> None:
    response, _ = blocking([[b"abc"]])
    assert response.read() == b"abc"
    assert response.raw.read() == b""
    assert streamed([b"abc"]).raw.read() == b""


def test_close_releases_the_body() -> None:
    response, body = blocking([[b"abc"]])
    response.raw.close()
    assert response.raw.closed and body.closed and response.is_closed
