"""Which HTTP/2 requests go again on another connection, and how many times.

How this works. A stream the server did not process (RFC 9113 §8.7: above
a GOAWAY's last stream id, or refused with REFUSED_STREAM) ends in a
:class:`RetryableStreamError`, as does one the connection ended under before
any answer. :func:`split_for_goaway` tells the first kind from the streams
that may still complete; :func:`why_not_resent` decides, without I/O,
whether the pool sends the request again, within :data:`MAX_HTTP2_RETRIES`
and :data:`MAX_LOST_RETRIES`.
"""

from __future__ import annotations

from collections.abc import Iterable

from .._exceptions import RemoteProtocolError, RequestException

__all__ = [
    "MAX_HTTP2_RETRIES",
    "MAX_LOST_RETRIES",
    "RetryableStreamError",
    "split_for_goaway",
    "why_not_resent",
]


class RetryableStreamError(RemoteProtocolError):
    """A stream the pool may send again on a new connection.

    RFC 9113 §8.7: a stream the server did not process (GOAWAY above it,
    REFUSED_STREAM) may be sent again whatever its method. With ``lost``,
    the connection ended (``lost`` is why) before the server answered the
    stream, so the server may have processed it: only an idempotent request
    is sent again (RFC 9110 §9.2.2), as for a keep-alive connection closed
    under an HTTP/1.1 request. hypercorn, for one, drops the streams in
    flight when it ends a connection at its request cap. Either way only a
    body that can be replayed. Never reaches the caller: the pool raises
    ``lost`` or a plain :class:`RemoteProtocolError` instead.
    """

    def __init__(self, message: str, *, lost: RequestException | None = None) -> None:
        super().__init__(message)
        self.lost = lost


# Times one request is moved to a new HTTP/2 connection (GOAWAY, REFUSED_STREAM).
# Servers end connections after a request cap (nginx and hypercorn: 1,000)
# with up to 128 streams in flight above it, so about one request in ten
# moves at least once under load; eight moves make a ninth vanishingly rare
# and still end a loop against a server that refuses every stream.
MAX_HTTP2_RETRIES = 8
# Times one idempotent request is sent again after the connection ended before
# the server answered it (RFC 9110 §9.2.2); twice covers a server that ends
# connections at a request cap without answering, and stops at one that
# fails every connection.
MAX_LOST_RETRIES = 2


def why_not_resent(
    exc: RetryableStreamError,
    *,
    method: str,
    idempotent: bool,
    rewindable: bool,
    moves: int,
    lost_moves: int,
) -> str:
    """Why the request of a retryable stream must not be sent again; "" when it may.

    Args:
        exc: what the stream ended with.
        method: the request's method (for the message).
        idempotent: whether the method may be repeated (RFC 9110 §9.2.2).
        rewindable: whether the body can be sent again.
        moves: times the request moved already for streams not processed.
        lost_moves: times it was sent again after a connection ended under it.
    """
    if not rewindable:
        return "its body cannot be sent again"
    if exc.lost is not None:
        if not idempotent:
            return f"a {method} request is not sent twice"
        if lost_moves >= MAX_LOST_RETRIES:
            return f"after {lost_moves + 1} connections ended under it"
    if moves >= MAX_HTTP2_RETRIES:
        return f"after {moves + 1} attempts"
    return ""


def split_for_goaway(stream_ids: Iterable[int], last_stream_id: int) -> tuple[list[int], list[int]]:
    """Split in-flight streams after a GOAWAY.

    RFC 9113 §6.8: streams with ids above ``last_stream_id`` were not
    processed and may be retried on a new connection; those at or below it
    may still complete.

    Returns:
        (streams that may complete here, streams to retry elsewhere).
    """
    keep: list[int] = []
    retry: list[int] = []
    for stream_id in stream_ids:
        (retry if stream_id > last_stream_id else keep).append(stream_id)
    return keep, retry
