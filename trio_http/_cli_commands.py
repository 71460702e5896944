"""What a ``trio-http`` command line asks for, as frozen values.

:mod:`._cli_args` declares the options; the functions here turn what it
parsed into a :class:`RequestCommand` or a :class:`FetchCommand`, checking
what argparse cannot (a method is a token, ``--json`` parses, files
exist). They do the only blocking work before Trio starts: reading
``@file`` bodies and prompting for a password. Nothing past this module
sees an argparse ``Namespace``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from dataclasses import dataclass

import trio_http

__all__ = [
    "PROG",
    "TOKEN",
    "ClientSettings",
    "FetchCommand",
    "RequestCommand",
    "UsageError",
    "fetch_command",
    "request_command",
]

PROG = "trio-http"
# RFC 9110 §5.6.2: a method or a header name is a token.
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
Pairs = tuple[tuple[str, str], ...]


class UsageError(Exception):
    """A bad argument noticed after argparse accepted it; exit status 2."""


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """The options that configure the :class:`trio_http.AsyncClient`."""

    headers: Pairs
    auth: tuple[str, str] | None
    timeout: trio_http.Timeouts
    http2: bool
    verify: bool | str
    proxy: str | None
    follow_redirects: bool

    def open_client(self, *, headers: Pairs = ()) -> trio_http.AsyncClient:
        """A client with these settings; ``headers`` are defaults the user's override.

        Raises:
            UsageError: a setting the client rejects (a bad proxy URL).
        """
        given = {name.lower() for name, _ in self.headers}
        merged = [pair for pair in headers if pair[0].lower() not in given]
        try:
            return trio_http.AsyncClient(
                headers=[*merged, *self.headers],
                auth=self.auth,
                timeout=self.timeout,
                http2=self.http2,
                verify=self.verify,
                proxy=self.proxy,
                follow_redirects=self.follow_redirects,
            )
        except (ValueError, TypeError, trio_http.RequestException) as exc:
            raise UsageError(f"{type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class RequestCommand:
    """``trio-http [METHOD] URL``: one request, its head and body shown."""

    client: ClientSettings
    method: str
    url: str
    params: Pairs
    json_text: str | None  # sent as it is, after checking that it parses
    form: Pairs | None
    content: bytes | None
    verbose: bool
    quiet: bool
    download: str | None
    check_status: bool


@dataclass(frozen=True, slots=True)
class FetchCommand:
    """``trio-http fetch FILE``: download every URL listed in FILE (``-``: stdin)."""

    client: ClientSettings
    source: str
    directory: str
    max_in_flight: int
    max_per_host: int | None
    verbose: bool


def read_argument(text: str) -> bytes:
    """``@-``: standard input; ``@path``: that file's bytes; else the text as UTF-8."""
    if not text.startswith("@"):
        return text.encode()
    if text == "@-":
        return sys.stdin.buffer.read()
    try:
        with open(text[1:], "rb") as file:
            return file.read()
    except OSError as exc:
        raise UsageError(f"cannot read {text[1:]!r}: {exc.strerror or exc}") from exc


def client_settings(args: argparse.Namespace) -> ClientSettings:
    """The client options both command shapes share."""
    auth: tuple[str, str] | None = None
    if args.auth is not None:
        user, sep, password = str(args.auth).partition(":")
        if not sep:
            password = getpass.getpass(f"password for {user}: ")
        auth = (user, password)
    if args.cacert is not None and not os.path.exists(args.cacert):
        raise UsageError(f"--cacert: no such file: {args.cacert!r}")
    timeout = trio_http.Timeouts(
        **({} if args.timeout is None else {"timeout": args.timeout}),
        total=args.total_timeout,
    )
    return ClientSettings(
        headers=tuple(args.headers or ()),
        auth=auth,
        timeout=timeout,
        http2=bool(args.http2),
        verify=args.cacert if args.cacert is not None else bool(args.verify),
        proxy=args.proxy,
        follow_redirects=bool(args.follow),
    )


def request_command(args: argparse.Namespace) -> RequestCommand:
    """The request that the parsed ``trio-http [METHOD] URL`` arguments ask for."""
    json_text: str | None = None
    if args.json is not None:
        json_text = read_argument(args.json).decode("utf-8", "replace")
        try:
            json.loads(json_text)
        except ValueError as exc:
            raise UsageError(f"--json is not valid JSON: {exc}") from exc
    content = None if args.data is None else read_argument(args.data)
    form = None if args.form is None else tuple(args.form)
    if args.url is None:
        method = "POST" if (json_text, form, content) != (None, None, None) else "GET"
        url = str(args.method_or_url)
    else:
        method, url = str(args.method_or_url).upper(), str(args.url)
        if not TOKEN.fullmatch(method):
            raise UsageError(f"not a request method: {args.method_or_url!r}")
    if args.download is not None:
        if os.path.isdir(args.download):
            raise UsageError(f"--download: {args.download!r} is a directory")
        if not os.path.isdir(os.path.dirname(args.download) or "."):
            raise UsageError(f"--download: no directory for {args.download!r}")
    return RequestCommand(
        client=client_settings(args),
        method=method,
        url=url,
        params=tuple(args.params or ()),
        json_text=json_text,
        form=form,
        content=content,
        verbose=bool(args.verbose),
        quiet=bool(args.quiet),
        download=args.download,
        check_status=bool(args.check_status),
    )


def fetch_command(args: argparse.Namespace) -> FetchCommand:
    """The fan-out that the parsed ``trio-http fetch`` arguments ask for."""
    return FetchCommand(
        client=client_settings(args),
        source=args.source,
        directory=args.output_dir,
        max_in_flight=args.max_in_flight,
        max_per_host=args.max_per_host,
        verbose=bool(args.verbose),
    )
