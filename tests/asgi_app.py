"""A tiny ASGI app for the hypercorn interop and soak tests.

``/12k.bin`` answers :data:`TWELVE_KIB` (the same bytes as nginx's
``/12k.bin`` in ``nginx.py``); ``/echo`` returns the request body;
``/version`` returns the HTTP version the server saw; ``/ok`` and every other
path answer ``ok``.
"""

from __future__ import annotations

from typing import Any

TWELVE_KIB = bytes(range(256)) * 48


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    path = scope["path"]
    if path == "/echo":
        payload = body
    elif path == "/12k.bin":
        payload = TWELVE_KIB
    elif path == "/version":
        payload = scope["http_version"].encode()
    else:
        payload = b"ok"
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})
