"""HTTP/2 against real servers: nginx, hypercorn (h2 and h2c) and nghttpd."""

from __future__ import annotations

import trio
from interop import RunningServer, hypercorn_h2, hypercorn_h2c, nghttpd  # noqa: F401
from nginx import ONE_MIB, SMALL_TXT, Nginx

from trio_http import AsyncClient, Limits


async def test_nginx_serves_many_concurrent_requests_on_one_connection(nginx: Nginx) -> None:
    # One connection allowed: requests beyond nginx's 128 concurrent streams
    # wait for a stream slot.
    limits = Limits(max_connections_per_host=1)
    async with AsyncClient(http2=True, verify=str(nginx.ca_bundle), limits=limits) as client:
        bodies: list[bytes] = []

        async def fetch() -> None:
            bodies.append((await client.get(nginx.https_url + "/small.txt")).content)

        async with trio.open_nursery() as nursery:
            for _ in range(300):
                nursery.start_soon(fetch)
        assert bodies == [SMALL_TXT] * 300
        assert nginx.established_connections(nginx.https_port) == 1
        response = await client.get(nginx.https_url + "/1m.bin")
        assert response.http_version == "HTTP/2"
        assert response.content == ONE_MIB
        gzipped = await client.get(nginx.https_url + "/gzip.txt")
        assert gzipped.headers["content-encoding"] == "gzip"
        assert gzipped.text.startswith("line 0:")


async def test_nginx_stream_limit_opens_more_connections_when_limits_allow(nginx: Nginx) -> None:
    async with AsyncClient(http2=True, verify=str(nginx.ca_bundle)) as client:
        await client.get(nginx.https_url + "/ok")  # nginx's SETTINGS are known now
        release = trio.Event()
        opened: list[int] = []

        async def fetch() -> None:
            async with client.stream("GET", nginx.https_url + "/small.txt") as response:
                await release.wait()
                assert await response.aread() == SMALL_TXT

        async with trio.open_nursery() as nursery:
            for _ in range(300):  # beyond nginx's 128 concurrent streams
                nursery.start_soon(fetch)
            # Every stream is held open: 300 need three connections of 128.
            with trio.fail_after(10):
                while nginx.established_connections(nginx.https_port) < 3:
                    await trio.sleep(0.01)
            opened.append(nginx.established_connections(nginx.https_port))
            release.set()
        assert opened == [3]


async def test_nginx_interleaves_large_bodies_on_one_connection_intact(nginx: Nginx) -> None:
    # Several big streams at once: nginx interleaves their DATA frames, and
    # each body must come out whole and in order.
    async with AsyncClient(http2=True, verify=str(nginx.ca_bundle)) as client:
        bodies: list[bytes] = []

        async def fetch() -> None:
            async with client.stream("GET", nginx.https_url + "/1m.bin") as response:
                chunks = [chunk async for chunk in response.aiter_raw()]
            bodies.append(b"".join(chunks))

        async with trio.open_nursery() as nursery:
            for _ in range(8):
                nursery.start_soon(fetch)
        assert bodies == [ONE_MIB] * 8
        assert nginx.established_connections(nginx.https_port) == 1


async def test_hypercorn_over_tls_with_alpn(hypercorn_h2: RunningServer) -> None:  # noqa: F811
    async with AsyncClient(http2=True, verify=hypercorn_h2.ca_bundle) as client:
        version = await client.get(hypercorn_h2.url + "/version")
        echoed = await client.post(hypercorn_h2.url + "/echo", content=b"e" * 300_000)
    assert version.http_version == "HTTP/2" and version.content == b"2"
    assert echoed.content == b"e" * 300_000


async def test_hypercorn_h2c_with_prior_knowledge(hypercorn_h2c: RunningServer) -> None:  # noqa: F811
    async with AsyncClient(http2=True, http1=False) as client:
        async with trio.open_nursery() as nursery:
            for _ in range(20):
                nursery.start_soon(client.get, hypercorn_h2c.url + "/ok")
        version = await client.get(hypercorn_h2c.url + "/version")
    assert version.http_version == "HTTP/2" and version.content == b"2"


async def test_hypercorn_plain_http_stays_http11_by_default(hypercorn_h2c: RunningServer) -> None:  # noqa: F811
    async with AsyncClient(http2=True) as client:
        version = await client.get(hypercorn_h2c.url + "/version")
    assert version.content == b"1.1"


async def test_nghttpd(nghttpd: RunningServer) -> None:  # noqa: F811
    async with AsyncClient(http2=True, http1=False, verify=nghttpd.ca_bundle) as client:
        small = await client.get(nghttpd.url + "/ok.txt")
        big = await client.get(nghttpd.url + "/1m.bin")
        missing = await client.get(nghttpd.url + "/missing")
    assert small.http_version == "HTTP/2" and small.content == b"ok from nghttpd\n"
    assert big.content == bytes(range(256)) * 4096
    assert missing.status_code == 404
