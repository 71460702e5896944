"""What one HTTP/2 stream received: its buffer of DATA and flow-controlled bytes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trio_http._transports._http2_received import ReceiveBuffer


@given(
    st.lists(
        st.tuples(st.binary(max_size=50), st.integers(min_value=0, max_value=10)), max_size=30
    ),
    st.integers(min_value=1, max_value=120),
)
def test_receive_buffer_returns_data_in_order_and_acknowledges_everything(
    frames: list[tuple[bytes, int]], limit: int
) -> None:
    buffer = ReceiveBuffer()
    total_flow = 0
    for data, padding in frames:
        buffer.push(data, len(data) + padding)
        total_flow += len(data) + padding
    out = b""
    acknowledged = 0
    while buffer:
        chunk, ack = buffer.take(limit)
        assert chunk
        out += chunk
        acknowledged += ack
    acknowledged += buffer.discard()
    assert out == b"".join(data for data, _ in frames)
    assert acknowledged == total_flow
    assert buffer.buffered == 0


def test_receive_buffer_joins_chunks_up_to_the_limit() -> None:
    buffer = ReceiveBuffer()
    for part in (b"aa", b"bb", b"cc"):
        buffer.push(part, 2)
    assert buffer.take(4) == (b"aabb", 4)
    assert buffer.take(4) == (b"cc", 2)


@given(
    st.lists(
        st.tuples(st.binary(max_size=50), st.integers(min_value=0, max_value=10)), max_size=30
    ),
    st.integers(min_value=1, max_value=120),
)
def test_take_at_most_never_exceeds_the_bound_and_acknowledges_everything(
    frames: list[tuple[bytes, int]], max_bytes: int
) -> None:
    buffer = ReceiveBuffer()
    total_flow = 0
    for data, padding in frames:
        buffer.push(data, len(data) + padding)
        total_flow += len(data) + padding
    out = b""
    acknowledged = 0
    while buffer:
        chunk, ack = buffer.take_at_most(max_bytes)
        assert 0 < len(chunk) <= max_bytes
        assert buffer.buffered == sum(len(data) for data, _ in frames) - len(out) - len(chunk)
        out += chunk
        acknowledged += ack
    acknowledged += buffer.discard()
    assert out == b"".join(data for data, _ in frames)
    assert acknowledged == total_flow


def test_take_at_most_splits_a_chunk_and_acknowledges_what_was_taken() -> None:
    buffer = ReceiveBuffer()
    buffer.push(b"abcdef", 6)
    assert buffer.take_at_most(4) == (b"abcd", 4)
    assert buffer.buffered == 2
    assert buffer.take_at_most(4) == (b"ef", 2)
    assert not buffer
