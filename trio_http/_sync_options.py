"""requests' arguments, as the :class:`AsyncClient` options they stand for.

How this works. A requests call mixes three kinds of settings, and each
has one translator here:

- per request (``params, data, headers, cookies, files, auth, timeout,
  allow_redirects, json``): :func:`request_options` merges them over the
  session's defaults into ``build_request`` and ``send`` keywords. Both
  ``Session.request`` and ``Session.parallel`` (through
  :func:`parallel_item_preparer`) use it;
- per client (``verify, cert, proxies``): :func:`client_settings` picks the
  TLS and proxy settings, which belong to a client's connection pool, so a
  session keeps one client per distinct result;
- after the response (``hooks``): :func:`dispatch_hooks`. ``stream`` is
  passed to ``AsyncClient.send`` as it is;
- the prepared-request flow: :func:`merge_hooks`,
  :func:`params_for_prepared` and :func:`environment_settings`, requests'
  merging rules for ``Session.prepare_request`` and
  ``merge_environment_settings``.

An adapter's settings are :mod:`._adapter_options`'s, and what the
environment adds (proxies, a CA bundle) is :mod:`._sync_environment`'s.

Everything here is plain code: no I/O and no waiting.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from ._client_defaults import USE_CLIENT_DEFAULT, __version__, accept_encoding
from ._exceptions import InvalidSchema
from ._headers import Headers
from ._hooks import dispatch_hook, hook_list
from ._request import Request
from ._sync_environment import ca_bundle_from_environment, environment_proxies
from ._urls import URL
from .structures import CaseInsensitiveDict

if TYPE_CHECKING:
    from ._response import Response

__all__ = [
    "ClientSettings",
    "client_settings",
    "default_headers",
    "dispatch_hooks",
    "environment_settings",
    "merge_headers",
    "merge_hooks",
    "merge_setting",
    "mount_pattern",
    "netrc_configured",
    "parallel_item_preparer",
    "params_for_prepared",
    "request_options",
]

# Session headers already validated into a Headers, by their items: most
# sessions send the same few defaults, so a build is reused across requests
# and sessions. Cleared when full, so a session whose headers change on
# every request costs one build per request, as without a cache.
_BUILT_HEADERS: dict[tuple[tuple[str, Any], ...], Headers] = {}
_BUILT_HEADERS_MAX = 64


def default_headers() -> CaseInsensitiveDict[str | bytes | None]:
    """The headers a new :class:`Session` sends, as requests' sessions do."""
    return CaseInsensitiveDict(
        {
            "User-Agent": f"trio_http/{__version__}",
            "Accept-Encoding": accept_encoding(),
            "Accept": "*/*",
            "Connection": "keep-alive",
        }
    )


def merge_setting(request_value: Any, session_value: Any) -> Any:
    """requests' rule: a request's mapping updates the session's; None keys drop."""
    if request_value is None:
        return session_value
    if session_value is None:
        return request_value
    if not (isinstance(request_value, Mapping) and isinstance(session_value, Mapping)):
        return request_value
    merged = dict(session_value)
    merged.update(request_value)
    return {key: value for key, value in merged.items() if value is not None}


def merge_headers(
    session_headers: Mapping[str, Any], request_headers: Mapping[str, Any] | None
) -> list[tuple[str, Any]]:
    """A request's headers over the session's, case-insensitively; ``None`` drops one."""
    if not request_headers:
        return [(name, value) for name, value in session_headers.items() if value is not None]
    by_name: dict[str, tuple[str, Any]] = {
        name.lower(): (name, value) for name, value in session_headers.items()
    }
    for name, value in request_headers.items():
        key = name.lower() if isinstance(name, str) else name.decode("latin-1").lower()
        by_name[key] = (name, value)
    return [(name, value) for name, value in by_name.values() if value is not None]


def _session_headers_only(session_headers: Mapping[str, Any]) -> Headers:
    # The common case (no request headers): reuse a validated build.
    if type(session_headers) is CaseInsensitiveDict:
        snapshot = session_headers.snapshot_items()
    else:
        snapshot = tuple(session_headers.items())
    try:
        built = _BUILT_HEADERS.get(snapshot)
    except TypeError:  # an unhashable value: Headers() below reports it
        return Headers([(name, value) for name, value in snapshot if value is not None])
    if built is None:
        built = Headers([(name, value) for name, value in snapshot if value is not None])
        if len(_BUILT_HEADERS) >= _BUILT_HEADERS_MAX:
            _BUILT_HEADERS.clear()
        _BUILT_HEADERS[snapshot] = built
    return built


