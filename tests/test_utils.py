"""trio_http.utils against requests.utils: the same inputs, the same answers.

Each helper is run on the same inputs as requests' own. Where trio_http
answers differently on purpose (its URL, NO_PROXY, header and netrc rules),
a test named ``..._differs_...`` pins trio_http's answer beside requests'.
"""

from __future__ import annotations

import http.cookiejar
import io
import json
import os
import pathlib
import sys
import urllib.parse
import warnings
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
import requests
import requests.utils as requests_utils
from hypothesis import given
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict as RequestsCaseInsensitiveDict

import trio_http
from trio_http import utils
from trio_http.structures import CaseInsensitiveDict


def outcome(function: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    """``("ok", result)`` or ``("raises", the exception's class name)``, warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ("ok", function(*args))
        except Exception as exc:
            return ("raises", type(exc).__name__)


def same(name: str, *args: Any) -> None:
    """trio_http's and requests' helper ``name`` agree on ``args``."""
    assert outcome(getattr(utils, name), *args) == outcome(getattr(requests_utils, name), *args)


@pytest.fixture
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment without any proxy variable (CGI's REQUEST_METHOD included)."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
            monkeypatch.delenv(name)
    return monkeypatch


# -- URLs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "http://example.com/a b",
        "http://example.com/%7E%41%2F%2f",
        "http://x/é?q=ü#f g",
        "http://x/%zz",
        'http://x/<>"{}|\\^`',
        "http://[::1]:80/p?a=[1]&b=$!'()*+,;=:@",
        "http://x/%e9%C3%A9",
        "http://user:p%40ss@x/",
        "",
        "relative/path?x=1 2",
    ],
)
def test_requote_uri_matches_requests(uri: str) -> None:
    same("requote_uri", uri)


@pytest.mark.parametrize(
    ("uri", "ours", "theirs"),
    [
        # A "%" that starts no escape is encoded, never left half-made.
        ("http://x/a%2", "http://x/a%252", "http://x/a%2"),
        ("http://x/%%41", "http://x/%25A", "http://x/%A"),
    ],
)
def test_requote_uri_differs_on_a_stray_percent(uri: str, ours: str, theirs: str) -> None:
    assert utils.requote_uri(uri) == ours
    assert requests_utils.requote_uri(uri) == theirs


def test_quote_unquote_and_urlparse_are_the_standard_librarys() -> None:
    assert utils.quote is urllib.parse.quote is requests_utils.quote
    assert utils.unquote is urllib.parse.unquote is requests_utils.unquote
    assert utils.urlparse is urllib.parse.urlparse
    assert utils.urlunparse is urllib.parse.urlunparse


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pass@example.com/path#frag",
        "http://a.com/p;x?q=1#f",
        "http://u@h/",
        "https://h:8443/p?x#",
        "http://h/p",
        "http://[::1]:8080/a#x",
        "https://user@[fe80::1]/a?b#c",
    ],
)
def test_urldefragauth_matches_requests(url: str) -> None:
    same("urldefragauth", url)


def test_urldefragauth_differs_by_normalising_the_host() -> None:
    url = "http://user:pass@Example.COM/path#frag"
    assert utils.urldefragauth(url) == "http://example.com/path"
    assert requests_utils.urldefragauth(url) == "http://Example.COM/path"


@pytest.mark.parametrize(
    "url",
    [
        "example.com/path",
        "//u:p@example.com/path",
        "//example.com/path",
        "scheme:u:p@example.com/path",
        "user@host/p#frag",
        "/abs/path?q#f",
        "host?q=1#f",
        "?q",
        "#f",
        "",
    ],
)
def test_urldefragauth_reads_a_url_without_slashes_as_requests_does(url: str) -> None:
    # Without "//", what follows the scheme is read as host and path.
    same("urldefragauth", url)


@pytest.mark.parametrize(
    "uri",
    [
        "http://x/%7E%41%2F%2f",
        "%%41",
        "%2",
        "%e9%C3%A9",
        "%-1",
        "%_1",
        "a%2fb%7e%5F",
        "%zz",
        "%G1",
        "%é1",
        "no escapes",
        "",
    ],
)
def test_unquote_unreserved_matches_requests(uri: str) -> None:
    same("unquote_unreserved", uri)


def test_unquote_unreserved_refuses_an_escape_that_is_not_hexadecimal() -> None:
    with pytest.raises(trio_http.InvalidURL, match="%zz"):
        utils.unquote_unreserved("http://x/%zz")


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pass@host/",
        "http://user:@host/",
        "http://%40u:p%3Aw@host/",
        "http://host/",
        "http://:p@h/",
        "https://us%20er:p%C3%A4ss@[::1]:8443/",
    ],
)
def test_get_auth_from_url_matches_requests(url: str) -> None:
    same("get_auth_from_url", url)


def test_get_auth_from_url_differs_for_a_user_without_password() -> None:
    # trio_http sends the user with an empty password (RFC 7617 allows it).
    assert utils.get_auth_from_url("http://user@host/") == ("user", "")
    assert requests_utils.get_auth_from_url("http://user@host/") == ("", "")


@pytest.mark.parametrize(
    "url",
    [
        "example.com",
        "example.com:8080",
        "example.com/path?q=1#f",
        "//example.com/x",
        "https://x.org",
        "[::1]:8080",
        "http://[::1]:8080/a",
        "socks5://h:1080",
        "host/",
    ],
)
def test_prepend_scheme_if_needed_matches_requests(url: str) -> None:
    same("prepend_scheme_if_needed", url, "http")


@pytest.mark.parametrize(
    ("url", "theirs"),
    [
        ("localhost:3128", "localhost:///3128"),
        ("user:pw@proxy:8080/p", "user:///pw@proxy:8080/p"),
    ],
)
def test_prepend_scheme_if_needed_differs_on_host_and_port(url: str, theirs: str) -> None:
    # A bare "host:port" is a proxy address, as trio_http reads proxies=.
    assert utils.prepend_scheme_if_needed(url, "http") == f"http://{url}"
    assert requests_utils.prepend_scheme_if_needed(url, "http") == theirs


# -- headers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        ("X-A", "v"),
        ("X-A", ""),
        ("X-A", b"v"),
        (b"X-A", b"v"),
        ("X-A", "é"),
        ("X-A", "a\r\nb"),
        ("X-A", "a\nb"),
        ("X-A", " v"),
        ("X-A", "\tv"),
        ("X-A", b" v"),
        ("", "v"),
        (":x", "v"),
        ("X-A", 5),
        (None, "v"),
    ],
)
def test_check_header_validity_matches_requests(header: tuple[Any, Any]) -> None:
    ours = outcome(utils.check_header_validity, header)
    theirs = outcome(requests_utils.check_header_validity, header)
    assert ours == theirs
    if ours[0] == "raises":
        with pytest.raises(trio_http.InvalidHeader):
            utils.check_header_validity(header)


@pytest.mark.parametrize(
    ("header", "valid_here"),
    [
        # Refused: names are RFC 9110 tokens, values hold no control character.
        (("X A", "v"), False),
        (("Ä", "v"), False),
        (("X-A", "a\x00b"), False),
        (("X-A", "a\x1bb"), False),
    ],
)
def test_check_header_validity_differs_with_trio_http_header_rules(
    header: tuple[str, str], valid_here: bool
) -> None:
    assert (outcome(utils.check_header_validity, header)[0] == "ok") is valid_here
    assert (outcome(requests_utils.check_header_validity, header)[0] == "ok") is not valid_here


@pytest.mark.parametrize(
    ("value", "encoding"), [("T", "ascii"), (b"T", "ascii"), (b"\xc3\xa9", "utf-8")]
)
def test_to_native_string_matches_requests(value: str | bytes, encoding: str) -> None:
    same("to_native_string", value, encoding)
    assert isinstance(utils.to_native_string(value, encoding), str)


def test_to_native_string_refuses_bytes_outside_the_encoding() -> None:
    assert outcome(utils.to_native_string, b"\xff") == outcome(
        requests_utils.to_native_string, b"\xff"
    )
    with pytest.raises(UnicodeDecodeError):
        utils.to_native_string(b"\xff")


@pytest.mark.parametrize(
    "value",
    ['"abc"', "abc", '"a\\\\b"', '"a\\"b"', '"\\\\\\\\server\\\\share"', '""', '"', ' "a" ', ""],
)
@pytest.mark.parametrize("is_filename", [False, True])
def test_unquote_header_value_matches_requests(value: str, is_filename: bool) -> None:
    same("unquote_header_value", value, is_filename)


@pytest.mark.parametrize(
    "value",
    [
        'token, "quoted value"',
        'a, "b, c", d',
        "",
        "a,,b",
        " a , b ",
        'x="1", y',
        '"a\\"b", "c\\\\d"',
        "gzip;q=1.0, identity; q=0.5, *;q=0",
    ],
)
def test_parse_list_header_matches_requests(value: str) -> None:
    same("parse_list_header", value)


def test_parse_list_header_differs_on_a_quoted_quoted_string() -> None:
    # The item is the text '"q"' with its quotes; requests strips them twice.
    assert utils.parse_list_header('"\\"q\\""') == ['"q"']
    assert requests_utils.parse_list_header('"\\"q\\""') == ["q"]


@pytest.mark.parametrize(
    "value",
    [
        'foo="is a fish", bar="as well"',
        "key_without_value",
        'a=1, b="x,y", c',
        "a=",
        'a="", b=""',
        'realm="x", nonce="abc", qop="auth,auth-int"',
        "=x",
        'a="b\\"c"',
    ],
)
def test_parse_dict_header_matches_requests(value: str) -> None:
    same("parse_dict_header", value)


_TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~"
_tokens = st.text(_TOKEN_CHARS, min_size=1, max_size=10)
# Printable ASCII, quotes and backslashes included: they are escaped below.
_texts = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)


def quoted(text: str) -> str:
    """``text`` as an RFC 9110 quoted-string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrapped_in_quotes(text: str) -> bool:
    """Text requests would unquote a second time (a lone '"' included)."""
    return text[:1] == text[-1:] == '"'


@given(st.lists(st.one_of(_tokens, _texts.map(lambda text: ("quoted", text))), max_size=6))
def test_list_header_round_trips_like_requests(items: list[str | tuple[str, str]]) -> None:
    rendered = [quoted(item[1]) if isinstance(item, tuple) else item for item in items]
    expected = [item[1] if isinstance(item, tuple) else item for item in items]
    header = ", ".join(rendered)
    assert utils.parse_list_header(header) == expected
    if not any(wrapped_in_quotes(text) for text in expected):
        assert requests_utils.parse_list_header(header) == expected


@given(st.dictionaries(_tokens, st.one_of(st.none(), _tokens, _texts), max_size=6))
def test_dict_header_round_trips_like_requests(pairs: dict[str, str | None]) -> None:
    header = ", ".join(
        name if value is None else f"{name}={quoted(value)}" for name, value in pairs.items()
    )
    assert utils.parse_dict_header(header) == pairs
    if not any(value is not None and wrapped_in_quotes(value) for value in pairs.values()):
        assert requests_utils.parse_dict_header(header) == pairs


@pytest.mark.parametrize(
    "value",
    [
        '<http://a/b>; rel="next"; type="text/html", <http://c>; rel=last',
        "",
        "<http://a>",
        "<http://a/?x=1,2>; rel=next",
        "<http://a>; rel='x'",
        ' <http://a> ; rel = "next" ',
        '<https://api.example.com/items?page=2>; rel="next", '
        '<https://api.example.com/items?page=9>; rel="last"',
    ],
)
def test_parse_header_links_matches_requests(value: str) -> None:
    same("parse_header_links", value)


_url_chars = "abcdefghijklmnopqrstuvwxyz0123456789:/.?&=-_~%"
_links = st.lists(
    st.tuples(
        st.text(_url_chars, min_size=1, max_size=20),
        st.dictionaries(
            st.sampled_from(["rel", "type", "title", "anchor", "hreflang"]),
            st.tuples(
                st.text("abcdefghijklmnopqrstuvwxyz0123456789/+-.", min_size=1), st.booleans()
            ),
            max_size=3,
        ),
    ),
    max_size=4,
)


@given(_links)
def test_link_header_round_trips_like_requests(
    links: list[tuple[str, dict[str, tuple[str, bool]]]],
) -> None:
    header = ", ".join(
        "; ".join(
            [f"<{url}>"]
            + [
                f'{name}="{value}"' if quote else f"{name}={value}"
                for name, (value, quote) in params.items()
            ]
        )
        for url, params in links
    )
    expected = [
        {"url": url} | {name: value for name, (value, _) in params.items()} for url, params in links
    ]
    assert utils.parse_header_links(header) == expected
    assert requests_utils.parse_header_links(header) == expected


def test_parse_header_links_differs_by_lower_casing_names_and_keeping_bare_ones() -> None:
    value = "<http://a>; REL=next; crossorigin; type=x"
    assert utils.parse_header_links(value) == [
        {"url": "http://a", "rel": "next", "crossorigin": "", "type": "x"}
    ]
    assert requests_utils.parse_header_links(value) == [{"url": "http://a", "REL": "next"}]


# -- encodings -------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html; charset=UTF-8",
        'text/html; charset="utf-8"',
        "text/html; charset='cp1252'",
        "text/plain",
        "application/json",
        "application/json; charset=latin-1",
        "application/octet-stream",
        "multipart/form-data; boundary=x; charset=utf-8",
        "text/html;charset=x-unknown",
        "",
        "image/png; foo=bar",
    ],
)
def test_get_encoding_from_headers_matches_requests(content_type: str) -> None:
    ours = utils.get_encoding_from_headers(CaseInsensitiveDict({"Content-Type": content_type}))
    theirs = requests_utils.get_encoding_from_headers(
        RequestsCaseInsensitiveDict({"Content-Type": content_type})
    )
    assert ours == theirs


