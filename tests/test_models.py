"""Request and Response models, exercised directly without a network."""

from __future__ import annotations

import codecs
import gzip
import itertools
import json
from collections.abc import AsyncIterator, Iterable
from http import HTTPStatus

import pytest
from hypothesis import given
from hypothesis import strategies as st

import trio_http
from trio_http import (
    HTTPError,
    LocalProtocolError,
    Request,
    Response,
    ResponseNotRead,
    StreamConsumedError,
)
from trio_http._streams import AsyncByteStream

URL = "https://example.org/path"


class ChunkStream(AsyncByteStream):
    """A response body that yields the given chunks and counts its closes."""

    __slots__ = ("_chunks", "close_calls")

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = list(chunks)
        self.close_calls = 0

    def __aiter__(self) -> ChunkStream:
        return self

    async def __anext__(self) -> bytes:
        if not self._chunks:
            raise StopAsyncIteration
        return self._chunks.pop(0)

    async def aclose(self) -> None:
        self.close_calls += 1


def streamed(
    chunks: Iterable[bytes], headers: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    return Response(status_code, headers=headers, stream=ChunkStream(chunks))


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """Split ``data`` at the given offsets (clamped, sorted, deduplicated)."""
    points = sorted({min(max(cut, 0), len(data)) for cut in cuts} | {0, len(data)})
    return [data[start:end] for start, end in itertools.pairwise(points) if end > start]


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


# -- Response: status ----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "ok", "success", "client_error", "server_error", "error"),
    [
        (101, True, False, False, False, False),
        (200, True, True, False, False, False),
        (204, True, True, False, False, False),
        (304, True, False, False, False, False),
        (404, False, False, True, False, True),
        (418, False, False, True, False, True),
        (500, False, False, False, True, True),
        (503, False, False, False, True, True),
    ],
)
def test_status_helpers(
    status: int, ok: bool, success: bool, client_error: bool, server_error: bool, error: bool
) -> None:
    response = Response(status)
    assert response.ok is ok
    assert bool(response) is ok
    assert response.is_success is success
    assert response.is_client_error is client_error
    assert response.is_server_error is server_error
    assert response.is_error is error
    assert response.is_informational is (status < 200)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_is_redirect_needs_a_location_header(status: int) -> None:
    assert not Response(status).is_redirect
    assert Response(status, headers={"Location": "/next"}).is_redirect


def test_only_301_and_308_are_permanent_redirects() -> None:
    for status in (301, 308):
        assert Response(status, headers={"Location": "/x"}).is_permanent_redirect
        assert not Response(status).is_permanent_redirect
    for status in (302, 303, 307):
        assert not Response(status, headers={"Location": "/x"}).is_permanent_redirect


def test_300_and_304_are_not_redirects() -> None:
    assert not Response(300, headers={"Location": "/x"}).is_redirect
    assert not Response(304, headers={"Location": "/x"}).is_redirect


def test_reason_phrase_defaults_from_status() -> None:
    assert Response(200).reason_phrase == "OK"
    assert Response(404).reason == "Not Found"
    assert Response(418).reason_phrase == HTTPStatus(418).phrase
    assert Response(599).reason_phrase == ""
    assert Response(200, reason_phrase="Fine").reason_phrase == "Fine"


def test_bool_is_false_for_errors_like_requests() -> None:
    assert not Response(404)
    assert not Response(500)
    assert Response(302)


@pytest.mark.parametrize("status", [200, 201, 301, 304, 399])
def test_raise_for_status_returns_the_response_below_400(status: int) -> None:
    response = Response(status)
    assert response.raise_for_status() is response


@pytest.mark.parametrize(
    ("status", "kind"), [(400, "Client Error"), (404, "Client Error"), (503, "Server Error")]
)
def test_raise_for_status_raises_http_error_for_4xx_and_5xx(status: int, kind: str) -> None:
    request = Request("GET", URL)
    response = Response(status, request=request)
    with pytest.raises(HTTPError) as info:
        response.raise_for_status()
    message = str(info.value)
    assert str(status) in message
    assert kind in message
    assert URL in message
    assert info.value.response is response
    assert info.value.request is request


