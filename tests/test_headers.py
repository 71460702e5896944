from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http._exceptions import InvalidHeader
from trio_http._headers import Headers, validate_header_name, validate_header_value

# -- construction ----------------------------------------------------------------


def test_from_dict_of_str() -> None:
    headers = Headers({"Content-Type": "text/plain", "X-Id": "7"})
    assert headers["content-type"] == "text/plain"
    assert headers.raw == [(b"Content-Type", b"text/plain"), (b"X-Id", b"7")]


def test_from_pairs_of_bytes() -> None:
    headers = Headers([(b"Accept", b"*/*"), (b"accept", b"text/html")])
    # Several values join as text; each one is shown as it was given.
    assert headers["ACCEPT"] == "*/*, text/html"
    assert headers.get_list("accept") == [b"*/*", b"text/html"]
    assert headers.multi_items() == [("Accept", "*/*"), ("accept", "text/html")]


def test_from_dict_of_bytes() -> None:
    # As in requests, a value given as bytes is read back as bytes.
    headers = Headers({b"A": b"1"})
    assert headers["a"] == b"1"
    assert headers.raw == [(b"A", b"1")]
    assert headers == Headers({"A": "1"})
    assert repr(headers) == "Headers({'A': '1'})"


def test_value_of_a_str_subclass_keeps_its_type() -> None:
    class Token(str):
        pass

    class Raw(bytes):
        pass

    assert type(Headers({"A": Token("x")})["A"]) is Token
    assert type(Headers({"A": Raw(b"x")})["A"]) is Raw
    # A value whose trailing whitespace is dropped is the stripped value.
    assert Headers({"A": Raw(b"x ")})["A"] == b"x"


def test_from_headers_copies() -> None:
    original = Headers({"A": "1"})
    copied = Headers(original)
    copied["A"] = "2"
    assert original["A"] == "1"
    assert copied["A"] == "2"


def test_empty() -> None:
    headers = Headers()
    assert len(headers) == 0
    assert headers.raw == []
    assert "a" not in headers


def test_trailing_spaces_and_tabs_are_stripped() -> None:
    assert Headers({"A": "x y \t"}).raw == [(b"A", b"x y")]
    assert Headers({b"B": b"z \t"})["B"] == b"z"


@pytest.mark.parametrize("value", [" v", "\tv", "   ", b" v", b"\tv"])
def test_leading_whitespace_is_refused(value: str | bytes) -> None:
    # As requests: on the wire it would read as an obsolete line folding.
    with pytest.raises(InvalidHeader, match="starts with whitespace"):
        Headers({"A": value})


def test_inner_tab_is_allowed() -> None:
    assert Headers({"A": "x\ty"})["A"] == "x\ty"


def test_latin1_text_is_sent_as_latin1() -> None:
    headers = Headers({"A": "café"})
    assert headers.raw == [(b"A", b"caf\xe9")]
    assert headers["A"] == "café"


def test_text_outside_latin1_is_sent_as_utf8() -> None:
    headers = Headers({"A": "€"})
    assert headers.raw == [(b"A", "€".encode())]
    assert headers["A"] == "€"


def test_raw_utf8_is_decoded_as_utf8_and_other_bytes_as_latin1() -> None:
    headers = Headers.from_raw([(b"a", "é".encode()), (b"b", b"\xe9")])
    assert headers["a"] == "é"
    assert headers["b"] == "é"


# -- validation ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["a\rb", "a\nb", "a\x00b", "a\r\nX-Evil: 1", "a\x7fb", "a\x1bb"])
def test_control_characters_in_values_are_rejected(value: str) -> None:
    with pytest.raises(InvalidHeader, match="X-Test"):
        Headers({"X-Test": value})


@pytest.mark.parametrize("name", ["", "A B", "A:B", "A\r\n", "(a)", "a/b", "é"])
def test_non_token_names_are_rejected(name: str) -> None:
    with pytest.raises(InvalidHeader):
        Headers({name: "x"})


@pytest.mark.parametrize("value", [1, None, 1.5, ["a"]])
def test_non_text_values_are_rejected(value: object) -> None:
    with pytest.raises(InvalidHeader, match="str or bytes"):
        Headers({"A": value})  # type: ignore[arg-type]


def test_non_text_names_are_rejected() -> None:
    with pytest.raises(InvalidHeader, match="str or bytes"):
        Headers([(1, "x")])  # type: ignore[arg-type]


def test_lone_surrogate_value_is_rejected() -> None:
    with pytest.raises(InvalidHeader):
        Headers({"A": "\ud800"})


@pytest.mark.parametrize("name", ["Authorization", "proxy-authorization", "Cookie"])
def test_error_message_hides_credential_values(name: str) -> None:
    with pytest.raises(InvalidHeader) as info:
        Headers({name: "secret-token\r\n"})
    assert name in str(info.value)
    assert "secret" not in str(info.value)


def test_error_message_shows_ordinary_values() -> None:
    with pytest.raises(InvalidHeader, match="bad"):
        Headers({"X-A": "bad\n"})


