"""Griffe extension: read our numpydoc docstrings the way numpydoc and Sphinx read them.

The docstrings in ``src/`` follow numpydoc, which ``help()``, IDEs and ``ruff`` understand.
Griffe, the parser behind mkdocstrings, differs in three places, so this extension rewrites each
docstring's text before griffe parses it (the source files are not touched):

1. **Sphinx roles** (``:class:`EventLog```, ``:meth:`from_pandas```,
   ``:func:`~useropslib.events.period_codes```) are not read by mkdocstrings.  A target found in
   the loaded package (looked up from the docstring's own object outwards, as Sphinx does, then
   as an absolute path) becomes an autorefs link; a target in another library (pandas, numpy,
   datetime ...) becomes inline code, since the site is built offline.  Any other target stays a
   reference, so autorefs reports it (an error under ``mkdocs build --strict``) when the
   docstring is rendered: it is a typo or names something that does not exist.  As in Sphinx,
   ``~`` keeps the last name only, and functions and methods get ``()``.
2. **Several names on one line** (``n_users, days, seed``) get the type and default of the first
   name from griffe.  Each name gets its own entry here, so each shows its own signature type and
   default.
3. **Value sets** (``{"hour", "day"}``): griffe takes the first value as the default even when
   the parameter is required or the line says ``, default "W"`` or ``, optional``.  The set is
   rewritten as ``"hour" | "day"``, so the default comes from the line or the signature.

A bare ``optional`` type (``tz : optional``) is dropped, so the signature's type is shown.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE_RE = re.compile(
    r":(?:py:)?(?P<role>class|meth|func|attr|data|obj|exc|mod):`(?P<target>[^`]+)`"
)
_EXTERNAL = (
    "builtins",
    "collections",
    "dataclasses",
    "datetime",
    "duckdb",
    "lifelines",
    "matplotlib",
    "narwhals",
    "numpy",
    "pandas",
    "polars",
    "pyarrow",
    "pydantic",
    "pyspark",
    "scipy",
    "sklearn",
    "typing",
    "zoneinfo",
)
_PARAM_SECTIONS = ("Parameters", "Other Parameters")
_UNDERLINE_RE = re.compile(r"-{3,}")
_ITEM_RE = re.compile(r"(?P<names>[*\w]+(?:,\s*[*\w]+)*)(?:\s+:\s*(?P<type>.*))?$")
_SET_RE = re.compile(r"^\{(?P<values>[^{}]*)\}")


# ------------------------------------------------------------------------------------- roles
def _lookup(scope: Any, target: str) -> Any:
    try:
        return scope[target]
    except Exception:  # KeyError, alias resolution errors: not found from this scope
        return None


def _path(found: Any) -> str:
    try:
        return str(found.canonical_path)  # where the object is defined: always rendered under it
    except Exception:  # an alias to something outside the loaded packages
        return str(found.path)


def _resolve(obj: Any, target: str, collection: Any) -> str | None:
    scope = obj
    while scope is not None:
        found = _lookup(scope, target)
        if found is not None:
            return _path(found)
        scope = scope.parent
    found = _lookup(collection, target)
    return None if found is None else _path(found)


def _rewrite_roles(obj: Any, text: str, collection: Any) -> str:
    def replace(match: re.Match[str]) -> str:
        role, target = match["role"], match["target"].strip()
        short = target.startswith("~")
        target = target.lstrip("~.")
        shown = target.rsplit(".", 1)[-1] if short else target
        if role in ("meth", "func"):
            shown += "()"
        path = _resolve(obj, target, collection)
        if path is None and target.split(".", 1)[0] in _EXTERNAL:
            return f"`{shown}`"
        return f"[`{shown}`][{path or target}]"

    return _ROLE_RE.sub(replace, text)


# -------------------------------------------------------------------------------- parameters
def _item_type(type_: str | None) -> str | None:
    if type_ is None or type_.strip() in ("", "optional"):
        return None
    type_ = type_.strip()
    value_set = _SET_RE.match(type_)
    if value_set:
        values = " | ".join(v.strip() for v in value_set["values"].split(","))
        type_ = values + type_[value_set.end() :]
    return type_


def _rewrite_parameters(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    in_params = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and line.strip() and _UNDERLINE_RE.fullmatch(lines[i + 1].strip()):
            in_params = line.strip() in _PARAM_SECTIONS
            out += [line, lines[i + 1]]
            i += 2
            continue
        item = _ITEM_RE.match(line) if in_params and line and not line[0].isspace() else None
        if item is None:
            out.append(line)
            i += 1
            continue
        j = i + 1  # the item's description: indented lines, possibly with blank lines between
        while j < len(lines):
            blank_inside = lines[j] == "" and lines[j + 1 : j + 2][:1] != [""]
            if lines[j][:1].isspace() or (blank_inside and lines[j + 1][:1].isspace()):
                j += 1
            else:
                break
        description = lines[i + 1 : j]
        type_ = _item_type(item["type"])
        for name in (n.strip() for n in item["names"].split(",")):
            out.append(name if type_ is None else f"{name} : {type_}")
            out.extend(description)
        i = j
    return "\n".join(out)


class NumpydocCompat(griffe.Extension):
    """Rewrite every docstring of a loaded package before griffe parses it."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        """Rewrite the docstrings of ``pkg`` once its object tree is complete."""
        collection = loader.modules_collection
        stack: list[Any] = [pkg]
        while stack:
            obj = stack.pop()
            if obj.docstring is not None:
                text = _rewrite_roles(obj, obj.docstring.value, collection)
                obj.docstring.value = _rewrite_parameters(text)
            stack.extend(m for m in obj.members.values() if not m.is_alias)
