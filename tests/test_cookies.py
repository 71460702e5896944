from __future__ import annotations

import http.cookiejar
import time
from collections.abc import Callable, Iterable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from server import Responder, ServerRequest, TestServer
from threaded_server import serve_in_thread

import trio_http
import trio_http._cookies
from trio_http._config import (
    MAX_COOKIE_BYTES,
    MAX_COOKIE_HEADER_BYTES,
    MAX_COOKIES,
    MAX_COOKIES_PER_DOMAIN,
    MAX_SET_COOKIE_BYTES,
)
from trio_http._cookies import CookieConflictError, Cookies
from trio_http._request import Request
from trio_http._response import Response


def _response(url: str, *set_cookies: str) -> Response:
    return Response(
        200,
        headers=[("Set-Cookie", value) for value in set_cookies],
        request=Request("GET", url),
    )


def _cookie_header(jar: Cookies, url: str, method: str = "GET") -> str | None:
    request = Request(method, url)
    jar.set_cookie_header(request)
    return request.headers.get("Cookie")


def _pairs(header: str | None) -> set[str]:
    return set(header.split("; ")) if header else set()


# -- Set-Cookie from responses ---------------------------------------------


def test_host_only_cookie_goes_back_to_the_same_host_only() -> None:
    jar = Cookies()
    jar.extract_cookies(_response("https://example.com/", "sid=abc"))
    assert _cookie_header(jar, "https://example.com/other") == "sid=abc"
    assert _cookie_header(jar, "https://www.example.com/") is None
    assert _cookie_header(jar, "https://example.org/") is None


def test_domain_cookie_matches_subdomains() -> None:
    jar = Cookies()
    jar.extract_cookies(_response("https://www.example.com/", "sid=abc; Domain=example.com"))
    assert _cookie_header(jar, "https://api.example.com/") == "sid=abc"
    assert _cookie_header(jar, "https://example.com/") == "sid=abc"
    assert _cookie_header(jar, "https://notexample.com/") is None


def test_a_host_cannot_set_a_cookie_for_another_domain() -> None:
    jar = Cookies()
    jar.extract_cookies(_response("https://evil.com/", "sid=stolen; Domain=example.com"))
    assert not jar
    assert _cookie_header(jar, "https://example.com/") is None


def test_a_host_cannot_set_a_cookie_for_a_top_level_domain() -> None:
    jar = Cookies()
    jar.extract_cookies(_response("https://example.com/", "sid=x; Domain=com"))
    assert _cookie_header(jar, "https://other.com/") is None


def test_path_attribute_limits_where_the_cookie_is_sent() -> None:
    jar = Cookies()
    jar.extract_cookies(_response("https://example.com/", "a=1; Path=/api"))
    assert _cookie_header(jar, "https://example.com/api") == "a=1"
    assert _cookie_header(jar, "https://example.com/api/items?x=1") == "a=1"
    assert _cookie_header(jar, "https://example.com/") is None
    assert _cookie_header(jar, "https://example.com/other") is None


def test_secure_cookie_is_sent_over_https_only() -> None:
    jar = Cookies()
    jar.extract_cookies(_response("https://example.com/", "token=t; Secure"))
    assert _cookie_header(jar, "https://example.com/") == "token=t"
    assert _cookie_header(jar, "http://example.com/") is None


