"""Numbers that cannot be right are flagged, filters that cannot match are refused."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from useropslib import metrics as m
from useropslib.events import EventLog
from useropslib.events._query import EventSelector
from useropslib.exceptions import InvalidParameterError, UseropsWarning


def log_of(rows: list[tuple[str, str, str]], **props: Any) -> EventLog:
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"]).assign(**props)
    return EventLog.from_pandas(df)


@pytest.mark.parametrize("values", [[1e308, 1e308], [1.7e308, 1e308, 5.0], [-1e308, -1e308]])
def test_revenue_that_overflows_warns(values: list[float]) -> None:
    rows = [(f"u{i}", "purchase", "2024-05-01T00:00Z") for i in range(len(values))]
    with pytest.warns(UseropsWarning, match=r"exceed the largest float.*rescale"):
        m.revenue(log_of(rows, value=values))


def test_large_but_finite_revenue_does_not_warn() -> None:
    rows = [(f"u{i}", "purchase", "2024-05-01T00:00Z") for i in range(2)]
    res = m.revenue(log_of(rows, value=[1e307, 1e307]))
    assert res.totals["revenue"] == pytest.approx(2e307)


STEPS_ROWS = [("a", "view", "2024-05-01T00:00Z"), ("a", "buy", "2024-05-01T01:00Z")]


@pytest.mark.parametrize(
    ("prop", "filter_value"),
    [
        (["web", "web"], 5),
        (["web", "web"], [1, 2]),
        ([1, 2], "1"),
        ([1.5, 2.5], "web"),
        ([True, False], "yes"),
    ],
)
def test_a_step_filter_of_the_wrong_kind_is_refused(prop: list[Any], filter_value: Any) -> None:
    log = log_of(STEPS_ROWS, channel=prop)
    with pytest.raises(InvalidParameterError, match=r"holds \w+ values, with .* can match nothing"):
        m.funnel(log, ["view", ("buy", {"channel": filter_value})])


@pytest.mark.parametrize(
    ("prop", "filter_value", "converted"),
    [
        (["web", "web"], "web", 1),
        ([1, 2], 2, 1),
        ([1, 2], 3, 0),
        # None matches a missing value, whether the column holds None (object, pandas 2) or
        # NaN (str, pandas 3)
        (["web", None], None, 1),
        (["web", None], [None, "web"], 1),
        (["web", None], "web", 0),
    ],
)
def test_a_step_filter_of_the_right_kind_counts(
    prop: list[Any], filter_value: Any, converted: int
) -> None:
    log = log_of(STEPS_ROWS, channel=prop)
    res = m.funnel(log, ["view", ("buy", {"channel": filter_value})])
    assert res.table["users"].tolist() == [1, converted]


@pytest.mark.parametrize(
    "created",
    [
        {"a": "2024-06-01T00:00Z"},
        pd.Series({"a": pd.Timestamp("2024-05-03T00:00Z"), "b": pd.Timestamp("2024-04-01T00:00Z")}),
        pd.DataFrame(
            {"user_id": ["b", "a"], "created_at": ["2024-04-01T00:00Z", "2030-01-01T00:00Z"]}
        ),
    ],
)
def test_lifecycle_warns_when_users_are_created_after_all_their_events(created: Any) -> None:
    log = log_of([("a", "open", "2024-05-01T00:00Z"), ("b", "open", "2024-05-02T00:00Z")])
    with pytest.warns(UseropsWarning, match=r"created_at is after every event of 1 user\(s\)"):
        m.lifecycle(log, period="week", created_at=created)


def test_lifecycle_with_plausible_created_at_does_not_warn() -> None:
    log = log_of([("a", "open", "2024-05-01T00:00Z"), ("b", "open", "2024-05-02T00:00Z")])
    m.lifecycle(log, period="week", created_at={"a": "2024-04-01T00:00Z", "b": "2024-05-02T00:00Z"})


@pytest.mark.parametrize(
    ("filter_value", "users"),
    [
        (None, ["b", "c"]),
        ("web", ["a"]),
        ([None, "web"], ["a", "b", "c"]),
        (float("nan"), ["b", "c"]),
    ],
)
def test_a_none_property_filter_selects_the_events_without_the_property(
    filter_value: Any, users: list[str]
) -> None:
    # the shared selector (every metric but the funnel's steps): missing is None under pandas 2
    # (object column) and NaN under pandas 3 (str column); a None filter matches both
    rows = [(u, "buy", "2024-05-01T00:00Z") for u in ("a", "b", "c")]
    log = log_of(rows, channel=["web", None, float("nan")])
    daily = m.active_users(log, activity_events=("buy", {"channel": filter_value}))
    assert int(daily.sum()) == len(users)
    assert EventSelector.parse(("buy", {"channel": filter_value})).mask(log).tolist() == [
        u in users for u in ("a", "b", "c")
    ]
