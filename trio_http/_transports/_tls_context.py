"""Client SSL contexts: built once per configuration, cached, never mutated.

SSL contexts are expensive to build (loading certifi's bundle takes tens of
milliseconds), so each distinct configuration is built once per process and
cached; a context is never mutated after it is handed out.
"""

from __future__ import annotations

import functools
import os
import ssl
from typing import TYPE_CHECKING, Union

from .._exceptions import SSLError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["CertTypes", "VerifyTypes", "create_ssl_context"]

VerifyTypes = Union[bool, str, "os.PathLike[str]", ssl.SSLContext]
CertTypes = Union[str, tuple[str, str], tuple[str, str, str], None]  # noqa: UP007


@functools.lru_cache(maxsize=1)
def _certifi_where() -> str:
    import certifi

    return certifi.where()


@functools.lru_cache(maxsize=32)
def _build_context(verify: bool | str, cert: CertTypes, alpn: tuple[str, ...]) -> ssl.SSLContext:
    if verify is False:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        # Not create_default_context(): that adds the system store, and a
        # caller who names a CA bundle (or relies on certifi's) must get
        # exactly that trust. PROTOCOL_TLS_CLIENT checks hostnames and
        # requires certificates by default.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if verify is True:
            context.load_verify_locations(cafile=_certifi_where())
        elif os.path.isdir(verify):
            context.load_verify_locations(capath=verify)
        elif os.path.isfile(verify):
            context.load_verify_locations(cafile=verify)
        else:
            raise OSError(f"could not find a CA bundle or directory at {verify!r}")
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # RFC 9113 §9.2: HTTP/2 needs TLS 1.2+, no compression and no
    # renegotiation; harmless for 1.1. Refusing renegotiation also keeps TLS
    # 1.2 reads free of handshake writes, which the read-ahead relies on.
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    if cert is not None:
        if isinstance(cert, str):
            context.load_cert_chain(cert)
        elif len(cert) == 2:
            context.load_cert_chain(cert[0], cert[1])
        else:
            context.load_cert_chain(cert[0], cert[1], cert[2])
    if alpn:
        context.set_alpn_protocols(list(alpn))
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog:
        context.keylog_filename = keylog
    return context


def create_ssl_context(
    verify: VerifyTypes = True,
    cert: CertTypes = None,
    *,
    alpn: Sequence[str] = ("http/1.1",),
) -> ssl.SSLContext:
    """Return the (cached) client SSL context for these settings.

    Args:
        verify: True (certifi's CAs), False (no verification), a CA bundle
            file or directory path, or a ready ``ssl.SSLContext`` (used as is).
        cert: client certificate: a PEM path holding cert and key, a
            ``(cert, key)`` pair, or ``(cert, key, password)``.
        alpn: protocols to offer, most preferred first.

    Raises:
        SSLError: the CA bundle or client certificate cannot be loaded.
    """
    if isinstance(verify, ssl.SSLContext):
        return verify
    if isinstance(verify, os.PathLike):
        verify = os.fspath(verify)
    try:
        return _build_context(verify, cert, tuple(alpn))
    except (OSError, ssl.SSLError) as exc:
        raise SSLError(f"could not load TLS settings: {exc}") from exc
