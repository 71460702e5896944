from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trio
from codings import brotli_compress, decode_all, split_at, zstd_compress
from hypothesis import given
from hypothesis import strategies as st
from server import Responder, ServerRequest, TestServer
from threaded_server import serve_in_thread

import trio_http
from trio_http import _decoders
from trio_http._config import MAX_CONTENT_ENCODINGS
from trio_http._decoders import make_decoder
from trio_http._exceptions import ContentDecodingError, TooManyContentEncodings

# -- make_decoder ---------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "identity", " Identity "])
def test_identity_has_no_decoder(value: str | None) -> None:
    assert make_decoder(value) is None


def test_unknown_coding_passes_through() -> None:
    assert make_decoder("compress") is None
    assert make_decoder("foo, identity") is None
    decoder = make_decoder("gzip, foo")
    assert decoder is not None
    assert decode_all("gzip, foo", [gzip.compress(b"x")]) == b"x"


def test_chained_codings_are_undone_in_reverse_order() -> None:
    payload = b"chained " * 200
    body = brotli_compress(gzip.compress(payload))
    assert decode_all("gzip, br", [body]) == payload
    assert decode_all("gzip,br", split_at(body, [3, 10, 11])) == payload


# -- stacked codings ------------------------------------------------------

_CHAIN_ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli_compress,
    "zstd": zstd_compress,
}


def _with_identities(codings: list[str], positions: list[int]) -> str:
    tokens = list(codings)
    for position in positions:
        tokens.insert(min(position, len(tokens)), "identity")
    return ", ".join(tokens)


@given(
    payload=st.binary(max_size=2000),
    codings=st.lists(
        st.sampled_from(sorted(_CHAIN_ENCODERS)), min_size=1, max_size=MAX_CONTENT_ENCODINGS
    ),
    identities=st.lists(st.integers(0, MAX_CONTENT_ENCODINGS), max_size=10),
)
def test_any_chain_within_the_limit_decodes(
    payload: bytes, codings: list[str], identities: list[int]
) -> None:
    body = payload
    for coding in codings:  # listed in the order they were applied
        body = _CHAIN_ENCODERS[coding](body)
    header = _with_identities(codings, identities)
    assert decode_all(header, [body]) == payload


@given(
    codings=st.lists(
        st.sampled_from([*_CHAIN_ENCODERS, "compress", "GZIP"]),
        min_size=MAX_CONTENT_ENCODINGS + 1,
        max_size=60,
    ),
    identities=st.lists(st.integers(0, 60), max_size=10),
)
def test_a_chain_beyond_the_limit_raises_before_any_decoder_exists(
    codings: list[str], identities: list[int]
) -> None:
    header = _with_identities(codings, identities)
    built: list[str] = []
    real_make_stage = _decoders._make_stage

    def counting_make_stage(token: str, *args: Any) -> Any:
        built.append(token)
        return real_make_stage(token, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_decoders, "_make_stage", counting_make_stage)
        with pytest.raises(TooManyContentEncodings, match=f"lists {len(codings)} codings") as info:
            make_decoder(header)
    assert built == []
    assert isinstance(info.value, ContentDecodingError)  # requests users' except clause


def test_identity_does_not_count_towards_the_limit() -> None:
    # identity costs nothing: five real codings among many identities decode.
    body = b"five"
    for _ in range(MAX_CONTENT_ENCODINGS):
        body = gzip.compress(body)
    header = ", ".join(["identity"] * 50 + ["gzip"] * MAX_CONTENT_ENCODINGS + ["", "identity"])
    assert decode_all(header, [body]) == b"five"
    assert make_decoder(", ".join(["identity"] * 1000)) is None


def test_a_thousand_stacked_codings_fail_fast_with_little_memory() -> None:
    header = ", ".join(["gzip"] * 1000)
    tracemalloc.start()
    try:
        with pytest.raises(TooManyContentEncodings, match="lists 1000 codings"):
            make_decoder(header)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # One gzip decoder alone would allocate more than this (zlib's window).
    assert peak < 256 * 1024


_STACKED = [("Content-Type", "application/octet-stream")] + [("Content-Encoding", "gzip")] * 1000


async def _head_then_stall(request: ServerRequest, respond: Responder) -> None:
    # The head arrives; the body never does. A client that tried to decode
    # it would wait here instead of failing.
    await respond.start(200, _STACKED)
    await trio.sleep_forever()


async def _stacked_with_body(request: ServerRequest, respond: Responder) -> None:
    await respond.respond(200, _STACKED, b"raw, not decoded")


def _check_carries_request_and_response(
    error: TooManyContentEncodings, response: trio_http.Response | None = None
) -> None:
    assert error.response is not None
    if response is not None:
        assert error.response is response
    assert error.request is error.response.request
    assert error.request is not None
    assert error.request.url.path in ("/stalled", "/stacked")


async def test_async_client_rejects_stacked_codings_before_reading_the_body(
    server: TestServer,
) -> None:
    server.route("/stalled")(_head_then_stall)
    async with trio_http.AsyncClient() as client:
        with trio.fail_after(5):
            with pytest.raises(TooManyContentEncodings) as info:
                await client.get(server.url_for("/stalled"))
        _check_carries_request_and_response(info.value)
        async with client.stream("GET", server.url_for("/stalled")) as response:
            with trio.fail_after(5):
                with pytest.raises(TooManyContentEncodings) as info:
                    await response.aread()
            _check_carries_request_and_response(info.value, response)
            with trio.fail_after(5):
                with pytest.raises(TooManyContentEncodings):
                    async for _ in response.aiter_bytes():
                        pass
            assert response.num_bytes_downloaded == 0
        # The pool is still usable.
        assert (await client.get(server.url_for("/get"))).status_code == 200


async def test_stacked_codings_still_allow_raw_reads(server: TestServer) -> None:
    server.route("/stacked")(_stacked_with_body)
    async with trio_http.AsyncClient() as client:
        async with client.stream("GET", server.url_for("/stacked")) as response:
            with pytest.raises(TooManyContentEncodings):
                await response.aread()
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
    assert raw == b"raw, not decoded"


@pytest.fixture(scope="module")
def live() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        running.route("/stalled")(_head_then_stall)
        running.route("/stacked")(_stacked_with_body)
        yield running


def test_blocking_api_rejects_stacked_codings_before_reading_the_body(live: TestServer) -> None:
    with pytest.raises(TooManyContentEncodings) as info:
        trio_http.get(live.url_for("/stalled"), timeout=5)
    _check_carries_request_and_response(info.value)
    with trio_http.Session() as session:
        with pytest.raises(TooManyContentEncodings) as info:
            session.get(live.url_for("/stalled"), timeout=5)
        _check_carries_request_and_response(info.value)
        response = session.get(live.url_for("/stalled"), stream=True, timeout=5)
        with response:
            with pytest.raises(TooManyContentEncodings) as info:
                for _ in response.iter_content(1024):
                    pass
            _check_carries_request_and_response(info.value, response)
            assert response.num_bytes_downloaded == 0
        # Undecoded reads work on such a response.
        response = session.get(live.url_for("/stacked"), stream=True, timeout=5)
        with response:
            with pytest.raises(TooManyContentEncodings):
                next(response.iter_content(1024))
            assert b"".join(response.iter_raw()) == b"raw, not decoded"
        assert session.get(live.url_for("/get"), timeout=5).status_code == 200