def test_get_encoding_from_headers_reads_trio_http_headers_and_no_content_type() -> None:
    assert utils.get_encoding_from_headers(trio_http.Headers({"content-type": "text/x"})) == (
        "ISO-8859-1"
    )
    assert utils.get_encoding_from_headers(trio_http.Headers()) is None


@pytest.mark.parametrize(
    ("content_type", "ours", "theirs"),
    [
        # JSON types are UTF-8 (RFC 8259), +json suffixes included.
        ("application/vnd.api+json", "utf-8", None),
        # Media types ignore case (RFC 9110 §8.3.1).
        ("TEXT/HTML", "ISO-8859-1", None),
    ],
)
def test_get_encoding_from_headers_differs_on_media_types(
    content_type: str, ours: str, theirs: str | None
) -> None:
    headers = {"content-type": content_type}
    assert utils.get_encoding_from_headers(headers) == ours
    assert requests_utils.get_encoding_from_headers(headers) == theirs  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "content",
    [
        '<meta charset="utf-8">',
        '<html><head><meta http-equiv="Content-Type" '
        'content="text/html; charset=ISO-8859-1"></head>',
        '<?xml version="1.0" encoding="UTF-8"?><a/>',
        "<META CHARSET='windows-1252'>",
        "<p>no meta</p>",
        '<meta name="x">\n<meta charset="koi8-r">',
        '<?xml version="1.0" encoding="ISO-8859-2"?><meta charset="utf-8">',
    ],
)
def test_get_encodings_from_content_matches_requests_and_is_deprecated(content: str) -> None:
    with pytest.warns(DeprecationWarning):
        ours = utils.get_encodings_from_content(content)
    with pytest.warns(DeprecationWarning):
        theirs = requests_utils.get_encodings_from_content(content)
    assert ours == theirs


