"""requests' ``models`` module: ``Request``, ``PreparedRequest`` and ``Response``.

Code that imports from ``requests.models`` ports by renaming the import.
These are trio_http's own classes (``trio_http.Request`` is both the
request ``AsyncClient`` sends and requests' ``Request``; see
:class:`trio_http.PreparedRequest`), not copies. ``urlencode`` is the
standard library's, which requests' module exposes too.
"""

from __future__ import annotations

from urllib.parse import urlencode as urlencode

from ._prepared import PreparedRequest as PreparedRequest
from ._request import Request as Request
from ._response import Response as Response

__all__ = ["PreparedRequest", "Request", "Response", "urlencode"]
