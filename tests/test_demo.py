"""The ``python -m trio_http demo`` command: embedded server plus client."""

from __future__ import annotations

import io
import sys

import pytest
import trio
import trio.testing

from trio_http import _demo


async def test_demo_fetches_json_and_streamed_body_over_http() -> None:
    out = io.StringIO()
    with trio.fail_after(10):
        await _demo.run_demo(out=out)
    text = out.getvalue()
    assert text.startswith("demo server listening on http://127.0.0.1:")
    assert text.count("HTTP/1.1 200 OK") == 2
    assert "content-type: application/json" in text
    assert '"message": "hello from the trio_http demo server"' in text
    assert "transfer-encoding: chunked" in text
    assert "chunk 5 of 5" in text
    assert text.rstrip().endswith("demo server stopped")


async def test_demo_verifies_a_throwaway_certificate_over_https() -> None:
    out = io.StringIO()
    with trio.fail_after(10):
        await _demo.run_demo(https=True, out=out)
    text = out.getvalue()
    assert "listening on https://127.0.0.1:" in text
    assert text.count("HTTP/1.1 200 OK") == 2


def test_main_runs_the_demo_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert _demo.main([]) == 0
    assert "chunk 1 of 5" in capsys.readouterr().out


def test_https_without_trustme_explains_the_dev_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "trustme", None)  # makes "import trustme" fail
    assert _demo.main(["--https"]) == 1
    assert "dev extra" in capsys.readouterr().err


async def test_demo_server_keeps_connections_alive_and_answers_404() -> None:
    client, server = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_demo._serve_connection, server)
        await client.send_all(
            b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        received = b""
        while chunk := await client.receive_some(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 404 Not Found\r\n")
    assert b"HTTP/1.1 200 OK\r\n" in received
    assert received.endswith(b'"path": "/json"}')


async def test_demo_server_drops_a_client_that_sends_garbage() -> None:
    client, server = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_demo._serve_connection, server)
        await client.send_all(b"\x00\x01 not http\r\n\r\n")
        assert await client.receive_some(100) == b""


async def test_demo_server_ends_quietly_when_client_leaves_mid_request() -> None:
    client, server = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_demo._serve_connection, server)
        await client.send_all(b"POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab")
        await client.aclose()
