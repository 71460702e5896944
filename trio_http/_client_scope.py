"""The nursery an :class:`AsyncClient` owns, and whether the client is open.

How this works. Opening the client opens a nursery, enters every transport
(an ASGI app transport opens its own nursery there) and starts their
housekeeping in the client's nursery with ``start``, so that a pool's
nursery for HTTP/2 reader tasks exists before the first request. Closing
closes the transports, then cancels and waits for the nursery: nothing the
client started outlives its ``async with`` block.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, final

import trio

from ._exceptions import ClientStateError

if TYPE_CHECKING:
    from ._transports._default import TransportRouter

__all__ = ["ClientScope"]


class _State(enum.Enum):
    UNOPENED = 1
    OPEN = 2
    CLOSED = 3


@final
class ClientScope:
    """A client's life: unopened, open (with its nursery), closed. Opened once."""

    __slots__ = ("_manager", "_nursery", "_state")

    def __init__(self) -> None:
        self._state = _State.UNOPENED
        self._nursery: trio.Nursery | None = None
        self._manager: Any = None

    @property
    def is_closed(self) -> bool:
        return self._state is _State.CLOSED

    def check_open(self) -> None:
        """Raises :class:`ClientStateError` unless the client is open."""
        if self._state is not _State.OPEN:
            if self._state is _State.UNOPENED:
                raise ClientStateError(
                    "the client is not open: use it inside "
                    "'async with trio_http.AsyncClient() as client:'"
                )
            raise ClientStateError("the client is closed: its 'async with' block has ended")

    async def open(self, router: TransportRouter) -> None:
        """Open the nursery, enter the transports and start their housekeeping."""
        if self._state is not _State.UNOPENED:
            raise ClientStateError("an AsyncClient can be opened once; create a new one instead")
        manager = trio.open_nursery()
        nursery = self._nursery = await manager.__aenter__()
        self._manager = manager
        try:
            await router.__aenter__()
            try:
                await nursery.start(router.run_housekeeping)
            except BaseException:
                await router.aclose()
                raise
        except BaseException:
            nursery.cancel_scope.cancel()
            self._manager = None
            await manager.__aexit__(None, None, None)
            self._state = _State.CLOSED
            raise
        self._state = _State.OPEN

    async def close(self, router: TransportRouter) -> None:
        """Close the transports, then end the nursery's tasks and wait for them."""
        self._state = _State.CLOSED
        try:
            # No cancel scope may wrap this: the router exits scopes (an ASGI
            # transport's nursery) that were entered outside it. Each
            # transport bounds its own close and closes sockets before its
            # first checkpoint, so a cancellation here leaves nothing open.
            await router.aclose()
        finally:
            assert self._nursery is not None
            self._nursery.cancel_scope.cancel()
            manager, self._manager = self._manager, None
            # The block's own exception (if any) propagates as it is: the
            # nursery only waits for the client's background tasks here, so
            # a single request's error never turns into an exception group.
            await manager.__aexit__(None, None, None)
