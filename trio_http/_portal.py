"""The loop thread behind the blocking API.

How this works. One daemon thread runs ``trio.run`` and keeps a long-lived
nursery open. A blocking call hands a coroutine function to that loop with
``TrioToken.run_sync_soon``; the loop runs it in a task of the nursery (a
parked worker task when one is idle, a new one otherwise), inside a cancel
scope of its own, and releases a lock when it is done. The
calling thread waits on that lock, which is interruptible: a
``KeyboardInterrupt`` (or any other exception) arriving while it waits
cancels the call's scope, waits for the task to finish, and is re-raised,
so the connection pool stays consistent and the session stays usable.

This is one thread hop per call, the cheapest the loop allows: the
request, redirects and the body read all happen in the one task.

The portal is created on first use and shared by every session. An
``atexit`` hook stops it with a bounded wait, and a child created by
``os.fork`` gets a fresh portal on its first blocking call (the loop thread
does not survive a fork).
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, final

import trio

__all__ = ["Portal", "get_portal", "in_trio_run", "shutdown_portal"]

T = TypeVar("T")

# Bounded waits: starting the loop thread, stopping it at exit, and letting
# a cancelled call finish its cleanup after the caller was interrupted.
START_TIMEOUT = 10.0
STOP_TIMEOUT = 2.0
CANCEL_WAIT = 5.0
MAX_IDLE_WORKERS = 16  # parked tasks kept in the loop for the next calls

in_trio_run = trio.lowlevel.in_trio_run


class PortalClosed(RuntimeError):
    """The loop thread stopped (interpreter exit) while a call waited on it."""


@final
class _Call:
    """One blocking call: the task's outcome and the lock its caller waits on."""

    __slots__ = ("cancel_requested", "done", "error", "result", "scope")

    def __init__(self) -> None:
        self.done = threading.Lock()
        self.done.acquire()
        self.result: Any = None
        self.error: BaseException | None = None
        self.scope: trio.CancelScope | None = None
        self.cancel_requested = False

    def cancel(self) -> None:
        # Runs in the loop thread; the task may not have started yet.
        self.cancel_requested = True
        if self.scope is not None:
            self.scope.cancel()