def test_get_encodings_from_content_differs_by_reading_only_the_value() -> None:
    with pytest.warns(DeprecationWarning):
        assert utils.get_encodings_from_content("<meta charset=utf-8 />") == ["utf-8"]
    with pytest.warns(DeprecationWarning):
        assert requests_utils.get_encodings_from_content("<meta charset=utf-8 />") == ["utf-8 /"]


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=6,
)
_json_codecs = [
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "utf-32-le",
    "utf-32-be",
]


@given(_json_values, st.sampled_from(_json_codecs))
def test_guess_json_utf_matches_requests(value: object, codec: str) -> None:
    text = json.dumps(value)
    if len(text) < 2:  # JSON texts start with two ASCII characters; "1" does not.
        text = f" {text}"
    data = text.encode(codec)
    assert utils.guess_json_utf(data) == requests_utils.guess_json_utf(data)
    assert json.loads(data.decode(utils.guess_json_utf(data))) == value


@pytest.mark.parametrize(
    "data",
    [b"\x00\x00\x00\x00", b"a\x00\x00b", b"\x00a", b"\x00", b"", b"a\x00b", b"\x00\x00a\x00"],
)
def test_guess_json_utf_matches_requests_on_bytes_no_utf_explains(data: bytes) -> None:
    same("guess_json_utf", data)


