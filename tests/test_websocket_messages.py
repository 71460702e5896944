"""Whole WebSocket messages from fragments, within max_message_size."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http import WebSocketMessageTooBig
from trio_http._websocket_messages import MessageAssembler


def test_a_message_in_one_piece_is_handed_on_as_it_is() -> None:
    data = b"whole"
    assert MessageAssembler(10).add(data, True) is data


def test_fragments_are_joined_in_order_and_the_assembler_starts_afresh() -> None:
    assembler = MessageAssembler(100)
    assert assembler.add("he", False) is None
    assert assembler.add("ll", False) is None
    assert assembler.add("o", True) == "hello"
    assert assembler.add(b"ab", False) is None
    assert assembler.add(b"c", True) == b"abc"


def test_the_fragment_that_crosses_the_limit_is_refused_before_the_message_ends() -> None:
    assembler = MessageAssembler(5)
    assert assembler.add(b"abc", False) is None
    with pytest.raises(WebSocketMessageTooBig, match="max_message_size=5"):
        assembler.add(b"def", False)


def test_text_is_measured_in_characters() -> None:
    assert MessageAssembler(3).add("ééé", True) == "ééé"
    with pytest.raises(WebSocketMessageTooBig):
        MessageAssembler(3).add("éééé", True)


@given(
    message=st.one_of(st.text(max_size=200), st.binary(max_size=200)),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=8),
)
def test_any_split_into_fragments_gives_back_the_message(
    message: str | bytes, cuts: list[int]
) -> None:
    points = sorted({min(cut, len(message)) for cut in cuts})
    pieces = [message[a:b] for a, b in zip([0, *points], [*points, len(message)], strict=True)]
    assembler = MessageAssembler(max(len(message), 1))
    results = [assembler.add(piece, index == len(pieces) - 1) for index, piece in enumerate(pieces)]
    assert results[:-1] == [None] * (len(pieces) - 1)
    assert results[-1] == message
