"""churn_labels, churn_rate and natural_churn_rate: hand-computed cases and every error."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from useropslib.churn._labels import churn_labels, churn_rate, natural_churn_rate
from useropslib.events import EventLog, strict_events
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
)
from useropslib.models._churn import ChurnDefinition


@pytest.fixture(autouse=True)
def _strict_event_names() -> Iterator[None]:
    """These cases pin the errors for unknown event names (the warning is tested elsewhere)."""
    with strict_events():
        yield


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "event": [r[1] for r in rows],
            "timestamp": [ts(r[2]) for r in rows],
        }
    )


LABEL_ROWS = [
    ("a", "open", "2024-01-01"),
    ("a", "open", "2024-01-31"),
    ("b", "open", "2024-01-02"),
    ("c", "push", "2024-01-05"),
    ("c", "open", "2024-02-25"),
    ("d", "push", "2024-01-06"),
]
OPEN_30D = ChurnDefinition(threshold="30D", activity_events=["open"])


# ============================================================================ labels
def test_labels_hand_case() -> None:
    df = frame(LABEL_ROWS)
    before = df.copy()
    labels = churn_labels(df, OPEN_30D, as_of="2024-03-01")
    pd.testing.assert_frame_equal(df, before)  # the caller's frame is untouched
    assert labels.index.name == "user_id"
    assert labels.index.tolist() == ["a", "b", "c"]  # d never did an activity event
    assert labels.columns.tolist() == [
        "first_seen",
        "last_seen",
        "days_inactive",
        "churned",
        "censored",
        "churned_at",
    ]
    # 2024 is a leap year: Jan 31 -> Mar 1 is exactly 30 days, which is churned (inclusive)
    assert labels["days_inactive"].tolist() == [30.0, 59.0, 5.0]
    assert labels["churned"].tolist() == [True, True, False]
    # c's first activity (the push does not count) is 5 days before as_of: too new to tell
    assert labels["censored"].tolist() == [False, False, True]
    assert labels.loc["c", "first_seen"] == ts("2024-02-25")
    assert labels.loc["a", "last_seen"] == ts("2024-01-31")
    assert labels.loc["a", "churned_at"] == ts("2024-03-01")
    assert labels.loc["b", "churned_at"] == ts("2024-02-01")
    assert pd.isna(labels.loc["c", "churned_at"])


def test_labels_use_the_logs_as_of_and_its_time_zone() -> None:
    log = EventLog.from_pandas(frame(LABEL_ROWS), tz="Asia/Shanghai", as_of="2024-03-01 08:00")
    labels = churn_labels(log, OPEN_30D)
    assert str(labels.loc["a", "last_seen"].tz) == "Asia/Shanghai"
    # the log's as_of is 2024-03-01 00:00 UTC
    assert labels["churned"].tolist() == [True, True, False]
    # naive as_of is read in the log's zone: 12 hours earlier a is not churned yet
    earlier = churn_labels(log, OPEN_30D, as_of="2024-02-29 20:00")
    assert earlier["days_inactive"].tolist() == [29.5, 58.5, 4.5]
    assert earlier["churned"].tolist() == [False, True, False]


def test_every_event_counts_without_activity_events() -> None:
    labels = churn_labels(frame(LABEL_ROWS), "30D", as_of="2024-03-01")
    assert labels.index.tolist() == ["a", "b", "c", "d"]
    assert labels.loc["c", "first_seen"] == ts("2024-01-05")
    assert labels["censored"].tolist() == [False, False, False, False]


def test_labels_ignore_events_after_as_of() -> None:
    rows = [*LABEL_ROWS, ("b", "open", "2024-04-01")]
    labels = churn_labels(frame(rows), OPEN_30D, as_of="2024-03-01")
    assert labels.loc["b", "last_seen"] == ts("2024-01-02")
    assert bool(labels.loc["b", "churned"])


def test_labels_errors() -> None:
    df = frame(LABEL_ROWS)
    with pytest.raises(InvalidParameterError, match=r"as_of=2023-12-01 00:00:00\+00:00 is before"):
        churn_labels(df, "30D", as_of="2023-12-01")
    with pytest.raises(InvalidParameterError, match=r"Cannot read as_of='someday'"):
        churn_labels(df, "30D", as_of="someday")
    bad = ChurnDefinition(threshold="30D", activity_events=["opne"])
    with pytest.raises(InvalidParameterError, match=r"Unknown event name.*did you mean 'open'"):
        churn_labels(df, bad)
    only_open = ChurnDefinition(threshold="30D", activity_events=["open"])
    early = frame([*LABEL_ROWS, ("e", "push", "2023-12-31 12:00")])
    # labels count: no activity event before as_of labels nobody, with a warning saying why
    with pytest.warns(
        InsufficientDataWarning,
        match=r"no activity event named \['open'\] at or before as_of=2023-12-31 18:00:00\+00:00, "
        r"so no user is labelled",
    ):
        labels = churn_labels(early, only_open, as_of="2023-12-31 18:00")
    assert labels.empty


# ============================================================================ churn rate
RATE_ROWS = [
    ("a", "open", "2024-01-05"),
    ("a", "open", "2024-01-20"),
    ("b", "open", "2024-01-25"),
    ("b", "open", "2024-02-03"),
    ("b", "open", "2024-02-10"),
    ("c", "open", "2024-02-01"),
    ("c", "open", "2024-03-15"),
    *[("d", "open", day) for day in ("2024-01-28", "2024-02-05", "2024-02-14", "2024-02-23")],
    *[("d", "open", day) for day in ("2024-03-03", "2024-03-12", "2024-03-19")],
]


def test_churn_rate_hand_case() -> None:
    # threshold 10 days; active spells (start, last activity + 10 days):
    #   a [Jan 5, Jan 15], a [Jan 20, Jan 30], b [Jan 25, Feb 20], c [Feb 1, Feb 11],
    #   c [Mar 15, Mar 25], d [Jan 28, Mar 29]
    # Jan 1: nobody active.  Feb 1: b, c, d active; b and c churn in February -> 2/3.
    # Mar 1: d active; d's churn (Mar 29) is after as_of (Mar 20) -> 0/1, incomplete.
    res = churn_rate(frame(RATE_ROWS), "10D", period="month", as_of="2024-03-20")
    assert res.index.name == "period"
    assert res.index.tolist() == [ts("2024-01-01"), ts("2024-02-01"), ts("2024-03-01")]
    assert res["active_at_start"].tolist() == [0, 3, 1]
    assert res["churned"].tolist() == [0, 2, 0]
    np.testing.assert_allclose(res["churn_rate"], [np.nan, 2 / 3, 0.0])
    assert res["complete"].tolist() == [True, True, False]


def test_churn_rate_counts_churn_at_the_period_start_in_that_period() -> None:
    # a is silent exactly 7 days at Monday Jan 8 00:00: churned in the week of Jan 8
    rows = [("a", "open", "2024-01-01"), ("b", "open", "2024-01-03")]
    res = churn_rate(frame(rows), "7D", period="week", as_of="2024-01-15")
    assert res["active_at_start"].tolist() == [1, 2, 0]
    assert res["churned"].tolist() == [0, 2, 0]


def test_churn_rate_errors() -> None:
    with pytest.raises(InvalidParameterError, match=r"Unsupported period 'fortnight'"):
        churn_rate(frame(RATE_ROWS), "10D", period="fortnight")
    with pytest.raises(InvalidParameterError, match="is before the first event"):
        churn_rate(frame(RATE_ROWS), "10D", as_of="2020-01-01")


# ============================================================================ natural churn
def domain_example() -> pd.DataFrame:
    """100 sign up on Jan 1; 80 come back within five weeks, 20 do not (5 of them only later)."""
    day = ts("2024-01-01 09:00")
    rows = []
    for i in range(100):
        signup = day + pd.Timedelta(minutes=i)
        rows.append((f"u{i:03d}", "signup", signup))
        if i < 80:
            rows.append((f"u{i:03d}", "open", signup + pd.Timedelta(days=1 + i % 30)))
        elif i < 85:
            rows.append((f"u{i:03d}", "open", signup + pd.Timedelta(days=40)))
    return pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])


def test_natural_churn_rate_domain_example() -> None:
    res = natural_churn_rate(
        domain_example(), cohort_period="day", silence="5W", as_of="2024-03-01"
    )
    assert res.index.name == "cohort"
    assert res.index.tolist() == [ts("2024-01-01")]
    row = res.iloc[0]
    assert (row["signups"], row["pending"], row["churned"]) == (100, 0, 20)
    assert row["natural_churn_rate"] == pytest.approx(0.2)
    assert bool(row["complete"])


def test_natural_churn_rate_marks_incomplete_cohorts() -> None:
    rows = [
        ("a", "signup", "2024-01-22 10:00"),  # Monday; window ends Feb 26 10:00 -> decided
        ("b", "signup", "2024-01-27 10:00"),  # Saturday; window ends Mar 2 -> pending
        ("c", "signup", "2024-02-20 10:00"),  # window still open
        ("c", "open", "2024-02-21 10:00"),
    ]
    res = natural_churn_rate(frame(rows), silence="5W", as_of="2024-02-28 12:00")
    assert res.index.tolist() == [ts("2024-01-22"), ts("2024-02-19")]
    assert res["signups"].tolist() == [2, 1]
    assert res["pending"].tolist() == [1, 1]
    assert res["churned"].tolist() == [1, 0]
    np.testing.assert_allclose(res["natural_churn_rate"], [1.0, np.nan])
    # week of Jan 22 ends Jan 29; + 5 weeks = Mar 4 > as_of
    assert res["complete"].tolist() == [False, False]


def test_natural_churn_window_bounds() -> None:
    rows = [
        ("same_instant", "signup", "2024-01-01 09:00"),
        ("same_instant", "open", "2024-01-01 09:00"),  # part of signing up: not a return
        ("at_the_edge", "signup", "2024-01-01 10:00"),
        ("at_the_edge", "open", "2024-02-05 10:00"),  # exactly 5 weeks later: counts
        ("just_after", "signup", "2024-01-01 11:00"),
        ("just_after", "open", "2024-02-05 11:00:01"),
    ]
    res = natural_churn_rate(frame(rows), cohort_period="day", as_of="2024-03-01")
    assert res["churned"].tolist() == [2]
    assert res["natural_churn_rate"].tolist() == pytest.approx([2 / 3])


def test_natural_churn_with_a_definition_and_first_events() -> None:
    rows = [
        ("a", "push", "2023-12-31 23:00"),  # first event of a: the anchor when signup_event=None
        ("a", "signup", "2024-01-02 10:00"),
        ("a", "push", "2024-01-03 10:00"),
        ("b", "signup", "2024-01-02 11:00"),
        ("b", "open", "2024-01-04 11:00"),
    ]
    opens = ChurnDefinition(threshold="5W", activity_events=["open"])
    res = natural_churn_rate(
        frame(rows),
        cohort_period="week",
        silence=opens,
        signup_event="signup",
        as_of="2024-03-01",
    )
    # pushes are not activity: a never came back; b did
    assert res["signups"].tolist() == [2]
    assert res["churned"].tolist() == [1]
    res = natural_churn_rate(frame(rows), cohort_period="day", as_of="2024-03-01")
    # anchors are first events (Dec 31 for a, Jan 2 for b); every later event is activity
    assert res.index.tolist() == [ts("2023-12-31"), ts("2024-01-02")]
    assert res["churned"].tolist() == [0, 0]


def test_natural_churn_errors() -> None:
    df = domain_example()
    with pytest.raises(InvalidParameterError, match=r"Unknown event.* in signup_event.*'signup'"):
        natural_churn_rate(df, signup_event="sigup")
    with pytest.raises(InvalidParameterError, match=r"Invalid signup_event=1"):
        natural_churn_rate(df, signup_event=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"Invalid silence='0D'.*positive"):
        natural_churn_rate(df, silence="0D")
    with pytest.raises(InvalidParameterError, match=r"Unsupported period 'year'"):
        natural_churn_rate(df, cohort_period="year")
    late = frame([("a", "open", "2024-01-01"), ("a", "signup", "2024-02-01")])
    with pytest.raises(
        InsufficientDataError,
        match=r"Nobody signed up at or before as_of=2024-01-15 00:00:00\+00:00: the log has 2 "
        r"events from 1 users and none named 'signup' by then",
    ):
        natural_churn_rate(late, signup_event="signup", as_of="2024-01-15")


def test_natural_churn_every_signup_pending_warns() -> None:
    young = frame([("a", "signup", "2024-01-01"), ("b", "signup", "2024-01-02")])
    with pytest.warns(
        InsufficientDataWarning,
        match=r"every one of the 2 signups is still pending at as_of=2024-01-10 00:00:00\+00:00 "
        r"\(signed up less than silence=35 days 00:00:00 before it\), so every rate is NaN\. "
        r"Expected signups whose window has closed\. Hint: use a later as_of",
    ):
        res = natural_churn_rate(young, as_of="2024-01-10")
    assert res["pending"].sum() == 2
    assert res["natural_churn_rate"].isna().all()