def test_expires_in_the_past_deletes_the_cookie() -> None:
    jar = Cookies()
    jar.extract_cookies(_response("https://example.com/", "sid=abc"))
    jar.extract_cookies(
        _response("https://example.com/", "sid=gone; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    )
    assert "sid" not in jar
    assert _cookie_header(jar, "https://example.com/") is None


def test_max_age_zero_deletes_and_positive_max_age_sets_expiry() -> None:
    jar = Cookies()
    jar.extract_cookies(_response("https://example.com/", "a=1; Max-Age=100", "b=2"))
    (cookie_a,) = [c for c in jar.jar if c.name == "a"]
    assert cookie_a.expires is not None
    assert abs(cookie_a.expires - (time.time() + 100)) < 5
    jar.extract_cookies(_response("https://example.com/", "a=1; Max-Age=0"))
    assert _pairs(_cookie_header(jar, "https://example.com/")) == {"b=2"}


def test_expired_cookie_is_not_sent() -> None:
    jar = Cookies()
    jar.set("old", "1", domain="example.com", expires=int(time.time()) - 10)
    jar.set("new", "2", domain="example.com", expires=int(time.time()) + 1000)
    assert _cookie_header(jar, "https://example.com/") == "new=2"


def test_several_set_cookie_headers_are_all_stored() -> None:
    jar = Cookies()
    jar.extract_cookies(_response("https://example.com/", "a=1", "b=2; Path=/", "c=3; HttpOnly"))
    assert jar.get_dict() == {"a": "1", "b": "2", "c": "3"}
    assert _pairs(_cookie_header(jar, "https://example.com/")) == {"a=1", "b=2", "c=3"}


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.0.0.1:8080", "localhost:8080"])
def test_local_test_servers_get_their_cookies_back(host: str) -> None:
    jar = Cookies()
    jar.extract_cookies(_response(f"http://{host}/login", "sid=abc; Path=/"))
    assert _cookie_header(jar, f"http://{host}/home") == "sid=abc"


def test_localhost_cookie_does_not_leak_to_another_local_name() -> None:
    jar = Cookies()
    jar.extract_cookies(_response("http://localhost/", "sid=abc"))
    assert _cookie_header(jar, "http://otherhost/") is None
    assert _cookie_header(jar, "http://127.0.0.1/") is None


def test_ipv6_literal_host_gets_its_cookie_back() -> None:
    jar = Cookies()
    jar.extract_cookies(_response("http://[::1]:8080/", "sid=abc"))
    assert _cookie_header(jar, "http://[::1]:8080/x") == "sid=abc"


def test_userinfo_in_url_does_not_confuse_host_matching() -> None:
    jar = Cookies()
    jar.extract_cookies(_response("https://user:pw@example.com/", "sid=abc"))
    assert _cookie_header(jar, "https://example.com/") == "sid=abc"
    assert _cookie_header(jar, "https://u:p@example.com/") == "sid=abc"


def test_response_without_set_cookie_changes_nothing() -> None:
    jar = Cookies({"a": "1"})
    jar.extract_cookies(Response(200, request=Request("GET", "https://example.com/")))
    assert jar.get_dict() == {"a": "1"}


def test_extract_from_response_without_request_raises() -> None:
    with pytest.raises(RuntimeError, match="without a request"):
        Cookies().extract_cookies(Response(200, headers={"Set-Cookie": "a=1"}))


# -- Cookie header on requests ------------------------------------------------


def test_explicit_cookie_header_is_not_overridden() -> None:
    jar = Cookies({"a": "1"})
    request = Request("GET", "https://example.com/", headers={"Cookie": "mine=yes"})
    jar.set_cookie_header(request)
    assert request.headers["Cookie"] == "mine=yes"


def test_empty_jar_adds_no_header() -> None:
    assert _cookie_header(Cookies(), "https://example.com/") is None


def test_cookies_set_without_domain_go_to_every_host() -> None:
    jar = Cookies({"a": "1"})
    assert _cookie_header(jar, "https://example.com/") == "a=1"
    assert _cookie_header(jar, "http://127.0.0.1:5000/x") == "a=1"


def test_cookie_set_for_a_domain_goes_only_there() -> None:
    jar = Cookies()
    jar.set("a", "1", domain="example.com")
    assert _cookie_header(jar, "https://example.com/") == "a=1"
    assert _cookie_header(jar, "https://example.org/") is None


def test_set_with_secure_flag() -> None:
    jar = Cookies()
    jar.set("a", "1", domain="example.com", secure=True)
    assert _cookie_header(jar, "http://example.com/") is None
    assert _cookie_header(jar, "https://example.com/") == "a=1"


# -- mapping and requests-style API ---------------------------------------------


def test_mapping_basics() -> None:
    jar = Cookies([("a", "1"), ("b", "2")])
    jar["c"] = "3"
    assert jar["a"] == "1"
    assert "b" in jar
    assert "z" not in jar
    assert sorted(jar) == ["a", "b", "c"]
    assert len(jar) == 3
    assert dict(jar.items()) == {"a": "1", "b": "2", "c": "3"}
    del jar["b"]
    assert "b" not in jar
    with pytest.raises(KeyError):
        jar["b"]
    with pytest.raises(KeyError):
        del jar["b"]
    assert jar.get("b") is None
    assert jar.get("b", "fallback") == "fallback"


def test_bool_is_false_only_when_empty() -> None:
    jar = Cookies()
    assert not jar
    jar["a"] = "1"
    assert jar


def test_same_name_for_two_domains_with_different_values_conflicts() -> None:
    jar = Cookies()
    jar.set("sid", "one", domain="a.example")
    jar.set("sid", "two", domain="b.example")
    with pytest.raises(CookieConflictError):
        jar["sid"]
    assert jar.get("sid", domain="a.example") == "one"
    assert jar.get("sid", domain="b.example") == "two"
    assert list(jar) == ["sid"]
    assert len(jar) == 1


def test_same_name_and_value_in_two_places_is_not_a_conflict() -> None:
    jar = Cookies()
    jar.set("lang", "en", domain="a.example")
    jar.set("lang", "en", domain="b.example")
    assert jar["lang"] == "en"


def test_get_filters_by_path() -> None:
    jar = Cookies()
    jar.set("a", "root", domain="example.com", path="/")
    jar.set("a", "api", domain="example.com", path="/api")
    assert jar.get("a", path="/api") == "api"
    assert jar.get("a", path="/") == "root"


def test_delete_by_domain_leaves_other_domains() -> None:
    jar = Cookies()
    jar.set("sid", "one", domain="a.example")
    jar.set("sid", "two", domain="b.example")
    jar.delete("sid", domain="a.example")
    assert jar["sid"] == "two"
    jar.delete("sid")
    assert "sid" not in jar


def test_clear_by_domain_and_path() -> None:
    jar = Cookies()
    jar.set("a", "1", domain="a.example")
    jar.set("b", "2", domain="b.example", path="/x")
    jar.set("c", "3", domain="b.example", path="/")
    jar.clear(domain="a.example")
    assert sorted(jar) == ["b", "c"]
    jar.clear(path="/x")
    assert sorted(jar) == ["c"]
    jar.clear()
    assert not jar


def test_update_from_jar_keeps_domains_and_attributes() -> None:
    source = Cookies()
    source.set("sid", "abc", domain="example.com", path="/api", secure=True)
    target = Cookies({"other": "1"})
    target.update(source)
    assert target.get("sid", domain="example.com", path="/api") == "abc"
    assert _cookie_header(target, "http://example.com/api") == "other=1"


def test_update_from_mapping_pairs_and_keywords() -> None:
    jar = Cookies()
    jar.update({"a": "1"})
    jar.update([("b", "2")])
    jar.update(c="3")
    assert jar.get_dict() == {"a": "1", "b": "2", "c": "3"}


def test_wraps_an_existing_cookiejar_without_copying() -> None:
    cookiejar = http.cookiejar.CookieJar()
    jar = Cookies(cookiejar)
    jar.extract_cookies(_response("https://example.com/", "sid=abc"))
    assert [c.name for c in cookiejar] == ["sid"]


def test_copying_cookies_does_not_share_the_jar() -> None:
    original = Cookies({"a": "1"})
    copy = Cookies(original)
    copy["b"] = "2"
    del copy["a"]
    assert original.get_dict() == {"a": "1"}
    assert copy.get_dict() == {"b": "2"}


def test_get_dict_filters_by_domain() -> None:
    jar = Cookies()
    jar.set("a", "1", domain="a.example")
    jar.set("b", "2", domain="b.example")
    assert jar.get_dict(domain="b.example") == {"b": "2"}


def test_repr_shows_names_and_domains_but_never_values() -> None:
    jar = Cookies()
    jar.set("sid", "s3cr3t-value", domain="example.com")
    text = repr(jar)
    assert "sid" in text
    assert "example.com" in text
    assert "s3cr3t-value" not in text


_cookie_names = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", min_size=1
)
_cookie_values = st.text(
    "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'()*+-./:<>?@[]^_`{|}~", max_size=20
)


@given(st.dictionaries(_cookie_names, _cookie_values, max_size=8))
def test_cookies_set_by_hand_round_trip_through_the_header(cookies: dict[str, str]) -> None:
    jar = Cookies(cookies)
    assert jar.get_dict() == cookies
    header = _cookie_header(jar, "https://example.com/")
    if cookies:
        assert header is not None
        sent = dict(pair.split("=", 1) for pair in header.split("; "))
        assert sent == cookies
    else:
        assert header is None


def _cookie_header(jar: Cookies, url: str) -> str | None:
    request = Request("GET", url)
    jar.set_cookie_header(request)
    return request.headers.get("Cookie")


def test_cached_cookie_header_follows_jar_changes() -> None:
    jar = Cookies()
    url = "http://127.0.0.1:8000/api"
    jar.set("session", "one")
    assert _cookie_header(jar, url) == "session=one"
    jar.set("session", "two")
    assert _cookie_header(jar, url) == "session=two"
    jar.jar.clear()  # through the stdlib jar directly
    assert _cookie_header(jar, url) is None
    jar.set("a", "1")
    jar.set("b", "2", path="/api")
    assert _cookie_header(jar, "http://127.0.0.1:8000/other") == "a=1"
    assert _cookie_header(jar, url) in ("b=2; a=1", "a=1; b=2")


def test_cached_cookie_header_drops_cookies_once_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    import time as time_module

    jar = Cookies()
    now = time_module.time()
    jar.set("short", "lived", expires=int(now) + 60)
    jar.set("long", "lived")
    url = "http://127.0.0.1:8000/"
    assert _cookie_header(jar, url) in ("short=lived; long=lived", "long=lived; short=lived")
    monkeypatch.setattr(time_module, "time", lambda: now + 120)
    assert _cookie_header(jar, url) == "long=lived"


# -- limits -------------------------------------------------------------------

_BIG = 60_000  # bytes: a hostile Set-Cookie, well within the response header limit


def test_oversized_set_cookie_is_ignored_and_the_others_kept() -> None:
    jar = Cookies()
    jar.extract_cookies(_response("https://example.com/", "big=" + "x" * _BIG, "small=1"))
    assert jar.get_dict() == {"small": "1"}
    assert _cookie_header(jar, "https://example.com/") == "small=1"


@pytest.mark.parametrize(
    ("name", "value_size", "kept"),
    [
        ("n", MAX_COOKIE_BYTES - 1, True),
        ("n", MAX_COOKIE_BYTES, False),
        ("name", MAX_COOKIE_BYTES - 4, True),
        ("name", MAX_COOKIE_BYTES - 3, False),
    ],
)
def test_set_cookie_size_is_name_plus_value(name: str, value_size: int, kept: bool) -> None:
    # Attributes are not counted against MAX_COOKIE_BYTES: browsers do not
    # count them either, and they are never sent back.
    attributes = "; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=3600"
    jar = Cookies()
    jar.extract_cookies(_response("https://example.com/", f"{name}={'v' * value_size}{attributes}"))
    assert (name in jar) is kept


def test_non_ascii_cookie_is_measured_in_bytes() -> None:
    jar = Cookies()
    value = "é" * (MAX_COOKIE_BYTES // 2)  # 2 bytes each in UTF-8
    jar.extract_cookies(_response("https://example.com/", f"a={value}"))
    assert "a" not in jar


def test_set_cookie_with_oversized_attributes_is_ignored() -> None:
    jar = Cookies()
    padding = "; x=" + "p" * MAX_SET_COOKIE_BYTES
    jar.extract_cookies(_response("https://example.com/", "a=1" + padding, "b=2; Path=/"))
    assert jar.get_dict() == {"b": "2"}


@pytest.mark.parametrize(
    "set_by_hand",
    [
        lambda jar, name, value: jar.set(name, value),
        lambda jar, name, value: jar.__setitem__(name, value),
        lambda jar, name, value: jar.update({name: value}),
        lambda jar, name, value: jar.update([(name, value)]),
        lambda jar, name, value: jar.update(**{name: value}),
        lambda jar, name, value: Cookies({name: value}),
    ],
)
def test_setting_an_oversized_cookie_by_hand_raises_value_error(
    set_by_hand: Callable[[Cookies, str, str], object],
) -> None:
    jar = Cookies()
    secret = "s" * MAX_COOKIE_BYTES
    with pytest.raises(ValueError, match=r"cookie 'token' is 4101 bytes long") as info:
        set_by_hand(jar, "token", secret)
    assert secret not in str(info.value)
    assert not jar
    set_by_hand(jar, "token", secret[: MAX_COOKIE_BYTES - len("token")])  # at the limit: fine


def _filler(jar: Cookies, name: str, size: int, path: str = "/") -> None:
    jar.set(name, "v" * (size - len(name)), path=path)


def _line_size(header: str | None) -> int:
    return len(f"Cookie: {header}\r\n") if header else 0


def test_cookie_header_keeps_rfc_order_and_stays_within_the_limit() -> None:
    jar = Cookies()
    _filler(jar, "a", 3000)
    _filler(jar, "b", 3000, path="/api")
    _filler(jar, "c", 3000)
    jar.set("d", "1")
    header = _cookie_header(jar, "https://example.com/api/items")
    assert header is not None
    assert _line_size(header) <= MAX_COOKIE_HEADER_BYTES
    # Longer path first, then earlier creation; c does not fit, but the
    # later, smaller d still does.
    assert [pair.split("=")[0] for pair in header.split("; ")] == ["b", "a", "d"]
    # Outside /api only a, c and d match, and all fit.
    assert _pairs(_cookie_header(jar, "https://example.com/")) == {
        "a=" + "v" * 2999,
        "c=" + "v" * 2999,
        "d=1",
    }


def test_replacing_a_cookie_keeps_its_place_in_the_header() -> None:
    # RFC 6265 §5.3: the new cookie keeps the creation time of the old one.
    jar = Cookies()
    _filler(jar, "a", 3000)
    _filler(jar, "b", 3000)
    _filler(jar, "c", 3000)
    _filler(jar, "a", 2900)  # re-set: still created first
    header = _cookie_header(jar, "https://example.com/")
    assert [pair.split("=")[0] for pair in (header or "").split("; ")] == ["a", "b"]


def test_a_cookie_too_big_for_the_header_alone_is_never_sent() -> None:
    cookiejar = http.cookiejar.CookieJar()
    jar = Cookies(cookiejar)
    # Put in the standard jar directly, so no size check ran.
    big = http.cookiejar.Cookie(
        0, "huge", "h" * 9000, None, False, "", True, False, "/", True,
        False, None, True, None, None, {},
    )  # fmt: skip
    cookiejar.set_cookie(big)
    assert _cookie_header(jar, "https://example.com/") is None
    jar.set("small", "1")
    assert _cookie_header(jar, "https://example.com/") == "small=1"


@given(
    sizes=st.lists(st.integers(3, MAX_COOKIE_BYTES), min_size=1, max_size=12),
    paths=st.lists(st.sampled_from(["/", "/a", "/a/b"]), min_size=12, max_size=12),
)
def test_cookie_header_never_exceeds_the_limit(sizes: list[int], paths: list[str]) -> None:
    jar = Cookies()
    for index, size in enumerate(sizes):
        _filler(jar, f"c{index}", size, path=paths[index])
    header = _cookie_header(jar, "https://example.com/a/b/c")
    # name=value pieces joined by "; ", in a "Cookie: ...\r\n" line
    whole = sum(size + 1 for size in sizes) + 2 * (len(sizes) - 1) + len("Cookie: \r\n")
    assert _line_size(header) <= MAX_COOKIE_HEADER_BYTES
    assert header is not None  # any one cookie fits
    sent = header.split("; ")
    if whole <= MAX_COOKIE_HEADER_BYTES:
        assert len(sent) == len(sizes)
    path_lengths = [len(paths[int(pair.split("=")[0][1:])]) for pair in sent]
    assert path_lengths == sorted(path_lengths, reverse=True)


def _set_cookies(url: str, names: Iterable[str]) -> Response:
    return _response(url, *(f"{name}=1" for name in names))


def test_jar_keeps_at_most_max_cookies_per_domain_least_recently_set_go() -> None:
    jar = Cookies()
    url = "https://example.com/"
    jar.extract_cookies(_set_cookies(url, (f"c{i}" for i in range(MAX_COOKIES_PER_DOMAIN))))
    jar.extract_cookies(_set_cookies(url, ["c0"]))  # set again: now the most recent
    jar.extract_cookies(_set_cookies(url, ["new1", "new2"]))
    names = set(jar)
    assert len(names) == MAX_COOKIES_PER_DOMAIN
    assert {"c0", "new1", "new2"} <= names
    assert not {"c1", "c2"} & names
    # A Domain cookie and a host-only one count for the same domain; other
    # domains are untouched.
    jar.set("mine", "1", domain="other.example")
    jar.extract_cookies(_response(url, "wide=1; Domain=example.com"))
    assert "wide" in jar and "c3" not in jar and "mine" in jar


def test_one_response_with_too_many_cookies_keeps_the_last_ones() -> None:
    jar = Cookies()
    count = MAX_COOKIES_PER_DOMAIN + 20
    jar.extract_cookies(_set_cookies("https://example.com/", (f"c{i}" for i in range(count))))
    assert set(jar) == {f"c{i}" for i in range(20, count)}


def test_jar_keeps_at_most_max_cookies_in_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trio_http._cookies, "MAX_COOKIES", 10)
    jar = Cookies()
    jar.set("by-hand", "1", domain="mine.example")  # the oldest of all
    for host in range(4):
        url = f"https://h{host}.example/"
        jar.extract_cookies(_set_cookies(url, (f"h{host}c{i}" for i in range(4))))
    assert len(jar.jar) == 10
    # The six least recently set went, the cookie set by hand first.
    assert set(jar) == {f"h{host}c{i}" for host in (1, 2, 3) for i in range(4)} - {
        "h1c0",
        "h1c1",
    }


def test_expired_cookies_are_evicted_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trio_http._cookies, "MAX_COOKIES_PER_DOMAIN", 3)
    jar = Cookies()
    url = "https://example.com/"
    jar.extract_cookies(_set_cookies(url, ["a", "b"]))
    jar.set("stale", "1", domain="example.com", expires=int(time.time()) - 10)
    jar.extract_cookies(_set_cookies(url, ["c"]))
    assert set(jar) == {"a", "b", "c"}


