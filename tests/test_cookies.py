from __future__ import annotations

import http.cookiejar
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http._cookies import CookieConflictError, Cookies
from trio_http._request import Request
from trio_http._response import Response


def set_cookie_response(url: str, *set_cookies: str) -> Response:
    """A response to a GET of ``url`` with these ``Set-Cookie`` values."""
    return Response(
        200,
        headers=[("Set-Cookie", value) for value in set_cookies],
        request=Request("GET", url),
    )


def cookie_header(jar: Cookies, url: str, method: str = "GET") -> str | None:
    """The ``Cookie`` header ``jar`` puts on a request to ``url``, if any."""
    request = Request(method, url)
    jar.set_cookie_header(request)
    return request.headers.get("Cookie")


def header_pairs(header: str | None) -> set[str]:
    """The ``name=value`` pieces of a ``Cookie`` header."""
    return set(header.split("; ")) if header else set()


# -- Set-Cookie from responses ---------------------------------------------


def test_host_only_cookie_goes_back_to_the_same_host_only() -> None:
    jar = Cookies()
    jar.extract_cookies(set_cookie_response("https://example.com/", "sid=abc"))
    assert cookie_header(jar, "https://example.com/other") == "sid=abc"
    assert cookie_header(jar, "https://www.example.com/") is None
    assert cookie_header(jar, "https://example.org/") is None


def test_domain_cookie_matches_subdomains() -> None:
    jar = Cookies()
    jar.extract_cookies(
        set_cookie_response("https://www.example.com/", "sid=abc; Domain=example.com")
    )
    assert cookie_header(jar, "https://api.example.com/") == "sid=abc"
    assert cookie_header(jar, "https://example.com/") == "sid=abc"
    assert cookie_header(jar, "https://notexample.com/") is None


def test_a_host_cannot_set_a_cookie_for_another_domain() -> None:
    jar = Cookies()
    jar.extract_cookies(set_cookie_response("https://evil.com/", "sid=stolen; Domain=example.com"))
    assert not jar
    assert cookie_header(jar, "https://example.com/") is None


def test_a_host_cannot_set_a_cookie_for_a_top_level_domain() -> None:
    jar = Cookies()
    jar.extract_cookies(set_cookie_response("https://example.com/", "sid=x; Domain=com"))
    assert cookie_header(jar, "https://other.com/") is None


def test_path_attribute_limits_where_the_cookie_is_sent() -> None:
    jar = Cookies()
    jar.extract_cookies(set_cookie_response("https://example.com/", "a=1; Path=/api"))
    assert cookie_header(jar, "https://example.com/api") == "a=1"
    assert cookie_header(jar, "https://example.com/api/items?x=1") == "a=1"
    assert cookie_header(jar, "https://example.com/") is None
    assert cookie_header(jar, "https://example.com/other") is None


def test_secure_cookie_is_sent_over_https_only() -> None:
    jar = Cookies()
    jar.extract_cookies(set_cookie_response("https://example.com/", "token=t; Secure"))
    assert cookie_header(jar, "https://example.com/") == "token=t"
    assert cookie_header(jar, "http://example.com/") is None