@pytest.mark.parametrize("data", [b"\x00\x00\x00\x00", b"a\x00\x00b", b"\x00\x00a\x00"])
def test_guess_json_utf_says_none_where_json_loads_still_guesses(data: bytes) -> None:
    assert utils.guess_json_utf(data) is None
    assert json.detect_encoding(data) is not None


def requests_response(content: bytes, encoding: str | None) -> requests.Response:
    response = requests.Response()
    response._content = content
    response.encoding = encoding
    return response


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1", "utf-16-le", "shift_jis"])
@pytest.mark.parametrize("chunk_size", [1, 2, 3, 1000])
def test_stream_decode_response_unicode_matches_requests(encoding: str, chunk_size: int) -> None:
    body = "héllo wörld ✓ 日本".encode(encoding, errors="replace") + b"\xff"
    chunks = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
    ours = trio_http.Response(200, content=body)
    ours.encoding = encoding
    theirs = requests_response(body, encoding)
    assert "".join(utils.stream_decode_response_unicode(chunks, ours)) == "".join(  # type: ignore[arg-type]
        requests_utils.stream_decode_response_unicode(iter(chunks), theirs)  # type: ignore[arg-type]
    )


def test_stream_decode_response_unicode_passes_bytes_without_an_encoding() -> None:
    # A guessed encoding needs the body, so a response being streamed has none yet.
    unread = trio_http.Response(200, default_encoding=lambda content: "ascii")
    assert unread.encoding is None
    chunks = [b"a", b"\xff"]
    assert list(utils.stream_decode_response_unicode(chunks, unread)) == chunks
    assert (
        list(requests_utils.stream_decode_response_unicode(chunks, requests_response(b"", None)))
        == chunks
    )


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html; charset=utf-8", "héllo".encode()),
        ("text/plain", "héllo".encode("latin-1")),
        ("application/json", b'{"a": "\xc3\xa9"}'),
        ("application/octet-stream", b"bad \xff utf-8"),
        ("text/html; charset=utf-8", b"bad \xff utf-8"),
    ],
)
def test_get_unicode_from_response_matches_requests(content_type: str, body: bytes) -> None:
    ours = trio_http.Response(200, headers={"Content-Type": content_type}, content=body)
    theirs = requests_response(body, None)
    theirs.headers = RequestsCaseInsensitiveDict({"Content-Type": content_type})
    with pytest.warns(DeprecationWarning):
        ours_text = utils.get_unicode_from_response(ours)
    with pytest.warns(DeprecationWarning):
        theirs_text = requests_utils.get_unicode_from_response(theirs)
    assert ours_text == theirs_text


# -- proxies and networks ----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "no_proxy"),
    [
        ("http://example.com/", "example.com"),
        ("http://sub.example.com/", "example.com"),
        ("http://notexample.com/", "example.com"),
        ("http://sub.example.com/", ".example.com"),
        ("http://example.com/", ".example.com"),
        ("http://example.com:8080/", "example.com:8080"),
        ("http://example.com/", "example.com:8080"),
        ("http://example.com:8080/", "example.com"),
        ("http://EXAMPLE.com/", "example.COM"),
        ("http://example.com/", "other.org, example.com"),
        ("http://a.b.c/", "b.c , d.e"),
        ("http://example.com:80/", "example.com:80"),
        ("http://192.168.1.5/", "192.168.1.0/24"),
        ("http://192.168.2.5/", "192.168.1.0/24"),
        ("http://10.0.0.1/", "10.0.0.1"),
        ("http://10.0.0.1:8080/", "10.0.0.1"),
        ("http://10.0.0.1/", "10.0.0.0/8,localhost"),
        ("http://1.2.3.4/", "1.2.3.0/33"),
        ("http://1.2.3.4/", "garbage/x"),
        ("http://[::1]/", "::1"),
        ("http://[::1]:8080/", "::1"),
        ("http://localhost/", "localhost,127.0.0.1"),
        ("http://localhost:5000/", "localhost"),
        ("http://x.y/", "*"),
        ("http://example.com/", ""),
        ("https://example.com/", "example.com"),
        ("ftp://example.com/", "example.com"),
        ("ftp://example.com:21/", "example.com:21"),
        ("file:///tmp/x", "example.com"),
    ],
)
def test_should_bypass_proxies_matches_requests(
    url: str, no_proxy: str, no_proxy_environment: pytest.MonkeyPatch
) -> None:
    same("should_bypass_proxies", url, no_proxy)


