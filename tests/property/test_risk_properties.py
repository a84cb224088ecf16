"""Invariants of churn features, early warning, the risk model and the Cox helpers."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from useropslib.churn._drivers import concordance_counts, indicator_comparison
from useropslib.churn._risk import ChurnRiskModel, churn_features, early_warning
from useropslib.events import EventLog

START = pd.Timestamp("2024-01-01T00:00Z").value
DAY = 86_400 * 10**9
SPAN = 90 * DAY
AS_OF = pd.Timestamp(START + 200 * DAY, unit="ns", tz="UTC")
CUTOFF = pd.Timestamp(START + 60 * DAY, unit="ns", tz="UTC")
WINDOWS = ("3D", "10D")


@st.composite
def event_frames(draw: st.DrawFn, *, min_size: int = 1) -> pd.DataFrame:
    n = draw(st.integers(min_size, 60))
    users = draw(st.lists(st.sampled_from(list("abcdef")), min_size=n, max_size=n))
    events = draw(st.lists(st.sampled_from(["open", "buy", "view"]), min_size=n, max_size=n))
    offsets = draw(st.lists(st.integers(0, SPAN), min_size=n, max_size=n))
    values = draw(
        st.lists(st.one_of(st.none(), st.floats(0, 1e4, allow_nan=False)), min_size=n, max_size=n)
    )
    frame = pd.DataFrame(
        {
            "user_id": users,
            "event": events,
            "timestamp": pd.to_datetime(np.array(offsets) + START, utc=True),
            "value": pd.Series(values, dtype="float64"),
        }
    )
    # one event at the very start keeps every cutoff inside the data
    first = pd.DataFrame(
        {
            "user_id": ["a"],
            "event": ["open"],
            "timestamp": pd.to_datetime([START], utc=True),
            "value": [np.nan],
        }
    )
    return pd.concat([first, frame], ignore_index=True)


def log_of(df: pd.DataFrame) -> EventLog:
    return EventLog.from_pandas(df, tz="Asia/Shanghai", as_of=AS_OF)


def features(df: pd.DataFrame, **kwargs: object) -> pd.DataFrame:
    return churn_features(log_of(df), windows=WINDOWS, **kwargs)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(df=event_frames(), later=event_frames())
def test_features_ignore_rows_after_the_cutoff(df: pd.DataFrame, later: pd.DataFrame) -> None:
    before = df[df["timestamp"] <= CUTOFF]
    if before.empty:
        return
    after = later.assign(timestamp=later["timestamp"] + pd.Timedelta("61D"))  # all > cutoff
    base = features(before, cutoff=CUTOFF)
    grown = features(pd.concat([before, after], ignore_index=True), cutoff=CUTOFF)
    # the later rows may add users to the vocabulary, never to the features
    pd.testing.assert_frame_equal(base.sort_index(), grown.sort_index(), check_dtype=False)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(df=event_frames())
def test_features_equal_those_of_the_log_cut_at_the_cutoff(df: pd.DataFrame) -> None:
    log = EventLog.from_pandas(df, as_of=AS_OF)
    full = churn_features(log, cutoff=CUTOFF, windows=WINDOWS)
    cut = churn_features(log.until(CUTOFF), cutoff=CUTOFF, windows=WINDOWS)
    pd.testing.assert_frame_equal(full, cut)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(df=event_frames(), seed=st.integers(0, 2**32 - 1))
def test_features_and_warnings_ignore_row_order(df: pd.DataFrame, seed: int) -> None:
    shuffled = df.sample(frac=1.0, random_state=seed)
    a = features(df, cutoff=CUTOFF, horizon="20D").sort_index()
    b = features(shuffled, cutoff=CUTOFF, horizon="20D").sort_index()
    pd.testing.assert_frame_equal(a, b)
    wa = early_warning(log_of(df), baseline="20D", recent="5D", as_of=CUTOFF).sort_index()
    wb = early_warning(log_of(shuffled), baseline="20D", recent="5D", as_of=CUTOFF).sort_index()
    pd.testing.assert_frame_equal(wa, wb)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(df=event_frames())
def test_feature_bounds(df: pd.DataFrame) -> None:
    f = features(df, cutoff=CUTOFF)
    assert (f["events_3d"] <= f["events_10d"]).all()
    assert (f["events_10d"] <= f["events_total"]).all()
    assert (f["active_days_3d"] <= f["active_days_10d"]).all()
    assert (f["active_days_10d"] <= np.minimum(f["events_10d"], 11)).all()
    assert (f["distinct_events_10d"] <= 3).all()
    for w in WINDOWS:
        trend = f[f"trend_{w.lower()}"]
        assert ((trend >= -1) & (trend <= 1)).all()
    assert (f["recency_days"] <= f["tenure_days"]).all()
    assert (f["recency_days"] >= 0).all()


@settings(max_examples=40, deadline=None, derandomize=True)
@given(df=event_frames(), drop=st.floats(0.05, 1.0))
def test_early_warning_flags_only_real_drops(df: pd.DataFrame, drop: float) -> None:
    out = early_warning(log_of(df), baseline="20D", recent="5D", drop=drop, as_of=CUTOFF)
    assert (out["drop_rate"] >= drop - 1e-9).all()
    assert (out["drop_rate"] <= 1).all()
    assert (out["recent_per_day"] <= (1 - drop) * out["baseline_per_day"] + 1e-9).all()
    assert (out["baseline_days"] >= 1).all()
    assert (out["baseline_days"] <= 20).all()
    assert (np.diff(out["drop_rate"].to_numpy()) <= 1e-12).all()


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(12, 60),
    boosting=st.booleans(),
)
def test_predicted_probabilities_are_probabilities(seed: int, n: int, boosting: bool) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)) * rng.choice([1e-3, 1.0, 1e3])
    y = np.r_[np.zeros(6, dtype=bool), np.ones(6, dtype=bool), rng.random(n - 12) < 0.5]
    estimator = HistGradientBoostingClassifier(max_iter=5) if boosting else LogisticRegression()
    with threadpool_limits(1):
        model = ChurnRiskModel(estimator=estimator).fit(x, y)
        proba = model.predict_proba(rng.normal(size=(20, 3)) * 1e4)
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def brute_force_concordance(
    durations: np.ndarray, events: np.ndarray, risk: np.ndarray
) -> tuple[int, int, int]:
    """The definition, pair by pair (lifelines' conventions)."""
    correct = tied = pairs = 0
    for i, j in itertools.permutations(range(durations.size), 2):
        if not events[i]:
            continue
        later = durations[j] > durations[i] or (durations[j] == durations[i] and not events[j])
        if not later:
            continue
        pairs += 1
        if risk[i] > risk[j]:
            correct += 1
        elif risk[i] == risk[j]:
            tied += 1
    return correct, tied, pairs


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    data=st.lists(
        st.tuples(st.integers(1, 6), st.booleans(), st.integers(0, 4)), min_size=1, max_size=25
    )
)
def test_fast_concordance_equals_the_definition(data: list[tuple[int, bool, int]]) -> None:
    durations = np.array([d for d, _, _ in data], dtype=float)
    events = np.array([e for _, e, _ in data], dtype=bool)
    risk = np.array([r for _, _, r in data], dtype=float)
    assert concordance_counts(durations, events, risk) == brute_force_concordance(
        durations, events, risk
    )


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    churned=st.lists(st.booleans(), min_size=4, max_size=40),
    seed=st.integers(0, 2**32 - 1),
)
def test_indicator_p_values_are_probabilities(churned: list[bool], seed: int) -> None:
    if all(churned) or not any(churned):
        return
    rng = np.random.default_rng(seed)
    n = len(churned)
    frame = pd.DataFrame(
        {
            "churned": churned,
            "flag": rng.random(n) < 0.5,
            "count": rng.poisson(2.0, n),
            "amount": rng.exponential(10.0, n),
        }
    )
    table = indicator_comparison(frame, churned_col="churned")
    assert table["p_value"].between(0, 1).all()
    assert table["p_adjusted"].between(0, 1).all()
    assert (table["p_adjusted"] >= table["p_value"] - 1e-12).all()
