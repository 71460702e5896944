"""Mount patterns: matching and specificity."""

from __future__ import annotations

import pytest

from trio_http import URL, InvalidURL
from trio_http._urlpatterns import URLPattern, sort_patterns


@pytest.mark.parametrize(
    ("pattern", "url", "expected"),
    [
        ("all://", "http://a.example/", True),
        ("https://", "http://a.example/", False),
        ("https://", "https://a.example/", True),
        ("all://a.example", "https://a.example/x", True),
        ("all://a.example", "https://b.a.example/x", False),
        ("all://*.a.example", "https://b.a.example/", True),
        ("all://*.a.example", "https://a.example/", False),
        ("all://*a.example", "https://a.example/", True),
        ("all://*a.example", "https://b.a.example/", True),
        ("all://*a.example", "https://ba.example/", False),
        ("http://*:8080", "http://x.example:8080/", True),
        ("http://*:8080", "http://x.example/", False),
        ("http://x.example:80", "http://x.example/", True),
        ("all://bücher.example", "http://xn--bcher-kva.example/", True),
        ("all://[::1]:8000", "http://[::1]:8000/", True),
    ],
)
def test_pattern_matching(pattern: str, url: str, expected: bool) -> None:
    assert URLPattern(pattern).matches(URL(url)) is expected


def test_most_specific_pattern_sorts_first() -> None:
    patterns = [
        URLPattern(p) for p in ("all://", "https://", "all://a.example", "all://a.example:8443")
    ]
    ordered = [p.pattern for p in sort_patterns(patterns)]
    assert ordered == ["all://a.example:8443", "all://a.example", "https://", "all://"]


@pytest.mark.parametrize("bad", ["example.com", "http://host:port"])
def test_bad_patterns_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidURL):
        URLPattern(bad)
