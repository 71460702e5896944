"""Deadlines: one request's phase deadlines and the error when one passes."""

from __future__ import annotations

import math

import pytest
import trio

import trio_http
from trio_http import Timeouts
from trio_http._deadlines import Deadlines
from trio_http._transports._base import request_deadlines


def test_without_a_total_every_phase_ends_at_its_own_timeout() -> None:
    deadlines = Deadlines.start(Timeouts(connect=1, read=2, write=3, pool=4), now=100.0)
    assert not deadlines.has_total
    assert deadlines.total == math.inf
    assert deadlines.phase("connect", 100.0) == 101.0
    assert deadlines.phase("read", 110.0) == 112.0
    assert deadlines.phase("write", 100.0) == 103.0
    assert deadlines.phase("pool", 100.0) == 104.0


def test_the_total_deadline_counts_from_the_start_and_caps_every_phase() -> None:
    deadlines = Deadlines.start(Timeouts(5, total=8), now=100.0)
    assert deadlines.has_total
    assert deadlines.total == 108.0
    assert deadlines.phase("read", 101.0) == 106.0
    assert deadlines.phase("read", 104.0) == 108.0  # capped by the total


def test_a_phase_without_a_timeout_ends_with_the_total_or_never() -> None:
    assert Deadlines.start(Timeouts(None), now=0.0).phase("read", 5.0) == math.inf
    assert Deadlines.start(Timeouts(None, total=3), now=0.0).phase("read", 1.0) == 3.0


@pytest.mark.parametrize(
    ("phase", "error"),
    [
        ("connect", trio_http.ConnectTimeout),
        ("read", trio_http.ReadTimeout),
        ("write", trio_http.WriteTimeout),
        ("pool", trio_http.PoolTimeout),
    ],
)
def test_the_phase_timeout_names_the_phase_and_its_seconds(
    phase: str, error: type[Exception]
) -> None:
    deadlines = Deadlines.start(Timeouts(2, total=10), now=0.0)
    request = trio_http.Request("GET", "http://example.com/")
    raised = deadlines.expired(phase, 2.0, "doing it", request)  # type: ignore[arg-type]
    assert type(raised) is error
    assert str(raised) == "timed out after 2.0 s while doing it"
    assert raised.request is request


def test_the_total_timeout_wins_when_the_overall_deadline_bound() -> None:
    deadlines = Deadlines.start(Timeouts(5, total=3), now=0.0)
    raised = deadlines.expired("read", deadlines.phase("read", 1.0), "reading")
    assert type(raised) is trio_http.TotalTimeout
    assert "overall request deadline of 3.0 s" in str(raised)


def test_too_late_is_judged_against_the_overall_deadline() -> None:
    deadlines = Deadlines.start(Timeouts(5, total=10), now=0.0)
    assert not deadlines.too_late(4.0, 5.0)
    assert deadlines.too_late(5.0, 5.0)
    assert not Deadlines.start(Timeouts(5), now=0.0).too_late(1e9, 0.0)


def test_deadlines_are_a_frozen_value() -> None:
    deadlines = Deadlines.start(Timeouts(1), now=0.0)
    with pytest.raises(AttributeError):
        deadlines.total = 5.0  # type: ignore[misc]


async def test_a_transport_used_alone_starts_the_deadlines_once() -> None:
    request = trio_http.Request("GET", "http://example.com/", extensions={"timeout": 7})
    assert request.deadlines is None
    first = request_deadlines(request)
    assert first.timeouts == Timeouts(7)
    await trio.sleep(0.01)
    assert request_deadlines(request) is first  # asked again: the same value


async def test_without_a_timeout_extension_the_defaults_apply() -> None:
    request = trio_http.Request("GET", "http://example.com/")
    assert request_deadlines(request).timeouts == trio_http.Timeouts(
        connect=10.0, read=60.0, write=60.0, pool=60.0
    )


async def test_the_client_builds_the_deadlines_once_per_send_and_redirects_share_them() -> None:
    seen: list[Deadlines | None] = []

    def handler(request: trio_http.Request) -> trio_http.Response:
        seen.append(request.deadlines)
        if request.url.path == "/start":
            return trio_http.Response(302, headers={"Location": "/end"})
        return trio_http.Response(200)

    transport = trio_http.MockTransport(handler)
    async with trio_http.AsyncClient(transport=transport, timeout=Timeouts(4, total=9)) as client:
        await client.get("http://example.com/start")
        await client.get("http://example.com/start", timeout=2)
    first, second, third, fourth = seen
    assert first is not None and first is second
    assert first.timeouts == Timeouts(4, total=9)
    assert third is not None and third is fourth and third is not first
    assert third.timeouts == Timeouts(2)
