"""requests' ``status_codes`` module: ``codes``, status codes by name.

``codes.ok == codes.OK == codes["ok"] == 200``; the same object as
``trio_http.codes``.
"""

from __future__ import annotations

from ._status_codes import codes as codes

__all__ = ["codes"]
