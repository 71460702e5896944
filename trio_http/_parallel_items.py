"""What goes into a fan-out and what comes out of it, with its per-host bound.

The engine (:class:`~trio_http._parallel.AsyncParallel`) takes items from
the caller's input and hands back results; this module holds the pieces
that need no engine state: the item types and how an item becomes a
request, the option checks shared with the blocking API, the live
:class:`ParallelStats`, each item's :class:`ParallelResult`, and
:class:`HostSlots`, the per-origin bound.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, Generic, Literal, Protocol, TypeVar, final

import trio

from ._config import MAX_IN_FLIGHT
from ._request import Request
from ._response import Response
from ._urls import URL

__all__ = [
    "DEFAULT_MAX_IN_FLIGHT",
    "ErrorPolicy",
    "HostSlots",
    "ParallelItem",
    "ParallelResult",
    "ParallelStats",
    "RequestSender",
    "note_item",
    "request_from_item",
    "validate_options",
]

T = TypeVar("T")

DEFAULT_MAX_IN_FLIGHT = MAX_IN_FLIGHT  # requests in flight at once when the caller names no bound

ErrorPolicy = Literal["raise", "collect"]
ParallelItem = (
    str | URL | Request | tuple[str, str | URL] | tuple[str, str | URL, Mapping[str, Any]]
)

# Keywords of an item's option mapping that belong to ``send`` rather than
# to ``build_request``.
_SEND_OPTIONS = frozenset({"auth", "follow_redirects"})


class RequestSender(Protocol):
    """What the fan-out needs from a client: build a request, then send it.

    :class:`~trio_http.AsyncClient` is one. The engine never looks at the
    client's state: ``send`` refuses to work on a client that is not open,
    and :meth:`AsyncClient.parallel` checks it before the engine starts.
    The trailing ``*args``/``**options`` let a client take its own keyword
    arguments (those of an item's options mapping).
    """

    def build_request(self, method: str, url: str | URL, *args: Any, **options: Any) -> Request:
        """Build a request from an item; does no I/O."""
        ...

    async def send(self, request: Request, *args: Any, **options: Any) -> Response:
        """Send ``request``; with ``stream=True`` its body is left unread. A checkpoint."""
        ...


@final
class ParallelStats:
    """Live counts of a fan-out, for progress bars and logs.

    The same object is updated in place as requests start and finish; read
    it whenever convenient (from the consuming loop, a timer task, or, for
    the blocking API, any thread). Reading is free and never blocks.

    Attributes:
        total: how many items the input holds, when it has a length
            (a list, a range...); ``None`` for iterators and generators.
        started: items taken from the input so far.
        in_flight: requests currently being sent or handled.
        done: requests finished, successfully or not.
        failed: requests finished with an error (included in ``done``).
    """

    __slots__ = ("done", "failed", "in_flight", "started", "total")

    def __init__(self, total: int | None = None) -> None:
        self.total = total
        self.started = 0
        self.in_flight = 0
        self.done = 0
        self.failed = 0

    @property
    def succeeded(self) -> int:
        """Requests finished without an error."""
        return self.done - self.failed

    def __repr__(self) -> str:
        total = "?" if self.total is None else str(self.total)
        return (
            f"<ParallelStats done={self.done}/{total} failed={self.failed} "
            f"in_flight={self.in_flight}>"
        )


@final
class ParallelResult(Generic[T]):
    """The outcome of one item of a fan-out, tied to its place in the input.

    Attributes:
        index: the item's position in the input (0-based).
        request: the :class:`Request` that was sent; ``None`` only when the
            item could not be turned into a request (an invalid URL, say).
        error: the exception the item ended with, or ``None``.
    """

    __slots__ = ("_value", "error", "index", "request")

    def __init__(
        self,
        index: int,
        request: Request | None,
        value: T | None = None,
        error: Exception | None = None,
    ) -> None:
        self.index = index
        self.request = request
        self._value = value
        self.error = error

    @property
    def ok(self) -> bool:
        """True when the item ended without an error."""
        return self.error is None

    @property
    def value(self) -> T:
        """The handler's return value, or the :class:`Response` without a handler.

        Raises:
            Exception: the item's own error, when it failed.
        """
        if self.error is not None:
            raise self.error
        return self._value  # type: ignore[return-value]

    def __repr__(self) -> str:
        target = "?" if self.request is None else f"{self.request.method} {self.request.url}"
        outcome = f"error={self.error!r}" if self.error is not None else f"value={self._value!r}"
        return f"<ParallelResult #{self.index} {target} {outcome}>"


def validate_options(max_in_flight: int, max_per_host: int | None, errors: str) -> None:
    """Check a fan-out's options; shared with the blocking API.

    Raises:
        ValueError: a bound is not a whole number >= 1, or ``errors`` is
            neither ``"raise"`` nor ``"collect"``.
    """
    for name, bound in (("max_in_flight", max_in_flight), ("max_per_host", max_per_host)):
        if bound is None and name == "max_per_host":
            continue
        if type(bound) is not int or bound < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {bound!r}")
    if errors not in ("raise", "collect"):
        raise ValueError(f'errors must be "raise" or "collect", got {errors!r}')


@final
class HostSlots:
    """At most ``limit`` requests at once per origin, waiters served FIFO.

    An origin's entry exists only while a request to it is in flight, so a
    crawl over a million hosts keeps no per-host state behind it.
    """

    __slots__ = ("_hosts", "_limit")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        # origin -> [requests in flight, tasks waiting for a slot]
        self._hosts: dict[Any, tuple[list[int], trio.lowlevel.ParkingLot]] = {}

    async def acquire(self, origin: Any) -> None:
        # Not a checkpoint on the fast path: the request that follows is one.
        entry = self._hosts.get(origin)
        if entry is None:
            self._hosts[origin] = ([1], trio.lowlevel.ParkingLot())
            return
        if entry[0][0] < self._limit:
            entry[0][0] += 1
            return
        # release() hands its slot straight to us (the count stays); a
        # cancelled waiter leaves the lot and takes nothing.
        await entry[1].park()

    def release(self, origin: Any) -> None:
        entry = self._hosts[origin]
        if entry[1]:
            entry[1].unpark()
            return
        entry[0][0] -= 1
        if entry[0][0] == 0:
            del self._hosts[origin]


def request_from_item(client: RequestSender, item: Any) -> tuple[Request, dict[str, Any]]:
    """Build the request of a tuple (or URL object) item; does no I/O.

    Returns:
        The request, and the options of the item meant for ``send``.

    Raises:
        TypeError: the item is not one of the :data:`ParallelItem` forms.
    """
    if isinstance(item, tuple) and len(item) in (2, 3):
        method, url = item[0], item[1]
        options = dict(item[2]) if len(item) == 3 else {}
        send_options = {name: options.pop(name) for name in _SEND_OPTIONS if name in options}
        return client.build_request(method, url, **options), send_options
    if isinstance(item, str):  # a URL object (a str subclass)
        return client.build_request("GET", item), {}
    raise TypeError(
        "each parallel item must be a URL, a Request, or a (method, url) or "
        f"(method, url, options) tuple, not {item!r}"
    )


def note_item(exc: Exception, index: int, request: Request | None, item: Any) -> None:
    """Add a note to ``exc`` naming the item it came from."""
    # In fail-fast mode the group is all the caller sees: name the item.
    target = f"{request.method} {request.url}" if request is not None else repr(item)
    _add_note(exc, f"in parallel item #{index}: {target}")


def _add_note(exc: BaseException, note: str) -> None:
    """``exc.add_note(note)``, on Python 3.10 too.

    3.10 has no ``add_note``; setting ``__notes__`` by hand is what PEP 678
    specifies, and the exceptiongroup backport (which trio installs there)
    prints them in tracebacks.
    """
    if sys.version_info >= (3, 11):
        exc.add_note(note)
        return
    notes = exc.__dict__.setdefault("__notes__", [])
    if isinstance(notes, list):
        notes.append(note)
