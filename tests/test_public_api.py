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
    assert public <= set(names) | {
        "auth",
        "compat",
        "cookies",
        "exceptions",
        "help",
        "structures",
        "testing",
        "utils",
    }


def test_requests_compat_and_help_are_imported_on_demand() -> None:
    # Neither is needed by trio_http itself: ``import trio_http`` stays cheap.
    import subprocess
    import sys

    code = (
        "import sys, trio_http\n"
        "assert not {'trio_http.compat', 'trio_http.help'} & set(sys.modules)\n"
        "import trio_http.compat, trio_http.help\n"
        "from trio_http import compat, help\n"
        "assert compat.urljoin and help.info\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_requests_helper_modules_come_with_the_package() -> None:
    # ``requests.utils`` and ``requests.cookies`` code ports by renaming the
    # import; the modules are attributes right after ``import trio_http``.
    assert trio_http.utils.requote_uri("http://a/ b") == "http://a/%20b"
    assert issubclass(trio_http.cookies.RequestsCookieJar, trio_http.Cookies)
    assert trio_http.cookies.CookieConflictError is trio_http.CookieConflictError


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


def _exported_classes() -> list[type]:
    return [
        value
        for name in trio_http.__all__
        if isinstance(value := getattr(trio_http, name), type) and value.__name__ == name
    ]


def test_public_classes_report_the_module_users_import_them_from() -> None:
    import trio_http.structures

    defined_in_public_modules = {trio_http.structures.CaseInsensitiveDict: "trio_http.structures"}
    for cls in _exported_classes():
        assert cls.__module__ == defined_in_public_modules.get(cls, "trio_http"), cls
        assert getattr(__import__(cls.__module__, fromlist=["_"]), cls.__qualname__) is cls
    assert repr(trio_http.Response) == "<class 'trio_http.Response'>"
    assert trio_http.Client is trio_http.Session


def test_testing_classes_report_trio_http_testing() -> None:
    import trio_http.testing

    for name in trio_http.testing.__all__:
        value = getattr(trio_http.testing, name)
        if isinstance(value, type):
            assert value.__module__ == "trio_http.testing", name


def test_private_classes_keep_their_own_module() -> None:
    from trio_http._response_head import ResponseHead

    assert ResponseHead.__module__ == "trio_http._response_head"


def test_every_exception_pickles() -> None:
    import pickle

    for cls in _exported_classes():
        if not issubclass(cls, BaseException) or issubclass(cls, Warning):
            continue
        if cls is trio_http.JSONDecodeError:
            error = cls("Expecting value", "x", 0)
        elif cls is trio_http.StreamReset:
            error = cls("stream 3 reset", error_code=8)
        else:
            error = cls("boom")
        clone = pickle.loads(pickle.dumps(error))
        assert type(clone) is cls
        assert str(clone) == str(error)
        if cls is trio_http.StreamReset:
            assert clone.error_code == 8


def test_settings_values_pickle() -> None:
    import pickle

    for value in (
        trio_http.Timeouts(5, total=30),
        trio_http.Limits(max_connections=10),
        trio_http.Headers({"a": "1"}),
        trio_http.URL("https://example.org/a?b=1"),
    ):
        assert pickle.loads(pickle.dumps(value)) == value


def test_import_loads_the_public_names_on_first_use() -> None:
    import subprocess
    import sys

    code = (
        "import sys, trio_http\n"
        "assert not [m for m in sys.modules if m.startswith('trio_http.')], sorted(sys.modules)\n"
        "assert 'trio' not in sys.modules and 'h11' not in sys.modules\n"
        "assert 'get' in dir(trio_http) and 'Session' in dir(trio_http)\n"
        "trio_http.Session\n"
        "for lazy in ('h2', 'trio_http._transports._asgi', 'trio_http._transports._wsgi',\n"
        "             'trio_http._transports._socks', 'trio_http._transports._urllib3',\n"
        "             'trio_http._auth_digest', 'trio_http.utils'):\n"
        "    assert lazy not in sys.modules, lazy\n"
        "assert trio_http.Session.__module__ == 'trio_http'\n"
        "try:\n"
        "    trio_http.no_such_name\n"
        "except AttributeError as exc:\n"
        "    assert 'no_such_name' in str(exc)\n"
        "else:\n"
        "    raise AssertionError('no AttributeError')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