def test_a_server_cannot_grow_the_jar_without_bound() -> None:
    jar = Cookies()
    for round_ in range(40):
        names = (f"r{round_}c{i}" for i in range(100))
        jar.extract_cookies(_set_cookies(f"https://s{round_}.example/", names))
        # Deleted cookies leave nothing behind either.
        jar.extract_cookies(_response(f"https://s{round_}.example/", f"r{round_}c0=; Max-Age=0"))
    assert len(jar.jar) <= MAX_COOKIES
    assert len(jar._stamps) <= MAX_COOKIES


# -- limits, end to end ---------------------------------------------------------


async def _set_big_cookie(request: ServerRequest, respond: Responder) -> None:
    headers = [("Set-Cookie", "big=" + "x" * _BIG + "; Path=/"), ("Set-Cookie", "small=1; Path=/")]
    await respond.respond(200, headers, b"ok")


async def test_async_client_ignores_an_oversized_set_cookie(server: TestServer) -> None:
    server.route("/big-cookie")(_set_big_cookie)
    async with trio_http.AsyncClient() as client:
        response = await client.get(server.url_for("/big-cookie"))
        assert response.status_code == 200
        assert response.cookies.get_dict() == {"small": "1"}
        assert client.cookies.get_dict() == {"small": "1"}
        echoed = await client.get(server.url_for("/cookies"))
    assert echoed.json() == {"cookies": {"small": "1"}}