@pytest.mark.parametrize(
    ("url", "no_proxy"),
    [
        ("http://[::1]:8080/", "[::1]"),  # a bracketed IPv6 entry
        ("http://[fd00::5]/", "fd00::/8"),  # an IPv6 network
        ("http://x.y/", "*,foo"),  # "*" among other entries
        ("http://a.example.com/", "*.example.com"),  # a wildcard subdomain entry
        ("http://example.com/", "example.com:80"),  # the scheme's default port
    ],
)
def test_should_bypass_proxies_differs_on_entries_requests_ignores(
    url: str, no_proxy: str, no_proxy_environment: pytest.MonkeyPatch
) -> None:
    assert utils.should_bypass_proxies(url, no_proxy) is True
    assert not requests_utils.should_bypass_proxies(url, no_proxy)


@pytest.mark.parametrize("name", ["no_proxy", "NO_PROXY"])
def test_should_bypass_proxies_reads_no_proxy_from_the_environment(
    name: str, no_proxy_environment: pytest.MonkeyPatch
) -> None:
    no_proxy_environment.setenv(name, "example.com")
    for url in ("http://example.com/", "http://other.org/"):
        same("should_bypass_proxies", url, None)
    assert utils.should_bypass_proxies("http://example.com/", None)
    assert not utils.should_bypass_proxies("http://example.com/", "")


def test_lower_case_no_proxy_wins_like_in_requests(
    no_proxy_environment: pytest.MonkeyPatch,
) -> None:
    no_proxy_environment.setenv("NO_PROXY", "example.com")
    no_proxy_environment.setenv("no_proxy", "other.org")
    for url in ("http://example.com/", "http://other.org/"):
        same("should_bypass_proxies", url, None)


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"HTTP_PROXY": "http://proxy:3128"},
        {"http_proxy": "http://user:p%40ss@proxy:3128", "https_proxy": "http://sproxy:3129"},
        {"HTTPS_PROXY": "socks5h://socks.local:1080", "NO_PROXY": "example.com"},
        {"https_proxy": "http://[::1]:8080"},
    ],
)
@pytest.mark.parametrize("url", ["http://example.com/", "https://example.com/x"])
def test_get_environ_proxies_matches_requests(
    environment: dict[str, str], url: str, no_proxy_environment: pytest.MonkeyPatch
) -> None:
    for name, value in environment.items():
        no_proxy_environment.setenv(name, value)
    same("get_environ_proxies", url)
    same("get_environ_proxies", url, "example.com")


def test_get_environ_proxies_differs_by_folding_all_proxy_in(
    no_proxy_environment: pytest.MonkeyPatch,
) -> None:
    # ALL_PROXY serves the schemes the client sends, as the client routes them;
    # it is also listed under "all", as in requests.
    no_proxy_environment.setenv("HTTP_PROXY", "http://proxy:3128")
    no_proxy_environment.setenv("ALL_PROXY", "socks5://socks:1080")
    url = "http://example.com/"
    assert utils.get_environ_proxies(url) == {
        "http": "http://proxy:3128",
        "https": "socks5://socks:1080",
        "all": "socks5://socks:1080",
    }
    assert requests_utils.get_environ_proxies(url) == {
        "http": "http://proxy:3128",
        "all": "socks5://socks:1080",
    }


@pytest.mark.parametrize(
    "environment",
    [
        {"https_proxy": "http://[::1]:8080", "no_proxy": "other.org"},
        {"NO_PROXY": "other.org"},
        {"no_proxy": "other.org", "NO_PROXY": "ignored.org"},
    ],
)
def test_get_environ_proxies_lists_no_proxy_under_no_like_requests(
    environment: dict[str, str], no_proxy_environment: pytest.MonkeyPatch
) -> None:
    for name, value in environment.items():
        no_proxy_environment.setenv(name, value)
    same("get_environ_proxies", "https://example.com/")
    assert utils.get_environ_proxies("https://example.com/")["no"] == "other.org"
    same("get_environ_proxies", "https://other.org/")
    assert utils.get_environ_proxies("https://other.org/") == {}


def test_get_environ_proxies_ignores_upper_case_http_proxy_in_cgi(
    no_proxy_environment: pytest.MonkeyPatch,
) -> None:
    no_proxy_environment.setenv("REQUEST_METHOD", "GET")
    no_proxy_environment.setenv("HTTP_PROXY", "http://attacker:3128")
    same("get_environ_proxies", "http://example.com/")
    assert utils.get_environ_proxies("http://example.com/") == {}


@pytest.mark.parametrize("value", ["set here", None])
@pytest.mark.parametrize("existing", ["was set", None])
def test_set_environ_sets_and_restores_like_requests(
    value: str | None, existing: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "TRIO_HTTP_TEST_SET_ENVIRON"
    for helper in (utils.set_environ, requests_utils.set_environ):
        if existing is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, existing)
        before = dict(os.environ)
        with helper(name, value):
            assert os.environ.get(name) == (existing if value is None else value)
        assert dict(os.environ) == before


