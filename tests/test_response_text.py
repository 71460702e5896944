"""A response body read as text and JSON."""

from __future__ import annotations

import codecs
import json

import pytest
from bodies import streamed

import trio_http
from trio_http import Request, Response

URL = "https://example.org/path"

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
