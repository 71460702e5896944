"""HTTP header fields: a case-insensitive multi-dict that keeps wire order.

How this works: headers are kept as a list of entries in arrival order, each
``(raw_name, raw_value, name, lower_name, value)``, so the bytes sent or
received are kept exactly while lookups use text. A dictionary from lower-cased
name to values is built on the first lookup and dropped on any change.

Headers built by the user are validated; headers parsed by h11 or h2 come in
through :meth:`Headers.from_raw`, which stores the list as it is and decodes it
only when it is first read: a response's headers cost nothing until used.

Checking, encoding and decoding one field (and how text maps to bytes) is
:mod:`trio_http._header_fields`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, TypeAlias, TypeVar, final, overload

from ._exceptions import InvalidHeader
from ._header_fields import (
    SENSITIVE_HEADERS,
    _decode_entry,
    _decode_value,
    text_of,
    validate_header_name,
    validate_header_value,
)

# _request builds entries for the headers it adds itself.
from ._header_fields import _Entry as _Entry
from ._header_fields import _make_entry as _make_entry

if TYPE_CHECKING:
    from _typeshed import SupportsKeysAndGetItem

# The field checks are re-exported: callers validate names and values here.
__all__ = [
    "SENSITIVE_HEADERS",
    "HeaderTypes",
    "Headers",
    "validate_header_name",
    "validate_header_value",
]

_T = TypeVar("_T")

# Up to this many fields, a lookup before the index exists is a linear scan.
_SCAN_MAX = 16


def _pairs(headers: object) -> Iterable[tuple[object, object]]:
    if type(headers) is dict or isinstance(headers, Mapping):
        return headers.items()
    if hasattr(headers, "keys") and hasattr(headers, "__getitem__"):
        # Not a Mapping, so only keys() is known to iterate the names.
        return [(key, headers[key]) for key in headers.keys()]  # noqa: SIM118
    if isinstance(headers, (str, bytes)) or not isinstance(headers, Iterable):
        raise InvalidHeader(
            f"headers must be a mapping or a sequence of pairs, not {type(headers).__name__}"
        )
    return headers


def _join(values: list[str]) -> str:
    try:
        return ", ".join(values)
    except TypeError:
        # A value given as bytes: joined as text.
        return ", ".join([text_of(value) for value in values])


def _checked_received(entry: _Entry) -> _Entry:
    """A received entry, checked as a caller's would be; its value stays text."""
    raw_name, raw_value = entry[0], entry[1]
    validate_header_name(raw_name)
    stripped = raw_value.strip(b" \t")
    validate_header_value(stripped, name=raw_name)
    return entry if len(stripped) == len(raw_value) else _decode_entry(raw_name, stripped)


def _entries_of(headers: object) -> list[_Entry]:
    """Validated entries for ``headers``, reusing those of a validated ``Headers``."""
    if isinstance(headers, Headers):
        entries = headers._get_entries()
        if headers._validated:
            return list(entries)
        return [_checked_received(entry) for entry in entries]
    entries = []
    for pair in _pairs(headers):
        try:
            name, value = pair
        except (TypeError, ValueError):
            raise InvalidHeader(f"header items must be (name, value) pairs, not {pair!r}") from None
        entries.append(_make_entry(name, value))
    return entries


