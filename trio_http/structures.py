"""Data structures with requests' names, for code ported from requests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any, TypeVar

__all__ = ["CaseInsensitiveDict"]

_V = TypeVar("_V")


class CaseInsensitiveDict(MutableMapping[str, _V]):
    """A ``str``-keyed dict whose lookups ignore case, as in requests.

    Keys keep the case of the last assignment (``list(d)`` shows it), while
    ``d["content-type"]``, ``"CONTENT-TYPE" in d`` and ``del d["Content-Type"]``
    all find the same entry. Comparison with any mapping ignores key case.

    Args:
        data: initial items, a mapping or ``(key, value)`` pairs.
        **kwargs: more initial items.
    """

    __slots__ = ("_store",)

    def __init__(
        self, data: Mapping[str, _V] | Iterable[tuple[str, _V]] | None = None, **kwargs: _V
    ) -> None:
        # lower-cased key -> (key as last set, value)
        self._store: dict[str, tuple[str, _V]] = {}
        if data is not None:
            self.update(data)
        if kwargs:
            self.update(kwargs)

    def __setitem__(self, key: str, value: _V) -> None:
        self._store[key.lower()] = (key, value)

    def __getitem__(self, key: str) -> _V:
        return self._store[key.lower()][1]

    def __delitem__(self, key: str) -> None:
        del self._store[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return (cased for cased, _ in self._store.values())

    def __len__(self) -> int:
        return len(self._store)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._store

    def lower_items(self) -> Iterator[tuple[str, _V]]:
        """Items with lower-cased keys."""
        return ((lower, entry[1]) for lower, entry in self._store.items())

    def snapshot_items(self) -> tuple[tuple[str, _V], ...]:
        """The items as one tuple of ``(key as last set, value)``: a fast copy."""
        return tuple(self._store.values())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        theirs = other if isinstance(other, CaseInsensitiveDict) else CaseInsensitiveDict(other)
        return dict(self.lower_items()) == dict(theirs.lower_items())

    __hash__ = None  # type: ignore[assignment]

    def copy(self) -> CaseInsensitiveDict[_V]:
        """A shallow copy."""
        clone: CaseInsensitiveDict[_V] = CaseInsensitiveDict()
        clone._store = dict(self._store)
        return clone

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (list(self.items()),))
