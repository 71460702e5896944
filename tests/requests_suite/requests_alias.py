"""``import requests`` that gives trio_http's own modules, for requests' test suite.

How this works: :func:`install` puts a finder first on ``sys.meta_path``. For
``requests`` it imports ``trio_http`` and hands back that very module object;
for ``requests.X`` it hands back ``trio_http.X``. Nothing is copied or wrapped,
so ``mock.patch("requests.sessions.get_netrc_auth")`` patches trio_http's real
module, and the installed requests package is never imported. A public module
trio_http does not have is missing: ``import requests.help`` fails exactly as
``import trio_http.help`` does.

requests' test modules import a few private names at module level
(``from requests.auth import _basic_auth_str``). trio_http need not have them,
and without them a whole test module would fail to import for the sake of the
two or three tests that use them, which are out of scope anyway. Such names,
listed in ``private_names.txt``, become placeholders that raise as soon as a
test uses them. Only private names may be listed (one dotted component starts
with an underscore), so a placeholder never hides a missing public name. When
trio_http's module lacks such a name, the placeholder is set on that module,
in this test process only; a private module of requests (``requests._x``) is
never looked up in trio_http, whose private modules mean other things: it is
a new module holding only the listed placeholders.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, final

ALIASED = "requests"
TARGET = "trio_http"


class OutOfScopeError(RuntimeError):
    """A test used a private name of requests that trio_http does not have."""


@final
class PrivatePlaceholder:
    """Stands for a private name of requests: importable, unusable."""

    __slots__ = ("_dotted_name",)

    def __init__(self, dotted_name: str) -> None:
        self._dotted_name = dotted_name

    def _message(self) -> str:
        return (
            f"{self._dotted_name} is a private name of requests that trio_http does not "
            "have: a test using it belongs in tests/requests_suite/out_of_scope.txt"
        )

    def _refuse(self) -> NoReturn:
        raise OutOfScopeError(self._message())

    def __call__(self, *args: object, **kwargs: object) -> NoReturn:
        self._refuse()

    def __bool__(self) -> NoReturn:
        self._refuse()

    def __getattr__(self, attribute: str) -> NoReturn:
        # AttributeError, not OutOfScopeError: hasattr() and pytest's
        # collection probe module-level objects and must see "no such attribute".
        raise AttributeError(f"{attribute!r}: {self._message()}")

    def __repr__(self) -> str:
        return f"<private name of requests, out of scope: {self._dotted_name}>"


def is_private(dotted_name: str) -> bool:
    """Whether any component after ``requests`` starts with an underscore."""
    return any(part.startswith("_") for part in dotted_name.split(".")[1:])


def read_private_names(path: Path) -> dict[str, list[str]]:
    """Module name -> private attribute names, from ``NAME  # reason`` lines.

    Raises:
        ValueError: a line without a reason, or naming something public.
    """
    by_module: dict[str, list[str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, reason = line.partition(" # ")
        name = name.strip()
        if not sep or not reason.strip():
            raise ValueError(f"{path}:{number}: expected 'NAME  # reason'")
        module, _, attribute = name.rpartition(".")
        if not name.startswith(f"{ALIASED}.") or not module or not is_private(name):
            raise ValueError(f"{path}:{number}: {name!r} is not a private name of requests")
        by_module.setdefault(module, []).append(attribute)
    return by_module


@final
class _ExistingModuleLoader(importlib.abc.Loader):
    """Hands the import system a module object that is already loaded."""

    def __init__(self, module: types.ModuleType) -> None:
        self._module = module
        self._own_spec = module.__spec__

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return self._module

    def exec_module(self, module: types.ModuleType) -> None:
        # module_from_spec() has just set __spec__ to the alias's spec; the
        # module keeps its own (its name, origin and submodule search path).
        module.__spec__ = self._own_spec


@final
class _AliasFinder(importlib.abc.MetaPathFinder):
    def __init__(self, private_names: dict[str, list[str]]) -> None:
        self._private_names = private_names

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != ALIASED and not fullname.startswith(f"{ALIASED}."):
            return None
        if is_private(fullname):
            module = self._placeholder_module(fullname)
        else:
            module = self._target_module(fullname)
        for attribute in self._private_names.get(fullname, ()):
            if not hasattr(module, attribute):
                setattr(module, attribute, PrivatePlaceholder(f"{fullname}.{attribute}"))
        return importlib.util.spec_from_loader(fullname, _ExistingModuleLoader(module))

    def _target_module(self, fullname: str) -> types.ModuleType:
        target_name = TARGET + fullname[len(ALIASED) :]
        try:
            return importlib.import_module(target_name)
        except ModuleNotFoundError as exc:
            if exc.name != target_name:
                raise
            # Returning None would let the next finder import the real requests.
            raise ModuleNotFoundError(
                f"No module named {fullname!r} ({ALIASED} is {TARGET} here, "
                f"and {TARGET} has no {target_name!r})",
                name=fullname,
            ) from None

    def _placeholder_module(self, fullname: str) -> types.ModuleType:
        if fullname not in self._private_names:
            raise ModuleNotFoundError(
                f"No module named {fullname!r} (a private module of {ALIASED}, "
                "not in tests/requests_suite/private_names.txt)",
                name=fullname,
            )
        module = types.ModuleType(
            fullname, f"Placeholders for private names of {ALIASED}; see requests_alias."
        )
        module.__spec__ = importlib.machinery.ModuleSpec(fullname, loader=None)
        return module


def install(private_names: dict[str, list[str]]) -> None:
    """Makes ``requests`` and ``requests.*`` imports resolve to trio_http.

    Raises:
        RuntimeError: the real requests was imported before this was called.
    """
    already = sorted(
        name for name in sys.modules if name == ALIASED or name.startswith(f"{ALIASED}.")
    )
    if already:
        raise RuntimeError(f"{ALIASED} was imported before the alias was installed: {already}")
    sys.meta_path.insert(0, _AliasFinder(private_names))
