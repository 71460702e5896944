"""Type aliases shared by the public signatures."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from ._config import Timeouts
    from ._headers import Headers
    from ._urls import URL

PrimitiveData = Union[str, bytes, int, float, bool, None]
URLTypes = Union["URL", str]
QueryParamTypes = Union[
    Mapping[str, Union[PrimitiveData, Sequence[PrimitiveData]]],
    Sequence[tuple[str, PrimitiveData]],
    str,
    bytes,
]
HeaderTypes = Union[
    "Headers",
    Mapping[str, str],
    Mapping[bytes, bytes],
    Sequence[tuple[str, str]],
    Sequence[tuple[bytes, bytes]],
]
CookieTypes = Union[Mapping[str, str], Sequence[tuple[str, str]], Any]
TimeoutTypes = Union[
    "Timeouts",
    float,
    None,
    tuple[Union[float, None], Union[float, None]],
]
RequestContentTypes = Union[str, bytes, Iterable[bytes], AsyncIterable[bytes], IO[bytes]]
RequestData = Mapping[str, Any]
FileContent = Union[IO[bytes], bytes, str]
FileTypes = Union[
    FileContent,
    tuple[Union[str, None], FileContent],
    tuple[Union[str, None], FileContent, Union[str, None]],
    tuple[Union[str, None], FileContent, Union[str, None], Mapping[str, str]],
]
RequestFiles = Union[Mapping[str, FileTypes], Sequence[tuple[str, FileTypes]]]
