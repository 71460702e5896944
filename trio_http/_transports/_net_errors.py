"""Why a connection could not be opened, or broke at the TLS layer, in words.

How this works. Trio reports a failed ``open_tcp_stream`` as one
``OSError`` whose ``__cause__`` is an exception group holding the error of
each address it tried; :func:`connect_failure` names each address with its
reason (``Connection refused``, ``Network is unreachable``...). A failed TLS
handshake reaches us as ``trio.BrokenResourceError`` caused by the
``ssl.SSLError``; :func:`handshake_failure` turns its reason into a
sentence. When the certificate failed verification, the certificate the
server sent is read back from the ``ssl.SSLObject`` (its names, its
validity dates): it was not verified, so it serves for the message only.
:func:`tls_failure` does the same for an alert that arrives after the
handshake: under TLS 1.3 a server refuses a missing client certificate
only once the client has finished its side of the handshake, so the alert
comes with the first read.

Every function here is pure (no I/O) and returns text; the callers pick the
exception class.
"""

from __future__ import annotations

import datetime
import errno
import os
import re
import socket
import ssl
from typing import Any

__all__ = ["authority", "connect_failure", "handshake_failure", "tls_failure"]

# Certificate names shown in a hostname-mismatch message; the rest are counted.
MAX_NAMES_SHOWN = 8
# OpenSSL's X509_V_ERR_* codes that the messages explain further.
_NOT_YET_VALID = 9
_EXPIRED = 10
_HOSTNAME_MISMATCH = 62
_IP_ADDRESS_MISMATCH = 64
_UNTRUSTED_ISSUER = frozenset({2, 18, 19, 20, 21})

# Trio words a failed connect as "Error connecting to ('1.2.3.4', 80): ...".
_ADDRESS_IN_TRIO_ERROR = re.compile(r"connecting to \('([^']+)'")
# CPython words an SSLError as "[SSL: REASON] text (_ssl.c:1006)".
_SSL_TEXT = re.compile(r"^\[[A-Z0-9_]+: [A-Z0-9_]+\] (.*?)(?: \(_ssl\.c:\d+\))?$", re.DOTALL)

_CLIENT_CERT_REFUSED = frozenset(
    {
        "SSLV3_ALERT_BAD_CERTIFICATE",
        "SSLV3_ALERT_CERTIFICATE_EXPIRED",
        "SSLV3_ALERT_CERTIFICATE_REVOKED",
        "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
        "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
        "TLSV1_ALERT_UNKNOWN_CA",
    }
)


def authority(host: str, port: int) -> str:
    """``host:port``, with an IPv6 literal in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# -- TCP -------------------------------------------------------------------


def _os_reason(exc: OSError) -> str:
    """The words for an OS error, without Python's ``[Errno n]`` prefix."""
    if exc.errno is not None and exc.errno > 0:
        try:
            return os.strerror(exc.errno)
        except ValueError:
            pass
    return exc.strerror or str(exc) or type(exc).__name__


def _attempts(exc: OSError) -> list[tuple[str | None, str]]:
    """(address, reason) of each address Trio tried, in order; [] if not told."""
    group = exc.__cause__
    errors = getattr(group, "exceptions", None)
    if not isinstance(errors, tuple):
        return []
    attempts: list[tuple[str | None, str]] = []
    for error in errors:
        if not isinstance(error, OSError):
            continue
        match = _ADDRESS_IN_TRIO_ERROR.search(error.strerror or "")
        attempts.append((match.group(1) if match else None, _os_reason(error)))
    return attempts


def connect_failure(host: str, port: int, exc: OSError, *, uds: str | None = None) -> str:
    """Why connecting to ``host:port`` (or the Unix socket ``uds``) failed.

    Examples::

        could not connect to 127.0.0.1:9: Connection refused
        could not connect to localhost:9 (127.0.0.1, ::1): Connection refused
        could not connect to example.org:443: Network is unreachable
        (2001:db8::1); Connection timed out (192.0.2.1)
        could not resolve 'nowhere.invalid': Name or service not known
    """
    if uds is not None:
        return f"could not connect to the Unix socket {uds!r}: {_os_reason(exc)}"
    if isinstance(exc, socket.gaierror):
        return f"could not resolve {host!r}: {exc.strerror or exc}"
    where = f"could not connect to {authority(host, port)}"
    attempts = _attempts(exc)
    if not attempts:
        return f"{where}: {_os_reason(exc)}"
    tried: dict[str, list[str]] = {}
    for address, reason in attempts:
        addresses = tried.setdefault(reason, [])
        if address is not None and address not in addresses:
            addresses.append(address)
    if len(tried) == 1:
        ((reason, addresses),) = tried.items()
        if not addresses or addresses == [host]:
            return f"{where}: {reason}"
        return f"{where} ({', '.join(addresses)}): {reason}"
    parts = [
        f"{reason} ({', '.join(addresses)})" if addresses else reason
        for reason, addresses in tried.items()
    ]
    return f"{where}: {'; '.join(parts)}"


