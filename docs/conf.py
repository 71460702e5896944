"""Sphinx configuration for the trio_http documentation.

The build is nitpicky and must stay free of warnings
(``sphinx-build -n -W -q -b html docs docs/_build/html``). It runs offline,
so no intersphinx inventory can be fetched: names from outside trio_http
(the standard library, Trio, urllib3) are listed in ``nitpick_ignore_regex``
below, and every trio_http name must resolve to a documented object.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, TypeVar

DOCS = Path(__file__).resolve().parent
# Document the checkout being built, not whatever trio_http is installed.
sys.path.insert(0, str(DOCS.parent))

import trio_http  # noqa: E402
from trio_http import _request_options as request_options  # noqa: E402

project = "trio_http"
author = "the trio_http authors"
copyright = "2026, the trio_http authors"
release = trio_http.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]

master_doc = "index"
exclude_patterns = ["_build"]
templates_path: list[str] = []
html_static_path: list[str] = []
html_theme = "alabaster"
html_theme_options = {
    "description": "A Trio-native HTTP client",
}

# -- autodoc ------------------------------------------------------------------

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
python_use_unqualified_type_names = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False


def _located(modules: dict[str, list[str]]) -> dict[str, str]:
    return {
        name: f"trio_http.{module}.{name}" for module, names in modules.items() for name in names
    }


# Signatures name these type aliases instead of spelling out their unions.
# They live in private modules and are described on the "Types in
# signatures" page (api-types.rst) under their real location.
TYPE_ALIASES = _located(
    {
        "_types": [
            "CookieTypes",
            "FileContent",
            "FileTypes",
            "FormData",
            "HeaderTypes",
            "HooksTypes",
            "JSONTypes",
            "PrimitiveData",
            "ProxiesTypes",
            "QueryParamTypes",
            "RequestContentTypes",
            "RequestData",
            "RequestFiles",
            "ResponseHook",
            "SessionHeaderTypes",
            "TimeoutTypes",
            "URLTypes",
        ],
        "_request_options": ["AuthTypes"],
        "_request": ["RequestAuth"],
        "_hooks": ["HookValue"],
        "_transports._tls_context": ["CertTypes", "VerifyTypes"],
        "_parallel_items": ["ErrorPolicy", "ParallelItem"],
        "_parallel": ["Handler"],
        "_transports._mock": ["MockHandler"],
        "_transports._asgi_exchange": ["ASGIApp"],
        "_transports._wsgi": ["WSGIApp"],
        "_transports._pool": ["StreamOpener"],
        "_client_defaults": ["EventHook"],
        "_deadlines": ["Phase"],
        "_testing_route": ["SideEffect"],
    }
)
# "the client's setting": the type of the USE_CLIENT_DEFAULT marker.
TYPE_ALIASES["_UseClientDefault"] = "trio_http.USE_CLIENT_DEFAULT"
autodoc_type_aliases = dict(TYPE_ALIASES)

# Private classes that signatures and docstrings name, described on the
# same page (or, for Deadlines, on the transports page). Signatures need no
# alias for them: a class that is not evaluated stays a name, which
# _resolve_trio_http_names below finds here.
PRIVATE_CLASSES = _located(
    {
        # the TypedDicts of the request methods' keyword arguments
        "_request_options": [
            name
            for name in request_options.__all__
            if isinstance(getattr(request_options, name), type)
        ],
        "_streams": ["RequestContent"],
        "_deadlines": ["Deadlines"],
        "_response_head": ["ResponseCookies"],
        "_raw_body": ["RawBody"],
        "_response_hand": ["SupportsRead"],
        "_adapter_options": ["ClientOptions"],
        # "leave this part as it is": the default of URL.copy_with's arguments
        "_urls": ["_Unset"],
    }
)
TYPE_NAMES = {
    **TYPE_ALIASES,
    **PRIVATE_CLASSES,
    # Session's redirect steps are documented under requests' name for them.
    "SessionRedirects": "trio_http.sessions.SessionRedirectMixin",
}

# -- nitpicky references --------------------------------------------------------

nitpicky = True
# Only names from outside trio_http: without network access at build time
# there is no inventory to link the standard library, Trio or urllib3 to.
nitpick_ignore_regex = [
    # the standard library, and typeshed's protocols used in annotations
    (
        "py:.*",
        r"(collections|contextlib|datetime|email|http\.cookiejar|http\.cookies|io|json|netrc"
        r"|os|re|ssl|types|urllib|warnings|_typeshed)(\..+)?",
    ),
    # ... and the same names where an annotation imports them bare
    ("py:class", r"(SupportsKeysAndGetItem|Morsel)"),
    # typing_extensions' backports (Unpack, Self) read as typing's names
    ("py:.*", r"typing_extensions\..+"),
    # Trio and urllib3
    ("py:.*", r"(trio|urllib3)(\..+)?"),
]


def _public_modules() -> list[str]:
    names = [name for name in trio_http.__all__ if inspect.ismodule(getattr(trio_http, name))]
    return ["trio_http", *(f"trio_http.{name}" for name in [*names, "testing"])]


def _is_type_variable(target: str) -> bool:
    # "trio_http.utils._K": look the name up in its module; a bare "T" (how
    # annotations of the generic classes read) goes by the naming convention.
    if "." not in target:
        return re.fullmatch(r"_?[A-Z]", target) is not None
    module_name, name = target.rsplit(".", 1)
    module = sys.modules.get(module_name)
    return module is not None and isinstance(getattr(module, name, None), TypeVar)


def _relative_name(target: str) -> str | None:
    """``target`` without its module when that module is private.

    ``"trio_http._cookies.Cookies.set"`` gives ``"Cookies.set"`` and a name
    without a module is kept; a public path (``"trio_http.Foo"``) gives
    ``None``: it must resolve as written.
    """
    if not target.startswith("trio_http."):
        return target
    parts = target.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:cut])
        if module in sys.modules:
            private = any(part.startswith("_") for part in parts[1:cut])
            return ".".join(parts[cut:]) if private else None
    return None


def _resolve_trio_http_names(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve the short trio_http names of docstrings written in private modules.

    A docstring in ``trio_http._deadlines`` saying :class:`Timeouts` means
    ``trio_http.Timeouts``, one in ``trio_http.utils`` saying
    :class:`RequestsCookieJar` means ``trio_http.cookies.RequestsCookieJar``,
    and one saying :class:`Deadlines` the class documented as
    ``trio_http._deadlines.Deadlines`` (see ``TYPE_NAMES``). Sphinx looks such
    names up only in the module being documented; this tries the public
    modules and the documented type names after it. A type variable
    (``ParallelResult[T]``) stands for "some type" and is left as text.
    """
    if node.get("refdomain") != "py":
        return None
    reftarget = node.get("reftarget", "")
    if node.get("reftype") == "class" and _is_type_variable(reftarget):
        return contnode
    relative = _relative_name(reftarget.lstrip("~."))
    if relative is None:
        return None
    domain = env.get_domain("py")
    candidates = [f"{module}.{relative}" for module in _public_modules()]
    candidates.append(TYPE_NAMES.get(relative, ""))
    for full in candidates:
        if full and full != reftarget and full in domain.objects:
            return domain.resolve_xref(
                env, node.get("refdoc"), app.builder, node.get("reftype"), full, node, contnode
            )
    return None


