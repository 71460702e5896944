"""File names of ``trio-http fetch`` downloads: safe, from the URL, unique."""

from __future__ import annotations

import os
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_http._cli_names import (
    DEFAULT_NAME,
    MAX_NAME_BYTES,
    NameAllocator,
    name_from_url,
    safe_name,
)


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://example.org/files/report.pdf", "report.pdf"),
        ("https://example.org/files/report.pdf?version=2#top", "report.pdf"),
        ("https://example.org/docs/", "docs"),
        ("https://example.org/", DEFAULT_NAME),
        ("https://example.org", DEFAULT_NAME),
        ("https://example.org/caf%C3%A9%20menu.txt", "café menu.txt"),
        ("https://example.org/..%2F..%2Fetc%2Fpasswd", "_.._etc_passwd"),
        ("https://example.org/%2E%2E", DEFAULT_NAME),
        ("https://example.org/.bashrc", "bashrc"),
        ("https://example.org/a%5Cb%00c", "a_b_c"),
        ("https://example.org/%1B%5B31mred", "_[31mred"),
    ],
)
def test_name_from_url(url: str, name: str) -> None:
    assert name_from_url(url) == name


def test_a_long_name_is_cut_to_the_limit_keeping_its_extension() -> None:
    name = safe_name("é" * 300 + ".tar.gz")
    assert name.endswith("é.gz")
    assert len(name.encode()) <= MAX_NAME_BYTES


@given(st.text())
def test_any_path_segment_names_a_file_directly_inside_the_directory(text: str) -> None:
    name = name_from_url("https://example.org/dir/" + quote(text, safe=""))
    assert name and name not in (".", "..") and not name.startswith(".")
    assert "/" not in name and "\\" not in name and "\0" not in name
    assert not any(ord(char) < 0x20 for char in name)
    assert len(name.encode()) <= MAX_NAME_BYTES
    base = os.path.abspath("/downloads")
    assert os.path.dirname(os.path.abspath(os.path.join(base, name))) == base


def test_allocator_adds_a_counter_before_the_extension() -> None:
    names = NameAllocator()
    taken = [names.allocate(name) for name in ["a.txt", "a.txt", "A.TXT", "a-1.txt", "b", "b"]]
    assert taken == ["a.txt", "a-1.txt", "A-2.TXT", "a-1-1.txt", "b", "b-1"]


@given(st.lists(st.sampled_from(["index", "Index", "index-1", "x.html", "x-1.html"])))
def test_allocated_names_never_collide_even_ignoring_case(requested: list[str]) -> None:
    names = NameAllocator()
    taken = [names.allocate(name) for name in requested]
    assert len({name.casefold() for name in taken}) == len(taken)
