"""Hypothesis invariants of churn labels, rates, survival frames, Kaplan–Meier and the threshold."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from useropslib.churn._definition import infer_inactivity_threshold
from useropslib.churn._labels import churn_labels, churn_rate, natural_churn_rate
from useropslib.churn._survival import kaplan_meier, survival_frame
from useropslib.events import EventLog
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    UnknownEventWarning,
)
from useropslib.models._churn import ChurnDefinition

EPOCH = pd.Timestamp("2024-01-01T00:00Z").value
HOUR = 3600 * 10**9
DAY = 24 * HOUR
SPAN_HOURS = 60 * 24
DEFINITIONS = [
    ChurnDefinition(threshold="3D"),
    ChurnDefinition(threshold="10D", kind="first_lapse"),
    ChurnDefinition(threshold="36h", activity_events=["open"]),
]


@st.composite
def event_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    users = draw(st.lists(st.sampled_from(list("abcdef")), min_size=n, max_size=n))
    events = draw(st.lists(st.sampled_from(["open", "buy"]), min_size=n, max_size=n))
    hours = draw(st.lists(st.integers(0, SPAN_HOURS), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "user_id": users,
            "event": events,
            "timestamp": pd.to_datetime(np.array(hours, dtype=np.int64) * HOUR + EPOCH, utc=True),
        }
    )


def cut_time(df: pd.DataFrame, cut_hours: int) -> pd.Timestamp:
    """An as_of at or after the first event."""
    first = df["timestamp"].min()
    return max(first, pd.Timestamp(EPOCH + cut_hours * HOUR, unit="ns", tz="UTC"))


def outcome(fn: object, *args: object, **kwargs: object) -> object:
    """The result with the InsufficientDataWarning messages, or the type of error raised (both
    sides of a comparison must agree on all of it)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InsufficientDataWarning)
        warnings.simplefilter("ignore", UnknownEventWarning)  # names, not as_of: not compared
        try:
            result = fn(*args, **kwargs)  # type: ignore[operator]
        except InsufficientDataError:
            return InsufficientDataError
    notes = tuple(str(w.message) for w in caught if issubclass(w.category, InsufficientDataWarning))
    return result, notes


def assert_same(a: object, b: object) -> None:
    if isinstance(a, tuple):
        assert isinstance(b, tuple)
        assert a[1] == b[1]
        a, b = a[0], b[0]
    if isinstance(a, pd.DataFrame):
        assert isinstance(b, pd.DataFrame)
        pd.testing.assert_frame_equal(a, b)
    else:
        assert a is b


@settings(max_examples=60, deadline=None, derandomize=True)
@given(df=event_frames(), cut=st.integers(0, SPAN_HOURS + 30 * 24), which=st.integers(0, 2))
def test_as_of_never_uses_later_events(df: pd.DataFrame, cut: int, which: int) -> None:
    d = DEFINITIONS[which]
    log = EventLog.from_pandas(df)
    as_of = cut_time(df, cut)
    old = log.until(as_of)
    assert_same(outcome(churn_labels, log, d, as_of=as_of), outcome(churn_labels, old, d))
    assert_same(outcome(survival_frame, log, d, as_of=as_of), outcome(survival_frame, old, d))
    assert_same(
        outcome(churn_rate, log, d, period="week", as_of=as_of),
        outcome(churn_rate, old, d, period="week"),
    )
    assert_same(
        outcome(natural_churn_rate, log, silence=d, cohort_period="day", as_of=as_of),
        outcome(natural_churn_rate, old, silence=d, cohort_period="day"),
    )