def test_set_and_add_validate() -> None:
    headers = Headers()
    with pytest.raises(InvalidHeader):
        headers["A"] = "x\ny"
    with pytest.raises(InvalidHeader):
        headers.add("A", "x\ry")
    with pytest.raises(InvalidHeader):
        headers.update({"A B": "x"})
    assert headers.raw == []


def test_validators_on_bytes() -> None:
    validate_header_name(b"X-Ok_1!")
    validate_header_value(b"fine \t value \x80\xff")
    with pytest.raises(InvalidHeader):
        validate_header_name(b"")
    with pytest.raises(InvalidHeader):
        validate_header_value(b"a\x00")


def test_from_raw_does_not_validate_but_copy_does() -> None:
    received = Headers.from_raw([(b"bad name", b"x")])
    assert received["bad name"] == "x"
    with pytest.raises(InvalidHeader):
        Headers(received)


def test_bad_headers_argument_type() -> None:
    with pytest.raises(InvalidHeader):
        Headers("A: b")  # type: ignore[arg-type]
    with pytest.raises(InvalidHeader):
        Headers([("a", "b", "c")])  # type: ignore[arg-type]


# -- mapping behaviour -----------------------------------------------------------


def test_lookup_is_case_insensitive() -> None:
    headers = Headers({"Content-Length": "5"})
    assert headers["CONTENT-LENGTH"] == "5"
    assert "content-length" in headers
    assert headers.get("Content-length") == "5"


def test_missing_name() -> None:
    headers = Headers()
    with pytest.raises(KeyError):
        headers["a"]
    assert headers.get("a") is None
    assert headers.get("a", "d") == "d"
    assert headers.get_list("a") == []
    assert 1 not in headers  # type: ignore[comparison-overlap]


def test_set_replaces_all_values_at_first_position() -> None:
    headers = Headers([("A", "1"), ("B", "2"), ("a", "3")])
    headers["A"] = "4"
    assert headers.multi_items() == [("A", "4"), ("B", "2")]


def test_set_new_name_appends() -> None:
    headers = Headers({"A": "1"})
    headers["B"] = "2"
    assert headers.multi_items() == [("A", "1"), ("B", "2")]


def test_add_keeps_existing_values() -> None:
    headers = Headers({"Set-Cookie": "a=1"})
    headers.add("set-cookie", "b=2")
    assert headers.get_list("Set-Cookie") == ["a=1", "b=2"]
    assert headers.raw == [(b"Set-Cookie", b"a=1"), (b"set-cookie", b"b=2")]


def test_delete_removes_every_value() -> None:
    headers = Headers([("A", "1"), ("B", "2"), ("a", "3")])
    del headers["a"]
    assert headers.multi_items() == [("B", "2")]
    with pytest.raises(KeyError):
        del headers["a"]


def test_iteration_yields_each_name_once_as_first_seen() -> None:
    headers = Headers([("Host", "h"), ("accept", "1"), ("Accept", "2")])
    assert list(headers) == ["Host", "accept"]
    assert len(headers) == 2
    assert dict(headers.items()) == {"Host": "h", "accept": "1, 2"}


def test_update_replaces_per_name() -> None:
    headers = Headers([("A", "1"), ("B", "2"), ("A", "3")])
    headers.update({"a": "9", "C": "c"}, D="d")
    assert headers.multi_items() == [("a", "9"), ("B", "2"), ("C", "c"), ("D", "d")]


def test_update_keeps_every_value_of_a_multi_valued_source() -> None:
    headers = Headers({"Set-Cookie": "old"})
    headers.update(Headers([("Set-Cookie", "a"), ("Set-Cookie", "b")]))
    assert headers.get_list("set-cookie") == ["a", "b"]


def test_pop_and_clear() -> None:
    headers = Headers({"A": "1", "B": "2"})
    assert headers.pop("a") == "1"
    headers.clear()
    assert len(headers) == 0


def test_copy_is_independent() -> None:
    headers = Headers({"A": "1"})
    copied = headers.copy()
    copied.add("A", "2")
    assert headers.get_list("A") == ["1"]
    assert copied.get_list("A") == ["1", "2"]


def test_raw_follows_mutations() -> None:
    headers = Headers.from_raw([(b"A", b"1")])
    assert headers.raw == [(b"A", b"1")]
    headers["B"] = "2"
    assert headers.raw == [(b"A", b"1"), (b"B", b"2")]


def test_from_raw_keeps_the_list() -> None:
    raw = [(b"Content-Type", b"text/html")]
    headers = Headers.from_raw(raw)
    assert headers.raw is raw
    assert list(headers) == ["Content-Type"]


# -- equality and repr -------------------------------------------------------------


def test_equality_ignores_name_case_and_order() -> None:
    assert Headers([("A", "1"), ("B", "2")]) == Headers([("b", "2"), ("a", "1")])
    assert Headers({"A": "1"}) == {"a": "1"}
    assert Headers({"A": "1"}) != {"a": "2"}
    assert Headers({"A": "1"}) != {"a": "1", "b": "2"}


def test_equality_with_mapping_holding_invalid_headers_is_false() -> None:
    assert Headers({"A": "1"}) != {"a b": "1"}