@final
class Headers(MutableMapping[str, str]):
    """Case-insensitive header fields that keep order, repeats and original bytes.

    Looking a name up joins its values with ``", "``; :meth:`get_list` gives
    them one by one (needed for ``Set-Cookie``). Iteration yields each name
    once, as first seen. ``repr()`` hides credentials. As in requests, a
    value given as ``bytes`` (or as a ``str`` subclass) reads back as it was
    given; several values joined, :meth:`multi_items`, ``repr()`` and ``==``
    use text.

    Args:
        headers: a mapping or a sequence of ``(name, value)`` pairs, as ``str``
            or ``bytes``, or another ``Headers``.

    Raises:
        InvalidHeader: a name is not a token, a value starts with a space or
            a tab or holds CR, LF, NUL or another control character, or a
            name or value is not text.
    """

    __slots__ = ("_entries", "_index", "_raw", "_validated")

    _entries: list[_Entry] | None  # None until a from_raw() list is first read
    _raw: list[tuple[bytes, bytes]] | None  # None until built from _entries
    _index: dict[str, list[str]] | None  # lower name -> values, built on first lookup
    _validated: bool

    def __init__(self, headers: HeaderTypes | None = None) -> None:
        self._entries = [] if headers is None else _entries_of(headers)
        self._raw = None
        self._index = None
        self._validated = True

    @classmethod
    def from_raw(cls, raw: list[tuple[bytes, bytes]]) -> Headers:
        """Wrap headers parsed off the wire, without validating or copying them.

        The list becomes owned by the new ``Headers``: do not change it after.
        Decoding to text happens on the first read.
        """
        headers = cls.__new__(cls)
        headers._entries = None
        headers._raw = raw
        headers._index = None
        headers._validated = False
        return headers

    # -- internals --------------------------------------------------------

    def _get_entries(self) -> list[_Entry]:
        entries = self._entries
        if entries is None:
            raw = self._raw
            assert raw is not None  # one of the two forms always exists
            entries = self._entries = [_decode_entry(name, value) for name, value in raw]
        return entries

    def _get_index(self) -> dict[str, list[str]]:
        index = self._index
        if index is None:
            index = {}
            if self._entries is None and self._raw is not None:
                # Straight from the wire form: a response read with a few get()
                # calls never builds its entry tuples.
                for raw_name, raw_value in self._raw:
                    lower = raw_name.decode("latin-1").lower()
                    text = _decode_value(raw_value)
                    values = index.get(lower)
                    if values is None:
                        index[lower] = [text]
                    else:
                        values.append(text)
            else:
                for entry in self._get_entries():
                    values = index.get(entry[3])
                    if values is None:
                        index[entry[3]] = [entry[4]]
                    else:
                        values.append(entry[4])
            self._index = index
        return index

    def _scan(self, lower: str) -> list[str] | None:
        """The values of ``lower`` found by a linear scan; ``None`` if too long to scan."""
        entries = self._entries
        if entries is not None:
            if len(entries) > _SCAN_MAX:
                return None
            return [entry[4] for entry in entries if entry[3] == lower]
        raw = self._raw
        assert raw is not None  # one of the two forms always exists
        if len(raw) > _SCAN_MAX:
            return None
        try:
            target = lower.encode("latin-1")
        except UnicodeEncodeError:
            return []  # names on the wire are bytes: no such name can be there
        size = len(target)
        return [
            _decode_value(value)
            for name, value in raw
            if len(name) == size and name.lower() == target
        ]

    def _extend_new(self, entries: list[_Entry]) -> None:
        """Append validated entries whose names are not present yet.

        Cheaper than :meth:`update`: nothing is replaced, and the wire form
        and index, when already built, are extended rather than rebuilt.
        """
        own = self._get_entries()
        own.extend(entries)
        raw = self._raw
        if raw is not None:
            raw.extend([(entry[0], entry[1]) for entry in entries])
        index = self._index
        if index is not None:
            for entry in entries:
                index.setdefault(entry[3], []).append(entry[4])

    def _replace(self, new_entries: list[_Entry]) -> None:
        """Replace every name in ``new_entries``, at the position of its first old entry."""
        pending: dict[str, list[_Entry]] = {}
        for entry in new_entries:
            pending.setdefault(entry[3], []).append(entry)
        replaced = set(pending)
        result: list[_Entry] = []
        for entry in self._get_entries():
            lower = entry[3]
            if lower not in replaced:
                result.append(entry)
            elif lower in pending:
                result.extend(pending.pop(lower))
        for group in pending.values():
            result.extend(group)
        index = self._index
        self._entries = result
        self._raw = None
        if index is not None:
            # Keep the lookup index: only the replaced names changed.
            for lower in replaced:
                index[lower] = [entry[4] for entry in new_entries if entry[3] == lower]

    def _set_entries(self, entries: list[_Entry]) -> None:
        self._entries = entries
        self._raw = None
        self._index = None

    # -- mapping ----------------------------------------------------------

    def __getitem__(self, name: str) -> str:
        values = self._get_index().get(name.lower())
        if values is None:
            raise KeyError(name)
        return values[0] if len(values) == 1 else _join(values)

    def __setitem__(self, name: str, value: str) -> None:
        self._replace([_make_entry(name, value)])

    def __delitem__(self, name: str) -> None:
        lower = name.lower()
        entries = self._get_entries()
        kept = [entry for entry in entries if entry[3] != lower]
        if len(kept) == len(entries):
            raise KeyError(name)
        self._set_entries(kept)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for entry in self._get_entries():
            if entry[3] not in seen:
                seen.add(entry[3])
                yield entry[2]

    def __len__(self) -> int:
        return len(self._get_index())

    def __contains__(self, name: object) -> bool:
        if type(name) is not str:
            return isinstance(name, str) and name.lower() in self._get_index()
        if self._index is None:
            # A few lookups on a small header list (each response's
            # Set-Cookie and Content-Encoding checks) cost less as a scan
            # than as an index that nothing else would read.
            found = self._scan(name.lower())
            if found is not None:
                return bool(found)
        return name.lower() in self._get_index()

    @overload
    def get(self, name: str, /) -> str | None: ...
    @overload
    def get(self, name: str, default: str, /) -> str: ...
    @overload
    def get(self, name: str, default: _T, /) -> str | _T: ...
    def get(self, name: str, default: object = None, /) -> object:
        """The joined values of ``name``, or ``default`` when absent."""
        lower = name.lower()
        values = self._scan(lower) if self._index is None else None
        if values is None:
            values = self._get_index().get(lower)
        if not values:
            return default
        return values[0] if len(values) == 1 else _join(values)

    def get_list(self, name: str) -> list[str]:
        """Each value of ``name`` separately, in order; ``[]`` when absent."""
        return list(self._get_index().get(name.lower(), ()))

    def add(self, name: str, value: str) -> None:
        """Append a value for ``name``, keeping those already present.

        Raises:
            InvalidHeader: the name or value is invalid.
        """
        entry = _make_entry(name, value)
        self._get_entries().append(entry)
        self._raw = None
        self._index = None

    def update(
        self,
        headers: HeaderTypes | SupportsKeysAndGetItem[str, str] | Iterable[tuple[str, str]] = (),
        /,
        **kwargs: str,
    ) -> None:
        """Set every name given, replacing all its current values.

        Several values for one name in ``headers`` are all kept.

        Raises:
            InvalidHeader: a name or value is invalid.
        """
        new_entries = _entries_of(headers)
        new_entries.extend(_make_entry(name, value) for name, value in kwargs.items())
        if new_entries:
            self._replace(new_entries)

    def clear(self) -> None:
        """Remove every header."""
        self._set_entries([])

    def multi_items(self) -> list[tuple[str, str]]:
        """Every ``(name, value)`` pair in order, repeats included, values as text."""
        return [
            (entry[2], entry[4] if type(entry[4]) is str else text_of(entry[4]))
            for entry in self._get_entries()
        ]

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        """The ``(name, value)`` bytes in order, names in their original case.

        The list is shared with this object: read it, do not change it.
        """
        raw = self._raw
        if raw is None:
            entries = self._entries
            assert entries is not None
            raw = self._raw = [(entry[0], entry[1]) for entry in entries]
        return raw

    def copy(self) -> Headers:
        """An independent copy."""
        return Headers(self)

    def _joined(self) -> dict[str, str]:
        return {
            name: ", ".join([text_of(value) for value in values])
            for name, values in self._get_index().items()
        }

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._joined() == other._joined()
        if isinstance(other, Mapping):
            try:
                return self._joined() == Headers(other)._joined()
            except InvalidHeader:
                return False
        return NotImplemented

    def __repr__(self) -> str:
        entries = self._get_entries()
        shown = [
            (entry[2], "[secure]" if entry[3] in SENSITIVE_HEADERS else text_of(entry[4]))
            for entry in entries
        ]
        if len(self._get_index()) == len(entries):
            return f"Headers({dict(shown)!r})"
        return f"Headers({shown!r})"


HeaderTypes: TypeAlias = (
    Headers
    | Mapping[str, str]
    | Mapping[bytes, bytes]
    | Sequence[tuple[str, str]]
    | Sequence[tuple[bytes, bytes]]
)