@settings(max_examples=60, deadline=None, derandomize=True)
@given(df=event_frames(), cut=st.integers(0, SPAN_HOURS + 30 * 24), seed=st.integers(0, 2**31))
def test_labels_rates_and_frames_are_consistent(df: pd.DataFrame, cut: int, seed: int) -> None:
    log = EventLog.from_pandas(df)
    as_of = cut_time(df, cut)
    d = ChurnDefinition(threshold="4D")
    labels = churn_labels(log, d, as_of=as_of)
    sf = survival_frame(log, d, as_of=as_of, early_window=None, resolution=None)
    # terminal churn observed exactly when the user is labelled churned, at last seen + threshold
    assert sf["observed"].tolist() == labels["churned"].tolist()
    assert not (labels["churned"] & labels["censored"]).any()
    churned = labels[labels["churned"]]
    expected = (churned["churned_at"] - churned["first_seen"]) / pd.Timedelta(days=1)
    np.testing.assert_allclose(sf.loc[churned.index, "duration"], expected)
    # first lapse never comes after the terminal churn
    first = survival_frame(
        log, d, as_of=as_of, early_window=None, resolution=None, kind="first_lapse"
    )
    assert (first["observed"] | ~sf["observed"]).all()
    assert (first["duration"] <= sf["duration"] + 1e-9).all()
    # rates are shares
    rates = churn_rate(log, d, period="week", as_of=as_of)
    r = rates["churn_rate"].dropna()
    assert ((r >= 0) & (r <= 1)).all()
    assert (rates["churned"] <= rates["active_at_start"]).all()
    with warnings.catch_warnings():  # every signup may still be pending at this as_of
        warnings.simplefilter("ignore", InsufficientDataWarning)
        nat = natural_churn_rate(log, silence=d, cohort_period="week", as_of=as_of)
    nr = nat["natural_churn_rate"].dropna()
    assert ((nr >= 0) & (nr <= 1)).all()
    # row order does not matter
    shuffled = EventLog.from_pandas(df.sample(frac=1.0, random_state=seed))
    again = churn_labels(shuffled, d, as_of=as_of).loc[labels.index]
    pd.testing.assert_frame_equal(again, labels)


@st.composite
def survival_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 60))
    return pd.DataFrame(
        {
            "duration": draw(st.lists(st.integers(0, 30), min_size=n, max_size=n)),
            "observed": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
            "arm": draw(st.lists(st.sampled_from(["x", "y", "z"]), min_size=n, max_size=n)),
        }
    )


@settings(max_examples=25, deadline=None, derandomize=True)
@given(frame=survival_frames(), ci=st.sampled_from(["log-log", "log"]))
def test_km_curves_are_in_unit_interval_and_non_increasing(frame: pd.DataFrame, ci: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        km = kaplan_meier(frame, breakdown="arm", ci=ci, times=[0, 5, 40])  # type: ignore[arg-type]
    for _, g in km.survival.groupby("group"):
        s = g["survival"].to_numpy()
        assert ((s >= 0) & (s <= 1)).all()
        assert (np.diff(s) <= 1e-12).all()
        lo, hi = g["lower"].to_numpy(), g["upper"].to_numpy()
        ok = ~np.isnan(lo)
        assert ((lo[ok] >= 0) & (lo[ok] <= s[ok] + 1e-12)).all()
        assert ((hi[ok] <= 1 + 1e-12) & (hi[ok] >= s[ok] - 1e-12)).all()
        assert (np.diff(g["cumulative_hazard"].to_numpy()) >= -1e-12).all()
    table = km.table
    assert (table["n"] == frame.groupby("arm").size().loc[table.index]).all()
    assert (table["median_lower"] <= table["median"]).all()
    assert (table["median"] <= table["median_upper"]).all()


def slow_curve(
    df: pd.DataFrame, as_of: int, grid_days: list[float], horizon_days: float
) -> dict[str, list[int]]:
    """The obvious implementation: a loop over users, gaps and grid values."""
    closed, open_ = [], []
    for _, g in df.groupby("user_id"):
        t = sorted(int(x.value) for x in g["timestamp"] if x.value <= as_of)
        if not t:
            continue
        closed += [(a, b - a) for a, b in itertools.pairwise(t)]
        open_.append(as_of - t[-1])
    h = round(horizon_days * DAY)
    out: dict[str, list[int]] = {"returned": [], "not_returned": [], "censored": []}
    for k_days in grid_days:
        k = round(k_days * DAY)
        # a silence is decided at k only when its whole horizon after reaching k is observed
        seen = [(s, g) for s, g in closed if g >= k and s + k + h <= as_of]
        out["returned"].append(sum(g <= k + h for _, g in seen))
        out["not_returned"].append(sum(g > k + h for _, g in seen) + sum(o >= k + h for o in open_))
        out["censored"].append(
            sum(g >= k and s + k + h > as_of for s, g in closed)
            + sum(k <= o < k + h for o in open_)
        )
    return out


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    df=event_frames(),
    cut=st.integers(0, SPAN_HOURS + 30 * 24),
    horizon=st.sampled_from([0.5, 1.0, 3.0, 7.0]),
)
def test_threshold_kernel_equals_a_slow_loop(df: pd.DataFrame, cut: int, horizon: float) -> None:
    grid = [0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0]
    as_of = cut_time(df, cut)
    slow = slow_curve(df, as_of.value, grid, horizon)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        try:
            res = infer_inactivity_threshold(
                df, horizon=f"{horizon * 24:g}h", grid=grid, min_gaps=1, as_of=as_of
            )
        except InsufficientDataError:
            assert not any(
                r + n for r, n in zip(slow["returned"], slow["not_returned"], strict=True)
            )
            return
    for col, values in slow.items():
        assert res.curve[col].tolist() == values
    rate = res.curve["return_rate"].dropna()
    assert ((rate >= 0) & (rate <= 1)).all()
    assert res.threshold_days in grid


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_properties_cover_every_definition(definition: ChurnDefinition) -> None:
    # a fixed log on which every definition has activity, so the properties above are not vacuous
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "b"],
            "event": ["open", "open", "buy", "open"],
            "timestamp": pd.to_datetime(
                ["2024-01-01", "2024-01-20", "2024-01-02", "2024-01-03"], utc=True
            ),
        }
    )
    labels = churn_labels(df, definition, as_of="2024-02-01")
    assert labels["churned"].all()


