"""Which HTTP/2 streams go again on another connection, and how many times."""

from __future__ import annotations

from trio_http import ReadError
from trio_http._transports._http2_resend import (
    MAX_HTTP2_RETRIES,
    MAX_LOST_RETRIES,
    RetryableStreamError,
    split_for_goaway,
    why_not_resent,
)


def test_goaway_splits_at_the_last_stream_id() -> None:
    assert split_for_goaway([1, 3, 5, 7], 3) == ([1, 3], [5, 7])
    assert split_for_goaway([1, 3], 0) == ([], [1, 3])


def _refusal(lost: bool = False, **overrides: object) -> str:
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
    assert "attempts" in _refusal(moves=MAX_HTTP2_RETRIES)
    assert _refusal(moves=MAX_HTTP2_RETRIES - 1) == ""
    assert "connections ended" in _refusal(lost=True, lost_moves=MAX_LOST_RETRIES)
    assert _refusal(lost=True, lost_moves=MAX_LOST_RETRIES - 1) == ""


def test_a_body_that_cannot_be_replayed_is_never_sent_again() -> None:
    assert _refusal(rewindable=False) == "its body cannot be sent again"
