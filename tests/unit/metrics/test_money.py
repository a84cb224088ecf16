"""Hand-computed cases for revenue(), ltv_curve() and payback(), every option, and their errors."""

from __future__ import annotations

import json
from collections.abc import Iterator

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from useropslib.events import EventLog, strict_events
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError
from useropslib.metrics._money import (
    LTVResult,
    PaybackResult,
    RevenueResult,
    ltv_curve,
    payback,
    revenue,
)


@pytest.fixture(autouse=True)
def _strict_event_names() -> Iterator[None]:
    """These cases pin the errors for unknown event names (the warning is tested elsewhere)."""
    with strict_events():
        yield


matplotlib.use("Agg")

T0 = pd.Timestamp("2024-01-01", tz="UTC")  # a Monday
DAY = pd.Timedelta("1D")


def frame(
    rows: list[tuple[str, str, pd.Timestamp, float | None]], **props: list[object]
) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp", "value"])
    for name, values in props.items():
        df[name] = values
    return df


@pytest.fixture
def shop() -> EventLog:
    """Three weeks from Monday Jan 1 (UTC).

    week 1: a opens, a buys 30; b opens; c opens
    week 2: nobody
    week 3: a buys 10 and 5; b buys 20 (no open)
    """
    rows = [
        ("a", "open", T0, None),
        ("a", "purchase", T0 + DAY, 30.0),
        ("b", "open", T0 + 2 * DAY, None),
        ("c", "open", T0 + 6 * DAY, None),
        ("a", "purchase", T0 + 14 * DAY, 10.0),
        ("a", "purchase", T0 + 15 * DAY, 5.0),
        ("b", "purchase", T0 + 20 * DAY, 20.0),
    ]
    return EventLog.from_pandas(frame(rows), as_of=T0 + 27 * DAY)


# ------------------------------------------------------------------------------------ revenue
def test_revenue_per_week(shop: EventLog) -> None:
    res = revenue(shop, period="week")
    assert isinstance(res, RevenueResult)
    t = res.table
    assert t.index.name == "period"
    assert list(t.index) == [T0, T0 + 7 * DAY, T0 + 14 * DAY]
    assert t["revenue"].tolist() == [30.0, 0.0, 35.0]
    assert t["purchases"].tolist() == [1, 0, 3]
    assert t["active_users"].tolist() == [3, 0, 2]
    assert t["paying_users"].tolist() == [1, 0, 2]
    assert t["arpu"].tolist()[0] == pytest.approx(10.0)
    assert np.isnan(t["arpu"].iloc[1])
    assert t["arpu"].iloc[2] == pytest.approx(17.5)
    assert t["arppu"].iloc[0] == pytest.approx(30.0)
    assert np.isnan(t["arppu"].iloc[1])
    assert t["arppu"].iloc[2] == pytest.approx(17.5)
    assert t["paying_share"].iloc[0] == pytest.approx(1 / 3)
    tot = res.totals
    assert tot["revenue"] == 65.0
    assert tot["active_users"] == 3
    assert tot["paying_users"] == 2
    assert tot["arpu"] == pytest.approx(65 / 3)
    assert tot["arppu"] == pytest.approx(32.5)
    assert tot["paying_share"] == pytest.approx(2 / 3)


def test_revenue_per_day_and_month(shop: EventLog) -> None:
    daily = revenue(shop, period="day").table
    assert len(daily) == 21  # Jan 1 .. Jan 21, empty days included
    assert daily["revenue"].sum() == 65.0
    assert daily.loc[T0 + 14 * DAY, "revenue"] == 10.0
    monthly = revenue(shop, period="month").table
    assert monthly["revenue"].tolist() == [65.0]
    assert monthly["active_users"].tolist() == [3]


def test_revenue_time_zone_and_week_start(shop: EventLog) -> None:
    # Sunday Jan 7 00:00 UTC is still Saturday Jan 6 in New York; Sunday-start weeks
    res = revenue(shop, period="week", week_start="sunday")
    assert str(res.table.index[0].date()) == "2023-12-31"
    assert res.table["active_users"].tolist() == [2, 1, 1, 1]
    ny = revenue(shop, period="day", tz="America/New_York").table
    assert str(ny.index[0]) == "2023-12-31 00:00:00-05:00"
    assert ny["revenue"].sum() == 65.0
    assert res.params["tz"] == "UTC"


