"""OriginTable: the pool's record of HTTP/2 connections per origin. No I/O."""

from __future__ import annotations

from trio_http._transports._http2_state import StreamSlots
from trio_http._transports._origins import MAX_REMEMBERED_HTTP1_ORIGINS, OriginTable

ORIGIN = ("https", "example.org", 443)


class FakeConnection:
    """Only what the table looks at: an origin and stream slots."""

    def __init__(self, origin: tuple[str, str, int] = ORIGIN, limit: int = 2) -> None:
        self.origin = origin
        self.slots = StreamSlots(limit)

    def try_reserve(self) -> bool:
        return self.slots.try_reserve()


def test_requests_fill_the_oldest_connection_first() -> None:
    table = OriginTable()
    old, new = FakeConnection(), FakeConnection()
    table.add(old)  # type: ignore[arg-type]
    table.add(new)  # type: ignore[arg-type]
    assert [table.reserve(ORIGIN) for _ in range(4)] == [old, old, new, new]
    assert table.reserve(ORIGIN) is None
    assert table.reserve(("https", "other.example", 443)) is None


def test_a_discarded_connection_is_never_offered_and_the_origin_is_forgotten() -> None:
    table = OriginTable()
    conn = FakeConnection()
    table.add(conn)  # type: ignore[arg-type]
    table.discard(conn)  # type: ignore[arg-type]
    table.discard(conn)  # type: ignore[arg-type]  # idempotent
    assert table.reserve(ORIGIN) is None
    assert not table.has_connections(ORIGIN)
    assert table.by_origin == {}


def test_the_least_busy_connection_has_the_shortest_slot_queue() -> None:
    table = OriginTable()
    busy, quiet = FakeConnection(limit=1), FakeConnection(limit=3)
    table.add(busy)  # type: ignore[arg-type]
    table.add(quiet)  # type: ignore[arg-type]
    busy.try_reserve()
    quiet.try_reserve()
    assert table.least_busy(ORIGIN) is quiet


def test_http1_origins_are_remembered_within_a_bound() -> None:
    table = OriginTable()
    table.remember_http1(ORIGIN)
    assert table.speaks_http1(ORIGIN)
    for port in range(MAX_REMEMBERED_HTTP1_ORIGINS):
        table.remember_http1(("https", "h.example", port))
    assert not table.speaks_http1(ORIGIN)  # forgotten in bulk, so bounded
