"""Pings waiting for their pongs, and which pong answers which ping.

RFC 6455 §5.5.3: a pong may answer only the most recent ping, so a pong
acknowledges the ping whose payload it echoes and every ping sent before
it. Payloads tell concurrent pings apart: an empty one is replaced by 4
random bytes. No I/O here; the socket sends the frames and calls
:meth:`PingTracker.on_pong` from its reader.
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import final

import trio

from ._exceptions import WebSocketError

__all__ = ["PingTracker", "PingWaiter", "run_keepalive"]


@final
class PingWaiter:
    """One ping waiting for its pong: woken answered, or unanswered when the socket closes."""

    __slots__ = ("answered", "event")

    def __init__(self) -> None:
        self.event = trio.Event()
        self.answered = False


@final
class PingTracker:
    """The pings sent and not yet answered, oldest first."""

    __slots__ = ("_waiting",)

    def __init__(self) -> None:
        self._waiting: OrderedDict[bytes, PingWaiter] = OrderedDict()

    def start(self, payload: bytes) -> tuple[bytes, PingWaiter]:
        """Register a ping: its payload (random when empty or already in use) and waiter."""
        payload = bytes(payload) or os.urandom(4)
        while payload in self._waiting:
            payload = os.urandom(4)
        waiter = self._waiting[payload] = PingWaiter()
        return payload, waiter

    def forget(self, payload: bytes) -> None:
        """The ping's caller is done waiting (answered, cancelled or failed)."""
        self._waiting.pop(payload, None)

    def on_pong(self, payload: bytes) -> None:
        """A pong arrived: wake its ping and every ping sent before it; ignore a stray one."""
        waiting = self._waiting
        if payload not in waiting:
            return
        while waiting:
            sent, waiter = waiting.popitem(last=False)
            waiter.answered = True
            waiter.event.set()
            if sent == payload:
                break

    def wake_all(self) -> None:
        """The socket closed: wake every ping still waiting, unanswered."""
        while self._waiting:
            self._waiting.popitem(last=False)[1].event.set()


async def run_keepalive(
    ping: Callable[[], Awaitable[None]],
    is_open: Callable[[], bool],
    on_late_pong: Callable[[], Awaitable[None]],
    interval: float,
    timeout: float | None,
) -> None:
    """Keepalive pings: while ``is_open()``, wait ``interval`` seconds and ``ping()``.

    A pong later than ``timeout`` seconds calls ``on_late_pong()`` (which
    fails the socket) and ends the loop; a ping that fails (the socket
    closed) ends it quietly.
    """
    while is_open():
        await trio.sleep(interval)
        with trio.move_on_after(math.inf if timeout is None else timeout) as scope:
            try:
                await ping()
            except WebSocketError:
                return
        if scope.cancelled_caught:
            await on_late_pong()
            return