def test_active_event_restricts_arpu_denominator_but_payers_stay_active(shop: EventLog) -> None:
    res = revenue(shop, period="week", activity_events="open")
    t = res.table
    # week 3: nobody opens, but a and b buy: they are active
    assert t["active_users"].tolist() == [3, 0, 2]
    only_c = revenue(shop.filter_users(["c", "a"]), period="week", activity_events="open").table
    assert only_c["active_users"].tolist() == [2, 0, 1]


def test_value_col_property_and_missing_amounts() -> None:
    rows = [
        ("a", "purchase", T0, None),
        ("b", "purchase", T0, None),
        ("c", "open", T0, None),
    ]
    df = frame(rows, amount=[12.5, None, "n/a"]).drop(columns="value")
    res = revenue(df, period="day", value_col="amount")
    t = res.table
    assert t["revenue"].tolist() == [12.5]
    assert t["purchases"].tolist() == [2]
    assert t["paying_users"].tolist() == [2]  # b paid an unknown amount: counted, 0 revenue
    assert t["active_users"].tolist() == [3]
    assert t["arppu"].tolist() == [6.25]


def test_several_purchase_events(shop: EventLog) -> None:
    res = revenue(shop, period="week", purchase_event=["purchase", "open"])
    assert res.table["purchases"].tolist() == [4, 0, 3]


def test_revenue_result_api(shop: EventLog) -> None:
    res = revenue(shop, period="week")
    assert res.to_frame()["period"].iloc[0] == T0
    payload = res.to_dict()
    json.dumps(payload)
    assert payload["table"][0]["revenue"] == 30.0
    assert payload["table"][1]["arpu"] is None
    assert repr(res).startswith("RevenueResult(period='week'")
    ax = res.plot()
    assert ax.get_ylabel() == "revenue"
    plt.close(ax.figure)


def test_revenue_empty_range_warns() -> None:
    log = EventLog.from_pandas(frame([("a", "purchase", T0, 1.0)]))
    with pytest.warns(InsufficientDataWarning, match="no active events"):
        res = revenue(log.between(T0 + DAY, None))
    assert res.table.empty
    assert res.table.columns.tolist()[:3] == ["revenue", "purchases", "active_users"]
    assert res.totals["revenue"] == 0.0


def test_revenue_errors(shop: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"purchase_event.*did you mean 'purchase'"):
        revenue(shop, purchase_event="purchse")
    with pytest.raises(InvalidParameterError, match=r"activity_events.*did you mean 'open'"):
        revenue(shop, activity_events="opne")
    with pytest.raises(InvalidParameterError, match=r"Unsupported period 'wek'.*'week'"):
        revenue(shop, period="wek")
    with pytest.raises(InvalidParameterError, match=r"Unknown time zone"):
        revenue(shop, tz="Mars/Olympus")
    with pytest.raises(InvalidParameterError, match=r"Unknown property value_col='amount'"):
        revenue(shop, value_col="amount")
    with pytest.raises(InvalidParameterError, match=r"Invalid value_col=3"):
        revenue(shop, value_col=3)  # type: ignore[arg-type]


def test_missing_values_hint() -> None:
    df = frame([("a", "purchase", T0, None)], amount=[3.0], price=["x"]).drop(columns="value")
    with pytest.raises(
        InvalidParameterError, match=r"no values.*Hint: pass value_col= one of .*\['amount'\]"
    ):
        revenue(df)
    plain = frame([("a", "purchase", T0, None)]).drop(columns="value")
    with pytest.raises(InvalidParameterError, match=r"no values.*value_col='amount'"):
        ltv_curve(plain)
    with pytest.raises(InvalidParameterError, match=r"value_col='amont'.*did you mean 'amount'"):
        revenue(df, value_col="amont")
    with pytest.raises(InvalidParameterError, match=r"non-numeric or infinite.*'x'"):
        revenue(df, value_col="price")


