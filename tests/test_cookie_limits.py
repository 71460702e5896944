from __future__ import annotations

import http.cookiejar
import time
from collections.abc import Callable, Iterable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from server import Responder, ServerRequest, TestServer
from test_cookies import cookie_header, header_pairs, set_cookie_response
from threaded_server import serve_in_thread

import trio_http
import trio_http._cookie_limits
from trio_http._config import (
    MAX_COOKIE_BYTES,
    MAX_COOKIE_HEADER_BYTES,
    MAX_COOKIES,
    MAX_COOKIES_PER_DOMAIN,
    MAX_SET_COOKIE_BYTES,
)
from trio_http._cookies import Cookies
from trio_http._response import Response

# -- Set-Cookie and cookies set by hand: sizes ----------------------------------

_BIG = 60_000  # bytes: a hostile Set-Cookie, well within the response header limit


def test_oversized_set_cookie_is_ignored_and_the_others_kept() -> None:
    jar = Cookies()
    jar.extract_cookies(set_cookie_response("https://example.com/", "big=" + "x" * _BIG, "small=1"))
    assert jar.get_dict() == {"small": "1"}
    assert cookie_header(jar, "https://example.com/") == "small=1"


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
    jar.extract_cookies(
        set_cookie_response("https://example.com/", f"{name}={'v' * value_size}{attributes}")
    )
    assert (name in jar) is kept


def test_non_ascii_cookie_is_measured_in_bytes() -> None:
    jar = Cookies()
    value = "é" * (MAX_COOKIE_BYTES // 2)  # 2 bytes each in UTF-8
    jar.extract_cookies(set_cookie_response("https://example.com/", f"a={value}"))
    assert "a" not in jar


def test_set_cookie_with_oversized_attributes_is_ignored() -> None:
    jar = Cookies()
    padding = "; x=" + "p" * MAX_SET_COOKIE_BYTES
    jar.extract_cookies(set_cookie_response("https://example.com/", "a=1" + padding, "b=2; Path=/"))
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
    header = cookie_header(jar, "https://example.com/api/items")
    assert header is not None
    assert _line_size(header) <= MAX_COOKIE_HEADER_BYTES
    # Longer path first, then earlier creation; c does not fit, but the
    # later, smaller d still does.
    assert [pair.split("=")[0] for pair in header.split("; ")] == ["b", "a", "d"]
    # Outside /api only a, c and d match, and all fit.
    assert header_pairs(cookie_header(jar, "https://example.com/")) == {
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
    header = cookie_header(jar, "https://example.com/")
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
    assert cookie_header(jar, "https://example.com/") is None
    jar.set("small", "1")
    assert cookie_header(jar, "https://example.com/") == "small=1"


@given(
    sizes=st.lists(st.integers(3, MAX_COOKIE_BYTES), min_size=1, max_size=12),
    paths=st.lists(st.sampled_from(["/", "/a", "/a/b"]), min_size=12, max_size=12),
)
def test_cookie_header_never_exceeds_the_limit(sizes: list[int], paths: list[str]) -> None:
    jar = Cookies()
    for index, size in enumerate(sizes):
        _filler(jar, f"c{index}", size, path=paths[index])
    header = cookie_header(jar, "https://example.com/a/b/c")
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
    return set_cookie_response(url, *(f"{name}=1" for name in names))


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
    jar.extract_cookies(set_cookie_response(url, "wide=1; Domain=example.com"))
    assert "wide" in jar and "c3" not in jar and "mine" in jar


def test_one_response_with_too_many_cookies_keeps_the_last_ones() -> None:
    jar = Cookies()
    count = MAX_COOKIES_PER_DOMAIN + 20
    jar.extract_cookies(_set_cookies("https://example.com/", (f"c{i}" for i in range(count))))
    assert set(jar) == {f"c{i}" for i in range(20, count)}


def test_jar_keeps_at_most_max_cookies_in_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trio_http._cookie_limits, "MAX_COOKIES", 10)
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
    monkeypatch.setattr(trio_http._cookie_limits, "MAX_COOKIES_PER_DOMAIN", 3)
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
        jar.extract_cookies(
            set_cookie_response(f"https://s{round_}.example/", f"r{round_}c0=; Max-Age=0")
        )
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