def request_options(
    session_headers: Mapping[str, Any],
    session_params: Any,
    default_auth: Any,
    /,
    *,
    params: Any = None,
    data: Any = None,
    headers: Mapping[str, Any] | None = None,
    cookies: Any = None,
    files: Any = None,
    auth: Any = None,
    timeout: Any = USE_CLIENT_DEFAULT,
    allow_redirects: bool | None = None,
    json: Any = None,
    **client_options: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One request's requests-style arguments, merged over a session's defaults.

    Args:
        session_headers: the session's headers; the request's are merged
            over them and a ``None`` value drops one.
        session_params: the session's query parameters, merged the same way.
        default_auth: the auth used when ``auth`` is ``None``.
        params, data, headers, cookies, files, auth, timeout, json: as for
            ``Session.request``. A ``str`` or ``bytes`` ``data`` is the raw
            body (``content``).
        allow_redirects: ``follow_redirects``; ``None`` leaves the client's.
        **client_options: ``AsyncClient`` keywords (``content``,
            ``extensions``, ``follow_redirects``), passed on as they are;
            ``build_request`` rejects unknown ones.

    Returns:
        ``(build_options, send_options)``: keywords for
        :meth:`AsyncClient.build_request` and for :meth:`AsyncClient.send`.
    """
    send_options = {"auth": default_auth if auth is None else auth}
    if client_options and "follow_redirects" in client_options:
        send_options["follow_redirects"] = client_options.pop("follow_redirects")
    if allow_redirects is not None:
        send_options["follow_redirects"] = allow_redirects
    build_options = {
        "data": data,
        "files": files,
        "json": json,
        "params": merge_setting(params, session_params) or None,
        "headers": (
            merge_headers(session_headers, headers)
            if headers
            else _session_headers_only(session_headers)
        ),
        "cookies": cookies,
        "timeout": timeout,
    }
    if isinstance(data, (str, bytes)) and files is None and "content" not in client_options:
        build_options["content"], build_options["data"] = data, None
    if client_options:
        build_options.update(client_options)
    return build_options, send_options


def parallel_item_preparer(
    session_headers: Mapping[str, Any], session_params: Any, default_auth: Any
) -> Callable[[Any], Any]:
    """Give ``Session.parallel`` items the session's defaults, as :func:`request_options`.

    A URL or a ``(method, url[, options])`` tuple, whose options use
    requests' names, becomes a ``(method, url, options)`` item for
    :meth:`AsyncClient.parallel`. A :class:`Request` is sent as it is, and
    anything else is left for the engine to report.
    """
    # The caller passes a snapshot: items are prepared in the loop thread
    # while the session may change.

    def prepare(item: Any) -> Any:
        if isinstance(item, Request):
            return item
        if isinstance(item, str):
            method, url, given = "GET", item, {}
        elif isinstance(item, tuple) and len(item) in (2, 3):
            method, url = item[0], item[1]
            given = dict(item[2]) if len(item) == 3 else {}
        else:
            return item
        options, send_options = request_options(
            session_headers, session_params, default_auth, **given
        )
        options.update(send_options)  # the engine takes both in one mapping
        return (method, url, options)

    return prepare


# What a session's client is built with: (verify, cert, proxies as sorted
# (key, url) items or None, trust_env). A session keeps one client per
# distinct value. A plain tuple: it is built and hashed on every request.
ClientSettings: TypeAlias = tuple[Any, Any, tuple[tuple[str, Any], ...] | None, bool]


def client_settings(
    verify: Any,
    cert: Any,
    proxies: Mapping[str, Any] | None,
    *,
    session_verify: Any,
    session_cert: Any,
    session_proxies: Mapping[str, Any] | None,
    trust_env: bool,
) -> ClientSettings:
    """The settings of the client that sends a request.

    ``None`` arguments take the session's values; proxies merge over the
    session's. With ``trust_env``, ``verify=True`` becomes the
    ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` path when one is set, as
    in requests.
    """
    merged_proxies = merge_setting(proxies, session_proxies) if proxies or session_proxies else None
    if verify is None:
        verify = session_verify
    if cert is None:
        cert = session_cert
    if verify is True and trust_env:
        verify = ca_bundle_from_environment() or True
    if isinstance(cert, list):
        cert = tuple(cert)
    proxy_items = tuple(sorted(merged_proxies.items())) if merged_proxies else None
    return (verify, cert, proxy_items, trust_env)


def merge_hooks(
    request_hooks: Mapping[str, Any] | None, session_hooks: Mapping[str, Any] | None
) -> Mapping[str, Any] | None:
    """requests' rule: the request's hooks for an event replace the session's.

    An empty ``"response"`` list counts as no hooks, on either side.
    """
    if not session_hooks or not hook_list(session_hooks.get("response")):
        return request_hooks
    if not request_hooks or not hook_list(request_hooks.get("response")):
        return session_hooks
    merged: Mapping[str, Any] = merge_setting(request_hooks, session_hooks)
    return merged


def params_for_prepared(url: URL, session_params: Any) -> URL:
    """A prepared request's URL with the session's parameters it does not set itself.

    requests merges a request's params over the session's and appends
    them; a built trio_http request carries its params in the URL already,
    so the session's other names are appended after them.
    """
    if not session_params or not isinstance(session_params, Mapping):
        return url
    present = {name for name, _ in url.params}
    extra = {
        name: value
        for name, value in session_params.items()
        if name not in present and value is not None
    }
    return URL(url, params=extra) if extra else url


def environment_settings(
    url: str | URL,
    proxies: Mapping[str, Any] | None,
    stream: Any,
    verify: Any,
    cert: Any,
    *,
    trust_env: bool,
    session_proxies: Mapping[str, Any] | None,
    session_stream: Any,
    session_verify: Any,
    session_cert: Any,
) -> dict[str, Any]:
    """requests' ``Session.merge_environment_settings``.

    With ``trust_env``, the environment's proxies (unless ``NO_PROXY``
    exempts ``url``) fill schemes ``proxies`` leaves out, and
    ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` stand for ``verify=True``.
    Then each setting is merged over the session's (:func:`merge_setting`).

    Returns:
        ``{"proxies": ..., "stream": ..., "verify": ..., "cert": ...}``.
    """
    merged_proxies = dict(proxies or {})
    if trust_env:
        parsed = url if isinstance(url, URL) else URL(url)
        for scheme, proxy in environment_proxies(parsed, merged_proxies.get("no_proxy")).items():
            merged_proxies.setdefault(scheme, proxy)
        if verify is True or verify is None:
            verify = ca_bundle_from_environment() or verify
    return {
        "proxies": merge_setting(merged_proxies, session_proxies),
        "stream": merge_setting(stream, session_stream),
        "verify": merge_setting(verify, session_verify),
        "cert": merge_setting(cert, session_cert),
    }


def netrc_configured() -> bool:
    """Whether a netrc file exists (``$NETRC``, else ``~/.netrc``)."""
    path = os.environ.get("NETRC") or os.path.expanduser("~/.netrc")
    return os.path.isfile(path)


def mount_pattern(prefix: str) -> str:
    """Turn a requests mount prefix into an :meth:`AsyncClient.mount` pattern.

    Raises:
        InvalidSchema: the prefix does not start with ``scheme://``.
        NotImplementedError: the prefix has a path (routing uses scheme,
            host and port only).
    """
    scheme, sep, rest = prefix.partition("://")
    if not sep or not scheme:
        raise InvalidSchema(f"a mount prefix must start with 'scheme://', got {prefix!r}")
    authority, _, path = rest.partition("/")
    if path:
        raise NotImplementedError(
            f"mount prefix {prefix!r} has a path; trio_http routes on scheme, host and port only"
        )
    return f"{scheme.lower()}://{authority}"


def dispatch_hooks(
    response: Response,
    session_hooks: Mapping[str, Any] | None,
    request_hooks: Mapping[str, Any] | None,
    **kwargs: Any,
) -> Response:
    """Run requests' ``"response"`` hooks; a hook's non-``None`` result replaces the response.

    Each hook also sees every redirect in ``response.history`` first, and
    gets ``kwargs`` (``stream``, ``timeout``, ``verify``, ``cert``,
    ``proxies``) as requests passes them. The request's hooks replace the
    session's.
    """
    hooks = merge_hooks(request_hooks, session_hooks)
    if not hooks or not hook_list(hooks.get("response")):
        return response
    for earlier in response.history:
        dispatch_hook("response", hooks, earlier, **kwargs)
    return dispatch_hook("response", hooks, response, **kwargs)
