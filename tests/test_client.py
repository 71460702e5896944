"""AsyncClient against the in-process test server: the everyday behaviour."""

from __future__ import annotations

import io
import json
import pathlib
from typing import Any

import pytest
import trio
import trio.testing
import trustme
from server import TestServer, pattern_bytes

import trio_http
from trio_http import AsyncClient


async def test_get_returns_a_read_response(server: TestServer) -> None:
    async with AsyncClient() as client:
        response = await client.get(server.url_for("/get"), params={"q": "a b", "n": 2})
    assert response.status_code == 200
    assert response.reason_phrase == response.reason
    assert response.http_version == "HTTP/1.1"
    assert response.url == server.url_for("/get?q=a+b&n=2")
    payload = response.json()
    assert payload["args"] == {"q": "a b", "n": "2"}
    assert payload["headers"]["host"] == f"127.0.0.1:{server.port}"
    assert payload["headers"]["user-agent"].startswith("trio_http/")
    assert response.elapsed.total_seconds() > 0
    assert response.is_closed


async def test_sequential_requests_reuse_one_connection(server: TestServer) -> None:
    async with AsyncClient() as client:
        for _ in range(10):
            response = await client.get(server.url_for("/get"))
            assert response.status_code == 200
    assert server.connections_opened == 1
    assert len(server.requests) == 10


async def test_every_method_is_sent_as_named(server: TestServer) -> None:
    async with AsyncClient() as client:
        for name in ("get", "options", "post", "put", "patch", "delete"):
            response = await getattr(client, name)(server.url_for("/anything"))
            assert response.json()["method"] == name.upper()
        head = await client.head(server.url_for("/get"))
    assert head.status_code == 200
    assert head.content == b""
    assert [r.method for r in server.requests][-1] == "HEAD"


async def test_request_bodies_bytes_json_form_and_file(server: TestServer) -> None:
    async with AsyncClient() as client:
        raw = await client.post(server.url_for("/anything"), content=b"raw bytes")
        as_json = await client.post(server.url_for("/anything"), json={"a": [1, 2]})
        form = await client.post(server.url_for("/anything"), data={"k": "v w"})
        upload = await client.put(server.url_for("/upload"), content=io.BytesIO(b"f" * 300_000))
    assert raw.json()["data"] == "raw bytes"
    assert as_json.json()["json"] == {"a": [1, 2]}
    assert form.json()["form"] == {"k": "v w"}
    assert upload.json()["length"] == 300_000
    assert server.requests[-1].header("content-length") == "300000"


async def test_async_iterable_body_is_sent_chunked(server: TestServer) -> None:
    async def body():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"z" * 10_000
            await trio.sleep(0)

    async with AsyncClient() as client:
        response = await client.post(server.url_for("/upload"), content=body())
    assert response.json()["length"] == 200_000
    assert server.requests[-1].header("transfer-encoding") == "chunked"


async def test_multipart_upload(server: TestServer) -> None:
    async with AsyncClient() as client:
        response = await client.post(
            server.url_for("/anything"),
            data={"field": "value"},
            files={"file": ("a.txt", io.BytesIO(b"hello"), "text/plain")},
        )
    assert response.status_code == 200
    sent = server.requests[-1]
    assert (sent.header("content-type") or "").startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="a.txt"' in sent.body
    assert b"hello" in sent.body


async def test_stream_yields_body_in_chunks_without_buffering(server: TestServer) -> None:
    async with AsyncClient() as client:
        async with client.stream("GET", server.url_for("/bytes/1000000")) as response:
            assert response.status_code == 200
            with pytest.raises(trio_http.ResponseNotRead):
                _ = response.content
            received = bytearray()
            async for chunk in response.aiter_bytes(chunk_size=65536):
                assert len(chunk) <= 65536
                received += chunk
        assert bytes(received) == pattern_bytes(1_000_000)
        # Fully read: the connection went back to the pool.
        await client.get(server.url_for("/get"))
    assert server.connections_opened == 1


async def test_stream_left_early_closes_the_connection_and_pool_recovers(
    server: TestServer,
) -> None:
    async with AsyncClient() as client:
        async with client.stream("GET", server.url_for("/bytes/5000000")) as response:
            async for _ in response.aiter_raw():
                break
        response = await client.get(server.url_for("/get"))
        assert response.status_code == 200
        assert client._transport.open_connections == 1  # type: ignore[attr-defined]
    assert server.connections_opened == 2


async def test_aiter_lines_and_text(server: TestServer) -> None:
    async with AsyncClient() as client:
        async with client.stream("GET", server.url_for("/stream/5")) as response:
            lines = [line async for line in response.aiter_lines()]
        text_response = await client.get(server.url_for("/text"), params={"charset": "latin-1"})
    assert len(lines) == 5
    assert all(json.loads(line)["id"] == i for i, line in enumerate(lines))
    assert text_response.encoding == "latin-1"
    assert text_response.text == "Grüße, ½ ¿"


