from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http._auth_challenge import parse_challenges


def test_parse_several_challenges_in_one_header() -> None:
    header = (
        'Newauth realm="apps", type=1, title="Login to \\"apps\\"", '
        'Basic realm="simple", Negotiate abc+/def==, Digest realm="a, b", nonce=xyz'
    )
    challenges = parse_challenges([header])
    assert [c.scheme for c in challenges] == ["Newauth", "Basic", "Negotiate", "Digest"]
    assert challenges[0].params == {"realm": "apps", "type": "1", "title": 'Login to "apps"'}
    assert challenges[1].params == {"realm": "simple"}
    assert challenges[2].token68 == "abc+/def=="
    assert challenges[3].params == {"realm": "a, b", "nonce": "xyz"}


def test_parse_keeps_challenges_of_separate_headers_in_order() -> None:
    challenges = parse_challenges(['Basic realm="x"', "Bearer", 'Digest realm="y", nonce="n"'])
    assert [c.scheme for c in challenges] == ["Basic", "Bearer", "Digest"]
    assert challenges[1].params == {}


def test_parameter_names_are_case_insensitive() -> None:
    (challenge,) = parse_challenges(['Digest REALM="r", Nonce="n"'])
    assert challenge.params == {"realm": "r", "nonce": "n"}


@pytest.mark.parametrize(
    "header",
    [
        'Digest realm="unterminated',
        'Digest realm="a" nonce="b"',  # missing comma
        'Digest realm="a", realm="b"',  # repeated parameter
        '"quoted-scheme"',
        "Digest realm=@",
    ],
)
def test_malformed_header_value_is_skipped_whole(header: str) -> None:
    challenges = parse_challenges([header, 'Basic realm="fine"'])
    assert [c.scheme for c in challenges] == ["Basic"]


_param_values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from("\t\u00e9"),
    max_size=30,
)


@given(st.lists(_param_values, min_size=1, max_size=4))
def test_quoted_values_round_trip(values: list[str]) -> None:
    quoted = ['"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values]
    header = "Digest " + ", ".join(f"p{i}={q}" for i, q in enumerate(quoted))
    (challenge,) = parse_challenges([header])
    assert challenge.params == {f"p{i}": value for i, value in enumerate(values)}


@given(st.text(max_size=60))
def test_parsing_never_raises(header: str) -> None:
    for challenge in parse_challenges([header]):
        assert challenge.scheme
