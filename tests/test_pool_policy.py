"""The pool's pure bookkeeping: limits, reuse order, waiters, expiry."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http import Limits
from trio_http._transports._pool_policy import NEW_CONNECTION, PoolPolicy, Waiter

A = ("http", "a.example", 80)
B = ("http", "b.example", 80)


@dataclass(eq=False)
class Conn:
    origin: tuple[str, str, int]
    idle_since: float = 0.0
    name: str = field(default="")

    def __hash__(self) -> int:
        return id(self)


def open_conn(policy: PoolPolicy[Conn], origin: tuple[str, str, int], now: float = 0.0) -> Conn:
    granted, to_close = policy.acquire(origin, now)
    assert granted is NEW_CONNECTION
    assert to_close == []
    return Conn(origin, now)


def test_new_slot_then_reuse_of_released_connection() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits())
    conn = open_conn(policy, A)
    assert policy.open_count == 1
    assert policy.release(conn, True, 1.0) == []
    granted, _ = policy.acquire(A, 1.5)
    assert granted is conn
    assert policy.open_count == 1


def test_most_recently_used_idle_connection_is_reused_first() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits())
    first, second = open_conn(policy, A), open_conn(policy, A)
    first.idle_since, second.idle_since = 1.0, 2.0
    policy.release(first, True, 1.0)
    policy.release(second, True, 2.0)
    assert policy.acquire(A, 2.5)[0] is second


def test_other_origins_idle_connection_is_not_reused() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits())
    conn = open_conn(policy, A)
    policy.release(conn, True, 0.0)
    assert policy.acquire(B, 0.0)[0] is NEW_CONNECTION
    assert policy.open_count == 2


def test_max_connections_makes_requests_wait_and_release_grants_in_fifo_order() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits(max_connections=1))
    conn = open_conn(policy, A)
    assert policy.acquire(A, 0.0) == (None, [])
    woken: list[str] = []
    first: Waiter[Conn] = Waiter(A, lambda: woken.append("first"))
    second: Waiter[Conn] = Waiter(A, lambda: woken.append("second"))
    policy.enqueue(first)
    policy.enqueue(second)
    assert policy.release(conn, True, 0.0) == []
    assert woken == ["first"]
    assert first.granted is conn
    assert second.granted is None


def test_unreusable_release_grants_a_new_slot_to_the_waiter() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits(max_connections=1))
    conn = open_conn(policy, A)
    waiter: Waiter[Conn] = Waiter(B, lambda: None)
    policy.enqueue(waiter)
    assert policy.release(conn, False, 0.0) == []
    assert waiter.granted is NEW_CONNECTION
    assert policy.open_count == 1
    assert policy.per_origin == {B: 1}


def test_idle_connection_of_another_origin_is_evicted_for_a_waiter() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits(max_connections=1))
    conn = open_conn(policy, A)
    waiter: Waiter[Conn] = Waiter(B, lambda: None)
    policy.enqueue(waiter)
    to_close = policy.release(conn, True, 0.0)
    assert to_close == [conn]
    assert waiter.granted is NEW_CONNECTION
    assert policy.open_count == 1


def test_idle_connection_of_another_origin_is_evicted_at_the_limit() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits(max_connections=1))
    conn = open_conn(policy, A)
    policy.release(conn, True, 0.0)
    granted, to_close = policy.acquire(B, 0.0)
    assert granted is NEW_CONNECTION
    assert to_close == [conn]
    assert policy.per_origin == {B: 1}


def test_expired_idle_connections_are_closed_not_reused() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits(keepalive_expiry=5.0))
    conn = open_conn(policy, A)
    policy.release(conn, True, 0.0)
    granted, to_close = policy.acquire(A, 6.0)
    assert granted is NEW_CONNECTION
    assert to_close == [conn]
    assert policy.open_count == 1


def test_expire_closes_oldest_first_and_next_expiry_follows() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits(keepalive_expiry=5.0))
    old, new = open_conn(policy, A), open_conn(policy, B)
    old.idle_since, new.idle_since = 0.0, 3.0
    policy.release(old, True, 0.0)
    policy.release(new, True, 3.0)
    assert policy.next_expiry() == 5.0
    assert policy.expire(5.5) == [old]
    assert policy.next_expiry() == 8.0
    assert policy.open_count == 1


def test_max_keepalive_connections_closes_the_oldest_idle() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits(max_keepalive_connections=1))
    first, second = open_conn(policy, A), open_conn(policy, A)
    assert policy.release(first, True, 0.0) == []
    assert policy.release(second, True, 1.0) == [first]
    assert policy.open_count == 1


def test_withdrawn_waiter_gives_back_its_grant() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits(max_connections=1))
    conn = open_conn(policy, A)
    waiter: Waiter[Conn] = Waiter(A, lambda: None)
    policy.enqueue(waiter)
    policy.release(conn, True, 0.0)
    assert waiter.granted is conn
    # Cancelled after the grant but before it woke up: the connection goes
    # back to the idle stack, not lost.
    assert policy.withdraw(waiter, 0.0) == []
    assert policy.acquire(A, 0.0)[0] is conn


def test_withdrawn_waiter_without_grant_leaves_the_queue() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits(max_connections=1))
    open_conn(policy, A)
    waiter: Waiter[Conn] = Waiter(A, lambda: None)
    policy.enqueue(waiter)
    policy.withdraw(waiter, 0.0)
    assert not policy.waiters


def test_failed_connect_frees_its_slot_for_the_next_waiter() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits(max_connections=1))
    assert policy.acquire(A, 0.0)[0] is NEW_CONNECTION
    waiter: Waiter[Conn] = Waiter(A, lambda: None)
    policy.enqueue(waiter)
    policy.slot_failed(A, 0.0)
    assert waiter.granted is NEW_CONNECTION
    assert policy.open_count == 1


def test_per_host_limit_blocks_only_that_host() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits(max_connections=10, max_connections_per_host=1))
    open_conn(policy, A)
    assert policy.acquire(A, 0.0)[0] is None
    assert policy.acquire(B, 0.0)[0] is NEW_CONNECTION


def test_waiter_blocked_by_its_host_limit_does_not_block_other_hosts() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits(max_connections=2, max_connections_per_host=1))
    a_conn = open_conn(policy, A)
    b_conn = open_conn(policy, B)
    a_waiter: Waiter[Conn] = Waiter(A, lambda: None)
    b_waiter: Waiter[Conn] = Waiter(B, lambda: None)
    policy.enqueue(a_waiter)
    policy.enqueue(b_waiter)
    policy.release(b_conn, True, 0.0)
    assert b_waiter.granted is b_conn
    assert a_waiter.granted is None
    policy.release(a_conn, False, 0.0)
    assert a_waiter.granted is NEW_CONNECTION


def test_fresh_acquire_skips_idle_connections() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits())
    conn = open_conn(policy, A)
    policy.release(conn, True, 0.0)
    assert policy.acquire(A, 0.0, fresh=True)[0] is NEW_CONNECTION


def test_close_idle_forgets_every_idle_connection() -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(Limits())
    conns = [open_conn(policy, A), open_conn(policy, B)]
    for conn in conns:
        policy.release(conn, True, 0.0)
    assert set(map(id, policy.close_idle())) == set(map(id, conns))
    assert policy.open_count == 0
    assert policy.per_origin == {}


@given(
    st.lists(
        st.tuples(st.sampled_from(["acquire", "release_ok", "release_bad"]), st.booleans()),
        max_size=60,
    ),
    st.integers(min_value=1, max_value=4),
)
def test_counts_never_exceed_limits_and_match_connections(
    steps: list[tuple[str, bool]], max_connections: int
) -> None:
    policy: PoolPolicy[Conn] = PoolPolicy(
        Limits(max_connections=max_connections, max_keepalive_connections=2)
    )
    busy: list[Conn] = []
    closed: set[int] = set()
    keep_alive: list[Conn] = []  # closed objects stay referenced: ids stay unique
    now = 0.0
    for action, use_b in steps:
        now += 0.1
        origin = B if use_b else A
        if action == "acquire":
            granted, to_close = policy.acquire(origin, now)
            keep_alive.extend(to_close)
            closed.update(map(id, to_close))
            if granted is NEW_CONNECTION:
                busy.append(Conn(origin, now))
            elif granted is not None:
                assert id(granted) not in closed
                busy.append(granted)  # type: ignore[arg-type]
        elif busy:
            conn = busy.pop(0)
            conn.idle_since = now
            to_close = policy.release(conn, action == "release_ok", now)
            keep_alive.extend(to_close)
            keep_alive.append(conn)
            closed.update(map(id, to_close))
            if action == "release_bad":
                closed.add(id(conn))
        assert policy.open_count <= max_connections
        assert policy.open_count == len(busy) + len(policy.idle_order)
        assert sum(policy.per_origin.values()) == policy.open_count
        assert len(policy.idle_order) <= 2
        assert not any(id(c) in closed for c in policy.idle_order)


def test_limits_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        Limits(max_connections=0)
    with pytest.raises(ValueError):
        Limits(max_keepalive_connections=-1)
    with pytest.raises(ValueError):
        Limits(keepalive_expiry=-1.0)
