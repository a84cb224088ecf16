"""Targets from history, breakdowns, funnel projection and cost / benefit, hand-computed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from useropslib.campaigns import (
    breakdown_target,
    cost_benefit,
    largest_remainder,
    project_funnel,
    target_from_history,
)
from useropslib.events import EventLog
from useropslib.exceptions import InsufficientDataError, InvalidParameterError
from useropslib.models import Campaign, Goal, NewUsersSpec, OrdersSpec, ParticipationFunnel


def _monthly(counts: list[int]) -> EventLog:
    rows = [("first", "ping", pd.Timestamp("2023-01-01", tz="UTC"))]
    months = pd.date_range("2023-01-01", periods=len(counts), freq="MS", tz="UTC")
    for m, n in zip(months, counts, strict=True):
        rows += [(f"u{m.date()}-{i}", "signup", m + pd.Timedelta(days=3)) for i in range(n)]
    rows.append(("last", "ping", months[-1] + pd.Timedelta(days=40)))
    return EventLog.from_pandas(pd.DataFrame(rows, columns=["user_id", "event", "timestamp"]))


def test_yoy_mom_trend() -> None:
    counts = [10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36]
    log = _monthly(counts)  # history Jan 2023 .. Feb 2024, target period Mar 2024
    spec = NewUsersSpec(event="signup")
    yoy = target_from_history(spec, log, method="yoy", uplift=0.1)
    assert str(yoy.period_start.date()) == "2024-03-01"
    assert yoy.baseline == 14.0  # March 2023
    assert yoy.target == pytest.approx(15.4)
    mom = target_from_history(spec, log, method="mom", uplift=2, relative=False)
    assert (mom.baseline, mom.target) == (36.0, 38.0)
    trend = target_from_history(spec, log, method="trend", trend_periods=5)
    assert trend.baseline == pytest.approx(38.0)
    assert trend.band[0] <= trend.baseline <= trend.band[1]
    frame = trend.to_frame()
    assert frame["kind"].tolist()[-1] == "target"


def test_not_enough_history_says_how_much() -> None:
    log = _monthly([10, 12, 14])
    with pytest.raises(InsufficientDataError, match=r"needs 12 complete periods.*has 3"):
        target_from_history(NewUsersSpec(), log, method="yoy")


def test_zero_baseline_with_relative_uplift() -> None:
    log = _monthly([10, 0, 0])
    with pytest.raises(InvalidParameterError, match=r"baseline .* is 0.*relative=False"):
        target_from_history(NewUsersSpec(event="signup"), log, method="mom", uplift=0.1)


def test_largest_remainder() -> None:
    assert largest_remainder(10, [1, 1, 1]).tolist() == [4, 3, 3]
    assert largest_remainder(7, [0.5, 0.3, 0.2]).tolist() == [4, 2, 1]
    assert largest_remainder(0, [1, 2]).tolist() == [0, 0]


def test_breakdown_target_by_property_and_user_map() -> None:
    df = pd.DataFrame(
        {
            "user_id": list("abcdefg"),
            "event": ["signup"] * 6 + ["purchase"],
            "timestamp": pd.date_range("2024-01-01", periods=7, freq="D", tz="UTC"),
            "channel": ["ads", "ads", "ads", "seo", "seo", "push", "ads"],
        }
    )
    out = breakdown_target(
        1000,
        NewUsersSpec(event="signup"),
        df,
        breakdown="channel",
        start="2024-01-01",
        end="2024-02-01",
    )
    assert out.index.tolist() == ["ads", "seo", "push"]
    assert out["target"].tolist() == [500, 333, 167]
    assert out["target"].sum() == 1000
    fractional = breakdown_target(
        10.5,
        OrdersSpec(purchase_event="signup"),
        df,
        breakdown="channel",
        start="2024-01-01",
        end="2024-02-01",
    )
    assert fractional["target"].sum() == pytest.approx(10.5)
    tiers = pd.Series({"a": "vip", "b": "vip", "c": "std", "d": "std", "e": "std", "f": "std"})
    by_user = breakdown_target(
        3, NewUsersSpec(event="signup"), df, breakdown=tiers, start="2024-01-01", end="2024-02-01"
    )
    assert by_user["target"].to_dict() == {"std": 2, "vip": 1}
    with pytest.raises(InvalidParameterError, match=r"did you mean 'channel'"):
        breakdown_target(
            10,
            OrdersSpec(purchase_event="signup"),
            df,
            breakdown="chanel",
            start="2024-01-01",
            end="2024-02-01",
        )
    from useropslib.models import RetentionSpec

    with pytest.raises(InvalidParameterError, match=r"not additive"):
        breakdown_target(
            10, RetentionSpec(), df, breakdown="channel", start="2024-01-01", end="2024-02-01"
        )


def test_project_funnel_given_and_from_history() -> None:
    res = project_funnel(1000, [0.5, 0.2])
    assert res.table["users"].tolist() == [1000.0, 500.0, 100.0]
    # a point on 0.2 gains 100 * 0.01 / 0.2 = 5 actions; on 0.5 gains 2
    assert res.table["gain_per_point"].tolist()[1:] == pytest.approx([2.0, 5.0])
    assert res.best_stage == "stage_2"
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b", "b", "c", "d"],
            "event": ["view", "cart", "buy", "view", "cart", "view", "view"],
            "timestamp": pd.date_range("2024-01-01", periods=7, freq="h", tz="UTC"),
        }
    )
    fun = ParticipationFunnel(attention="view", weigh="cart", action="buy")
    hist = project_funnel(100, funnel=fun, events=df, start="2024-01-01", end="2024-01-02")
    assert hist.table["rate"].tolist() == [1.0, 0.5, 0.5]
    assert hist.table["stage"].tolist() == ["attention", "weigh", "action"]
    with pytest.raises(InvalidParameterError, match=r"must lie in \(0, 1\]"):
        project_funnel(100, [1.5])
    with pytest.raises(InvalidParameterError, match=r"give rates="):
        project_funnel(100)


def _camp(**kw: object) -> Campaign:
    goal = Goal(metric=NewUsersSpec(), target=10, start="2024-03-01")
    return Campaign(id="c", name="n", type="acquisition", primary_goal=goal, **kw)  # type: ignore[arg-type]


def test_cost_benefit_hand_computed() -> None:
    camp = _camp(
        channels=[
            {"name": "sms", "cost_per_contact": 0.05, "fixed_cost": 50, "expected_reach": 2000},
            {"name": "push", "fixed_cost": 999},
        ],
        budget=[
            {"item": "push vendor", "amount": 200, "channel": "push"},
            {"item": "creative", "amount": 100},
        ],
        reward_per_participant=1.0,
    )
    res = cost_benefit(camp, expected_incremental=50, value_per_conversion=10, participants=300)
    # budget 300 + sms 50 + 0.05 * 2000 = 150 (push counted by its budget line) + rewards 300
    assert res.total_cost == 750.0
    assert res.cac == 2.5
    assert res.cost_per_incremental == 15.0
    assert res.value == 500.0
    assert res.roi == pytest.approx(-1 / 3)
    assert res.break_even_incremental == 75.0
    assert res.to_frame()["amount"].sum() == 750.0
    override = cost_benefit(
        camp, expected_incremental=50, value_per_conversion=10, participants=300, reach={"sms": 0}
    )
    assert override.total_cost == 650.0
    with pytest.raises(InvalidParameterError, match=r"did you mean 'sms'"):
        cost_benefit(camp, expected_incremental=1, value_per_conversion=1, reach={"smss": 1})
    with pytest.raises(
        InvalidParameterError, match=r"expected_incremental must be a finite number >= 0"
    ):
        cost_benefit(camp, expected_incremental=-1, value_per_conversion=1)
    free = cost_benefit(_camp(), expected_incremental=0, value_per_conversion=1)
    assert np.isnan(free.roi)
