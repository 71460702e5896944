"""CaseInsensitiveDict and LookupDict: requests' semantics."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
import requests.structures
from hypothesis import given
from hypothesis import strategies as st

from trio_http.structures import CaseInsensitiveDict, LookupDict


def test_lookups_ignore_case_and_keys_keep_the_last_spelling() -> None:
    d: CaseInsensitiveDict[str] = CaseInsensitiveDict({"Content-Type": "a"})
    d["CONTENT-type"] = "b"
    assert d["content-type"] == "b"
    assert list(d) == ["CONTENT-type"]
    assert "Content-TYPE" in d and 1 not in d
    del d["Content-Type"]
    assert len(d) == 0


def test_equality_with_any_mapping_ignores_case() -> None:
    d: CaseInsensitiveDict[str] = CaseInsensitiveDict(Accept="x")
    assert d == {"ACCEPT": "x"}
    assert d != {"accept": "y"}
    assert d != ["accept"]


def test_copy_repr_lower_items_and_pickle() -> None:
    d: CaseInsensitiveDict[str] = CaseInsensitiveDict([("A", "1")])
    clone = d.copy()
    clone["b"] = "2"
    assert "b" not in d
    assert repr(d) == "{'A': '1'}"
    assert list(clone.lower_items()) == [("a", "1"), ("b", "2")]
    assert pickle.loads(pickle.dumps(clone)) == clone


@given(st.dictionaries(st.text(st.characters(max_codepoint=127), min_size=1), st.integers()))
def test_any_key_is_found_in_any_case(items: dict[str, int]) -> None:
    d = CaseInsensitiveDict(items)
    for key in items:
        assert key.upper() in d and key.lower() in d
        assert d[key.swapcase()] == d[key]


def test_snapshot_items_keeps_the_last_spelling_and_is_detached() -> None:
    d: CaseInsensitiveDict[str] = CaseInsensitiveDict({"Accept": "a", "X-One": "1"})
    d["ACCEPT"] = "b"
    snapshot = d.snapshot_items()
    assert snapshot == (("ACCEPT", "b"), ("X-One", "1"))
    d["x-two"] = "2"
    assert len(snapshot) == 2


def _both(name: object) -> list[Any]:
    """A trio_http and a requests LookupDict, each with ``bad_gateway = 502``."""
    lookups: list[Any] = [LookupDict(name), requests.structures.LookupDict(name)]
    for lookup in lookups:
        lookup.bad_gateway = 502
    return lookups


@pytest.mark.parametrize("key", ["bad_gateway", "not_a_key", "name", "BAD_GATEWAY"])
def test_lookup_dict_reads_entries_like_requests(key: str) -> None:
    ours, theirs = _both("test")
    assert ours[key] == theirs[key]
    assert ours.get(key) == theirs.get(key)
    assert ours.get(key, "default") == theirs.get(key, "default")


def test_lookup_dict_repr_and_emptiness_match_requests() -> None:
    ours, theirs = _both("status_codes")
    assert repr(ours) == repr(theirs) == "<lookup 'status_codes'>"
    assert len(ours) == len(theirs) == 0
    assert dict(ours) == dict(theirs) == {}
    assert isinstance(ours, dict)
    assert repr(LookupDict()) == repr(requests.structures.LookupDict()) == "<lookup 'None'>"


def test_lookup_dict_missing_entries_read_none_but_missing_attributes_raise() -> None:
    lookup: LookupDict[int] = LookupDict("test")
    lookup.ok = 200  # type: ignore[attr-defined]
    assert lookup.ok == 200
    assert lookup["ok"] == 200
    assert lookup["missing"] is None
    assert lookup.get("missing", 0) == 0
    with pytest.raises(AttributeError, match="missing"):
        _ = lookup.missing
    with pytest.raises(AttributeError):
        _ = requests.structures.LookupDict("test").missing
