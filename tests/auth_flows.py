"""Driving auth flows by hand, as the client does, with made-up responses."""

from __future__ import annotations

from collections.abc import Callable, Generator

from trio_http._auth import Auth
from trio_http._request import Request
from trio_http._response import Response


def unauthorized(request: Request, *challenges: str) -> Response:
    return Response(
        401, headers=[("WWW-Authenticate", value) for value in challenges], request=request
    )


def ok(request: Request) -> Response:
    return Response(200, request=request)


def run_flow(
    auth: Auth, request: Request, respond: Callable[[Request, int], Response]
) -> tuple[list[str | None], Response]:
    """Drive a flow like the client does; record each sent Authorization."""
    flow: Generator[Request, Response, None] = auth.auth_flow(request)
    sent: list[str | None] = []
    outgoing = next(flow)
    while True:
        sent.append(outgoing.headers.get("Authorization"))
        response = respond(outgoing, len(sent))
        try:
            outgoing = flow.send(response)
        except StopIteration:
            return sent, response
        assert len(sent) < 10, "the flow does not stop"


def ok_respond(request: Request, attempt: int) -> Response:
    return ok(request)
