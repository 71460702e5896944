from __future__ import annotations

import re
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http._exceptions import InvalidSchema, InvalidURL, MissingSchema
from trio_http._urls import MAX_URL_LENGTH, URL, encode_params, validate_request_url

# -- parsing and normalisation ------------------------------------------------


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


def test_idna_host_is_punycode() -> None:
    url = URL("http://bücher.example/")
    assert url.host == "xn--bcher-kva.example"
    assert str(url) == "http://xn--bcher-kva.example/"


def test_idna_host_is_case_folded() -> None:
    assert URL("http://BÜCHER.example/").host == "xn--bcher-kva.example"


def test_underscore_host_is_accepted_although_idna_refuses_it() -> None:
    assert URL("http://My_Service.internal:81/").host == "my_service.internal"


def test_invalid_punycode_label_is_rejected() -> None:
    with pytest.raises(InvalidURL):
        URL("http://xn--zz.example/")


def test_ipv6_host_without_brackets_and_netloc_with_them() -> None:
    url = URL("http://[::1]:8080/")
    assert url.host == "::1"
    assert url.port == 8080
    assert url.netloc == "[::1]:8080"
    assert url.origin == ("http", "::1", 8080)
    assert str(url) == "http://[::1]:8080/"


def test_ipv6_address_is_compressed_and_lower_cased() -> None:
    assert URL("http://[0:0:0:0:0:0:0:1]/").host == "::1"
    assert URL("http://[FE80::AB]/").host == "fe80::ab"


def test_ipv6_zone_identifier() -> None:
    url = URL("http://[fe80::1%25eth0]:81/")
    assert url.host == "fe80::1%eth0"
    assert str(url) == "http://[fe80::1%25eth0]:81/"


@pytest.mark.parametrize(
    "text",
    ["http://[::g]/", "http://[::1/", "http://[::1]x/", "http://[v1.x]/", "http://[fe80::1%25]/"],
)
def test_bad_ipv6_literal_is_rejected(text: str) -> None:
    with pytest.raises(InvalidURL):
        URL(text)


def test_ipv4_host_is_kept() -> None:
    assert URL("http://192.168.0.1:81/").host == "192.168.0.1"


def test_ipv4_out_of_range_is_rejected() -> None:
    with pytest.raises(InvalidURL):
        URL("http://256.1.1.1/")


@pytest.mark.parametrize("port", ["65536", "99999", "-1", "8o", "8a", "+80", "٣"])
def test_invalid_port_is_rejected(port: str) -> None:
    with pytest.raises(InvalidURL, match="port"):
        URL(f"http://example.com:{port}/")


def test_highest_port_is_accepted() -> None:
    assert URL("http://example.com:65535/").port == 65535


def test_empty_port_means_default() -> None:
    assert URL("http://example.com:/").port is None


@pytest.mark.parametrize(
    ("text", "same_as"),
    [
        ("http://a:80/", "http://a/"),
        ("https://a:443/", "https://a/"),
        ("ws://a:80/", "ws://a/"),
        ("wss://a:443/", "wss://a/"),
    ],
)
def test_default_port_is_normalised_away(text: str, same_as: str) -> None:
    url = URL(text)
    assert url.port is None
    assert url == URL(same_as)
    assert url == same_as
    assert str(url) == same_as


def test_non_default_port_is_kept() -> None:
    url = URL("http://a:443/")
    assert url.port == 443
    assert url.netloc == "a:443"


def test_effective_port_defaults_by_scheme() -> None:
    assert URL("http://a/").effective_port == 80
    assert URL("https://a/").effective_port == 443
    assert URL("ws://a/").effective_port == 80
    assert URL("wss://a/").effective_port == 443


def test_effective_port_of_unknown_scheme_raises() -> None:
    with pytest.raises(InvalidURL):
        URL("gopher://a/").effective_port  # noqa: B018


def test_empty_path_becomes_slash_for_http() -> None:
    url = URL("http://example.com")
    assert url.path == "/"
    assert url.target == b"/"
    assert str(url) == "http://example.com/"


def test_dot_segments_are_removed_from_absolute_urls() -> None:
    assert URL("http://a/b/./c/../d/").path == "/b/d/"
    assert URL("http://a/../../x").path == "/x"