def test_expires_in_the_past_deletes_the_cookie() -> None:
    jar = Cookies()
    jar.extract_cookies(set_cookie_response("https://example.com/", "sid=abc"))
    jar.extract_cookies(
        set_cookie_response(
            "https://example.com/", "sid=gone; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        )
    )
    assert "sid" not in jar
    assert cookie_header(jar, "https://example.com/") is None


def test_max_age_zero_deletes_and_positive_max_age_sets_expiry() -> None:
    jar = Cookies()
    jar.extract_cookies(set_cookie_response("https://example.com/", "a=1; Max-Age=100", "b=2"))
    (cookie_a,) = [c for c in jar.jar if c.name == "a"]
    assert cookie_a.expires is not None
    assert abs(cookie_a.expires - (time.time() + 100)) < 5
    jar.extract_cookies(set_cookie_response("https://example.com/", "a=1; Max-Age=0"))
    assert header_pairs(cookie_header(jar, "https://example.com/")) == {"b=2"}


def test_expired_cookie_is_not_sent() -> None:
    jar = Cookies()
    jar.set("old", "1", domain="example.com", expires=int(time.time()) - 10)
    jar.set("new", "2", domain="example.com", expires=int(time.time()) + 1000)
    assert cookie_header(jar, "https://example.com/") == "new=2"


def test_several_set_cookie_headers_are_all_stored() -> None:
    jar = Cookies()
    jar.extract_cookies(
        set_cookie_response("https://example.com/", "a=1", "b=2; Path=/", "c=3; HttpOnly")
    )
    assert jar.get_dict() == {"a": "1", "b": "2", "c": "3"}
    assert header_pairs(cookie_header(jar, "https://example.com/")) == {"a=1", "b=2", "c=3"}


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.0.0.1:8080", "localhost:8080"])
def test_local_test_servers_get_their_cookies_back(host: str) -> None:
    jar = Cookies()
    jar.extract_cookies(set_cookie_response(f"http://{host}/login", "sid=abc; Path=/"))
    assert cookie_header(jar, f"http://{host}/home") == "sid=abc"


def test_localhost_cookie_does_not_leak_to_another_local_name() -> None:
    jar = Cookies()
    jar.extract_cookies(set_cookie_response("http://localhost/", "sid=abc"))
    assert cookie_header(jar, "http://otherhost/") is None
    assert cookie_header(jar, "http://127.0.0.1/") is None


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
    assert cookie_header(Cookies(), "https://example.com/") is None


def test_cookies_set_without_domain_go_to_every_host() -> None:
    jar = Cookies({"a": "1"})
    assert cookie_header(jar, "https://example.com/") == "a=1"
    assert cookie_header(jar, "http://127.0.0.1:5000/x") == "a=1"


def test_cookie_set_for_a_domain_goes_only_there() -> None:
    jar = Cookies()
    jar.set("a", "1", domain="example.com")
    assert cookie_header(jar, "https://example.com/") == "a=1"
    assert cookie_header(jar, "https://example.org/") is None


def test_set_with_secure_flag() -> None:
    jar = Cookies()
    jar.set("a", "1", domain="example.com", secure=True)
    assert cookie_header(jar, "http://example.com/") is None
    assert cookie_header(jar, "https://example.com/") == "a=1"


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
    del jar["b"]  # a name that is not there: no error, as in requests
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
    assert cookie_header(target, "http://example.com/api") == "other=1"


def test_update_from_mapping_pairs_and_keywords() -> None:
    jar = Cookies()
    jar.update({"a": "1"})
    jar.update([("b", "2")])
    jar.update(c="3")
    assert jar.get_dict() == {"a": "1", "b": "2", "c": "3"}


def test_wraps_an_existing_cookiejar_without_copying() -> None:
    cookiejar = http.cookiejar.CookieJar()
    jar = Cookies(cookiejar)
    jar.extract_cookies(set_cookie_response("https://example.com/", "sid=abc"))
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
    header = cookie_header(jar, "https://example.com/")
    if cookies:
        assert header is not None
        sent = dict(pair.split("=", 1) for pair in header.split("; "))
        assert sent == cookies
    else:
        assert header is None


def test_cached_cookie_header_follows_jar_changes() -> None:
    jar = Cookies()
    url = "http://127.0.0.1:8000/api"
    jar.set("session", "one")
    assert cookie_header(jar, url) == "session=one"
    jar.set("session", "two")
    assert cookie_header(jar, url) == "session=two"
    jar.jar.clear()  # through the stdlib jar directly
    assert cookie_header(jar, url) is None
    jar.set("a", "1")
    jar.set("b", "2", path="/api")
    assert cookie_header(jar, "http://127.0.0.1:8000/other") == "a=1"
    assert cookie_header(jar, url) in ("b=2; a=1", "a=1; b=2")


def test_cached_cookie_header_drops_cookies_once_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    import time as time_module

    jar = Cookies()
    now = time_module.time()
    jar.set("short", "lived", expires=int(now) + 60)
    jar.set("long", "lived")
    url = "http://127.0.0.1:8000/"
    assert cookie_header(jar, url) in ("short=lived; long=lived", "long=lived; short=lived")
    monkeypatch.setattr(time_module, "time", lambda: now + 120)
    assert cookie_header(jar, url) == "long=lived"


# -- requests' jar API on Cookies ------------------------------------------------


def test_set_with_value_none_removes_only_where_asked() -> None:
    jar = Cookies()
    jar.set("sid", "one", domain="a.example")
    jar.set("sid", "two", domain="b.example")
    assert jar.set("sid", None, domain="a.example") is None
    assert jar.get_dict() == {"sid": "two"}
    jar["sid"] = None
    assert not jar


def test_set_returns_the_cookie_with_requests_defaults() -> None:
    cookie = Cookies().set("a", "1")
    assert cookie is not None
    assert (cookie.domain, cookie.path, cookie.discard) == ("", "/", True)
    kept = Cookies().set("a", "1", expires=int(time.time()) + 60)
    assert kept is not None and kept.discard is False


def test_a_cookie_for_every_host_is_sent_whoever_made_it() -> None:
    # requests' create_cookie leaves domain_specified False for "" domains;
    # the host-only policy alone would send such a cookie nowhere.
    cookie = http.cookiejar.Cookie(
        0, "a", "1", None, False, "", False, False, "/", True, False, None, True, None, None, {}
    )
    jar = Cookies()
    jar.set_cookie(cookie)
    assert cookie_header(jar, "https://example.com/") == "a=1"
    assert cookie.domain_specified is False  # the caller's cookie is left as it was
    copied = Cookies()
    copied.update(_jar_with(cookie))
    assert cookie_header(copied, "http://other.org/x") == "a=1"


def _jar_with(cookie: http.cookiejar.Cookie) -> http.cookiejar.CookieJar:
    jar = http.cookiejar.CookieJar()
    jar.set_cookie(cookie)
    return jar


def test_set_policy_applies_to_cached_cookie_headers() -> None:
    jar = Cookies()
    jar.set("a", "1", domain="example.com")
    url = "https://example.com/"
    assert cookie_header(jar, url) == "a=1"
    jar.set_policy(http.cookiejar.DefaultCookiePolicy(blocked_domains=["example.com"]))
    assert cookie_header(jar, url) is None
    assert isinstance(jar.get_policy(), http.cookiejar.DefaultCookiePolicy)


def test_pickled_jar_keeps_cookies_policy_and_stamps() -> None:
    import pickle

    jar = Cookies()
    jar.extract_cookies(set_cookie_response("https://example.com/", "sid=abc; Path=/"))
    jar.set("lang", "en", domain="example.com")
    clone = pickle.loads(pickle.dumps(jar))
    assert isinstance(clone, Cookies)
    assert clone.get_dict() == jar.get_dict()
    assert clone._stamps == jar._stamps
    assert clone.get_policy().strict_ns_domain == jar.get_policy().strict_ns_domain  # type: ignore[attr-defined]
    assert cookie_header(clone, "https://example.com/") == cookie_header(
        jar, "https://example.com/"
    )
    assert cookie_header(clone, "https://sub.example.com/") == "lang=en"


def test_copy_is_independent_and_keeps_the_policy() -> None:
    jar = Cookies({"a": "1"})
    clone = jar.copy()
    clone["b"] = "2"
    del jar["a"]
    assert (jar.get_dict(), clone.get_dict()) == ({}, {"a": "1", "b": "2"})
    assert clone.get_policy() is jar.get_policy()


def test_extract_cookies_takes_the_request_explicitly() -> None:
    jar = Cookies()
    response = Response(200, headers={"Set-Cookie": "sid=abc"})
    jar.extract_cookies(response, Request("GET", "https://example.com/"))
    assert jar.list_domains() == ["example.com"]


def test_clear_by_name_and_session_and_expired_cookies() -> None:
    jar = Cookies()
    jar.set("a", "1", domain="a.example")
    jar.set("b", "2", domain="a.example")
    jar.set("kept", "3", expires=int(time.time()) + 60)
    jar.clear(name="a")
    assert sorted(jar) == ["b", "kept"]
    jar.clear_session_cookies()
    assert sorted(jar) == ["kept"]
    jar.jar.set_cookie(
        http.cookiejar.Cookie(
            0, "old", "x", None, False, "", True, False, "/", True, False, 1, False, None, None, {}
        )
    )
    jar.clear_expired_cookies()
    assert sorted(jar) == ["kept"]


def test_set_accepts_a_morsel_and_refuses_other_values() -> None:
    import http.cookies

    loaded: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
    loaded.load("sid=abc; Domain=example.com; Path=/app")
    jar = Cookies()
    jar.set("ignored", loaded["sid"])
    assert jar.get("sid", domain="example.com", path="/app") == "abc"
    with pytest.raises(TypeError):
        jar.set("n", b"bytes")  # type: ignore[arg-type]