async def test_async_client_refuses_oversized_cookies_set_by_hand(server: TestServer) -> None:
    async with trio_http.AsyncClient() as client:
        with pytest.raises(ValueError, match="'big'"):
            client.cookies.set("big", "x" * MAX_COOKIE_BYTES)
        with pytest.raises(ValueError, match="'big'"):
            client.cookies["big"] = "x" * MAX_COOKIE_BYTES
        with pytest.raises(ValueError, match="'big'"):
            await client.get(server.url_for("/cookies"), cookies={"big": "x" * MAX_COOKIE_BYTES})
    assert server.requests == []


async def test_async_client_cookie_header_stays_within_the_limit(server: TestServer) -> None:
    async with trio_http.AsyncClient() as client:
        for index in range(5):
            client.cookies.set(f"c{index}", str(index) * 3000)
        echoed = await client.get(server.url_for("/cookies"), cookies={"extra": "1"})
    assert echoed.status_code == 200
    header = server.requests[-1].header("cookie")
    assert _line_size(header) <= MAX_COOKIE_HEADER_BYTES
    assert set(echoed.json()["cookies"]) == {"c0", "c1", "extra"}


@pytest.fixture(scope="module")
def live() -> Iterator[TestServer]:
    with serve_in_thread() as running:
        running.route("/big-cookie")(_set_big_cookie)
        yield running


def test_blocking_api_applies_the_cookie_limits(live: TestServer) -> None:
    with trio_http.Session() as session:
        assert session.get(live.url_for("/big-cookie"), timeout=5).status_code == 200
        assert session.cookies.get_dict() == {"small": "1"}
        with pytest.raises(ValueError, match="'big'"):
            session.cookies["big"] = "x" * MAX_COOKIE_BYTES
        with pytest.raises(ValueError, match="'big'"):
            session.get(live.url_for("/cookies"), cookies={"big": "x" * MAX_COOKIE_BYTES})
        for index in range(5):
            session.cookies.set(f"c{index}", str(index) * 3000)
        echoed = session.get(live.url_for("/cookies"), timeout=5).json()["cookies"]
        assert set(echoed) == {"small", "c0", "c1"}
    with pytest.raises(ValueError, match="'big'"):
        trio_http.get(live.url_for("/cookies"), cookies={"big": "x" * MAX_COOKIE_BYTES})
