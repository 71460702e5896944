"""How ``trio-http`` shows heads and bodies, rendered into in-memory consoles."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

import trio_http
from trio_http._cli_output import BodyKind, Output, body_kind, describe, looks_binary, printable


def make_output(*, terminal: bool) -> tuple[Output, io.StringIO, io.StringIO, io.BytesIO]:
    out, err, raw = io.StringIO(), io.StringIO(), io.BytesIO()
    output = Output(
        stdout=Console(file=out, force_terminal=terminal, highlight=False, soft_wrap=True),
        stderr=Console(file=err, force_terminal=terminal, highlight=False, soft_wrap=True),
        stdout_bytes=raw,
    )
    return output, out, err, raw


def response(body: bytes, content_type: str | None = None) -> trio_http.Response:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return trio_http.Response(200, headers=headers, content=body)


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("application/json", BodyKind.JSON),
        ("application/problem+json; charset=utf-8", BodyKind.JSON),
        ("text/html; charset=latin-1", BodyKind.TEXT),
        ("application/xml", BodyKind.TEXT),
        ("application/atom+xml", BodyKind.TEXT),
        ("application/octet-stream; charset=utf-8", BodyKind.TEXT),
        ("image/png", BodyKind.BINARY),
        (None, BodyKind.UNKNOWN),
    ],
)
def test_body_kind_by_content_type(content_type: str | None, kind: BodyKind) -> None:
    assert body_kind(content_type) is kind


def test_looks_binary() -> None:
    assert looks_binary(b"PK\x03\x04\x00\x00")
    assert looks_binary(b"\xff\xfe\xfd plain?")
    assert not looks_binary("héllo wörld".encode())
    assert not looks_binary("ab€".encode()[:-1])  # a character cut by the sample's end


def test_printable_defuses_terminal_controls_but_keeps_lines_and_tabs() -> None:
    assert printable("a\tb\r\nc\x1b[2Jd\x07\x9b") == "a\tb\nc\ufffd[2Jd\ufffd\ufffd"


def test_describe_is_one_line() -> None:
    assert describe(trio_http.ReadTimeout("timed out\n  after 1 s")) == (
        "ReadTimeout: timed out after 1 s"
    )
    assert describe(KeyError()) == "KeyError"


async def test_json_is_indented_and_coloured_on_a_terminal() -> None:
    output, out, _, _ = make_output(terminal=True)
    await output.write_body(response(b'{"b": [1, "\\u001b"], "a": null}', "application/json"))
    text = out.getvalue()
    assert "\x1b[" in text
    assert '"b"' in text and '"\\u001b"' in text
    assert text.count("\n") == 7  # indented over seven lines, keys in their order


async def test_invalid_json_is_shown_as_text() -> None:
    output, out, _, _ = make_output(terminal=True)
    await output.write_body(response(b"{not json", "application/json"))
    assert out.getvalue() == "{not json\n"


async def test_text_on_a_terminal_is_decoded_by_charset_and_ends_its_line() -> None:
    output, out, _, _ = make_output(terminal=False)
    output.stdout = Console(file=out, force_terminal=True, color_system=None, soft_wrap=True)
    await output.write_body(
        response("grüße\r\nbye\x1b".encode("latin-1"), "text/plain; charset=latin-1")
    )
    assert out.getvalue() == "grüße\nbye\ufffd\n"


async def test_a_pipe_gets_the_body_bytes_as_they_are() -> None:
    output, out, _, raw = make_output(terminal=False)
    body = b'{"a": 1}\x00\xff'
    await output.write_body(response(body, "application/json"))
    assert raw.getvalue() == body
    assert out.getvalue() == ""


async def test_a_binary_body_on_a_terminal_is_a_note() -> None:
    output, out, err, _ = make_output(terminal=True)
    await output.write_body(response(b"\x00" * 2048))  # no Content-Type: sniffed
    assert out.getvalue() == ""
    assert "2,048 bytes" in err.getvalue() and "no Content-Type" in err.getvalue()


def test_heads_go_to_stderr_with_host_first() -> None:
    output, out, err, _ = make_output(terminal=False)
    request = trio_http.Request(
        "POST", "http://example.org/x?y=1", headers={"X-A": "1"}, content=b"body"
    )
    output.print_request(request, "HTTP/1.1")
    output.print_response(
        trio_http.Response(404, headers={"Server": "t"}, request=request, reason_phrase="")
    )
    lines = err.getvalue().splitlines()
    assert lines[:2] == ["POST /x?y=1 HTTP/1.1", "Host: example.org"]
    assert "body" in lines
    assert "HTTP/1.1 404" in lines and "Server: t" in lines
    assert out.getvalue() == ""


def test_a_form_body_is_shown_whatever_type_body_gives() -> None:
    # requests' ``body`` is text for form fields; the head shows the bytes sent.
    output, _, err, _ = make_output(terminal=False)
    request = trio_http.Request("POST", "http://example.org/", data={"a": "1", "b": "é"})
    assert isinstance(request.body, str)
    output.print_request(request, "HTTP/1.1")
    assert "a=1&b=%C3%A9" in err.getvalue().splitlines()


def test_a_streamed_body_is_not_read_to_be_shown() -> None:
    output, _, err, _ = make_output(terminal=False)
    request = trio_http.Request("POST", "http://example.org/", content=iter([b"payload"]))
    output.print_request(request, "HTTP/1.1")
    assert "payload" not in err.getvalue()
    assert "Transfer-Encoding: chunked" in err.getvalue().splitlines()
