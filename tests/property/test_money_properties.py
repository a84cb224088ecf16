"""Hypothesis invariants of revenue(), ltv_curve() and payback(), and slow pandas twins."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from useropslib.events import EventLog
from useropslib.exceptions import InsufficientDataWarning
from useropslib.metrics._money import ltv_curve, payback, revenue

T0 = pd.Timestamp("2024-01-01", tz="UTC")
USERS = "abcdefg"
ZONES = ["UTC", "Asia/Shanghai", "America/New_York"]
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


@st.composite
def shops(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    users = draw(st.lists(st.sampled_from(USERS), min_size=n, max_size=n))
    buys = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    hours = draw(st.lists(st.integers(0, 24 * 70), min_size=n, max_size=n))
    cents = draw(st.lists(st.one_of(st.none(), st.integers(0, 100_000)), min_size=n, max_size=n))
    df = pd.DataFrame(
        {
            "user_id": users,
            "event": ["purchase" if b else "open" for b in buys],
            "timestamp": T0 + pd.to_timedelta(hours, unit="h"),
            "value": pd.Series(
                [None if c is None or not b else c / 100 for c, b in zip(cents, buys, strict=True)],
                dtype="float64",
            ),
        }
    )
    # both event names exist in every log
    extra = pd.DataFrame(
        {
            "user_id": ["a", "a"],
            "event": ["open", "purchase"],
            "timestamp": [T0, T0 + pd.Timedelta("3h")],
            "value": pd.Series([np.nan, 1.0], dtype="float64"),
        }
    )
    return pd.concat([df, extra], ignore_index=True)


def local_weeks(ts: pd.Series, tz: str) -> np.ndarray:
    """Monday-start week ordinals of aware timestamps in ``tz`` (pandas' own calendar)."""
    naive = ts.dt.tz_convert(tz).dt.tz_localize(None)
    return np.asarray(pd.PeriodIndex(naive.dt.to_period("W-SUN")).asi8)


# ----------------------------------------------------------------------------------- revenue
def slow_revenue(df: pd.DataFrame, tz: str) -> pd.DataFrame:
    d = df.assign(week=local_weeks(df["timestamp"], tz))
    buys = d[d["event"] == "purchase"]
    out = pd.DataFrame(
        {
            "revenue": buys.groupby("week")["value"].sum(min_count=0),
            "purchases": buys.groupby("week").size(),
            "active_users": d.groupby("week")["user_id"].nunique(),
            "paying_users": buys.groupby("week")["user_id"].nunique(),
        }
    ).fillna(0)
    return out.sort_index()


@SETTINGS
@given(df=shops(), tz=st.sampled_from(ZONES), seed=st.integers(0, 10_000))
def test_revenue_equals_slow_pandas_and_ignores_row_order(
    df: pd.DataFrame, tz: str, seed: int
) -> None:
    log = EventLog.from_pandas(df, tz=tz)
    res = revenue(log, period="week")
    t = res.table
    busy = t[t["active_users"] > 0]
    slow = slow_revenue(df, tz)
    np.testing.assert_allclose(busy["revenue"].to_numpy(), slow["revenue"].to_numpy())
    for col in ("purchases", "active_users", "paying_users"):
        assert busy[col].tolist() == slow[col].astype(int).tolist()
    # every period between is listed, and the empty ones hold zeros
    assert len(t) == int(slow.index.max() - slow.index.min() + 1)
    assert t.loc[t["active_users"] == 0, "revenue"].eq(0).all()
    shuffled = revenue(EventLog.from_pandas(df.sample(frac=1.0, random_state=seed), tz=tz))
    pd.testing.assert_frame_equal(t, shuffled.table, rtol=1e-12)


@SETTINGS
@given(df=shops(), period=st.sampled_from(["day", "week", "month"]))
def test_revenue_shares_and_arpu_bounds(df: pd.DataFrame, period: str) -> None:
    res = revenue(df, period=period)
    t = res.table
    share = t["paying_share"].dropna()
    assert ((share >= 0) & (share <= 1)).all()
    assert (t["paying_users"] <= t["active_users"]).all()
    both = t.dropna(subset=["arpu", "arppu"])
    assert (both["arpu"] <= both["arppu"] + 1e-12).all()
    assert (t["paying_users"] <= t["purchases"]).all()
    tot = res.totals
    assert tot["arpu"] <= tot["arppu"] + 1e-12
    assert abs(tot["revenue"] - t["revenue"].sum()) < 1e-6


# ---------------------------------------------------------------------------------- LTV curve
def slow_ltv(
    df: pd.DataFrame,
    tz: str,
    periods: int,
    as_of: pd.Timestamp,
    channel: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    d = df[df["timestamp"] <= as_of].copy()
    d["week"] = local_weeks(d["timestamp"], tz)
    now = local_weeks(pd.Series([as_of]), tz)[0]
    first = d.sort_values("timestamp").groupby("user_id").first()
    cohort = first["week"]
    rows = {}
    for c in sorted(cohort.unique()):
        members = cohort.index[cohort == c]
        buys = d[(d["event"] == "purchase") & d["user_id"].isin(members)]
        ages = buys["week"] - c
        rev = [buys.loc[ages == a, "value"].fillna(0).sum() for a in range(periods)]
        cum = np.cumsum(rev) / len(members)
        rows[c] = [cum[a] if c + a <= now else np.nan for a in range(periods)]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=range(periods))
    curves = {}
    groups = {"all": list(cohort.index)} if channel is None else {}
    if channel is not None:
        for user, ch in channel.items():
            groups.setdefault(ch, []).append(user)
    for name, users in groups.items():
        inc = []
        users_in = [u for u in users if u in cohort.index]
        for a in range(periods):
            seen = [u for u in users_in if cohort[u] + a <= now]
            if not seen:
                inc.append(np.nan)
                continue
            buys = d[(d["event"] == "purchase") & d["user_id"].isin(seen)]
            at_age = buys["week"] - cohort.reindex(buys["user_id"]).to_numpy() == a
            inc.append(buys.loc[at_age, "value"].fillna(0).sum() / len(seen))
        curves[name] = np.cumsum(inc)
    return table, curves


@SETTINGS
@given(
    df=shops(),
    tz=st.sampled_from(ZONES),
    periods=st.integers(1, 8),
    cut=st.integers(0, 24 * 75),
    seed=st.integers(0, 10_000),
)
def test_ltv_equals_slow_pandas_and_never_decreases(
    df: pd.DataFrame, tz: str, periods: int, cut: int, seed: int
) -> None:
    as_of = T0 + pd.Timedelta(cut, unit="h")
    log = EventLog.from_pandas(df, tz=tz)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        res = ltv_curve(log, cohort_period="week", periods=periods, as_of=as_of)
        cut_log = ltv_curve(log.until(as_of), periods=periods)
        shuffled = ltv_curve(
            EventLog.from_pandas(df.sample(frac=1.0, random_state=seed), tz=tz),
            periods=periods,
            as_of=as_of,
        )
    table, curves = slow_ltv(df, tz, periods, as_of)
    np.testing.assert_allclose(res.table.to_numpy(), table.to_numpy().reshape(res.table.shape))
    if len(table):
        np.testing.assert_allclose(res.curve.to_numpy(), curves["all"])
    pd.testing.assert_frame_equal(res.table, cut_log.table)
    pd.testing.assert_frame_equal(res.table, shuffled.table, rtol=1e-12)
    pd.testing.assert_series_equal(res.curve, shuffled.curve, rtol=1e-12)
    # cumulative revenue per user never decreases along a row, nor along the mean curve
    steps = np.diff(res.table.to_numpy(), axis=1)
    assert np.all(np.isnan(steps) | (steps >= -1e-12))
    curve_steps = np.diff(res.curve.to_numpy())
    assert np.all(np.isnan(curve_steps) | (curve_steps >= -1e-12))
    assert int(res.sizes.sum()) == df.loc[df["timestamp"] <= as_of, "user_id"].nunique()


# ------------------------------------------------------------------------------------ payback
@SETTINGS
@given(
    df=shops(),
    assignment=st.lists(st.sampled_from(["x", "y"]), min_size=len(USERS), max_size=len(USERS)),
    cac_x=st.integers(0, 3000),
    cac_y=st.integers(0, 3000),
    periods=st.integers(1, 8),
)
def test_payback_equals_slow_pandas(
    df: pd.DataFrame, assignment: list[str], cac_x: int, cac_y: int, periods: int
) -> None:
    channel = dict(zip(USERS, assignment, strict=True))
    cac = {"x": cac_x / 10, "y": cac_y / 10}
    as_of = df["timestamp"].max()
    res = payback(df, cac=cac, breakdown=channel, periods=periods)
    _, curves = slow_ltv(df, "UTC", periods, as_of, channel=channel)
    for name in res.table.index:
        got = res.curves.loc[name].to_numpy()
        if name not in curves:
            assert np.isnan(got).all()
            continue
        np.testing.assert_allclose(got, curves[name])
        hit = np.flatnonzero(curves[name] >= cac[name] - 1e-9)
        expected = int(hit[0]) if hit.size else None
        got_pp = res.table.loc[name, "payback_period"]
        assert (None if pd.isna(got_pp) else int(got_pp)) == expected
    assert int(res.table["users"].sum()) == df["user_id"].nunique()
