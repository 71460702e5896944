"""The request methods of :class:`AsyncClient`: ``request``, ``stream`` and the verbs.

Each builds a request from its keyword arguments and sends it through the
client's ``_build_and_send`` (``build_request`` then ``send``), where
defaults, deadlines and errors are handled; nothing else happens here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from ._client_defaults import USE_CLIENT_DEFAULT, _UseClientDefault

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._request_options import AuthTypes, BuildRequestOptions, ClientRequestOptions
    from ._response import Response
    from ._types import (
        CookieTypes,
        HeaderTypes,
        JSONTypes,
        QueryParamTypes,
        RequestContentTypes,
        RequestData,
        RequestFiles,
        TimeoutTypes,
        URLTypes,
    )

__all__ = ["ClientVerbs"]


class ClientVerbs:
    """The request methods of a client that implements ``_build_and_send``.

    ``request``, ``stream``, ``get``, ``head``, ``options``, ``post``,
    ``put``, ``patch`` and ``delete``.
    """

    __slots__ = ()

    async def _build_and_send(
        self,
        method: str,
        url: URLTypes,
        options: BuildRequestOptions,
        *,
        stream: bool,
        auth: AuthTypes | _UseClientDefault,
        follow_redirects: bool | _UseClientDefault,
    ) -> Response:
        """``build_request(method, url, **options)``, then ``send``. A checkpoint."""
        raise NotImplementedError  # pragma: no cover

    async def request(
        self,
        method: str,
        url: URLTypes,
        *,
        content: RequestContentTypes | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: JSONTypes = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | _UseClientDefault = USE_CLIENT_DEFAULT,
        follow_redirects: bool | _UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | _UseClientDefault = USE_CLIENT_DEFAULT,
        # Whatever the transports read: no precise value type exists.
        extensions: dict[str, Any] | None = None,
    ) -> Response:
        """Build and send a request; the response body is read.

        A checkpoint. See :meth:`send` for errors and cancellation.
        """
        options: BuildRequestOptions = {
            "content": content,
            "data": data,
            "files": files,
            "json": json,
            "params": params,
            "headers": headers,
            "cookies": cookies,
            "timeout": timeout,
            "extensions": extensions,
        }
        return await self._build_and_send(
            method, url, options, stream=False, auth=auth, follow_redirects=follow_redirects
        )

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        url: URLTypes,
        *,
        content: RequestContentTypes | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: JSONTypes = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | _UseClientDefault = USE_CLIENT_DEFAULT,
        follow_redirects: bool | _UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | _UseClientDefault = USE_CLIENT_DEFAULT,
        # Whatever the transports read: no precise value type exists.
        extensions: dict[str, Any] | None = None,
    ) -> AsyncIterator[Response]:
        """Send a request and yield the response with its body unread.

        ``async with client.stream("GET", url) as r: async for chunk in
        r.aiter_bytes(): ...``. The response is closed when the block ends;
        leaving early closes the connection (it is not reused).
        """
        options: BuildRequestOptions = {
            "content": content,
            "data": data,
            "files": files,
            "json": json,
            "params": params,
            "headers": headers,
            "cookies": cookies,
            "timeout": timeout,
            "extensions": extensions,
        }
        response = await self._build_and_send(
            method, url, options, stream=True, auth=auth, follow_redirects=follow_redirects
        )
        try:
            yield response
        finally:
            await response.aclose()

    async def get(self, url: URLTypes, **kwargs: Unpack[ClientRequestOptions]) -> Response:
        """Send a GET request. Keyword arguments as for :meth:`request`."""
        return await self.request("GET", url, **kwargs)

    async def head(self, url: URLTypes, **kwargs: Unpack[ClientRequestOptions]) -> Response:
        """Send a HEAD request. Keyword arguments as for :meth:`request`."""
        return await self.request("HEAD", url, **kwargs)

    async def options(self, url: URLTypes, **kwargs: Unpack[ClientRequestOptions]) -> Response:
        """Send an OPTIONS request. Keyword arguments as for :meth:`request`."""
        return await self.request("OPTIONS", url, **kwargs)

    async def post(self, url: URLTypes, **kwargs: Unpack[ClientRequestOptions]) -> Response:
        """Send a POST request. Keyword arguments as for :meth:`request`."""
        return await self.request("POST", url, **kwargs)

    async def put(self, url: URLTypes, **kwargs: Unpack[ClientRequestOptions]) -> Response:
        """Send a PUT request. Keyword arguments as for :meth:`request`."""
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: URLTypes, **kwargs: Unpack[ClientRequestOptions]) -> Response:
        """Send a PATCH request. Keyword arguments as for :meth:`request`."""
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: URLTypes, **kwargs: Unpack[ClientRequestOptions]) -> Response:
        """Send a DELETE request. Keyword arguments as for :meth:`request`."""
        return await self.request("DELETE", url, **kwargs)