def test_not_equal_to_other_types() -> None:
    assert Headers() != []


def test_repr_masks_credentials() -> None:
    headers = Headers({"Host": "h", "Authorization": "Bearer s3cret"})
    headers.add("Proxy-Authorization", "Basic s3cret")
    text = repr(headers)
    assert "s3cret" not in text
    assert text == (
        "Headers({'Host': 'h', 'Authorization': '[secure]', 'Proxy-Authorization': '[secure]'})"
    )


def test_repr_with_repeated_names_shows_pairs() -> None:
    assert repr(Headers([("A", "1"), ("a", "2")])) == "Headers([('A', '1'), ('a', '2')])"


# -- properties ---------------------------------------------------------------------

_tokens = st.text(
    alphabet="!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    min_size=1,
    max_size=20,
)
# Field content as RFC 9110 allows it: visible ASCII, obs-text, inner SP/HTAB.
_value_bytes = st.binary(max_size=40).map(
    lambda raw: bytes(b for b in raw if b in (0x09, 0x20) or 0x21 <= b <= 0x7E or b >= 0x80).strip(
        b" \t"
    )
)


@given(st.text(max_size=20), st.sampled_from("\r\n\x00"), st.text(max_size=20))
def test_any_value_with_cr_lf_or_nul_is_rejected(before: str, bad: str, after: str) -> None:
    with pytest.raises(InvalidHeader):
        Headers({"X-Test": before + bad + after})
    with pytest.raises(InvalidHeader):
        Headers([(b"X-Test", (before + bad + after).encode("utf-8", "surrogatepass"))])


@given(st.lists(st.tuples(_tokens, _value_bytes), max_size=8))
def test_valid_bytes_headers_round_trip_through_raw(pairs: list[tuple[str, bytes]]) -> None:
    raw = [(name.encode("ascii"), value) for name, value in pairs]
    headers = Headers(raw)
    assert headers.raw == raw
    assert Headers.from_raw(headers.raw) == headers
    assert Headers(Headers.from_raw(raw)).raw == raw


@given(
    st.lists(
        st.tuples(
            _tokens,
            st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=20).map(
                lambda text: text.strip(" \t")
            ),
        ),
        max_size=8,
    )
)
def test_valid_text_headers_round_trip_through_raw(pairs: list[tuple[str, str]]) -> None:
    headers = Headers(pairs)
    assert headers.multi_items() == pairs
    received = Headers.from_raw(list(headers.raw))
    for (_, value), (_, got) in zip(pairs, received.multi_items(), strict=True):
        if not _reads_back_as_utf8(value):
            assert got == value


def _reads_back_as_utf8(value: str) -> bool:
    """Whether Latin-1 text encodes to bytes that are also valid UTF-8 ("Ã©")."""
    if value.isascii():
        return False
    try:
        value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return False
    return True


# -- lookups before the index exists ------------------------------------------------

_TOKENS = st.text(alphabet="abcXYZ-", min_size=1, max_size=4)


@given(
    names=st.lists(_TOKENS, max_size=24),
    probe=_TOKENS,
)
def test_lookups_without_an_index_agree_with_indexed_lookups(names: list[str], probe: str) -> None:
    raw = [(name.encode(), f"v{i}".encode()) for i, name in enumerate(names)]
    # Fresh objects answer by scanning (short lists) or by building the index
    # (long ones); the answers must match a Headers whose index is built.
    indexed = Headers.from_raw(list(raw))
    indexed.get_list("anything")
    for fresh in (Headers.from_raw(list(raw)), Headers(list(raw))):
        assert (probe in fresh) == (probe in indexed)
    text = [(name, f"v{i}") for i, name in enumerate(names)]
    for fresh in (Headers.from_raw(list(raw)), Headers(text)):
        assert fresh.get(probe) == indexed.get(probe)


def test_lookup_of_a_name_that_cannot_be_on_the_wire() -> None:
    headers = Headers.from_raw([(b"A", b"1")])
    assert "\u0101" not in headers
    assert headers.get("\u0101", "default") == "default"


def test_request_framing_appends_host_and_length_after_given_headers() -> None:
    from trio_http._request import Request

    request = Request("POST", "http://example.com/", headers={"X-Id": "7"}, content=b"abc")
    assert request.headers.raw == [
        (b"X-Id", b"7"),
        (b"Host", b"example.com"),
        (b"Content-Length", b"3"),
    ]
    assert request.headers["content-length"] == "3"


def test_appending_new_names_keeps_a_built_index_and_wire_form_right() -> None:
    from trio_http._headers import _make_entry

    headers = Headers({"A": "1"})
    assert headers.raw == [(b"A", b"1")]
    assert headers.get_list("a") == ["1"]  # the index now exists
    headers._extend_new([_make_entry("B", "2"), _make_entry("C", "3")])
    assert headers.raw == [(b"A", b"1"), (b"B", b"2"), (b"C", b"3")]
    assert headers["b"] == "2"
    assert headers.get_list("c") == ["3"]
    assert list(headers) == ["A", "B", "C"]
