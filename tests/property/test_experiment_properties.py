"""Invariants of the experiment statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from useropslib.campaigns import (
    adjust_p_values,
    compare_proportions,
    pool_effects,
    qini_curve,
)

arm = st.tuples(st.integers(20, 5000), st.floats(0.05, 0.95))


def _arms(a: tuple[int, float], b: tuple[int, float]) -> dict[str, list[int]]:
    return {"n": [a[0], b[0]], "conversions": [round(a[0] * a[1]), round(b[0] * b[1])]}


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(arm, arm, st.sampled_from(["relative", "absolute"]))
def test_interval_and_p_value_agree(a: tuple[int, float], b: tuple[int, float], diff: str) -> None:
    r = compare_proportions(_arms(a, b), difference=diff)  # type: ignore[arg-type]
    lo, hi = r.ci
    assert lo <= r.estimate <= hi
    # two-sided t test: p < alpha exactly when the interval excludes 0
    if abs(r.p_value - 0.05) > 1e-9:
        assert (r.p_value < 0.05) == (lo > 0 or hi < 0)
    assert 0.0 <= r.p_value <= 1.0


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(arm, arm)
def test_swapping_arms_negates_absolute_difference(
    a: tuple[int, float], b: tuple[int, float]
) -> None:
    ab = compare_proportions(_arms(a, b), difference="absolute")
    ba = compare_proportions(_arms(b, a), difference="absolute")
    assert np.isclose(ab.estimate, -ba.estimate)
    assert np.isclose(ab.p_value, ba.p_value)


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(arm, arm, st.floats(100, 1e6))
def test_sequential_interval_is_wider(
    a: tuple[int, float], b: tuple[int, float], tuning: float
) -> None:
    fixed = compare_proportions(_arms(a, b))
    seq = compare_proportions(_arms(a, b), sequential=True, tuning=tuning)
    assert seq.ci[1] - seq.ci[0] >= fixed.ci[1] - fixed.ci[0] - 1e-12
    assert seq.p_value >= fixed.p_value - 1e-12


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(arm, arm)
def test_bayesian_chance_to_win_in_unit_interval_and_risks_positive(
    a: tuple[int, float], b: tuple[int, float]
) -> None:
    r = compare_proportions(_arms(a, b), engine="bayesian")
    row = r.table.iloc[0]
    assert 0 <= row["chance_to_win"] <= 1
    assert row["risk_control"] >= 0
    assert row["risk_treatment"] >= 0
    # E[max(x,0)] - E[max(-x,0)] = E[x]
    assert np.isclose(row["risk_control"] - row["risk_treatment"], row["estimate"])


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_adjusted_p_values_ordered(p: list[float]) -> None:
    raw = np.asarray(p)
    holm = adjust_p_values(raw, method="holm")
    bh = adjust_p_values(raw, method="benjamini_hochberg")
    bonf = adjust_p_values(raw, method="bonferroni")
    assert (bh >= raw - 1e-12).all()
    assert (holm >= bh - 1e-12).all()
    assert (bonf >= holm - 1e-12).all()
    assert (bonf <= 1).all()
    order = np.argsort(raw, kind="stable")
    assert (np.diff(holm[order]) >= -1e-12).all()


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.lists(
        st.tuples(st.floats(-1, 1), st.floats(0.01, 1)),
        min_size=2,
        max_size=15,
    )
)
def test_random_effects_never_narrower(studies: list[tuple[float, float]]) -> None:
    y = [s[0] for s in studies]
    se = [s[1] for s in studies]
    rnd = pool_effects(y, standard_errors=se)
    fix = pool_effects(y, standard_errors=se, method="fixed")
    assert rnd.se >= fix.se - 1e-12
    assert 0 <= rnd.i2 <= 1
    assert rnd.tau2 >= 0
    assert min(y) - 1e-12 <= rnd.estimate <= max(y) + 1e-12


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.integers(0, 10_000))
def test_qini_end_point_does_not_depend_on_score(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 200
    y = (rng.random(n) < 0.3).astype(float)
    t = np.r_[np.ones(n // 2, bool), np.zeros(n // 2, bool)]
    a = qini_curve(y, treatment=t, score=rng.random(n))
    b = qini_curve(y, treatment=t, score=rng.random(n))
    assert np.isclose(a.curve["qini"].iloc[-1], b.curve["qini"].iloc[-1])
    expected = y[t].sum() - y[~t].sum() * t.sum() / (~t).sum()
    assert np.isclose(a.curve["qini"].iloc[-1], expected)


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.floats(-1e3, 1e3), st.floats(0, 1e3)),
        min_size=1,
        max_size=60,
    )
)
def test_arm_statistics_equals_a_pandas_group_by(rows: list[tuple[str, float, float]]) -> None:
    from useropslib.campaigns import arm_statistics

    frame = pd.DataFrame(rows, columns=["arm", "y", "x"])
    got = arm_statistics(frame["y"], arm=frame["arm"], covariate=frame["x"])
    g = frame.assign(yy=frame["y"] ** 2, xx=frame["x"] ** 2, xy=frame["x"] * frame["y"])
    want = g.groupby("arm", sort=False).agg(
        n=("y", "size"),
        sum=("y", "sum"),
        sum_squares=("yy", "sum"),
        pre_sum=("x", "sum"),
        pre_sum_squares=("xx", "sum"),
        cross_sum=("xy", "sum"),
    )
    assert list(got.index) == list(want.index)
    for col in want.columns:
        np.testing.assert_allclose(
            got[col].to_numpy(float), want[col].to_numpy(float), rtol=1e-9, atol=1e-6
        )


def test_sequential_p_value_never_below_the_fixed_one_with_few_units() -> None:
    # 20 units per arm and a large effect: the mixture's normal-based p-value (about 9e-14) is
    # below the fixed-horizon Welch t p-value (about 1.8e-9); the always-valid one is the larger
    fixed = compare_proportions(_arms((20, 0.5), (20, 0.0625)))
    seq = compare_proportions(_arms((20, 0.5), (20, 0.0625)), sequential=True, tuning=100.0)
    assert seq.p_value == fixed.p_value
    assert seq.ci[1] - seq.ci[0] > fixed.ci[1] - fixed.ci[0]