async def test_decoding_gzip_and_deflate(server: TestServer) -> None:
    async with AsyncClient() as client:
        gz = await client.get(server.url_for("/gzip"))
        df = await client.get(server.url_for("/deflate"))
    assert gz.json()["method"] == "GET"
    assert df.json()["method"] == "GET"
    assert "gzip" in gz.json()["headers"]["accept-encoding"]


async def test_redirects_followed_with_history(server: TestServer) -> None:
    async with AsyncClient() as client:
        response = await client.get(server.url_for("/redirect/3"))
        not_followed = await client.get(server.url_for("/redirect/1"), follow_redirects=False)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [302, 302, 302]
    assert response.url == server.url_for("/get")
    assert not_followed.status_code == 302
    assert not_followed.is_redirect
    assert not_followed.next_request is not None
    # Redirect hops reuse the connection: their bodies are drained.
    assert server.connections_opened == 1


async def test_too_many_redirects(server: TestServer) -> None:
    async with AsyncClient(max_redirects=2) as client:
        with pytest.raises(trio_http.TooManyRedirects):
            await client.get(server.url_for("/redirect/5"))
        # The pool still serves requests afterwards.
        assert (await client.get(server.url_for("/get"))).status_code == 200


async def test_303_turns_post_into_get_without_body(server: TestServer) -> None:
    async with AsyncClient() as client:
        response = await client.post(
            server.url_for("/redirect-to"),
            params={"url": "/anything", "status_code": "303"},
            content=b"payload",
        )
    assert response.json()["method"] == "GET"
    assert response.json()["data"] == ""
    assert "content-length" not in response.json()["headers"]


async def test_307_keeps_method_and_body(server: TestServer) -> None:
    async with AsyncClient() as client:
        response = await client.post(
            server.url_for("/redirect-to"),
            params={"url": "/anything", "status_code": "307"},
            content=b"payload",
        )
    assert response.json()["method"] == "POST"
    assert response.json()["data"] == "payload"


async def test_cookies_are_stored_and_sent_back(server: TestServer) -> None:
    async with AsyncClient() as client:
        response = await client.get(server.url_for("/cookies/set"), params={"flavour": "oat"})
        assert response.json() == {"cookies": {"flavour": "oat"}}
        assert client.cookies["flavour"] == "oat"
        again = await client.get(server.url_for("/cookies"))
        assert again.json() == {"cookies": {"flavour": "oat"}}
        per_request = await client.get(server.url_for("/cookies"), cookies={"extra": "1"})
    assert per_request.json() == {"cookies": {"flavour": "oat", "extra": "1"}}


async def test_basic_auth_tuple_and_url_userinfo(server: TestServer) -> None:
    async with AsyncClient(auth=("user", "pw")) as client:
        ok = await client.get(server.url_for("/basic-auth/user/pw"))
        wrong = await client.get(server.url_for("/basic-auth/user/pw"), auth=("user", "bad"))
    async with AsyncClient() as client:
        userinfo = server.url.replace("http://", "http://user:pw@") + "/basic-auth/user/pw"
        from_url = await client.get(userinfo)
    assert ok.status_code == 200
    assert wrong.status_code == 401
    assert from_url.status_code == 200


async def test_custom_auth_flow_can_retry_after_seeing_the_response(server: TestServer) -> None:
    class TokenAuth(trio_http.Auth):
        def auth_flow(self, request):  # type: ignore[no-untyped-def]
            response = yield request
            if response.status_code == 401:
                request.headers["Authorization"] = "Basic dXNlcjpwdw=="  # user:pw
                yield request

    async with AsyncClient() as client:
        response = await client.get(server.url_for("/basic-auth/user/pw"), auth=TokenAuth())
    assert response.status_code == 200
    assert len(server.requests) == 2


async def test_base_url_headers_params_and_hooks(server: TestServer) -> None:
    seen: list[str] = []

    async def on_request(request: trio_http.Request) -> None:
        seen.append(f"request {request.method}")

    def on_response(response: trio_http.Response) -> None:
        seen.append(f"response {response.status_code}")

    async with AsyncClient(
        base_url=server.url_for("/anything"),
        headers={"X-Client": "1"},
        params={"fixed": "yes"},
        event_hooks={"request": [on_request], "response": [on_response]},
    ) as client:
        response = await client.get("sub", headers={"X-Call": "2"}, params={"more": "1"})
    payload = response.json()
    assert payload["path"] == "/anything/sub"
    assert payload["args"] == {"fixed": "yes", "more": "1"}
    assert payload["headers"]["x-client"] == "1"
    assert payload["headers"]["x-call"] == "2"
    assert seen == ["request GET", "response 200"]


