"""Client SSL contexts: built once per configuration and file version, cached.

How this works. Building a context is expensive (loading certifi's bundle
takes 10-20 ms), and a pool asks for one on every new connection. So each
distinct configuration is built once and cached, and a context is never
mutated after it is handed out. The cache key holds, beside the settings,
the identity of every file the context read (device, inode, modification
time, size): a CA bundle or client certificate replaced or edited on disk
is read again by the next connection, for the price of one ``stat`` per
file (about a microsecond) instead of a rebuild.

``verify`` is ``True`` (certifi's bundle), ``False``, a CA file or
directory, ``"system"`` (the operating system's trust store, through the
optional ``truststore`` package), or the caller's ``ssl.SSLContext``, used
as it is but for HTTP/2's ALPN offer (see :mod:`._tls_alpn`).
:func:`verify_from_environment` applies ``SSL_CERT_FILE`` and
``SSL_CERT_DIR`` when the client trusts the environment.
"""

from __future__ import annotations

import functools
import os
import ssl
import warnings
from typing import TYPE_CHECKING, Union

from .._exceptions import InsecureRequestWarning, SSLError
from ._tls_alpn import offer_alpn_once

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "SYSTEM_TRUST",
    "CertTypes",
    "VerifyTypes",
    "create_ssl_context",
    "require_truststore",
    "verify_from_environment",
    "warn_unverified",
]

VerifyTypes = Union[bool, str, "os.PathLike[str]", ssl.SSLContext]
CertTypes = Union[str, tuple[str, str], tuple[str, str, str], None]  # noqa: UP007

#: ``verify=`` value for the operating system's trust store (``truststore``).
SYSTEM_TRUST = "system"
_TRUSTSTORE_MISSING = (
    "verify='system' uses the operating system's trust store through the "
    "truststore package, which is not installed: pip install 'trio_http[truststore]'"
)

# (st_dev, st_ino, st_mtime_ns, st_size) of a file, or None when it is missing.
FileIdentity = tuple[int, int, int, int] | None


@functools.lru_cache(maxsize=1)
def _certifi_where() -> str:
    import certifi

    return certifi.where()


def require_truststore() -> None:
    """Import ``truststore``, or explain how to install it.

    Raises:
        ImportError: truststore is not installed; the message names the extra.
    """
    try:
        import truststore  # noqa: F401
    except ImportError as exc:
        raise ImportError(_TRUSTSTORE_MISSING, name="truststore") from exc


def verify_from_environment(verify: VerifyTypes, environ: Mapping[str, str]) -> VerifyTypes:
    """``verify`` with ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` applied, as httpx does.

    Only ``verify=True`` changes: to the file ``SSL_CERT_FILE`` names, else
    to the directory ``SSL_CERT_DIR`` names (empty values are unset). Any
    other value is the caller's explicit choice and wins.
    """
    if verify is not True:
        return verify
    return environ.get("SSL_CERT_FILE") or environ.get("SSL_CERT_DIR") or True


def warn_unverified(verify: VerifyTypes, host: str) -> None:
    """Warn (:class:`InsecureRequestWarning`) when ``verify`` checks no certificate.

    Called for each HTTPS request, as urllib3 warns for each request it
    sends to an unverified host. ``verify`` is ``False``, or a caller's
    context that verifies nothing; anything else is silent. Not a checkpoint.
    """
    if verify is False or (
        isinstance(verify, ssl.SSLContext) and verify.verify_mode == ssl.CERT_NONE
    ):
        warnings.warn(
            f"HTTPS request to {host!r} without verifying its certificate (verify=False): "
            "anyone on the path can read and change it. Pass verify=True or a CA bundle.",
            InsecureRequestWarning,
            stacklevel=2,
        )


def _identity(path: str) -> FileIdentity:
    try:
        status = os.stat(path)
    except OSError:
        return None  # building will say what is wrong with it
    return (status.st_dev, status.st_ino, status.st_mtime_ns, status.st_size)


