"""Session: requests' settings forwarded to AsyncClient, and blocking bodies."""

from __future__ import annotations

import inspect
import socket
import time
from collections.abc import Iterator

import pytest
from server import TestServer
from threaded_server import serve_in_thread

import trio_http
from trio_http import AsyncClient, Session

# Session.request's names for AsyncClient.request's parameters.
RENAMED = {"follow_redirects": "allow_redirects", "content": "data"}
# AsyncClient.request parameters with no requests counterpart.
ASYNC_ONLY = {"extensions"}
# requests' parameters that AsyncClient sets per client, not per request.
SESSION_ONLY = {"proxies", "hooks", "stream", "verify", "cert"}


@pytest.fixture(scope="module")
def live() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        yield running


@pytest.fixture
def session() -> Iterator[Session]:
    with Session() as s:
        yield s


def test_request_parameters_correspond_to_async_client() -> None:
    ours = inspect.signature(Session.request).parameters
    theirs = inspect.signature(AsyncClient.request).parameters
    for name in theirs:
        if name in ("self",) or name in ASYNC_ONLY:
            continue
        assert RENAMED.get(name, name) in ours, name
    extra = set(ours) - {RENAMED.get(n, n) for n in theirs} - {"self"}
    assert extra == SESSION_ONLY


@pytest.mark.parametrize("verb", ["get", "head", "options", "post", "put", "patch", "delete"])
def test_verbs_exist_on_both_and_take_the_url_first(verb: str) -> None:
    ours = list(inspect.signature(getattr(Session, verb)).parameters)
    theirs = list(inspect.signature(getattr(AsyncClient, verb)).parameters)
    assert ours[:2] == theirs[:2] == ["self", "url"]
    assert inspect.signature(getattr(Session, verb)).parameters[ours[-1]].kind is (
        inspect.Parameter.VAR_KEYWORD
    )


def test_verbs_match_requests_signatures() -> None:
    requests = pytest.importorskip("requests")
    for verb in ("get", "head", "options", "post", "put", "patch", "delete", "request"):
        ours = inspect.signature(getattr(Session, verb))
        theirs = inspect.signature(getattr(requests.Session, verb))
        assert list(ours.parameters) == list(theirs.parameters), verb
        ours_api = inspect.signature(getattr(trio_http, verb))
        theirs_api = inspect.signature(getattr(requests, verb))
        assert list(ours_api.parameters) == list(theirs_api.parameters), verb


def test_session_defaults_look_like_requests(session: Session) -> None:
    assert session.headers["user-agent"].startswith("trio_http/")
    assert session.headers["Accept"] == "*/*"
    assert session.headers["Connection"] == "keep-alive"
    assert "gzip" in session.headers["Accept-Encoding"]
    assert session.max_redirects == 30
    assert session.trust_env is True
    assert session.hooks == {"response": []}


def test_header_changes_apply_to_the_next_request(live: TestServer, session: Session) -> None:
    session.headers["X-One"] = "1"
    assert session.get(live.url_for("/headers")).json()["headers"]["x-one"] == "1"
    del session.headers["User-Agent"]
    session.headers["X-One"] = "2"
    sent = session.get(live.url_for("/headers"), headers={"X-Two": "2"}).json()["headers"]
    assert sent["x-one"] == "2" and sent["x-two"] == "2"
    assert "user-agent" not in sent


def test_request_header_none_removes_a_session_header(live: TestServer, session: Session) -> None:
    sent = session.get(live.url_for("/headers"), headers={"Accept": None}).json()["headers"]
    assert "accept" not in sent


def test_session_params_merge_with_request_params(live: TestServer, session: Session) -> None:
    session.params = {"a": "1", "b": "2"}
    args = session.get(live.url_for("/get"), params={"b": "3"}).json()["args"]
    assert args == {"a": "1", "b": "3"}


def test_assigned_cookie_dict_becomes_the_jar(live: TestServer, session: Session) -> None:
    session.cookies = {"k": "v"}
    assert session.get(live.url_for("/cookies")).json() == {"cookies": {"k": "v"}}
    assert isinstance(session.cookies, trio_http.Cookies)


def test_overall_deadline_bounds_the_whole_request(live: TestServer, session: Session) -> None:
    started = time.monotonic()
    with pytest.raises(trio_http.TotalTimeout):
        session.get(live.url_for("/delay/5"), timeout=trio_http.Timeouts(total=0.3))
    assert time.monotonic() - started < 3
    assert session.get(live.url_for("/get")).status_code == 200


