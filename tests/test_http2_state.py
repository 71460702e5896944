"""The pure HTTP/2 bookkeeping of one connection: stream slots, send sizes, settings."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http._transports._http2_state import (
    HTTP2Settings,
    SlotWaiter,
    StreamSlots,
    sendable_bytes,
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


def test_sendable_bytes_is_bounded_by_window_and_frame() -> None:
    assert sendable_bytes(100, 50, 16384) == 50
    assert sendable_bytes(100_000, 1 << 20, 16384) == 16384
    assert sendable_bytes(10, -5, 16384) == 0


def test_settings_validate_window_sizes() -> None:
    assert HTTP2Settings().connection_window_increment == 16 * 1024 * 1024 - 65535
    with pytest.raises(ValueError, match="stream_window"):
        HTTP2Settings(stream_window=1)
    with pytest.raises(ValueError, match="connection_window"):
        HTTP2Settings(connection_window=2**31)
    with pytest.raises(ValueError, match="keepalive_interval"):
        HTTP2Settings(keepalive_interval=0)


def test_reader_deadline_is_the_ping_answer_the_next_ping_or_the_idle_expiry() -> None:
    from trio_http._transports._http2_state import reader_deadline

    quiet = HTTP2Settings()
    pinging = HTTP2Settings(keepalive_interval=30.0, keepalive_timeout=5.0)
    # Nothing to wake for: no keep-alive, busy (not idle), no expiry.
    assert (
        reader_deadline(quiet, 100.0, ping_sent_at=None, idle_since=None, keepalive_expiry=None)
        == math.inf
    )
    # Idle since 90 with a 20 s expiry: wake at 110.
    assert (
        reader_deadline(quiet, 100.0, ping_sent_at=None, idle_since=90.0, keepalive_expiry=20.0)
        == 110.0
    )
    # The next PING is due 30 s from now unless the expiry comes first.
    assert (
        reader_deadline(pinging, 100.0, ping_sent_at=None, idle_since=None, keepalive_expiry=20.0)
        == 130.0
    )
    assert (
        reader_deadline(pinging, 100.0, ping_sent_at=None, idle_since=95.0, keepalive_expiry=20.0)
        == 115.0
    )
    # A PING in flight: its answer is due keepalive_timeout after it went out.
    assert (
        reader_deadline(pinging, 100.0, ping_sent_at=98.0, idle_since=95.0, keepalive_expiry=1.0)
        == 103.0
    )
