"""requests' ``sessions`` module: ``Session``, ``session()`` and the merging rules.

Code that imports from ``requests.sessions`` ports by renaming the import;
the names are trio_http's own. ``SessionRedirectMixin`` is the class
holding ``Session``'s redirect steps (``resolve_redirects``,
``get_redirect_target``, ``rebuild_auth``, ``rebuild_proxies``, ...):
``Session`` derives from it, and a class of one's own may too.
"""

from __future__ import annotations

from ._session import Session as Session
from ._session import session as session
from ._session_redirects import SessionRedirects as SessionRedirectMixin
from ._sync_options import merge_hooks as merge_hooks
from ._sync_options import merge_setting as merge_setting
from ._utils_urls import get_netrc_auth as get_netrc_auth

__all__ = [
    "Session",
    "SessionRedirectMixin",
    "get_netrc_auth",
    "merge_hooks",
    "merge_setting",
    "session",
]