def test_raise_for_status_without_request_still_raises() -> None:
    with pytest.raises(HTTPError, match="500"):
        Response(500).raise_for_status()


def test_url_without_request_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        _ = Response(200).url
    assert Response(200, request=Request("GET", URL)).url == Request("GET", URL).url


def test_links_are_parsed_from_the_link_header() -> None:
    response = Response(
        200,
        headers={
            "Link": '<https://api.test/items?page=2>; rel="next", '
            "<https://api.test/items?page=9>; rel=last"
        },
    )
    links = response.links
    assert links["next"]["url"] == "https://api.test/items?page=2"
    assert links["last"]["url"] == "https://api.test/items?page=9"
    assert set(links) == {"next", "last"}


def test_links_are_empty_without_a_link_header() -> None:
    assert Response(200).links == {}


def test_link_without_rel_is_keyed_by_url() -> None:
    assert Response(200, headers={"Link": "<https://a.test/x>"}).links == {
        "https://a.test/x": {"url": "https://a.test/x"}
    }


# -- Response: text and JSON ---------------------------------------------------


def test_text_uses_the_content_type_charset() -> None:
    body = "café".encode("iso-8859-1")
    response = Response(
        200, headers={"Content-Type": "text/plain; charset=ISO-8859-1"}, content=body
    )
    assert response.encoding == "ISO-8859-1"
    assert response.text == "café"


def test_explicit_encoding_overrides_the_header() -> None:
    body = "naïve".encode("cp1252")
    response = Response(200, headers={"Content-Type": "text/plain; charset=utf-8"}, content=body)
    response.encoding = "cp1252"
    assert response.text == "naïve"


def test_utf8_byte_order_mark_is_dropped() -> None:
    response = Response(200, content=codecs.BOM_UTF8 + "hé".encode())
    assert response.text == "hé"


def test_utf16_body_with_charset_decodes_its_bom() -> None:
    response = Response(
        200, headers={"Content-Type": "text/plain; charset=utf-16"}, content="hi ☃".encode("utf-16")
    )
    assert response.text == "hi ☃"


def test_text_defaults_to_utf8_without_charset() -> None:
    response = Response(200, headers={"Content-Type": "text/plain"}, content="zß☃".encode())
    assert response.encoding == "utf-8"
    assert response.text == "zß☃"


def test_undecodable_bytes_become_replacement_characters() -> None:
    assert Response(200, content=b"a\xffb").text == "a\ufffdb"


def test_empty_body_has_empty_text() -> None:
    assert Response(200, content=b"").text == ""


def test_callable_default_encoding_guesses_from_the_body() -> None:
    seen: list[bytes] = []

    def guess(body: bytes) -> str:
        seen.append(body)
        return "cp1252"

    body = "€uro".encode("cp1252")
    response = Response(200, content=body, default_encoding=guess)
    assert response.text == "€uro"
    assert response.encoding == "cp1252"
    assert seen == [body]


def test_callable_default_encoding_is_not_asked_when_the_header_names_one() -> None:
    def guess(body: bytes) -> str:
        raise AssertionError("must not be called")

    response = Response(
        200,
        headers={"Content-Type": "text/html; charset=utf-8"},
        content=b"ok",
        default_encoding=guess,
    )
    assert response.text == "ok"


def test_callable_default_encoding_waits_for_the_body() -> None:
    response = streamed([b"x"])
    response.default_encoding = lambda body: "ascii"
    assert response.encoding is None


def test_string_default_encoding_is_used_without_charset() -> None:
    body = "ñ".encode("latin-1")
    assert Response(200, content=body, default_encoding="latin-1").text == "ñ"


def test_json_parses_a_valid_body() -> None:
    response = Response(
        200, headers={"Content-Type": "application/json"}, content=b'{"a": [1, 2, null]}'
    )
    assert response.json() == {"a": [1, 2, None]}