def test_unreachable_proxy_is_a_proxy_error_and_none_means_direct(
    live: TestServer, session: Session
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(trio_http.ProxyError):
        session.get(live.url_for("/get"), proxies={"http": f"http://127.0.0.1:{closed_port}"})
    session.proxies = {"https": None}  # type: ignore[dict-item]
    assert session.get(live.url_for("/get")).status_code == 200


def test_mount_routes_by_scheme_and_host(live: TestServer, session: Session) -> None:
    class Fixed(trio_http.AsyncBaseTransport):
        async def handle_async_request(self, request: trio_http.Request) -> trio_http.Response:
            return trio_http.Response(218, content=b"mounted", request=request)

    session.mount("http://mocked.example", Fixed())
    r = session.get("http://mocked.example/x")
    assert (r.status_code, r.text) == (218, "mounted")
    assert session.get(live.url_for("/get")).status_code == 200
    with pytest.raises(NotImplementedError, match="path"):
        session.mount("http://mocked.example/api/", Fixed())
    with pytest.raises(TypeError, match="AsyncBaseTransport"):
        session.mount("https://", object())  # type: ignore[arg-type]


def test_closed_session_can_be_used_again(live: TestServer) -> None:
    s = Session()
    assert s.get(live.url_for("/get")).status_code == 200
    s.close()
    assert s.get(live.url_for("/get")).status_code == 200
    s.close()


def test_verify_per_request_uses_its_own_pool(live: TestServer, session: Session) -> None:
    session.get(live.url_for("/get"))
    session.get(live.url_for("/get"), verify=False)
    assert len(session._clients) == 2


# -- blocking response bodies ---------------------------------------------


def test_streamed_body_arrives_in_batches(live: TestServer, session: Session) -> None:
    with session.get(live.url_for("/stream/200"), stream=True) as r:
        assert not r.is_closed
        lines = list(r.iter_lines())
    assert len(lines) == 200 and lines[0] == b'{"id": 0}'
    assert r.is_closed


def test_iter_lines_decode_unicode_and_delimiter(live: TestServer, session: Session) -> None:
    r = session.get(live.url_for("/stream/3"), stream=True)
    assert list(r.iter_lines(chunk_size=3, decode_unicode=True)) == [
        '{"id": 0}',
        '{"id": 1}',
        '{"id": 2}',
    ]
    r = session.get(live.url_for("/stream/2"))
    assert list(r.iter_lines(delimiter=b"}")) == [b'{"id": 0', b'\n{"id": 1', b"\n"]


def test_raw_reads_in_pieces(live: TestServer, session: Session) -> None:
    r = session.get(live.url_for("/bytes/1000"), stream=True)
    first = r.raw.read(10)
    rest = r.raw.read()
    assert len(first) == 10 and len(first + rest) == 1000


def test_closing_a_stream_early_releases_it(live: TestServer, session: Session) -> None:
    r = session.get(live.url_for("/bytes/3000000"), stream=True)
    next(r.iter_content(1024))
    r.close()
    assert session.get(live.url_for("/get")).status_code == 200


def test_read_error_mid_stream_is_raised_to_the_reader(live: TestServer, session: Session) -> None:
    r = session.get(live.url_for("/slow-body/10"), stream=True, timeout=0.3)
    with pytest.raises(trio_http.ReadTimeout):
        list(r.iter_content(None))


def test_async_client_response_refuses_blocking_reads() -> None:
    r = trio_http.Response(200, stream=trio_http.AsyncByteStream())
    with pytest.raises(RuntimeError, match="AsyncClient"):
        list(r.iter_content())
    with pytest.raises(RuntimeError, match="aclose"):
        r.close()


def test_response_extras(live: TestServer, session: Session) -> None:
    r = session.get(live.url_for("/cookies/set?a=1"), allow_redirects=False)
    assert r.is_redirect and not r.is_permanent_redirect
    assert r.cookies["a"] == "1"
    assert r.next is not None and r.next.url.endswith("/cookies")
    assert r.request.body is None
    posted = session.post(live.url_for("/anything"), json={"x": 1})
    assert posted.request.body == b'{"x":1}'
    assert posted.elapsed.total_seconds() > 0
    assert posted.apparent_encoding in ("ascii", "utf-8")
    posted.encoding = "latin-1"
    assert posted.encoding == "latin-1"
