from __future__ import annotations

from trio_http._header_params import parse_link_header, split_params, unquote_param

# -- Link -----------------------------------------------------------------


def test_parse_link_header() -> None:
    value = (
        '<https://api.example.org/items?page=2>; rel="next", '
        '<https://api.example.org/items?page=9>; REL=last; title="a, b; c"'
    )
    assert parse_link_header(value) == [
        {"url": "https://api.example.org/items?page=2", "rel": "next"},
        {"url": "https://api.example.org/items?page=9", "rel": "last", "title": "a, b; c"},
    ]


def test_parse_link_header_is_tolerant() -> None:
    assert parse_link_header("") == []
    assert parse_link_header(" , ") == []
    assert parse_link_header("<a,b>") == [{"url": "a,b"}]
    assert parse_link_header("http://x/; rel=next") == [{"url": "http://x/", "rel": "next"}]
    assert parse_link_header("<http://x/>; rel; type='text/html'") == [
        {"url": "http://x/", "rel": "", "type": "text/html"}
    ]


def test_split_params_keeps_quoted_semicolons() -> None:
    assert split_params('text/plain; a="x;y"; b=2') == ["text/plain", ' a="x;y"', " b=2"]
    assert split_params('a; b="\\";"; c') == ["a", ' b="\\";"', " c"]
    assert split_params("plain") == ["plain"]


def test_unquote_param_strips_quotes_and_escapes() -> None:
    assert unquote_param(' "a\\"b\\\\c" ') == 'a"b\\c'
    assert unquote_param(" token ") == "token"
    assert unquote_param('"') == '"'