@st.composite
def bounded_gap_logs(draw: st.DrawFn) -> tuple[pd.DataFrame, float]:
    """Users whose gaps while active are at most ``cap`` days, then silent to as_of.

    Every silence longer than ``cap`` is final, so the return curve is exactly 0 beyond it: a
    real plateau.
    """
    cap = draw(st.integers(2, 10))
    n = draw(st.integers(3, 25))
    rows = []
    for u in range(n):
        t = draw(st.integers(0, 10 * 24)) * HOUR
        rows.append((f"u{u}", t))
        for g in draw(st.lists(st.integers(1, cap * 24), min_size=0, max_size=6)):
            t += g * HOUR
            rows.append((f"u{u}", t))
    df = pd.DataFrame(rows, columns=["user_id", "ns"])
    df["event"] = "open"
    df["timestamp"] = pd.to_datetime(df.pop("ns") + EPOCH, utc=True)
    return df, float(cap)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    data=bounded_gap_logs(),
    horizon=st.sampled_from([1, 3, 7]),
    end=st.integers(12, 40),
    more=st.integers(1, 60),
    tolerance=st.sampled_from([0.0, 0.01, 0.1]),
)
def test_extending_the_grid_past_a_found_plateau_keeps_the_answer(
    data: tuple[pd.DataFrame, float], horizon: int, end: int, more: int, tolerance: float
) -> None:
    df, cap = data
    # as_of 120 days after the start: every final silence is followed for its whole horizon
    as_of = pd.Timestamp(EPOCH + 120 * DAY, unit="ns", tz="UTC")
    kw = {"horizon": f"{horizon}D", "tolerance": tolerance, "min_gaps": 1, "as_of": as_of}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        base = infer_inactivity_threshold(df, grid=range(1, end + 1), **kw)  # type: ignore[arg-type]
    # beyond the cap nobody returns: the plateau is found whenever the grid goes on long enough
    assert base.plateau_found == (
        end >= 2 * base.threshold_days and end >= base.threshold_days + horizon
    )
    assert base.threshold_days <= cap + 1
    if not base.plateau_found:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        longer = infer_inactivity_threshold(df, grid=range(1, end + more + 1), **kw)  # type: ignore[arg-type]
    assert longer.plateau_found
    assert longer.threshold_days == base.threshold_days
    assert longer.return_rate == base.return_rate
    pd.testing.assert_frame_equal(longer.curve.iloc[:end], base.curve)
