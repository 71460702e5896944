"""trio_http.cookies against requests.cookies: the jar API and the helpers, side by side.

Each scenario runs once with trio_http's module and once with requests';
the answers must be equal. Deliberate differences have their own
``..._differs_...`` tests.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import http.cookies
import pickle
import time
import types
from collections.abc import Callable
from typing import Any

import pytest
import requests
import requests.cookies as requests_cookies
from hypothesis import given
from hypothesis import strategies as st

import trio_http
from trio_http import cookies


def outcome(scenario: Callable[[Any], object], module: Any) -> tuple[str, object]:
    try:
        return ("ok", scenario(module))
    except Exception as exc:
        return ("raises", type(exc).__name__)


def both(scenario: Callable[[Any], object]) -> object:
    """Run ``scenario`` with each module; return the (equal) answer."""
    ours = outcome(scenario, cookies)
    theirs = outcome(scenario, requests_cookies)
    assert ours == theirs
    return ours


def every_cookie(jar: Any) -> list[http.cookiejar.Cookie]:
    """The Cookie objects of either kind of jar."""
    return list(jar.jar if isinstance(jar, trio_http.Cookies) else jar)


def filed(jar: Any) -> list[tuple[str, str | None, str, str]]:
    return sorted((c.name, c.value, c.domain, c.path) for c in every_cookie(jar))


def filled(module: Any) -> Any:
    """The same jar in either library: one name for two domains, and a cookie for every host."""
    jar = module.RequestsCookieJar()
    jar.set("a", "1", domain="example.com", path="/")
    jar.set("a", "2", domain="other.org", path="/x")
    jar.set("b", "3", domain="example.com", path="/")
    jar.set("c", "4")
    return jar


# -- the jar's API ---------------------------------------------------------------


SCENARIOS: dict[str, Callable[[Any], object]] = {
    "get by domain": lambda m: filled(m).get("a", domain="other.org"),
    "get by path": lambda m: filled(m).get("a", path="/x"),
    "get by domain and path": lambda m: filled(m).get("a", domain="example.com", path="/"),
    "get ambiguous": lambda m: filled(m).get("a"),
    "get missing": lambda m: filled(m).get("zz"),
    "get default": lambda m: filled(m).get("zz", "fallback"),
    "getitem": lambda m: filled(m)["b"],
    "getitem ambiguous": lambda m: filled(m)["a"],
    "getitem missing": lambda m: filled(m)["zz"],
    "contains": lambda m: ("a" in filled(m), "c" in filled(m), "zz" in filled(m)),
    "keys": lambda m: (type(filled(m).keys()).__name__, sorted(filled(m).keys())),
    "len": lambda m: len(filled(m)),
    "iterate": lambda m: [(c.name, c.domain, c.path) for c in filled(m)],
    "list of jar": lambda m: [type(c).__name__ for c in list(filled(m))],
    "values is a list": lambda m: type(filled(m).values()).__name__,
    "items is a list": lambda m: type(filled(m).items()).__name__,
    "same value in two domains": lambda m: _same_value_twice(m)["lang"],
    "same value, get by domain": lambda m: _same_value_twice(m).get("lang", domain="a.example"),
    "contains a name stored twice": lambda m: "lang" in _same_value_twice(m),
    "set_cookie with escaped quotes": lambda m: _then(
        m.RequestsCookieJar(), lambda j: j.set_cookie(m.create_cookie("q", '"\\"a:b\\""'))
    ),
    "set with escaped quotes": lambda m: _then(
        m.RequestsCookieJar(), lambda j: j.set("q", '"x\\"y"', domain="d.org")
    ),
    "values": lambda m: sorted(filled(m).values()),
    "items": lambda m: sorted(filled(m).items()),
    "dict of items": lambda m: dict(filled(m).items()),
    "iterkeys": lambda m: sorted(filled(m).iterkeys()),
    "itervalues": lambda m: sorted(filled(m).itervalues()),
    "iteritems": lambda m: sorted(filled(m).iteritems()),
    "list_domains": lambda m: filled(m).list_domains(),
    "list_paths": lambda m: filled(m).list_paths(),
    "multiple_domains": lambda m: filled(m).multiple_domains(),
    "get_dict": lambda m: filled(m).get_dict(),
    "get_dict domain": lambda m: filled(m).get_dict(domain="example.com"),
    "get_dict path": lambda m: filled(m).get_dict(path="/x"),
    "get_dict both": lambda m: filled(m).get_dict(domain="other.org", path="/"),
    "dict of jar": lambda m: dict(filled(m)),
    "empty jar": lambda m: (m.RequestsCookieJar().get_dict(), m.RequestsCookieJar().list_domains()),
    "set returns the cookie": lambda m: filled(m).set("n", "v", domain="d.org").domain,
    "set unknown attribute": lambda m: filled(m).set("n", "v", flavour="oat"),
    "set attributes": lambda m: (
        lambda c: (c.secure, c.expires, c.port, c.comment, c.version, c.rfc2109)
    )(filled(m).set("n", "v", secure=True, expires=2000000000, port="80", comment="x")),
    "setitem": lambda m: _then(filled(m), lambda j: j.__setitem__("b", "9")),
    "set None for one domain": lambda m: _then(
        filled(m), lambda j: j.set("a", None, domain="other.org")
    ),
    "set None everywhere": lambda m: _then(filled(m), lambda j: j.set("a", None)),
    "setitem None": lambda m: _then(filled(m), lambda j: j.__setitem__("b", None)),
    "delitem": lambda m: _then(filled(m), lambda j: j.__delitem__("a")),
    "set_cookie": lambda m: _then(
        filled(m), lambda j: j.set_cookie(m.create_cookie("z", "9", domain=".z.org", path="/z"))
    ),
    "update from a jar": lambda m: _then(m.RequestsCookieJar(), lambda j: j.update(filled(m))),
    "update from a dict": lambda m: _then(filled(m), lambda j: j.update({"b": "7", "d": "8"})),
    "update from a standard jar": lambda m: _then(
        m.RequestsCookieJar(),
        lambda j: j.update(m.cookiejar_from_dict({"s": "1"}, http.cookiejar.CookieJar())),
    ),
    "copy": lambda m: _copy_changed_apart(filled(m)),
    "copy keeps the policy": lambda m: (lambda j: j.copy().get_policy() is j.get_policy())(
        filled(m)
    ),
    "set_policy": lambda m: _then_policy(filled(m)),
    "pickle": lambda m: filed(pickle.loads(pickle.dumps(filled(m)))),
    "clear by domain": lambda m: _then(filled(m), lambda j: j.clear("example.com")),
    "clear by domain and path": lambda m: _then(filled(m), lambda j: j.clear("other.org", "/x")),
    "clear one cookie": lambda m: _then(filled(m), lambda j: j.clear("example.com", "/", "b")),
    "clear all": lambda m: _then(filled(m), lambda j: j.clear()),
    "clear session cookies": lambda m: _then(
        filled(m),
        lambda j: (
            j.set("kept", "1", expires=int(time.time()) + 60, discard=False),
            j.clear_session_cookies(),
        ),
    ),
    "clear expired cookies": lambda m: _then(
        filled(m),
        lambda j: (j.set("old", "1", expires=int(time.time()) - 60), j.clear_expired_cookies()),
    ),
}


def _same_value_twice(module: Any) -> Any:
    jar = module.RequestsCookieJar()
    jar.set("lang", "en", domain="a.example")
    jar.set("lang", "en", domain="b.example", path="/x")
    return jar


def _then(jar: Any, change: Callable[[Any], object]) -> list[tuple[str, str | None, str, str]]:
    change(jar)
    return filed(jar)


def _copy_changed_apart(jar: Any) -> object:
    clone = jar.copy()
    clone.set("new", "1")
    jar.set("a", None, domain="other.org")
    return (type(clone) is type(jar), filed(jar), filed(clone))


def _then_policy(jar: Any) -> object:
    policy = http.cookiejar.DefaultCookiePolicy(blocked_domains=["example.com"])
    jar.set_policy(policy)
    return jar.get_policy() is policy


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_requests_cookie_jar_api_matches_requests(scenario: str) -> None:
    both(SCENARIOS[scenario])


def test_requests_cookie_jar_is_trio_http_cookies() -> None:
    assert issubclass(cookies.RequestsCookieJar, trio_http.Cookies)
    assert isinstance(cookies.cookiejar_from_dict({"a": "1"}), cookies.RequestsCookieJar)
    assert type(filled(cookies).copy()) is cookies.RequestsCookieJar
    assert type(pickle.loads(pickle.dumps(filled(cookies)))) is cookies.RequestsCookieJar
    assert cookies.CookieConflictError is trio_http.CookieConflictError
    # One except clause catches either name, and requests' base class too.
    assert issubclass(cookies.CookieConflictError, RuntimeError)
    with pytest.raises(RuntimeError):
        filled(cookies)["a"]


def test_session_and_response_cookies_are_requests_cookie_jars() -> None:
    def handler(request: trio_http.Request) -> trio_http.Response:
        return trio_http.Response(200, headers={"Set-Cookie": "sid=abc; Path=/"})

    with trio_http.Session(transport=trio_http.MockTransport(handler)) as session:
        assert isinstance(session.cookies, cookies.RequestsCookieJar)
        response = session.get("http://example.com/login")
        assert isinstance(response.cookies, cookies.RequestsCookieJar)
        assert response.cookies.get_dict() == session.cookies.get_dict() == {"sid": "abc"}
        assert session.cookies.list_domains() == ["example.com"]
        session.cookies.set("lang", "en", domain="example.com")
        assert sorted(session.cookies.iterkeys()) == ["lang", "sid"]


def test_requests_jar_passed_as_cookies_is_sent() -> None:
    # requests' own jar holds cookies for every host with domain_specified
    # False; the client's host-only policy must still send them.
    seen: list[str | None] = []

    def handler(request: trio_http.Request) -> trio_http.Response:
        seen.append(request.headers.get("Cookie"))
        return trio_http.Response(200)

    theirs = requests_cookies.cookiejar_from_dict({"token": "t"})
    with trio_http.Session(transport=trio_http.MockTransport(handler)) as session:
        session.get("http://example.com/", cookies=theirs)
        session.cookies.update(theirs)
        session.get("http://other.org/")
    assert seen == ["token=t", "token=t"]


def test_async_cookies_stay_a_mapping_of_names() -> None:
    # trio_http.Cookies (an AsyncClient's jar) keeps the mapping reading:
    # one key per name, names when iterated, and no conflict between equal
    # values; RequestsCookieJar reads as requests' jar (see SCENARIOS).
    ours = trio_http.Cookies(filled(cookies))
    assert sorted(ours) == sorted(ours.keys()) == ["a", "b", "c"]
    assert len(ours) == 3
    assert len(ours.items()) == len(ours.values()) == 4
    assert sorted(c.name for c in ours.jar) == ["a", "a", "b", "c"]
    assert trio_http.Cookies(_same_value_twice(cookies))["lang"] == "en"


def test_multiple_domains_differs_by_counting_distinct_domains() -> None:
    # requests answers whether two cookies share a domain, against its
    # own documentation.
    def two_on_one_domain(module: Any) -> object:
        jar = module.RequestsCookieJar()
        jar.set("a", "1", domain="example.com")
        jar.set("b", "2", domain="example.com")
        return jar.multiple_domains()

    def one_each(module: Any) -> object:
        jar = module.RequestsCookieJar()
        jar.set("a", "1", domain="example.com")
        jar.set("b", "2", domain="other.org")
        return jar.multiple_domains()

    assert (two_on_one_domain(cookies), one_each(cookies)) == (False, True)
    assert (two_on_one_domain(requests_cookies), one_each(requests_cookies)) == (True, False)


def test_limits_still_apply_to_the_requests_api() -> None:
    jar = cookies.RequestsCookieJar()
    with pytest.raises(ValueError, match="4096"):
        jar.set("big", "x" * 5000)
    with pytest.raises(ValueError, match="4096"):
        jar.set_cookie(cookies.create_cookie("big", "x" * 5000))
    with pytest.raises(ValueError, match="4096"):
        cookies.cookiejar_from_dict({"big": "x" * 5000})
    assert not jar


def test_a_value_that_is_not_text_is_refused() -> None:
    with pytest.raises(TypeError, match="Morsel"):
        cookies.RequestsCookieJar().set("n", 5)  # type: ignore[arg-type]


_names = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=6)
_values = st.text("abcdefghijklmnopqrstuvwxyz0123456789!#$%&'()*+-./:<>?@[]^_`{|}~", max_size=8)
_domains = st.sampled_from(["", "example.com", ".example.com", "sub.example.com", "other.org"])
_paths = st.sampled_from(["/", "/a", "/a/b", ""])


@given(st.lists(st.tuples(_names, _values, _domains, _paths), max_size=8))
def test_any_sequence_of_sets_reads_back_like_requests(
    cookies_set: list[tuple[str, str, str, str]],
) -> None:
    jars = (cookies.RequestsCookieJar(), requests_cookies.RequestsCookieJar())
    for jar in jars:
        for name, value, domain, path in cookies_set:
            jar.set(name, value, domain=domain, path=path)
    ours, theirs = jars
    assert filed(ours) == filed(theirs)
    assert ours.get_dict() == theirs.get_dict()
    assert ours.list_domains() == theirs.list_domains()
    assert ours.list_paths() == theirs.list_paths()
    assert sorted(ours.iteritems()) == sorted(theirs.iteritems())
    for domain in ("example.com", "other.org", ""):
        assert ours.get_dict(domain=domain) == theirs.get_dict(domain=domain)


# -- the module's functions ------------------------------------------------------


def test_create_cookie_matches_requests() -> None:
    def attributes(cookie: http.cookiejar.Cookie) -> tuple[object, ...]:
        return (
            cookie.version, cookie.name, cookie.value, cookie.port, cookie.port_specified,
            cookie.domain, cookie.domain_specified, cookie.domain_initial_dot, cookie.path,
            cookie.path_specified, cookie.secure, cookie.expires, cookie.discard,
            cookie.comment, cookie.comment_url, cookie._rest, cookie.rfc2109,
        )  # fmt: skip

    for kwargs in (
        {},
        {"domain": "example.com", "path": "/p", "secure": True, "expires": 100},
        {"domain": ".example.com", "port": "80,443", "rest": {"HttpOnly": None}},
        {"path": "", "discard": False, "comment": "c", "comment_url": "u", "rfc2109": True},
        {"version": 1},
    ):
        ours = cookies.create_cookie("n", "v", **kwargs)  # type: ignore[arg-type]
        theirs = requests_cookies.create_cookie("n", "v", **kwargs)
        assert attributes(ours) == attributes(theirs)


def test_create_cookie_refuses_an_unknown_attribute() -> None:
    both(lambda m: m.create_cookie("n", "v", flavour="oat"))


@pytest.mark.parametrize(
    "set_cookie",
    [
        "sid=abc",
        "sid=abc; Path=/p; Domain=.ex.com; Secure; HttpOnly",
        "sid=abc; Max-Age=60",
        "sid=abc; Expires=Wed, 21-Oct-2037 07:28:00 GMT",
        'sid="quoted value"; Path=/',
    ],
)
def test_morsel_to_cookie_matches_requests(set_cookie: str) -> None:
    loaded: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
    loaded.load(set_cookie)
    morsel = loaded["sid"]

    def scenario(module: Any) -> object:
        cookie = module.morsel_to_cookie(morsel)
        expires = cookie.expires if cookie.expires is None else cookie.expires // 10
        return (
            cookie.name, cookie.value, cookie.domain, cookie.path, cookie.secure,
            expires, cookie.has_nonstandard_attr("HttpOnly"), cookie.discard, cookie.version,
        )  # fmt: skip

    both(scenario)
    jar = cookies.RequestsCookieJar()
    jar["ignored"] = morsel  # a Morsel brings its own name
    assert [cookie.name for cookie in jar] == ["sid"]


def test_morsel_with_a_bad_max_age_raises_type_error_like_requests() -> None:
    morsel: http.cookies.Morsel[str] = http.cookies.Morsel()
    morsel.set("sid", "abc", "abc")
    morsel["max-age"] = "soon"
    both(lambda m: m.morsel_to_cookie(morsel))


def test_morsel_reads_expires_in_the_forms_servers_send() -> None:
    # RFC 1123 dates too, which requests' format string refuses.
    morsel: http.cookies.Morsel[str] = http.cookies.Morsel()
    morsel.set("sid", "abc", "abc")
    morsel["expires"] = "Wed, 21 Oct 2037 07:28:00 GMT"
    assert cookies.morsel_to_cookie(morsel).expires == 2139722880
    morsel["expires"] = "not a date"
    with pytest.raises(ValueError, match="not a date"):
        cookies.morsel_to_cookie(morsel)


@pytest.mark.parametrize("overwrite", [True, False])
@pytest.mark.parametrize("target", ["none", "requests jar", "standard jar"])
def test_cookiejar_from_dict_matches_requests(overwrite: bool, target: str) -> None:
    def scenario(module: Any) -> object:
        jar = {
            "none": None,
            "requests jar": module.cookiejar_from_dict({"a": "old"}),
            "standard jar": module.cookiejar_from_dict({"a": "old"}, http.cookiejar.CookieJar()),
        }[target]
        result = module.cookiejar_from_dict({"a": "new", "b": "2"}, jar, overwrite)
        return (result is jar or jar is None, filed(result))

    both(scenario)
    assert isinstance(cookies.cookiejar_from_dict(None), cookies.RequestsCookieJar)


@pytest.mark.parametrize(
    "source",
    ["dict", "requests jar", "standard jar", "none"],
)
@pytest.mark.parametrize("target", ["requests jar", "standard jar"])
def test_merge_cookies_matches_requests(source: str, target: str) -> None:
    def scenario(module: Any) -> object:
        jar = (
            module.cookiejar_from_dict({"a": "old"})
            if target == "requests jar"
            else module.cookiejar_from_dict({"a": "old"}, http.cookiejar.CookieJar())
        )
        other: object = {
            "dict": {"a": "new", "b": "2"},
            "requests jar": filled(module),
            "standard jar": module.cookiejar_from_dict(
                {"a": "new", "s": "1"}, http.cookiejar.CookieJar()
            ),
            "none": None,
        }[source]
        merged = module.merge_cookies(jar, other)
        return (merged is jar, filed(merged))

    both(scenario)


def test_merge_cookies_refuses_a_dict_as_the_jar() -> None:
    both(lambda m: m.merge_cookies({"a": "1"}, {"b": "2"}))


@pytest.mark.parametrize(
    ("name", "domain", "path"),
    [("a", None, None), ("a", "example.com", None), ("a", None, "/x"), ("zz", None, None)],
)
@pytest.mark.parametrize("standard", [False, True])
def test_remove_cookie_by_name_matches_requests(
    name: str, domain: str | None, path: str | None, standard: bool
) -> None:
    def scenario(module: Any) -> object:
        jar = filled(module)
        if standard:
            jar = module.merge_cookies(http.cookiejar.CookieJar(), jar)
        module.remove_cookie_by_name(jar, name, domain, path)
        return filed(jar)

    both(scenario)


def requests_raw_response(*set_cookies: str) -> Any:
    """What requests' extract_cookies_to_jar reads: urllib3's response around http.client's."""
    message = http.client.HTTPMessage()
    for value in set_cookies:
        message["Set-Cookie"] = value
    return types.SimpleNamespace(_original_response=types.SimpleNamespace(msg=message))


