"""Hand-computed experiment statistics and every error a caller can cause."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from useropslib.campaigns import (
    arm_statistics,
    compare_means,
    compare_proportions,
    compare_ratios,
)
from useropslib.exceptions import InsufficientDataError, InvalidParameterError


def test_absolute_proportion_by_hand() -> None:
    # p_A = 0.1, p_B = 0.15, n = 1000: se = sqrt(.09/1000 + .1275/1000)
    r = compare_proportions({"n": [1000, 1000], "conversions": [100, 150]}, difference="absolute")
    se = math.sqrt(0.09 / 1000 + 0.1275 / 1000)
    assert r.estimate == pytest.approx(0.05)
    assert r.table["se"].iloc[0] == pytest.approx(se)
    va, vb = 0.09 / 1000, 0.1275 / 1000
    dof = (va + vb) ** 2 / (va**2 / 999 + vb**2 / 999)
    assert r.table["dof"].iloc[0] == pytest.approx(dof)
    assert r.p_value == pytest.approx(2 * stats.t.sf(0.05 / se, dof))


def test_relative_delta_method_by_hand() -> None:
    r = compare_proportions({"n": [1000, 1000], "conversions": [100, 150]})
    var = 0.1275 / (1000 * 0.01) + 0.09 * 0.15**2 / (1000 * 0.1**4)
    assert r.estimate == pytest.approx(0.5)
    assert r.table["se"].iloc[0] == pytest.approx(math.sqrt(var))


def test_named_arms_control_and_multi_arm() -> None:
    arms = pd.DataFrame(
        {"n": [100, 100, 100], "conversions": [10, 20, 5]}, index=["b", "control", "c"]
    )
    r = compare_proportions(arms, control="control", difference="absolute")
    assert list(r.table.index) == ["b", "c"]
    assert r.table.loc["b", "estimate"] == pytest.approx(-0.1)
    assert r.table.loc["c", "estimate"] == pytest.approx(-0.15)
    assert (r.table["control"] == "control").all()


def test_bayesian_proper_prior_is_conjugate_normal() -> None:
    flat = compare_proportions({"n": [1000, 1000], "conversions": [100, 120]}, engine="bayesian")
    m, s = flat.estimate, flat.table["se"].iloc[0]
    prior = (0.0, 0.1)
    r = compare_proportions(
        {"n": [1000, 1000], "conversions": [100, 120]}, engine="bayesian", prior=prior
    )
    prec = 1 / s**2 + 1 / 0.1**2
    assert r.estimate == pytest.approx((m / s**2) / prec)
    assert r.table["se"].iloc[0] == pytest.approx(math.sqrt(1 / prec))
    assert r.chance_to_win == pytest.approx(stats.norm.sf(0, r.estimate, math.sqrt(1 / prec)))
    # the prior pulls the lift toward 0
    assert 0 < r.estimate < m


def test_bayesian_risk_is_expected_loss() -> None:
    r = compare_proportions({"n": [500, 500], "conversions": [50, 55]}, engine="bayesian")
    row = r.table.iloc[0]
    draws = stats.norm(row["estimate"], row["se"]).rvs(400_000, random_state=7)
    assert row["risk_control"] == pytest.approx(np.maximum(draws, 0).mean(), rel=0.01)
    assert row["risk_treatment"] == pytest.approx(np.maximum(-draws, 0).mean(), rel=0.01)


def test_one_sided_less() -> None:
    r = compare_proportions({"n": [1000, 1000], "conversions": [150, 100]}, sided="less")
    assert r.ci[0] == -math.inf
    assert r.p_value < 0.01


def test_compare_means_equals_proportions_for_binary_with_population_variance() -> None:
    # a 0/1 outcome as a mean uses the n - 1 variance, so it is slightly wider
    y = np.r_[np.ones(30), np.zeros(70), np.ones(40), np.zeros(60)]
    arm = np.r_[["control"] * 100, ["treatment"] * 100]
    s = arm_statistics(y, arm=arm)
    m = compare_means(s, difference="absolute")
    p = compare_proportions(s, difference="absolute")
    assert m.estimate == pytest.approx(p.estimate)
    assert m.table["se"].iloc[0] == pytest.approx(p.table["se"].iloc[0] * math.sqrt(100 / 99))


def test_cuped_by_hand_reduces_variance() -> None:
    rng = np.random.default_rng(3)
    pre = rng.gamma(2.0, 5.0, 4000)
    arm = np.where(rng.random(4000) < 0.5, "control", "treatment")
    post = 0.8 * pre + rng.normal(0, 2, 4000) + np.where(arm == "treatment", 1.0, 0.0)
    s = arm_statistics(post, arm=arm, covariate=pre)
    plain = compare_means(s, cuped=False, difference="absolute")
    adj = compare_means(s, difference="absolute")
    theta = np.cov(post, pre)[0, 1] / np.var(pre, ddof=1)
    assert adj.table["theta"].iloc[0] == pytest.approx(theta)
    ya = post - theta * pre
    c, t = arm == "control", arm == "treatment"
    assert adj.estimate == pytest.approx(ya[t].mean() - ya[c].mean())
    se = math.sqrt(ya[t].var(ddof=1) / t.sum() + ya[c].var(ddof=1) / c.sum())
    assert adj.table["se"].iloc[0] == pytest.approx(se)
    assert adj.table["se"].iloc[0] < 0.5 * plain.table["se"].iloc[0]


def test_cuped_without_covariate_variance_falls_back() -> None:
    s = arm_statistics([1.0, 2, 3, 4, 2, 3, 4, 6], arm=list("aaaabbbb"), covariate=[1.0] * 8)
    r = compare_means(s)
    assert r.table["theta"].iloc[0] == 0.0
    assert r.estimate == pytest.approx(compare_means(s, cuped=False).estimate)


def test_ratio_delta_method_by_hand() -> None:
    rng = np.random.default_rng(5)
    den = rng.poisson(3, 2000) + 1.0
    num = den * rng.gamma(2, 10, 2000)
    arm = np.where(np.arange(2000) < 1000, "control", "treatment")
    s = arm_statistics(num, arm=arm, denominator=den)
    r = compare_ratios(s, difference="absolute")

    def ratio_var(m: np.ndarray, d: np.ndarray) -> float:
        mb, db = m.mean(), d.mean()
        cov = np.cov(m, d)
        return float(
            (cov[0, 0] / db**2 - 2 * cov[0, 1] * mb / db**3 + mb**2 * cov[1, 1] / db**4) / m.size
        )

    c = arm == "control"
    t = ~c
    est = num[t].sum() / den[t].sum() - num[c].sum() / den[c].sum()
    assert r.estimate == pytest.approx(est)
    se = math.sqrt(ratio_var(num[t], den[t]) + ratio_var(num[c], den[c]))
    assert r.table["se"].iloc[0] == pytest.approx(se)


def test_arm_statistics_order_and_columns() -> None:
    s = arm_statistics([1.0, 2.0, 3.0], arm=["t", "c", "t"], covariate=[1.0, 1.0, 2.0])
    assert list(s.index) == ["t", "c"]
    assert s.loc["t", "cross_sum"] == pytest.approx(1 * 1 + 3 * 2)
    assert s.loc["t", "n"] == 2


# --- errors -------------------------------------------------------------------------------


def test_error_missing_column_did_you_mean() -> None:
    with pytest.raises(InvalidParameterError, match=r"missing column.*'conversions' \(did you"):
        compare_proportions({"n": [10, 10], "conversion": [1, 2]})


def test_error_one_arm() -> None:
    with pytest.raises(InsufficientDataError, match="need at least 2 arms"):
        compare_proportions({"n": [10], "conversions": [1]})


def test_error_empty_control() -> None:
    with pytest.raises(InsufficientDataError, match=r"\['control'\] have \[0\] units; at least 2"):
        compare_proportions({"n": [0, 10], "conversions": [0, 1]})


def test_error_min_units_says_how_many() -> None:
    with pytest.raises(InsufficientDataError, match="at least 50 per arm"):
        compare_proportions({"n": [20, 100], "conversions": [2, 10]}, min_units=50)


def test_error_conversions_above_n() -> None:
    with pytest.raises(InvalidParameterError, match="conversions must lie between 0 and n"):
        compare_proportions({"n": [10, 10], "conversions": [11, 2]})


def test_error_zero_variance() -> None:
    with pytest.raises(InsufficientDataError, match="zero variance"):
        compare_proportions({"n": [10, 10], "conversions": [10, 10]})


def test_error_zero_control_relative() -> None:
    with pytest.raises(InvalidParameterError, match="difference='absolute'"):
        compare_proportions({"n": [10, 10], "conversions": [0, 3]})


def test_error_unknown_control() -> None:
    with pytest.raises(InvalidParameterError, match="Did you mean 'control'"):
        compare_proportions({"n": [10, 10], "conversions": [1, 3]}, control="contrl")


def test_error_non_numeric() -> None:
    with pytest.raises(InvalidParameterError, match="finite numbers"):
        compare_proportions({"n": [10, float("nan")], "conversions": [1, 3]})


def test_error_options() -> None:
    arms = {"n": [10, 10], "conversions": [1, 3]}
    with pytest.raises(InvalidParameterError, match="difference must be"):
        compare_proportions(arms, difference="ratio")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="alpha must lie in"):
        compare_proportions(arms, alpha=1.5)
    with pytest.raises(InvalidParameterError, match="frequentist method"):
        compare_proportions(arms, engine="bayesian", sequential=True)
    with pytest.raises(InvalidParameterError, match="Bayesian engine only"):
        compare_proportions(arms, prior=(0, 1))
    with pytest.raises(InvalidParameterError, match="prior standard deviation"):
        compare_proportions(arms, engine="bayesian", prior=(0, 0))
    with pytest.raises(InvalidParameterError, match="tuning must be"):
        compare_proportions(arms, sequential=True, tuning=0)
    with pytest.raises(InvalidParameterError, match="DataFrame"):
        compare_proportions([1, 2])  # type: ignore[arg-type]


def test_error_cuped_columns_missing() -> None:
    with pytest.raises(InvalidParameterError, match="pre_sum"):
        compare_means({"n": [5, 5], "sum": [1, 2], "sum_squares": [1, 2]}, cuped=True)


def test_error_ratio_zero_denominator() -> None:
    arms = {
        "n": [4, 4],
        "num_sum": [1.0, 2.0],
        "num_sum_squares": [1.0, 2.0],
        "den_sum": [0.0, 2.0],
        "den_sum_squares": [0.0, 2.0],
        "num_den_sum": [0.0, 2.0],
    }
    with pytest.raises(InvalidParameterError, match="denominator sums to 0"):
        compare_ratios(arms)


def test_error_arm_statistics() -> None:
    with pytest.raises(InvalidParameterError, match="aligned unit by unit"):
        arm_statistics([1.0, 2.0], arm=["a"])
    with pytest.raises(InvalidParameterError, match="fill missing outcomes with 0"):
        arm_statistics([1.0, float("nan")], arm=["a", "b"])


def test_result_frame_dict_plot() -> None:
    import matplotlib

    matplotlib.use("Agg")
    r = compare_proportions({"n": [100, 100], "conversions": [10, 20]})
    d = r.to_dict()
    assert d["params"]["difference"] == "relative"
    assert d["table"][0]["variant"] == "treatment"
    assert r.to_frame().shape[0] == 1
    ax = r.plot()
    assert ax.get_xlabel() == "relative lift"
    assert "ComparisonResult" in repr(r)


def test_error_impossible_sum_of_squares() -> None:
    with pytest.raises(InvalidParameterError, match=r"sum_squares is below sum\*\*2 / n"):
        compare_means({"n": [10, 10], "sum": [10, 20], "sum_squares": [1, 2]})
