"""requests' transport adapters: HTTPAdapter options, mounting, adapters that send themselves."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import requests.adapters
import urllib3
from server import TestServer
from threaded_server import serve_in_thread

import trio_http
from trio_http import PreparedRequest
from trio_http._adapter_options import (
    ClientOptions,
    limits_for_pool,
    raise_for_retried_status,
    retry_from_requests,
)
from trio_http._adapters import sends_itself
from trio_http.adapters import BaseAdapter, HTTPAdapter


@pytest.fixture(scope="module")
def live() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        yield running


@pytest.fixture
def session() -> Iterator[trio_http.Session]:
    with trio_http.Session() as s:
        yield s


# -- mounting ---------------------------------------------------------------------


def test_sessions_start_with_an_http_adapter_per_scheme() -> None:
    ours, theirs = trio_http.Session(), requests.Session()
    assert list(ours.adapters) == list(theirs.adapters) == ["https://", "http://"]
    assert all(type(adapter) is HTTPAdapter for adapter in ours.adapters.values())
    assert ours.get_adapter("HTTPS://Example.test/") is ours.adapters["https://"]
    with pytest.raises(trio_http.InvalidSchema):
        ours.get_adapter("ftp://example.test/")
    with pytest.raises(requests.exceptions.InvalidSchema):
        theirs.get_adapter("ftp://example.test/")


def test_longest_prefix_wins_as_in_requests() -> None:
    prefixes = ["http://", "http://example.test/api/", "http://example.test", "mock://", "http://e"]
    ours, theirs = trio_http.Session(), requests.Session()
    ours_adapters = {prefix: HTTPAdapter() for prefix in prefixes}
    theirs_adapters = {prefix: requests.adapters.HTTPAdapter() for prefix in prefixes}
    for prefix in prefixes:
        ours.mount(prefix, ours_adapters[prefix])
        theirs.mount(prefix, theirs_adapters[prefix])
    assert list(ours.adapters) == list(theirs.adapters)
    for url in (
        "http://example.test/api/items",
        "http://example.test/other",
        "http://elsewhere.test/",
        "https://example.test/",
        "mock://thing",
    ):
        ours_prefix = next(p for p, a in ours.adapters.items() if a is ours.get_adapter(url))
        theirs_prefix = next(p for p, a in theirs.adapters.items() if a is theirs.get_adapter(url))
        assert ours_prefix == theirs_prefix, url


def test_mount_takes_adapters_and_transports_only(session: trio_http.Session) -> None:
    session.mount("mock://", trio_http.MockTransport(lambda request: trio_http.Response(200)))
    with pytest.raises(TypeError, match="AsyncBaseTransport"):
        session.mount("https://", object())  # type: ignore[arg-type]


def test_a_mounted_http_adapter_sends_through_the_session(
    live: TestServer, session: trio_http.Session
) -> None:
    adapter = HTTPAdapter(max_retries=2, pool_maxsize=20)
    session.mount(live.url, adapter)
    assert not sends_itself(adapter)
    session.cookies["sent"] = "yes"
    r = session.get(live.url_for("/cookies/set?a=1"))
    assert r.json() == {"cookies": {"sent": "yes", "a": "1"}}
    assert [h.status_code for h in r.history] == [302]


# -- what an HTTPAdapter's settings become -------------------------------------------


def test_max_retries_int_is_requests_from_int() -> None:
    adapter = HTTPAdapter(max_retries=3)
    theirs = requests.adapters.HTTPAdapter(max_retries=3)
    assert adapter.max_retries.total == theirs.max_retries.total == 3
    retry, raise_on_status = retry_from_requests(3)
    assert retry is not None and not raise_on_status
    assert (retry.total, retry.status_forcelist, retry.backoff_factor) == (3, frozenset(), 0)
    assert retry_from_requests(0) == (None, False)
    assert HTTPAdapter().max_retries.total == requests.adapters.HTTPAdapter().max_retries.total


def test_urllib3_retry_is_read_by_its_attributes() -> None:
    given = urllib3.util.Retry(
        total=5,
        connect=2,
        read=False,
        status=3,
        backoff_factor=0.2,
        status_forcelist=[500, 502],
        allowed_methods=["GET", "post"],
        raise_on_status=False,
        respect_retry_after_header=False,
    )
    retry, raise_on_status = retry_from_requests(given)
    assert retry is not None and raise_on_status is False
    assert (retry.total, retry.connect, retry.read, retry.status) == (5, 2, 0, 3)
    assert retry.status_forcelist == frozenset({500, 502})
    assert retry.allowed_methods == frozenset({"GET", "POST"})
    assert retry.backoff_factor == 0.2 and retry.respect_retry_after is False
    every, _ = retry_from_requests(urllib3.util.Retry(total=1, allowed_methods=None))
    assert every is not None and {"POST", "PATCH"} <= every.allowed_methods
    unlimited, _ = retry_from_requests(urllib3.util.Retry(total=False, connect=1))
    assert unlimited is not None and (unlimited.total, unlimited.connect) == (None, 1)
    assert retry_from_requests(urllib3.util.Retry(0)) == (None, False)
    own = trio_http.Retry(total=4)
    assert retry_from_requests(own) == (own, False)
    with pytest.raises(TypeError):
        retry_from_requests("three")
    with pytest.raises(TypeError):
        HTTPAdapter(max_retries="three")


def test_pool_settings_become_limits() -> None:
    base = trio_http.Limits()
    assert limits_for_pool(base, 10, False) == base
    blocking = limits_for_pool(base, 4, True)
    assert blocking.max_connections_per_host == 4
    large = limits_for_pool(base, 500, False)
    assert large.max_connections_per_host is None
    assert large.max_connections == large.max_keepalive_connections == 500
    session_options = ClientOptions()
    assert HTTPAdapter().client_options(session_options) is session_options
    adapter = HTTPAdapter(pool_maxsize=4, pool_block=True, max_retries=2)
    options = adapter.client_options(session_options)
    assert options is adapter.client_options(session_options)  # found by identity
    assert options.limits.max_connections_per_host == 4
    assert options.retries is not None and options.retries.total == 2
    adapter.max_retries = 5
    assert adapter.client_options(session_options).retries.total == 5  # type: ignore[union-attr]


def test_pool_block_bounds_connections_per_host(live: TestServer) -> None:
    live.reset_counters()
    with trio_http.Session() as s:
        s.mount(live.url, HTTPAdapter(pool_maxsize=1, pool_block=True))
        threads = [
            threading.Thread(target=s.get, args=(live.url_for("/delay/0.2"),)) for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(live.requests) == 3
    assert live.max_concurrent_requests == 1


@pytest.mark.parametrize("raise_on_status", [True, False])
def test_urllib3_retry_on_status_like_requests(live: TestServer, raise_on_status: bool) -> None:
    def retry() -> urllib3.util.Retry:
        return urllib3.util.Retry(
            total=2, status_forcelist=[503], backoff_factor=0, raise_on_status=raise_on_status
        )

    counts = []
    pairs: list[tuple[Any, Any]] = [
        (requests, requests.adapters.HTTPAdapter),
        (trio_http, HTTPAdapter),
    ]
    for module, adapter_class in pairs:
        live.reset_counters()
        with module.Session() as s:
            s.mount("http://", adapter_class(max_retries=retry()))
            if raise_on_status:
                with pytest.raises(module.exceptions.RetryError):
                    s.get(live.url_for("/status/503"))
            else:
                assert s.get(live.url_for("/status/503")).status_code == 503
        counts.append(len(live.requests))
    assert counts == [3, 3]


def test_raise_for_retried_status_only_for_retryable_requests() -> None:
    options = ClientOptions(
        retries=trio_http.Retry(total=1, status_forcelist=frozenset({503})), raise_on_status=True
    )
    request = trio_http.Request("POST", "http://example.test/")
    raise_for_retried_status(options, trio_http.Response(503, request=request))  # POST: not retried
    with pytest.raises(trio_http.RetryError):
        raise_for_retried_status(
            options, trio_http.Response(503, request=trio_http.Request("GET", "http://x.test/"))
        )


# -- adapters that send by themselves ---------------------------------------------


class Recording(HTTPAdapter):
    """Overrides send(): sees every request, then sends as HTTPAdapter does."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, int, dict[str, Any]]] = []

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self.calls.append((str(request.url), threading.get_ident(), kwargs))
        assert isinstance(request, PreparedRequest)
        return super().send(request, **kwargs)