async def test_raise_for_status_carries_request_and_response(server: TestServer) -> None:
    async with AsyncClient() as client:
        response = await client.get(server.url_for("/status/404"))
    assert not response.ok
    with pytest.raises(trio_http.HTTPError) as info:
        response.raise_for_status()
    assert info.value.response is response
    assert info.value.request is response.request
    assert "404" in str(info.value)


async def test_connection_close_response_is_not_reused(server: TestServer) -> None:
    async with AsyncClient() as client:
        await client.get(server.url_for("/close"))
        await client.get(server.url_for("/get"))
    assert server.connections_opened == 2


async def test_https_with_custom_ca(tls_server: TestServer, ca_bundle: str) -> None:
    async with AsyncClient(verify=ca_bundle) as client:
        for _ in range(3):
            response = await client.get(tls_server.url_for("/get"))
            assert response.status_code == 200
    assert tls_server.connections_opened == 1


async def test_https_untrusted_certificate_is_an_ssl_error(tls_server: TestServer) -> None:
    async with AsyncClient() as client:
        with pytest.raises(trio_http.SSLError):
            await client.get(tls_server.url_for("/get"))


async def test_https_verify_false_skips_verification(tls_server: TestServer) -> None:
    async with AsyncClient(verify=False) as client:
        with pytest.warns(trio_http.exceptions.InsecureRequestWarning):
            response = await client.get(tls_server.url_for("/get"))
    assert response.status_code == 200


async def test_ssl_context_object_is_used_as_is(tls_server: TestServer, client_ssl_context) -> None:  # type: ignore[no-untyped-def]
    async with AsyncClient(verify=client_ssl_context) as client:
        response = await client.get(tls_server.url_for("/get"))
    assert response.status_code == 200


async def test_client_outside_its_block_raises_a_clear_error(server: TestServer) -> None:
    client = AsyncClient()
    with pytest.raises(trio_http.ClientStateError, match="async with"):
        await client.get(server.url_for("/get"))
    async with client:
        pass
    with pytest.raises(trio_http.ClientStateError, match="closed"):
        await client.get(server.url_for("/get"))
    with pytest.raises(trio_http.ClientStateError):
        async with client:
            pass


async def test_block_ends_with_no_open_sockets_and_no_tasks(
    server: TestServer, tls_server: TestServer, ca_bundle: str
) -> None:
    tasks_before = len(trio.lowlevel.current_root_task().child_nurseries[0].child_tasks)
    async with AsyncClient(verify=ca_bundle) as client:
        await client.get(server.url_for("/get"))
        await client.get(tls_server.url_for("/get"))
        pool = client._transport  # type: ignore[attr-defined]
        async with client.stream("GET", server.url_for("/bytes/100000")) as response:
            async for _ in response.aiter_raw():
                break
            # One idle (TLS) connection, one busy with this unfinished body.
            assert pool.open_connections == 2
        nursery = client._scope._nursery  # type: ignore[attr-defined]
        assert nursery is not None
    assert pool.open_connections == 0
    assert not nursery.child_tasks
    tasks_after = len(trio.lowlevel.current_root_task().child_nurseries[0].child_tasks)
    assert tasks_after == tasks_before
    # The server sees every connection closed.
    with trio.fail_after(5):
        while server.connections_open or tls_server.connections_open:
            await trio.sleep(0.01)


async def test_bad_urls_raise_requests_named_errors() -> None:
    async with AsyncClient() as client:
        with pytest.raises(trio_http.MissingSchema):
            await client.get("example.org/path")
        with pytest.raises(trio_http.InvalidSchema):
            await client.get("ftp://example.org/")
        with pytest.raises(trio_http.InvalidURL):
            await client.get("http://example.org:99999/")
        with pytest.raises(trio_http.InvalidURL):
            await client.get("http:///nohost")


async def test_headers_with_crlf_are_rejected_before_sending(server: TestServer) -> None:
    async with AsyncClient() as client:
        with pytest.raises(trio_http.InvalidHeader):
            await client.get(server.url_for("/get"), headers={"X-Bad": "a\r\nInjected: 1"})
    assert server.requests == []


async def test_connect_refused_is_connect_error() -> None:
    with trio.socket.socket() as sock:
        await sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with AsyncClient() as client:
        with pytest.raises(trio_http.ConnectError) as info:
            await client.get(f"http://127.0.0.1:{port}/")
    assert isinstance(info.value, trio_http.ConnectionError)
    assert info.value.request is not None


