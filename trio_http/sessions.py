"""requests' ``sessions`` module: ``Session``, ``session()`` and the merging rules.

Code that imports from ``requests.sessions`` ports by renaming the import;
the names are trio_http's own.
"""

from __future__ import annotations

from ._session import Session as Session
from ._session import session as session
from ._sync_options import merge_hooks as merge_hooks
from ._sync_options import merge_setting as merge_setting

__all__ = ["Session", "merge_hooks", "merge_setting", "session"]
