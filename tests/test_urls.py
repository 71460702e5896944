"""The URL value type: components, equality, join, copy_with; request URLs."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http._exceptions import InvalidSchema, InvalidURL, MissingSchema
from trio_http._urls import URL, validate_request_url


def test_components_of_a_full_url() -> None:
    url = URL("HTTPS://User:Pa%40ss@Example.COM:8443/a/b?x=1&y=2#frag")
    assert url.scheme == "https"
    assert url.username == "User"
    assert url.password == "Pa@ss"
    assert url.host == "example.com"
    assert url.port == 8443
    assert url.path == "/a/b"
    assert url.query == "x=1&y=2"
    assert url.fragment == "frag"
    assert url.effective_port == 8443
    assert url.origin == ("https", "example.com", 8443)
    assert url.netloc == "example.com:8443"
    assert url.target == b"/a/b?x=1&y=2"
    assert str(url) == "https://User:Pa%40ss@example.com:8443/a/b?x=1&y=2#frag"


def test_effective_port_defaults_by_scheme() -> None:
    assert URL("http://a/").effective_port == 80
    assert URL("https://a/").effective_port == 443
    assert URL("ws://a/").effective_port == 80
    assert URL("wss://a/").effective_port == 443


def test_effective_port_of_unknown_scheme_raises() -> None:
    with pytest.raises(InvalidURL):
        URL("gopher://a/").effective_port  # noqa: B018


def test_repr_masks_password() -> None:
    url = URL("https://user:hunter2@host/")
    assert repr(url) == "URL('https://user:[secure]@host/')"
    assert "hunter2" not in repr(url)
    assert str(url) == "https://user:hunter2@host/"


def test_repr_without_password_shows_url() -> None:
    assert repr(URL("http://user@host/x")) == "URL('http://user@host/x')"


def test_non_utf8_bytes_are_invalid_url() -> None:
    with pytest.raises(InvalidURL):
        URL(b"http://a/\xff")


def test_bytes_url_is_decoded_as_utf8() -> None:
    assert URL("http://a/é".encode()) == "http://a/%C3%A9"


def test_constructor_never_raises_bare_value_errors() -> None:
    for text in ["http://\ud800/", "http://a:1:2/", "http://[::1]:x/", "http://xn--/"]:
        with pytest.raises(InvalidURL):
            URL(text)


def test_missing_schema_suggests_https() -> None:
    with pytest.raises(MissingSchema, match=re.escape("https://example.org/x")):
        validate_request_url(URL("example.org/x"))


def test_missing_schema_of_network_path_reference_suggests_https() -> None:
    with pytest.raises(MissingSchema, match=re.escape("'https://example.org/x'")):
        validate_request_url(URL("//example.org/x"))


def test_unsupported_schema_is_invalid_schema() -> None:
    with pytest.raises(InvalidSchema, match="ftp"):
        validate_request_url(URL("ftp://example.org/"))


def test_localhost_without_scheme_suggests_http() -> None:
    with pytest.raises(InvalidSchema, match=re.escape("http://localhost:8000/x")):
        validate_request_url(URL("localhost:8000/x"))


def test_no_host_is_invalid_url() -> None:
    with pytest.raises(InvalidURL, match="no host"):
        validate_request_url(URL("http:///path"))


def test_error_messages_mask_password() -> None:
    with pytest.raises(InvalidSchema) as info:
        validate_request_url(URL("ftp://u:secret@example.org/"))
    assert "secret" not in str(info.value)


def test_valid_request_urls_pass() -> None:
    validate_request_url(URL("http://a/"))
    validate_request_url(URL("https://[::1]:8443/x"))


def test_equal_to_string_with_same_normal_form() -> None:
    assert URL("HTTP://EXAMPLE.com:80") == "http://example.com/"
    assert URL("http://example.com/") != "http://example.com/other"
    assert URL("http://a/") != "http://a:99999/"  # an invalid string is simply unequal


def test_hash_is_consistent_with_equality() -> None:
    assert hash(URL("http://a:80")) == hash(URL("http://a/"))
    assert len({URL("http://a:80"), URL("http://a/")}) == 1


def test_not_equal_to_other_types() -> None:
    assert URL("http://a/") != 1


def test_url_from_url_is_equal() -> None:
    url = URL("http://a/b?c")
    assert URL(url) == url


RFC3986_BASE = "http://a/b/c/d;p?q"


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        # RFC 3986 §5.4.1, every normal example.
        ("g:h", "g:h"),
        ("g", "http://a/b/c/g"),
        ("./g", "http://a/b/c/g"),
        ("g/", "http://a/b/c/g/"),
        ("/g", "http://a/g"),
        ("//g", "http://g"),
        ("?y", "http://a/b/c/d;p?y"),
        ("g?y", "http://a/b/c/g?y"),
        ("#s", "http://a/b/c/d;p?q#s"),
        ("g#s", "http://a/b/c/g#s"),
        ("g?y#s", "http://a/b/c/g?y#s"),
        (";x", "http://a/b/c/;x"),
        ("g;x", "http://a/b/c/g;x"),
        ("g;x?y#s", "http://a/b/c/g;x?y#s"),
        ("", "http://a/b/c/d;p?q"),
        (".", "http://a/b/c/"),
        ("./", "http://a/b/c/"),
        ("..", "http://a/b/"),
        ("../", "http://a/b/"),
        ("../g", "http://a/b/g"),
        ("../..", "http://a/"),
        ("../../", "http://a/"),
        ("../../g", "http://a/g"),
        # RFC 3986 §5.4.2, the abnormal examples that do not depend on parser leniency.
        ("../../../g", "http://a/g"),
        ("../../../../g", "http://a/g"),
        ("/./g", "http://a/g"),
        ("/../g", "http://a/g"),
        ("g.", "http://a/b/c/g."),
        (".g", "http://a/b/c/.g"),
        ("g..", "http://a/b/c/g.."),
        ("..g", "http://a/b/c/..g"),
        ("./../g", "http://a/b/g"),
        ("./g/.", "http://a/b/c/g/"),
        ("g/./h", "http://a/b/c/g/h"),
        ("g/../h", "http://a/b/c/h"),
        ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
        ("g;x=1/../y", "http://a/b/c/y"),
        ("g?y/./x", "http://a/b/c/g?y/./x"),
        ("g#s/../x", "http://a/b/c/g#s/../x"),
    ],
)
def test_join_follows_rfc3986_examples(reference: str, expected: str) -> None:
    assert URL(RFC3986_BASE).join(reference) == expected


def test_join_with_url_object() -> None:
    assert URL("https://a/x/y").join(URL("z")) == "https://a/x/z"


def test_join_keeps_base_credentials_and_port() -> None:
    joined = URL("http://u:p@a:81/x/y").join("/z")
    assert str(joined) == "http://u:p@a:81/z"


def test_join_network_path_reference_takes_new_host() -> None:
    assert URL("https://a:81/x").join("//b/y") == "https://b/y"


def test_copy_with_replaces_components() -> None:
    url = URL("http://a/x?q=1").copy_with(scheme="HTTPS", host="Bücher.example", path="/y z")
    assert str(url) == "https://xn--bcher-kva.example/y%20z?q=1"


def test_copy_with_port_none_removes_it() -> None:
    assert URL("http://a:81/").copy_with(port=None) == "http://a/"


def test_copy_with_scheme_renormalises_default_port() -> None:
    assert URL("http://a:443/").copy_with(scheme="https").port is None


def test_copy_with_encodes_credentials() -> None:
    url = URL("http://a/").copy_with(username="u@x", password="p:%/")
    assert url.username == "u@x"
    assert url.password == "p:%/"
    assert str(url) == "http://u%40x:p%3A%25%2F@a/"


def test_copy_with_rejects_invalid_components() -> None:
    with pytest.raises(InvalidURL):
        URL("http://a/").copy_with(port=70000)
    with pytest.raises(InvalidURL):
        URL("http://a/").copy_with(path="/x\r\ny")
    with pytest.raises(InvalidURL):
        URL("http://a/").copy_with(scheme="1x")


def test_copy_with_ipv6_host_without_brackets() -> None:
    assert URL("http://a/").copy_with(host="::1").netloc == "[::1]"


def test_params_are_appended_to_existing_query() -> None:
    assert URL("http://a/?x=1", params={"y": "2"}) == "http://a/?x=1&y=2"
    assert URL("http://a/").copy_merge_params([("z", "3")]) == "http://a/?z=3"


def test_params_property_decodes_pairs_keeping_blanks() -> None:
    assert URL("http://a/?a=1&b=&c=x+y&a=%C3%A9").params == [
        ("a", "1"),
        ("b", ""),
        ("c", "x y"),
        ("a", "é"),
    ]


def test_params_string_is_requoted_into_the_query() -> None:
    assert URL("http://a/", params="a=b c").query == "a=b%20c"


_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)


@given(_text, _text)
def test_copy_with_credentials_round_trip(username: str, password: str) -> None:
    url = URL("http://host/").copy_with(username=username, password=password)
    again = URL(str(url))
    assert again.username == username
    assert again.password == password


@given(st.text(max_size=40))
def test_constructor_raises_only_invalid_url(text: str) -> None:
    try:
        url = URL("http://a/" + text)
    except InvalidURL:
        return
    assert url.target.isascii()
