"""Hypothesis invariants of the BG/NBD model and of rfm_summary (deterministic: derandomized)."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import special

from useropslib.churn import BetaGeoModel, rfm_summary
from useropslib.events import EventLog

SETTINGS = settings(derandomize=True, max_examples=60, deadline=None)


@st.composite
def models(draw: st.DrawFn) -> BetaGeoModel:
    r = draw(st.floats(0.05, 3.0))
    alpha = draw(st.floats(0.5, 20.0))
    a = draw(st.floats(0.1, 5.0))
    b = draw(st.floats(0.1, 8.0))
    assume(abs(a - 1.0) > 1e-3)  # (a+b-1)/(a-1) is singular at a = 1
    assume(a + b > 1.05)  # keep 2F1's c = a+b+x-1 away from 0 for x = 0
    return BetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)


@st.composite
def customers(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 20))
    x = np.array(draw(st.lists(st.integers(0, 40), min_size=n, max_size=n)), dtype=float)
    age = np.array(draw(st.lists(st.floats(0.0, 100.0), min_size=n, max_size=n)))
    share = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    tx = np.where(x > 0, share * age, 0.0)
    return x, tx, age


horizons = st.floats(0.0, 100.0)


@SETTINGS
@given(models(), customers())
def test_probability_alive_is_a_probability_and_one_without_repeat_buys(
    model: BetaGeoModel, data: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    x, tx, age = data
    alive = model.conditional_probability_alive(x, tx, age)
    assert np.all((alive >= 0) & (alive <= 1))
    assert np.all(alive[x == 0] == 1.0)


@SETTINGS
@given(models(), customers(), st.floats(0.0, 50.0))
def test_probability_alive_falls_with_silence(
    model: BetaGeoModel, data: tuple[np.ndarray, np.ndarray, np.ndarray], extra: float
) -> None:
    x, tx, age = data
    now = model.conditional_probability_alive(x, tx, age)
    later = model.conditional_probability_alive(x, tx, age + extra)
    assert np.all(later <= now + 1e-12)
    # a more recent last purchase (same x, same T) means more likely alive
    recent = model.conditional_probability_alive(x, np.where(x > 0, age, 0.0), age)
    assert np.all(recent >= now - 1e-12)


@SETTINGS
@given(models(), customers(), horizons, horizons)
def test_expected_purchases_and_no_purchase_are_monotone_in_the_horizon(
    model: BetaGeoModel,
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
    t1: float,
    t2: float,
) -> None:
    x, tx, age = data
    short, long = min(t1, t2), max(t1, t2)
    e_short = model.conditional_expected_purchases(short, x, tx, age)
    e_long = model.conditional_expected_purchases(long, x, tx, age)
    assert np.all(np.isfinite(e_long))
    assert np.all(e_short >= -1e-12)
    assert np.all(e_long >= e_short - 1e-9 * (1 + e_short))
    p_short = model.conditional_probability_no_purchase(short, x, tx, age)
    p_long = model.conditional_probability_no_purchase(long, x, tx, age)
    assert np.all((p_long >= 0) & (p_long <= p_short + 1e-12) & (p_short <= 1))
    # a customer who has dropped out never buys again
    alive = model.conditional_probability_alive(x, tx, age)
    assert np.all(p_long >= 1 - alive - 1e-12)


@SETTINGS
@given(models(), customers(), st.floats(0.01, 100.0))
def test_euler_form_equals_textbook_conditional_expectation(
    model: BetaGeoModel, data: tuple[np.ndarray, np.ndarray, np.ndarray], t: float
) -> None:
    """The fast (Euler-transformed) Eq. 10 equals the paper's form wherever the latter is finite."""
    x, tx, age = data
    r, alpha, a, b = model.params_.to_numpy()
    with np.errstate(all="ignore"):
        z = t / (alpha + age + t)
        tail = ((alpha + age) / (alpha + age + t)) ** (r + x) * special.hyp2f1(
            r + x, b + x, a + b + x - 1, z
        )
        textbook = (a + b + x - 1) / (a - 1) * (1 - tail)
        textbook *= model.conditional_probability_alive(x, tx, age)
    fast = model.conditional_expected_purchases(t, x, tx, age)
    ok = np.isfinite(textbook) & (np.abs(1 - tail) > 1e-6)  # skip where the textbook form cancels
    np.testing.assert_allclose(fast[ok], textbook[ok], rtol=1e-6, atol=1e-10)


@SETTINGS
@given(models(), st.floats(0.0, 60.0))
def test_purchase_count_distribution_sums_to_one_with_the_right_mean(
    model: BetaGeoModel, t: float
) -> None:
    n = np.arange(6000)
    probabilities = model.probability_of_purchases(n, t)
    assert np.all(probabilities >= 0)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-6)
    assert float(n @ probabilities) == pytest.approx(
        model.expected_purchases(t), rel=1e-5, abs=1e-9
    )


