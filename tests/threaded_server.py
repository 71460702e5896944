"""The test server of ``server.py`` on a thread of its own, for blocking clients.

Blocking tests (``Session``, requests) cannot share a Trio run with the
server, so :func:`serve_in_thread` runs :func:`server.open_test_server` under
its own ``trio.run`` in a daemon thread. It also adds a Digest
authentication route (RFC 7616, ``qop=auth``) that the built-ins lack; see
:func:`add_digest_routes`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import trio
from server import Responder, ServerRequest, TestServer, open_test_server

__all__ = ["add_digest_routes", "digest_auth_route", "serve_in_thread"]

_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')
_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
REALM = "trio_http-test"


def _digest(algorithm: str, text: str) -> str:
    return _HASHES[algorithm](text.encode()).hexdigest()


async def digest_auth_route(request: ServerRequest, respond: Responder) -> None:
    """Check Digest credentials; answer 401 with a fresh challenge otherwise."""
    parts = request.path.split("/")  # ["", "digest-auth", user, password, (algorithm)]
    user, password = parts[2], parts[3]
    algorithm = parts[4] if len(parts) > 4 else "MD5"
    header = request.header("authorization") or ""
    if header.startswith("Digest "):
        params = {m[0]: m[1] or m[2] for m in _PARAM.findall(header[7:])}
        ha1 = _digest(algorithm, f"{user}:{REALM}:{password}")
        ha2 = _digest(algorithm, f"{request.method}:{params.get('uri', '')}")
        expected = _digest(
            algorithm,
            f"{ha1}:{params.get('nonce')}:{params.get('nc')}:{params.get('cnonce')}:auth:{ha2}",
        )
        if params.get("username") == user and params.get("response") == expected:
            await respond.json({"authenticated": True, "user": user})
            return
    challenge = (
        f'Digest realm="{REALM}", qop="auth", nonce="{secrets.token_hex(8)}", '
        f'opaque="{secrets.token_hex(8)}", algorithm={algorithm}'
    )
    await respond.json({"authenticated": False}, 401, [("WWW-Authenticate", challenge)])


def add_digest_routes(server: TestServer, user: str, password: str) -> None:
    """Serve ``/digest-auth/{user}/{password}`` and its ``/MD5`` and ``/SHA-256`` forms."""
    base = f"/digest-auth/{user}/{password}"
    for path in (base, base + "/MD5", base + "/SHA-256"):
        server.routes[path] = digest_auth_route


@contextmanager
def serve_in_thread() -> Iterator[TestServer]:
    """Run a test server (with the digest route) in a thread until the block ends."""
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def main() -> None:
        async with open_test_server() as running:
            holder["server"] = running
            holder["token"] = trio.lowlevel.current_trio_token()
            stop = trio.Event()
            holder["stop"] = stop
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=trio.run, args=(main,), daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("test server thread did not start")
    running = holder["server"]
    assert isinstance(running, TestServer)
    try:
        yield running
    finally:
        token = holder["token"]
        stop = holder["stop"]
        assert isinstance(token, trio.lowlevel.TrioToken) and isinstance(stop, trio.Event)
        token.run_sync_soon(stop.set)
        thread.join(10)