# --------------------------------------------------------------------------------- ltv_curve
@pytest.fixture
def cohorts() -> EventLog:
    """Two weekly cohorts.

    week 1 (Jan 1): a (buys 10 at age 0, 6 at age 2), b (buys 4 at age 1)
    week 2 (Jan 8): c (buys 9 at age 0), d (never buys), e (signs up Jan 14)
    as_of Jan 17 (week 3): cohort 1 observed at ages 0-2, cohort 2 at ages 0-1
    """
    rows = [
        ("a", "signup", T0, None),
        ("a", "purchase", T0 + DAY, 10.0),
        ("b", "signup", T0 + 3 * DAY, None),
        ("b", "purchase", T0 + 8 * DAY, 4.0),
        ("a", "purchase", T0 + 15 * DAY, 6.0),
        ("c", "signup", T0 + 7 * DAY, None),
        ("c", "purchase", T0 + 7 * DAY, 9.0),
        ("d", "open", T0 + 9 * DAY, None),
        ("e", "signup", T0 + 13 * DAY, None),
    ]
    return EventLog.from_pandas(frame(rows), as_of=T0 + 16 * DAY)


def test_ltv_table_and_sizes(cohorts: EventLog) -> None:
    res = ltv_curve(cohorts, cohort_period="week", periods=4)
    assert isinstance(res, LTVResult)
    assert res.sizes.tolist() == [2, 3]
    assert list(res.table.index) == [T0, T0 + 7 * DAY]
    assert res.table.columns.tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(
        res.revenue.to_numpy(), [[10, 14, 20, np.nan], [9, 9, np.nan, np.nan]]
    )
    np.testing.assert_allclose(res.table.to_numpy(), [[5, 7, 10, np.nan], [3, 3, np.nan, np.nan]])
    # chain ladder: age 0: 19/5; age 1: +4/5; age 2: +6/2; age 3: no cohort
    np.testing.assert_allclose(res.curve.to_numpy(), [3.8, 4.6, 7.6, np.nan])


def test_ltv_as_of_cuts_events_and_cells(cohorts: EventLog) -> None:
    res = ltv_curve(cohorts, periods=3, as_of=T0 + 8 * DAY)
    # d and e are not acquired yet; a's age-2 purchase is later; b's is at as_of itself
    assert res.sizes.tolist() == [2, 1]
    np.testing.assert_allclose(res.revenue.to_numpy(), [[10, 14, np.nan], [9, np.nan, np.nan]])
    same = ltv_curve(cohorts.until(T0 + 8 * DAY), periods=3)
    pd.testing.assert_frame_equal(res.table, same.table)


def test_ltv_signup_event_anchor(cohorts: EventLog) -> None:
    res = ltv_curve(cohorts, periods=2, signup_event="signup")
    assert res.sizes.tolist() == [2, 2]  # d never signs up
    np.testing.assert_allclose(res.table.to_numpy(), [[5, 7], [4.5, 4.5]])


def test_ltv_daily_cohorts_and_tz(cohorts: EventLog) -> None:
    res = ltv_curve(cohorts, cohort_period="day", periods=2)
    assert len(res.sizes) == 5
    assert res.table.loc[T0].tolist() == [0.0, 10.0]  # a buys the day after
    sh = ltv_curve(cohorts, cohort_period="day", periods=2, tz="Asia/Shanghai")
    assert str(sh.sizes.index[0]) == "2024-01-01 00:00:00+08:00"


def test_ltv_to_frame_and_api(cohorts: EventLog) -> None:
    res = ltv_curve(cohorts, periods=3)
    tidy = res.to_frame()
    assert tidy.columns.tolist() == [
        "cohort",
        "age",
        "users",
        "cumulative_revenue",
        "cumulative_revenue_per_user",
    ]
    assert len(tidy) == 5  # 3 observed cells + 2
    assert tidy["users"].tolist() == [2, 2, 2, 3, 3]
    json.dumps(res.to_dict())
    ax = res.plot()
    assert ax.get_ylabel() == "cumulative revenue per user"
    plt.close(ax.figure)


def test_ltv_nobody_acquired_warns(cohorts: EventLog) -> None:
    with pytest.warns(InsufficientDataWarning, match="no user was acquired"):
        res = ltv_curve(cohorts, as_of=T0 - DAY)
    assert res.table.empty
    assert res.curve.isna().all()


