"""revenue, ltv_curve, message_funnel and stickiness_ratio on a lazy log, counted in its engine.

Hand-computed cases in Europe/Berlin across the March DST change, on DuckDB and Polars (and
PySpark in local mode); the row counter (at most the answer's rows per collect); the user
vocabulary left unread; the routes that still collect (pyarrow, a text value column, a missing
property) with their in-memory errors.

Amounts: the hand cases use binary fractions (2.5, 0.25 ...), whose sums are exact in any
order, so revenue is compared exactly; ``test_decimal_amounts_agree_to_float_rounding`` states
the tolerance for other amounts (the engine sums in its own order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from useropslib import metrics as m
from useropslib.events import EventLog, LazyEventLog, strict_events
from useropslib.events._engine import rows_collected
from useropslib.exceptions import (
    InsufficientDataWarning,
    InvalidParameterError,
    UnknownEventWarning,
)

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")

TZ = "Europe/Berlin"


def _frame() -> pd.DataFrame:
    # Berlin: 2024-03-31 02:00 local is the spring change; "c" buys at 23:30 UTC on the 30th,
    # which is already the 31st (a Sunday) in Berlin
    rows = [
        ("a", "signup", "2024-03-25 09:00", None, None, None),
        ("a", "purchase", "2024-03-25 10:00", 10.5, None, None),
        ("b", "signup", "2024-03-25 11:00", None, None, None),
        ("a", "message_sent", "2024-03-26 08:00", None, "email", "x"),
        ("a", "message_delivered", "2024-03-26 08:01", None, "email", "x"),
        ("b", "message_sent", "2024-03-26 08:00", None, "sms", "y"),
        ("a", "message_clicked", "2024-03-26 09:00", None, "email", "x"),
        ("a", "open", "2024-03-27 08:00", None, None, None),
        ("c", "purchase", "2024-03-30 23:30", 2.25, None, None),
        ("b", "purchase", "2024-04-02 12:00", 4.0, None, None),
        ("a", "purchase", "2024-04-02 13:00", None, None, None),
        ("b", "open", "2024-04-09 13:00", None, None, None),
        ("c", "message_opened", "2024-04-09 14:00", None, "push", None),  # c was never sent one
    ]
    return pd.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "event": [r[1] for r in rows],
            "timestamp": pd.to_datetime([r[2] for r in rows], utc=True),
            "value": [r[3] for r in rows],
            "channel": [r[4] for r in rows],
            "campaign": [r[5] for r in rows],
            "price": [r[3] or 0.0 for r in rows],
        }
    )


PROPS = ["channel", "campaign", "price"]
ENGINES: dict[str, Callable[[pd.DataFrame], Any]] = {
    "duckdb": duckdb.from_df,
    "polars": lambda df: pl.from_pandas(df).lazy(),
}


def _memory(df: pd.DataFrame | None = None) -> EventLog:
    return EventLog.from_pandas(
        _frame() if df is None else df, value_col="value", properties=PROPS, tz=TZ
    )


@pytest.fixture(params=sorted(ENGINES))
def lazy(request: pytest.FixtureRequest) -> LazyEventLog:
    return LazyEventLog.scan(
        ENGINES[request.param](_frame()), value_col="value", properties=PROPS, tz=TZ
    )


def _counted(fn: Callable[..., Any], log: Any, **kw: Any) -> tuple[Any, list[int]]:
    with rows_collected() as sizes:
        got = fn(log, **kw)
    return got, sizes


def test_revenue_by_hand(lazy: LazyEventLog) -> None:
    got, sizes = _counted(m.revenue, lazy, period="week")
    t = got.table
    # weeks of 25 March (a, b, c: 10.5 + 2.25), 1 April (a, b: 4 + 0), 8 April (b, c)
    assert t["revenue"].tolist() == [12.75, 4.0, 0.0]
    assert t["purchases"].tolist() == [2, 2, 0]
    assert t["active_users"].tolist() == [3, 2, 2]
    assert t["paying_users"].tolist() == [2, 2, 0]
    assert str(t.index[1]) == "2024-04-01 00:00:00+02:00"
    assert got.totals["active_users"] == 3
    assert got.totals["paying_users"] == 3
    assert got.totals["revenue"] == 16.75
    assert sizes == [3]  # one row per active week
    assert not lazy.users_read
    want = m.revenue(_memory(), period="week")
    pd.testing.assert_frame_equal(t, want.table)
    pd.testing.assert_series_equal(got.totals, want.totals)
    assert got.params == want.params
    assert got.as_of == want.as_of


@pytest.mark.parametrize(
    "kw",
    [
        {"period": "day"},
        {"period": "day", "week_start": "sunday"},
        {"period": "hour"},
        {"period": "month", "tz": "Asia/Kolkata"},
        {"period": "week", "week_start": "sunday", "activity_events": ["open", "signup"]},
        {"period": "day", "value_col": "price", "purchase_event": ["purchase", "signup"]},
    ],
)
def test_revenue_options_equal_the_in_memory_answer(lazy: LazyEventLog, kw: dict[str, Any]) -> None:
    got, sizes = _counted(m.revenue, lazy, **kw)
    want = m.revenue(_memory(), **kw)
    pd.testing.assert_frame_equal(got.table, want.table)
    pd.testing.assert_series_equal(got.totals, want.totals)
    assert sizes == [int((got.table["active_users"] > 0).sum())]
    assert not lazy.users_read


def test_revenue_sunday_week_holds_the_dst_day(lazy: LazyEventLog) -> None:
    got = m.revenue(lazy, period="week", week_start="sunday").table
    # Sunday 31 March (c's purchase at 00:30 local) starts the second week
    assert got["revenue"].tolist() == [10.5, 6.25, 0.0]


def test_decimal_amounts_agree_to_float_rounding() -> None:
    # amounts with cents are not binary fractions: the engine sums them in its own order, so
    # revenue agrees with the in-memory sum to float rounding (relative 1e-12), counts exactly
    rng = np.random.default_rng(7)
    n = 3000
    df = pd.DataFrame(
        {
            "user_id": rng.integers(0, 200, n).astype(str),
            "event": rng.choice(["purchase", "open"], n),
            "timestamp": pd.Timestamp("2024-03-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 60 * 86400, n), unit="s"),
            "value": np.round(rng.uniform(0, 100, n), 2),
        }
    )
    full = EventLog.from_pandas(df, value_col="value", tz=TZ)
    for engine in ENGINES.values():
        lz = LazyEventLog.scan(engine(df), value_col="value", tz=TZ)
        got, want = m.revenue(lz, period="day"), m.revenue(full, period="day")
        exact = ["purchases", "active_users", "paying_users", "paying_share"]
        pd.testing.assert_frame_equal(got.table[exact], want.table[exact])
        money = ["revenue", "arpu", "arppu"]
        pd.testing.assert_frame_equal(
            got.table[money], want.table[money], check_exact=False, rtol=1e-12
        )
        curve = m.ltv_curve(lz, periods=4)
        pd.testing.assert_frame_equal(
            curve.revenue, m.ltv_curve(full, periods=4).revenue, check_exact=False, rtol=1e-12
        )


def test_ltv_curve_by_hand(lazy: LazyEventLog) -> None:
    got, sizes = _counted(m.ltv_curve, lazy, cohort_period="week", periods=3)
    # cohort week of 25 March: a, b, c (3 users): 12.75 at age 0, 4 at age 1
    assert got.revenue.iloc[0].tolist() == [12.75, 16.75, 16.75]
    assert got.sizes.tolist() == [3]
    assert len(sizes) == 1
    assert sizes[0] <= got.table.size + len(got.sizes)
    assert not lazy.users_read
    want = m.ltv_curve(_memory(), cohort_period="week", periods=3)
    pd.testing.assert_frame_equal(got.to_frame(), want.to_frame())
    pd.testing.assert_series_equal(got.curve, want.curve)
    assert got.params == want.params
    assert got.as_of == want.as_of


@pytest.mark.parametrize(
    "kw",
    [
        {"cohort_period": "day", "periods": 10},
        {"cohort_period": "day", "periods": 10, "signup_event": "signup"},
        {"cohort_period": "week", "periods": 4, "week_start": "sunday", "as_of": "2024-04-01"},
        {"cohort_period": "month", "periods": 2, "value_col": "price"},
        {"cohort_period": "hour", "periods": 30, "tz": "America/New_York"},
    ],
)
def test_ltv_curve_options_equal_the_in_memory_answer(
    lazy: LazyEventLog, kw: dict[str, Any]
) -> None:
    got, sizes = _counted(m.ltv_curve, lazy, **kw)
    want = m.ltv_curve(_memory(), **kw)
    pd.testing.assert_frame_equal(got.table, want.table)
    pd.testing.assert_frame_equal(got.revenue, want.revenue)
    pd.testing.assert_series_equal(got.sizes, want.sizes)
    pd.testing.assert_series_equal(got.curve, want.curve)
    assert len(sizes) == 1
    assert sizes[0] <= len(got.sizes) * (got.table.shape[1] + 1)
    assert not lazy.users_read


def test_ltv_curve_without_anyone_acquired_warns(lazy: LazyEventLog) -> None:
    with pytest.warns(InsufficientDataWarning, match="ltv_curve: no user was acquired"):
        got = m.ltv_curve(lazy, signup_event="signup", as_of="2024-03-20")
    assert got.table.empty


def test_message_funnel_by_hand(lazy: LazyEventLog) -> None:
    got, sizes = _counted(m.message_funnel, lazy)
    t = got.table
    # push: c's open, without a send, still makes a row (as in memory)
    assert t.index.tolist() == ["email", "push", "sms"]
    assert t.loc["push", "sent"] == 0
    # a: sent, delivered, clicked (implies opened), returned (open on the 27th)
    assert t.loc["email", ["sent", "delivered", "opened", "clicked", "returned"]].tolist() == [
        1,
        1,
        1,
        1,
        1,
    ]
    # b: sent by sms on 26 March 08:00, back on 2 April 12:00: past the 7-day window
    assert t.loc["sms", ["sent", "delivered", "returned"]].tolist() == [1, 0, 0]
    assert sizes == [3]
    assert not lazy.users_read
    want = m.message_funnel(_memory())
    pd.testing.assert_frame_equal(t, want.table)
    pd.testing.assert_frame_equal(got.rates, want.rates)
    assert got.params == want.params
    assert got.as_of == want.as_of


@pytest.mark.parametrize(
    "kw",
    [
        {"breakdown": None},
        {"breakdown": "campaign", "return_event": "open", "return_within": "1D"},
        {"opened": None, "delivered": None, "return_within": "6D"},
        {"campaign": "x"},
        {"campaign": ["x", "y"], "breakdown": None, "as_of": "2024-03-27"},
        {"as_of": "2024-03-26 08:30"},
        {"clicked": "nope_clicked"},
    ],
)
def test_message_funnel_options_equal_the_in_memory_answer(
    lazy: LazyEventLog, kw: dict[str, Any]
) -> None:
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        got, sizes = _counted(m.message_funnel, lazy, **kw)
        want = m.message_funnel(_memory(), **kw)
    kinds = [type(w.message) for w in seen]
    assert kinds[: len(kinds) // 2] == kinds[len(kinds) // 2 :]
    pd.testing.assert_frame_equal(got.table, want.table)
    pd.testing.assert_frame_equal(got.rates, want.rates)
    assert sizes == [len(got.table)] or (sizes == [0] and len(got.table) == 1)
    assert not lazy.users_read


def test_message_funnel_unknown_names_warn_or_raise(lazy: LazyEventLog) -> None:
    with pytest.warns(UnknownEventWarning, match="nope_opened"):
        got = m.message_funnel(lazy, opened="nope_opened")
    assert got.table["opened"].tolist() == [1, 0]  # a's click implies the open
    with strict_events(), pytest.raises(InvalidParameterError, match="nope_opened"):
        m.message_funnel(lazy, opened="nope_opened")


def test_message_funnel_collect_routes_keep_their_errors(lazy: LazyEventLog) -> None:
    with pytest.raises(InvalidParameterError, match="Unknown property breakdown='chanel'"):
        m.message_funnel(lazy, breakdown="chanel")
    with pytest.raises(InvalidParameterError, match="No message event has campaign='zz'"):
        m.message_funnel(lazy, campaign="zz")
    with pytest.raises(InvalidParameterError, match="Invalid sent=None"):
        m.message_funnel(lazy, sent=None)
    # an id of another type than the column (or a missing one) is compared by pandas, not SQL
    with pytest.raises(InvalidParameterError, match="No message event has campaign=5"):
        m.message_funnel(lazy, campaign=5)
    got = m.message_funnel(lazy, campaign=["x", None], breakdown=None)
    want = m.message_funnel(_memory(), campaign=["x", None], breakdown=None)
    pd.testing.assert_frame_equal(got.table, want.table)


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"denominator": "month"},
        {"denominator": "week", "week_start": "sunday"},
        {"numerator": "2D", "denominator": "7D", "start": "2024-03-28", "end": "2024-04-05"},
        {"denominator": "week", "activity_events": "purchase", "as_of": "2024-04-02 12:30"},
        {"denominator": "month", "tz": "Asia/Kolkata"},
        {"numerator": "day", "denominator": "3D", "tz": "America/Santiago"},
    ],
)
def test_stickiness_ratio_equals_the_in_memory_answer(
    lazy: LazyEventLog, kw: dict[str, Any]
) -> None:
    got, sizes = _counted(m.stickiness_ratio, lazy, **kw)
    pd.testing.assert_series_equal(got, m.stickiness_ratio(_memory(), **kw))
    assert all(s <= got.size for s in sizes)
    assert not lazy.users_read


def test_stickiness_ratio_by_hand(lazy: LazyEventLog) -> None:
    got = m.stickiness_ratio(lazy, denominator="week")
    # week of 25 March: 6 user-days (a: 25, 26, 27; b: 25, 26; c: 31) / 7 days / 3 users
    assert got.iloc[0] == pytest.approx(6 / 7 / 3, abs=0)
    with pytest.raises(InvalidParameterError, match="Unsupported pair numerator='2D'"):
        m.stickiness_ratio(lazy, numerator="2D", denominator="month")
    with pytest.raises(InvalidParameterError, match="must be a longer window"):
        m.stickiness_ratio(lazy, numerator="7D", denominator="7D")
    with pytest.warns(InsufficientDataWarning, match="stickiness_ratio: no qualifying event"):
        empty = m.stickiness_ratio(lazy, start="2025-01-01", end="2025-01-03")
    assert empty.tolist() == [0.0, 0.0, 0.0] or empty.isna().all()


def test_errors_and_warnings_are_the_in_memory_ones(lazy: LazyEventLog) -> None:
    with pytest.warns(UnknownEventWarning, match="purchse"):
        got = m.revenue(lazy, purchase_event="purchse")
    assert got.table["revenue"].sum() == 0.0
    with strict_events(), pytest.raises(InvalidParameterError, match="purchse"):
        m.revenue(lazy, purchase_event="purchse")
    with pytest.raises(InvalidParameterError, match="Invalid periods=0"):
        m.ltv_curve(lazy, periods=0)
    with pytest.raises(InvalidParameterError, match="Unknown property value_col='prise'"):
        m.revenue(lazy, value_col="prise")
    with pytest.raises(InvalidParameterError, match="non-numeric or infinite values"):
        m.revenue(lazy, value_col="channel", purchase_event="message_sent")


@pytest.mark.filterwarnings("ignore::useropslib.exceptions.UnknownEventWarning")
def test_logs_without_values_or_rows() -> None:
    df = _frame().drop(columns="value")
    for engine in ENGINES.values():
        lz = LazyEventLog.scan(engine(df), properties=PROPS, tz=TZ)
        with pytest.raises(InvalidParameterError, match="The event log has no values"):
            m.revenue(lz)
        got = m.revenue(lz, value_col="price", period="day")
        pd.testing.assert_frame_equal(
            got.table,
            m.revenue(EventLog.from_pandas(df, properties=PROPS, tz=TZ), value_col="price",
                      period="day").table,
        )  # fmt: skip
        nothing = engine(_frame())
        nothing = nothing.filter("false") if hasattr(nothing, "sql_query") else nothing.head(0)
        empty = LazyEventLog.scan(nothing, value_col="value", tz=TZ, allow_empty=True)
        with pytest.warns(InsufficientDataWarning, match="revenue: the log has no active events"):
            assert m.revenue(empty).table.empty
        with pytest.warns(InsufficientDataWarning, match="stickiness_ratio"):
            assert m.stickiness_ratio(empty).empty


def test_infinite_amounts_take_the_in_memory_route() -> None:
    # the log's values are finite (the scan checks them); a property column may not be
    df = _frame()
    df.loc[1, "price"] = np.inf
    for engine in ENGINES.values():
        lz = LazyEventLog.scan(engine(df), value_col="value", properties=PROPS, tz=TZ)
        with pytest.raises(InvalidParameterError, match="non-numeric or infinite values"):
            m.revenue(lz, value_col="price")
        with pytest.raises(InvalidParameterError, match="non-numeric or infinite values"):
            m.ltv_curve(lz, value_col="price")


def test_pyarrow_logs_take_the_roll_up_route() -> None:
    pa = pytest.importorskip("pyarrow")
    df = _frame()
    lz = LazyEventLog.scan(pa.Table.from_pandas(df), value_col="value", properties=PROPS, tz=TZ)
    pd.testing.assert_frame_equal(m.revenue(lz).table, m.revenue(_memory()).table)
    pd.testing.assert_frame_equal(m.ltv_curve(lz).table, m.ltv_curve(_memory()).table)
    assert lz.users_read  # the roll-up route reads the users


def test_pyspark_computes_the_money_metrics_in_spark(spark: Any) -> None:
    df = _frame()
    lazy = LazyEventLog.scan(
        spark.createDataFrame(df.astype({"channel": object, "campaign": object})),
        value_col="value",
        properties=PROPS,
        tz=TZ,
    )
    full = _memory()
    calls: list[tuple[Callable[..., Any], dict[str, Any]]] = [
        (m.revenue, {"period": "day"}),
        (m.revenue, {"period": "week", "activity_events": "open"}),
        (m.ltv_curve, {"cohort_period": "day", "periods": 9, "signup_event": "signup"}),
        (m.message_funnel, {}),
        (m.message_funnel, {"breakdown": None, "campaign": "x"}),
    ]
    for fn, kw in calls:
        got, sizes = _counted(fn, lazy, **kw)
        want = fn(full, **kw)
        pd.testing.assert_frame_equal(got.to_frame(), want.to_frame())
        assert len(sizes) == 1
    for skw in [{}, {"denominator": "month"}]:
        ratio, sizes = _counted(m.stickiness_ratio, lazy, **skw)
        pd.testing.assert_series_equal(ratio, m.stickiness_ratio(full, **skw))
        assert all(s <= ratio.size for s in sizes)
    assert not lazy.users_read
