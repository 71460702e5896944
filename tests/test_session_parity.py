"""Session parity with requests: the modules requests code imports, the redirect steps,
session-wide options, one hop per module-level call, and what the loop thread owns."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import requests.hooks
import requests.models
import requests.sessions
import requests.status_codes
from server import TestServer
from threaded_server import serve_in_thread

import trio_http
import trio_http._portal
from trio_http._client import AsyncClient

ENVIRONMENT = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUEST_METHOD")


@pytest.fixture(scope="module")
def live() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        yield running


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*ENVIRONMENT, "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


# -- the modules and names requests code imports -------------------------------------


def test_session_factory() -> None:
    with trio_http.session() as ours, requests.session() as theirs:
        assert type(ours) is trio_http.Session and type(theirs) is requests.Session
    assert trio_http.sessions.session is trio_http.session


def test_requests_modules_hold_trio_https_own_objects() -> None:
    import trio_http as requests_like

    assert requests_like.models.Request is trio_http.Request
    assert requests_like.models.PreparedRequest is trio_http.PreparedRequest
    assert requests_like.models.Response is trio_http.Response
    assert requests_like.sessions.Session is trio_http.Session
    assert requests_like.status_codes.codes is trio_http.codes
    assert requests_like.adapters.HTTPAdapter is trio_http.adapters.HTTPAdapter
    for ours, theirs in (
        (trio_http.models, requests.models),
        (trio_http.sessions, requests.sessions),
        (trio_http.hooks, requests.hooks),
        (trio_http.status_codes, requests.status_codes),
        (trio_http.adapters, requests.adapters),
    ):
        assert set(ours.__all__) <= set(dir(theirs)), ours.__name__
    assert trio_http.status_codes.codes.ok == requests.status_codes.codes.ok == 200


def test_hooks_module_matches_requests() -> None:
    assert trio_http.hooks.default_hooks() == requests.hooks.default_hooks()
    assert trio_http.hooks.HOOKS == requests.hooks.HOOKS

    def double(value: int, **kwargs: Any) -> int:
        return value * 2

    def ignore(value: int, **kwargs: Any) -> None:
        return None

    for hooks in (
        None,
        {},
        {"response": double},
        {"response": [double, ignore, double]},
        {"other": [double]},
    ):
        theirs: Any = requests.hooks.dispatch_hook("response", hooks, 3)  # type: ignore[arg-type]
        assert trio_http.hooks.dispatch_hook("response", hooks, 3) == theirs


def test_merge_hooks_matches_requests() -> None:
    def one(response: Any, **kwargs: Any) -> None:
        pass

    def two(response: Any, **kwargs: Any) -> None:
        pass

    cases: list[tuple[Any, Any]] = [
        ({"response": [one]}, {"response": [two]}),
        ({"response": []}, {"response": [two]}),
        ({"response": [one]}, {"response": []}),
        (None, {"response": [two]}),
    ]
    for request_hooks, session_hooks in cases:
        assert trio_http.sessions.merge_hooks(
            request_hooks, session_hooks
        ) == requests.sessions.merge_hooks(request_hooks, session_hooks)


# -- merge_environment_settings and the redirect steps ---------------------------------


def test_merge_environment_settings_matches_requests(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("HTTP_PROXY", "http://u:p@proxy.test:3128")
    clean_environment.setenv("HTTPS_PROXY", "http://secure-proxy.test:3128")
    clean_environment.setenv("NO_PROXY", "direct.test")
    clean_environment.setenv("REQUESTS_CA_BUNDLE", "/ca.pem")
    ours, theirs = trio_http.Session(), requests.Session()
    for session in (ours, theirs):
        session.proxies = {"https": "http://session-proxy.test"}
    for url, proxies, verify in (
        ("http://example.test/", {}, None),
        ("http://direct.test/", {}, True),
        ("https://example.test/", {"http": "http://given.test"}, False),
    ):
        ours_settings = ours.merge_environment_settings(url, dict(proxies), None, verify, None)
        theirs_settings = theirs.merge_environment_settings(url, dict(proxies), None, verify, None)
        theirs_settings["proxies"].pop("no", None)  # urllib's name for NO_PROXY
        assert ours_settings == {**theirs_settings, "proxies": dict(theirs_settings["proxies"])}
    clean_environment.delenv("REQUESTS_CA_BUNDLE")
    ours.trust_env = theirs.trust_env = False
    assert ours.merge_environment_settings(
        "http://example.test/", {}, True, None, None
    ) == theirs.merge_environment_settings("http://example.test/", {}, True, None, None)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("http://a.test/x", "http://a.test/y"),
        ("http://a.test", "https://a.test"),
        ("https://a.test", "http://a.test"),
        ("http://a.test", "http://b.test"),
        ("http://a.test:80", "https://a.test:443"),
        ("http://a.test:8080", "http://a.test"),
        ("http://a.test", "http://a.test:80"),
        ("https://a.test:8443", "https://a.test"),
    ],
)
def test_should_strip_auth_matches_requests(old: str, new: str) -> None:
    assert trio_http.Session().should_strip_auth(old, new) == requests.Session().should_strip_auth(
        old, new
    )


def test_rebuild_auth_matches_requests(clean_environment: pytest.MonkeyPatch) -> None:
    for module in (requests, trio_http):
        session = module.Session()
        old = module.Request("GET", "http://a.test/", auth=("u", "p")).prepare()
        response = module.Response()
        response.request = old
        same_origin = module.Request("GET", "http://a.test/next", headers=dict(old.headers))
        other_origin = module.Request("GET", "http://b.test/", headers=dict(old.headers))
        kept, stripped = same_origin.prepare(), other_origin.prepare()
        session.rebuild_auth(kept, response)
        session.rebuild_auth(stripped, response)
        assert "Authorization" in kept.headers, module
        assert "Authorization" not in stripped.headers, module


def test_rebuild_proxies_matches_requests(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("HTTP_PROXY", "http://u:p@proxy.test:3128")
    for url in ("http://example.test/x", "https://example.test/x"):
        ours = trio_http.Request("GET", url, headers={"Proxy-Authorization": "old"}).prepare()
        theirs = requests.Request("GET", url, headers={"Proxy-Authorization": "old"}).prepare()
        assert isinstance(ours, trio_http.PreparedRequest)
        assert trio_http.Session().rebuild_proxies(ours, {}) == requests.Session().rebuild_proxies(
            theirs, {}
        )
        assert ours.headers.get("Proxy-Authorization") == theirs.headers.get("Proxy-Authorization")


def test_resolve_redirects_yields_each_hop_like_requests(live: TestServer) -> None:
    results = []
    for module in (requests, trio_http):
        with module.Session() as session:
            first = session.get(live.url_for("/redirect/3"), allow_redirects=False)
            assert session.get_redirect_target(first) == "/redirect/2"
            hops = list(session.resolve_redirects(first, first.request))
            results.append(
                [(r.status_code, r.url, [h.status_code for h in r.history]) for r in hops]
            )
            final = session.get(live.url_for("/get"))
            assert session.get_redirect_target(final) is None
    assert results[0] == results[1]


def test_resolve_redirects_can_yield_the_next_request(live: TestServer) -> None:
    urls = []
    for module in (requests, trio_http):
        with module.Session() as session:
            first = session.get(live.url_for("/redirect-to?url=/anything"), allow_redirects=False)
            following = session.resolve_redirects(first, first.request, yield_requests=True)
            next_request = next(following)
            assert isinstance(next_request, module.PreparedRequest)
            urls.append((next_request.method, next_request.url))
    assert urls[0] == urls[1]


def test_too_many_redirects_through_a_self_sending_adapter(live: TestServer) -> None:
    class Through(trio_http.adapters.HTTPAdapter):
        def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            return super().send(request, **kwargs)

    for module, adapter in ((requests, requests.adapters.HTTPAdapter()), (trio_http, Through())):
        with module.Session() as session:
            session.mount("http://", adapter)
            session.max_redirects = 2
            with pytest.raises(module.TooManyRedirects):
                session.get(live.url_for("/redirect/5"))


# -- Session's own options ---------------------------------------------------------------


def test_session_timeout_is_the_default_of_every_request(live: TestServer) -> None:
    with trio_http.Session(timeout=trio_http.Timeouts(total=0.3)) as session:
        started = time.monotonic()
        with pytest.raises(trio_http.TotalTimeout):
            session.get(live.url_for("/delay/5"))
        assert time.monotonic() - started < 3
        assert session.get(live.url_for("/delay/0.5"), timeout=5).status_code == 200
        session.timeout = 5
        assert session.get(live.url_for("/delay/0.5")).status_code == 200
        prepared = session.prepare_request(trio_http.Request("GET", live.url_for("/delay/5")))
        with pytest.raises(trio_http.Timeout):
            session.send(prepared, timeout=0.3)


def test_session_retries_limits_and_http2_options(live: TestServer) -> None:
    retry = trio_http.Retry(total=2, status_forcelist=frozenset({503}), backoff_factor=0)
    live.reset_counters()
    with trio_http.Session(retries=retry, limits=trio_http.Limits(max_connections=1)) as session:
        assert session.get(live.url_for("/status/503")).status_code == 503
        assert len(live.requests) == 3
        # An adapter's own max_retries replaces the session's for its URLs.
        session.mount(live.url, trio_http.adapters.HTTPAdapter(max_retries=0))
        live.reset_counters()
        session.get(live.url_for("/status/503"))
        assert len(live.requests) == 3
    with trio_http.Session(http2=True) as session:
        assert session.get(live.url_for("/get")).http_version == "HTTP/1.1"  # plain http


# -- one loop-thread hop per module-level call ---------------------------------------------


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = trio_http._portal.Portal.call

    def counting(self: trio_http._portal.Portal, afn: Any, *args: Any) -> Any:
        calls.append(getattr(afn, "__name__", repr(afn)))
        return original(self, afn, *args)

    monkeypatch.setattr(trio_http._portal.Portal, "call", counting)
    return calls


def test_module_functions_make_one_hop_per_call(live: TestServer, hops: list[str]) -> None:
    assert trio_http.get(live.url_for("/get")).status_code == 200
    assert hops == ["send_once"]
    hops.clear()
    assert trio_http.post(live.url_for("/anything"), json={"a": 1}).json()["json"] == {"a": 1}
    assert trio_http.get(live.url_for("/redirect/2")).status_code == 200
    assert hops == ["send_once", "send_once"]
    hops.clear()
    streamed = trio_http.get(live.url_for("/stream/2"), stream=True)
    assert hops == ["send_once_streaming"]
    assert len(list(streamed.iter_lines())) == 2 and streamed.is_closed


def test_module_function_errors_close_what_they_opened(live: TestServer) -> None:
    with pytest.raises(trio_http.ConnectionError):
        trio_http.get("http://127.0.0.1:1/")
    assert trio_http.get(live.url_for("/get"), timeout=5).status_code == 200


def test_an_unclosed_streamed_module_call_is_released(live: TestServer) -> None:
    import gc

    before = live.connections_open
    dropped = trio_http.get(live.url_for("/stream/5"), stream=True)
    del dropped
    # The loop's worker task keeps its last result until its next call.
    assert trio_http.get(live.url_for("/get")).status_code == 200
    gc.collect()
    deadline = time.monotonic() + 3  # well before the server drops idle connections
    while live.connections_open > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert live.connections_open <= before


# -- what the loop thread owns --------------------------------------------------------------


@pytest.fixture
def client_changes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(attribute, thread name) of every change to an open AsyncClient's settings."""
    changes: list[tuple[str, str]] = []
    watched = {"cookies", "headers", "max_redirects", "params", "auth", "timeout"}
    original = AsyncClient.__setattr__

    def recording(self: AsyncClient, name: str, value: Any) -> None:
        scope = self.__dict__.get("_scope")
        if name in watched and scope is not None and not scope.is_closed and scope._nursery:
            changes.append((name, threading.current_thread().name))
        original(self, name, value)

    monkeypatch.setattr(AsyncClient, "__setattr__", recording)
    return changes