def test_dot_segments_are_kept_in_relative_references() -> None:
    assert URL("../x/./y").path == "../x/./y"


def test_relative_reference_has_no_scheme_or_host() -> None:
    url = URL("/path?q=1")
    assert url.scheme == ""
    assert url.host == ""
    assert url.path == "/path"
    assert not url.is_absolute_url
    assert url.is_relative_url


def test_userinfo_is_decoded() -> None:
    url = URL("http://us%20er:p%3Ass%2F@a/")
    assert url.username == "us er"
    assert url.password == "p:ss/"


def test_password_may_contain_a_literal_colon() -> None:
    url = URL("http://user:pa:ss@a/")
    assert url.username == "user"
    assert url.password == "pa:ss"


def test_last_at_sign_separates_userinfo() -> None:
    url = URL("http://a@b:c@host/")
    assert url.host == "host"
    assert url.username == "a@b"
    assert url.password == "c"
    assert str(url) == "http://a%40b:c@host/"


def test_missing_userinfo_is_empty() -> None:
    url = URL("http://host/")
    assert url.username == ""
    assert url.password == ""


def test_repr_masks_password() -> None:
    url = URL("https://user:hunter2@host/")
    assert repr(url) == "URL('https://user:[secure]@host/')"
    assert "hunter2" not in repr(url)
    assert str(url) == "https://user:hunter2@host/"


def test_repr_without_password_shows_url() -> None:
    assert repr(URL("http://user@host/x")) == "URL('http://user@host/x')"


# -- percent-encoding ---------------------------------------------------------


def test_space_and_non_ascii_in_path_are_percent_encoded() -> None:
    url = URL("http://a/a b/é")
    assert url.path == "/a%20b/%C3%A9"
    assert url.target == b"/a%20b/%C3%A9"


def test_existing_escapes_are_not_double_encoded() -> None:
    assert URL("http://a/%41%2f%7E").path == "/%41%2f%7E"


def test_lone_percent_becomes_percent_25() -> None:
    assert URL("http://a/100%/x%zz%4").path == "/100%25/x%25zz%254"


def test_path_keeps_sub_delims_colon_and_at() -> None:
    assert URL("http://a/!$&'()*+,;=:@/x").path == "/!$&'()*+,;=:@/x"


def test_query_keeps_slash_and_question_mark_and_encodes_the_rest() -> None:
    url = URL("http://a/?q=a/b?c d&e=<é>")
    assert url.query == "q=a/b?c%20d&e=%3C%C3%A9%3E"


def test_fragment_is_encoded() -> None:
    assert URL("http://a/#a b").fragment == "a%20b"


def test_lone_surrogate_is_invalid_url() -> None:
    with pytest.raises(InvalidURL):
        URL("http://a/\ud800")


# -- invalid input --------------------------------------------------------------


@pytest.mark.parametrize("char", ["\r", "\n", "\t", "\x00", "\x7f", "\x1b"])
def test_control_characters_are_rejected(char: str) -> None:
    with pytest.raises(InvalidURL, match="control"):
        URL(f"http://a/x{char}y")


def test_header_injection_attempt_is_rejected() -> None:
    with pytest.raises(InvalidURL):
        URL("http://a/x HTTP/1.1\r\nHost: evil\r\n\r\n")


def test_surrounding_whitespace_is_stripped() -> None:
    assert URL("  \t http://a/x \n") == "http://a/x"


def test_too_long_url_is_rejected() -> None:
    with pytest.raises(InvalidURL, match="longer"):
        URL("http://a/" + "x" * MAX_URL_LENGTH)


def test_host_label_longer_than_63_is_rejected() -> None:
    URL(f"http://{'a' * 63}.com/")
    with pytest.raises(InvalidURL):
        URL(f"http://{'a' * 64}.com/")


def test_host_longer_than_253_is_rejected() -> None:
    with pytest.raises(InvalidURL):
        URL("http://" + ".".join(["a" * 50] * 6) + "/")


@pytest.mark.parametrize("host", ["a b", "a<b", "a^b", "a|b", "a..b", "a%00b", "a%zz"])
def test_forbidden_host_characters_are_rejected(host: str) -> None:
    with pytest.raises(InvalidURL):
        URL(f"http://{host}/")


