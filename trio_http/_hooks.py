"""requests' hooks: callables a request runs on its response (layer 0: no I/O).

A hooks mapping holds, per event, a list of callables. requests has one
event, ``"response"``: each hook is called as ``hook(response, **kwargs)``
and a result other than ``None`` replaces the response for the hooks after
it and for the caller. ``trio_http.hooks`` re-exports these names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

__all__ = ["HOOKS", "default_hooks", "dispatch_hook", "hook_list"]

T = TypeVar("T")

HOOKS = ["response"]

# A hook may be given alone or as any iterable of hooks.
HookValue = Callable[..., Any] | Iterable[Callable[..., Any]] | None


def default_hooks() -> dict[str, list[Callable[..., Any]]]:
    """A fresh hooks mapping with an empty list for every event."""
    return {event: [] for event in HOOKS}


def hook_list(value: HookValue) -> list[Callable[..., Any]]:
    """The hooks of one event as a list: one callable, an iterable of them, or none."""
    if value is None:
        return []
    if callable(value):
        return [value]
    return [hook for hook in value if callable(hook)]


def dispatch_hook(
    key: str, hooks: Mapping[str, HookValue] | None, hook_data: T, **kwargs: Any
) -> T:
    """Run the ``key`` hooks on ``hook_data``; return what the last replacement left.

    Args:
        key: the event, ``"response"``.
        hooks: a hooks mapping (``None``: no hooks).
        hook_data: what the hooks receive first (a response).
        **kwargs: passed to every hook (requests passes ``stream``,
            ``timeout``, ``verify``, ``cert`` and ``proxies``).
    """
    if not hooks:
        return hook_data
    for hook in hook_list(hooks.get(key)):
        replacement = hook(hook_data, **kwargs)
        if replacement is not None:
            hook_data = replacement
    return hook_data
