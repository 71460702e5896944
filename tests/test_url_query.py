"""Query parameters encoded as requests encodes them."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http._exceptions import InvalidURL
from trio_http._url_query import encode_params
from trio_http._urls import URL


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


def test_encode_params_lone_surrogate_is_invalid_url() -> None:
    with pytest.raises(InvalidURL):
        encode_params({"a": "\ud800"})


_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)


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
