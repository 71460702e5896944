"""Authentication challenges: parsing ``WWW-Authenticate`` (RFC 9110 §11.6.1).

A header value may hold several challenges, each a scheme followed by
either a token68 or comma-separated ``name=value`` auth-params. A value that
does not parse is skipped whole rather than half-read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import final

__all__ = ["Challenge", "parse_challenges"]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*[ \t]*(?=,|$)")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_SKIP_WS = re.compile(r"[ \t]*")
_SKIP_WS_COMMAS = re.compile(r"[ \t,]*")
_MAX_CHALLENGE_LENGTH = 16 * 1024  # per header value; longer is not parsed


@final
@dataclass(frozen=True, slots=True)
class Challenge:
    """One challenge of a ``WWW-Authenticate`` header.

    Attributes:
        scheme: the auth scheme, as sent (compare case-insensitively).
        params: the auth-params, names lower-cased, quoted strings unescaped.
        token68: the token68 form (``Negotiate abc==``), ``None`` if absent.
    """

    scheme: str
    params: dict[str, str]
    token68: str | None = None


def _parse_challenge_value(text: str) -> list[Challenge]:
    challenges: list[Challenge] = []
    params: dict[str, str] | None = None
    end = len(text)
    pos = 0
    while True:
        pos = _SKIP_WS_COMMAS.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= end:
            return challenges
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ValueError(f"unexpected character {text[pos]!r} at {pos}")
        name = match.group()
        after = _SKIP_WS.match(text, match.end()).end()  # type: ignore[union-attr]
        if params is not None and after < end and text[after] == "=":
            # auth-param = token BWS "=" BWS ( token / quoted-string )
            pos = _SKIP_WS.match(text, after + 1).end()  # type: ignore[union-attr]
            if pos < end and text[pos] == '"':
                quoted = _QUOTED.match(text, pos)
                if quoted is None:
                    raise ValueError("unterminated quoted string")
                value = _QUOTED_PAIR.sub(r"\1", quoted.group(1))
                pos = quoted.end()
            else:
                token = _TOKEN.match(text, pos)
                if token is None:
                    raise ValueError(f"parameter {name!r} has no value")
                value = token.group()
                pos = token.end()
            key = name.lower()
            if key in params:
                raise ValueError(f"parameter {name!r} repeated")  # RFC 9110 §11.2
            params[key] = value
            pos = _SKIP_WS.match(text, pos).end()  # type: ignore[union-attr]
            if pos < end and text[pos] != ",":
                raise ValueError(f"expected ',' at {pos}")
            continue
        # A token not followed by "=" starts the next challenge.
        params = {}
        token68 = _TOKEN68.match(text, after)
        if token68 is not None:
            challenges.append(Challenge(name, params, token68.group().rstrip(" \t")))
            pos = token68.end()
            params = None  # no auth-params follow a token68
        else:
            challenges.append(Challenge(name, params))
            pos = after


def parse_challenges(values: Iterable[str]) -> list[Challenge]:
    """Parse ``WWW-Authenticate`` (or ``Proxy-Authenticate``) header values.

    One value may hold several comma-separated challenges. A value that
    cannot be parsed is skipped as a whole: a challenge cut short by a
    syntax error could otherwise be mistaken for a complete one.

    Args:
        values: each header value, e.g. ``response.headers.get_list(...)``.

    Returns:
        The challenges in the order sent.
    """
    challenges: list[Challenge] = []
    for value in values:
        if len(value) > _MAX_CHALLENGE_LENGTH:
            continue
        try:
            challenges.extend(_parse_challenge_value(value))
        except ValueError:
            continue
    return challenges
