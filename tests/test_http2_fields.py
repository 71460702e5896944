"""Received HTTP/2 header blocks against RFC 9113's field rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http._transports._http2_fields import (
    MalformedFields,
    check_response_fields,
    check_trailer_fields,
)

_NAME_BYTES = (
    st.binary(min_size=1, max_size=12)
    .map(
        lambda raw: bytes(
            b for b in raw if 0x21 <= b <= 0x7E and b != 0x3A and not 0x41 <= b <= 0x5A
        )
    )
    .filter(bool)
)
_VALUE_BYTES = st.binary(max_size=20).map(
    lambda raw: bytes(b for b in raw if b not in b"\x00\r\n").strip(b" \t")
)
_CONNECTION_NAMES = {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding"}


@given(
    status=st.integers(100, 999),
    fields=st.lists(
        st.tuples(_NAME_BYTES, _VALUE_BYTES).filter(
            lambda field: field[0] not in _CONNECTION_NAMES | {b"upgrade", b"te"}
        ),
        max_size=8,
    ),
)
def test_well_formed_response_blocks_are_accepted_unchanged(
    status: int, fields: list[tuple[bytes, bytes]]
) -> None:
    block = [(b":status", str(status).encode()), *fields]
    assert check_response_fields(block) == (status, fields)
    assert check_trailer_fields(fields) == fields


@given(
    fields=st.lists(st.tuples(_NAME_BYTES, _VALUE_BYTES), min_size=1, max_size=6),
    where=st.integers(0, 100),
    bad=st.sampled_from([b"\x00", b"\r", b"\n"]),
)
def test_nul_cr_or_lf_anywhere_in_a_value_is_refused(
    fields: list[tuple[bytes, bytes]], where: int, bad: bytes
) -> None:
    index = where % len(fields)
    value = fields[index][1]
    cut = where % (len(value) + 1)
    fields[index] = (b"x-field", value[:cut] + bad + value[cut:])
    with pytest.raises(MalformedFields):
        check_response_fields([(b":status", b"200"), *fields])
    with pytest.raises(MalformedFields):
        check_trailer_fields(fields)


@pytest.mark.parametrize(
    "block",
    [
        [],
        [(b"x", b"1")],
        [(b":status", b"099")],
        [(b":status", b"20")],
        [(b":status", b"2000")],
        [(b":status", b"200"), (b":status", b"200")],
        [(b":status", b"200"), (b":authority", b"example.com")],
        [(b":status", b"200"), (b"Content-Type", b"text/plain")],
        [(b":status", b"200"), (b"upgrade", b"h2c")],
        [(b":status", b"200"), (b"te", b"deflate")],
        [(b":status", b"200"), (b"x\x7f", b"1")],
        [(b":status", b"200"), (b"x y", b"1")],
        [(b":status", b"200"), (b"x", b"\tvalue")],
    ],
)
def test_malformed_response_blocks_are_refused(block: list[tuple[bytes, bytes]]) -> None:
    with pytest.raises(MalformedFields):
        check_response_fields(block)


def test_trailers_may_carry_te_trailers_but_no_pseudo_header() -> None:
    assert check_trailer_fields([(b"te", b"Trailers"), (b"x-sum", b"1")])
    with pytest.raises(MalformedFields):
        check_trailer_fields([(b":status", b"200")])
