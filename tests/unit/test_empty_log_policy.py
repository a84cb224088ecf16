"""The empty-data policy (conventions page): counting functions warn and return zero-size or
all-zero results; estimating functions raise InsufficientDataError."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import useropslib as uo
from useropslib.events import EventLog
from useropslib.exceptions import InsufficientDataError, InsufficientDataWarning


@pytest.fixture(scope="module")
def empty() -> EventLog:
    df = pd.DataFrame(
        {
            "user_id": pd.Series([], dtype=object),
            "event": pd.Series([], dtype=object),
            "timestamp": pd.Series([], dtype="datetime64[ns, UTC]"),
            "value": pd.Series([], dtype=float),
        }
    )
    return EventLog.from_pandas(df, allow_empty=True)


m, c = uo.metrics, uo.churn

COUNTING: dict[str, Callable[[EventLog], Any]] = {
    "active_users": lambda log: m.active_users(log),
    "stickiness_ratio": lambda log: m.stickiness_ratio(log),
    "stickiness": lambda log: m.stickiness(log),
    "retention": lambda log: m.retention(log),
    "funnel": lambda log: m.funnel(log, [None, None]),
    "lifecycle": lambda log: m.lifecycle(log),
    "growth_accounting": lambda log: m.growth_accounting(log),
    "growth_states": lambda log: m.growth_states(log),
    "activation": lambda log: m.activation(log, key_event="a"),
    "revenue": lambda log: m.revenue(log),
    "ltv_curve": lambda log: m.ltv_curve(log),
}

ESTIMATING: dict[str, Callable[[EventLog], Any]] = {
    "infer_inactivity_threshold": lambda log: c.infer_inactivity_threshold(log),
    "churn_labels": lambda log: c.churn_labels(log, definition="30D"),
}


def _size(result: Any) -> int:
    if isinstance(result, pd.Series | pd.DataFrame):
        return int(result.abs().sum().sum()) if result.size else 0
    frame = result.to_frame()
    # counts and values only: a step's index is not a count
    numeric = frame.drop(columns=["step", "k"], errors="ignore").select_dtypes(
        include=["int", "float"]
    )
    return int(numeric.abs().sum().sum()) if numeric.size else 0


@pytest.mark.parametrize("name", sorted(COUNTING))
def test_counting_functions_warn_and_count_nothing(empty: EventLog, name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", uo.UnknownEventWarning)
        with pytest.warns(InsufficientDataWarning):
            result = COUNTING[name](empty)
    assert _size(result) == 0


@pytest.mark.parametrize("name", sorted(ESTIMATING))
def test_estimating_functions_raise(empty: EventLog, name: str) -> None:
    with pytest.raises(InsufficientDataError, match="no events"):
        ESTIMATING[name](empty)