def test_json_passes_keyword_arguments_to_the_parser() -> None:
    response = Response(200, content=b'{"x": 1.5}')
    assert response.json(parse_float=str) == {"x": "1.5"}


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-16", "utf-32", "utf-8"])
def test_json_detects_the_unicode_encoding_without_a_content_type(codec: str) -> None:
    body = json.dumps({"name": "Zoë ☃"}, ensure_ascii=False).encode(codec)
    assert Response(200, content=body).json() == {"name": "Zoë ☃"}


def test_json_detects_utf16_with_a_json_content_type_but_no_charset() -> None:
    body = json.dumps({"name": "Zoë"}, ensure_ascii=False).encode("utf-16-le")
    response = Response(200, headers={"Content-Type": "application/json"}, content=body)
    assert response.json() == {"name": "Zoë"}


def test_json_respects_an_explicit_charset() -> None:
    body = json.dumps({"v": "é"}, ensure_ascii=False).encode("latin-1")
    response = Response(
        200, headers={"Content-Type": "application/json; charset=latin-1"}, content=body
    )
    assert response.json() == {"v": "é"}


def test_invalid_json_raises_json_decode_error() -> None:
    request = Request("GET", URL)
    response = Response(200, content=b"{not json", request=request)
    with pytest.raises(trio_http.JSONDecodeError) as info:
        response.json()
    error = info.value
    assert isinstance(error, ValueError)
    assert isinstance(error, json.JSONDecodeError)
    assert error.response is response
    assert error.request is request
    assert error.doc == "{not json"


def test_empty_body_is_invalid_json() -> None:
    with pytest.raises(ValueError):
        Response(200, content=b"").json()


# -- Response: streamed bodies -------------------------------------------------


def test_content_of_an_unread_stream_raises_response_not_read() -> None:
    response = streamed([b"abc"])
    with pytest.raises(ResponseNotRead) as info:
        _ = response.content
    assert info.value.response is response
    with pytest.raises(ResponseNotRead):
        _ = response.text


async def test_aread_collects_the_body_and_closes_the_stream() -> None:
    stream = ChunkStream([b"ab", b"", b"cd"])
    response = Response(200, stream=stream)
    assert await response.aread() == b"abcd"
    assert response.content == b"abcd"
    assert response.is_closed
    assert response.is_stream_consumed
    assert response.num_bytes_downloaded == 4
    assert stream.close_calls == 1
    # A second read returns the buffered body.
    assert await response.aread() == b"abcd"


async def test_aiter_bytes_replays_content_that_was_read() -> None:
    response = streamed([b"hello ", b"world"])
    await response.aread()
    assert [chunk async for chunk in response.aiter_bytes()] == [b"hello world"]
    assert [chunk async for chunk in response.aiter_bytes(chunk_size=4)] == [
        b"hell",
        b"o wo",
        b"rld",
    ]


async def test_second_iteration_raises_stream_consumed() -> None:
    response = streamed([b"a", b"b"])
    assert [chunk async for chunk in response.aiter_bytes()] == [b"a", b"b"]
    with pytest.raises(StreamConsumedError):
        async for _ in response.aiter_bytes():
            pass
    with pytest.raises(StreamConsumedError):
        await response.aread()
    with pytest.raises(StreamConsumedError):
        async for _ in response.aiter_raw():
            pass


async def test_iteration_closes_the_stream_at_the_end() -> None:
    stream = ChunkStream([b"a"])
    response = Response(200, stream=stream)
    async for _ in response.aiter_bytes():
        pass
    assert response.is_closed
    assert stream.close_calls == 1


async def test_aclose_is_idempotent() -> None:
    stream = ChunkStream([b"unread"])
    response = Response(200, stream=stream)
    await response.aclose()
    await response.aclose()
    assert response.is_closed
    assert stream.close_calls == 1


async def test_aiter_bytes_exact_chunk_sizes() -> None:
    response = streamed([b"abcde", b"f", b"ghijklm"])
    chunks = [chunk async for chunk in response.aiter_bytes(chunk_size=3)]
    assert chunks == [b"abc", b"def", b"ghi", b"jkl", b"m"]


