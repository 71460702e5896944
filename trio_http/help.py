"""What to paste into a bug report: ``python -m trio_http.help``.

Like requests' ``requests.help``: :func:`info` gathers the platform, the
Python implementation, the OpenSSL Python was built with, and the versions
of trio_http, of the packages it needs and of the optional ones its extras
install; :func:`main` prints them as JSON. Versions come from the installed
distributions' metadata, so no optional package is imported.
"""

from __future__ import annotations

import json
import platform
import ssl
import sys
from importlib import metadata

from ._client_defaults import __version__

__all__ = ["info", "main"]

# The distributions trio_http needs (pyproject.toml's dependencies).
_REQUIRED_PACKAGES = ("trio", "h11", "h2", "certifi", "idna")
# The distributions behind its extras: brotli or brotlicffi (br), zstandard
# (zstd), socksio (socks), urllib3, truststore, rich (cli).
_OPTIONAL_PACKAGES = (
    "brotli",
    "brotlicffi",
    "zstandard",
    "socksio",
    "urllib3",
    "truststore",
    "rich",
)


def _installed_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _implementation() -> dict[str, str | None]:
    name = platform.python_implementation()
    pypy = getattr(sys, "pypy_version_info", None)
    if pypy is None:
        version = platform.python_version()
    else:
        # PyPy's own version, not the version of the language it implements.
        level = "" if pypy.releaselevel == "final" else pypy.releaselevel
        version = f"{pypy.major}.{pypy.minor}.{pypy.micro}{level}"
    return {"name": name, "version": version}


def _platform() -> dict[str, str | None]:
    try:
        return {"system": platform.system(), "release": platform.release()}
    except OSError:  # uname() can fail in a locked-down sandbox
        return {"system": "Unknown", "release": "Unknown"}


def info() -> dict[str, dict[str, str | None]]:
    """Facts about this installation for a bug report, as requests' ``help.info()`` gives.

    Returns:
        ``"platform"`` (``system``, ``release``), ``"implementation"``
        (``name``, ``version``), ``"system_ssl"`` (``version``, OpenSSL's
        version number in hex as requests writes it, and ``name``),
        ``"trio_http"``, then one entry per required and optional package,
        each ``{"version": ...}``; the version is ``None`` when the package
        is not installed.
    """
    report: dict[str, dict[str, str | None]] = {
        "platform": _platform(),
        "implementation": _implementation(),
        "system_ssl": {"version": f"{ssl.OPENSSL_VERSION_NUMBER:x}", "name": ssl.OPENSSL_VERSION},
        "trio_http": {"version": __version__},
    }
    for distribution in _REQUIRED_PACKAGES + _OPTIONAL_PACKAGES:
        report[distribution] = {"version": _installed_version(distribution)}
    return report


def main() -> None:
    """Print :func:`info` as indented JSON, keys sorted."""
    print(json.dumps(info(), sort_keys=True, indent=2))


if __name__ == "__main__":
    main()
