"""Paths (路径) and sessions (会话): how users move through the product.

- :func:`sessions`, :func:`session_metrics`, :func:`session_log`: each user's events split by
  inactivity (30 minutes by default), the session table, per-period session metrics, and a log
  with one "user" per session so any metric (a funnel) runs within sessions.
- :func:`transitions`: consecutive-event transitions counted per occurrence, path or user.
- :func:`paths`, :func:`top_paths`: step-indexed paths from a start / to an end event
  (PostHog Paths) and the most common whole paths with their conversion to a target.
- :func:`step_matrix`: share of paths at each step doing each event (retentioneering), and the
  difference between two groups.
- :func:`conversion_paths`, :func:`core_path`: the best conversion path after an entry event, and
  whether a campaign's participants ran its core path through.
- :func:`clean_log`: the rows after path cleaning, as an EventLog.
- :func:`paths_report`: the frames a report's paths section shows.

Cleaning options shared by every function: ``include``/``exclude`` events, ``group`` events by a
mapping or shell pattern, ``collapse`` repeats (first or last of a run), ``ties`` at one instant.
"""

from useropslib.paths._clean import clean_log
from useropslib.paths._conversion import (
    ConversionPathsResult,
    CorePathResult,
    conversion_paths,
    core_path,
)
from useropslib.paths._paths import PathsResult, TopPathsResult, paths, top_paths
from useropslib.paths._query import MAX_STEPS
from useropslib.paths._report import paths_report
from useropslib.paths._sessions import (
    SESSION_COLUMNS,
    SessionMetricsResult,
    SessionsResult,
    session_log,
    session_metrics,
    sessions,
)
from useropslib.paths._step_matrix import StepMatrixResult, step_matrix
from useropslib.paths._transitions import END, START, TransitionsResult, transitions

__all__ = [
    "END",
    "MAX_STEPS",
    "SESSION_COLUMNS",
    "START",
    "ConversionPathsResult",
    "CorePathResult",
    "PathsResult",
    "SessionMetricsResult",
    "SessionsResult",
    "StepMatrixResult",
    "TopPathsResult",
    "TransitionsResult",
    "clean_log",
    "conversion_paths",
    "core_path",
    "paths",
    "paths_report",
    "session_log",
    "session_metrics",
    "sessions",
    "step_matrix",
    "top_paths",
    "transitions",
]
