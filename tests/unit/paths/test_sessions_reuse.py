"""One session split for both the session table and the metrics: ``session_metrics(sessions=)``
and ``SessionsResult.summary()``, hand-computed and against the metrics computed alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from useropslib.datasets import synthetic_frame
from useropslib.events import EventLog, LazyEventLog, strict_events
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError
from useropslib.paths import SessionsResult, session_metrics, sessions


@pytest.fixture(autouse=True)
def _strict() -> Iterator[None]:
    with strict_events():
        yield


def frame(rows: list[tuple[str, str, str]], tz: str = "UTC") -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    df["timestamp"] = pd.to_datetime(df["timestamp"]).dt.tz_localize(tz)
    return df


# a: two sessions on day 1 (2 events, 1 event), one on day 2; b: one session on day 1
TWO_DAYS = frame(
    [
        ("a", "open", "2024-01-01 10:00"),
        ("a", "view", "2024-01-01 10:20"),
        ("a", "open", "2024-01-01 12:00"),
        ("a", "open", "2024-01-02 09:00"),
        ("a", "buy", "2024-01-02 09:05"),
        ("a", "view", "2024-01-02 09:25"),
        ("b", "open", "2024-01-01 08:00"),
    ]
)


@pytest.fixture(scope="module")
def log() -> EventLog:
    return EventLog.from_pandas(synthetic_frame(n_users=150, days=40, seed=7))


def _same(a: Any, b: Any) -> None:
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.lengths, b.lengths)
    assert a.params == b.params
    assert a.as_of == b.as_of


# ------------------------------------------------------------------ summary(), hand-computed
def test_summary_over_every_session_hand_computed() -> None:
    s = sessions(TWO_DAYS).summary()
    # sessions: a 10:00-10:20 (2 events, 20 min), a 12:00 (1), a next day 09:00-09:25 (3, 25
    # min), b 08:00 (1): 4 sessions, 2 users, 7 events, durations 20, 0, 25, 0 minutes
    assert s["sessions"] == 4
    assert s["users"] == 2  # a counts once although her sessions fall on two days
    assert s["sessions_per_user"] == 2.0
    assert s["events_per_session"] == 7 / 4
    assert s["mean_duration"] == pd.Timedelta("45min") / 4
    assert s["median_duration"] == pd.Timedelta("10min")  # between 0 and 20 minutes
    assert s["bounce_rate"] == 0.5
    assert s.name == "all sessions"
    # per day the users add up to 3 (a on both days): the summary is not a sum of the table
    daily = session_metrics(TWO_DAYS, period="day").table
    assert daily["users"].tolist() == [2, 1]


def test_summary_matches_the_session_table(log: EventLog) -> None:
    """On a synthetic log: the summary is pandas' own reading of the session table."""
    s = sessions(log)
    monthly = session_metrics(log, period="month", sessions=s).table
    got = s.summary()
    t = s.table
    assert got["sessions"] == len(t) == int(monthly["sessions"].sum())
    assert got["users"] == t["user_id"].nunique() <= int(monthly["users"].sum())
    assert got["sessions_per_user"] == len(t) / t["user_id"].nunique()
    assert got["events_per_session"] == pytest.approx(t["events"].mean(), rel=1e-12)
    assert got["mean_duration"] == t["duration"].mean()
    assert got["median_duration"] == t["duration"].median()
    assert got["bounce_rate"] == pytest.approx((t["events"] == 1).mean(), rel=1e-12)


def test_summary_without_sessions_is_empty_not_an_error() -> None:
    with pytest.warns(InsufficientDataWarning):
        s = sessions(TWO_DAYS, as_of="2023-12-31")
    got = s.summary()
    assert got["sessions"] == 0
    assert got["users"] == 0
    assert np.isnan(got["sessions_per_user"])
    assert np.isnan(got["bounce_rate"])
    assert got["median_duration"] is pd.NaT


# ------------------------------------------------------ session_metrics(sessions=) == alone
@pytest.mark.parametrize(
    "rule",
    [
        {},
        {"timeout": "10min", "split": ">"},
        {"midnight": True, "tz": "Asia/Shanghai"},
        {"start_event": "signup"},
        {"as_of": "2024-01-20"},
    ],
    ids=["default", "timeout-split", "midnight-tz", "start-event", "as-of"],
)
@pytest.mark.parametrize("period", ["day", "week"])
def test_given_sessions_give_the_same_metrics(
    log: EventLog, rule: dict[str, Any], period: str
) -> None:
    s = sessions(log, **rule)
    _same(
        session_metrics(log, period=period, sessions=s, **rule),
        session_metrics(log, period=period, **rule),
    )


def test_given_sessions_with_a_breakdown(log: EventLog) -> None:
    groups = pd.Series(
        {u: ("even" if i % 2 else "odd") for i, u in enumerate(log.users)}, name="parity"
    )
    s = sessions(log)
    _same(
        session_metrics(log, period="week", breakdown=groups, sessions=s),
        session_metrics(log, period="week", breakdown=groups),
    )


def test_given_sessions_on_a_frame() -> None:
    s = sessions(TWO_DAYS)
    _same(session_metrics(TWO_DAYS, sessions=s), session_metrics(TWO_DAYS))


def test_given_sessions_on_a_lazy_log(log: EventLog) -> None:
    duckdb = pytest.importorskip("duckdb")
    lazy = LazyEventLog.scan(duckdb.from_df(log.to_pandas()), tz=log.tz)
    s = sessions(lazy)
    got = session_metrics(lazy, period="week", sessions=s)
    _same(got, session_metrics(lazy, period="week"))
    # the summary of the engine's session table is the in-memory one
    pd.testing.assert_series_equal(s.summary(), sessions(log).summary())


# ------------------------------------------------------------------------------ bad input
def test_not_a_sessions_result() -> None:
    with pytest.raises(InvalidParameterError, match=r"Invalid sessions=DataFrame\. Expected"):
        session_metrics(TWO_DAYS, sessions=sessions(TWO_DAYS).table)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("split_with", "metrics_with", "message"),
    [
        ({"timeout": "45min"}, {}, r"split with timeout=Timedelta\('0 days 00:45:00'\), but"),
        ({"split": ">"}, {}, r"split with split='>', but session_metrics got split='>='"),
        ({"midnight": True}, {}, r"split with midnight=True, but session_metrics got"),
        ({"start_event": "buy"}, {}, r"split with start_event=\['buy'\], but"),
        ({"tz": "Asia/Shanghai"}, {}, r"in the zone 'Asia/Shanghai', but session_metrics works"),
        ({}, {"as_of": "2024-01-01 23:00"}, r"split as of .*, but session_metrics got as of"),
    ],
    ids=["timeout", "split", "midnight", "start-event", "tz", "as-of"],
)
def test_sessions_split_with_another_rule(
    split_with: dict[str, Any], metrics_with: dict[str, Any], message: str
) -> None:
    s = sessions(TWO_DAYS, **split_with)
    with pytest.raises(InvalidParameterError, match=message + r".*Hint: pass the SessionsResult"):
        session_metrics(TWO_DAYS, sessions=s, **metrics_with)


def test_sessions_of_other_events() -> None:
    other = sessions(TWO_DAYS.iloc[:6])  # user b left out: the same range, one event fewer
    assert isinstance(other, SessionsResult)
    with pytest.raises(
        InvalidParameterError,
        match=r"sessions given hold 6 events, but the log has 7 events up to as_of: they were "
        r"not split from these events",
    ):
        session_metrics(TWO_DAYS, sessions=other)
