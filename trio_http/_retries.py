"""Retry policy: what to retry, how often, and how long to wait (layer 0).

How this works. :class:`Retry` is an immutable configuration. For one
request, :meth:`Retry.new_attempts` gives an :class:`Attempts` counter; after
each failed try the transport asks it :meth:`Attempts.after_error` or
:meth:`Attempts.after_response`, which either return the number of seconds
to wait before the next try or ``None`` ("stop: raise the error or return
the response"). All waiting and I/O is the caller's; this module only
decides.

Rules:

* A request whose body cannot be rewound (a generator, a pipe) is never
  sent again, whatever failed.
* Connection failures (``ConnectError``, ``ConnectTimeout``, ``ProxyError``)
  happen before any byte of the request is sent, so they are retried for
  every method, counted by ``connect``.
* Failures after sending started (read/write errors and timeouts, protocol
  errors) and retryable statuses are retried only for ``allowed_methods``
  (by default the idempotent ones, RFC 9110 §9.2.2): a ``POST`` may have
  reached the application, and sending it again could do it twice.
* Waits grow exponentially — ``backoff_factor * 2 ** (n - 1)`` before the
  n-th retry, at most ``backoff_max`` — and each is shortened by a random
  fraction of up to ``backoff_jitter`` so that many clients do not retry in
  step.
* ``Retry-After`` (seconds or an HTTP-date, RFC 9110 §10.2.3) replaces the
  backoff when present; if it asks for longer than ``retry_after_max`` the
  response is returned rather than waiting longer than the caller allowed
  (or retrying earlier than the server asked).
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, final

from ._exceptions import (
    ConnectError,
    ConnectTimeout,
    ProxyError,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    WriteError,
    WriteTimeout,
)

if TYPE_CHECKING:
    from ._headers import Headers
    from ._request import Request

__all__ = ["IDEMPOTENT_METHODS", "RETRYABLE_STATUSES", "Attempts", "Retry", "parse_retry_after"]

# RFC 9110 §9.2.2: repeating these has the same intended effect as sending once.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
# 429 Too Many Requests, 503 Service Unavailable: "try again later" by definition.
RETRYABLE_STATUSES = frozenset({429, 503})
CONNECT_ERRORS: tuple[type[Exception], ...] = (ConnectError, ConnectTimeout, ProxyError)
READ_ERRORS: tuple[type[Exception], ...] = (
    ReadError,
    WriteError,
    RemoteProtocolError,
    ReadTimeout,
    WriteTimeout,
)
RETRYABLE_ERRORS = CONNECT_ERRORS + READ_ERRORS


def _check_count(name: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"Retry.{name} must be a whole number >= 0 or None, not {value!r}")


def _check_seconds(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"Retry.{name} must be a number of seconds >= 0, not {value!r}")


@final
@dataclass(frozen=True, slots=True)
class Retry:
    """How a client retries failed requests.

    ``Retry(3)`` allows three retries (four tries) of idempotent requests on
    connection errors, read errors, 429 and 503. ``retries=3`` on a client
    means the same.

    Args:
        total: retries of any kind for one request; ``None``: no overall cap
            (then only the per-kind counts allow retries).
        connect: retries after connection failures; ``None``: only ``total``
            caps them.
        read: retries after the request was (partly) sent: read/write errors
            and timeouts, protocol errors.
        status: retries after a status in ``status_forcelist``.
        status_forcelist: statuses to retry.
        allowed_methods: methods retried after read errors and statuses.
        backoff_factor: seconds before the first retry; doubles each time.
        backoff_max: longest backoff wait, seconds.
        backoff_jitter: the largest random fraction (0 to 1) taken off a wait.
        respect_retry_after: use the ``Retry-After`` header when present.
        retry_after_max: longest ``Retry-After`` wait honoured, seconds; a
            longer one ends the retries and the response is returned.
        random: a function returning floats in [0, 1) for the jitter
            (tests pass a fixed one).

    Raises:
        ValueError: a negative count or number of seconds.
    """

    total: int | None = 3
    connect: int | None = None
    read: int | None = None
    status: int | None = None
    status_forcelist: frozenset[int] = RETRYABLE_STATUSES
    allowed_methods: frozenset[str] = IDEMPOTENT_METHODS
    backoff_factor: float = 0.5
    backoff_max: float = 30.0
    backoff_jitter: float = 0.25
    respect_retry_after: bool = True
    retry_after_max: float = 60.0
    random: Callable[[], float] = field(default=_random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("total", "connect", "read", "status"):
            _check_count(name, getattr(self, name))
        for name in ("backoff_factor", "backoff_max", "retry_after_max"):
            _check_seconds(name, getattr(self, name))
        if not 0 <= self.backoff_jitter <= 1:
            raise ValueError("Retry.backoff_jitter must be between 0 and 1")
        # Accept any iterable of statuses / methods; store normalised sets.
        object.__setattr__(self, "status_forcelist", frozenset(self.status_forcelist))
        object.__setattr__(
            self, "allowed_methods", frozenset(m.upper() for m in self.allowed_methods)
        )

    @classmethod
    def from_value(cls, value: int | Retry | None) -> Retry | None:
        """Convert ``retries=`` into a :class:`Retry`; ``None``/``0`` mean none.

        Raises:
            TypeError: not an int, a Retry or None.
        """
        if value is None or isinstance(value, Retry):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(total=value) if value > 0 else None
        raise TypeError(f"retries must be an int, a Retry or None, not {value!r}")

    def new_attempts(self) -> Attempts:
        """A fresh counter for one request."""
        return Attempts(self)

    def backoff(self, retry_number: int) -> float:
        """Seconds to wait before retry number ``retry_number`` (1, 2, ...)."""
        if self.backoff_factor == 0:
            return 0.0
        exponent = min(retry_number - 1, 62)  # 2**62 s is past any backoff_max
        delay: float = min(self.backoff_max, self.backoff_factor * (2**exponent))
        if self.backoff_jitter:
            delay *= 1.0 - self.backoff_jitter * self.random()
        return delay


def parse_retry_after(value: str, now: float) -> float | None:
    """Seconds to wait according to a ``Retry-After`` value, or ``None``.

    Args:
        value: delay-seconds (``"120"``) or an HTTP-date.
        now: the current wall-clock time (``time.time()``), for dates.

    Returns:
        A number of seconds >= 0, or ``None`` if the value is malformed.
    """
    value = value.strip()
    if value.isdigit() and value.isascii():
        return float(value)
    import email.utils  # only for a date: most retries never see one

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None  # RFC 9110 §5.6.7: HTTP-dates are in GMT; a bare date is malformed.
    return max(0.0, when.timestamp() - now)


@final
class Attempts:
    """Retry counts for one request; see the module docstring for the rules."""

    __slots__ = ("connect", "read", "retry", "status", "total")

    def __init__(self, retry: Retry) -> None:
        self.retry = retry
        self.total = 0
        self.connect = 0
        self.read = 0
        self.status = 0

    def _may_resend(self, request: Request) -> bool:
        return request.stream.rewindable

    def _take(self, kind: str) -> int | None:
        """Count one retry of ``kind``; the retry number, or None if exhausted."""
        retry = self.retry
        limit: int | None = getattr(retry, kind)
        used: int = getattr(self, kind)
        if limit is not None and used >= limit:
            return None
        if retry.total is not None and self.total >= retry.total:
            return None
        if limit is None and retry.total is None:
            # Nothing caps this kind: refuse rather than retry forever.
            return None
        setattr(self, kind, used + 1)
        self.total += 1
        return self.total

    def after_error(self, request: Request, error: BaseException) -> float | None:
        """Seconds to wait before retrying after ``error``, or ``None`` to re-raise."""
        if not isinstance(error, RETRYABLE_ERRORS) or not self._may_resend(request):
            return None
        response = getattr(error, "response", None)
        if isinstance(error, ProxyError) and response is not None and response.status_code < 500:
            return None  # the proxy said no (407, 403): asking again changes nothing
        if isinstance(error, CONNECT_ERRORS) and not isinstance(error, READ_ERRORS):
            number = self._take("connect")
        elif request.method in self.retry.allowed_methods:
            number = self._take("read")
        else:
            return None
        return None if number is None else self.retry.backoff(number)

    def after_response(
        self, request: Request, status_code: int, headers: Headers, now: float
    ) -> float | None:
        """Seconds to wait before retrying after this response, or ``None`` to return it.

        Args:
            request: the request that was answered.
            status_code: the response status.
            headers: the response headers (for ``Retry-After``).
            now: the wall-clock time, for an HTTP-date ``Retry-After``.
        """
        retry = self.retry
        if (
            status_code not in retry.status_forcelist
            or request.method not in retry.allowed_methods
            or not self._may_resend(request)
        ):
            return None
        delay: float | None = None
        if retry.respect_retry_after:
            header = headers.get("Retry-After")
            if header is not None:
                delay = parse_retry_after(header, now)
                if delay is not None and delay > retry.retry_after_max:
                    return None
        number = self._take("status")
        if number is None:
            return None
        return delay if delay is not None else retry.backoff(number)