def test_set_environ_restores_when_the_block_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    name = "TRIO_HTTP_TEST_SET_ENVIRON"
    monkeypatch.delenv(name, raising=False)
    with pytest.raises(KeyError), utils.set_environ(name, "x"):
        raise KeyError("in the block")
    assert name not in os.environ


_PROXIES = {
    "http": "H",
    "https": "S",
    "all": "A",
    "http://special.com": "SP",
    "no_proxy": "x.com",
}


@pytest.mark.parametrize(
    "url",
    [
        "http://x.com/",
        "https://x.com/",
        "ftp://x.com/",
        "http://special.com/",
        "https://special.com/",
        "http://special.com:8080/",
        "file:///x",
    ],
)
@pytest.mark.parametrize(
    "proxies",
    [_PROXIES, {"all": "A"}, {"https": "S"}, {}, None, {"http": None, "all": "A"}],
)
def test_select_proxy_matches_requests(url: str, proxies: dict[str, str | None] | None) -> None:
    same("select_proxy", url, proxies)


def test_select_proxy_differs_by_preferring_a_host_to_a_scheme() -> None:
    # The most specific key wins, as the client routes proxies= itself.
    proxies = {"https": "S", "all://allhost.com": "AH"}
    assert utils.select_proxy("https://allhost.com/", proxies) == "AH"
    assert requests_utils.select_proxy("https://allhost.com/", proxies) == "S"


def test_select_proxy_takes_trio_http_mount_patterns() -> None:
    proxies = {"all://*.corp.example": "C", "http://*:8080": "P", "all": "A"}
    assert utils.select_proxy("https://db.corp.example/", proxies) == "C"
    assert utils.select_proxy("http://other.org:8080/", proxies) == "P"
    assert utils.select_proxy("http://other.org/", proxies) == "A"


@pytest.mark.parametrize(
    ("ip", "net"),
    [
        ("192.168.1.1", "192.168.1.0/24"),
        ("192.168.1.1", "192.168.100.0/24"),
        ("10.1.2.3", "10.0.0.0/8"),
        ("1.2.3.4", "1.2.3.4/32"),
        ("1.2.3.4", "0.0.0.0/1"),
        ("200.2.3.4", "0.0.0.0/1"),
    ],
)
def test_address_in_network_matches_requests(ip: str, net: str) -> None:
    same("address_in_network", ip, net)


def test_address_in_network_differs_by_knowing_ipv6() -> None:
    assert utils.address_in_network("fd00::5", "fd00::/8")
    assert not utils.address_in_network("::1", "10.0.0.0/8")
    assert outcome(requests_utils.address_in_network, "fd00::5", "fd00::/8")[0] == "raises"


@pytest.mark.parametrize("text", ["1.2.3.4", "256.1.1.1", "::1", "abc", "", "255.255.255.255"])
def test_is_ipv4_address_matches_requests(text: str) -> None:
    same("is_ipv4_address", text)


@pytest.mark.parametrize("text", ["1.2.3", "127.1", "1.2.3.4 x", "01.2.3.4", "0x7f.0.0.1"])
def test_is_ipv4_address_differs_on_short_and_odd_forms(text: str) -> None:
    # URLs take only dotted quads as IPv4; these are host names to trio_http.
    assert not utils.is_ipv4_address(text)
    assert requests_utils.is_ipv4_address(text)


@pytest.mark.parametrize(
    "text",
    [
        "10.0.0.0/8",
        "10.0.0.0/0",
        "10.0.0.0/33",
        "10.0.0.0",
        "10.0.0.0/x",
        "1.2.3.4/24/1",
        "300.0.0.0/8",
        "10.0.0.0/255.0.0.0",
        "10.0.0.1/32",
        "192.168.1.0/24",
    ],
)
def test_is_valid_cidr_matches_requests(text: str) -> None:
    same("is_valid_cidr", text)


def test_is_valid_cidr_differs_by_knowing_ipv6() -> None:
    assert utils.is_valid_cidr("fd00::/8")
    assert not utils.is_valid_cidr("fd00::/0")
    assert not requests_utils.is_valid_cidr("fd00::/8")


@pytest.mark.parametrize("mask", [0, 1, 8, 16, 24, 31, 32])
def test_dotted_netmask_matches_requests(mask: int) -> None:
    same("dotted_netmask", mask)


def test_dotted_netmask_refuses_an_impossible_mask() -> None:
    with pytest.raises(ValueError):
        utils.dotted_netmask(33)


# -- credentials -------------------------------------------------------------------


@pytest.fixture
def netrc_file(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    if sys.version_info < (3, 11):
        pytest.skip("Python 3.10's netrc rejects this file (an entry without a password)")
    path = tmp_path / "netrc"
    path.write_text(
        "machine example.com login alice password s3cr:et\n"
        "machine nopw.org login carol\n"
        "machine uni.example login jös password pässwörd€\n"
        "default login fallback password everywhere\n"
    )
    path.chmod(0o600)
    monkeypatch.setenv("NETRC", str(path))
    return path


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x",
        "https://EXAMPLE.COM:8443/",
        b"http://example.com/",
        "http://nopw.org/",
        "http://uni.example/",
    ],
)
def test_get_netrc_auth_matches_requests(url: str | bytes, netrc_file: pathlib.Path) -> None:
    same("get_netrc_auth", url)


