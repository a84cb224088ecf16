"""Hand-computed retention cases for every option, and the error messages."""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from useropslib.events import EventLog, strict_events
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError
from useropslib.metrics import RetentionResult, retention

NA = None  # marks a cell after the end of the range in the expected triangles


def _frame(rows: list[tuple[str, str, str]], **extra: list[Any]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    for k, v in extra.items():
        df[k] = v
    return df


def _cells(res: RetentionResult) -> list[list[int | None]]:
    return [[None if pd.isna(v) else int(v) for v in row] for row in res.counts.to_numpy()]


@pytest.fixture
def daily() -> pd.DataFrame:
    # a: Jan 1, 2, 4; b: Jan 2, 3; c: Jan 4 (all at noon UTC)
    return _frame(
        [
            ("a", "open", "2024-01-01T12:00Z"),
            ("a", "open", "2024-01-02T12:00Z"),
            ("a", "open", "2024-01-04T12:00Z"),
            ("b", "open", "2024-01-02T12:00Z"),
            ("b", "open", "2024-01-03T12:00Z"),
            ("c", "open", "2024-01-04T12:00Z"),
        ]
    )


@pytest.fixture
def rolling_df() -> pd.DataFrame:
    return _frame(
        [
            ("a", "open", "2024-01-01T20:00Z"),
            ("a", "open", "2024-01-02T10:00Z"),  # 14 h after a's start: window 0
            ("a", "open", "2024-01-02T21:00Z"),  # 25 h: window 1
            ("a", "open", "2024-01-04T19:00Z"),  # 71 h: window 2
            ("b", "open", "2024-01-02T01:00Z"),
            ("b", "open", "2024-01-03T00:30Z"),  # 23.5 h: window 0
            ("b", "open", "2024-01-04T02:00Z"),  # 49 h: window 2
        ]
    )


# ------------------------------------------------------------------------ cohorts and modes


def test_recurring_on(daily: pd.DataFrame) -> None:
    res = retention(daily, period="day", periods=4)
    assert _cells(res) == [[1, 1, 0, 1], [2, 1, 1, NA], [1, 0, NA, NA], [2, NA, NA, NA]]
    assert res.counts.index[0] == pd.Timestamp("2024-01-01", tz="UTC")
    assert res.counts.index.name == "cohort"
    assert list(res.counts.columns) == [0, 1, 2, 3]
    assert res.counts.dtypes.eq("Int64").all()
    assert res.sizes.tolist() == [1, 2, 1, 2]


def test_recurring_on_or_after(daily: pd.DataFrame) -> None:
    res = retention(daily, period="day", periods=4, mode="on_or_after")
    assert _cells(res) == [[1, 1, 1, 1], [2, 2, 1, NA], [1, 0, NA, NA], [2, NA, NA, NA]]


def test_first_time(daily: pd.DataFrame) -> None:
    res = retention(daily, period="day", periods=4, cohort="first_time")
    assert _cells(res) == [[1, 1, 0, 1], [1, 1, 0, NA], [0, 0, NA, NA], [1, NA, NA, NA]]


def test_first_time_looks_before_the_range(daily: pd.DataFrame) -> None:
    # a's first event is on Jan 1, before the range: a is in no cohort of Jan 2-4
    res = retention(daily, period="day", periods=3, cohort="first_time")
    assert res.sizes.tolist() == [1, 0, 1]
    recurring = retention(daily, period="day", periods=3)
    assert recurring.sizes.tolist() == [2, 1, 2]


def test_rates_and_mean_skip_incomplete_cells(daily: pd.DataFrame) -> None:
    res = retention(daily, period="day", periods=4)  # as_of: Jan 4 12:00, Jan 4 is running
    assert res.rates.iloc[1].tolist()[:3] == [1.0, 0.5, 0.5]
    assert np.isnan(res.rates.iloc[1, 3])
    inc = res.incomplete.to_numpy()
    assert inc.tolist() == [
        [False, False, False, True],
        [False, False, True, False],
        [False, True, False, False],
        [True, False, False, False],
    ]
    w = res.mean.loc["weighted"].tolist()
    s = res.mean.loc["simple"].tolist()
    assert w[:3] == pytest.approx([1.0, 2 / 3, 0.0])
    assert s[:3] == pytest.approx([1.0, 0.75, 0.0])
    assert np.isnan(w[3])
    assert np.isnan(s[3])


def test_as_of_ignores_later_events_and_marks_cells(daily: pd.DataFrame) -> None:
    res = retention(daily, period="day", periods=4, end="2024-01-04", as_of="2024-01-03T00:00Z")
    # nothing after Jan 3 00:00 is seen: only Jan 1 and Jan 2 activity
    assert _cells(res) == [[1, 1, 0, 0], [2, 0, 0, NA], [0, 0, NA, NA], [0, NA, NA, NA]]
    assert res.as_of == pd.Timestamp("2024-01-03", tz="UTC")
    assert res.incomplete.iloc[0].tolist() == [False, False, True, True]
    assert res.incomplete.iloc[1].tolist() == [False, True, True, False]


def test_min_occurrences(daily: pd.DataFrame) -> None:
    extra = _frame([("a", "open", "2024-01-04T13:00Z"), ("b", "open", "2024-01-03T13:00Z")])
    df = pd.concat([daily, extra], ignore_index=True)
    res = retention(df, period="day", periods=4, min_occurrences=2)
    # a has 2 events on Jan 4, b 2 on Jan 3; the cohort column ignores the minimum
    assert _cells(res) == [[1, 0, 0, 1], [2, 1, 1, NA], [1, 0, NA, NA], [2, NA, NA, NA]]
    cum = retention(df, period="day", periods=4, min_occurrences=2, mode="on_or_after")
    assert _cells(cum) == [[1, 1, 1, 1], [2, 2, 1, NA], [1, 0, NA, NA], [2, NA, NA, NA]]


# ------------------------------------------------------------------------ periods and calendars


def test_hour_period() -> None:
    df = _frame(
        [
            ("a", "x", "2024-01-01T10:05Z"),
            ("a", "x", "2024-01-01T10:50Z"),
            ("a", "x", "2024-01-01T11:10Z"),
            ("a", "x", "2024-01-01T13:00Z"),
        ]
    )
    res = retention(df, period="hour", periods=4)
    assert _cells(res) == [[1, 1, 0, 1], [1, 0, 1, NA], [0, 0, NA, NA], [1, NA, NA, NA]]


def test_month_period() -> None:
    df = _frame(
        [
            ("a", "x", "2024-01-05"),
            ("a", "x", "2024-02-10"),
            ("a", "x", "2024-04-01"),
            ("b", "x", "2024-02-02"),
            ("b", "x", "2024-03-03"),
        ]
    )
    res = retention(df, period="month", periods=4, end="2024-04-30")
    assert _cells(res) == [[1, 1, 0, 1], [2, 1, 1, NA], [1, 0, NA, NA], [1, NA, NA, NA]]
    assert res.counts.index[1] == pd.Timestamp("2024-02-01", tz="UTC")


def test_time_zone_moves_day_boundaries() -> None:
    df = _frame([("a", "x", "2024-01-01T20:00Z"), ("a", "x", "2024-01-02T10:00Z")])
    utc = retention(df, period="day", periods=2)
    assert _cells(utc) == [[1, 1], [1, NA]]
    cn = retention(df, period="day", periods=2, tz="Asia/Shanghai")  # both on Jan 2 local
    assert _cells(cn) == [[0, 0], [1, NA]]
    assert str(cn.counts.index[1]) == "2024-01-02 00:00:00+08:00"
    log = EventLog.from_pandas(df, tz="Asia/Shanghai")
    assert _cells(retention(log, period="day", periods=2)) == _cells(cn)


def test_week_start() -> None:
    df = _frame([("a", "x", "2024-01-07T12:00Z"), ("a", "x", "2024-01-08T12:00Z")])  # Sun, Mon
    monday = retention(df, period="week", periods=2)
    assert _cells(monday) == [[1, 1], [1, NA]]
    sunday = retention(df, period="week", periods=2, week_start="sunday")
    assert _cells(sunday) == [[0, 0], [1, NA]]
    assert sunday.counts.index[1] == pd.Timestamp("2024-01-07", tz="UTC")
    assert sunday.params["week_start"] == "sunday"


def test_start_and_end_give_the_cohort_rows(daily: pd.DataFrame) -> None:
    res = retention(daily, period="day", periods=2, start="2024-01-01", end="2024-01-04")
    assert _cells(res) == [[1, 1], [2, 1], [1, 0], [2, NA]]
    assert res.params["start"] == pd.Timestamp("2024-01-01", tz="UTC")
    assert res.params["end"] == pd.Timestamp("2024-01-05", tz="UTC")
    only_start = retention(daily, period="day", periods=3, start="2024-01-03")
    assert _cells(only_start) == [[1, 0, NA], [2, NA, NA]]


def test_whole_last_period_counts(daily: pd.DataFrame) -> None:
    # end at Jan 3 01:00: the whole of Jan 3 counts, Jan 4 does not
    res = retention(daily, period="day", periods=3, end="2024-01-03T01:00Z")
    assert _cells(res) == [[1, 1, 0], [2, 1, NA], [1, NA, NA]]


# ------------------------------------------------------------------------ rolling windows


def test_rolling_first_time(rolling_df: pd.DataFrame) -> None:
    res = retention(
        rolling_df, period="day", periods=4, cohort="first_time", bucket="rolling", end="2024-01-04"
    )
    assert _cells(res) == [[1, 1, 1, 0], [1, 0, 1, NA], [0, 0, NA, NA], [0, NA, NA, NA]]
    calendar = retention(rolling_df, period="day", periods=4, cohort="first_time", end="2024-01-04")
    assert _cells(calendar) == [[1, 1, 0, 1], [1, 1, 1, NA], [0, 0, NA, NA], [0, NA, NA, NA]]
    # as_of is a's last event (Jan 4 19:00): windows ending later are incomplete
    assert res.incomplete.to_numpy().tolist() == [
        [False, False, True, True],
        [False, False, True, False],
        [False, True, False, False],
        [True, False, False, False],
    ]


def test_rolling_recurring(rolling_df: pd.DataFrame) -> None:
    res = retention(rolling_df, period="day", periods=4, bucket="rolling", end="2024-01-04")
    assert _cells(res) == [[1, 1, 1, 0], [2, 0, 2, NA], [1, 1, NA, NA], [2, NA, NA, NA]]


def test_rolling_on_or_after(rolling_df: pd.DataFrame) -> None:
    res = retention(
        rolling_df,
        period="day",
        periods=4,
        cohort="first_time",
        bucket="rolling",
        mode="on_or_after",
        end="2024-01-04",
    )
    assert _cells(res) == [[1, 1, 1, 0], [1, 1, 1, NA], [0, 0, NA, NA], [0, NA, NA, NA]]


def test_rolling_min_occurrences() -> None:
    df = _frame(
        [
            ("a", "open", "2024-01-01T20:00Z"),
            ("a", "open", "2024-01-02T21:00Z"),  # window 1
            ("a", "open", "2024-01-03T05:00Z"),  # window 1 (33 h)
            ("a", "open", "2024-01-03T21:00Z"),  # window 2
        ]
    )
    kw: dict[str, Any] = {"period": "day", "periods": 3, "bucket": "rolling"}
    assert _cells(retention(df, min_occurrences=2, cohort="first_time", **kw))[0] == [1, 1, 0]
    assert _cells(retention(df, min_occurrences=3, cohort="first_time", **kw))[0] == [1, 0, 0]
    cum = retention(df, min_occurrences=2, cohort="first_time", mode="on_or_after", **kw)
    assert _cells(cum)[0] == [1, 1, 0]
    # calendar days: Jan 3 holds 2 events (05:00 and 21:00)
    assert _cells(retention(df, period="day", periods=3, min_occurrences=2))[0] == [1, 0, 1]


def test_rolling_week() -> None:
    df = _frame(
        [
            ("a", "x", "2024-01-01T20:00Z"),
            ("a", "x", "2024-01-08T10:00Z"),  # 6.6 days: window 0
            ("a", "x", "2024-01-08T21:00Z"),  # 7.04 days: window 1
            ("b", "x", "2024-01-03T12:00Z"),
            ("b", "x", "2024-01-09T12:00Z"),  # 6 days: window 0, but the next calendar week
        ]
    )
    rolling = retention(df, period="week", periods=2, cohort="first_time", bucket="rolling")
    calendar = retention(df, period="week", periods=2, cohort="first_time")
    assert _cells(rolling) == [[2, 1], [0, NA]]
    assert _cells(calendar) == [[2, 2], [0, NA]]


# ------------------------------------------------------------------------ start and return events


@pytest.fixture
def shop() -> pd.DataFrame:
    return _frame(
        [
            ("a", "signup", "2024-01-01T09:00Z"),
            ("a", "purchase", "2024-01-02T09:00Z"),
            ("b", "signup", "2024-01-01T09:00Z"),
            ("b", "purchase", "2024-01-02T09:00Z"),
            ("b", "open", "2024-01-03T09:00Z"),
            ("c", "open", "2024-01-01T09:00Z"),
            ("c", "open", "2024-01-02T09:00Z"),
        ],
        plan=["free", "pro", "free", "free", None, None, None],
    )


def test_start_and_return_events(shop: pd.DataFrame) -> None:
    res = retention(shop, period="day", periods=3, start_event="signup", return_event="purchase")
    assert _cells(res) == [[2, 2, 0], [0, 0, NA], [0, NA, NA]]
    both = retention(
        shop, period="day", periods=3, start_event="signup", return_event=["purchase", "open"]
    )
    assert _cells(both) == [[2, 2, 1], [0, 0, NA], [0, NA, NA]]


def test_property_filters(shop: pd.DataFrame) -> None:
    res = retention(
        shop,
        period="day",
        periods=3,
        start_event="signup",
        return_event=("purchase", {"plan": "pro"}),
    )
    assert _cells(res) == [[2, 1, 0], [0, 0, NA], [0, NA, NA]]
    any_plan = retention(
        shop,
        period="day",
        periods=3,
        start_event=["open", ("signup", {"plan": ["free", "pro"]})],
        return_event="purchase",
    )
    assert _cells(any_plan) == [[3, 2, 0], [1, 0, NA], [1, NA, NA]]


# ------------------------------------------------------------------------ breakdowns


def test_breakdown_by_property(shop: pd.DataFrame) -> None:
    # latest non-null plan: a -> pro, b -> free, c -> none
    res = retention(shop, period="day", periods=2, end="2024-01-02", breakdown="plan")
    assert res.counts.index.names == ["breakdown", "cohort"]
    assert res.counts.index.get_level_values(0).unique().tolist() == ["free", "pro", "(none)"]
    assert _cells(res) == [[1, 1], [1, NA]] * 3
    assert res.mean.index.names == ["breakdown", "statistic"]
    assert res.params["breakdown"] == "plan"


def test_breakdown_by_mapping_series_and_segment(daily: pd.DataFrame) -> None:
    kw: dict[str, Any] = {"period": "day", "periods": 4}
    total = retention(daily, **kw)
    by_map = retention(daily, breakdown={"a": "x", "b": "y"}, **kw)
    assert by_map.counts.index.get_level_values(0).unique().tolist() == ["x", "y", "(none)"]
    assert _cells(by_map)[:4] == [[1, 1, 0, 1], [1, 0, 1, NA], [0, 0, NA, NA], [1, NA, NA, NA]]
    summed = by_map.counts.groupby(level="cohort").sum()
    assert summed.to_numpy().tolist() == total.counts.fillna(0).to_numpy().tolist()

    by_series = retention(daily, breakdown=pd.Series({"a": 1, "b": 2, "c": 1}, name="tier"), **kw)
    assert by_series.counts.index.get_level_values(0).unique().tolist() == [1, 2]
    assert by_series.params["breakdown"] == "tier"

    seg = retention(daily, breakdown={"a", "c"}, **kw)
    assert seg.counts.index.get_level_values(0).unique().tolist() == [False, True]
    assert seg.counts.xs(True, level=0)[0].tolist() == [1, 1, 0, 2]
    flags = pd.Series({"a": True, "b": False})
    as_bool = retention(daily, breakdown=flags, **kw)
    assert as_bool.counts.xs(True, level=0)[0].tolist() == [1, 1, 0, 1]
    assert as_bool.counts.xs(False, level=0)[0].tolist() == [0, 1, 1, 1]  # c is not a member


# ------------------------------------------------------------------------ result object


def test_to_frame_and_to_dict(daily: pd.DataFrame) -> None:
    res = retention(daily, period="day", periods=4, breakdown={"a": "x"})
    tidy = res.to_frame()
    assert list(tidy.columns) == [
        "breakdown",
        "cohort",
        "k",
        "cohort_size",
        "count",
        "rate",
        "incomplete",
    ]
    assert len(tidy) == 2 * 10
    row = tidy[(tidy["breakdown"] == "x") & (tidy["k"] == 3)].iloc[0]
    assert (row["cohort_size"], row["count"], row["rate"]) == (1, 1, 1.0)
    out = res.to_dict()
    assert set(out) == {"params", "as_of", "counts", "rates", "incomplete", "mean"}
    json.dumps(out)
    assert "RetentionResult(period='day'" in repr(res)


def test_curve_and_flattening(daily: pd.DataFrame) -> None:
    res = retention(daily, period="day", periods=4, breakdown={"a": "x", "b": "y", "c": "x"})
    overall = retention(daily, period="day", periods=4)
    assert res.curve().tolist()[:3] == pytest.approx(overall.curve().tolist()[:3])
    assert res.curve(group="y").tolist()[:2] == [1.0, 1.0]
    assert res.curve(statistic="simple", group="x").tolist()[0] == 1.0
    assert overall.curve().tolist()[:3] == pytest.approx([1.0, 2 / 3, 0.0])
    assert overall.flattening_period(0.7) == 1
    assert overall.flattening_period(0.5) is None  # 2/3 -> 0 drops by more than 0.5


def test_flattening_rule() -> None:
    rows = []
    for u in range(10):  # users active for 1 + (u % 5) consecutive days from Jan 1
        rows += [(f"u{u}", "x", f"2024-01-0{d + 1}T12:00Z") for d in range(1 + u % 5)]
    df = _frame(rows)
    res = retention(
        df, period="day", periods=6, cohort="first_time", end="2024-01-06", as_of="2024-01-07"
    )
    assert res.curve().tolist() == pytest.approx([1.0, 0.8, 0.6, 0.4, 0.2, 0.0])
    assert res.flattening_period(0.19) is None
    assert res.flattening_period(0.2) == 1


def test_plot(daily: pd.DataFrame) -> None:
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    ax = retention(daily, period="day", periods=4).plot()
    assert ax.get_ylabel() == "retained share"
    assert len(ax.get_lines()) == 1
    _fig, ax2 = plt.subplots()
    out = retention(daily, period="day", periods=4, breakdown={"a": "x"}).plot(ax=ax2)
    assert out is ax2
    assert len(ax2.get_lines()) == 2
    plt.close("all")


def test_caller_frame_is_not_mutated(daily: pd.DataFrame) -> None:
    before = daily.copy()
    retention(daily, period="day", periods=4, breakdown={"a": "x"}, bucket="rolling")
    pd.testing.assert_frame_equal(daily, before)


def test_dense_and_sparse_kernels_agree(daily: pd.DataFrame) -> None:
    from useropslib.metrics import _retention as mod

    log = EventLog.from_pandas(daily)
    layout = mod._Layout.build(np.zeros(len(log.users), dtype=np.int64), 1)
    rel = log.period_codes("day") - int(log.period_codes("day").min())
    rows = log.user_codes.astype(np.int64)
    for mode in ("on", "on_or_after"):
        for m in (1, 2):
            args = (rows, rel, rows, rel)
            kw: dict[str, Any] = {"layout": layout, "n_coh": 4, "n_k": 3, "min_occ": m}
            dense = mod._calendar_counts(*args, mode=mode, kernel="dense", **kw)
            sparse = mod._calendar_counts(*args, mode=mode, kernel="sparse", **kw)
            assert np.array_equal(dense, sparse)


# ------------------------------------------------------------------------ empty input


def test_empty_range_warns_and_returns_zeros(daily: pd.DataFrame) -> None:
    with pytest.warns(InsufficientDataWarning, match="No user joined a cohort"):
        res = retention(daily, period="day", periods=3, end="2023-06-01")
    assert _cells(res) == [[0, 0, 0], [0, 0, NA], [0, NA, NA]]
    assert res.rates.isna().all().all()
    assert res.mean.isna().all().all()
    assert res.flattening_period() is None


def test_empty_log() -> None:
    empty = pd.DataFrame(
        {
            "user_id": pd.Series([], dtype=object),
            "event": pd.Series([], dtype=object),
            "timestamp": pd.to_datetime(pd.Series([], dtype="datetime64[ns, UTC]")),
        }
    )
    log = EventLog.from_pandas(empty, allow_empty=True)
    with pytest.warns(InsufficientDataWarning, match="no events"):
        res = retention(log, period="week", periods=4)
    assert len(res.counts) == 0
    assert list(res.counts.columns) == [0, 1, 2, 3]
    assert len(res.to_frame()) == 0
    with pytest.warns(InsufficientDataWarning, match="No user joined"):
        ranged = retention(log, period="week", periods=2, end="2024-01-01")
    assert len(ranged.counts) == 2


# ------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start_event": "opne"}, r"Unknown event name\(s\) \['opne'\].*did you mean 'open'"),
        ({"return_event": ["open", "clik"]}, r"Unknown event name\(s\) \['clik'\]"),
        ({"return_event": ("open", {"plann": "x"})}, r"Unknown property 'plann'.*'plan'"),
        ({"start_event": []}, r"start_event=\[\] names no event"),
        ({"start_event": 3}, r"Invalid start_event=3 of type int"),
        ({"periods": 0}, r"Invalid periods=0. Expected an integer >= 1"),
        ({"periods": 2.5}, r"Invalid periods=2.5. Expected an integer >= 1"),
        ({"periods": True}, r"Invalid periods=True. Expected an integer"),
        ({"min_occurrences": 0}, r"Invalid min_occurrences=0. Expected an integer >= 1"),
        ({"start": "2024-02-01", "end": "2024-01-01"}, r"ends before it starts.*swap"),
        ({"start": "2030-01-01"}, r"end \(default as_of=.*\) is before start"),
        ({"period": "fortnight"}, r"Unsupported period 'fortnight'"),
        ({"period": "month", "bucket": "rolling"}, r"bucket='rolling' needs a period of fixed"),
        ({"breakdown": "plna"}, r"Missing breakdown column 'plna'.*did you mean 'plan'"),
        ({"breakdown": 3.5}, r"Cannot read breakdown of type float"),
        ({"breakdown": pd.Series([1, 2], index=["a", "a"])}, r"more than once: \['a'\]"),
        ({"tz": "Asia/Shangai"}, r"Unknown time zone 'Asia/Shangai'.*Asia/Shanghai"),
        ({"week_start": "someday"}, r"Invalid week_start='someday'"),
        ({"cohort": "first"}, r"Invalid cohort='first'.*first_time"),
        ({"mode": "cumulative"}, r"Invalid mode='cumulative'. Expected one of"),
        ({"bucket": "rollin"}, r"Invalid bucket='rollin'.*Did you mean 'rolling'"),
        ({"as_of": "not a date"}, r"Cannot read as_of='not a date'"),
        ({"period": "hour", "periods": 10**5}, r"at most 50,000,000 are supported"),
    ],
)
def test_bad_input(shop: pd.DataFrame, kwargs: dict[str, Any], match: str) -> None:
    with strict_events(), pytest.raises(InvalidParameterError, match=match):
        retention(shop, period=kwargs.pop("period", "day"), **kwargs)


def test_bad_result_queries(daily: pd.DataFrame) -> None:
    res = retention(daily, period="day", periods=4)
    with pytest.raises(InvalidParameterError, match=r"tolerance must be a finite number >= 0"):
        res.flattening_period(-0.1)
    with pytest.raises(InvalidParameterError, match=r"tolerance must be a number"):
        res.flattening_period("1%")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"Invalid statistic='mean'"):
        res.curve(statistic="mean")
    with pytest.raises(InvalidParameterError, match=r"has no breakdown"):
        res.curve(group="x")
    split = retention(daily, period="day", periods=4, breakdown={"a": "xx"})
    with pytest.raises(InvalidParameterError, match=r"Unknown breakdown group 'x'.*'xx'"):
        split.curve(group="x")


def test_no_warning_on_normal_use(daily: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        retention(daily, period="day", periods=4, bucket="rolling", mode="on_or_after")
