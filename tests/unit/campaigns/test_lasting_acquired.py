"""lasting_effect for acquisition campaigns: acquired users against organic signups."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from useropslib.campaigns import lasting_effect
from useropslib.events import EventLog
from useropslib.exceptions import InsufficientDataError, InvalidParameterError
from useropslib.models import Campaign, Goal, NewUsersSpec


def _campaign() -> Campaign:
    return Campaign(
        id="c1",
        name="Signup push",
        type="acquisition",
        primary_goal=Goal(
            kind="acquisition",
            metric=NewUsersSpec(event="signup"),
            target=100,
            start="2024-03-01",
            deadline="2024-03-08",
        ),
    )


def _small() -> pd.DataFrame:
    rows = [
        ("old", "signup", "2024-02-01", None),
        ("old", "open", "2024-03-09", None),
        ("a1", "signup", "2024-03-01", "c1"),
        ("a1", "open", "2024-03-09", None),  # 8 days after signup: period 1
        ("a1", "open", "2024-03-16", None),  # 15 days: period 2
        ("a2", "signup", "2024-03-02", "c1"),
        ("a2", "open", "2024-03-10", None),  # period 1
        ("o1", "signup", "2024-03-03", None),
        ("o1", "open", "2024-03-18", None),  # 15 days: period 2
        ("o2", "signup", "2024-03-04", None),
        ("o3", "signup", "2024-03-05", None),
        ("o3", "open", "2024-03-12", None),  # exactly 7 days: period 1
        ("o3", "open", "2024-03-31", None),
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "event", "day", "campaign"])
    frame["timestamp"] = pd.to_datetime(frame.pop("day")).dt.tz_localize("UTC") + pd.Timedelta(
        hours=10
    )
    return frame


def test_retention_since_signup_by_hand() -> None:
    log = EventLog.from_frame(_small(), properties=["campaign"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a Cox fit on five users warns about its precision
        le = lasting_effect(_campaign(), log, as_of="2024-03-31 12:00", periods=2)
    assert le.acquired is not None
    got = le.acquired
    # period 1: a1, a2 active (2/2); organic o3 only (1/3). period 2: a1 (1/2); o1 (1/3)
    assert got["acquired"].tolist() == [1.0, 0.5]
    assert got["organic"].tolist() == pytest.approx([1 / 3, 1 / 3])
    assert got["acquired_users"].tolist() == [2, 2]
    assert got["organic_users"].tolist() == [3, 3]
    assert le.retention.empty  # no control group: only the organic comparison
    assert le.acquired_hazard is not None
    assert "hazard_ratio" in le.acquired_hazard.columns


def test_acquired_given_and_attribution_errors() -> None:
    frame = _small().drop(columns="campaign")
    log = EventLog.from_frame(frame)
    with pytest.raises(InvalidParameterError, match="no 'campaign' property"):
        lasting_effect(_campaign(), log, as_of="2024-03-31 12:00", periods=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        le = lasting_effect(
            _campaign(), log, as_of="2024-03-31 12:00", periods=2, acquired=["a1", "o3"]
        )
    assert le.acquired is not None
    assert le.acquired["acquired"].tolist() == [1.0, 0.5]  # a1 (p1, p2), o3 (p1)
    with pytest.raises(InsufficientDataError, match="0 acquired and 5 organic"):
        lasting_effect(_campaign(), log, as_of="2024-03-31 12:00", acquired=["nobody"])


def test_hazard_ratio_sees_acquired_users_churn_faster() -> None:
    rng = np.random.default_rng(5)
    n = 600
    acquired = np.arange(n) < n // 2
    signup = pd.Timestamp("2024-03-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 7, n), "D")
    rows = []
    for i in range(n):  # test data only
        life = rng.exponential(10 if acquired[i] else 40)  # days active after signup
        days = np.arange(0, min(life, 80), 3.0)
        for d in days:
            rows.append((f"u{i}", "signup" if d == 0 else "open", signup[i] + pd.Timedelta(days=d)))
    frame = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    log = EventLog.from_frame(frame)
    ids = [f"u{i}" for i in range(n // 2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        le = lasting_effect(_campaign(), log, as_of="2024-05-31", acquired=ids)
    assert le.acquired_hazard is not None
    hr = le.acquired_hazard["hazard_ratio"].iloc[0]
    assert hr > 2  # acquired users churn about four times as fast
    assert le.acquired is not None
    assert (le.acquired["difference"] < 0).all()
