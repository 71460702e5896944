"""Type aliases shared by the public signatures."""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Union

if TYPE_CHECKING:
    import http.cookiejar

    from ._config import Timeouts
    from ._headers import Headers
    from ._response import Response
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
# requests' headers: a None value drops one of the session's.
SessionHeaderTypes = Mapping[str, Union[str, bytes, None]]
# A Cookies jar is a Mapping[str, str].
CookieTypes = Union[Mapping[str, str], Iterable[tuple[str, str]], "http.cookiejar.CookieJar"]
TimeoutTypes = Union[
    "Timeouts",
    float,
    None,
    tuple[Union[float, None], Union[float, None]],
]
# A text file or str is sent as UTF-8.
RequestContentTypes = Union[
    str, bytes, bytearray, memoryview, Iterable[bytes], AsyncIterable[bytes], IO[bytes], IO[str]
]
# Form fields: a value other than str or bytes is sent as str(value) and a
# list or tuple value repeats its name, so any value is accepted.
FormData = Union[
    Mapping[str, object],
    Mapping[bytes, object],
    Sequence[tuple[Union[str, bytes], object]],
]
# ``data=``: form fields, or a raw body as requests accepts it.
RequestData = Union[FormData, RequestContentTypes]
# ``json=``: whatever json.dumps accepts, checked when the body is built. A
# recursive JSON alias would reject common values typed dict[str, object].
JSONTypes = object
FileContent = Union[IO[bytes], IO[str], bytes, str]
FileTypes = Union[
    FileContent,
    tuple[Union[str, None], FileContent],
    tuple[Union[str, None], FileContent, Union[str, None]],
    tuple[Union[str, None], FileContent, Union[str, None], Mapping[str, str]],
]
RequestFiles = Union[Mapping[str, FileTypes], Sequence[tuple[str, FileTypes]]]
# requests' proxies: {"http": url, "https": url, "all": url, "no_proxy":
# hosts}; a None value drops one of the session's.
ProxiesTypes = Mapping[str, Union[str, None]]
# A requests response hook, fn(response, **kwargs); a result other than
# None replaces the response.
ResponseHook = Callable[..., Union["Response", None]]
HooksTypes = Mapping[str, Union[ResponseHook, Iterable[ResponseHook]]]
