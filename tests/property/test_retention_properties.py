"""Hypothesis invariants of retention, and the fast kernels against an obvious slow version."""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from useropslib.events import EventLog
from useropslib.exceptions import InsufficientDataWarning
from useropslib.metrics import RetentionResult, retention
from useropslib.metrics import _retention as mod

EPOCH = pd.Timestamp("2024-03-05T00:00Z")  # spans the March DST changes
PERIOD_S = {"hour": 3_600, "day": 86_400, "week": 7 * 86_400, "month": 31 * 86_400}
WINDOW = {"hour": pd.Timedelta(hours=1), "day": pd.Timedelta(days=1), "week": pd.Timedelta(days=7)}
FREQ = {"hour": "h", "day": "D", "month": "M"}
NAMES = ["open", "buy", "view"]


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    period = draw(st.sampled_from(["hour", "day", "week", "month"]))
    bucket = "calendar" if period == "month" else draw(st.sampled_from(["calendar", "rolling"]))
    # sizes and rows from a seeded numpy generator: hypothesis' own integers cluster at their
    # lower bound, which leaves almost every cell empty; uniform times over n_k + 1 periods
    # make users come back
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_k = int(rng.integers(1, 7))
    n = int(rng.integers(3, 41))
    users = np.array(list("abcdef"))[: int(rng.integers(1, 7))]
    span = (n_k + 1) * PERIOD_S[period]
    df = pd.DataFrame(
        {
            "user_id": rng.choice(users, n),
            # the first rows name every event, so any start/return spec is known to the log
            "event": NAMES + list(rng.choice(NAMES, n - 3)),
            "timestamp": EPOCH + pd.to_timedelta(rng.integers(0, span, n), unit="s"),
        }
    )
    names = st.one_of(st.none(), st.sampled_from(NAMES), st.just(["open", "view"]))
    end_s = None if rng.random() < 0.6 else int(rng.integers(0, span))
    as_of_s = None if rng.random() < 0.5 else int(rng.integers(span // 2, span))
    kwargs = {
        "period": period,
        "periods": n_k,
        "cohort": draw(st.sampled_from(["recurring", "first_time"])),
        "mode": draw(st.sampled_from(["on", "on_or_after"])),
        "bucket": bucket,
        "start_event": draw(names),
        "return_event": draw(names),
        "min_occurrences": draw(st.sampled_from([1, 1, 2, 3])),
        "end": None if end_s is None else EPOCH + pd.Timedelta(seconds=end_s),
        "as_of": None if as_of_s is None else EPOCH + pd.Timedelta(seconds=as_of_s),
        "tz": draw(st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York"])),
        "week_start": draw(st.sampled_from(["monday", "sunday"])),
    }
    return {"df": df, "kwargs": kwargs}


# ------------------------------------------------------------------------ the slow version


def _period(t: pd.Timestamp, period: str, tz: str, week_start: str) -> pd.Period:
    local = t.tz_convert(tz).tz_localize(None)
    if period == "week":  # a week starting on Monday ends on Sunday ("W-SUN")
        return local.to_period("W-SUN" if week_start == "monday" else "W-SAT")
    return local.to_period(FREQ[period])


def _matches(name: str, spec: Any) -> bool:
    return spec is None or name == spec or (isinstance(spec, list) and name in spec)


def slow_retention(df: pd.DataFrame, kw: dict[str, Any]) -> list[list[int | None]]:
    """Loop over users, cohorts and offsets; the definitions, spelled out."""
    period, n_k, tz, ws = kw["period"], kw["periods"], kw["tz"], kw["week_start"]
    as_of = kw["as_of"] if kw["as_of"] is not None else df["timestamp"].max()
    end = kw["end"] if kw["end"] is not None else as_of
    rows = [(r.user_id, r.event, r.timestamp) for r in df.itertuples() if r.timestamp <= as_of]
    last = _period(end, period, tz, ws)
    first = last - (n_k - 1)
    n_coh = n_k

    def idx(t: pd.Timestamp) -> int:
        return int((_period(t, period, tz, ws) - first).n)

    in_range = [(u, e, t) for u, e, t in rows if 0 <= idx(t) < n_coh]
    entries: dict[tuple[str, int], pd.Timestamp] = {}
    if kw["cohort"] == "recurring":
        for u, e, t in in_range:
            if _matches(e, kw["start_event"]):
                key = (u, idx(t))
                entries[key] = min(t, entries.get(key, t))
    else:
        firsts: dict[str, pd.Timestamp] = {}
        for u, e, t in rows:
            if _matches(e, kw["start_event"]):
                firsts[u] = min(t, firsts.get(u, t))
        for u, t in firsts.items():
            if 0 <= idx(t) < n_coh:
                entries[(u, idx(t))] = t
    returns: dict[str, list[pd.Timestamp]] = defaultdict(list)
    for u, e, t in in_range:
        if _matches(e, kw["return_event"]):
            returns[u].append(t)

    m = kw["min_occurrences"]
    out: list[list[int | None]] = [
        [0 if i + k < n_coh else None for k in range(n_k)] for i in range(n_coh)
    ]
    for (u, i), t0 in entries.items():
        row = out[i]
        row[0] = (row[0] or 0) + 1
        buckets: dict[int, int] = defaultdict(int)
        for t in returns[u]:
            if kw["bucket"] == "calendar":
                buckets[idx(t) - i] += 1
            else:
                buckets[math.floor((t - t0) / WINDOW[period])] += 1
        good = {b for b, c in buckets.items() if c >= m and b >= 1}
        for k in range(1, n_k):
            if i + k >= n_coh:
                break
            hit = k in good if kw["mode"] == "on" else any(b >= k for b in good)
            if hit:
                row[k] = (row[k] or 0) + 1
    return out


def _cells(res: RetentionResult) -> list[list[int | None]]:
    return [[None if pd.isna(v) else int(v) for v in row] for row in res.counts.to_numpy()]


def _run(df: pd.DataFrame, **kw: Any) -> RetentionResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)  # empty ranges are fine here
        return retention(df, **kw)


# ------------------------------------------------------------------------ properties


@settings(max_examples=120, deadline=None, derandomize=True)
@given(case=cases())
def test_fast_equals_slow(case: dict[str, Any]) -> None:
    df, kw = case["df"], case["kwargs"]
    expected = slow_retention(df, kw)
    assert _cells(_run(df, **kw)) == expected
    with pytest.MonkeyPatch.context() as mp:  # force the sparse kernels
        mp.setattr(mod, "_DENSE_MAX_PERIODS", 0)
        mp.setattr(mod, "_DENSE_MIN_CELLS", 0)
        mp.setattr(mod, "_ROLLING_GRID_PER_EVENT", 0)
        mp.setattr(mod, "_PAIR_CHUNK", 3)  # and tiny join chunks
        assert _cells(_run(df, **kw)) == expected


@settings(max_examples=40, deadline=None, derandomize=True)
@given(case=cases(), seed=st.integers(0, 2**32 - 1))
def test_shuffling_rows_changes_nothing(case: dict[str, Any], seed: int) -> None:
    df, kw = case["df"], case["kwargs"]
    a = _run(df, **kw)
    b = _run(df.sample(frac=1.0, random_state=seed), **kw)
    pd.testing.assert_frame_equal(a.counts, b.counts)
    pd.testing.assert_frame_equal(a.incomplete, b.incomplete)
    pd.testing.assert_frame_equal(a.mean, b.mean)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(case=cases())
def test_cells_never_exceed_the_cohort(case: dict[str, Any]) -> None:
    res = _run(case["df"], **case["kwargs"])
    c = res.counts.to_numpy(dtype="float64", na_value=np.nan)
    assert np.all(np.isnan(c) | (c <= c[:, :1]))
    r = res.rates.to_numpy()
    assert np.all(np.isnan(r) | ((r >= 0) & (r <= 1)))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(case=cases())
def test_on_or_after_never_increases_and_bounds_on(case: dict[str, Any]) -> None:
    kw = dict(case["kwargs"])
    kw["mode"] = "on_or_after"
    cum = _run(case["df"], **kw)
    rates = cum.rates.to_numpy()
    diffs = np.diff(rates[:, 1:], axis=1)
    assert np.all(np.isnan(diffs) | (diffs <= 1e-12))
    kw["mode"] = "on"
    exact = _run(case["df"], **kw)
    a = cum.counts.to_numpy(dtype="float64", na_value=np.nan)
    b = exact.counts.to_numpy(dtype="float64", na_value=np.nan)
    assert np.all(np.isnan(a) | (a >= b))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(case=cases(), groups=st.lists(st.sampled_from("xyz"), min_size=6, max_size=6))
def test_breakdown_groups_add_up(case: dict[str, Any], groups: list[str]) -> None:
    df, kw = case["df"], case["kwargs"]
    total = _run(df, **kw)
    mapping = dict(zip("abcde", groups, strict=False))  # "f" has no group: "(none)"
    split = _run(df, breakdown=mapping, **kw)
    summed = split.counts.groupby(level="cohort", sort=False).sum(min_count=1)
    pd.testing.assert_frame_equal(summed, total.counts, check_names=False)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(case=cases(), late=st.integers(1, 10**6))
def test_events_after_as_of_are_ignored(case: dict[str, Any], late: int) -> None:
    df, kw = case["df"], dict(case["kwargs"])
    as_of = df["timestamp"].max()
    kw["as_of"] = as_of
    extra = df.assign(timestamp=df["timestamp"] + pd.Timedelta(seconds=late))
    extra = extra[extra["timestamp"] > as_of]
    grown = EventLog.from_pandas(pd.concat([df, extra], ignore_index=True))
    a = _run(df, **kw)
    b = _run(grown, **kw)
    pd.testing.assert_frame_equal(a.counts, b.counts)
    pd.testing.assert_frame_equal(a.incomplete, b.incomplete)
