"""The scratch buffer and cutting a read into the pieces its reader wants."""

from __future__ import annotations

import threading

from hypothesis import given
from hypothesis import strategies as st

from trio_http._transports._net_scratch import SCRATCH_MOST, cut_pieces, scratch_buffer


@given(
    data=st.binary(max_size=5000),
    first=st.integers(0, 600),
    piece=st.one_of(st.none(), st.integers(1, 700)),
)
def test_pieces_are_the_bytes_cut_first_then_piece_sized(
    data: bytes, first: int, piece: int | None
) -> None:
    pieces = cut_pieces(memoryview(data), first, piece)
    assert b"".join(pieces) == data
    assert all(type(p) is bytes and p for p in pieces)
    if piece is None or len(data) <= first:
        assert len(pieces) == (1 if data else 0)
        return
    sizes = [len(p) for p in pieces]
    if first:
        assert sizes[0] == first
        sizes = sizes[1:]
    assert all(size == piece for size in sizes[:-1])
    assert 0 < sizes[-1] <= piece


def test_the_buffer_is_reused_within_a_thread_and_bounded() -> None:
    one = scratch_buffer(1000)
    assert len(one) == 1000
    assert scratch_buffer(500).obj is one.obj  # the same bytearray
    big = scratch_buffer(SCRATCH_MOST + 1)
    assert len(big) == SCRATCH_MOST + 1
    assert scratch_buffer(10).obj is one.obj  # a large ask is not kept
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(scratch_buffer(10).obj))
    thread.start()
    thread.join()
    assert seen[0] is not one.obj  # each thread has its own
