"""useropslib: user-operations and campaign-operations answers from a product's event log.

The public API is what ``__all__`` lists.  Subpackages (``useropslib.events``,
``useropslib.models``, ``useropslib.datasets`` ...) are imported on first use, so ``import
useropslib`` stays cheap.

Examples
--------
>>> import useropslib as uo
>>> log, users = uo.datasets.synthetic(n_users=200, days=30, seed=1)
>>> log.n_users <= 200
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from useropslib._show_versions import show_versions
from useropslib._version import __version__
from useropslib.exceptions import (
    ConvergenceWarning,
    EventSchemaError,
    IdentityConflictError,
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
    NotFittedError,
    RuleSyntaxError,
    UnknownEventWarning,
    UseropsError,
    UseropsWarning,
)

if TYPE_CHECKING:
    from useropslib import (
        campaigns,
        churn,
        datasets,
        events,
        metrics,
        models,
        paths,
        plotting,
        report,
        segments,
    )
    from useropslib.events import EventLog, read_events
    from useropslib.models import Campaign, Event, Goal, IdentityLink, MetricSpec, Segment

__all__ = [
    "Campaign",
    "ConvergenceWarning",
    "Event",
    "EventLog",
    "EventSchemaError",
    "Goal",
    "IdentityConflictError",
    "IdentityLink",
    "InsufficientDataError",
    "InsufficientDataWarning",
    "InvalidParameterError",
    "MetricSpec",
    "NotFittedError",
    "RuleSyntaxError",
    "Segment",
    "UnknownEventWarning",
    "UseropsError",
    "UseropsWarning",
    "__version__",
    "campaigns",
    "churn",
    "datasets",
    "events",
    "metrics",
    "models",
    "paths",
    "plotting",
    "read_events",
    "report",
    "segments",
    "show_versions",
]

_SUBMODULES = {
    "campaigns",
    "churn",
    "datasets",
    "events",
    "metrics",
    "models",
    "paths",
    "plotting",
    "report",
    "segments",
}
_LAZY = {
    "EventLog": "useropslib.events",
    "read_events": "useropslib.events",
    "Event": "useropslib.models",
    "IdentityLink": "useropslib.models",
    "Segment": "useropslib.models",
    "Campaign": "useropslib.models",
    "Goal": "useropslib.models",
    "MetricSpec": "useropslib.models",
}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"useropslib.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'useropslib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
