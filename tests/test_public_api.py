"""The public surface: names, exceptions, status codes (layering: test_layers.py)."""

from __future__ import annotations

import trio_http


def test_all_is_sorted_complete_and_importable() -> None:
    names = trio_http.__all__
    assert list(names) == sorted(names)
    for name in names:
        assert hasattr(trio_http, name), name
    public = {n for n in vars(trio_http) if not n.startswith("_")} - {"annotations"}
    # Public submodules are attributes of the package once imported.
    assert public <= set(names) | {"auth", "exceptions", "structures", "testing"}


def test_requests_exception_inheritance() -> None:
    assert issubclass(trio_http.ConnectTimeout, trio_http.ConnectionError)
    assert issubclass(trio_http.ConnectTimeout, trio_http.Timeout)
    assert issubclass(trio_http.ReadTimeout, trio_http.Timeout)
    assert issubclass(trio_http.Timeout, trio_http.RequestException)
    assert issubclass(trio_http.RequestException, OSError)
    assert issubclass(trio_http.JSONDecodeError, ValueError)
    assert issubclass(trio_http.InvalidURL, ValueError)
    assert issubclass(trio_http.MissingSchema, trio_http.RequestException)
    assert trio_http.exceptions.HTTPError is trio_http.HTTPError


def test_json_decode_error_keeps_position_and_pickles() -> None:
    import pickle

    error = trio_http.JSONDecodeError("Expecting value", "x", 0)
    assert error.pos == 0 and error.doc == "x"
    clone = pickle.loads(pickle.dumps(error))
    assert isinstance(clone, trio_http.JSONDecodeError)
    assert clone.msg == "Expecting value"


def test_codes_lookup_spellings() -> None:
    assert trio_http.codes.ok == trio_http.codes.OK == trio_http.codes["ok"] == 200
    assert trio_http.codes.not_found == 404
    assert trio_http.codes.teapot == 418