@pytest.mark.parametrize("periods", [0, -1, 2.5, True])
def test_ltv_periods_must_be_positive_integers(cohorts: EventLog, periods: object) -> None:
    with pytest.raises(InvalidParameterError, match=r"Invalid periods=.*integer >= 1"):
        ltv_curve(cohorts, periods=periods)  # type: ignore[arg-type]


def test_ltv_unknown_events(cohorts: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"signup_event.*did you mean 'signup'"):
        ltv_curve(cohorts, signup_event="signups")
    with pytest.raises(InvalidParameterError, match=r"Unsupported period 'quarter'"):
        ltv_curve(cohorts, cohort_period="quarter")


# ----------------------------------------------------------------------------------- payback
CHANNEL = {"a": "ads", "b": "ads", "c": "organic", "d": "organic", "e": "social"}


def test_payback_with_a_cost_per_channel(cohorts: EventLog) -> None:
    cac = {"ads": 6.0, "organic": 3.0, "social": 1.0, "tv": 50.0}
    res = payback(cohorts, cac=cac, breakdown=CHANNEL, periods=4)
    assert isinstance(res, PaybackResult)
    t = res.table
    assert t.index.name == "channel"
    assert t.index.tolist() == ["ads", "organic", "social", "tv"]
    assert t["users"].tolist() == [2, 2, 1, 0]
    assert t["cac"].tolist() == [6.0, 3.0, 1.0, 50.0]
    # ads: one cohort (a, b): 5, 7, 10 -> reaches 6 at age 1
    np.testing.assert_allclose(res.curves.loc["ads"].to_numpy(), [5, 7, 10, np.nan])
    # organic: c (9) and d (0) in week 2: 4.5 at age 0
    np.testing.assert_allclose(res.curves.loc["organic"].to_numpy(), [4.5, 4.5, np.nan, np.nan])
    assert t["payback_period"].tolist() == [1, 0, pd.NA, pd.NA]
    assert str(t["payback_period"].dtype) == "Int64"
    assert t["ltv"].tolist()[:3] == [10.0, 4.5, 0.0]
    assert t["ltv_to_cac"].iloc[0] == pytest.approx(10 / 6)
    assert res.to_dict()["table"][2]["payback_period"] is None


def test_payback_exact_equality_counts(cohorts: EventLog) -> None:
    res = payback(cohorts, cac={"ads": 7.0, "organic": 0.0, "social": 0.0}, breakdown=CHANNEL)
    assert res.table["payback_period"].tolist() == [1, 0, 0]
    assert np.isnan(res.table.loc["organic", "ltv_to_cac"])  # CAC 0


def test_payback_with_a_cost_per_user_frame(cohorts: EventLog) -> None:
    users = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d", "e", "zz"],
            "channel": ["ads", "ads", "organic", "organic", "social", "ads"],
            "acquisition_cost": [4.0, 8.0, 0.0, None, 1.0, 100.0],
        }
    )
    res = payback(cohorts, cac=users, breakdown="channel", periods=3)
    t = res.table
    assert t["cac"].tolist() == [6.0, 0.0, 1.0]  # zz is not in the log; d's cost unknown
    assert t["payback_period"].tolist() == [1, 0, pd.NA]
    assert res.params["breakdown"] == "channel"


def test_payback_channel_as_a_property() -> None:
    rows = [
        ("a", "signup", T0, None),
        ("a", "purchase", T0 + DAY, 5.0),
        ("b", "signup", T0, None),
    ]
    df = frame(rows, utm=["ads", None, "seo"])
    res = payback(df, cac={"ads": 5.0, "seo": 1.0}, breakdown="utm", periods=2)
    assert res.table.index.name == "utm"
    assert res.table["payback_period"].tolist() == [0, pd.NA]


def test_payback_signup_event_and_as_of(cohorts: EventLog) -> None:
    res = payback(
        cohorts,
        cac={"ads": 6.0, "organic": 3.0, "social": 1.0},
        breakdown=CHANNEL,
        signup_event="signup",
        as_of=T0 + 9 * DAY,
        periods=3,
    )
    assert res.table["users"].tolist() == [2, 1, 0]  # d never signs up; e later
    np.testing.assert_allclose(res.curves.loc["organic"].to_numpy(), [9, np.nan, np.nan])