class RequestsRecording(requests.adapters.HTTPAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self.calls.append(str(request.url))
        return super().send(request, **kwargs)


def test_overridden_send_gets_each_hop_on_the_callers_thread(
    live: TestServer, session: trio_http.Session
) -> None:
    ours, theirs = Recording(), RequestsRecording()
    session.mount("http://", ours)
    with requests.Session() as other:
        other.mount("http://", theirs)
        url = live.url_for("/redirect/2")
        ours_response, theirs_response = session.get(url, timeout=7), other.get(url)
    assert [c[0] for c in ours.calls] == theirs.calls
    assert {c[1] for c in ours.calls} == {threading.get_ident()}
    assert set(ours.calls[0][2]) == {"stream", "timeout", "verify", "cert", "proxies"}
    assert ours.calls[0][2]["timeout"] == 7
    assert ours_response.status_code == theirs_response.status_code == 200
    assert [r.url for r in ours_response.history] == [r.url for r in theirs_response.history]
    assert ours_response.connection is ours


def test_overridden_send_keeps_cookies_in_the_session(
    live: TestServer, session: trio_http.Session
) -> None:
    session.mount("http://", Recording())
    with requests.Session() as other:
        other.mount("http://", RequestsRecording())
        url = live.url_for("/cookies/set?a=1&b=2")
        assert session.get(url).json() == other.get(url).json() == {"cookies": {"a": "1", "b": "2"}}
        assert session.cookies.get_dict() == other.cookies.get_dict()
        again = live.url_for("/cookies")
        assert session.get(again).json() == other.get(again).json()


def test_overridden_send_with_unfollowed_redirect(
    live: TestServer, session: trio_http.Session
) -> None:
    session.mount("http://", Recording())
    with requests.Session() as other:
        other.mount("http://", RequestsRecording())
        url = live.url_for("/redirect/2")
        ours = session.get(url, allow_redirects=False)
        theirs = other.get(url, allow_redirects=False)
    assert ours.status_code == theirs.status_code == 302
    assert ours.next is not None and theirs.next is not None
    assert ours.next.url == theirs.next.url


@pytest.mark.parametrize("module", [requests, trio_http])
def test_add_headers_and_request_url_overrides(live: TestServer, module: Any) -> None:
    class Custom(module.adapters.HTTPAdapter):  # type: ignore[misc]
        def add_headers(self, request: Any, **kwargs: Any) -> None:
            request.headers["X-Added"] = "1"

        def request_url(self, request: Any, proxies: Any) -> str:
            return "/anything/rewritten"

        def build_response(self, req: Any, resp: Any) -> Any:
            response = super().build_response(req, resp)
            response.seen_by_custom = True
            return response

    with module.Session() as s:
        s.mount("http://", Custom())
        r = s.get(live.url_for("/get"))
        assert r.json()["path"] == "/anything/rewritten"
        assert r.json()["headers"]["x-added"] == "1"
        assert r.seen_by_custom is True


def test_a_base_adapter_may_build_its_response_by_hand() -> None:
    class Canned(BaseAdapter):
        def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            response = trio_http.Response()
            response.status_code = 200
            response._content = b'{"canned": true}'
            response.headers = trio_http.structures.CaseInsensitiveDict(  # type: ignore[assignment]
                {"Content-Type": "application/json"}
            )
            response.url = request.url
            response.request = request
            return response

        def close(self) -> None:
            self.closed = True

    canned = Canned()
    with trio_http.Session() as s:
        s.mount("canned://", canned)
        r = s.get("canned://service/x", params={"q": "1"})
        assert r.json() == {"canned": True}
        # requests adds params only to URLs whose scheme starts with "http".
        assert r.url == "canned://service/x"
        assert r.elapsed.total_seconds() >= 0
    assert canned.closed


def test_http_adapter_sends_on_its_own_without_keeping_cookies(live: TestServer) -> None:
    adapter = HTTPAdapter()
    try:
        prepared = trio_http.Request("GET", live.url_for("/cookies/set?a=1")).prepare()
        first = adapter.send(prepared)
        assert first.status_code == 302 and first.cookies["a"] == "1"
        assert first.request is prepared and first.connection is adapter
        again = trio_http.Request("GET", live.url_for("/cookies")).prepare()
        assert adapter.send(again).json() == {"cookies": {}}
        lines = trio_http.Request("GET", live.url_for("/stream/3")).prepare()
        streamed = adapter.send(lines, stream=True)
        assert len(list(streamed.iter_lines())) == 3
    finally:
        adapter.close()


def test_session_close_closes_mounted_adapters() -> None:
    closed: list[str] = []

    class Closing(HTTPAdapter):
        def close(self) -> None:
            closed.append("adapter")
            super().close()

    s = trio_http.Session()
    s.mount("http://", Closing())
    s.close()
    assert closed == ["adapter"]
    BaseAdapter().close()  # nothing to release


# -- what has no counterpart ---------------------------------------------------------


def test_urllib3_pool_methods_are_not_supported() -> None:
    adapter = HTTPAdapter()
    calls: list[Callable[[], object]] = [
        lambda: adapter.init_poolmanager(10, 10),
        lambda: adapter.proxy_manager_for("http://proxy.test"),
        lambda: adapter.get_connection_with_tls_context(None, True),
        lambda: adapter.get_connection("http://x.test"),
        lambda: adapter.cert_verify(None, "https://x.test", True, None),
    ]
    for call in calls:
        with pytest.raises(NotImplementedError, match="pool manager"):
            call()

    class TLSAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["ssl_context"] = None
            super().init_poolmanager(*args, **kwargs)

    with pytest.raises(NotImplementedError, match="init_poolmanager"):
        TLSAdapter()


def test_proxy_headers_and_request_url() -> None:
    adapter = HTTPAdapter()
    theirs = requests.adapters.HTTPAdapter()
    assert adapter.proxy_headers("http://u:p@proxy.test:3128") == theirs.proxy_headers(
        "http://u:p@proxy.test:3128"
    )
    assert adapter.proxy_headers("http://proxy.test") == theirs.proxy_headers("http://proxy.test")
    url = "http://user:pw@example.test/a?b=c#frag"
    ours_prepared = trio_http.Request("GET", url).prepare()
    theirs_prepared = requests.Request("GET", url).prepare()
    assert isinstance(ours_prepared, PreparedRequest)
    for proxies in (None, {"http": "http://proxy.test"}, {"http": "socks5://proxy.test"}):
        assert adapter.request_url(ours_prepared, proxies) == theirs.request_url(
            theirs_prepared, proxies
        ), proxies
