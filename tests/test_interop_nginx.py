"""AsyncClient against a real nginx over HTTP/1.1 and HTTPS."""

from __future__ import annotations

import pytest
import trio
from nginx import GZIP_TXT, ONE_MIB, SMALL_TXT, Nginx

import trio_http
from trio_http import AsyncClient

pytestmark = pytest.mark.nginx


@pytest.fixture(params=["http", "https"])
def base_url(request: pytest.FixtureRequest, nginx: Nginx) -> str:
    return nginx.http_url if request.param == "http" else nginx.https_url


async def test_small_and_large_bodies(nginx: Nginx, base_url: str) -> None:
    async with AsyncClient(verify=str(nginx.ca_bundle)) as client:
        small = await client.get(base_url + "/small.txt")
        large = await client.get(base_url + "/1m.bin")
        async with client.stream("GET", base_url + "/1m.bin") as streamed:
            received = bytearray()
            async for chunk in streamed.aiter_bytes():
                received += chunk
    assert small.status_code == 200
    assert small.content == SMALL_TXT
    assert small.headers["server"].startswith("nginx")
    assert large.content == ONE_MIB
    assert bytes(received) == ONE_MIB


async def test_gzip_is_decoded(nginx: Nginx, base_url: str) -> None:
    async with AsyncClient(verify=str(nginx.ca_bundle)) as client:
        response = await client.get(base_url + "/gzip.txt")
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == GZIP_TXT


async def test_redirect_and_status(nginx: Nginx, base_url: str) -> None:
    async with AsyncClient(verify=str(nginx.ca_bundle)) as client:
        redirected = await client.get(base_url + "/redirect")
        missing = await client.get(base_url + "/no-such-file")
    assert redirected.status_code == 200
    assert redirected.text == "ok"
    assert [r.status_code for r in redirected.history] == [302]
    assert missing.status_code == 404
    with pytest.raises(trio_http.HTTPError):
        missing.raise_for_status()


async def test_keepalive_reuses_one_connection(nginx: Nginx) -> None:
    async with AsyncClient(verify=str(nginx.ca_bundle)) as client:
        for _ in range(20):
            assert (await client.get(nginx.http_url + "/ok")).status_code == 200
            assert (await client.get(nginx.https_url + "/ok")).status_code == 200
        assert nginx.established_connections(nginx.http_port) == 1
        assert nginx.established_connections(nginx.https_port) == 1
    with trio.fail_after(5):
        while nginx.established_connections():
            await trio.sleep(0.01)


async def test_concurrent_requests_respect_max_connections(nginx: Nginx) -> None:
    limits = trio_http.Limits(max_connections=8)
    seen: list[int] = []
    async with AsyncClient(limits=limits, verify=str(nginx.ca_bundle)) as client:

        async def fetch() -> None:
            response = await client.get(nginx.https_url + "/small.txt")
            assert response.content == SMALL_TXT
            seen.append(nginx.established_connections(nginx.https_port))

        async with trio.open_nursery() as nursery:
            for _ in range(200):
                nursery.start_soon(fetch)
    assert len(seen) == 200
    assert max(seen) <= 8


async def test_untrusted_nginx_certificate_is_rejected(nginx: Nginx) -> None:
    async with AsyncClient() as client:
        with pytest.raises(trio_http.SSLError):
            await client.get(nginx.https_url + "/ok")


async def test_upload_to_nginx(nginx: Nginx) -> None:
    # nginx answers 405 to a POST on a static file; the whole body is still
    # framed correctly and the connection stays usable.
    async with AsyncClient() as client:
        response = await client.post(nginx.http_url + "/small.txt", content=b"x" * 100_000)
        again = await client.get(nginx.http_url + "/small.txt")
    assert response.status_code == 405
    assert again.content == SMALL_TXT
