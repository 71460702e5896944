"""Canned responses for :mod:`trio_http.testing`: built once, copied for each call."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Iterable, Mapping
from typing import Any

from ._headers import Headers
from ._response import Response

__all__ = ["copy_response", "mock_response"]


def mock_response(
    status_code: int = 200,
    *,
    json: Any = None,
    text: str | None = None,
    content: bytes | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
) -> Response:
    """Build a response with its body in memory.

    Args:
        status_code: the status.
        json: a value to send as JSON (sets ``Content-Type``).
        text: a UTF-8 text body (sets ``Content-Type`` to ``text/plain``).
        content: a raw body.
        headers: more response headers; they win over the defaults.
    """
    response_headers = Headers()
    body = b""
    if json is not None:
        body = jsonlib.dumps(json).encode("utf-8")
        response_headers["Content-Type"] = "application/json"
    elif text is not None:
        body = text.encode("utf-8")
        response_headers["Content-Type"] = "text/plain; charset=utf-8"
    elif content is not None:
        body = content
    response_headers["Content-Length"] = str(len(body))
    if headers is not None:
        for name, value in headers.items() if isinstance(headers, Mapping) else headers:
            response_headers[name] = value
    return Response(status_code, headers=response_headers, content=body)


def copy_response(template: Response) -> Response:
    """A fresh copy of a canned response, for one call."""
    # Each call gets its own Response: clients set attributes on it.
    return Response(
        template.status_code,
        headers=template.headers.copy(),
        content=template.content,
        reason_phrase=template.reason_phrase,
        http_version=template.http_version,
    )