def test_payback_result_api(cohorts: EventLog) -> None:
    res = payback(cohorts, cac={"ads": 6.0, "organic": 3.0, "social": 1.0}, breakdown=CHANNEL)
    tidy = res.to_frame()
    assert tidy.columns.tolist() == ["channel", "age", "cumulative_revenue_per_user", "cac"]
    assert len(tidy) == 3 * 12
    json.dumps(res.to_dict())
    ax = res.plot()
    assert ax.get_ylabel() == "cumulative revenue per user"
    plt.close(ax.figure)


def test_payback_warns_without_acquired_users(cohorts: EventLog) -> None:
    with pytest.warns(InsufficientDataWarning, match="no user with a channel"):
        res = payback(cohorts, cac={"ads": 1.0}, breakdown={"a": "ads"}, as_of=T0 - DAY)
    assert res.table["payback_period"].isna().all()


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), "6", True])
def test_payback_rejects_bad_costs(cohorts: EventLog, bad: object) -> None:
    with pytest.raises(InvalidParameterError, match=r"Invalid acquisition cost.*per channel.*>= 0"):
        payback(cohorts, cac={"ads": bad, "organic": 1.0, "social": 1.0}, breakdown=CHANNEL)


def test_payback_rejects_negative_user_costs(cohorts: EventLog) -> None:
    users = pd.DataFrame({"user_id": ["a", "b"], "cac": [-3.0, "x"], "channel": ["ads", "ads"]})
    with pytest.raises(
        InvalidParameterError, match=r"per user: 'a': -3.0, 'b': 'x'.*finite numbers >= 0"
    ):
        payback(cohorts, cac=users, breakdown="channel")


def test_payback_cac_frame_errors(cohorts: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"no 'user_id' column.*did you mean 'userid'"):
        payback(cohorts, cac=pd.DataFrame({"userid": ["a"], "cost": [1.0]}), breakdown=CHANNEL)
    with pytest.raises(InvalidParameterError, match=r"no cost column.*rename 'costs'"):
        payback(cohorts, cac=pd.DataFrame({"user_id": ["a"], "costs": [1.0]}), breakdown=CHANNEL)
    with pytest.raises(InvalidParameterError, match=r"lists user ids \['a'\] more than once"):
        payback(
            cohorts, cac=pd.DataFrame({"user_id": ["a", "a"], "cost": [1, 2]}), breakdown=CHANNEL
        )
    with pytest.raises(InvalidParameterError, match=r"Invalid cac of type list"):
        payback(cohorts, cac=[1.0], breakdown=CHANNEL)  # type: ignore[arg-type]


def test_payback_missing_channel_cost(cohorts: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"No CAC for channel\(s\) \['social'\].*0.0"):
        payback(cohorts, cac={"ads": 6.0, "organic": 3.0}, breakdown=CHANNEL)


def test_payback_unknown_channel_property(cohorts: EventLog) -> None:
    df = cohorts.to_pandas()
    df["chanel_x"] = "ads"
    log = EventLog.from_pandas(df)
    with pytest.raises(
        InvalidParameterError, match=r"breakdown='channel'.*did you mean 'chanel_x'"
    ):
        payback(log, cac={"ads": 1.0}, breakdown="channel")
    with pytest.raises(InvalidParameterError, match=r"Invalid breakdown=None"):
        payback(log, cac={"ads": 1.0}, breakdown=None)
    with pytest.raises(InvalidParameterError, match=r"Unknown property breakdown='week'"):
        payback(log, cac={"ads": 1.0}, breakdown="week")  # periods are not channels
    with pytest.raises(InvalidParameterError, match=r"No user of the log is in breakdown"):
        payback(log, cac={"ads": 1.0}, breakdown={1: "ads"})


def test_payback_on_synthetic_data() -> None:
    from useropslib.datasets import synthetic

    data = synthetic(n_users=2000, days=60, seed=3)
    costs = dict(zip(data.channels["channel"], data.channels["cost_per_user"], strict=True))
    by_channel = payback(
        data.events, cac=costs, breakdown=data.users.set_index("user_id")["channel"], periods=8
    )
    by_user = payback(data.events, cac=data.users, breakdown="channel", periods=8)
    pd.testing.assert_frame_equal(by_channel.table, by_user.table)
    assert by_channel.table.loc["organic", "payback_period"] == 0
    assert by_channel.table["users"].sum() == 2000