async def test_a_single_request_never_raises_an_exception_group(server: TestServer) -> None:
    async def failing_body():  # type: ignore[no-untyped-def]
        yield b"x" * 100
        raise ValueError("the body source failed")

    async with AsyncClient() as client:
        with pytest.raises(ValueError, match="body source failed"):
            await client.post(server.url_for("/upload"), content=failing_body())
        assert (await client.get(server.url_for("/get"))).status_code == 200


async def test_client_certificate_is_presented(
    ca: trustme.CA, server_cert: trustme.LeafCert, tmp_path: pathlib.Path
) -> None:
    import ssl

    from conftest import make_server_ssl_context
    from server import open_test_server

    context = make_server_ssl_context(server_cert)
    context.verify_mode = ssl.CERT_REQUIRED
    ca.configure_trust(context)
    client_cert = ca.issue_cert("client@example.org")
    cert_path = tmp_path / "client.pem"
    client_cert.private_key_and_cert_chain_pem.write_to_path(str(cert_path))
    ca_path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    async with open_test_server(context) as mtls_server:
        async with AsyncClient(verify=str(ca_path), cert=str(cert_path)) as client:
            response = await client.get(mtls_server.url_for("/get"))
        assert response.status_code == 200
        async with AsyncClient(verify=str(ca_path)) as client:
            # TLS 1.3 reports the refusal after the handshake: as an alert
            # (SSLError) or, when the server just hangs up, as a closed
            # connection, or a reset one if our request was still unread
            # there. Either way a ConnectionError, never a hang.
            with pytest.raises(
                (trio_http.SSLError, trio_http.RemoteProtocolError, trio_http.ReadError)
            ):
                await client.get(mtls_server.url_for("/get"))


async def test_per_request_cookies_survive_redirects_but_not_the_request(
    server: TestServer,
) -> None:
    async with AsyncClient() as client:
        response = await client.get(
            server.url_for("/redirect-to"), params={"url": "/cookies"}, cookies={"once": "1"}
        )
        assert response.json() == {"cookies": {"once": "1"}}
        assert "once" not in client.cookies
        later = await client.get(server.url_for("/cookies"))
    assert later.json() == {"cookies": {}}


async def test_error_inside_the_block_propagates_unwrapped(server: TestServer) -> None:
    with pytest.raises(KeyError, match="mine"):
        async with AsyncClient() as client:
            await client.get(server.url_for("/get"))
            raise KeyError("mine")
    assert client.is_closed


async def test_duck_typed_transport_is_enough() -> None:
    closed: list[bool] = []

    class Minimal:
        async def handle_async_request(self, request: trio_http.Request) -> trio_http.Response:
            return trio_http.Response(200, content=b"duck", request=request)

        async def aclose(self) -> None:
            closed.append(True)

    async with AsyncClient(transport=Minimal()) as client:  # type: ignore[arg-type]
        response = await client.get("http://anything.example/")
    assert response.text == "duck"
    assert closed == [True]


# -- every request method is a checkpoint, failure included ------------------


class _FailsAtOnce(trio_http.AsyncBaseTransport):
    """A transport that raises without awaiting anything."""

    async def handle_async_request(self, request: trio_http.Request) -> trio_http.Response:
        raise trio_http.ReadError("the connection is gone")


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.get("http://example.test/"), id="transport-fails"),
        pytest.param(lambda c: c.post("http://example.test/", content=b"x"), id="post-fails"),
        pytest.param(lambda c: c.get("http://"), id="bad-url"),
        pytest.param(lambda c: c.get("http://example.test/", timeout="soon"), id="bad-timeout"),
        pytest.param(lambda c: c.send(c.build_request("GET", "http://example.test/")), id="send"),
    ],
)
async def test_a_failing_request_is_still_a_checkpoint(call: Any) -> None:
    async with AsyncClient(transport=_FailsAtOnce()) as client:
        with trio.testing.assert_checkpoints():
            with pytest.raises(Exception) as caught:
                await call(client)
        assert not isinstance(caught.value, trio.Cancelled)
        # ... and a cancellation point: a cancelled caller stops there.
        with trio.CancelScope() as scope:
            scope.cancel()
            await call(client)
        assert scope.cancelled_caught


async def test_a_failing_stream_is_still_a_checkpoint() -> None:
    async with AsyncClient(transport=_FailsAtOnce()) as client:
        with trio.testing.assert_checkpoints():
            with pytest.raises(trio_http.ReadError):
                async with client.stream("GET", "http://example.test/"):
                    pass
        with trio.testing.assert_checkpoints():
            with pytest.raises(trio_http.InvalidURL):
                async with client.stream("GET", "http://"):
                    pass


async def test_a_closed_client_fails_at_a_checkpoint() -> None:
    async with AsyncClient(transport=_FailsAtOnce()) as client:
        pass
    with trio.testing.assert_checkpoints():
        with pytest.raises(trio_http.ClientStateError):
            await client.get("http://example.test/")
