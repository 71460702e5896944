"""Request, built directly without a network."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from trio_http import LocalProtocolError, Request, ResponseNotRead

URL = "https://example.org/path"

# -- Request: method -----------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "Post", b"patch", "m-search"])
def test_request_method_is_upper_cased(method: str | bytes) -> None:
    expected = method.decode() if isinstance(method, bytes) else method
    assert Request(method, URL).method == expected.upper()


@pytest.mark.parametrize("method", ["", "GE T", "GET\r\n", "G(E)T", "GÉT", "GET/1", b"\xff"])
def test_request_rejects_methods_that_are_not_tokens(method: str | bytes) -> None:
    with pytest.raises(LocalProtocolError):
        Request(method, URL)


def test_request_method_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="invalid HTTP method"):
        Request("BAD METHOD", URL)


# -- Request: headers and framing ---------------------------------------------


def test_request_adds_host_header_from_url() -> None:
    assert Request("GET", "http://example.org/").headers["Host"] == "example.org"
    assert Request("GET", "http://example.org:8080/x").headers["Host"] == "example.org:8080"


def test_request_keeps_an_explicit_host_header() -> None:
    request = Request("GET", URL, headers={"Host": "other.test"})
    assert request.headers.get_list("Host") == ["other.test"]


def test_get_without_body_has_no_framing_headers() -> None:
    headers = Request("GET", URL).headers
    assert "Content-Length" not in headers
    assert "Transfer-Encoding" not in headers


def test_post_with_empty_body_sends_content_length_zero() -> None:
    headers = Request("POST", URL).headers
    assert headers["Content-Length"] == "0"
    assert "Transfer-Encoding" not in headers
    assert Request("PUT", URL, content=b"").headers["Content-Length"] == "0"


def test_bytes_body_gets_its_content_length() -> None:
    request = Request("POST", URL, content=b"hello")
    assert request.headers["Content-Length"] == "5"
    assert "Transfer-Encoding" not in request.headers


def test_get_with_a_body_declares_its_length() -> None:
    assert Request("GET", URL, content=b"abc").headers["Content-Length"] == "3"


def test_generator_body_is_sent_chunked() -> None:
    request = Request("POST", URL, content=(part for part in [b"a", b"b"]))
    assert request.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in request.headers


def test_explicit_content_length_is_kept_for_a_generator_body() -> None:
    request = Request(
        "POST", URL, headers={"Content-Length": "2"}, content=(p for p in [b"a", b"b"])
    )
    assert request.headers.get_list("Content-Length") == ["2"]
    assert "Transfer-Encoding" not in request.headers


def test_explicit_content_length_wins_over_the_computed_one() -> None:
    request = Request("POST", URL, headers={"Content-Length": "3"}, content=b"abc")
    assert request.headers.get_list("Content-Length") == ["3"]


def test_explicit_transfer_encoding_suppresses_content_length() -> None:
    request = Request("POST", URL, headers={"Transfer-Encoding": "chunked"}, content=b"abc")
    assert "Content-Length" not in request.headers


# -- Request: body -------------------------------------------------------------


def test_in_memory_body_is_available_as_content_and_body() -> None:
    request = Request("POST", URL, content=b"payload")
    assert request.content == b"payload"
    assert request.body == b"payload"


def test_empty_body_is_none_requests_style() -> None:
    request = Request("GET", URL)
    assert request.body is None
    assert request.content == b""


async def test_streamed_request_body_needs_aread_before_content() -> None:
    request = Request("POST", URL, content=(p for p in [b"ab", b"cd"]))
    unread_body = request.body
    assert unread_body is None
    with pytest.raises(ResponseNotRead):
        _ = request.content
    assert await request.aread() == b"abcd"
    assert request.content == b"abcd"
    assert request.body == b"abcd"
    # Reading again serves the buffered body rather than the spent generator.
    assert await request.aread() == b"abcd"


async def test_async_generator_request_body_can_be_read() -> None:
    async def source() -> AsyncIterator[bytes]:
        yield b"x"
        yield b"yz"

    request = Request("POST", URL, content=source())
    assert request.headers["Transfer-Encoding"] == "chunked"
    assert await request.aread() == b"xyz"


def test_url_setter_parses_strings() -> None:
    request = Request("GET", URL)
    request.url = "http://example.com/other?a=1"
    assert request.url.host == "example.com"
    assert request.url.path == "/other"


def test_repr_shows_method_and_url() -> None:
    assert repr(Request("get", URL)) == f"<Request('GET', '{URL}')>"
