"""PostHog reference cases for active users (WAU trends) and stickiness.

Sources (numbers copied into ``tests/reference/data/``):

- ``posthog_trends_wau.json``: PostHog/posthog ``posthog/queries/trends/test/test_person.py``
  (TestPersonIntegration.test_weekly_active_users, ..._grouped_by_week, ..._cumulative; the
  legacy /insights/trend API).  WAU at a daily interval is a rolling 7-day window that looks back
  before ``date_from``; at a weekly interval the point labelled with a week's first day counts
  the 7 days ending on it; the cumulative display is a running sum of the daily values.
- ``posthog_stickiness_basic.json``: PostHog/posthog
  ``posthog/hogql_queries/insights/test/test_stickiness_query_runner.py`` (commit 7c159bb4):
  distinct active intervals per person over the range, one bucket per interval.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pandas as pd
import pytest

from useropslib.events import EventLog
from useropslib.metrics import active_users, stickiness

DATA = pathlib.Path(__file__).parent / "data"


def _case(name: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return out


def _frame(events: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for e in events:
        row = {"user_id": e["user"], "event": e["event"], "timestamp": e["timestamp"]}
        row.update(e.get("properties", {}))
        rows.append(row)
    return pd.DataFrame(rows)


# ============================================================================ WAU
WAU = _case("posthog_trends_wau.json")


@pytest.fixture(scope="module")
def wau_log() -> EventLog:
    return EventLog.from_pandas(_frame(WAU["events"]), tz="UTC")


def _range(params: dict[str, Any]) -> dict[str, str]:
    return {"start": params["dateRange"]["date_from"], "end": params["dateRange"]["date_to"]}


def test_wau_daily_interval_looks_back_before_the_range(wau_log: EventLog) -> None:
    params, expected = WAU["params"]["daily"], WAU["expected"]["daily"]
    s = active_users(wau_log, window="7D", activity_events=params["series"], **_range(params))
    # date_from and date_to at 13:37 still give whole days 09-17 .. 09-24
    assert len(s) == 8
    assert s.index[expected["index"]] == pd.Timestamp("2023-09-22", tz="UTC")
    assert s.iloc[expected["index"]] == expected["value"]
    # the two persons behind the point: the only users active on Sep 16..22
    behind = wau_log.between("2023-09-16", "2023-09-23")
    assert sorted(behind.users.take(behind.present_user_codes)) == sorted(expected["persons"])


def test_wau_weekly_interval_counts_the_7_days_ending_on_the_week_start(
    wau_log: EventLog,
) -> None:
    params, expected = WAU["params"]["weekly"], WAU["expected"]["weekly"]
    s = active_users(
        wau_log,
        window="7D",
        every="week",
        week_start=params["week_start_day"],
        activity_events=params["series"],
        **_range(params),
    )
    assert s.index[expected["index"]] == pd.Timestamp("2023-09-17", tz="UTC")
    assert s.iloc[expected["index"]] == expected["value"] == len(expected["persons"])


def test_wau_cumulative_display_is_a_running_sum(wau_log: EventLog) -> None:
    params = WAU["params"]["daily_cumulative_display"]
    expected = WAU["expected"]["daily_cumulative_display"]
    daily = active_users(wau_log, window="7D", activity_events=params["series"], **_range(params))
    running = daily.cumsum()
    assert running.index[expected["index"]] == pd.Timestamp("2023-09-11", tz="UTC")
    assert running.iloc[expected["index"]] == expected["value"]
    # the persons behind the point are the WAU persons of that day, not a cumulative set
    assert daily.iloc[expected["index"]] == len(expected["persons_behind_point"])


# ============================================================================ stickiness
STICK = _case("posthog_stickiness_basic.json")


@pytest.fixture(scope="module")
def stick_frame() -> pd.DataFrame:
    return _frame(STICK["events"])


@pytest.fixture(scope="module")
def stick_log(stick_frame: pd.DataFrame) -> EventLog:
    return EventLog.from_pandas(stick_frame, tz="UTC")


def _stick(log: EventLog, key: str, **kwargs: Any) -> Any:
    params = STICK["params"][key]
    series = params["series"]
    return stickiness(
        log,
        period=params["interval"],
        activity_events=None if series == "All events" else series,
        week_start="sunday",  # PostHog's default week
        interval_count=params.get("intervalCount", 1),
        **_range(params),
        **kwargs,
    )


@pytest.mark.parametrize("key", ["day", "week", "month", "any_event", "two_day_intervals"])
def test_stickiness_distribution(stick_log: EventLog, key: str) -> None:
    expected = STICK["expected"][key]
    r = _stick(stick_log, key)
    assert r.counts.tolist() == expected["data"]
    if "days" in expected:
        assert r.counts.index.tolist() == expected["days"]
    assert r.total == sum(expected["data"])
    assert r.total == expected.get("count", r.total)


def test_stickiness_labels(stick_log: EventLog) -> None:
    for key, unit in (("day", "days"), ("week", "weeks"), ("month", "months")):
        r = _stick(stick_log, key)
        assert r.counts.index.name == unit
        assert len(r.counts) == len(STICK["expected"][key]["labels"])


def test_stickiness_property_filter(stick_frame: pd.DataFrame) -> None:
    chrome = stick_frame[
        stick_frame["$browser"] == STICK["params"]["chrome_only"]["properties"]["$browser"]
    ]
    log = EventLog.from_pandas(chrome, tz="UTC")
    r = _stick(log, "chrome_only")
    assert r.counts.tolist() == STICK["expected"]["chrome_only"]["data"]


def test_stickiness_compare_to_previous_day(stick_log: EventLog) -> None:
    expected = STICK["expected"]["compare_to_minus_1d"]
    current = _stick(stick_log, "compare_to_minus_1d")
    previous = stickiness(
        stick_log, period="day", activity_events="$pageview", start="2020-01-11", end="2020-01-19"
    )
    assert current.counts.tolist() == expected["current"]["data"]
    assert current.total == expected["current"]["count"]
    assert previous.counts.tolist() == expected["previous"]["data"]
    assert previous.total == expected["previous"]["count"]
