"""pacing: hand-computed linear and history-shaped expectations, status, required rate."""

from __future__ import annotations

import pandas as pd
import pytest

from useropslib.campaigns import pacing
from useropslib.events import EventLog
from useropslib.exceptions import InvalidParameterError
from useropslib.models import Campaign, ConversionSpec, Goal, NewUsersSpec


def _signups(per_day: list[int], start: str) -> EventLog:
    days = pd.date_range(start, periods=len(per_day), freq="D", tz="UTC")
    rows = []
    for day, n in zip(days, per_day, strict=True):
        rows += [(f"u{day.date()}-{i}", "signup", day + pd.Timedelta(hours=12)) for i in range(n)]
    return EventLog.from_pandas(pd.DataFrame(rows, columns=["user_id", "event", "timestamp"]))


GOAL = Goal(
    metric=NewUsersSpec(), target=100, start="2024-01-11T00:00Z", deadline="2024-01-21T00:00Z"
)


def test_behind_with_required_rate_and_projection() -> None:
    # 10 days of history (5/day), then 4 days of the goal at 5/day: 20 vs 40 expected
    log = _signups([5] * 14, "2024-01-01")
    res = pacing(GOAL, log, as_of="2024-01-15T00:00Z")
    assert res.actual == 20.0
    assert res.expected_linear == 40.0
    assert res.status == "behind"
    assert res.gap == -20.0
    assert res.required_daily == pytest.approx(80 / 6)
    assert res.projected == pytest.approx(50.0)
    # daily amounts are constant: no spread, a zero-width interval
    assert res.projected_interval == pytest.approx((50.0, 50.0))
    # history-shaped: the previous 10 days had 5/day, so after 4 days 40 % of the target
    assert res.expected_history == pytest.approx(40.0)
    assert res.to_frame()["actual"].tolist() == [5.0, 10.0, 15.0, 20.0]
    assert res.to_dict()["status"] == "behind"


def test_ahead_and_campaign_input() -> None:
    log = _signups([20] * 14, "2024-01-01")
    camp = Campaign(id="c", name="n", type="acquisition", primary_goal=GOAL)
    res = pacing(camp, log, as_of="2024-01-13T00:00Z")
    assert res.status == "ahead"
    assert res.actual == 40.0


def test_rate_metric_moves_from_baseline() -> None:
    rows = []
    for d in range(4):
        day = pd.Timestamp("2024-01-11", tz="UTC") + pd.Timedelta(days=d)
        rows += [(f"a{d}", "view", day), (f"a{d}", "buy", day + pd.Timedelta(hours=1))]
        rows += [(f"b{d}", "view", day)]
    log = EventLog.from_pandas(pd.DataFrame(rows, columns=["user_id", "event", "timestamp"]))
    goal = Goal(
        metric=ConversionSpec(steps=["view", "buy"], window="1D"),
        baseline=0.4,
        target=0.6,
        start="2024-01-11T00:00Z",
        deadline="2024-01-21T00:00Z",
    )
    res = pacing(goal, log, as_of="2024-01-15T00:00Z")
    assert res.actual == 0.5
    # 0.4 + 0.2 * 4 / 10
    assert res.expected_linear == pytest.approx(0.48)
    assert res.status == "on track"


def test_errors() -> None:
    log = _signups([5] * 14, "2024-01-01")
    with pytest.raises(InvalidParameterError, match=r"has no deadline"):
        pacing(Goal(metric=NewUsersSpec(), target=5, start="2024-01-01T00:00Z"), log)
    with pytest.raises(InvalidParameterError, match=r"as_of must lie in the goal's window"):
        pacing(GOAL, log, as_of="2024-01-05")
    with pytest.raises(InvalidParameterError, match=r"takes a Goal or a Campaign"):
        pacing("goal", log)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"tolerance must lie strictly between"):
        pacing(GOAL, log, as_of="2024-01-15T00:00Z", tolerance=2)