# -- TLS -------------------------------------------------------------------


def _cause_of_type(exc: BaseException, kind: type[BaseException]) -> Any:
    """``exc`` or the first of its causes that is a ``kind``, else None."""
    current: BaseException | None = exc
    for _ in range(4):  # Trio wraps once; a few levels are plenty
        if current is None:
            return None
        if isinstance(current, kind):
            return current
        current = current.__cause__ or current.__context__
    return None


def ssl_text(error: ssl.SSLError) -> str:
    """An SSLError's words without CPython's ``[SSL: REASON]`` and ``(_ssl.c:n)``."""
    text = error.args[1] if len(error.args) > 1 and isinstance(error.args[1], str) else str(error)
    match = _SSL_TEXT.match(text)
    return match.group(1) if match else text


def _peer_certificates(ssl_object: object) -> list[dict[str, Any]]:
    """The certificates the server sent, decoded, leaf first; [] when unavailable.

    Verification may have failed: for messages only. CPython's C-level
    SSL object answers ``get_unverified_chain()`` with certificate objects
    (3.10 on); the public method of 3.13 answers DER bytes, which the
    standard library cannot decode, so the C-level object is asked first.
    """
    holder = getattr(ssl_object, "_sslobj", ssl_object)
    get_chain = getattr(holder, "get_unverified_chain", None)
    if get_chain is None:
        return []
    try:
        chain = get_chain() or []
    except (ssl.SSLError, ValueError):
        return []
    infos: list[dict[str, Any]] = []
    for certificate in chain:
        get_info = getattr(certificate, "get_info", None)
        if get_info is None:
            return []
        try:
            infos.append(get_info())
        except (ssl.SSLError, ValueError):
            return []
    return infos


def _shown(text: str) -> str:
    # A name comes from the server: keep it on one line and readable.
    return text if text.isprintable() else repr(text)


def _certificate_names(info: dict[str, Any]) -> list[str]:
    """The DNS names and IP addresses a certificate is for (its commonName without SAN)."""
    names = [
        _shown(value)
        for kind, value in info.get("subjectAltName", ())
        if kind in ("DNS", "IP Address")
    ]
    if not names:
        names = [
            _shown(value)
            for relative_name in info.get("subject", ())
            for key, value in relative_name
            if key == "commonName"
        ]
    return names


# The short names of RFC 4514 §3, as certificates are usually shown.
_SHORT_KEYS = {
    "commonName": "CN",
    "countryName": "C",
    "localityName": "L",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "stateOrProvinceName": "ST",
}


def _distinguished_name(name: Any) -> str:
    return ", ".join(
        _shown(f"{_SHORT_KEYS.get(key, key)}={value}")
        for relative in name
        for key, value in relative
    )


def _when(cert_time: str) -> str:
    """An ASN.1 time as OpenSSL prints it, as ``YYYY-MM-DD HH:MM:SS UTC``."""
    try:
        seconds = ssl.cert_time_to_seconds(cert_time)
    except ValueError:
        return cert_time
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _mismatch(code: int, server_hostname: str, chain: list[dict[str, Any]]) -> str:
    what = "IP address" if code == _IP_ADDRESS_MISMATCH else "hostname"
    names = _certificate_names(chain[0]) if chain else []
    message = f"{what} {server_hostname!r} does not match the certificate"
    if not names:
        return message
    shown = ", ".join(names[:MAX_NAMES_SHOWN])
    if len(names) > MAX_NAMES_SHOWN:
        shown += f" and {len(names) - MAX_NAMES_SHOWN} more"
    return f"{message}, which is for {shown}"


def _validity(code: int, reason: str, chain: list[dict[str, Any]]) -> str:
    field, words = ("notAfter", "valid until") if code == _EXPIRED else ("notBefore", "valid from")
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    for position, info in enumerate(chain):
        stamp = info.get(field)
        if not isinstance(stamp, str):
            continue
        try:
            seconds = ssl.cert_time_to_seconds(stamp)
        except ValueError:
            continue
        if (seconds < now) if code == _EXPIRED else (seconds > now):
            whose = "" if position == 0 else f"{_distinguished_name(info.get('subject', ()))} "
            return f"{reason} ({whose}{words} {_when(stamp)})"
    return reason


