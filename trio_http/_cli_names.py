"""File names for ``trio-http fetch``: from a URL, safe, and unique in a run.

How this works. :func:`name_from_url` keeps the last non-empty segment of
the URL's path, percent-decoded, then makes it a plain file name: path
separators and control characters become ``_``; leading and trailing dots
and spaces go, so no name is hidden, ``.`` or ``..``; the length is capped
in UTF-8 bytes, keeping a short extension. Whatever the URL, the result
names a file directly inside the download directory. :class:`NameAllocator`
then adds ``-1``, ``-2``... before the extension to a name already given
out, comparing names case-insensitively so that case-insensitive file
systems see no collision either.
"""

from __future__ import annotations

from typing import final
from urllib.parse import unquote, urlsplit

__all__ = ["DEFAULT_NAME", "MAX_NAME_BYTES", "NameAllocator", "name_from_url", "safe_name"]

# NAME_MAX is 255 bytes on common file systems; the download's temporary
# ".NAME.XXXXXXXX.part" and a "-N" suffix must fit beside the name.
MAX_NAME_BYTES = 200  # UTF-8 bytes of a name before any "-N" suffix
MAX_EXTENSION_CHARS = 16  # a longer ".suffix" is not kept whole when truncating
DEFAULT_NAME = "index"  # for a URL whose path names nothing ("/", "/..")

_UNSAFE: dict[int, str] = {code: "_" for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]}
_UNSAFE.update({ord("/"): "_", ord("\\"): "_"})


def _split_extension(name: str) -> tuple[str, str]:
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) + 1 > MAX_EXTENSION_CHARS:
        return name, ""
    return stem, "." + extension


def _truncate(name: str, max_bytes: int) -> str:
    if len(name.encode("utf-8")) <= max_bytes:
        return name
    stem, extension = _split_extension(name)
    room = max_bytes - len(extension.encode("utf-8"))
    # Cutting the bytes may split a character: drop its remains.
    stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore")
    return stem + extension


def safe_name(text: str) -> str:
    """``text`` as a file name that stays inside its directory.

    Never empty, never ``.`` or ``..``, no separator, no control character,
    no leading dot, at most :data:`MAX_NAME_BYTES` bytes.
    """
    name = text.translate(_UNSAFE).strip(" .")
    name = _truncate(name, MAX_NAME_BYTES).strip(" .")
    return name or DEFAULT_NAME


def name_from_url(url: str) -> str:
    """The file name a download of ``url`` is saved under (before uniqueness)."""
    path = urlsplit(url).path
    segments = [segment for segment in path.split("/") if segment]
    if not segments:
        return DEFAULT_NAME
    return safe_name(unquote(segments[-1], errors="replace"))


@final
class NameAllocator:
    """Gives out distinct names, adding ``-N`` to one taken already.

    Not a checkpoint and never blocks, so tasks sharing one allocator on a
    Trio loop cannot race between checking a name and taking it.
    """

    __slots__ = ("_next_suffix", "_taken")

    def __init__(self) -> None:
        self._taken: set[str] = set()
        # Where to resume counting for a name, so that a thousand URLs
        # ending in "/" cost a thousand steps, not half a million.
        self._next_suffix: dict[str, int] = {}

    def allocate(self, name: str) -> str:
        """Take ``name``, or the first free ``stem-N.ext``; returns the name taken."""
        candidate = name
        if candidate.casefold() in self._taken:
            stem, extension = _split_extension(name)
            suffix = self._next_suffix.get(name.casefold(), 1)
            while True:
                candidate = f"{stem}-{suffix}{extension}"
                suffix += 1
                if candidate.casefold() not in self._taken:
                    break
            self._next_suffix[name.casefold()] = suffix
        self._taken.add(candidate.casefold())
        return candidate