@SETTINGS
@given(models(), customers())
def test_empty_history_equals_a_new_customer(
    model: BetaGeoModel, data: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    _, _, horizon = data
    zeros = np.zeros_like(horizon)
    np.testing.assert_allclose(
        model.conditional_expected_purchases(horizon, zeros, zeros, zeros),
        model.expected_purchases(horizon),
        rtol=1e-12,
        atol=1e-15,
    )


# ------------------------------------------------------------------ rfm_summary

START = pd.Timestamp("2024-01-01")


@st.composite
def transaction_logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 60))
    users = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), min_size=n, max_size=n))
    minutes = draw(st.lists(st.integers(0, 120 * 24 * 60), min_size=n, max_size=n))
    values = draw(st.lists(st.integers(1, 500), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "user_id": users,
            "timestamp": START + pd.to_timedelta(minutes, unit="min"),
            "value": np.array(values, dtype=float),
        }
    )


def slow_rfm(frame: pd.DataFrame, calibration_end: pd.Timestamp) -> pd.DataFrame:
    """One customer at a time, straight from the definitions."""
    rows = {}
    for user, group in frame.groupby("user_id"):
        days = group.assign(day=group["timestamp"].dt.normalize())
        calibration = days[days["day"] <= calibration_end]
        if calibration.empty:
            continue
        per_day = calibration.groupby("day")["value"].sum().sort_index()
        first, last = per_day.index[0], per_day.index[-1]
        x = len(per_day) - 1
        rows[user] = {
            "frequency": x,
            "recency": (last - first).days / 7,
            "T": (calibration_end - first).days / 7,
            "monetary_value": per_day.iloc[1:].mean() if x > 0 else 0.0,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


@SETTINGS
@given(transaction_logs(), st.integers(0, 119))
def test_rfm_summary_equals_the_slow_definition(frame: pd.DataFrame, end_day: int) -> None:
    end = START + pd.Timedelta(days=end_day)
    slow = slow_rfm(frame, end)
    if frame["timestamp"].min().normalize() > end:
        assert slow.empty
        return
    fast = rfm_summary(frame, value_col="value", calibration_end=end)
    assert fast.index.tolist() == sorted(slow.index)
    slow = slow.loc[fast.index]
    np.testing.assert_array_equal(fast["frequency"], slow["frequency"])
    np.testing.assert_allclose(fast["recency"], slow["recency"], rtol=1e-12)
    np.testing.assert_allclose(fast["T"], slow["T"], rtol=1e-12)
    np.testing.assert_allclose(fast["monetary_value"], slow["monetary_value"], rtol=1e-12)
    assert (fast["recency"] <= fast["T"]).all()
    assert (fast.loc[fast["frequency"] == 0, "recency"] == 0).all()


@SETTINGS
@given(transaction_logs(), st.randoms(use_true_random=False))
def test_rfm_summary_ignores_row_order_and_same_day_repeats(
    frame: pd.DataFrame, rng: random.Random
) -> None:
    end = START + pd.Timedelta(days=60)
    assume(frame["timestamp"].min() < end)
    base = rfm_summary(frame, calibration_end=end, observation_end=START + pd.Timedelta(days=119))
    order = list(range(len(frame)))
    rng.shuffle(order)
    shuffled = rfm_summary(
        frame.iloc[order], calibration_end=end, observation_end=START + pd.Timedelta(days=119)
    )
    pd.testing.assert_frame_equal(base, shuffled)
    # a second order later on the same calendar day counts once
    later_same_day = frame.assign(
        timestamp=frame["timestamp"].dt.normalize() + pd.Timedelta(hours=23, minutes=59)
    )
    doubled = rfm_summary(
        pd.concat([frame, later_same_day]),
        calibration_end=end,
        observation_end=START + pd.Timedelta(days=119),
    )
    pd.testing.assert_frame_equal(base, doubled)


@SETTINGS
@given(transaction_logs())
def test_rfm_summary_ignores_transactions_after_calibration(frame: pd.DataFrame) -> None:
    end = START + pd.Timedelta(days=60)
    assume(frame["timestamp"].min() < end)
    everything = rfm_summary(frame, calibration_end=end)
    only_calibration = rfm_summary(
        frame[frame["timestamp"] < end + pd.Timedelta(days=1)], calibration_end=end
    )
    pd.testing.assert_frame_equal(everything, only_calibration)


@SETTINGS
@given(transaction_logs(), st.integers(0, 119), st.sampled_from(["D", "W"]))
def test_rfm_summary_from_an_event_log_equals_the_frame_path(
    frame: pd.DataFrame, end_day: int, period: str
) -> None:
    """The EventLog path on purchases mixed with other events = the frame path on the purchases."""
    end = START + pd.Timedelta(days=end_day)
    assume(frame["timestamp"].min().normalize() <= end)
    views = frame.assign(
        event="view", value=np.nan, timestamp=frame["timestamp"] + pd.Timedelta(hours=7)
    )
    events = pd.concat([frame.assign(event="purchase"), views], ignore_index=True)
    log = EventLog.from_pandas(events, tz="Asia/Shanghai")
    from_log = rfm_summary(
        log,
        purchase_event="purchase",
        as_of=end + pd.Timedelta(days=1) - pd.Timedelta(1, unit="ns"),  # the end of that day
        period=period,  # type: ignore[arg-type]
        monetary=True,
    )
    from_frame = rfm_summary(frame, value_col="value", calibration_end=end, period=period)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(from_log, from_frame)
