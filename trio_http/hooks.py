"""requests' ``hooks`` module: the hook events and how hooks are run.

``default_hooks()`` is ``{"response": []}``; ``dispatch_hook("response",
hooks, response, **kwargs)`` runs the hooks in turn, each getting the
previous one's replacement when it returned one.
"""

from __future__ import annotations

from ._hooks import HOOKS as HOOKS
from ._hooks import default_hooks as default_hooks
from ._hooks import dispatch_hook as dispatch_hook

__all__ = ["HOOKS", "default_hooks", "dispatch_hook"]
