"""Bulk transfer against local nginx: CPU per GB and MB/s, trio_http and its peers.

    python benchmarks/bench_bulk.py --size-mib 256 --rounds 3
    python benchmarks/bench_bulk.py --only download-http --only upload-http

Workloads (``--only``, repeatable): ``download-http``, ``download-https``,
``download-h2`` (HTTP/2 over TLS: trio_http and httpx), ``upload-http``
(a bytes body with Content-Length, and a generator sent chunked). Every
client downloads the same file (written to nginx's document root) or uploads
the same bytes to nginx's ``/upload`` sink, in one process, with the order
rotated every round (see ``_common.py``). Reading uses the client's streaming
API with 64 KiB chunks where it takes a size (``--chunk-size 0``: each
client's own chunking, ``iter_content(None)`` and ``aiter_bytes()``).

The table shows medians over rounds of MB/s and CPU seconds per GB of this
process (all threads), and per round the ratio of each client's CPU per GB
to urllib3's: the median with the smallest and largest ratio in brackets.
Lower is better; urllib3 (and requests on top of it) is the reference a
requests user switches from. The two "floor" rows read the same body with
no HTTP client at all, on Trio and blocking: what the I/O alone costs.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
from collections.abc import Callable, Iterator, Sequence

import trio
from _common import DASH, Nginx, Result, add_rounds_option, local_nginx, run_rounds, timed

import trio_http

CHUNK = 64 * 1024
BLOCK = bytes(range(256)) * 4096  # 1 MiB of non-constant data


# -- downloads -----------------------------------------------------------------


async def trio_http_download(
    url: str, ca: str, size: int, chunk: int | None, http2: bool
) -> list[float]:
    async with trio_http.AsyncClient(verify=ca, http2=http2, timeout=300) as client:
        await client.get(url.rsplit("/", 1)[0] + "/ok")
        async with client.stream("GET", url) as response:
            received = 0
            with timed() as elapsed:
                async for piece in response.aiter_bytes(chunk):
                    received += len(piece)
    assert received == size, (received, size)
    return elapsed


def trio_http_blocking_download(url: str, ca: str, size: int, chunk: int | None) -> list[float]:
    with trio_http.Session() as session:
        session.verify = ca
        session.get(url.rsplit("/", 1)[0] + "/ok")
        with session.get(url, stream=True) as response:
            received = 0
            with timed() as elapsed:
                for piece in response.iter_content(chunk):
                    received += len(piece)
    assert received == size, (received, size)
    return elapsed


def urllib3_download(url: str, ca: str, size: int, chunk: int | None) -> list[float]:
    import urllib3

    with urllib3.PoolManager(ca_certs=ca) as pool:
        pool.request("GET", url.rsplit("/", 1)[0] + "/ok")
        response = pool.request("GET", url, preload_content=False)
        received = 0
        with timed() as elapsed:
            for piece in response.stream(chunk or CHUNK):
                received += len(piece)
        response.release_conn()
    assert received == size, (received, size)
    return elapsed


def requests_download(url: str, ca: str, size: int, chunk: int | None) -> list[float]:
    import requests

    with requests.Session() as session:
        # Per request: requests lets REQUESTS_CA_BUNDLE override session.verify.
        session.get(url.rsplit("/", 1)[0] + "/ok", verify=ca)
        with session.get(url, stream=True, verify=ca) as response:
            received = 0
            with timed() as elapsed:
                for piece in response.iter_content(chunk or CHUNK):
                    received += len(piece)
    assert received == size, (received, size)
    return elapsed


async def httpx_download(
    url: str, ca: str, size: int, chunk: int | None, http2: bool
) -> list[float]:
    import httpx

    async with httpx.AsyncClient(verify=ca, http2=http2, timeout=300) as client:
        await client.get(url.rsplit("/", 1)[0] + "/ok")
        async with client.stream("GET", url) as response:
            received = 0
            with timed() as elapsed:
                async for piece in response.aiter_bytes(chunk):
                    received += len(piece)
    assert received == size, (received, size)
    return elapsed


async def aiohttp_download(url: str, ca: str, size: int, chunk: int | None) -> list[float]:
    import ssl

    import aiohttp

    context = ssl.create_default_context(cafile=ca)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session:
        async with session.get(url.rsplit("/", 1)[0] + "/ok") as response:
            await response.read()
        async with session.get(url) as response:
            received = 0
            with timed() as elapsed:
                if chunk:
                    async for piece in response.content.iter_chunked(chunk):
                        received += len(piece)
                else:
                    async for piece in response.content.iter_any():
                        received += len(piece)
    assert received == size, (received, size)
    return elapsed


# -- floors: a bare read loop, no HTTP client -----------------------------------
#
# What reading the body costs with nothing but the I/O: one GET written by
# hand, then the socket read until the body's bytes are in, each read handed
# out as ``bytes`` (one copy out of a reused buffer), as a client must. The
# Trio loop reads with trio_http's own TLS stream (OpenSSL on the socket,
# every record at hand per read), 256 KiB per read; the blocking loop reads
# 64 KiB per ``bytes``, as urllib3 does. The gap between the two is what an
# event loop costs per read, whatever the client on top of it.


def _bare_request(url: str) -> tuple[str, int, bytes]:
    target = trio_http.URL(url)
    head = b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target.target, target.netloc.encode())
    return target.host, target.effective_port, head


async def floor_trio_download(url: str, ca: str, size: int) -> list[float]:
    import ssl

    from trio_http._transports._connect import open_stream

    host, port, head = _bare_request(url)
    context = ssl.create_default_context(cafile=ca) if url.startswith("https") else None
    stream = await open_stream(host, port, ssl_context=context)
    async with stream:
        await stream.send_all(head)
        data = b""
        while b"\r\n\r\n" not in data:
            data += await stream.receive_some(64 * 1024)
        received = len(data.split(b"\r\n\r\n", 1)[1])
        with timed() as elapsed:
            while received < size:
                data = await stream.receive_some(256 * 1024)
                if not data:
                    raise EOFError("the server closed the connection early")
                received += len(data)
    assert received == size, (received, size)
    return elapsed


def floor_blocking_download(url: str, ca: str, size: int) -> list[float]:
    import socket
    import ssl

    host, port, head = _bare_request(url)
    sock = socket.create_connection((host, port))
    if url.startswith("https"):
        sock = ssl.create_default_context(cafile=ca).wrap_socket(sock, server_hostname=host)
    with sock:
        sock.sendall(head)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(64 * 1024)
        received = len(data.split(b"\r\n\r\n", 1)[1])
        view = memoryview(bytearray(CHUNK))
        with timed() as elapsed:
            while received < size:
                filled = 0
                while filled < CHUNK and received + filled < size:
                    count = sock.recv_into(view[filled:])
                    if not count:
                        raise EOFError("the server closed the connection early")
                    filled += count
                received += len(bytes(view[:filled]))
    assert received == size, (received, size)
    return elapsed


# -- uploads -------------------------------------------------------------------


def _pieces(size: int) -> Iterator[bytes]:
    for _ in range(size // len(BLOCK)):
        yield BLOCK


async def _apieces(size: int) -> Iterator[bytes]:  # type: ignore[misc]
    for piece in _pieces(size):
        yield piece


async def trio_http_upload(url: str, body: bytes | None, size: int) -> list[float]:
    async with trio_http.AsyncClient(timeout=300) as client:
        await client.get(url.rsplit("/", 1)[0] + "/ok")
        with timed() as elapsed:
            content = body if body is not None else _apieces(size)
            response = await client.post(url, content=content)
    assert response.status_code == 200, response.status_code
    return elapsed


def trio_http_blocking_upload(url: str, body: bytes | None, size: int) -> list[float]:
    with trio_http.Session() as session:
        session.get(url.rsplit("/", 1)[0] + "/ok")
        with timed() as elapsed:
            response = session.post(url, data=body if body is not None else _pieces(size))
    assert response.status_code == 200, response.status_code
    return elapsed


def urllib3_upload(url: str, body: bytes | None, size: int) -> list[float]:
    import urllib3

    with urllib3.PoolManager() as pool:
        pool.request("GET", url.rsplit("/", 1)[0] + "/ok")
        with timed() as elapsed:
            if body is not None:
                response = pool.request("POST", url, body=body)
            else:
                response = pool.request("POST", url, body=_pieces(size), chunked=True)
    assert response.status == 200, response.status
    return elapsed


def requests_upload(url: str, body: bytes | None, size: int) -> list[float]:
    import requests

    with requests.Session() as session:
        session.get(url.rsplit("/", 1)[0] + "/ok")
        with timed() as elapsed:
            response = session.post(url, data=body if body is not None else _pieces(size))
    assert response.status_code == 200, response.status_code
    return elapsed


async def httpx_upload(url: str, body: bytes | None, size: int) -> list[float]:
    import httpx

    async with httpx.AsyncClient(timeout=300) as client:
        await client.get(url.rsplit("/", 1)[0] + "/ok")
        with timed() as elapsed:
            content = body if body is not None else _apieces(size)
            response = await client.post(url, content=content)
    assert response.status_code == 200, response.status_code
    return elapsed


async def aiohttp_upload(url: str, body: bytes | None, size: int) -> list[float]:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.get(url.rsplit("/", 1)[0] + "/ok") as response:
            await response.read()
        with timed() as elapsed:
            data = body if body is not None else _apieces(size)
            async with session.post(url, data=data) as response:
                await response.read()
    assert response.status == 200, response.status
    return elapsed


# -- tables --------------------------------------------------------------------


def print_bulk(title: str, results: dict[str, list[Result]], baseline: str = "urllib3") -> None:
    """MB/s and CPU s/GB (medians), and CPU per GB relative to ``baseline`` per round."""
    print(f"\n{title}")
    rounds = len(next(iter(results.values())))
    print(f"median of {rounds} round(s); CPU ratio per round: median (min{DASH}max)")
    print(f"{'client':<34}{'MB/s':>8}{'CPU s/GB':>10}{'CPU / ' + baseline:>26}")
    base = results.get(baseline)
    for name, runs in results.items():
        speed = statistics.median(run.count / run.seconds for run in runs) / 1e6
        cpu_gb = statistics.median(run.cpu_seconds / (run.count / 1e9) for run in runs)
        ratio = ""
        if base is not None:
            ratios = [run.cpu_seconds / b.cpu_seconds for b, run in zip(base, runs, strict=True)]
            ratio = _spread(ratios)
        print(f"{name:<34}{speed:>8.0f}{cpu_gb:>10.2f}{ratio:>26}")


def _spread(ratios: Sequence[float]) -> str:
    if len(ratios) == 1:
        return f"{ratios[0]:.2f}x"
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}{DASH}{max(ratios):.2f})"


def _trio(fn: Callable[..., object], *args: object) -> Callable[[], list[float]]:
    return functools.partial(trio.run, fn, *args)  # type: ignore[arg-type]


def _asyncio(fn: Callable[..., object], *args: object) -> Callable[[], list[float]]:
    return lambda: asyncio.run(fn(*args))  # type: ignore[arg-type]


def download_runners(
    server: Nginx, scheme: str, size: int, chunk: int | None
) -> dict[str, Callable[[], list[float]]]:
    base = server.https_url if scheme == "https" else server.http_url
    url, ca = base + "/big.bin", str(server.ca_bundle)
    label = f"chunk {chunk}" if chunk else "own chunks"
    return {
        "urllib3": functools.partial(urllib3_download, url, ca, size, chunk),
        f"trio_http async ({label})": _trio(trio_http_download, url, ca, size, chunk, False),
        f"trio_http blocking ({label})": functools.partial(
            trio_http_blocking_download, url, ca, size, chunk
        ),
        "requests": functools.partial(requests_download, url, ca, size, chunk),
        "httpx on trio": _trio(httpx_download, url, ca, size, chunk, False),
        "aiohttp": _asyncio(aiohttp_download, url, ca, size, chunk),
        "floor: Trio read loop, no HTTP": _trio(floor_trio_download, url, ca, size),
        "floor: blocking read loop, no HTTP": functools.partial(
            floor_blocking_download, url, ca, size
        ),
    }


def h2_runners(server: Nginx, size: int, chunk: int | None) -> dict[str, Callable[[], list[float]]]:
    url, ca = server.https_url + "/big.bin", str(server.ca_bundle)
    return {
        "trio_http HTTP/1.1": _trio(trio_http_download, url, ca, size, chunk, False),
        "trio_http HTTP/2": _trio(trio_http_download, url, ca, size, chunk, True),
        "httpx HTTP/2": _trio(httpx_download, url, ca, size, chunk, True),
    }


def upload_runners(server: Nginx, size: int, chunked: bool) -> dict[str, Callable[[], list[float]]]:
    url = server.http_url + "/upload"
    body = None if chunked else b"".join(_pieces(size))
    return {
        "urllib3": functools.partial(urllib3_upload, url, body, size),
        "trio_http async": _trio(trio_http_upload, url, body, size),
        "trio_http blocking": functools.partial(trio_http_blocking_upload, url, body, size),
        "requests": functools.partial(requests_upload, url, body, size),
        "httpx on trio": _trio(httpx_upload, url, body, size),
        "aiohttp": _asyncio(aiohttp_upload, url, body, size),
    }


WORKLOADS = ("download-http", "download-https", "download-h2", "upload-http")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--chunk-size", type=int, default=CHUNK, help="0: each client's own")
    parser.add_argument("--only", action="append", choices=WORKLOADS, help="repeatable")
    add_rounds_option(parser, default=3)
    args = parser.parse_args()
    size = args.size_mib * len(BLOCK)
    chunk = args.chunk_size or None
    with local_nginx() as server:
        path = server.prefix / "html" / "big.bin"
        with path.open("wb") as file:
            for piece in _pieces(size):
                file.write(piece)
        for workload in args.only or WORKLOADS:
            if workload == "download-h2":
                title = f"{args.size_mib} MiB download over TLS, HTTP/1.1 vs HTTP/2"
                print_bulk(
                    title,
                    run_rounds(h2_runners(server, size, chunk), args.rounds, size),
                    "trio_http HTTP/1.1",
                )
            elif workload.startswith("download"):
                scheme = workload.split("-")[1]
                title = f"{args.size_mib} MiB download, HTTP/1.1 over {scheme}"
                runners = download_runners(server, scheme, size, chunk)
                print_bulk(title, run_rounds(runners, args.rounds, size))
            else:
                for chunked in (False, True):
                    kind = "a generator, chunked" if chunked else "bytes, Content-Length"
                    title = f"{args.size_mib} MiB upload over http ({kind})"
                    runners = upload_runners(server, size, chunked)
                    print_bulk(title, run_rounds(runners, args.rounds, size))


if __name__ == "__main__":
    main()