_SET_COOKIES = (
    "host=1",
    "wide=2; Domain=example.com",
    "scoped=3; Path=/api",
    "secure=4; Secure",
    "foreign=5; Domain=evil.org",
    "gone=6; Max-Age=0",
)


@pytest.mark.parametrize("standard", [False, True])
def test_extract_cookies_to_jar_matches_requests(standard: bool) -> None:
    url = "https://www.example.com/login"
    ours: Any = http.cookiejar.CookieJar() if standard else cookies.RequestsCookieJar()
    theirs: Any = http.cookiejar.CookieJar() if standard else requests_cookies.RequestsCookieJar()
    request = trio_http.Request("GET", url)
    response = trio_http.Response(200, headers=[("Set-Cookie", v) for v in _SET_COOKIES])
    cookies.extract_cookies_to_jar(ours, request, response)
    requests_cookies.extract_cookies_to_jar(
        theirs, requests.Request("GET", url).prepare(), requests_raw_response(*_SET_COOKIES)
    )
    assert filed(ours) == filed(theirs)
    assert {c.name for c in every_cookie(ours)} == {"host", "wide", "scoped", "secure"}


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.com/",
        "http://www.example.com/",
        "https://api.example.com/api/items",
        "https://www.example.com/api",
        "https://example.org/",
    ],
)
@pytest.mark.parametrize("standard", [False, True])
def test_get_cookie_header_matches_requests(url: str, standard: bool) -> None:
    origin = "https://www.example.com/login"
    jars: list[Any] = []
    for module in (cookies, requests_cookies):
        jar = http.cookiejar.CookieJar() if standard else module.RequestsCookieJar()
        if module is cookies:
            request: Any = trio_http.Request("GET", origin)
            response: Any = trio_http.Response(
                200, headers=[("Set-Cookie", v) for v in _SET_COOKIES]
            )
        else:
            request = requests.Request("GET", origin).prepare()
            response = requests_raw_response(*_SET_COOKIES)
        module.extract_cookies_to_jar(jar, request, response)
        jars.append(jar)
    ours = cookies.get_cookie_header(jars[0], trio_http.Request("GET", url))
    theirs = requests_cookies.get_cookie_header(jars[1], requests.Request("GET", url).prepare())
    assert (ours and sorted(ours.split("; "))) == (theirs and sorted(theirs.split("; ")))


