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
