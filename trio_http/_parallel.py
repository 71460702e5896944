"""Bounded fan-out of many requests on a nursery the caller owns.

How this works. ``AsyncClient.parallel`` returns an :class:`AsyncParallel`,
which knows the client only as a :class:`RequestSender` (so this module
never imports the client's). Entering it opens a nursery and starts a
fixed pool of worker tasks, one per allowed request in flight (never more
than the input holds, when its length is known). Each worker loops: take
the next item from the shared input, turn it into a request, send it, hand
the outcome to the consumer, take the next item. There is no task per
request, so the engine's own cost per request is a few attribute updates
and one wake-up.

Memory stays bounded by one *window*: an item may be taken from the input
only while ``taken - consumed < window`` (``window = 2 * max_in_flight``),
where ``consumed`` counts results the caller has received. Results wait in
a ready buffer until the caller takes them: a deque in completion order, or
a dict keyed by input position in input order. In input order a slow item
at the head stops the caller from consuming, so the window fills and the
workers pause instead of buffering without bound. Lazy inputs (generators,
async generators) are pulled one item at a time, only when a worker is
free.

Errors. With ``errors="raise"`` a failing worker lets its exception out;
the nursery cancels every other worker and the caller's block, and the
block raises an exception group holding exactly the failures (the
cancellations they caused are absorbed by the nursery). With
``errors="collect"`` each failure becomes a :class:`ParallelResult` whose
``error`` is set. Leaving the block early (``break``, ``return``, an
exception in the body) cancels what is still in flight; an exception from
the body itself propagates unwrapped.
"""

from __future__ import annotations

import math
import sys
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Sized
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar, final

import trio

from ._exceptions import TotalTimeout
from ._parallel_items import DEFAULT_MAX_IN_FLIGHT as DEFAULT_MAX_IN_FLIGHT
from ._parallel_items import ErrorPolicy as ErrorPolicy
from ._parallel_items import HostSlots, note_item, request_from_item
from ._parallel_items import ParallelItem as ParallelItem
from ._parallel_items import ParallelResult as ParallelResult
from ._parallel_items import ParallelStats as ParallelStats
from ._parallel_items import RequestSender as RequestSender
from ._parallel_items import validate_options as validate_options
from ._request import Request
from ._response import Response

if sys.version_info >= (3, 11):
    from builtins import BaseExceptionGroup as _BaseExceptionGroup
else:  # pragma: no cover - trio depends on the backport before 3.11
    from exceptiongroup import BaseExceptionGroup as _BaseExceptionGroup  # type: ignore[import-not-found]

if TYPE_CHECKING:
    from types import TracebackType

# The item and result types are re-exported: the client and the blocking
# API import them from here, next to the engine.
__all__ = [
    "DEFAULT_MAX_IN_FLIGHT",
    "AsyncParallel",
    "ErrorPolicy",
    "ParallelItem",
    "ParallelResult",
    "ParallelStats",
    "RequestSender",
    "validate_options",
]

T = TypeVar("T")

# Items taken from the input but not yet received by the caller, per request
# in flight: in flight plus finished-and-waiting stays under twice the bound.
WINDOW_PER_SLOT = 2

Handler = Callable[[Response], Awaitable[T]]

_END: Any = object()