def test_non_utf8_bytes_are_invalid_url() -> None:
    with pytest.raises(InvalidURL):
        URL(b"http://a/\xff")


def test_bytes_url_is_decoded_as_utf8() -> None:
    assert URL("http://a/é".encode()) == "http://a/%C3%A9"


def test_constructor_never_raises_bare_value_errors() -> None:
    for text in ["http://\ud800/", "http://a:1:2/", "http://[::1]:x/", "http://xn--/"]:
        with pytest.raises(InvalidURL):
            URL(text)


# -- validate_request_url -----------------------------------------------------


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


# -- equality ------------------------------------------------------------------


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


# -- join ---------------------------------------------------------------------

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


# -- copy_with / params -------------------------------------------------------


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


def test_encode_params_like_requests() -> None:
    assert (
        encode_params(
            {"a": ["1", 2], "b": None, "c": True, "d": 1.5, "e": "x y&z=", "f": b"\xc3\xa9"}
        )
        == "a=1&a=2&c=True&d=1.5&e=x+y%26z%3D&f=%C3%A9"
    )


def test_encode_params_skips_none_inside_lists() -> None:
    assert encode_params({"a": [None, "1"]}) == "a=1"


def test_encode_params_of_pairs_keeps_order_and_repeats() -> None:
    assert encode_params([("b", "1"), ("a", "2"), ("b", "3")]) == "b=1&a=2&b=3"


def test_encode_params_string_is_used_as_is() -> None:
    assert encode_params("a=1&b=%20") == "a=1&b=%20"
    assert encode_params(b"a=1") == "a=1"


def test_params_string_is_requoted_into_the_query() -> None:
    assert URL("http://a/", params="a=b c").query == "a=b%20c"


def test_encode_params_lone_surrogate_is_invalid_url() -> None:
    with pytest.raises(InvalidURL):
        encode_params({"a": "\ud800"})


# -- properties -----------------------------------------------------------------

_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
_host_label = st.from_regex(r"[a-z0-9]([a-z0-9\-]{0,10}[a-z0-9])?", fullmatch=True)
_hosts = st.one_of(
    st.lists(_host_label, min_size=1, max_size=4).map(".".join),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda addr: f"[{addr}]"),
)
_urls = st.builds(
    lambda scheme, userinfo, host, port, path, query, fragment: (
        f"{scheme}://{userinfo}{host}{port}{path}{query}{fragment}"
    ),
    st.sampled_from(["http", "https", "HTTP", "wss"]),
    st.one_of(st.just(""), _text.map(lambda t: "".join(c for c in t if c not in "@/?#[]") + "@")),
    _hosts,
    st.one_of(st.just(""), st.integers(0, 65535).map(lambda p: f":{p}")),
    st.lists(_text.map(lambda t: t.replace("/", "").replace("?", "").replace("#", ""))).map(
        lambda segments: "/" + "/".join(segments)
    ),
    st.one_of(st.just(""), _text.map(lambda t: "?" + t.replace("#", ""))),
    st.one_of(st.just(""), _text.map(lambda t: "#" + t)),
)


def _is_control(char: str) -> bool:
    return ord(char) < 0x20 or char == "\x7f"


@given(_urls)
def test_str_of_parsed_url_is_a_fixed_point(text: str) -> None:
    try:
        url = URL(text)
    except InvalidURL:
        # The generated parts are valid, so only a control character can fail it.
        assert any(_is_control(char) for char in text.strip("".join(map(chr, range(0x21)))))
        return
    again = URL(str(url))
    assert str(again) == str(url)
    assert again == url
    assert again.origin == url.origin
    assert again.username == url.username
    assert again.password == url.password


@given(
    st.lists(
        st.tuples(_text, _text),
        max_size=8,
    )
)
def test_encoded_params_decode_back_to_the_pairs(pairs: list[tuple[str, str]]) -> None:
    encoded = encode_params(pairs)
    assert parse_qsl(encoded, keep_blank_values=True) == pairs
    assert URL("http://a/", params=pairs).params == pairs


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
