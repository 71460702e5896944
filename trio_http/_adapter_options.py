"""requests' ``HTTPAdapter`` settings, as the options of the clients that send for it.

How this works. A session's clients are built from two kinds of settings:
TLS and proxies (:func:`~trio_http._sync_options.client_settings`) and the
rest, a :class:`ClientOptions` (pool limits, retries, HTTP/2, transport).
An ``HTTPAdapter`` left at requests' defaults uses the session's options;
one given ``pool_maxsize``/``pool_block`` or ``max_retries`` gets its own,
made by :func:`limits_for_pool` and :func:`retry_from_requests`. urllib3's
``raise_on_status`` has no counterpart in :class:`~trio_http.Retry` (the
client returns the last response), so :func:`raise_for_retried_status`
applies it to the response.

Everything here is plain code: no I/O and no waiting.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ._config import DEFAULT_LIMITS, Limits
from ._exceptions import RetryError
from ._retries import Retry

if TYPE_CHECKING:
    from ._response import Response
    from ._transports._base import AsyncBaseTransport

__all__ = ["ClientOptions", "limits_for_pool", "raise_for_retried_status", "retry_from_requests"]


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class ClientOptions:
    """What a session's clients are built with besides TLS and proxies.

    Compared by identity: a session keeps one object, and so does each
    adapter that changes it, so finding a client hashes no settings.

    Attributes:
        limits: the pool's :class:`Limits`.
        retries: the client's :class:`Retry`, or ``None``.
        http2: offer HTTP/2.
        transport: the default transport (``None``: the pool).
        raise_on_status: urllib3's ``raise_on_status`` (see
            :func:`raise_for_retried_status`).
    """

    limits: Limits = DEFAULT_LIMITS
    retries: Retry | None = None
    http2: bool = False
    transport: AsyncBaseTransport | None = None
    raise_on_status: bool = False


def limits_for_pool(base: Limits, pool_maxsize: int, pool_block: bool) -> Limits:
    """requests' ``HTTPAdapter(pool_maxsize, pool_block)`` as pool :class:`Limits`.

    urllib3 keeps up to ``pool_maxsize`` connections per host. With
    ``pool_block`` it never opens more (requests wait): that is
    ``max_connections_per_host``. Without, it opens more when needed and
    closes them after use, so only the number kept alive grows. Overall
    limits grow to at least ``pool_maxsize``. (``pool_connections``, how
    many hosts' pools urllib3 caches, has no counterpart: one trio_http
    pool serves every host.)
    """
    keepalive = base.max_keepalive_connections
    total = base.max_connections
    return dataclasses.replace(
        base,
        max_connections=None if total is None else max(total, pool_maxsize),
        max_keepalive_connections=None if keepalive is None else max(keepalive, pool_maxsize),
        max_connections_per_host=pool_maxsize if pool_block else base.max_connections_per_host,
    )


_DEFAULT_BACKOFF_MAX = Retry().backoff_max
_NO_STATUSES: frozenset[int] = frozenset()
# urllib3's allowed_methods=None: every method may be retried.
_EVERY_METHOD = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)


def retry_from_requests(value: object) -> tuple[Retry | None, bool]:
    """requests' ``max_retries`` as a client's retries, and urllib3's ``raise_on_status``.

    Args:
        value: an int (urllib3's ``Retry.from_int``: that many retries of
            connection errors, and of read errors on idempotent methods; no
            status retries, no backoff), a :class:`trio_http.Retry` (as it
            is), or an object read by urllib3's ``Retry`` attributes
            (``total``, ``connect``, ``read``, ``status``, ``backoff_factor``,
            ``backoff_max``, ``status_forcelist``, ``allowed_methods``,
            ``raise_on_status``, ``respect_retry_after_header``); urllib3 is
            not imported.

    Returns:
        ``(retries or None when none are allowed, raise_on_status)``.

    Raises:
        TypeError: none of these.
    """
    if value is None or isinstance(value, Retry):
        return value, False
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            return None, False
        return Retry(total=value, status_forcelist=_NO_STATUSES, backoff_factor=0), False
    if not hasattr(value, "respect_retry_after_header"):
        raise TypeError(
            f"max_retries must be an int, a trio_http.Retry or a urllib3 Retry, not {value!r}"
        )

    def count(name: str) -> int | None:
        # urllib3: None leaves the kind to ``total``; False allows none of it.
        number = getattr(value, name, None)
        return 0 if number is False else number

    total = getattr(value, "total", None)
    methods = getattr(value, "allowed_methods", None)
    retry = Retry(
        total=None if total is False else total,
        connect=count("connect"),
        read=count("read"),
        status=count("status"),
        status_forcelist=frozenset(getattr(value, "status_forcelist", None) or ()),
        allowed_methods=frozenset(methods) if methods else _EVERY_METHOD,
        backoff_factor=float(getattr(value, "backoff_factor", 0.0) or 0.0),
        backoff_max=float(getattr(value, "backoff_max", _DEFAULT_BACKOFF_MAX)),
        backoff_jitter=0.0,
        respect_retry_after=bool(getattr(value, "respect_retry_after_header", True)),
    )
    if retry.total == 0:
        return None, False
    return retry, bool(getattr(value, "raise_on_status", True))


def raise_for_retried_status(options: ClientOptions, response: Response) -> None:
    """urllib3's ``raise_on_status``: a retryable status left after the retries is an error.

    The client returns the last response once the retries for its status
    are used up; requests (through urllib3) raises instead.

    Raises:
        RetryError: ``options`` asks for it and the status is still one to retry.
    """
    retry = options.retries
    if retry is None or not options.raise_on_status:
        return
    request = response.request
    if (
        response.status_code in retry.status_forcelist
        and request is not None
        and request.method in retry.allowed_methods
    ):
        raise RetryError(
            f"too many {response.status_code} error responses for {request.url}",
            request=request,
            response=response,
        )
