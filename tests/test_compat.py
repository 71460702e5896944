"""trio_http.compat against requests.compat: the names code imports from it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests
import requests.compat as requests_compat

import trio_http
from trio_http import compat

# The names requests' compat module gives on Python 3 that are the standard
# library's own objects: trio_http's must be the very same ones.
STANDARD_LIBRARY_NAMES = [
    "Callable",
    "Mapping",
    "Morsel",
    "MutableMapping",
    "OrderedDict",
    "StringIO",
    "builtin_str",
    "bytes",
    "cookielib",
    "getproxies",
    "getproxies_environment",
    "json",
    "parse_http_list",
    "proxy_bypass",
    "proxy_bypass_environment",
    "quote",
    "quote_plus",
    "str",
    "unquote",
    "unquote_plus",
    "urldefrag",
    "urlencode",
    "urljoin",
    "urlparse",
    "urlsplit",
    "urlunparse",
]


@pytest.mark.parametrize("name", STANDARD_LIBRARY_NAMES)
def test_standard_library_names_are_requests_objects(name: str) -> None:
    assert getattr(compat, name) is getattr(requests_compat, name)


@pytest.mark.parametrize(
    "name", ["basestring", "numeric_types", "integer_types", "is_py2", "is_py3", "has_simplejson"]
)
def test_python3_answers_match_requests(name: str) -> None:
    assert getattr(compat, name) == getattr(requests_compat, name)


def test_every_name_is_in_all_and_exists_in_requests_compat() -> None:
    assert list(compat.__all__) == sorted(compat.__all__)
    for name in compat.__all__:
        assert hasattr(compat, name), name
        assert hasattr(requests_compat, name), name
    public = {name for name in vars(compat) if not name.startswith("_")}
    assert public - {"annotations", "ModuleType"} == set(compat.__all__)


def test_json_decode_error_is_trio_https_and_catches_response_json_errors() -> None:
    assert compat.JSONDecodeError is trio_http.JSONDecodeError
    assert issubclass(compat.JSONDecodeError, json.JSONDecodeError)
    response = trio_http.Response(200, content=b"not json")
    with pytest.raises(compat.JSONDecodeError):
        response.json()


def test_json_decode_error_differs_from_requests_by_being_trio_https() -> None:
    # requests' is json's own, a base of requests.exceptions.JSONDecodeError.
    assert requests_compat.JSONDecodeError is json.JSONDecodeError
    assert issubclass(requests.exceptions.JSONDecodeError, requests_compat.JSONDecodeError)


def test_no_character_detection_and_urllib3_2_behaviour() -> None:
    assert compat.chardet is None
    assert compat.is_urllib3_1 is False
    assert requests_compat.is_urllib3_1 is False  # urllib3 2 in this environment


def test_text_body_is_sent_as_utf8_as_is_urllib3_1_false_implies() -> None:
    request = trio_http.Request("POST", "http://example.com/", data="é")
    assert request.content == "é".encode()
    assert request.body == "é"  # as requests shows it


def test_import_is_explicit_and_cheap() -> None:
    code = (
        "import sys, trio_http\n"
        "assert 'trio_http.compat' not in sys.modules\n"
        "import trio_http.compat\n"
        "from trio_http.compat import urljoin\n"
        "assert trio_http.compat.urljoin is urljoin\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
