"""The blocking twin of ``AsyncClient.parallel``: ``Session.parallel``.

How this works. The fan-out runs as one task in the loop thread (the
portal), inside its own cancel scope, through the async engine. That task
waits for results and hands them to the calling thread in *batches*
(everything that became ready since the last hand-off) through a
``queue.SimpleQueue``, whose ``get`` is cheap and interruptible by Ctrl-C.
The calling thread yields results from its current batch without touching
the loop; when the batch runs out it tells the loop how many it consumed
(one ``run_sync_soon``, no waiting) and takes the next batch. The loop
task stops taking results while the calling thread holds more than a
window of them, so a slow consumer pauses the fan-out instead of growing
memory.

Closing the iterator (``with`` block end, exhaustion, an exception such as
``KeyboardInterrupt`` while it waits) cancels the task's scope and waits,
bounded, for every request to finish its cleanup; the session stays
usable. A ``break`` without a ``with`` block cancels when the iterator is
garbage collected (at once in CPython), without waiting.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, final

import trio

from ._models import Request, Response
from ._parallel import (
    DEFAULT_MAX_IN_FLIGHT,
    WINDOW_PER_SLOT,
    AsyncParallel,
    ErrorPolicy,
    ParallelItem,
    ParallelResult,
    ParallelStats,
    validate_options,
)
from ._portal import CANCEL_WAIT, Portal, get_portal

if TYPE_CHECKING:
    from types import TracebackType

    from ._client import AsyncClient
    from ._sync import Session

__all__ = ["Parallel", "parallel", "session_parallel"]

T = TypeVar("T")

# requests' keyword for what AsyncClient calls follow_redirects.
_RENAMED_OPTIONS = {"allow_redirects": "follow_redirects"}


@final
class _Finished:
    """The loop task's last message: how the fan-out ended."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


@final
class _Bridge:
    """The loop-thread side of one blocking fan-out.

    Kept apart from :class:`Parallel` so that the running task does not keep
    the caller's iterator alive: dropping the iterator after a ``break``
    must be able to cancel the task.
    """

    __slots__ = ("bound", "engine", "finished", "portal", "queue", "scope", "space", "unreported")

    def __init__(self, portal: Portal, engine: AsyncParallel[Any], bound: int) -> None:
        self.portal = portal
        self.engine = engine
        self.bound = bound
        self.queue: queue.SimpleQueue[list[ParallelResult[Any]] | _Finished] = queue.SimpleQueue()
        self.finished = threading.Event()
        self.unreported = 0
        self.space: trio.lowlevel.ParkingLot | None = None
        self.scope: trio.CancelScope | None = None

    async def start(self) -> None:
        await self.portal.nursery.start(self.run)

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        error: BaseException | None = None
        try:
            with trio.CancelScope() as scope:
                self.scope = scope
                self.space = space = trio.lowlevel.ParkingLot()
                task_status.started()
                async with self.engine as results:
                    while True:
                        batch = await results._next_batch()
                        if not batch:
                            break
                        self.unreported += len(batch)
                        self.queue.put(batch)
                        while self.unreported >= self.bound:
                            await space.park()
        except BaseException as exc:
            # A task of the portal's nursery must not raise: the error is the
            # caller's, delivered through the queue. (trio.Cancelled lands
            # here only when the whole loop thread shuts down.)
            error = exc
        finally:
            self.queue.put(_Finished(error))
            self.finished.set()

    def consumed(self, count: int) -> None:
        # A run_sync_soon callback: the caller took ``count`` more results.
        self.unreported -= count
        if self.space is not None and self.unreported < self.bound:
            self.space.unpark_all()

    def cancel(self) -> None:
        # A run_sync_soon callback.
        if self.scope is not None:
            self.scope.cancel()


