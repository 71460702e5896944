"""Header values with parameters: ``;``-separated lists and ``Link``.

``split_params`` and ``unquote_param`` read the ``type; name=value`` shape
of RFC 9110 §5.6.6, quoted strings included (``Content-Type`` charsets use
them too); :func:`parse_link_header` reads RFC 8288 ``Link`` headers. They
never raise: a malformed part is kept as well as it can be, or skipped.
"""

from __future__ import annotations

__all__ = ["parse_link_header", "split_params", "unquote_param"]


def unquote_param(value: str) -> str:
    """Strip whitespace and one pair of quotes, undoing backslash escapes."""
    value = value.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
        if "\\" in value:
            chars: list[str] = []
            escaped = False
            for char in value:
                if escaped or char != "\\":
                    chars.append(char)
                    escaped = False
                else:
                    escaped = True
            value = "".join(chars)
    return value


def split_params(value: str) -> list[str]:
    """Split on ``;`` outside quoted strings."""
    if '"' not in value:
        return value.split(";")
    parts: list[str] = []
    start = 0
    quoted = False
    escaped = False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            parts.append(value[start:index])
            start = index + 1
    parts.append(value[start:])
    return parts


def _split_links(value: str) -> list[str]:
    """Split a Link header at commas outside ``<...>`` and quoted strings."""
    links: list[str] = []
    start = 0
    in_url = quoted = escaped = False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif in_url:
            in_url = char != ">"
        elif char == "<":
            in_url = True
        elif char == '"':
            quoted = True
        elif char == ",":
            links.append(value[start:index])
            start = index + 1
    links.append(value[start:])
    return links


_LINK_STRIP = "<> '\""


def parse_link_header(value: str) -> list[dict[str, str]]:
    """Parse a ``Link`` header (RFC 8288) into one dict per link.

    Each dict has ``url`` plus the link's parameters (``rel``, ``type``...),
    parameter names lower-cased and quotes removed. Malformed parts are
    skipped or kept as well as they can be, never raised.
    """
    result: list[dict[str, str]] = []
    for link in _split_links(value):
        if not link.strip():
            continue
        if "<" in link and ">" in link:
            opening = link.index("<")
            closing = link.index(">", opening)
            url = link[opening + 1 : closing].strip()
            rest = link[closing + 1 :]
        else:
            url, _, rest = link.partition(";")
            url = url.strip(_LINK_STRIP)
            rest = ";" + rest
        entry = {"url": url}
        for param in split_params(rest):
            name, eq, param_value = param.partition("=")
            name = name.strip().lower()
            if not name:
                continue
            entry[name] = unquote_param(param_value).strip(_LINK_STRIP) if eq else ""
        result.append(entry)
    return result
