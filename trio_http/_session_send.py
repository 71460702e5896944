"""requests' prepared-request flow on :class:`~trio_http.Session`: ``prepare_request`` and ``send``.

How this works. ``prepare_request`` merges the session's headers, params,
cookies, auth and hooks under a :class:`~trio_http.Request`'s and returns
a :class:`~trio_http.PreparedRequest` (:mod:`._prepared` applies them).
``send`` picks the adapter for the prepared request's URL. When the
session sends for that adapter (an ``HTTPAdapter`` or a transport), it
hands the prepared request to its client in one hop, as ``request()``
does: redirects and cookies are handled in the loop. When the adapter
sends by itself, ``send`` calls it on this thread and follows redirects
with ``resolve_redirects`` (:mod:`._session_redirects`), keeping cookies
and running hooks per response, as requests does. Merging rules come from
:mod:`._sync_options`; nothing here decides one.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._config import Timeouts
from ._cookies import Cookies
from ._headers import Headers
from ._hooks import dispatch_hook
from ._portal import get_portal
from ._prepared import PreparedRequest
from ._request import Request
from ._session_redirects import SessionRedirects, redirect_steps_overridden
from ._sync_environment import resolve_proxies
from ._sync_options import environment_settings, merge_headers, merge_hooks, params_for_prepared

if TYPE_CHECKING:
    from ._request_options import CertTypes, VerifyTypes
    from ._response import Response
    from ._urls import URL

__all__ = ["SessionSend"]


class SessionSend(SessionRedirects):
    """``prepare_request``, ``merge_environment_settings`` and ``send`` of a session."""

    # Provided by Session.
    headers: Any
    params: Any
    hooks: dict[str, Any]
    stream: bool
    timeout: Any

    def _request_prepared(
        self,
        method: str,
        url: str | URL,
        headers: Mapping[str, Any] | None,
        *,
        allow_redirects: bool,
        timeout: Any,
        proxies: Mapping[str, Any] | None,
        stream: bool,
        verify: Any,
        cert: Any,
        **request_arguments: Any,
    ) -> Response:
        # requests' Session.request, for an adapter that sends by itself:
        # build, prepare, take the environment's settings, send.
        request = Request(
            method,
            url,
            headers={name: value for name, value in (headers or {}).items() if value is not None},
            **request_arguments,
        )
        prepared = self._prepare(
            request, [name for name, value in (headers or {}).items() if value is None]
        )
        settings = self.merge_environment_settings(
            prepared.url, dict(proxies or {}), stream, verify, cert
        )
        return self.send(prepared, timeout=timeout, allow_redirects=allow_redirects, **settings)

    def prepare_request(self, request: Request) -> PreparedRequest:
        """requests' ``Session.prepare_request``: ``request`` with the session's settings.

        The session's headers, params, cookies, auth (then ``~/.netrc``) and
        hooks are merged under the request's own. Not a checkpoint.
        """
        return self._prepare(request, ())

    def _prepare(self, request: Request, dropped: Iterable[str | bytes]) -> PreparedRequest:
        # ``dropped``: session headers the call gave as None (requests' way
        # to leave one out); a built Request cannot hold None values.
        request_headers: dict[Any, Any] = dict(request.headers.items())
        request_headers.update(dict.fromkeys(dropped))
        jar = Cookies(self._session_jar())
        if request.cookies is not None:
            jar.update(request.cookies)
        prepared = PreparedRequest.from_request(
            request,
            url=params_for_prepared(request.url, self.params),
            headers=merge_headers(self.headers, request_headers),
        )
        prepared.prepare_cookies(jar)
        prepared.prepare_auth(
            request.auth if request.auth is not None else self._default_auth(request.url)
        )
        prepared.prepare_hooks(merge_hooks(request._hooks, self.hooks))
        return prepared

    def merge_environment_settings(
        self,
        url: str | URL,
        proxies: Mapping[str, Any] | None,
        stream: bool | None,
        verify: VerifyTypes | None,
        cert: CertTypes,
    ) -> dict[str, Any]:
        """requests' settings for ``send()``: these over the environment's and the session's.

        Returns:
            ``{"proxies": ..., "stream": ..., "verify": ..., "cert": ...}``.
        """
        return environment_settings(
            url,
            proxies,
            stream,
            verify,
            cert,
            trust_env=self.trust_env,
            session_proxies=self.proxies,
            session_stream=self.stream,
            session_verify=self.verify,
            session_cert=self.cert,
        )

    def send(self, request: Request, **kwargs: Any) -> Response:
        """Send a prepared request (blocking); requests' ``Session.send``.

        Keyword arguments: ``stream``, ``timeout``, ``verify``, ``cert``,
        ``proxies`` (default: the session's) and ``allow_redirects``; others
        go to an adapter that sends by itself. Cookies set by the responses
        are kept in :attr:`cookies`, and the request's hooks run.

        Args:
            request: a ``PreparedRequest`` (``request.prepare()`` or
                :meth:`prepare_request`; typed as its base, :class:`Request`,
                which ``prepare()`` is declared to return).
            **kwargs: see above.

        Raises:
            ValueError: ``request`` is not a ``PreparedRequest``.
            InvalidSchema: no adapter is mounted for its URL.
            RequestException: one subclass per failure.
        """
        if not isinstance(request, PreparedRequest):
            # requests' exact message: code ported from it may compare it.
            raise ValueError("You can only send PreparedRequests.")
        stream = kwargs.pop("stream", None)
        stream = self.stream if stream is None else stream
        timeout = kwargs.pop("timeout", self.timeout)
        verify = kwargs.pop("verify", None)
        cert = kwargs.pop("cert", None)
        proxies = kwargs.pop("proxies", None)
        allow_redirects = kwargs.pop("allow_redirects", True)
        adapter = self.get_adapter(request.url)
        options = self._options_for(adapter)
        hook_kwargs = {"stream": stream, "timeout": timeout, "verify": verify, "cert": cert}
        if options is None:
            if proxies is None:
                proxies = resolve_proxies(request.url, self.proxies, self.trust_env)
            return self._send_through(
                adapter, request, allow_redirects, kwargs, proxies=proxies, **hook_kwargs
            )
        if allow_redirects and redirect_steps_overridden(type(self)):
            # The subclass decides how redirects are followed: one hop per send.
            first = self.send(request, allow_redirects=False, proxies=proxies, **hook_kwargs)
            settings = {"proxies": proxies, **hook_kwargs}
            return self._follow_here(first, request, True, kwargs, settings)
        portal = get_portal()
        client = self._request_client(portal, self._settings(verify, cert, proxies), options)
        request.extensions["timeout"] = Timeouts.from_value(timeout)
        send_options = {"auth": request._auth_flow, "follow_redirects": allow_redirects}
        sent, pump = self._exchange(portal, client, request, stream, send_options)
        return self._finish(
            sent, pump, options, None, request.hooks, proxies=proxies, **hook_kwargs
        )

    def _send_through(
        self,
        adapter: Any,
        request: PreparedRequest,
        allow_redirects: bool,
        adapter_kwargs: dict[str, Any],
        **settings: Any,
    ) -> Response:
        # requests' Session.send with an adapter that sends by itself, on
        # this thread: its redirects are followed here.
        started = time.perf_counter()
        response: Response = adapter.send(request, **settings, **adapter_kwargs)
        response.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
        response = dispatch_hook("response", request.hooks, response, **settings)
        for each in (*response.history, response):
            if isinstance(each.headers, Headers) and each.request is not None:
                self._session_jar().extract_cookies(each)
        return self._follow_here(response, request, allow_redirects, adapter_kwargs, settings)

    def _follow_here(
        self,
        response: Response,
        request: PreparedRequest,
        allow_redirects: bool,
        adapter_kwargs: dict[str, Any],
        settings: dict[str, Any],
    ) -> Response:
        # requests' redirect loop, on this thread: each hop is a send().
        if allow_redirects:
            chain = [
                response,
                *self.resolve_redirects(response, request, **settings, **adapter_kwargs),
            ]
            if len(chain) > 1:
                response = chain.pop()
                response.history = chain
        else:
            following = self.resolve_redirects(response, request, yield_requests=True, **settings)
            response.next_request = next(following, None)
        if not settings["stream"]:
            response.content  # noqa: B018 - reads the body, as requests does
        return response
