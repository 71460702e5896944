"""Timeouts, pool limits and the named size limits (layer 0)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, final

__all__ = ["DEFAULT_LIMITS", "DEFAULT_TIMEOUT", "Limits", "Timeouts"]

# Named limits; each is enforced with a specific exception where it applies.
MAX_HEADER_BYTES = 64 * 1024  # whole response header block (RemoteProtocolError)
MAX_REDIRECTS = 30  # requests' default (TooManyRedirects)
MAX_IN_FLIGHT = 10  # parallel(): requests in flight at once when the caller names no bound
MAX_DECOMPRESSION_RATIO = 1000  # decoded bytes per encoded byte (DecompressionBombError)
MIN_DECOMPRESSION_ALLOWANCE = 10 * 1024 * 1024  # decoded bytes always allowed
# Codings in one Content-Encoding, identity not counted; urllib3 stops at 5 too.
MAX_CONTENT_ENCODINGS = 5  # codings per response (TooManyContentEncodings)
# RFC 6265 §6.1 minimums: 4096 bytes per cookie, 50 per domain, 3000 in all.
# A cookie is measured as name + value, as browsers measure it: that is what
# is sent back. Its attributes are stored but never sent, so they are bounded
# by the whole Set-Cookie value instead.
MAX_COOKIE_BYTES = 4096  # name + value (a larger Set-Cookie is ignored; by hand: ValueError)
MAX_SET_COOKIE_BYTES = 8 * 1024  # one Set-Cookie value, attributes included (else ignored)
MAX_COOKIES_PER_DOMAIN = 180  # cookies kept per domain, as browsers (least recently set go)
MAX_COOKIES = 3000  # cookies kept in one jar (least recently set go)
# nginx's default large_client_header_buffers answers 400 to a longer line.
MAX_COOKIE_HEADER_BYTES = 8 * 1024  # whole "Cookie: ...\r\n" line (cookies past it not sent)
READ_SIZE = 256 * 1024  # most bytes one receive on a connection returns (plaintext over TLS)
# Reads start small and double while they come back full (see _net.Receiver):
# a small response never costs a 256 KiB buffer, a download reaches READ_SIZE
# within four reads.
MIN_READ_SIZE = 16 * 1024  # bytes a connection's first read asks for, and after a short one
WRITE_CHUNK = 64 * 1024  # bytes read per step from file/iterator request bodies
# requests reads every multipart file while preparing; trio_http reads small
# ones too (the body is then plain bytes), and streams the rest.
MULTIPART_MEMORY = 1024 * 1024  # file bytes one multipart body reads into memory up front
KEEPALIVE_PROBE_AFTER = 1.0  # seconds idle before a pooled connection is probed
CLOSE_GRACE = 0.5  # seconds allowed for a graceful close under cancellation

_UNSET: Any = object()


class TimeoutTypeError(TypeError, ValueError):
    """A ``timeout`` of the wrong type or shape.

    A ``TypeError`` as trio_http documents, and a ``ValueError`` as requests
    raises (from urllib3's ``Timeout``), so ``except ValueError`` written for
    requests still catches it.
    """


def _check_seconds(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        # urllib3's wording, which requests' users see: "must be an int, float or None".
        raise TimeoutTypeError(
            f"timeout {name} was {value!r}, but it must be an int, float or None (seconds)"
        )
    if math.isnan(value) or value < 0:
        raise ValueError(f"timeout {name} must be >= 0 seconds, got {value!r}")
    return float(value)


@final
@dataclass(frozen=True, slots=True, init=False)
class Timeouts:
    """Timeouts for one request, in seconds; ``None`` means no limit.

    ``Timeouts(5)`` sets every phase to five seconds. ``Timeouts(5, read=30)``
    sets a default and overrides one phase. A ``(connect, read)`` tuple, as
    requests accepts, is converted with :meth:`from_value`.

    Attributes:
        connect: DNS, TCP, TLS and proxy tunnel set-up.
        read: the longest silence allowed while waiting for response bytes.
        write: the longest stall allowed while sending request bytes.
        pool: waiting for a free connection slot.
        total: one deadline for the whole request, redirects and body included.
    """

    connect: float | None
    read: float | None
    write: float | None
    pool: float | None
    total: float | None

    def __init__(
        self,
        timeout: float | None = _UNSET,
        *,
        connect: float | None = _UNSET,
        read: float | None = _UNSET,
        write: float | None = _UNSET,
        pool: float | None = _UNSET,
        total: float | None = None,
    ) -> None:
        default = None if timeout is _UNSET else timeout
        if timeout is _UNSET and _UNSET in (connect, read, write, pool):
            # Timeouts(connect=1) alone: the other phases keep the defaults.
            base = DEFAULT_TIMEOUT if "DEFAULT_TIMEOUT" in globals() else None
            if base is not None:
                connect = base.connect if connect is _UNSET else connect
                read = base.read if read is _UNSET else read
                write = base.write if write is _UNSET else write
                pool = base.pool if pool is _UNSET else pool
        for name, value in (
            ("connect", connect),
            ("read", read),
            ("write", write),
            ("pool", pool),
        ):
            value = default if value is _UNSET else value
            object.__setattr__(self, name, _check_seconds(name, value))
        object.__setattr__(self, "total", _check_seconds("total", total))

    @classmethod
    def from_value(cls, value: object) -> Timeouts:
        """Convert what users pass as ``timeout=`` into a :class:`Timeouts`.

        Accepts a ``Timeouts``, a number, ``None`` (no limits at all), or a
        requests-style ``(connect, read)`` tuple.

        Raises:
            TypeError: for any other type; the exception is a ``ValueError``
                too, as requests raises.
            ValueError: for a negative or NaN number of seconds.
        """
        if isinstance(value, Timeouts):
            return value
        if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            return cls(value)
        if isinstance(value, tuple) and len(value) == 2:
            connect, read = value
            return cls(None, connect=connect, read=read, write=read, pool=connect)
        if isinstance(value, tuple):
            raise TimeoutTypeError(
                f"invalid timeout {value!r}: give a (connect, read) tuple, a number of "
                "seconds, None or a Timeouts"
            )
        # requests hands anything else to urllib3, which checks connect first.
        _check_seconds("connect", value)  # type: ignore[arg-type]
        raise TimeoutTypeError(  # a number, None or a Timeouts was handled above
            f"timeout was {value!r}, but it must be an int, float, None, a "
            "(connect, read) tuple or a Timeouts"
        )


DEFAULT_TIMEOUT = Timeouts(connect=10.0, read=60.0, write=60.0, pool=60.0)


@final
@dataclass(frozen=True, slots=True)
class Limits:
    """Connection-pool limits.

    Attributes:
        max_connections: connections open at once, all origins together
            (``None``: no limit). Requests beyond it wait (pool timeout).
        max_keepalive_connections: idle connections kept for reuse.
        keepalive_expiry: seconds an idle connection is kept before closing.
        max_connections_per_host: connections open at once to one origin.
    """

    max_connections: int | None = 100
    max_keepalive_connections: int | None = 20
    keepalive_expiry: float | None = 5.0
    max_connections_per_host: int | None = None

    def __post_init__(self) -> None:
        for name in ("max_connections", "max_keepalive_connections", "max_connections_per_host"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise ValueError(f"Limits.{name} must be a whole number >= 0 or None")
        if self.max_connections == 0 or self.max_connections_per_host == 0:
            raise ValueError("Limits: a connection limit of 0 would block every request")
        _check_seconds("keepalive_expiry", self.keepalive_expiry)


DEFAULT_LIMITS = Limits()
