"""smart_check and progress on small hand-computed logs; OKR grades measured from the log."""

from __future__ import annotations

import pandas as pd
import pytest

from useropslib.campaigns import grade_key_result, grade_okrs, progress, smart_check
from useropslib.events import EventLog
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError
from useropslib.models import (
    ConversionSpec,
    Goal,
    KeyResult,
    NewUsersSpec,
    Objective,
    OKRSet,
    RevenueSpec,
)


def _daily_signups(per_day: list[int], start: str = "2024-01-01") -> EventLog:
    days = pd.date_range(start, periods=len(per_day), freq="D", tz="UTC")
    rows = []
    for day, n in zip(days, per_day, strict=True):
        rows += [(f"u{day.date()}-{i}", "signup", day + pd.Timedelta(hours=12)) for i in range(n)]
    return EventLog.from_pandas(pd.DataFrame(rows, columns=["user_id", "event", "timestamp"]))


def test_smart_check_passes_a_good_goal() -> None:
    # weekly totals 70, 77, 63, 70, 84, 70, 77, 63, 70, 77: +7 % sits mid-distribution
    weeks = [10, 11, 9, 10, 12, 10, 11, 9, 10, 11]
    log = _daily_signups([n for n in weeks for _ in range(7)])
    goal = Goal(
        kind="acquisition",
        metric=NewUsersSpec(),
        baseline=70,
        target=75,
        start="2024-03-11T00:00Z",
        deadline="2024-03-18T00:00Z",
    )
    assert smart_check(goal, log) == []


def test_smart_check_findings() -> None:
    goal = Goal(target=5, start="2024-01-01")
    found = {f.property: f for f in smart_check(goal)}
    assert set(found) == {"specific", "time_bound"}
    assert "no kind and no metric" in found["specific"].reason

    log = _daily_signups([10] * 5)
    goal = Goal(
        kind="conversion",
        metric=ConversionSpec(steps=["signup", "pay"]),
        target=0.5,
        start="2024-01-01",
        deadline="2024-02-01",
    )
    found = {f.property: f for f in smart_check(goal, log)}
    assert found["measurable"].detail["missing_events"] == ["pay"]

    goal = Goal(
        kind="retention", metric=RevenueSpec(), target=5, start="2024-01-01", deadline="2024-02-01"
    )
    assert "does not measure a 'retention' goal" in smart_check(goal)[0].reason


def test_smart_check_not_achievable_gives_percentile() -> None:
    # weekly signups vary between 63 and 77 (changes within about +-20 %); +100 % is beyond
    per_day = ([9, 10, 11] * 30)[:84]
    log = _daily_signups(per_day)
    goal = Goal(
        kind="acquisition",
        metric=NewUsersSpec(),
        target=140,
        start="2024-03-25T00:00Z",
        deadline="2024-04-01T00:00Z",
    )
    found = {f.property: f for f in smart_check(goal, log)}
    assert found["achievable"].detail["percentile"] == 100.0
    assert "beyond the 100th percentile" in found["achievable"].reason


def test_smart_check_warns_on_short_history() -> None:
    log = _daily_signups([10] * 10)
    goal = Goal(
        kind="acquisition",
        metric=NewUsersSpec(),
        target=140,
        start="2024-01-08T00:00Z",
        deadline="2024-01-15T00:00Z",
    )
    with pytest.warns(InsufficientDataWarning, match=r"only 1 window.*4 needed"):
        assert smart_check(goal, log) == []


def test_progress_with_baseline_and_direction() -> None:
    log = _daily_signups([2] * 10)
    goal = Goal(
        kind="acquisition",
        metric=NewUsersSpec(),
        baseline=10,
        target=30,
        start="2024-01-01T00:00Z",
        deadline="2024-01-31T00:00Z",
    )
    res = progress(goal, log, as_of="2024-01-31T00:00Z")
    # 20 signups at the deadline: (20 - 10) / (30 - 10)
    assert res.actual == 20.0
    assert res.attainment == 0.5
    assert res.status == "red"
    assert res.to_frame()["status"].tolist() == ["red"]
    assert res.to_dict()["attainment"] == 0.5
    custom = progress(
        goal, log, as_of="2024-01-31T00:00Z", thresholds={"green": 0.5, "amber": 0.25}
    )
    assert custom.status == "green"
    # mid-window (an additive metric): baseline and target pro-rated by 6 / 30 of the window
    mid = progress(goal, log, as_of="2024-01-07T00:00Z")
    assert mid.actual == 12.0
    assert mid.attainment == pytest.approx((12 - 2) / (6 - 2))
    down = Goal(
        kind="acquisition",
        metric=NewUsersSpec(),
        baseline=30,
        target=10,
        direction="decrease",
        start="2024-01-01T00:00Z",
        deadline="2024-01-31T00:00Z",
    )
    assert progress(down, log, as_of="2024-01-31T00:00Z").attainment == 0.5


def test_progress_errors() -> None:
    log = _daily_signups([2] * 10)
    draft = Goal(target=3, start="2024-01-01T00:00Z")
    with pytest.raises(InvalidParameterError, match=r"has no metric.*NewUsersSpec"):
        progress(draft, log)
    goal = Goal(metric=NewUsersSpec(), target=30, start="2024-01-05T00:00Z")
    with pytest.raises(InvalidParameterError, match=r"is not after the goal's start"):
        progress(goal, log, as_of="2024-01-02")
    with pytest.raises(InvalidParameterError, match=r"keys 'green' and 'amber'"):
        progress(goal, log, thresholds={"green": 0.9})


def test_okr_measured_from_log() -> None:
    log = _daily_signups([3] * 10)
    kr = KeyResult(text="30 signups", metric=NewUsersSpec(), target=40)
    okrs = OKRSet(
        objectives=[Objective(text="grow", key_results=[kr])],
        start="2024-01-01T00:00Z",
        end="2024-02-01T00:00Z",
    )
    res = grade_okrs(okrs, log)
    assert res.grade == 0.75
    assert "OKRGrades(grade=0.75)" in repr(res)
    with pytest.raises(InvalidParameterError, match=r"no achieved value"):
        grade_key_result(kr)
    over = KeyResult(text="x", target=10, achieved=15)
    assert grade_key_result(over) == 1.0
    down = KeyResult(text="churn", target=0.08, baseline=0.1, direction="decrease", achieved=0.09)
    assert grade_key_result(down) == pytest.approx(0.5)


def test_all_aspirational_at_one_is_flagged() -> None:
    kr = KeyResult(text="x", target=10, achieved=12)
    res = grade_okrs(OKRSet(objectives=[Objective(text="o", key_results=[kr])]))
    assert res.findings
    assert "not ambitious" in res.findings[0]
