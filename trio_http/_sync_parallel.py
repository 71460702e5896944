"""The results of ``Session.parallel``, the blocking twin of ``AsyncClient.parallel``.

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

from ._parallel import (
    DEFAULT_MAX_IN_FLIGHT,
    WINDOW_PER_SLOT,
    AsyncParallel,
    ParallelResult,
    ParallelStats,
)
from ._portal import CANCEL_WAIT, Portal

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Unpack

    from ._client import AsyncClient
    from ._request_options import ParallelOptions
    from ._response import Response

__all__ = ["Parallel"]

T = TypeVar("T")


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
                        batch = await results.next_batch()
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

    Built by :meth:`Session.parallel`, which passes the engine's arguments
    through to :meth:`AsyncClient.parallel`; ``on_close`` runs on the
    caller's thread once the results are exhausted or closed.

    Attributes:
        stats: live :class:`ParallelStats`, readable from any thread.
    """

    def __init__(
        self,
        portal: Portal,
        client: AsyncClient,
        items: Iterable[Any] | AsyncIterable[Any],
        *,
        handler: Callable[[Response], Awaitable[T]] | None,
        on_close: Callable[[], None] | None = None,
        **options: Unpack[ParallelOptions],
    ) -> None:
        self._portal = portal
        self._on_close = on_close
        self._batch: deque[ParallelResult[T]] = deque()
        self._taken = 0  # results handed to the caller since the last report
        self._done = False
        engine: AsyncParallel[Any] = client.parallel(items, handler=handler, **options)
        self.stats: ParallelStats = engine.stats
        self._bridge = _Bridge(
            portal, engine, WINDOW_PER_SLOT * options.get("max_in_flight", DEFAULT_MAX_IN_FLIGHT)
        )
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
