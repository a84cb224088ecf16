"""Calendar bucketing in a time zone: DST-correct days, weeks with a chosen start, months."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from useropslib.events import EventLog, period_codes, period_starts
from useropslib.events._time import local_ns, to_utc_ns
from useropslib.exceptions import InvalidParameterError


def _ns(*stamps: str) -> np.ndarray:
    return np.array([pd.Timestamp(s).value for s in stamps], dtype=np.int64)


@pytest.mark.parametrize(
    "tz",
    [
        "UTC",
        "Asia/Shanghai",
        "America/New_York",
        "Europe/Berlin",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
        "America/Sao_Paulo",
    ],
)
def test_local_ns_matches_pandas(tz: str) -> None:
    rng = np.random.default_rng(0)
    ts = rng.integers(pd.Timestamp("2015-01-01").value, pd.Timestamp("2025-01-01").value, 20_000)
    expected = (
        pd.DatetimeIndex(ts.astype("datetime64[ns]"), tz="UTC").tz_convert(tz).tz_localize(None)
    ).asi8
    np.testing.assert_array_equal(local_ns(ts, tz), expected)


def test_day_codes_follow_local_midnight_across_dst() -> None:
    # New York switched to EDT on 2024-03-10 at 07:00 UTC
    ts = _ns("2024-03-10T04:59Z", "2024-03-10T05:00Z", "2024-03-11T03:59Z", "2024-03-11T04:00Z")
    codes = period_codes(ts, "day", tz="America/New_York")
    starts = period_starts(codes, "day", tz="America/New_York")
    assert [str(s) for s in starts] == [
        "2024-03-09 00:00:00-05:00",
        "2024-03-10 00:00:00-05:00",
        "2024-03-10 00:00:00-05:00",
        "2024-03-11 00:00:00-04:00",
    ]


@pytest.mark.parametrize(("week_start", "expected"), [(0, "2024-01-01"), (6, "2024-01-07")])
def test_week_start(week_start: int, expected: str) -> None:
    ts = _ns("2024-01-07T12:00Z")  # a Sunday
    c = period_codes(ts, "week", week_start=week_start)
    assert str(period_starts(c, "week", week_start=week_start)[0].date()) == expected


def test_iso_week_matches_pandas_for_every_day() -> None:
    days = pd.date_range("2023-12-01", "2025-02-01", freq="D", tz="UTC")
    codes = period_codes(days.as_unit("ns").asi8, "week")
    starts = period_starts(codes, "week")
    expected = (days - pd.to_timedelta(days.day_of_week, unit="D")).normalize()
    assert (starts == expected).all()
    # consecutive weeks get consecutive codes
    assert set(np.diff(np.unique(codes))) == {1}


def test_months_and_hours() -> None:
    ts = _ns("2024-01-31T23:59Z", "2024-02-01T00:00Z", "2024-12-31T16:30Z")
    m = period_codes(ts, "month", tz="Asia/Shanghai")
    assert [str(s.date()) for s in period_starts(m, "month", tz="Asia/Shanghai")] == [
        "2024-02-01",
        "2024-02-01",
        "2025-01-01",
    ]
    h = period_codes(ts, "hour", tz="Asia/Kathmandu")  # +05:45
    assert str(period_starts(h, "hour", tz="Asia/Kathmandu")[0]) == "2024-02-01 05:00:00+05:45"


def test_eventlog_period_codes_cached_and_tz_override() -> None:
    df = pd.DataFrame({"user_id": ["a"], "event": ["x"], "timestamp": ["2024-01-07T20:00Z"]})
    log = EventLog.from_pandas(df)
    assert log.period_codes("day") is log.period_codes("day")
    assert log.period_codes("day", tz="Asia/Shanghai")[0] == log.period_codes("day")[0] + 1
    wk = log.period_codes("week", week_start="sunday")
    assert str(log.period_starts(wk, "week", week_start="sunday")[0].date()) == "2024-01-07"


def test_unsupported_period() -> None:
    with pytest.raises(
        InvalidParameterError, match=r"Unsupported period 'weak'.*did you mean 'week'"
    ):
        period_codes(_ns("2024-01-01T00:00Z"), "weak")


def test_to_utc_ns_errors() -> None:
    with pytest.raises(InvalidParameterError, match="is not a single instant in Europe/Berlin"):
        to_utc_ns("2024-03-31 02:30", tz="Europe/Berlin", name="end")
    with pytest.raises(InvalidParameterError, match="Cannot read as_of='never'"):
        to_utc_ns("never", tz="UTC", name="as_of")
