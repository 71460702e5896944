"""Data structures with requests' names, for code ported from requests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any, TypeVar, overload

__all__ = ["CaseInsensitiveDict", "LookupDict"]

_V = TypeVar("_V")
_D = TypeVar("_D")


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


class LookupDict(dict[str, _V]):
    """requests' name-to-value lookup: entries are attributes, a missing one reads ``None``.

    ``lookup.bad_gateway = 502`` adds an entry, and ``lookup["bad_gateway"]``
    and ``lookup.get("bad_gateway")`` read it back; ``lookup["other"]`` is
    ``None`` instead of a ``KeyError``. As in requests, the entries are the
    object's attributes, not its dict items: ``len(lookup)`` stays 0, and
    ``name`` reads as an entry too. Reading an attribute never set raises
    ``AttributeError``.

    :data:`trio_http.codes` is not one: it raises ``KeyError`` for a name it
    does not know and ignores the case of the names it does.

    Args:
        name: what the lookup holds, shown by ``repr()``.
    """

    def __init__(self, name: object = None) -> None:
        super().__init__()
        self.name = name

    def __repr__(self) -> str:
        return f"<lookup '{self.name}'>"

    def __getattr__(self, key: str) -> _V:
        # Only reached for attributes never set; typed so that entries set as
        # attributes read back as values.
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {key!r}")

    def __getitem__(self, key: str) -> _V | None:  # type: ignore[override]
        entry: _V | None = vars(self).get(key)
        return entry

    @overload
    def get(self, key: str, default: None = None) -> _V | None: ...
    @overload
    def get(self, key: str, default: _V | _D) -> _V | _D: ...
    def get(self, key: str, default: _D | None = None) -> _V | _D | None:
        """The entry ``key``, or ``default`` when there is none."""
        entry: _V | _D | None = vars(self).get(key, default)
        return entry
