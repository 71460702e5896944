"""Status codes: ``codes`` lookup object (requests-style) and reason phrases."""

from __future__ import annotations

from http import HTTPStatus
from typing import final

__all__ = ["codes", "reason_phrase"]

_PHRASES = {status.value: status.phrase for status in HTTPStatus}

# Extra names requests users reach for, beyond the HTTPStatus member names.
_ALIASES: dict[int, tuple[str, ...]] = {
    200: ("ok", "okay", "all_ok", "all_okay", "all_good", "\\o/", "✓"),
    201: ("created",),
    202: ("accepted",),
    204: ("no_content",),
    206: ("partial_content", "partial"),
    301: ("moved_permanently", "moved", "\\o-"),
    302: ("found",),
    303: ("see_other", "other"),
    304: ("not_modified",),
    307: ("temporary_redirect", "temporary_moved", "temporary"),
    308: ("permanent_redirect", "resume_incomplete", "resume"),
    400: ("bad_request", "bad"),
    401: ("unauthorized",),
    403: ("forbidden",),
    404: ("not_found", "-o-"),
    405: ("method_not_allowed", "not_allowed"),
    408: ("request_timeout",),
    409: ("conflict",),
    410: ("gone",),
    413: ("request_entity_too_large", "content_too_large"),
    418: ("im_a_teapot", "teapot", "i_am_a_teapot"),
    429: ("too_many_requests", "too_many"),
    500: ("internal_server_error", "server_error", "/o\\", "✗"),
    502: ("bad_gateway",),
    503: ("service_unavailable", "unavailable"),
    504: ("gateway_timeout",),
}


def reason_phrase(status_code: int) -> str:
    """The standard reason phrase for a status code, or ``""``."""
    return _PHRASES.get(status_code, "")


@final
class _Codes:
    """Status codes by name: ``codes.ok``, ``codes.OK`` and ``codes["ok"]``."""

    def __init__(self) -> None:
        names: dict[str, int] = {}
        for status in HTTPStatus:
            names[status.name.lower()] = status.value
        for value, aliases in _ALIASES.items():
            for alias in aliases:
                names[alias] = value
        self._names = names
        for name, value in names.items():
            if name.isidentifier():
                setattr(self, name, value)
                if not name.startswith(("\\", "/")):
                    setattr(self, name.upper(), value)

    def __getitem__(self, name: str) -> int:
        return self._names[name.lower()]

    def get(self, name: str, default: int | None = None) -> int | None:
        return self._names.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._names

    def __getattr__(self, name: str) -> int:
        # Only reached for names not set in __init__.
        try:
            return self._names[name.lower()]
        except KeyError:
            raise AttributeError(f"no status code named {name!r}") from None

    def __repr__(self) -> str:
        return "<lookup 'status_codes'>"


codes = _Codes()
