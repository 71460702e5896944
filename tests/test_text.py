from __future__ import annotations

import codecs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http._text import (
    LineDecoder,
    TextDecoder,
    decode_text,
    guess_encoding,
    has_explicit_charset,
    text_encoding_from_content_type,
)

# -- text -----------------------------------------------------------------


def test_text_decoder_holds_back_split_characters() -> None:
    decoder = TextDecoder("utf-8")
    data = "héllo €".encode()
    assert decoder.decode(data[:2]) == "h"
    assert decoder.decode(data[2:-1]) == "éllo "
    assert decoder.decode(data[-1:]) == "€"
    assert decoder.flush() == ""


def test_text_decoder_replaces_bad_bytes_and_strips_bom() -> None:
    decoder = TextDecoder("UTF8")
    assert decoder.decode(b"\xef\xbb\xbfa\xff") == "a\ufffd"
    decoder = TextDecoder("utf-8")
    decoder.decode(b"a")
    assert decoder.decode(b"\xe2\x82") == ""
    assert decoder.flush() == "\ufffd"


def test_text_decoder_unknown_encoding_falls_back_to_utf8() -> None:
    assert TextDecoder("no-such-codec").decode("é".encode()) == "é"
    assert TextDecoder("latin-1").decode(b"\xe9") == "é"


def test_decode_text() -> None:
    assert decode_text(b"\xef\xbb\xbfhi", "utf-8") == "hi"
    assert decode_text(b"\xe9", "bogus") == "\ufffd"
    assert decode_text(b"\xe9", "iso-8859-1") == "é"
    assert decode_text(b"\xef\xbb\xbfhi", "latin-1") == "ï»¿hi"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xef\xbb\xbfhi", "utf-8-sig"),
        ("hi".encode("utf-16"), "utf-16"),
        ("hi".encode("utf-16-be"), "ascii"),
        (b"\xfe\xff\x00h", "utf-16"),
        ("hi".encode("utf-32"), "utf-32"),
        (b"\x00\x00\xfe\xff\x00\x00\x00h", "utf-32"),
        (b"plain", "ascii"),
        (b"", "ascii"),
        ("naïve".encode(), "utf-8"),
        ("naïve".encode("latin-1"), "windows-1252"),
    ],
)
def test_guess_encoding(content: bytes, expected: str) -> None:
    assert guess_encoding(content) == expected


@pytest.mark.parametrize(
    "raw",
    [
        codecs.BOM_UTF8 + "hé".encode(),
        codecs.BOM_UTF16_LE + "hé".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "hé".encode("utf-16-be"),
        codecs.BOM_UTF32_BE + "hé".encode("utf-32-be"),
    ],
)
def test_guessed_bom_encodings_drop_the_mark(raw: bytes) -> None:
    assert decode_text(raw, guess_encoding(raw)) == "hé"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("text/html; charset=UTF-8", "UTF-8"),
        ("text/html;charset=utf-8", "utf-8"),
        ('text/html; CHARSET="iso-8859-1"', "iso-8859-1"),
        ('text/plain; format="a;b"; charset=latin-1', "latin-1"),
        ("text/plain; charset=", None),
        ("text/plain; charset=no-such-codec", None),
        ("text/plain", None),
        ("application/json", "utf-8"),
        ("Application/JSON ; foo=bar", "utf-8"),
        ("application/problem+json", "utf-8"),
        ("application/json; charset=utf-16", "utf-16"),
        ("application/octet-stream", None),
    ],
)
def test_text_encoding_from_content_type(value: str | None, expected: str | None) -> None:
    assert text_encoding_from_content_type(value) == expected


# -- lines ----------------------------------------------------------------


def test_line_decoder_splits_every_line_ending() -> None:
    lines = LineDecoder()
    assert lines.decode("a\nb\r\nc\rd") == ["a", "b", "c"]
    assert lines.flush() == ["d"]
    assert lines.flush() == []


def test_line_decoder_joins_cr_and_lf_across_chunks() -> None:
    lines = LineDecoder()
    assert lines.decode("a\r") == ["a"]
    assert lines.decode("\nb\n") == ["b"]
    assert lines.decode("\n") == [""]
    assert lines.flush() == []


def test_line_decoder_keeps_empty_lines() -> None:
    lines = LineDecoder()
    assert lines.decode("a\n\n\r\n\rb") == ["a", "", "", ""]
    assert lines.flush() == ["b"]


@given(
    text=st.text(alphabet=st.sampled_from(["a", "b", "\r", "\n", " ", "é"]), max_size=60),
    cuts=st.lists(st.integers(0, 60), max_size=10),
)
def test_line_decoder_ignores_how_text_is_split(text: str, cuts: list[int]) -> None:
    whole = LineDecoder()
    expected = whole.decode(text) + whole.flush()
    points = sorted({min(cut, len(text)) for cut in cuts})
    lines = LineDecoder()
    got = []
    start = 0
    for point in [*points, len(text)]:
        got += lines.decode(text[start:point])
        start = point
    got += lines.flush()
    assert got == expected
    normalized = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if normalized[-1] == "":
        normalized.pop()
    assert expected == normalized
    assert all("\r" not in line and "\n" not in line for line in got)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        ("application/json", False),
        ("application/json; charset=utf-16", True),
        ('text/plain; charset="latin-1"', True),
        ("text/plain; charset=", False),
        ("text/plain; charset=no-such-codec", False),
        ('text/plain; note="charset=utf-8"', False),
    ],
)
def test_has_explicit_charset_ignores_media_type_defaults(
    value: str | None, expected: bool
) -> None:
    assert has_explicit_charset(value) is expected