def test_get_cookie_header_leaves_the_request_alone() -> None:
    jar = cookies.cookiejar_from_dict({"a": "1"})
    request = trio_http.Request("GET", "https://example.com/")
    assert cookies.get_cookie_header(jar, request) == "a=1"
    assert "Cookie" not in request.headers
    given_header = trio_http.Request("GET", "https://example.com/", headers={"Cookie": "x=y"})
    assert cookies.get_cookie_header(jar, given_header) is None
    theirs = requests.Request("GET", "https://example.com/", headers={"Cookie": "x=y"}).prepare()
    assert (
        requests_cookies.get_cookie_header(cookies.cookiejar_from_dict({"a": "1"}).jar, theirs)
        is None
    )


def test_extract_cookies_to_jar_applies_the_cookie_limits() -> None:
    jar = http.cookiejar.CookieJar()
    response = trio_http.Response(200, headers={"Set-Cookie": "big=" + "x" * 5000})
    cookies.extract_cookies_to_jar(jar, trio_http.Request("GET", "https://a.example/"), response)
    assert list(jar) == []


def test_every_name_requests_code_imports_is_there() -> None:
    for name in cookies.__all__:
        assert hasattr(requests_cookies, name), name


def test_a_quoted_value_from_a_response_loses_its_escaped_quotes_as_in_requests() -> None:
    # werkzeug (httpbin) answers /cookies/set?foo="bar:baz" so; requests'
    # session then holds '"bar:baz"'.
    header = 'foo="\\"bar:baz\\""; Path=/'

    def handler(request: trio_http.Request) -> trio_http.Response:
        return trio_http.Response(200, headers={"Set-Cookie": header})

    with trio_http.Session(transport=trio_http.MockTransport(handler)) as session:
        session.get("http://example.com/")
        assert session.cookies["foo"] == '"bar:baz"'
    async_jar = trio_http.Cookies()
    async_jar.set_cookie(cookies.create_cookie("foo", '"\\"bar:baz\\""'))
    assert async_jar["foo"] == '"\\"bar:baz\\""'  # trio_http.Cookies keeps it as sent
