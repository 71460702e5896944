"""The keyword arguments of the request methods, as ``TypedDict`` classes.

The verbs (``get``, ``post``...) take them as ``**kwargs: Unpack[...]``, so
that a misspelt or mistyped keyword is a type error at the call. Each class
lists exactly the keyword parameters of the method it stands for (a test
compares them), and holds nothing at run time but its annotations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypedDict, Union

if TYPE_CHECKING:
    from ._auth import Auth
    from ._client_defaults import _UseClientDefault
    from ._parallel import ErrorPolicy
    from ._request import Request
    from ._transports._default import CertTypes as CertTypes
    from ._transports._default import VerifyTypes as VerifyTypes
    from ._types import (
        CookieTypes,
        HeaderTypes,
        HooksTypes,
        JSONTypes,
        ProxiesTypes,
        QueryParamTypes,
        RequestContentTypes,
        RequestData,
        RequestFiles,
        SessionHeaderTypes,
        TimeoutTypes,
    )

__all__ = [
    "AuthTypes",
    "BuildRequestOptions",
    "ClientRequestOptions",
    "ParallelOptions",
    "SessionGetOptions",
    "SessionPostOptions",
    "SessionPutOptions",
    "SessionRequestOptions",
]

# What auth_from_value accepts: (user, password) for Basic, a callable taking
# and returning the request (requests' AuthBase), or an Auth flow.
AuthTypes = Union[
    tuple[str | bytes, str | bytes],
    Callable[["Request"], "Request"],
    "Auth",
    None,
]


class BuildRequestOptions(TypedDict, total=False):
    """The keyword arguments of :meth:`AsyncClient.build_request`."""

    content: RequestContentTypes | None
    data: RequestData | None
    files: RequestFiles | None
    json: JSONTypes
    params: QueryParamTypes | None
    headers: HeaderTypes | None
    cookies: CookieTypes | None
    timeout: TimeoutTypes | _UseClientDefault
    # Whatever the transports read: no precise value type exists.
    extensions: dict[str, Any] | None


class ClientRequestOptions(BuildRequestOptions, total=False):
    """The keyword arguments of :meth:`AsyncClient.request`, ``stream`` and the verbs."""

    auth: AuthTypes | _UseClientDefault
    follow_redirects: bool | _UseClientDefault


class _SessionOptions(TypedDict, total=False):
    # Session.request's keywords that no requests verb takes positionally.
    headers: SessionHeaderTypes | None
    cookies: CookieTypes | None
    files: RequestFiles | None
    auth: AuthTypes
    timeout: TimeoutTypes | _UseClientDefault
    allow_redirects: bool
    proxies: ProxiesTypes | None
    hooks: HooksTypes | None
    stream: bool | None
    verify: VerifyTypes | None
    cert: CertTypes


class _ParamsOption(TypedDict, total=False):
    params: QueryParamTypes | None


class _DataOption(TypedDict, total=False):
    data: RequestData | None


class _JSONOption(TypedDict, total=False):
    json: JSONTypes


class SessionRequestOptions(_SessionOptions, _ParamsOption, _DataOption, _JSONOption, total=False):
    """The keyword arguments of :meth:`Session.request` and :func:`trio_http.request`."""


# requests' verbs take some arguments positionally (get(url, params),
# post(url, data, json), put(url, data)); their **kwargs are the others.


class SessionGetOptions(_SessionOptions, _DataOption, _JSONOption, total=False):
    """The keyword arguments of ``get`` besides ``params``."""


class SessionPostOptions(_SessionOptions, _ParamsOption, total=False):
    """The keyword arguments of ``post`` besides ``data`` and ``json``."""


class SessionPutOptions(_SessionOptions, _ParamsOption, _JSONOption, total=False):
    """The keyword arguments of ``put`` and ``patch`` besides ``data``."""


class ParallelOptions(TypedDict, total=False):
    """The fan-out settings of :meth:`AsyncClient.parallel` (all but ``handler``).

    The blocking ``parallel()`` functions pass them through unchanged; the
    defaults live in :meth:`AsyncClient.parallel` alone.
    """

    max_in_flight: int
    max_per_host: int | None
    ordered: bool
    errors: ErrorPolicy
    timeout: float | None