@given(
    body=st.binary(max_size=300),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=12),
    chunk_size=st.integers(min_value=1, max_value=40),
)
async def test_aiter_bytes_chunk_size_is_exact_however_the_body_arrives(
    body: bytes, cuts: list[int], chunk_size: int
) -> None:
    response = streamed(split_at(body, cuts))
    chunks = [chunk async for chunk in response.aiter_bytes(chunk_size=chunk_size)]
    assert b"".join(chunks) == body
    assert all(len(chunk) == chunk_size for chunk in chunks[:-1])
    if chunks:
        assert 0 < len(chunks[-1]) <= chunk_size


@given(
    body=st.binary(max_size=300),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=12),
    chunk_size=st.integers(min_value=1, max_value=40),
)
async def test_aiter_raw_chunk_size_is_exact(body: bytes, cuts: list[int], chunk_size: int) -> None:
    response = streamed(split_at(body, cuts))
    chunks = [chunk async for chunk in response.aiter_raw(chunk_size=chunk_size)]
    assert b"".join(chunks) == body
    assert all(len(chunk) == chunk_size for chunk in chunks[:-1])


async def test_aiter_text_decodes_characters_split_across_chunks() -> None:
    encoded = "€ and ☃".encode()
    response = streamed(
        [encoded[:1], encoded[1:2], encoded[2:7], encoded[7:]],
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    pieces = [text async for text in response.aiter_text()]
    assert "".join(pieces) == "€ and ☃"
    assert "\ufffd" not in "".join(pieces)


async def test_aiter_text_uses_the_charset() -> None:
    response = streamed(
        ["olé".encode("latin-1")], headers={"Content-Type": "text/plain; charset=latin-1"}
    )
    assert [text async for text in response.aiter_text()] == ["olé"]


async def test_aiter_lines_handles_crlf_split_across_chunks() -> None:
    response = streamed([b"one\r", b"\ntwo\n", b"thr", b"ee\r\n\nfour"])
    lines = [line async for line in response.aiter_lines()]
    assert lines == ["one", "two", "three", "", "four"]


_LINE_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
    max_size=12,
)


@given(
    lines=st.lists(st.tuples(_LINE_TEXT, st.sampled_from(["\n", "\r\n"])), max_size=8),
    tail=_LINE_TEXT,
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=10),
)
async def test_aiter_lines_is_independent_of_chunking(
    lines: list[tuple[str, str]], tail: str, cuts: list[int]
) -> None:
    body = ("".join(line + ending for line, ending in lines) + tail).encode()
    response = streamed(split_at(body, cuts))
    got = [line async for line in response.aiter_lines()]
    expected = [line for line, _ in lines] + ([tail] if tail else [])
    assert got == expected


async def test_aiter_raw_skips_decoding_while_aiter_bytes_decodes_gzip() -> None:
    payload = b"compressible " * 200
    encoded = gzip.compress(payload)
    halves = [encoded[: len(encoded) // 2], encoded[len(encoded) // 2 :]]
    headers = {"Content-Encoding": "gzip"}

    raw = streamed(halves, headers=headers)
    assert b"".join([chunk async for chunk in raw.aiter_raw()]) == encoded
    assert raw.num_bytes_downloaded == len(encoded)

    decoded = streamed(halves, headers=headers)
    assert b"".join([chunk async for chunk in decoded.aiter_bytes()]) == payload
    assert decoded.num_bytes_downloaded == len(encoded)

    read = streamed(halves, headers=headers)
    assert await read.aread() == payload


async def test_gzip_body_in_exact_chunks() -> None:
    payload = bytes(range(256)) * 10
    response = streamed([gzip.compress(payload)], headers={"Content-Encoding": "gzip"})
    chunks = [chunk async for chunk in response.aiter_bytes(chunk_size=1000)]
    assert [len(chunk) for chunk in chunks] == [1000, 1000, 560]
    assert b"".join(chunks) == payload


def test_content_given_up_front_is_read_and_closed() -> None:
    response = Response(200, content="héllo")
    assert response.content == "héllo".encode()
    assert response.is_closed
    assert response.is_stream_consumed


def test_repr_shows_status_and_reason() -> None:
    assert repr(Response(404)) == "<Response [404 Not Found]>"
    assert repr(Request("get", URL)) == f"<Request('GET', '{URL}')>"
