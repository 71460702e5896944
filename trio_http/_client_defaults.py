"""What every request of a client starts from: the version, default headers, event hooks.

Also the :data:`USE_CLIENT_DEFAULT` marker, which per-request arguments use
to say "the client's setting" where ``None`` means something else (no
timeout, no auth).
"""

from __future__ import annotations

import enum
import functools
import importlib.util
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._headers import Headers

__all__ = [
    "USER_AGENT",
    "__version__",
    "USE_CLIENT_DEFAULT",
    "EventHook",
    "accept_encoding",
    "call_hook",
    "default_headers",
    "event_hooks",
]

__version__ = "0.1.0.dev0"
USER_AGENT = f"trio_http/{__version__}"

EventHook = Callable[..., Any]


class _UseClientDefault(enum.Enum):
    """Marker for "use the client's setting" in per-request arguments."""

    token = 0

    def __repr__(self) -> str:
        return "USE_CLIENT_DEFAULT"


USE_CLIENT_DEFAULT = _UseClientDefault.token


@functools.lru_cache(maxsize=1)
def accept_encoding() -> str:
    """The Content-Encodings this process can decode, for Accept-Encoding."""
    encodings = ["gzip", "deflate"]
    if importlib.util.find_spec("brotli") or importlib.util.find_spec("brotlicffi"):
        encodings.append("br")
    if importlib.util.find_spec("zstandard"):
        encodings.append("zstd")
    return ", ".join(encodings)


def default_headers() -> Headers:
    """The headers a client sends unless told otherwise."""
    return Headers(
        [
            ("User-Agent", USER_AGENT),
            ("Accept", "*/*"),
            ("Accept-Encoding", accept_encoding()),
        ]
    )


def event_hooks(hooks: Mapping[str, Iterable[EventHook]] | None) -> dict[str, list[EventHook]]:
    """The client's ``{"request": [...], "response": [...]}`` from what was given.

    Raises:
        ValueError: a kind other than ``request`` or ``response``.
    """
    given = hooks or {}
    unknown = set(given) - {"request", "response"}
    if unknown:
        raise ValueError(f"unknown event hook kinds: {sorted(unknown)}")
    return {
        "request": list(given.get("request", ())),
        "response": list(given.get("response", ())),
    }


async def call_hook(hook: EventHook, value: object) -> None:
    """Call an event hook, sync or async."""
    result = hook(value)
    if inspect.isawaitable(result):
        await result
