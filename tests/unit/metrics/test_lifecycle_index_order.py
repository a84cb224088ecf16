"""Lifecycle's (user, period) pairs, first periods and earlier activity read from the per-user
index equal the row-order computations they replace."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from useropslib import EventLog
from useropslib.events import period_codes
from useropslib.events._query import user_index
from useropslib.metrics import _lifecycle, _query, lifecycle


def _frame(seed: int, begin: str = "2024-01-01", shuffle: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 800
    df = pd.DataFrame(
        {
            "user_id": [f"u{k}" for k in rng.integers(0, 60, n)],
            "event": np.array(["open", "buy", "view"], dtype=object)[rng.integers(0, 3, n)],
            "timestamp": pd.Timestamp(begin, tz="UTC")
            + pd.to_timedelta(rng.integers(0, 100 * 24 * 60, n), unit="min"),
        }
    )
    return df if shuffle else df.sort_values(["user_id", "timestamp"], kind="stable")


def _dst_log() -> EventLog:
    # St. John's ended DST at 00:01 on 1990-10-28: 02:30:30Z is 00:00 on the 28th and 02:50Z is
    # 23:20 on the 27th, so one user's day codes step back in time
    extra = pd.DataFrame(
        {
            "user_id": "dst",
            "event": "open",
            "timestamp": pd.to_datetime(
                ["1990-10-28 02:30:30", "1990-10-28 02:50:00", "1990-10-28 03:40:00"], utc=True
            ),
        }
    )
    df = pd.concat([_frame(4, begin="1990-09-01"), extra], ignore_index=True)
    return EventLog.from_pandas(df, tz="America/St_Johns")


def _cal(log: EventLog, activity_events: Any = None, as_of: Any = None) -> _query._Calendar:
    return _query._prepare(log, activity_events, None, None, grain=None, as_of=as_of)


LOGS = {
    "shuffled": lambda: EventLog.from_pandas(_frame(0)),
    "sorted": lambda: EventLog.from_pandas(_frame(1, shuffle=False)),
    "zone": lambda: EventLog.from_pandas(_frame(2), tz="Asia/Shanghai"),
    "dst": _dst_log,
}
CASES = [
    {},
    {"activity_events": "buy"},
    {"activity_events": ["buy", "view"], "as_of": "2024-02-20"},
]


@pytest.mark.parametrize("which", list(LOGS))
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_index_helpers_equal_row_order(which: str, case: dict[str, Any], period: str) -> None:
    log = LOGS[which]()
    if which == "dst" and "as_of" in case:
        case = {**case, "as_of": "1990-11-20"}
    cal = _cal(log, **case)
    rng = _query._period_range(cal, period, None, None)  # type: ignore[arg-type]
    assert rng == _query._period_range(cal, period, None, None, by_index=True)  # type: ignore[arg-type]
    assert rng is not None
    lo, hi = rng
    for a, b in ((lo, hi), (lo + 2, hi - 1)):
        fast = _query._pairs_with_lookback(cal, period, a, b, by_index=True)  # type: ignore[arg-type]
        slow = _query._pairs_with_lookback(cal, period, a, b)  # type: ignore[arg-type]
        assert fast[0].tolist() == slow[0].tolist()
        assert fast[1].tolist() == slow[1].tolist()
        for q in (True, False):
            x = _query._active_before(cal, period, a, qualifying=q, by_index=True)  # type: ignore[arg-type]
            y = _query._active_before(cal, period, a, qualifying=q)  # type: ignore[arg-type]
            assert (x is None) == (y is None)
            if x is not None and y is not None:
                assert x.tolist() == y.tolist()
    first = np.full(cal.n_users, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, log.user_codes, cal.codes(period))  # type: ignore[arg-type]
    assert _lifecycle._first_any_period(cal, period).tolist() == first.tolist()
    user_index(cal.log)
    assert _lifecycle._first_any_period(cal, period).tolist() == first.tolist()  # type: ignore[arg-type]


def test_lifecycle_same_for_shuffled_rows() -> None:
    df = _frame(3)
    a = lifecycle(EventLog.from_pandas(df), period="day", activity_events="buy").counts
    b = lifecycle(EventLog.from_pandas(df.iloc[::-1]), period="day", activity_events="buy").counts
    pd.testing.assert_frame_equal(a, b)


def test_dst_user_counted_once_per_day() -> None:
    log = _dst_log()
    res = lifecycle(log, period="day", start="1990-10-26", end="1990-10-29").counts
    days = log.period_codes("day")
    active = pd.Series(log.user_codes).groupby(days).nunique()
    lo = int(period_codes(np.array([res.index[0].value]), "day", tz=log.tz)[0])
    want = [int(active.get(lo + k, 0)) for k in range(len(res))]
    got = (res["new"] + res["returning"] + res["resurrecting"]).tolist()
    assert got == want
    assert want[2] >= 1  # the user of the clock change is active on the 28th


@pytest.mark.parametrize("options", [{}, {"activity_events": "buy"}, {"period": "day"}])
def test_lifecycle_with_and_without_the_index(options: dict[str, Any]) -> None:
    df = _frame(6)
    plain_log = EventLog.from_pandas(df)
    plain = lifecycle(plain_log, **options).counts
    assert "user_index" not in plain_log._cache
    log = EventLog.from_pandas(df)
    user_index(log)
    pd.testing.assert_frame_equal(lifecycle(log, **options).counts, plain)


@pytest.mark.parametrize("window", ["day", "week", "month"])
def test_active_users_with_and_without_the_index(window: str) -> None:
    from useropslib.metrics import active_users

    df = _frame(8)
    plain = active_users(EventLog.from_pandas(df), window=window)
    log = EventLog.from_pandas(df)
    user_index(log)
    pd.testing.assert_series_equal(active_users(log, window=window), plain)
    dst = _dst_log()
    plain = active_users(_dst_log(), window=window, activity_events="open")
    user_index(dst)
    pd.testing.assert_series_equal(active_users(dst, window=window, activity_events="open"), plain)
