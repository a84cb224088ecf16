"""The public surface: a pinned __all__, no private leaks, layers in the order of DESIGN.md §2."""

from __future__ import annotations

import ast
import importlib
import pathlib
import subprocess
import sys

import pytest

import useropslib

SRC = pathlib.Path(useropslib.__file__).parent

EXPECTED_TOP = {
    "ConvergenceWarning",
    "Event",
    "EventLog",
    "EventSchemaError",
    "IdentityConflictError",
    "IdentityLink",
    "InsufficientDataError",
    "InsufficientDataWarning",
    "InvalidParameterError",
    "NotFittedError",
    "RuleSyntaxError",
    "UseropsError",
    "UseropsWarning",
    "__version__",
    "datasets",
    "events",
    "plotting",
    "metrics",
    "models",
    "read_events",
    "segments",
    "churn",
    "paths",
    "Segment",
    "UnknownEventWarning",
    "report",
    "show_versions",
    "campaigns",
    "Campaign",
    "Goal",
    "MetricSpec",
}


def test_top_level_all_is_pinned() -> None:
    assert set(useropslib.__all__) == EXPECTED_TOP
    for name in useropslib.__all__:
        assert getattr(useropslib, name) is not None


EXPECTED_SEGMENTS = {
    "COMPARISON_METRICS",
    "LIFECYCLE_STAGES",
    "RFM_SEGMENT_MAPS",
    "VALUE_TIERS",
    "LifecycleStagesResult",
    "MembershipResult",
    "RFMResult",
    "RFMRule",
    "SegmentComparison",
    "SegmentCycleError",
    "TagTable",
    "UnknownTagWarning",
    "ValueTiersResult",
    "compare_segments",
    "evaluate_segment",
    "lifecycle_stages",
    "members",
    "membership",
    "rfm",
    "value_tiers",
}


def test_segments_all_is_pinned() -> None:
    import useropslib.segments as segments

    assert set(segments.__all__) == EXPECTED_SEGMENTS
    assert len(segments.__all__) == len(EXPECTED_SEGMENTS)


@pytest.mark.parametrize(
    "module",
    [
        "useropslib.models",
        "useropslib.events",
        "useropslib.exceptions",
        "useropslib.datasets",
        "useropslib.report",
        "useropslib.segments",
        "useropslib.churn",
        "useropslib.metrics",
        "useropslib.paths",
        "useropslib.campaigns",
        "useropslib.plotting",
    ],
)
def test_subpackage_all_is_public_and_importable(module: str) -> None:
    mod = importlib.import_module(module)
    names = mod.__all__
    assert names == sorted(names, key=str) or len(set(names)) == len(names)
    for name in names:
        assert not name.startswith("_"), f"{module} exports private name {name}"
        obj = getattr(mod, name)
        where = getattr(obj, "__module__", "") or ""
        assert "._" not in where or where.startswith("useropslib."), (module, name, where)


# DESIGN.md section 2: each layer imports only from layers listed above it.  `cli` is the
# application entry point and sits below `datasets`, which it needs for `useropslib demo`.
LAYERS = [
    "exceptions",
    "models",
    "events",
    "plotting",
    "metrics",
    "paths",
    "segments",
    "churn",
    "Segment",
    "campaigns",
    "report",
    "datasets",
    "cli",
]
SHARED = {"_version", "_show_versions", "__init__", "__main__", "_checks", "_results"}


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "useropslib" or len(parts) < 2:
        return None
    head = parts[1]
    return None if head in SHARED else head


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def test_layers_import_only_upwards() -> None:
    bad = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        own = _layer_of(".".join(rel.parts))
        if own is None:
            continue
        assert own in LAYERS, f"{own} is not a known layer; add it to LAYERS per DESIGN.md"
        for imp in _imports(path):
            other = _layer_of(imp)
            if other is None or other == own or other not in LAYERS:
                continue
            if LAYERS.index(other) > LAYERS.index(own):
                bad.append(f"{rel}: {own} imports {imp} ({other} is a lower layer)")
    assert not bad, "\n".join(bad)


def test_import_is_cheap() -> None:
    code = (
        "import sys, useropslib; "
        "heavy = [m for m in ('sklearn', 'lifelines', 'matplotlib', 'polars', 'duckdb', 'scipy') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_show_versions(capsys: pytest.CaptureFixture[str]) -> None:
    info = useropslib.show_versions(as_dict=True)
    assert info is not None
    assert info["useropslib"] == useropslib.__version__
    assert useropslib.show_versions() is None
    assert "pandas" in capsys.readouterr().out


# modules any other module may import from (the shared internal vocabulary, DESIGN.md §2)
SHARED_INTERNAL = {
    "_query",
    "_checks",
    "_results",
    "_types",
    "_time",
    "_timeparse",
    "_validation",
    "_typing",
    "_compat",
    "_style",
    "_validate",
}


def _private_imports(path: pathlib.Path) -> list[str]:
    """Imports of another module's private helpers, outside the shared internal modules.

    Flagged: ``from useropslib.<pkg>._<mod> import ...`` where ``_<mod>`` is not a shared
    internal module and either the module lives in another package, or a name imported is
    itself private (``_name``).  Package ``__init__`` files re-export and are not checked.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = path.relative_to(SRC.parent).with_suffix("")
    own_pkg = rel.parts[1] if len(rel.parts) > 2 else None
    bad = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0):
            continue
        parts = node.module.split(".")
        if parts[0] != "useropslib" or len(parts) < 3:
            continue
        mod = parts[-1]
        if not mod.startswith("_") or mod in SHARED_INTERNAL:
            continue
        private_names = [a.name for a in node.names if a.name.startswith("_")]
        if parts[1] != own_pkg or private_names:
            bad.append(f"{rel}: from {node.module} import {[a.name for a in node.names]}")
    return bad


def test_no_module_imports_another_modules_private_helpers() -> None:
    bad = []
    for path in SRC.rglob("*.py"):
        if path.name == "__init__.py":
            continue
        bad += _private_imports(path)
    assert not bad, "\n".join(bad)


def test_private_import_check_can_fail(tmp_path: pathlib.Path) -> None:
    # the check itself flags a planted leak (so the test above cannot pass vacuously)
    pkg = SRC / "metrics"
    probe = pkg / "_probe_leak_check.py"
    probe.write_text("from useropslib.metrics._activity import _prepare\n", encoding="utf-8")
    try:
        assert _private_imports(probe) == [
            "useropslib/metrics/_probe_leak_check: from useropslib.metrics._activity import "
            "['_prepare']"
        ]
    finally:
        probe.unlink()
