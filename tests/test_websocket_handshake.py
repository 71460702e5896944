"""The WebSocket handshake as values: headers sent, answers accepted or refused."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http import URL, InvalidSchema, Request, Response, WebSocketHandshakeError
from trio_http._websocket_handshake import (
    accept_for,
    check_handshake,
    handshake_headers,
    http_url_for,
    new_key,
    parse_extensions,
)

KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 §1.3's example


def test_accept_matches_the_rfc_example() -> None:
    assert accept_for(KEY) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_new_keys_are_16_random_bytes_in_base64() -> None:
    keys = {new_key() for _ in range(20)}
    assert len(keys) == 20
    assert all(len(base64.b64decode(key)) == 16 for key in keys)


@pytest.mark.parametrize(
    ("given_url", "expected"),
    [
        ("ws://a.example/chat?x=1", "http://a.example/chat?x=1"),
        ("wss://a.example:8443/", "https://a.example:8443/"),
        ("http://a.example/", "http://a.example/"),
        ("https://a.example/", "https://a.example/"),
    ],
)
def test_websocket_schemes_map_to_http(given_url: str, expected: str) -> None:
    assert str(http_url_for(URL(given_url))) == expected


def test_default_ports_follow_the_scheme() -> None:
    assert http_url_for(URL("wss://a.example/")).port in (None, 443)
    assert http_url_for(URL("wss://a.example/")).origin == ("https", "a.example", 443)
    assert http_url_for(URL("ws://a.example/")).origin == ("http", "a.example", 80)


def test_other_schemes_are_refused() -> None:
    with pytest.raises(InvalidSchema):
        http_url_for(URL("ftp://a.example/"))


def test_handshake_headers_offer_what_was_asked() -> None:
    headers = dict(handshake_headers(KEY, ["chat", "superchat"], "permessage-deflate"))
    assert headers == {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": KEY,
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Protocol": "chat, superchat",
        "Sec-WebSocket-Extensions": "permessage-deflate",
    }
    bare = dict(handshake_headers(KEY, [], None))
    assert "Sec-WebSocket-Protocol" not in bare
    assert "Sec-WebSocket-Extensions" not in bare


def test_parse_extensions_splits_names_and_parameters() -> None:
    assert parse_extensions("permessage-deflate; server_no_context_takeover, X-Other") == [
        ("permessage-deflate", "server_no_context_takeover"),
        ("x-other", ""),
    ]
    assert parse_extensions("") == []


def _response(
    status: int = 101, headers: dict[str, str] | None = None, version: str = "HTTP/1.1"
) -> Response:
    base = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Accept": accept_for(KEY),
    }
    if version != "HTTP/1.1":
        base = {}
    base.update(headers or {})
    return Response(
        status,
        headers=base,
        request=Request("GET", "http://a.example/ws"),
        http_version=version,
        content=b"",
    )


def test_a_right_101_is_accepted() -> None:
    negotiated = check_handshake(
        _response(headers={"Sec-WebSocket-Protocol": "chat"}), KEY, ["chat"], []
    )
    assert negotiated.subprotocol == "chat"
    assert negotiated.extensions == ()


def test_connection_header_may_list_several_tokens() -> None:
    check_handshake(_response(headers={"Connection": "keep-alive, Upgrade"}), KEY, [], [])


@pytest.mark.parametrize(
    ("status", "headers", "words"),
    [
        (200, {}, "200 instead of 101"),
        (403, {}, "403 instead of 101"),
        (101, {"Sec-WebSocket-Accept": "wrong"}, "Accept does not match"),
        (101, {"Upgrade": "h2c"}, "Upgrade: websocket"),
        (101, {"Connection": "close"}, "Connection: Upgrade"),
        (101, {"Sec-WebSocket-Protocol": "other"}, "not offered"),
        (101, {"Sec-WebSocket-Extensions": "x-unknown"}, "not offered"),
    ],
)
def test_a_wrong_answer_is_refused_with_the_response(
    status: int, headers: dict[str, str], words: str
) -> None:
    response = _response(status, headers)
    with pytest.raises(WebSocketHandshakeError, match=words) as caught:
        check_handshake(response, KEY, ["chat"], [])
    assert caught.value.response is response


def test_one_extension_accepted_twice_is_refused() -> None:
    headers = {"Sec-WebSocket-Extensions": "permessage-deflate, permessage-deflate"}
    with pytest.raises(WebSocketHandshakeError, match="twice"):
        check_handshake(_response(headers=headers), KEY, [], ["permessage-deflate"])


def test_offered_extension_is_returned_with_its_parameters() -> None:
    headers = {"Sec-WebSocket-Extensions": "permessage-deflate; server_no_context_takeover"}
    negotiated = check_handshake(_response(headers=headers), KEY, [], ["permessage-deflate"])
    assert negotiated.extensions == (("permessage-deflate", "server_no_context_takeover"),)


def test_http2_accepts_any_2xx_without_a_key() -> None:
    negotiated = check_handshake(_response(200, version="HTTP/2"), KEY, [], [])
    assert negotiated.subprotocol is None
    with pytest.raises(WebSocketHandshakeError, match="extended CONNECT"):
        check_handshake(_response(404, version="HTTP/2"), KEY, [], [])


@given(st.binary(min_size=16, max_size=16))
def test_accept_is_a_base64_sha1(raw: bytes) -> None:
    assert len(base64.b64decode(accept_for(base64.b64encode(raw).decode()))) == 20