def _verification_failure(
    error: ssl.SSLCertVerificationError, ssl_object: object, server_hostname: str
) -> str:
    code = error.verify_code
    reason = error.verify_message or ssl_text(error)
    chain = _peer_certificates(ssl_object)
    if code in (_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH):
        reason = _mismatch(code, server_hostname, chain)
    elif code in (_EXPIRED, _NOT_YET_VALID):
        reason = _validity(code, reason, chain)
    elif code in _UNTRUSTED_ISSUER and chain and chain[-1].get("issuer"):
        reason += f" (issuer: {_distinguished_name(chain[-1]['issuer'])})"
    return f"certificate verify failed: {reason}"


def _alert_reason(error: ssl.SSLError, *, during_handshake: bool, server_hostname: str) -> str:
    text = ssl_text(error)
    reason = error.reason
    if reason == "TLSV13_ALERT_CERTIFICATE_REQUIRED":
        return f"the server requires a client certificate ({text}); pass one with cert="
    if reason in _CLIENT_CERT_REFUSED:
        return f"the server refused the client certificate ({text})"
    if reason == "SSLV3_ALERT_HANDSHAKE_FAILURE":
        if during_handshake:
            return (
                f"the server refused the handshake ({text}): it may require a client "
                "certificate, or share no TLS version or cipher suite with this client"
            )
        return (
            f"the server refused the connection after the handshake ({text}): a client "
            "certificate is required, or the one given was not accepted"
        )
    if reason == "WRONG_VERSION_NUMBER":
        return f"{text}: the server did not answer in TLS (if this port serves plain HTTP, use http://)"
    if reason == "TLSV1_ALERT_PROTOCOL_VERSION":
        return f"the server accepts none of the TLS versions this client offers ({text})"
    if reason == "TLSV1_ALERT_NO_APPLICATION_PROTOCOL":
        return f"the server accepts none of the protocols offered with ALPN ({text})"
    if reason == "TLSV1_UNRECOGNIZED_NAME" and during_handshake:
        return f"the server does not serve the name {server_hostname!r} ({text})"
    return text


def handshake_failure(exc: BaseException, ssl_object: object, server_hostname: str) -> str:
    """Why a TLS handshake failed, from what ``do_handshake`` raised.

    Args:
        exc: what the handshake raised (an ``ssl.SSLError``, or Trio's
            ``BrokenResourceError`` caused by one or by an OS error).
        ssl_object: the connection's ``ssl.SSLObject`` (None if unknown); a
            failed verification reads the server's certificate from it.
        server_hostname: the name the certificate was checked against.

    Examples::

        certificate verify failed: unable to get local issuer certificate (issuer: O=Example CA)
        certificate verify failed: hostname 'a.example' does not match the certificate,
        which is for b.example, www.b.example
        certificate verify failed: certificate has expired (valid until 2020-01-01 00:00:00 UTC)
        wrong version number: the server did not answer in TLS (is this a plain-HTTP port? ...)
    """
    error = _cause_of_type(exc, ssl.SSLError)
    if isinstance(error, ssl.SSLCertVerificationError):
        return _verification_failure(error, ssl_object, server_hostname)
    if isinstance(error, ssl.SSLEOFError):
        return "the server closed the connection during the handshake (does this port speak TLS?)"
    if error is not None:
        return _alert_reason(error, during_handshake=True, server_hostname=server_hostname)
    os_error = _cause_of_type(exc, OSError)
    if os_error is not None:
        if os_error.errno == errno.ECONNRESET:
            return "the server reset the connection during the handshake"
        return f"the connection broke during the handshake: {_os_reason(os_error)}"
    return "the server closed the connection during the handshake (does this port speak TLS?)"


def tls_failure(exc: BaseException) -> str | None:
    """Why a TLS connection failed after its handshake, or None if not a TLS error.

    ``exc`` is what a read or write raised (``ssl.SSLError``, or Trio's
    ``BrokenResourceError`` caused by one). An alert a server sends on
    refusing a client certificate is explained as such.
    """
    error = _cause_of_type(exc, ssl.SSLError)
    if error is None:
        return None
    return _alert_reason(error, during_handshake=False, server_hostname="")
