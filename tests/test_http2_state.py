"""The pure HTTP/2 bookkeeping: slots, receive buffers, GOAWAY splits, settings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http._transports._http2_state import (
    HTTP2Settings,
    MalformedFields,
    ReceiveBuffer,
    SlotWaiter,
    StreamSlots,
    check_response_fields,
    check_trailer_fields,
    sendable_bytes,
    split_for_goaway,
)


def waiter(log: list[str], name: str) -> SlotWaiter:
    return SlotWaiter(lambda: log.append(name))


def test_slots_reserve_up_to_the_limit() -> None:
    slots = StreamSlots(max_concurrent=2)
    assert slots.try_reserve() and slots.try_reserve()
    assert not slots.try_reserve()
    assert slots.active == 2


def test_released_slot_goes_to_the_first_waiter() -> None:
    log: list[str] = []
    slots = StreamSlots(max_concurrent=1)
    assert slots.try_reserve()
    first, second = waiter(log, "a"), waiter(log, "b")
    slots.enqueue(first)
    slots.enqueue(second)
    woken = slots.release()
    assert woken == [first] and first.granted is True and second.granted is None
    assert slots.active == 1


def test_waiters_block_newcomers_even_with_a_free_slot() -> None:
    slots = StreamSlots(max_concurrent=1)
    slots.enqueue(waiter([], "a"))
    assert not slots.try_reserve()


def test_raised_limit_grants_waiters() -> None:
    slots = StreamSlots(max_concurrent=0)
    waiters = [waiter([], str(i)) for i in range(3)]
    for one in waiters:
        slots.enqueue(one)
    assert slots.set_max_concurrent(2) == waiters[:2]
    assert slots.active == 2


def test_withdrawing_a_granted_waiter_passes_its_slot_on() -> None:
    slots = StreamSlots(max_concurrent=1)
    assert slots.try_reserve()
    first, second = waiter([], "a"), waiter([], "b")
    slots.enqueue(first)
    slots.enqueue(second)
    slots.release()  # first is granted, but gave up meanwhile
    assert slots.withdraw(first) == [second]
    assert second.granted is True and slots.active == 1


def test_withdrawing_a_queued_waiter_removes_it() -> None:
    slots = StreamSlots(max_concurrent=0)
    one = waiter([], "a")
    slots.enqueue(one)
    assert slots.withdraw(one) == []
    assert not slots.waiters


def test_stop_accepting_refuses_waiters_and_newcomers() -> None:
    log: list[str] = []
    slots = StreamSlots(max_concurrent=0)
    one = waiter(log, "a")
    slots.enqueue(one)
    assert slots.stop_accepting() == [one]
    assert one.granted is False
    assert not slots.try_reserve()
    late = waiter(log, "late")
    slots.enqueue(late)
    assert late.granted is False and log == ["late"]


@given(st.lists(st.sampled_from(["reserve", "release", "wait", "limit"]), max_size=60))
def test_slot_accounting_never_exceeds_the_limit(ops: list[str]) -> None:
    slots = StreamSlots(max_concurrent=3)
    held = 0
    for op in ops:
        if op == "reserve" and slots.try_reserve():
            held += 1
        elif op == "release" and held:
            held -= 1
            held += len(slots.release())
        elif op == "wait":
            if slots.try_reserve():
                held += 1
            else:
                slots.enqueue(SlotWaiter(lambda: None))
        elif op == "limit":
            held += len(slots.set_max_concurrent(slots.max_concurrent % 5 + 1))
        assert slots.active == held
        assert not (slots.waiters and slots.active < slots.max_concurrent)


def test_goaway_splits_at_the_last_stream_id() -> None:
    assert split_for_goaway([1, 3, 5, 7], 3) == ([1, 3], [5, 7])
    assert split_for_goaway([1, 3], 0) == ([], [1, 3])


def test_sendable_bytes_is_bounded_by_window_and_frame() -> None:
    assert sendable_bytes(100, 50, 16384) == 50
    assert sendable_bytes(100_000, 1 << 20, 16384) == 16384
    assert sendable_bytes(10, -5, 16384) == 0


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


def test_settings_validate_window_sizes() -> None:
    assert HTTP2Settings().connection_window_increment == 16 * 1024 * 1024 - 65535
    with pytest.raises(ValueError, match="stream_window"):
        HTTP2Settings(stream_window=1)
    with pytest.raises(ValueError, match="connection_window"):
        HTTP2Settings(connection_window=2**31)
    with pytest.raises(ValueError, match="keepalive_interval"):
        HTTP2Settings(keepalive_interval=0)


# -- received header blocks -------------------------------------------------------

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


# -- whether a retryable stream's request may be sent again --------------------


def _refusal(lost: bool = False, **overrides: object) -> str:
    from trio_http import ReadError
    from trio_http._transports._http2_state import RetryableStreamError, why_not_resent

    exc = RetryableStreamError("x", lost=ReadError("gone") if lost else None)
    options: dict[str, object] = {
        "method": "GET",
        "idempotent": True,
        "rewindable": True,
        "moves": 0,
        "lost_moves": 0,
    }
    options.update(overrides)
    return why_not_resent(exc, **options)  # type: ignore[arg-type]


def test_a_stream_not_processed_is_sent_again_whatever_the_method() -> None:
    assert _refusal(method="POST", idempotent=False) == ""


def test_a_stream_lost_unanswered_is_sent_again_only_when_idempotent() -> None:
    assert _refusal(lost=True) == ""
    assert _refusal(lost=True, method="POST", idempotent=False) == (
        "a POST request is not sent twice"
    )


def test_sending_again_is_bounded() -> None:
    from trio_http._transports._http2_state import MAX_HTTP2_RETRIES, MAX_LOST_RETRIES

    assert "attempts" in _refusal(moves=MAX_HTTP2_RETRIES)
    assert _refusal(moves=MAX_HTTP2_RETRIES - 1) == ""
    assert "connections ended" in _refusal(lost=True, lost_moves=MAX_LOST_RETRIES)
    assert _refusal(lost=True, lost_moves=MAX_LOST_RETRIES - 1) == ""


def test_a_body_that_cannot_be_replayed_is_never_sent_again() -> None:
    assert _refusal(rewindable=False) == "its body cannot be sent again"