@final
class AsyncParallel(Generic[T]):
    """Many requests in flight at once, on a nursery this block owns.

    Returned by :meth:`AsyncClient.parallel`; use it as an async context
    manager, and iterate it inside the block::

        async with client.parallel(urls, max_in_flight=20) as results:
            async for result in results:
                print(result.index, result.value.status_code)

    Nothing it starts outlives the block: leaving it (after the last
    result, by ``break``, or by an exception) cancels whatever is still in
    flight, and cancelling the surrounding scope cancels every request.

    Attributes:
        stats: live :class:`ParallelStats` for progress reporting.
    """

    __slots__ = (
        "_client",
        "_consumed",
        "_consumer",
        "_context",
        "_entered",
        "_errors",
        "_handler",
        "_hosts",
        "_input_done",
        "_input_lock",
        "_intake",
        "_items",
        "_iterator",
        "_max_in_flight",
        "_ordered",
        "_ready",
        "_ready_by_index",
        "_taken",
        "_timeout",
        "_window",
        "_workers_left",
        "stats",
    )

    def __init__(
        self,
        client: RequestSender,
        items: Iterable[ParallelItem] | AsyncIterable[ParallelItem],
        *,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        max_per_host: int | None = None,
        ordered: bool = True,
        errors: ErrorPolicy = "raise",
        handler: Handler[T] | None = None,
        timeout: float | None = None,
    ) -> None:
        validate_options(max_in_flight, max_per_host, errors)
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout < 0):
            raise ValueError(f"timeout must be a number of seconds >= 0 or None, got {timeout!r}")
        if not isinstance(items, (Iterable, AsyncIterable)) or isinstance(items, (str, bytes)):
            raise TypeError(
                "parallel() takes an iterable of requests (URLs, Request objects or "
                f"(method, url[, options]) tuples), not {type(items).__name__}"
            )
        self._client = client
        self._items = items
        self._max_in_flight = max_in_flight
        self._hosts = HostSlots(max_per_host) if max_per_host is not None else None
        self._ordered = ordered
        self._errors = errors
        self._handler = handler
        self._timeout = timeout
        self._window = WINDOW_PER_SLOT * max_in_flight
        total = len(items) if isinstance(items, Sized) else None
        self.stats = ParallelStats(total)
        self._entered = False
        self._context: Any = None
        self._iterator: Any = None
        self._input_lock: trio.Lock | None = None
        self._input_done = False
        self._taken = 0
        self._consumed = 0
        self._workers_left = 0
        self._ready: deque[ParallelResult[T]] = deque()
        self._ready_by_index: dict[int, ParallelResult[T]] = {}
        # The caller waiting for a result; workers waiting for window space.
        self._consumer = trio.lowlevel.ParkingLot()
        self._intake = trio.lowlevel.ParkingLot()

    # -- the block ----------------------------------------------------------

    async def __aenter__(self) -> AsyncParallel[T]:
        if self._entered:
            raise RuntimeError("an AsyncParallel can be entered once; call parallel() again")
        self._entered = True
        self._context = self._run()
        return await self._context.__aenter__()  # type: ignore[no-any-return]

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        context, self._context = self._context, None
        return await context.__aexit__(exc_type, exc, tb)  # type: ignore[no-any-return]

    @asynccontextmanager
    async def _run(self) -> AsyncIterator[AsyncParallel[T]]:
        deadline = math.inf if self._timeout is None else trio.current_time() + self._timeout
        body_error: BaseException | None = None
        unwrap = False
        with trio.CancelScope(deadline=deadline) as deadline_scope:
            try:
                async with trio.open_nursery() as nursery:
                    self._start_workers(nursery)
                    try:
                        yield self
                    except BaseException as exc:
                        body_error = exc
                        raise
                    finally:
                        # After the last result this cancels nothing; after
                        # a break or an error it stops the rest.
                        nursery.cancel_scope.cancel()
            except _BaseExceptionGroup as group:
                # An exception from the caller's own block is not concurrent
                # work: let it out as itself, not wrapped in a group.
                if body_error is None or list(_leaves(group)) != [body_error]:
                    raise
                unwrap = True
        if unwrap:
            assert body_error is not None
            raise body_error
        if deadline_scope.cancelled_caught:
            raise TotalTimeout(
                f"the parallel requests did not all complete within {self._timeout} s"
            )

    def __aiter__(self) -> AsyncParallel[T]:
        if self._context is None:
            raise RuntimeError(
                "iterate parallel results inside their block: "
                "'async with client.parallel(...) as results: async for r in results: ...'"
            )
        return self

    # -- the caller's side ----------------------------------------------------

    async def __anext__(self) -> ParallelResult[T]:
        while True:
            result = self._pop_ready()
            if result is not None:
                # A cancellation point but not a schedule point: results
                # already waiting are handed over without a trip through
                # the scheduler each (that trip would let only one request
                # finish per scheduler pass). The buffer is bounded, so the
                # caller still yields at least once per window of results.
                await trio.lowlevel.checkpoint_if_cancelled()
                return result
            if self._workers_left == 0:
                await trio.lowlevel.checkpoint()
                raise StopAsyncIteration
            await self._consumer.park()

    async def next_batch(self) -> list[ParallelResult[T]]:
        """Every result ready now, waiting for at least one; ``[]`` at the end.

        A checkpoint, like ``__anext__``: the blocking ``Parallel`` hands
        results to its thread in these batches, one hop per batch.
        """
        try:
            first = await self.__anext__()
        except StopAsyncIteration:
            return []
        batch = [first]
        result = self._pop_ready()
        while result is not None:
            batch.append(result)
            result = self._pop_ready()
        return batch

    def _pop_ready(self) -> ParallelResult[T] | None:
        if self._ordered:
            result = self._ready_by_index.pop(self._consumed, None)
        else:
            result = self._ready.popleft() if self._ready else None
        if result is not None:
            self._consumed += 1
            if self._intake:
                self._intake.unpark()
        return result

    # -- the workers ----------------------------------------------------------

    def _start_workers(self, nursery: trio.Nursery) -> None:
        items = self._items
        if isinstance(items, AsyncIterable):
            self._iterator = aiter(items)
            self._input_lock = trio.Lock()
        else:
            self._iterator = iter(items)
        count = self._max_in_flight
        if self.stats.total is not None:
            count = min(count, self.stats.total)
        self._workers_left = count
        if count == 0:
            self._input_done = True
        for _ in range(count):
            nursery.start_soon(self._worker)

    async def _wait_for_window(self) -> None:
        # Pause intake until the caller catches up (or the input has ended).
        while self._taken - self._consumed >= self._window and not self._input_done:
            await self._intake.park()

    async def _next_item(self) -> Any:
        lock = self._input_lock
        if lock is None:
            if self._taken - self._consumed >= self._window:
                await self._wait_for_window()
            if self._input_done:
                return _END
            item = next(self._iterator, _END)
        else:
            # An async iterator cannot be advanced by two tasks at once.
            async with lock:
                await self._wait_for_window()
                if self._input_done:
                    return _END
                try:
                    item = await self._iterator.__anext__()
                except StopAsyncIteration:
                    item = _END
        if item is _END:
            self._input_done = True
            self._intake.unpark_all()
        else:
            self._taken += 1
        return item

    async def _worker(self) -> None:
        stats = self.stats
        try:
            while True:
                item = await self._next_item()
                if item is _END:
                    return
                index = self._taken - 1
                stats.started += 1
                stats.in_flight += 1
                try:
                    result = await self._run_one(index, item)
                finally:
                    stats.in_flight -= 1
                stats.done += 1
                if result.error is not None:
                    stats.failed += 1
                if self._ordered:
                    self._ready_by_index[index] = result
                    if index == self._consumed and self._consumer:
                        self._consumer.unpark()
                else:
                    self._ready.append(result)
                    if self._consumer:
                        self._consumer.unpark()
        finally:
            self._workers_left -= 1
            if self._workers_left == 0:
                self._consumer.unpark_all()

    async def _run_one(self, index: int, item: Any) -> ParallelResult[T]:
        client = self._client
        request: Request | None = None
        send_options: dict[str, Any] = {}
        value: Any
        try:
            if type(item) is str:
                request = client.build_request("GET", item)
            elif isinstance(item, Request):
                request = item
            else:
                request, send_options = request_from_item(client, item)
            hosts = self._hosts
            if hosts is None and self._handler is None:
                value = await client.send(request, **send_options)
            elif hosts is None:
                value = await self._exchange(request, send_options)
            else:
                origin = request.url.origin
                await hosts.acquire(origin)
                try:
                    value = await self._exchange(request, send_options)
                finally:
                    hosts.release(origin)
        except Exception as exc:
            if self._errors == "raise":
                note_item(exc, index, request, item)
                raise
            return ParallelResult(index, request, None, exc)
        return ParallelResult(index, request, value)

    async def _exchange(self, request: Request, send_options: dict[str, Any]) -> Any:
        handler = self._handler
        if handler is None:
            return await self._client.send(request, **send_options)
        response = await self._client.send(request, stream=True, **send_options)
        try:
            return await handler(response)
        finally:
            await response.aclose()


def _leaves(group: BaseException) -> Iterable[BaseException]:
    if isinstance(group, _BaseExceptionGroup):
        for inner in group.exceptions:
            yield from _leaves(inner)
    else:
        yield group