@final
class Portal:
    """A Trio loop in a daemon thread, entered by blocking calls.

    Use :func:`get_portal`; a portal belongs to the process that created it.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._token: trio.lowlevel.TrioToken | None = None
        self._nursery: trio.Nursery | None = None
        self._stop: trio.Event | None = None
        self._started = threading.Event()
        self._startup_error: BaseException | None = None
        self._closed = False
        self._idle_workers: list[trio.lowlevel.Task] = []  # loop thread only
        self._jobs: dict[trio.lowlevel.Task, tuple[_Call, Any, tuple[Any, ...]]] = {}
        self._thread = threading.Thread(
            target=self._thread_main, name="trio_http portal", daemon=True
        )
        self._thread.start()
        if not self._started.wait(START_TIMEOUT):
            raise RuntimeError("the trio_http loop thread did not start")
        if self._startup_error is not None:
            raise RuntimeError("the trio_http loop thread failed") from self._startup_error

    def _thread_main(self) -> None:
        try:
            trio.run(self._main)
        except BaseException as exc:  # pragma: no cover - a bug in the loop itself
            self._startup_error = exc
        finally:
            self._closed = True
            self._started.set()

    async def _main(self) -> None:
        self._token = trio.lowlevel.current_trio_token()
        self._stop = trio.Event()
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            self._started.set()
            await self._stop.wait()
            nursery.cancel_scope.cancel()

    @property
    def is_closed(self) -> bool:
        return self._closed

    @property
    def nursery(self) -> trio.Nursery:
        """The loop's long-lived nursery (use from tasks in the loop only)."""
        assert self._nursery is not None
        return self._nursery

    def _spawn(
        self, call: _Call, afn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]
    ) -> None:
        # Runs in the loop thread (a run_sync_soon callback).
        nursery = self._nursery
        if nursery is None or self._closed:
            call.error = PortalClosed("the trio_http loop thread has stopped")
            call.done.release()
            return
        idle = self._idle_workers
        if idle:
            # Hand the call to a parked worker: no new task per request.
            task = idle.pop()
            self._jobs[task] = (call, afn, args)
            trio.lowlevel.reschedule(task)
        else:
            nursery.start_soon(self._worker, call, afn, args)

    async def _worker(
        self, call: _Call, afn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]
    ) -> None:
        # One cancel scope per worker, not per call: entering a scope costs
        # about as much as the rest of the hop. A cancelled call spends the
        # scope, so that worker ends and a fresh one serves the next call.
        idle = self._idle_workers
        with trio.CancelScope() as scope:
            while True:
                await self._run_call(call, afn, args, scope)
                if scope.cancel_called or len(idle) >= MAX_IDLE_WORKERS:
                    return
                task = trio.lowlevel.current_task()
                idle.append(task)

                def abort(_: Any, task: trio.lowlevel.Task = task) -> trio.lowlevel.Abort:
                    idle.remove(task)
                    return trio.lowlevel.Abort.SUCCEEDED

                await trio.lowlevel.wait_task_rescheduled(abort)
                call, afn, args = self._jobs.pop(task)

    @staticmethod
    async def _run_call(
        call: _Call,
        afn: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        scope: trio.CancelScope,
    ) -> None:
        # call.scope is set only while this call runs, and call.cancel() runs
        # in this thread too: a late cancel can never reach the next call.
        call.scope = scope
        try:
            if call.cancel_requested:
                scope.cancel()
            call.result = await afn(*args)
        except BaseException as exc:
            if call.cancel_requested and isinstance(exc, trio.Cancelled):
                # The caller was interrupted: it sees its KeyboardInterrupt.
                exc = KeyboardInterrupt()
            call.error = exc
        finally:
            call.scope = None
            call.done.release()

    def call(self, afn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``await afn(*args)`` in the loop and wait for its result.

        If the waiting thread is interrupted (``KeyboardInterrupt`` or any
        other exception raised while it waits), the task is cancelled, its
        cleanup is awaited (bounded by ``CANCEL_WAIT``), and the exception
        propagates.

        Raises:
            RuntimeError: called from inside a Trio run (use ``AsyncClient``).
            PortalClosed: the loop stopped before the call completed.
        """
        token = self._token
        if token is None or self._closed:
            raise PortalClosed("the trio_http loop thread has stopped")
        call = _Call()
        try:
            token.run_sync_soon(self._spawn, call, afn, args)
        except trio.RunFinishedError:
            raise PortalClosed("the trio_http loop thread has stopped") from None
        try:
            call.done.acquire()
        except BaseException:
            self._cancel_and_wait(call)
            raise
        error = call.error
        if error is not None:
            call.error = None
            if isinstance(error, trio.Cancelled):
                raise PortalClosed("the trio_http loop thread stopped during the call")
            raise error
        return call.result  # type: ignore[no-any-return]

    def _cancel_and_wait(self, call: _Call) -> None:
        token = self._token
        if token is None:
            return
        try:
            token.run_sync_soon(call.cancel)
        except trio.RunFinishedError:
            return
        # A second Ctrl-C during cleanup is allowed to escape.
        call.done.acquire(timeout=CANCEL_WAIT)

    def call_soon(self, fn: Callable[..., object], *args: Any) -> None:
        """Run the sync ``fn(*args)`` in the loop thread without waiting."""
        token = self._token
        if token is None:
            return
        try:
            token.run_sync_soon(fn, *args)
        except trio.RunFinishedError:
            pass

    def start_task(self, afn: Callable[..., Awaitable[object]], *args: Any) -> None:
        """Start ``afn(*args)`` as a background task in the portal's nursery.

        The task must not raise: a background task's error would stop the
        loop for every session.
        """
        self.call_soon(self._start_task, afn, args)

    def _start_task(self, afn: Callable[..., Awaitable[object]], args: tuple[Any, ...]) -> None:
        if self._nursery is not None and not self._closed:
            self._nursery.start_soon(afn, *args)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Cancel every task in the loop and wait (bounded) for the thread to end."""
        stop = self._stop
        if stop is not None:
            self.call_soon(stop.set)
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)


_portal: Portal | None = None
_portal_lock = threading.Lock()


def get_portal() -> Portal:
    """Return this process's portal, starting its loop thread on first use.

    Raises:
        RuntimeError: called from inside a Trio run, where the blocking API
            would deadlock or stall the loop.
    """
    portal = _portal
    if portal is not None and not portal.is_closed:
        if in_trio_run():
            _refuse_inside_trio()
        return portal
    if in_trio_run():
        _refuse_inside_trio()
    return _start_portal()


def _refuse_inside_trio() -> None:
    raise RuntimeError(
        "the blocking trio_http API (Session, trio_http.get, ...) was called from "
        "inside a Trio run, where it would block the event loop; use "
        "'async with trio_http.AsyncClient() as client: await client.get(...)' instead"
    )


def _start_portal() -> Portal:
    global _portal
    with _portal_lock:
        portal = _portal
        if portal is None or portal.is_closed or portal.pid != os.getpid():
            portal = _portal = Portal()
        return portal


def shutdown_portal(timeout: float = STOP_TIMEOUT) -> None:
    """Stop the loop thread, if one runs; the next blocking call starts anew."""
    global _portal
    with _portal_lock:
        portal, _portal = _portal, None
    if portal is not None and portal.pid == os.getpid():
        portal.stop(timeout)


def _after_fork_in_child() -> None:
    # The loop thread does not exist in the child; its state is unusable.
    global _portal, _portal_lock
    _portal = None
    _portal_lock = threading.Lock()


atexit.register(shutdown_portal)
os.register_at_fork(after_in_child=_after_fork_in_child)