# Sphinx writes a type alias inside a union as its repr,
# "TypeAliasForwardRef('trio_http._types.HeaderTypes') | None".
_ALIAS_REPR = re.compile(r"TypeAliasForwardRef\('([\w.]+)'\)")


def _unwrap_alias_reprs(
    app: Any,
    what: str,
    name: str,
    obj: Any,
    options: Any,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str | None, str | None]:
    if signature:
        signature = _ALIAS_REPR.sub(r"\1", signature)
    if return_annotation:
        return_annotation = _ALIAS_REPR.sub(r"\1", return_annotation)
    return signature, return_annotation


# trio_http's property docstrings open with a sentence ("The text encoding:
# set explicitly, ..."), not with Google's "type: summary", and napoleon would
# read the words before the first colon as a type. The colon is hidden from
# napoleon (which runs at priority 500) and put back after it.
_HIDDEN_COLON = "\ue000"
_CODE_OR_ROLE = re.compile(r"(:\w+:`[^`]*`|``[^`]*``|`[^`]*`)")


def _hide_summary_colon(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    if what not in ("property", "attribute", "data") or not lines:
        return
    parts = _CODE_OR_ROLE.split(lines[0])
    for index in range(0, len(parts), 2):  # the text between code and roles
        text = parts[index]
        colon = re.search(r"(?<!:):(?!:)", text)
        if colon is not None:
            parts[index] = text[: colon.start()] + _HIDDEN_COLON + text[colon.end() :]
            lines[0] = "".join(parts)
            return


def _restore_summary_colon(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    for index, line in enumerate(lines):
        if _HIDDEN_COLON in line:
            lines[index] = line.replace(_HIDDEN_COLON, ":")


# -- the changelog ----------------------------------------------------------------

# changelog.rst holds this line where the unreleased changes belong.
UNRELEASED_MARKER = ".. unreleased changes: rendered from newsfragments/ by docs/conf.py"


def _unreleased_changes() -> str:
    """The news fragments not yet released, rendered by towncrier's draft mode.

    The draft's release title is dropped: the page gives the section its own
    title, and the draft's "Features", "Bugfixes"... sections sit under it.
    towncrier's draft mode writes nothing in the tree.
    """
    try:
        draft = subprocess.run(
            [sys.executable, "-m", "towncrier", "build", "--draft", "--version", release],
            cwd=DOCS.parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise RuntimeError(f"towncrier could not render the news fragments: {detail}") from exc
    # towncrier prints progress lines first; the notes start at the release
    # title, the first line underlined with "-".
    lines = draft.splitlines()
    for index in range(len(lines) - 1):
        underline = lines[index + 1]
        if lines[index].strip() and underline and set(underline) == {"-"}:
            body = "\n".join(lines[index + 2 :]).strip()
            return body or "No changes yet."
    return "No changes yet."


def _insert_unreleased_changes(app: Any, docname: str, source: list[str]) -> None:
    if docname == "changelog" and UNRELEASED_MARKER in source[0]:
        source[0] = source[0].replace(UNRELEASED_MARKER, _unreleased_changes())


def _reread_changelog(app: Any, env: Any, added: Any, changed: Any, removed: Any) -> list[str]:
    # The fragments change without changelog.rst changing: read it every build.
    return ["changelog"]


def setup(app: Any) -> dict[str, Any]:
    app.connect("missing-reference", _resolve_trio_http_names)
    app.connect("autodoc-process-signature", _unwrap_alias_reprs)
    app.connect("autodoc-process-docstring", _hide_summary_colon, priority=400)
    app.connect("autodoc-process-docstring", _restore_summary_colon, priority=600)
    app.connect("source-read", _insert_unreleased_changes)
    app.connect("env-get-outdated", _reread_changelog)
    return {"parallel_read_safe": True}