@final
class Parallel(Generic[T]):
    """Results of a blocking fan-out, yielded as the requests complete.

    Returned by :meth:`Session.parallel` and :func:`trio_http.parallel`.
    Iterate it, preferably in a ``with`` block so that leaving early
    cancels what is still in flight and waits for it::

        with session.parallel(urls, max_in_flight=20) as results:
            for result in results:
                print(result.index, result.value.status_code)

    Attributes:
        stats: live :class:`ParallelStats`, readable from any thread.
    """

    def __init__(
        self,
        portal: Portal,
        client: AsyncClient,
        items: Iterable[Any] | AsyncIterable[Any],
        *,
        max_in_flight: int,
        max_per_host: int | None,
        ordered: bool,
        errors: ErrorPolicy,
        handler: Callable[[Response], Awaitable[T]] | None,
        timeout: float | None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._portal = portal
        self._on_close = on_close
        self._batch: deque[ParallelResult[T]] = deque()
        self._taken = 0  # results handed to the caller since the last report
        self._done = False
        engine: AsyncParallel[Any] = client.parallel(
            items,
            max_in_flight=max_in_flight,
            max_per_host=max_per_host,
            ordered=ordered,
            errors=errors,
            handler=handler,
            timeout=timeout,
        )
        self.stats: ParallelStats = engine.stats
        self._bridge = _Bridge(portal, engine, WINDOW_PER_SLOT * max_in_flight)
        portal.call(self._bridge.start)

    def __iter__(self) -> Iterator[ParallelResult[T]]:
        return self

    def __next__(self) -> ParallelResult[T]:
        batch = self._batch
        if batch:
            self._taken += 1
            return batch.popleft()
        if self._done:
            raise StopIteration
        bridge = self._bridge
        if self._taken:
            self._portal.call_soon(bridge.consumed, self._taken)
            self._taken = 0
        try:
            message = bridge.queue.get()
        except BaseException:
            self.close()
            raise
        if isinstance(message, _Finished):
            self._done = True
            self._release()
            if message.error is not None:
                raise message.error
            raise StopIteration
        batch.extend(message)
        self._taken += 1
        return batch.popleft()

    def close(self) -> None:
        """Cancel whatever is still in flight and wait (bounded) for it to stop.

        Idempotent. Results not yet yielded are dropped.
        """
        self._batch.clear()
        if not self._done:
            self._done = True
            self._portal.call_soon(self._bridge.cancel)
            self._bridge.finished.wait(CANCEL_WAIT)
        self._release()

    def _release(self) -> None:
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()

    def __enter__(self) -> Parallel[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # Possibly in the loop thread or at interpreter exit: never wait here.
        bridge = getattr(self, "_bridge", None)
        if bridge is not None and not self._done and not bridge.finished.is_set():
            self._portal.call_soon(bridge.cancel)


def session_parallel(
    session: Session,
    requests: Iterable[ParallelItem] | AsyncIterable[ParallelItem],
    *,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    max_per_host: int | None = None,
    ordered: bool = True,
    errors: ErrorPolicy = "raise",
    handler: Callable[[Response], Awaitable[T]] | None = None,
    timeout: float | None = None,
    _on_close: Callable[[], None] | None = None,
) -> Parallel[Any]:
    """``Session.parallel``: see :meth:`AsyncClient.parallel` for the arguments.

    Items get the session's defaults (headers, params, auth) like
    ``session.request`` does; an item's options may use requests' names
    (``allow_redirects``). ``handler``, when given, is an ``async``
    function: it runs in the session's loop thread.
    """
    validate_options(max_in_flight, max_per_host, errors)
    portal = get_portal()
    client = _session_client(session, portal)
    prepare = _item_preparer(session)
    if isinstance(requests, AsyncIterable):
        raise TypeError("the blocking parallel() takes a (sync) iterable of requests")
    return Parallel(
        portal,
        client,
        (prepare(item) for item in requests),
        max_in_flight=max_in_flight,
        max_per_host=max_per_host,
        ordered=ordered,
        errors=errors,
        handler=handler,
        timeout=timeout,
        on_close=_on_close,
    )


def parallel(
    requests: Iterable[ParallelItem],
    *,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    max_per_host: int | None = None,
    ordered: bool = True,
    errors: ErrorPolicy = "raise",
    handler: Callable[[Response], Awaitable[T]] | None = None,
    timeout: float | None = None,
) -> Parallel[Any]:
    """Send many requests concurrently with a temporary :class:`Session`.

    ``for result in trio_http.parallel(urls, max_in_flight=20): ...``. The
    session is closed when the iteration ends or the iterator is closed.
    Arguments as for :meth:`AsyncClient.parallel`.
    """
    from ._sync import Session

    session = Session()
    try:
        return session_parallel(
            session,
            requests,
            max_in_flight=max_in_flight,
            max_per_host=max_per_host,
            ordered=ordered,
            errors=errors,
            handler=handler,
            timeout=timeout,
            _on_close=session.close,
        )
    except BaseException:
        session.close()
        raise


def _session_client(session: Session, portal: Portal) -> AsyncClient:
    # The same client session.request would use for the session's settings
    # (TLS, proxies, cookie jar, redirect limit).
    client: AsyncClient = session._client_for(portal)
    return client


def _item_preparer(session: Session) -> Callable[[Any], Any]:
    from ._sync import _merge_headers, _merge_setting

    # Snapshot the session's defaults once: items are prepared in the loop
    # thread while the caller may change the session.
    headers = dict(session.headers)
    params = session.params
    auth = session.auth

    def prepare(item: Any) -> Any:
        if isinstance(item, Request):
            return item
        if isinstance(item, str):
            method, url, options = "GET", item, {}
        elif isinstance(item, tuple) and len(item) in (2, 3):
            method, url = item[0], item[1]
            options = dict(item[2]) if len(item) == 3 else {}
            for old, new in _RENAMED_OPTIONS.items():
                if old in options:
                    options[new] = options.pop(old)
        else:
            return item  # the engine reports the bad item
        options["headers"] = _merge_headers(headers, options.get("headers"))
        options["params"] = _merge_setting(options.get("params"), params) or None
        if options.get("auth") is None and auth is not None:
            options["auth"] = auth
        return (method, url, options)

    return prepare
