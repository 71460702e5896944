"""Reading a jar by name: the mapping view, requests' queries, and the views over every cookie."""

from __future__ import annotations

import pytest

from trio_http._cookies import CookieConflictError, Cookies


def two_domains() -> Cookies:
    jar = Cookies()
    jar.set("sid", "one", domain="a.example")
    jar.set("sid", "two", domain="b.example", path="/x")
    jar.set("lang", "en")
    return jar


def test_items_and_values_see_every_cookie_and_never_conflict() -> None:
    jar = two_domains()
    with pytest.raises(CookieConflictError):
        jar["sid"]
    assert sorted(jar.items()) == [("lang", "en"), ("sid", "one"), ("sid", "two")]
    assert len(jar.items()) == len(jar.values()) == 3
    assert ("sid", "two") in jar.items() and ("sid", "three") not in jar.items()
    assert "one" in jar.values() and "three" not in jar.values()
    assert dict(jar.items())["sid"] in ("one", "two")


def test_keys_iteration_and_len_count_each_name_once() -> None:
    jar = two_domains()
    assert sorted(jar) == sorted(jar.keys()) == ["lang", "sid"]
    assert len(jar) == 2
    assert sorted(jar.iterkeys()) == ["lang", "sid", "sid"]


def test_views_follow_the_jar() -> None:
    jar = Cookies()
    items, values = jar.items(), jar.values()
    jar["a"] = "1"
    assert list(items) == [("a", "1")] and list(values) == ["1"]


def test_view_reprs_never_show_values() -> None:
    jar = Cookies({"sid": "s3cr3t"})
    assert "s3cr3t" not in repr(jar.items()) and "sid" in repr(jar.items())
    assert "s3cr3t" not in repr(jar.values())


def test_domains_and_paths_are_listed_once() -> None:
    jar = two_domains()
    jar.set("other", "x", domain="a.example")
    assert sorted(jar.list_domains()) == ["", "a.example", "b.example"]
    assert jar.list_paths() == ["/", "/x"]
    assert jar.multiple_domains()
    single = Cookies()
    single.set("a", "1", domain="a.example")
    single.set("b", "2", domain="a.example")
    assert not single.multiple_domains()
    assert not Cookies().multiple_domains()


def test_a_cookie_without_a_value_reads_as_empty_text() -> None:
    jar = Cookies()
    cookie = jar.set("flag", "x")
    assert cookie is not None
    cookie.value = None  # Set-Cookie: flag (no "=") is stored so
    assert jar.get_dict() == {"flag": ""}
    assert list(jar.iteritems()) == [("flag", "")]
    assert jar.get("flag") is None
    with pytest.raises(KeyError):
        jar["flag"]