def test_get_netrc_auth_differs_by_never_using_the_default_entry(
    netrc_file: pathlib.Path,
) -> None:
    # Credentials go only to a host the file names (as NetRCAuth sends them).
    assert utils.get_netrc_auth("http://other.net/") is None
    assert requests_utils.get_netrc_auth("http://other.net/") == ("fallback", "everywhere")


def test_get_netrc_auth_is_what_netrcauth_sends(netrc_file: pathlib.Path) -> None:
    request = trio_http.Request("GET", "http://uni.example/")
    next(trio_http.NetRCAuth().auth_flow(request))
    assert request.headers["Authorization"] == trio_http.BasicAuth("jös", "pässwörd€")._header
    assert utils.get_netrc_auth("http://uni.example/") == ("jös", "pässwörd€")


def test_get_netrc_auth_without_a_file_or_with_a_broken_one(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETRC", str(tmp_path / "missing"))
    same("get_netrc_auth", "http://example.com/", True)
    assert utils.get_netrc_auth("http://example.com/", True) is None
    broken = tmp_path / "broken"
    broken.write_text("this is not netrc\n")
    monkeypatch.setenv("NETRC", str(broken))
    same("get_netrc_auth", "http://example.com/")
    assert utils.get_netrc_auth("http://example.com/") is None
    assert outcome(utils.get_netrc_auth, "http://example.com/", True) == outcome(
        requests_utils.get_netrc_auth, "http://example.com/", True
    )
    assert outcome(utils.get_netrc_auth, "http://example.com/", True)[0] == "raises"


# -- cookies --------------------------------------------------------------------------


def test_dict_from_cookiejar_matches_requests_for_both_kinds_of_jar() -> None:
    ours = trio_http.cookies.RequestsCookieJar()
    theirs = requests.cookies.RequestsCookieJar()
    for jar in (ours, theirs):
        jar.set("a", "1", domain="example.com")
        jar.set("a", "2", domain="other.org", path="/x")
        jar.set("b", "3")
    assert utils.dict_from_cookiejar(ours) == requests_utils.dict_from_cookiejar(theirs)
    plain = http.cookiejar.CookieJar()
    plain.set_cookie(trio_http.cookies.create_cookie("c", "4"))
    assert utils.dict_from_cookiejar(plain) == requests_utils.dict_from_cookiejar(plain)


def test_add_dict_to_cookiejar_matches_requests() -> None:
    ours = utils.add_dict_to_cookiejar(trio_http.Cookies({"a": "1"}), {"a": "9", "b": "2"})
    theirs = requests_utils.add_dict_to_cookiejar(
        requests_utils.cookiejar_from_dict({"a": "1"}), {"a": "9", "b": "2"}
    )
    assert ours.get_dict() == theirs.get_dict() == {"a": "9", "b": "2"}
    plain = utils.add_dict_to_cookiejar(http.cookiejar.CookieJar(), {"c": "3"})
    assert isinstance(plain, http.cookiejar.CookieJar)
    assert [(cookie.name, cookie.value) for cookie in plain] == [("c", "3")]


def test_cookiejar_from_dict_makes_a_requests_cookie_jar() -> None:
    jar = utils.cookiejar_from_dict({"a": "1"})
    assert isinstance(jar, trio_http.cookies.RequestsCookieJar)
    assert jar.get_dict() == requests_utils.cookiejar_from_dict({"a": "1"}).get_dict()


# -- request bodies ---------------------------------------------------------------------


def seekable(data: bytes, position: int) -> io.BytesIO:
    body = io.BytesIO(data)
    body.seek(position)
    return body


class _Sized:
    len = 7


class _UnknownPosition(io.BytesIO):
    def tell(self) -> int:
        raise OSError("no position")


@pytest.mark.parametrize(
    "make",
    [
        lambda: "héllo",
        lambda: b"abc",
        lambda: bytearray(b"ab"),
        lambda: [1, 2, 3],
        lambda: io.BytesIO(b"abcdef"),
        lambda: seekable(b"abcdef", 2),
        lambda: seekable(b"abcdef", 10),
        lambda: io.StringIO("héllo"),
        lambda: _Sized(),
        lambda: _UnknownPosition(b"abc"),
        lambda: None,
        lambda: 5,
        lambda: object(),
    ],
)
def test_super_len_matches_requests(make: Callable[[], object]) -> None:
    assert utils.super_len(make()) == requests_utils.super_len(make())


def test_super_len_of_files_matches_requests(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "body"
    path.write_bytes(b"x" * 100)
    with path.open("rb") as ours, path.open("rb") as theirs:
        ours.seek(30)
        theirs.seek(30)
        assert utils.super_len(ours) == requests_utils.super_len(theirs) == 70
    with path.open() as ours, path.open() as theirs:
        ours.read(10)
        theirs.read(10)
        with pytest.warns(trio_http.FileModeWarning):
            measured = utils.super_len(ours)
        with pytest.warns(requests.exceptions.FileModeWarning):
            assert measured == requests_utils.super_len(theirs) == 90


def test_rewind_body_puts_a_file_back_where_it_started(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "body"
    path.write_bytes(b"0123456789")
    with path.open("rb") as body:
        body.seek(3)
        request = trio_http.Request("POST", "http://example.com/", content=body)
        body.read()
        utils.rewind_body(request)
        assert body.read() == b"3456789"


def test_rewind_body_refuses_a_one_shot_stream() -> None:
    request = trio_http.Request("POST", "http://example.com/", content=iter([b"a", b"b"]))
    with pytest.raises(trio_http.UnrewindableBodyError):
        utils.rewind_body(request)


def test_rewind_body_reports_a_file_that_cannot_seek(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "body"
    path.write_bytes(b"abc")
    with path.open("rb") as body:
        request = trio_http.Request("POST", "http://example.com/", content=body)
    with pytest.raises(trio_http.UnrewindableBodyError, match="could not be rewound"):
        utils.rewind_body(request)  # the file is closed


def test_rewind_body_differs_for_a_body_in_memory() -> None:
    # In memory, a body is sent again as it is; requests refuses to rewind.
    utils.rewind_body(trio_http.Request("POST", "http://example.com/", content=b"abc"))
    prepared = requests.Request("POST", "http://example.com/", data=b"abc").prepare()
    with pytest.raises(requests.exceptions.UnrewindableBodyError):
        requests_utils.rewind_body(prepared)


class _Named:
    def __init__(self, name: object) -> None:
        self.name = name


@pytest.mark.parametrize(
    "name",
    ["dir/file.txt", "file", "<stdin>", "<fd", "x>", "", "dir/", b"dir/file", b"<stdin>", b"", 1],
)
def test_guess_filename_matches_requests(name: object) -> None:
    same("guess_filename", _Named(name))
    if isinstance(name, (str, bytes)) and utils.guess_filename(_Named(name)):
        assert type(utils.guess_filename(_Named(name))) is type(name)


def test_guess_filename_of_an_object_without_a_name_or_a_real_file(
    tmp_path: pathlib.Path,
) -> None:
    same("guess_filename", object())
    path = tmp_path / "body.bin"
    path.write_bytes(b"x")
    with path.open("rb") as body:
        assert utils.guess_filename(body) == "body.bin" == requests_utils.guess_filename(body)


def test_extract_zipped_paths_leaves_other_paths_alone(tmp_path: pathlib.Path) -> None:
    for path in ("/", __file__, str(tmp_path / "missing" / "file"), "\\\\h\\share\\x", ""):
        same("extract_zipped_paths", path)
        assert utils.extract_zipped_paths(path) == path


def test_extract_zipped_paths_copies_a_member_out_of_an_archive(tmp_path: pathlib.Path) -> None:
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("certs/cacert.pem", "-----BEGIN CERTIFICATE-----\n")
    member = str(archive / "certs" / "cacert.pem")
    ours = utils.extract_zipped_paths(member)
    theirs = requests_utils.extract_zipped_paths(member)
    try:
        assert ours != member and ours.endswith(".pem")
        assert pathlib.Path(ours).read_text() == pathlib.Path(theirs).read_text()
    finally:
        os.remove(ours)
        os.remove(theirs)
    missing = str(archive / "certs" / "other.pem")
    assert utils.extract_zipped_paths(missing) == missing


@given(st.one_of(st.text(max_size=30), st.binary(max_size=30)), st.none() | st.integers(-2, 12))
def test_iter_slices_matches_requests(string: str | bytes, length: int | None) -> None:
    assert list(utils.iter_slices(string, length)) == list(
        requests_utils.iter_slices(string, length)
    )


# -- key-value lists and defaults -------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [None, {"a": 1, "b": 2}, [("a", 1)], (("a", 1), ("a", 2)), [], "string", b"x", True, 3],
)
@pytest.mark.parametrize("name", ["to_key_val_list", "from_key_val_list"])
def test_key_val_lists_match_requests(name: str, value: Any) -> None:
    same(name, value)


def test_to_key_val_list_reads_a_case_insensitive_dict() -> None:
    assert utils.to_key_val_list(CaseInsensitiveDict({"A": "1"})) == [("A", "1")]


def test_default_headers_are_a_new_sessions() -> None:
    headers = utils.default_headers()
    with trio_http.Session() as session:
        assert headers == session.headers
    assert set(headers) == set(requests_utils.default_headers())
    headers["X-Changed"] = "yes"
    assert "X-Changed" not in utils.default_headers()


def test_default_user_agent_names_trio_http_and_its_version() -> None:
    assert utils.default_user_agent() == f"trio_http/{trio_http.__version__}"
    assert utils.default_user_agent() == utils.default_headers()["User-Agent"]
    assert utils.default_user_agent("my-tool") == f"my-tool/{trio_http.__version__}"


def test_default_ca_bundle_path_is_certifis_like_in_requests() -> None:
    assert utils.DEFAULT_CA_BUNDLE_PATH == requests_utils.DEFAULT_CA_BUNDLE_PATH
    assert os.path.isfile(utils.DEFAULT_CA_BUNDLE_PATH)
    with pytest.raises(AttributeError):
        utils.NO_SUCH_NAME  # type: ignore[attr-defined]  # noqa: B018


def test_default_ports_hold_requests_and_are_a_copy() -> None:
    assert requests_utils.DEFAULT_PORTS.items() <= utils.DEFAULT_PORTS.items()
    utils.DEFAULT_PORTS["http"] = 8080
    try:
        assert trio_http.URL("http://a:80/").port is None  # URL parsing is unaffected
    finally:
        utils.DEFAULT_PORTS["http"] = 80


def test_every_name_requests_code_imports_is_there() -> None:
    for name in utils.__all__:
        assert getattr(utils, name) is not None
        assert hasattr(requests_utils, name), name