def test_settings_changes_never_touch_an_open_client_from_the_callers_thread(
    live: TestServer, client_changes: list[tuple[str, str]]
) -> None:
    with trio_http.Session() as session:
        session.get(live.url_for("/get"))
        session.cookies = {"replaced": "1"}
        assert session.get(live.url_for("/cookies")).json() == {"cookies": {"replaced": "1"}}
        session.max_redirects = 1
        with pytest.raises(trio_http.TooManyRedirects):
            session.get(live.url_for("/redirect/3"))
        session.max_redirects = 5
        assert session.get(live.url_for("/redirect/3")).status_code == 200
        session.mount(
            "http://mocked.test",
            trio_http.MockTransport(lambda request: trio_http.Response(299, request=request)),
        )
        assert session.get("http://mocked.test/").status_code == 299
        session.headers["X-Late"] = "1"
        assert session.get(live.url_for("/headers")).json()["headers"]["x-late"] == "1"
    assert all(thread == "trio_http portal" for _, thread in client_changes), client_changes


def test_a_replaced_jar_gets_its_own_client(live: TestServer) -> None:
    with trio_http.Session() as session:
        session.get(live.url_for("/cookies/set?a=1"))
        clients = len(session._clients)
        old_jar = session.cookies
        session.cookies = trio_http.Cookies({"b": "2"})
        assert session.get(live.url_for("/cookies")).json() == {"cookies": {"b": "2"}}
        assert len(session._clients) == clients + 1
        assert dict(old_jar) == {"a": "1"}


def test_a_cookiejar_assigned_by_hand_stays_the_sessions_own(live: TestServer) -> None:
    import http.cookiejar

    for module in (requests, trio_http):
        jar = http.cookiejar.CookieJar()
        module.utils.add_dict_to_cookiejar(jar, {"foo": "bar"})
        with module.Session() as session:
            session.cookies = jar
            response = session.get(live.url_for("/cookies/set?new=1"))
            assert session.cookies is jar, module
            assert {cookie.name for cookie in jar} == {"foo", "new"}, module
            response = session.get(live.url_for("/cookies"))
            assert response.json()["cookies"] == {"foo": "bar", "new": "1"}, module
