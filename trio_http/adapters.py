"""requests' ``adapters`` module: ``BaseAdapter`` and ``HTTPAdapter``.

Mount an adapter on a session for the URLs it should serve::

    from trio_http.adapters import HTTPAdapter

    session.mount("https://api.example/", HTTPAdapter(max_retries=3, pool_maxsize=50))

``HTTPAdapter`` sets the pool size and retries of the clients that send
for it; a subclass overriding ``send()``, ``add_headers()``,
``request_url()`` or ``build_response()`` is called with a
``PreparedRequest``, as requests calls it. urllib3's pool methods
(``init_poolmanager``, ``proxy_manager_for``,
``get_connection_with_tls_context``) are not supported and raise
``NotImplementedError``.
"""

from __future__ import annotations

from ._adapters import DEFAULT_POOL_TIMEOUT as DEFAULT_POOL_TIMEOUT
from ._adapters import DEFAULT_POOLBLOCK as DEFAULT_POOLBLOCK
from ._adapters import DEFAULT_POOLSIZE as DEFAULT_POOLSIZE
from ._adapters import DEFAULT_RETRIES as DEFAULT_RETRIES
from ._adapters import BaseAdapter as BaseAdapter
from ._adapters import HTTPAdapter as HTTPAdapter

__all__ = [
    "DEFAULT_POOLBLOCK",
    "DEFAULT_POOLSIZE",
    "DEFAULT_POOL_TIMEOUT",
    "DEFAULT_RETRIES",
    "BaseAdapter",
    "HTTPAdapter",
]
