"""requests' redirect steps on ``Session``: ``resolve_redirects`` and the ``rebuild_*`` hooks.

How this works. A session sends through its own clients whenever it can,
and a client follows redirects in the loop thread. When an adapter sends
by itself (a subclass overriding ``send()``), ``Session.send`` follows the
redirects here instead, as requests does: :meth:`SessionRedirects.resolve_redirects`
asks the redirect rules (:func:`~trio_http._redirects.build_redirect_request`:
target, method, body, headers, credentials) for the next request, prepares
its cookies from the session's jar, lets :meth:`~SessionRedirects.rebuild_proxies`
and :meth:`~SessionRedirects.rebuild_auth` (both overridable, as in
requests) adjust it, and sends it with ``allow_redirects=False``. A
session whose class overrides one of these steps
(:func:`redirect_steps_overridden`) follows every redirect here too.
Nothing here decides a redirect rule itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ._cookies import Cookies
from ._exceptions import RequestException
from ._headers import Headers
from ._prepared import PreparedRequest
from ._redirects import build_redirect_request
from ._redirects import should_strip_auth as _should_strip_auth
from ._session_adapters import SessionAdapters
from ._sync_environment import proxy_authorization, resolve_proxies
from ._urls import URL

if TYPE_CHECKING:
    from ._request import Request
    from ._request_options import CertTypes, VerifyTypes
    from ._response import Response
    from ._types import TimeoutTypes

__all__ = ["SessionRedirects", "redirect_steps_overridden"]

# The steps a subclass may override to change how redirects are followed.
_REDIRECT_STEPS = ("get_redirect_target", "resolve_redirects", "rebuild_auth", "rebuild_proxies")


class SessionRedirects(SessionAdapters):
    """The redirect steps of :class:`~trio_http.Session` (requests' ``SessionRedirectMixin``)."""

    if TYPE_CHECKING:

        def send(self, request: Request, **kwargs: Any) -> Response: ...

    def get_redirect_target(self, resp: Response) -> str | None:
        """The ``Location`` of a redirect response, or ``None``."""
        if not resp.is_redirect:
            return None
        location: str | None = resp.headers.get("Location")
        return location

    def should_strip_auth(self, old_url: str | URL, new_url: str | URL) -> bool:
        """Whether credentials sent to ``old_url`` must not follow a redirect to ``new_url``.

        Kept only for the same origin, or http:80 to https:443 on the same host.
        """
        return _should_strip_auth(URL(old_url), URL(new_url))

    def rebuild_auth(self, prepared_request: PreparedRequest, response: Response) -> None:
        """Drop credentials a redirect must not carry; add ``~/.netrc``'s for the new host.

        Called for each redirect the session follows itself; override to
        change how credentials follow redirects.
        """
        previous = response.request
        if (
            previous is not None
            and "Authorization" in prepared_request.headers
            and self.should_strip_auth(previous.url, prepared_request.url)
        ):
            del prepared_request.headers["Authorization"]
            prepared_request._auth_flow = None
        if self.trust_env:
            netrc_auth = self._netrc_auth(prepared_request.url)
            if netrc_auth is not None:
                prepared_request.prepare_auth(netrc_auth)

    def rebuild_proxies(
        self, prepared_request: PreparedRequest, proxies: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """The proxies for a redirect's new URL, and its ``Proxy-Authorization``.

        The environment's proxy for the new scheme joins ``proxies`` (with
        ``trust_env``); the header is set again from that proxy's
        credentials.

        Returns:
            The proxy mapping to send the redirect with.
        """
        url = prepared_request.url
        resolved = resolve_proxies(url, proxies, self.trust_env)
        headers = prepared_request.headers
        headers.pop("Proxy-Authorization", None)
        credentials = proxy_authorization(url, resolved)
        if credentials is not None:
            headers["Proxy-Authorization"] = credentials
        return resolved

    def resolve_redirects(
        self,
        resp: Response,
        req: Request,
        stream: bool = False,
        timeout: TimeoutTypes = None,
        verify: VerifyTypes = True,
        cert: CertTypes = None,
        proxies: Mapping[str, Any] | None = None,
        yield_requests: bool = False,
        **adapter_kwargs: Any,
    ) -> Iterator[Any]:
        """Follow the redirects of ``resp`` (to ``req``); yield each response (blocking).

        ``req`` is the request ``resp`` answers (``resp.request``).

        Each response's ``history`` holds the redirects after the first.
        With ``yield_requests``, yield the next ``PreparedRequest`` instead
        of sending it, and stop.

        Raises:
            TooManyRedirects: more than :attr:`max_redirects`, or a loop.
            InvalidSchema, InvalidURL: an unusable ``Location``.
        """
        history: list[Response] = []
        while self.get_redirect_target(resp) is not None:
            earlier = history[:]
            history.append(resp)
            resp.history = history[1:]
            next_request = self._next_request(req, resp, earlier)
            _finish(resp)
            proxies = self.rebuild_proxies(next_request, proxies)
            self.rebuild_auth(next_request, resp)
            req = next_request
            if yield_requests:
                yield req
                return
            resp = self.send(
                req,
                stream=stream,
                timeout=timeout,
                verify=verify,
                cert=cert,
                proxies=proxies,
                allow_redirects=False,
                **adapter_kwargs,
            )
            yield resp

    def _next_request(
        self, req: Request, resp: Response, earlier: list[Response]
    ) -> PreparedRequest:
        # The redirect rules build the next request; its cookies are the
        # request's jar, what the redirect set, and the session's.
        built = build_redirect_request(req, resp, history=earlier, max_redirects=self.max_redirects)
        prepared = PreparedRequest.from_request(built)
        prepared.hooks = req.hooks
        # ``req`` may be a plain Request: the one a response of the session's
        # client carries.
        prepared._auth_flow = getattr(req, "_auth_flow", None)
        jar = Cookies(getattr(req, "_cookies", None))
        if isinstance(resp.headers, Headers) and resp.request is not None:
            jar.extract_cookies(resp)
        jar.update(self._session_jar())
        prepared.prepare_cookies(jar)
        return prepared


def _finish(resp: Response) -> None:
    # Read what is left of a redirect's body (so its connection is reused)
    # and close it; a body that cannot be read is dropped with the response.
    try:
        resp.content  # noqa: B018 - reading is the point
    except (RequestException, RuntimeError):
        pass
    resp.close()


def redirect_steps_overridden(cls: type) -> bool:
    """Whether a session class overrides a redirect step.

    Such a session follows redirects itself, one hop at a time through
    :meth:`SessionRedirects.resolve_redirects`, as requests does, instead
    of letting its client follow them in the loop thread.
    """
    return any(
        getattr(cls, name) is not getattr(SessionRedirects, name) for name in _REDIRECT_STEPS
    )