def _files_read(verify: bool | str, cert: CertTypes) -> tuple[FileIdentity, ...]:
    """The identity of each file the context for these settings reads."""
    paths: list[str] = []
    if verify is True:
        paths.append(_certifi_where())
    elif isinstance(verify, str) and verify != SYSTEM_TRUST:
        paths.append(verify)
    if isinstance(cert, str):
        paths.append(cert)
    elif cert is not None:
        paths.extend(cert[:2])
    return tuple(_identity(path) for path in paths)


def _named_by_environment(path: str) -> str:
    for variable in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        if os.environ.get(variable) == path:
            return f" (named by {variable})"
    return ""


def _new_context(verify: bool | str) -> ssl.SSLContext:
    if verify is False:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if verify == SYSTEM_TRUST:
        require_truststore()
        import truststore

        system: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return system
    # Not create_default_context(): that adds the system store, and a caller
    # who names a CA bundle (or relies on certifi's) must get exactly that
    # trust. PROTOCOL_TLS_CLIENT checks hostnames and requires certificates.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify is True:
        context.load_verify_locations(cafile=_certifi_where())
    elif os.path.isdir(verify):
        context.load_verify_locations(capath=verify)
    elif os.path.isfile(verify):
        context.load_verify_locations(cafile=verify)
    else:
        where = _named_by_environment(verify)
        raise OSError(f"could not find a CA bundle or directory at {verify!r}{where}")
    return context


@functools.lru_cache(maxsize=32)
def _build_context(
    verify: bool | str,
    cert: CertTypes,
    alpn: tuple[str, ...],
    files: tuple[FileIdentity, ...],
) -> ssl.SSLContext:
    # ``files`` is only part of the key: a changed file builds anew.
    del files
    context = _new_context(verify)
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

    Not a checkpoint. A CA bundle or certificate file that changed on disk
    since the cached context was built is read again.

    Args:
        verify: True (certifi's CAs), False (no verification), a CA bundle
            file or directory path, ``"system"`` (the operating system's
            trust store; needs the ``truststore`` extra), or a ready
            ``ssl.SSLContext``: used as is, except that one offering no
            ALPN protocols is made to offer ``alpn`` when that includes
            ``h2`` (once per context; see :mod:`._tls_alpn`).
        cert: client certificate: a PEM path holding cert and key, a
            ``(cert, key)`` pair, or ``(cert, key, password)``.
        alpn: protocols to offer, most preferred first.

    Raises:
        SSLError: the CA bundle or client certificate cannot be loaded;
            a path that does not exist is named in requests' words
            (``Could not find the TLS certificate file, invalid path: ...``).
        ImportError: ``verify="system"`` without truststore installed.
    """
    if isinstance(verify, ssl.SSLContext):
        offer_alpn_once(verify, alpn)
        return verify
    if isinstance(verify, os.PathLike):
        verify = os.fspath(verify)
    try:
        return _build_context(verify, cert, tuple(alpn), _files_read(verify, cert))
    except (OSError, ssl.SSLError) as exc:
        missing = _missing_file(verify, cert)
        raise SSLError(missing or f"could not load TLS settings: {exc}") from exc


def _missing_file(verify: bool | str, cert: CertTypes) -> str | None:
    """requests' message for a CA bundle or client certificate path that does not exist."""
    if isinstance(verify, str) and verify != SYSTEM_TRUST and not os.path.exists(verify):
        return (
            "Could not find a suitable TLS CA certificate bundle, invalid path: "
            f"{verify}{_named_by_environment(verify)}"
        )
    if cert is None:
        return None
    cert_file, key_file = (cert, None) if isinstance(cert, str) else (cert[0], cert[1])
    if cert_file and not os.path.exists(cert_file):
        return f"Could not find the TLS certificate file, invalid path: {cert_file}"
    if key_file and not os.path.exists(key_file):
        return f"Could not find the TLS key file, invalid path: {key_file}"
    return None
