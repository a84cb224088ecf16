"""Calendar retention read in the per-user index's order (repeats dropped) equals the row-order
count of every event, for every option that reaches the calendar kernels."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from useropslib import EventLog
from useropslib.events._query import user_index
from useropslib.metrics import _retention, retention


def _log(
    seed: int, *, tz: str = "UTC", shuffle: bool = True, begin: str = "2018-10-01"
) -> EventLog:
    rng = np.random.default_rng(seed)
    n = 700
    df = pd.DataFrame(
        {
            "user_id": [f"u{k}" for k in rng.integers(0, 50, n)],
            "event": np.array(["open", "buy", "view"], dtype=object)[rng.integers(0, 3, n)],
            "timestamp": pd.Timestamp(begin, tz="UTC")
            + pd.to_timedelta(rng.integers(0, 120 * 24 * 60, n), unit="min"),
            "tier": np.array(["a", "b"], dtype=object)[rng.integers(0, 2, n)],
        }
    )
    if not shuffle:
        df = df.sort_values(["user_id", "timestamp"], kind="stable")
    return EventLog.from_pandas(df, tz=tz)


def _row_order(
    log: Any, period: str, tz: str, ws: int, s_mask: Any, r_mask: Any
) -> tuple[Any, ...]:
    """The arrays in row order and no offsets: every event counted, nothing dropped."""
    codes = log.period_codes(period, tz=tz, week_start=ws).copy()
    return log.user_codes, log.timestamps_ns, codes, None, s_mask, r_mask


OPTIONS: list[dict[str, Any]] = [
    {},
    {"mode": "on_or_after"},
    {"start_event": "open", "return_event": "buy"},
    {"start_event": "open", "return_event": "open"},
    {"return_event": ["buy", "view"], "mode": "on_or_after"},
    {"min_occurrences": 2},
    {"min_occurrences": 3, "return_event": "view"},
    {"cohort": "first_time", "start": "2018-10-01"},
    {"cohort": "first_time", "start_event": "buy", "start": "2018-10-01"},
    {"breakdown": "tier"},
    {"period": "day", "periods": 20},
    {"period": "month", "periods": 4},
    {"as_of": "2018-12-20"},
    {"as_of": "2018-12-20 13:07", "start_event": "view"},
]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("options", OPTIONS)
def test_index_order_equals_row_order(
    seed: int, shuffle: bool, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _log(seed, shuffle=shuffle)
    kw: dict[str, Any] = {"period": "week", "periods": 6, **options}
    user_index(log)  # the kernels read the index when the log holds it
    fast = retention(log, **kw).counts
    monkeypatch.setattr(_retention, "_index_order", _row_order)
    slow = retention(log, **kw).counts
    pd.testing.assert_frame_equal(fast, slow)


@pytest.mark.parametrize(
    "options", [{}, {"start_event": "open", "return_event": "open"}, {"mode": "on_or_after"}]
)
def test_clock_moving_back_over_midnight(
    options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # St. John's ended DST at 00:01 on 1990-10-28: 02:30:30Z is 00:00 on the 28th, 02:50Z 23:20
    # on the 27th, so a user's day codes step back in time and a repeated (user, day) pair is
    # not a neighbour in index order
    base = _log(5, begin="1990-09-20").to_pandas()
    extra = pd.DataFrame(
        {
            "user_id": "dst",
            "event": "open",
            "timestamp": pd.to_datetime(
                [
                    "1990-10-26 12:00:00",
                    "1990-10-28 02:30:30",
                    "1990-10-28 02:50:00",
                    "1990-10-28 03:40:00",
                ],
                utc=True,
            ),
            "tier": "a",
        }
    )
    log = EventLog.from_pandas(pd.concat([base, extra], ignore_index=True), tz="America/St_Johns")
    kw: dict[str, Any] = {"period": "day", "periods": 5, "start": "1990-10-20", **options}
    user_index(log)  # the kernels read the index when the log holds it
    fast = retention(log, **kw).counts
    monkeypatch.setattr(_retention, "_index_order", _row_order)
    slow = retention(log, **kw).counts
    pd.testing.assert_frame_equal(fast, slow)


def test_selected_pairs_drops_neighbouring_repeats_only() -> None:
    users = np.array([0, 0, 0, 0, 1, 1, 2], dtype=np.int32)
    rel = np.array([0, 0, 1, 1, 1, 1, 0], dtype=np.int64)
    sel = np.array([1, 0, 1, 1, 1, 1, 1], dtype=bool)
    starts = np.array([0, 4, 6, 7], dtype=np.int64)
    u, r = _retention._selected_pairs(users, rel, sel, starts=starts, holes=True)
    assert u.tolist() == [0, 0, 1, 2]
    assert r.tolist() == [0, 1, 1, 0]
    u, r = _retention._selected_pairs(users, rel, sel, starts=None, holes=True)
    assert u.tolist() == [0, 0, 0, 1, 1, 2]


def test_a_log_without_its_index_is_not_sorted_for_retention() -> None:
    log = _log(3)
    plain = retention(log, period="week", periods=4).counts
    assert "user_index" not in log._cache  # a one-off call does not build the index
    user_index(log)
    pd.testing.assert_frame_equal(retention(log, period="week", periods=4).counts, plain)
