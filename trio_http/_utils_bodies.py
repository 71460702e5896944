"""Body, file, key-value and cookie-dict helpers of :mod:`trio_http.utils`.

Bodies are measured and rewound as the client sends them; cookies go
through :class:`~trio_http.Cookies`. The public names are re-exported by
:mod:`trio_http.utils`.
"""

from __future__ import annotations

import http.cookiejar
import os
import tempfile
import warnings
import zipfile
from collections import OrderedDict
from collections.abc import Generator, Iterable, Mapping
from typing import IO, AnyStr, TypeVar, cast, overload

from ._cookies import Cookies
from ._exceptions import FileModeWarning, UnrewindableBodyError
from ._request import Request
from ._streams import file_length, is_text_file
from .cookies import cookiejar_from_dict

__all__ = [
    "add_dict_to_cookiejar",
    "dict_from_cookiejar",
    "extract_zipped_paths",
    "from_key_val_list",
    "guess_filename",
    "iter_slices",
    "rewind_body",
    "super_len",
    "to_key_val_list",
]

_K = TypeVar("_K")
_V = TypeVar("_V")


def _has_fileno(obj: object) -> bool:
    try:
        cast("IO[bytes]", obj).fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True


def super_len(o: object) -> int:
    """How many bytes of ``o`` are left to send as a body.

    Text counts as UTF-8; a sized object counts its length (less what a
    ``tell()`` says is read); a file counts from its position to its end.
    Anything else, or a file whose size cannot be told, counts 0.

    Warns:
        FileModeWarning: a file opened in text mode is measured by its size
            on disk, which need not be its length once encoded.
    """
    length: int
    if isinstance(o, str):
        return len(o.encode("utf-8"))
    if hasattr(o, "__len__"):
        length = len(cast("bytes", o))
    elif hasattr(o, "len"):
        length = int(o.len)
    else:
        if is_text_file(o) and _has_fileno(o):
            warnings.warn(
                "a file opened in text mode was measured by its size on disk; "
                "open it in binary mode ('rb') to send it",
                FileModeWarning,
                stacklevel=2,
            )
        return file_length(cast("IO[bytes]", o)) or 0
    tell = getattr(o, "tell", None)
    if tell is None:
        return max(length, 0)
    try:
        position = int(tell())
    except OSError:
        return 0
    return max(length - position, 0)


def rewind_body(prepared_request: Request) -> None:
    """Rewind a request's body so it can be sent again (after a redirect).

    A body in memory needs nothing; a file goes back to where it started.

    Raises:
        UnrewindableBodyError: the body is a one-shot stream, or the file
            cannot seek.
    """
    try:
        prepared_request.stream.rewind()
    except UnrewindableBodyError:
        raise
    except (OSError, ValueError) as exc:
        raise UnrewindableBodyError(f"the request body could not be rewound: {exc}") from exc


@overload
def iter_slices(string: str, slice_length: int | None) -> Generator[str, None, None]: ...
@overload
def iter_slices(string: bytes, slice_length: int | None) -> Generator[bytes, None, None]: ...
def iter_slices(string: AnyStr, slice_length: int | None) -> Generator[AnyStr, None, None]:
    """``string`` in pieces of ``slice_length`` (the whole at once when ``None`` or below 1)."""
    if not string:
        return
    step = slice_length if slice_length is not None and slice_length > 0 else len(string)
    for start in range(0, len(string), step):
        yield string[start : start + step]


def guess_filename(obj: object) -> str | bytes | None:
    """The base name of the file ``obj`` was opened from, or ``None``.

    Read from ``obj.name``, text or bytes, and returned as the same type. A
    text name that starts with ``<`` or ends with ``>`` (``"<stdin>"``)
    names no file; bytes are not checked for that, as in requests.
    """
    name = getattr(obj, "name", None)
    if not isinstance(name, (str, bytes)) or not name:
        return None
    if isinstance(name, str) and (name.startswith("<") or name.endswith(">")):
        return None
    return os.path.basename(name)


def extract_zipped_paths(path: str) -> str:
    """``path``, or a temporary copy of it when it points inside a zip archive.

    A path that exists is returned unchanged. One that does not, but starts
    with an existing zip file (``"/app/bundle.zip/certifi/cacert.pem"``, as
    a zipped application sees its data files), names a member of that
    archive: the member is written to a new temporary file, whose path is
    returned. Anything else is returned unchanged. The temporary file is
    not removed.
    """
    if os.path.exists(path):
        return path
    archive, member = os.path.split(path)
    # Walk up until the archive part exists; what was walked past is the
    # member's path inside the archive.
    while archive and not os.path.exists(archive):
        parent, last = os.path.split(archive)
        if not last:  # a root or UNC prefix that does not exist: no archive
            break
        archive, member = parent, f"{last}/{member}"
    if not zipfile.is_zipfile(archive):
        return path
    with zipfile.ZipFile(archive) as zipped:
        if member not in zipped.namelist():
            return path
        content = zipped.read(member)
    suffix = os.path.splitext(member.rsplit("/", 1)[-1])[1]
    descriptor, extracted = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(descriptor, "wb") as target:
        target.write(content)
    return extracted


# -- key-value lists -------------------------------------------------------------


@overload
def to_key_val_list(value: None) -> None: ...
@overload
def to_key_val_list(value: Mapping[_K, _V] | Iterable[tuple[_K, _V]]) -> list[tuple[_K, _V]]: ...
def to_key_val_list(
    value: Mapping[_K, _V] | Iterable[tuple[_K, _V]] | None,
) -> list[tuple[_K, _V]] | None:
    """A mapping or pairs as a list of ``(key, value)``; ``None`` stays ``None``.

    Raises:
        ValueError: ``value`` is a string, bytes, a bool or an int.
    """
    if value is None:
        return None
    _refuse_scalar(value)
    if isinstance(value, Mapping):
        return list(value.items())
    return list(value)


@overload
def from_key_val_list(value: None) -> None: ...
@overload
def from_key_val_list(
    value: Mapping[_K, _V] | Iterable[tuple[_K, _V]],
) -> OrderedDict[_K, _V]: ...
def from_key_val_list(
    value: Mapping[_K, _V] | Iterable[tuple[_K, _V]] | None,
) -> OrderedDict[_K, _V] | None:
    """A mapping or pairs as an :class:`~collections.OrderedDict`; ``None`` stays ``None``.

    Raises:
        ValueError: ``value`` is a string, bytes, a bool or an int.
    """
    if value is None:
        return None
    _refuse_scalar(value)
    return OrderedDict(value)


def _refuse_scalar(value: object) -> None:
    if isinstance(value, (str, bytes, bool, int)):
        raise ValueError(f"expected a mapping or (key, value) pairs, not {type(value).__name__}")


# -- cookies ---------------------------------------------------------------------


def dict_from_cookiejar(cj: Cookies | http.cookiejar.CookieJar) -> dict[str, str | None]:
    """Names and values of every cookie in ``cj`` (the last wins on a name stored twice)."""
    jar = cj.jar if isinstance(cj, Cookies) else cj
    return {cookie.name: cookie.value for cookie in jar}


_Jar = TypeVar("_Jar", Cookies, http.cookiejar.CookieJar)


def add_dict_to_cookiejar(cj: _Jar, cookie_dict: Mapping[str, str]) -> _Jar:
    """Add names and values to ``cj`` as cookies for every host; return ``cj``."""
    return cookiejar_from_dict(cookie_dict, cj)
