"""One request's deadlines: when each phase must end, and which error says so (layer 0).

:class:`AsyncClient.send` builds one :class:`Deadlines` per request from its
:class:`Timeouts` and stores it on the request; every hop (redirects, auth
retries, retries after an error) and every transport asks that one value.
A transport used without the client builds it the same way on first use.

Times are on the caller's clock (Trio's ``current_time()``), passed in as
``now``: this module does no I/O and reads no clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, final

from ._config import Timeouts
from ._exceptions import ConnectTimeout, PoolTimeout, ReadTimeout, TotalTimeout, WriteTimeout

if TYPE_CHECKING:
    from ._exceptions import Timeout
    from ._request import Request

__all__ = ["Deadlines", "Phase"]

Phase = Literal["connect", "read", "write", "pool"]

_ERRORS: dict[Phase, type[Timeout]] = {
    "connect": ConnectTimeout,
    "read": ReadTimeout,
    "write": WriteTimeout,
    "pool": PoolTimeout,
}


@final
@dataclass(frozen=True, slots=True)
class Deadlines:
    """The per-phase timeouts of one request and its overall deadline.

    Attributes:
        timeouts: the :class:`Timeouts` the request was sent with.
        total: the overall deadline (``math.inf`` without one), fixed when
            the request was first sent; redirects and retries share it.
    """

    timeouts: Timeouts
    total: float = math.inf

    @classmethod
    def start(cls, timeouts: Timeouts, now: float) -> Deadlines:
        """The deadlines of a request sent at ``now`` with ``timeouts``."""
        if timeouts.total is None:
            return cls(timeouts)
        return cls(timeouts, now + timeouts.total)

    @property
    def has_total(self) -> bool:
        """Whether an overall deadline applies."""
        return self.total != math.inf

    def phase(self, phase: Phase, now: float) -> float:
        """When ``phase``, starting at ``now``, must end: its timeout, or the overall deadline."""
        seconds: float | None = getattr(self.timeouts, phase)
        if seconds is None:
            return self.total
        return min(now + seconds, self.total)

    def expired(
        self, phase: Phase, deadline: float, what: str, request: Request | None = None
    ) -> Timeout:
        """The error for ``phase`` reaching ``deadline`` while ``what``.

        :class:`TotalTimeout` when the overall deadline was the one that
        bound, else the phase's own timeout error.
        """
        if self.total <= deadline:
            return TotalTimeout(
                f"the overall request deadline of {self.timeouts.total} s expired while {what}",
                request=request,
            )
        seconds = getattr(self.timeouts, phase)
        return _ERRORS[phase](f"timed out after {seconds} s while {what}", request=request)

    def too_late(self, delay: float, now: float) -> bool:
        """Whether waiting ``delay`` seconds from ``now`` reaches the overall deadline."""
        return now + delay >= self.total
