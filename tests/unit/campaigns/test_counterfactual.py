"""Counterfactual effect: hand-computed cases, result shape and every bad input of the issue."""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from useropslib.campaigns import (
    CounterfactualResult,
    counterfactual_effect,
    did_regression,
    did_table,
    pull_forward,
    simplex_weights,
    staggered_did,
    summarize_draws,
    synthetic_control,
    tail_p_value,
    two_sided_p_value,
)
from useropslib.exceptions import (
    CounterfactualWarning,
    InsufficientDataError,
    InvalidParameterError,
)

DAYS = pd.date_range("2024-01-01", periods=120, freq="D")


def _series(seed: int = 0, effect: float = 0.0, n: int = 120, controls: int = 2):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2024-01-01", periods=n, freq="D")
    x = 100 + np.cumsum(rng.normal(0, 1, (n, controls)), axis=0)
    y = x.mean(axis=1) + rng.normal(0, 1, n)
    y[90:] += effect
    return (
        pd.Series(y, index=idx, name="orders"),
        pd.DataFrame(x, index=idx, columns=[f"city{i}" for i in range(controls)]),
    )


PRE = ("2024-01-01", "2024-03-30")
POST = ("2024-03-31", "2024-04-29")


# ---- summary conventions (hand-computed) ---------------------------------------------------


def test_tail_p_counts_the_observed_sum_in_both_tails() -> None:
    draws = np.array([1.0, 2.0, 3.0, 4.0])
    # observed 3: >= 3 -> {3, 4} (2 + 1), <= 3 -> {1, 2, 3} (3 + 1); min 3 / 5
    assert tail_p_value(3.0, draws) == pytest.approx(3 / 5)
    assert tail_p_value(10.0, draws) == pytest.approx(1 / 5)


def test_summary_quantiles_are_type_7() -> None:
    y = np.array([10.0])
    samples = np.array([[1.0], [2.0], [3.0], [4.0]])
    table, _ = summarize_draws(y, samples, alpha=0.5)
    # type 7 quartiles of 1..4: 1.75 and 3.25
    assert table.loc["average", "predicted_lower"] == pytest.approx(1.75)
    assert table.loc["average", "predicted_upper"] == pytest.approx(3.25)
    assert table.loc["average", "predicted_sd"] == pytest.approx(np.std([1, 2, 3, 4], ddof=1))
    assert table.loc["cumulative", "abs_effect_lower"] == pytest.approx(10 - 3.25)


def test_summary_rejects_mismatched_shapes() -> None:
    with pytest.raises(InvalidParameterError, match=r"samples must have shape \(draws, 3\)"):
        summarize_draws(np.ones(3), np.ones((5, 2)))


# ---- the entry point --------------------------------------------------------------------------


def test_sts_recovers_an_effect_and_states_conventions() -> None:
    y, x = _series(effect=8.0)
    res = counterfactual_effect(y, pre=PRE, post=POST, controls=x, draws=300)
    assert isinstance(res, CounterfactualResult)
    avg = res.table.loc["average"]
    assert avg["abs_effect_lower"] < 8.0 < avg["abs_effect_upper"]
    assert res.significant
    # every draw below the observed sum: R's one-sided tail area 1 / (S + 1), two-sided p 0
    assert res.causalimpact_p == pytest.approx(1 / 301)
    assert res.p_value == 0.0
    for key in ("level_prior", "interval", "p_value", "causalimpact_p", "relative_effect"):
        assert key in res.conventions
    frame = res.to_frame()
    assert list(frame["period"].unique()) == ["pre", "post"]
    assert (frame.loc[frame["period"] == "pre", "cumulative_effect"] == 0).all()
    post = frame[frame["period"] == "post"]
    assert post["cumulative_effect"].iloc[-1] == pytest.approx(
        res.table.loc["cumulative", "abs_effect"]
    )
    d = res.to_dict()
    json.dumps(d)
    assert (d["p_value"], d["causalimpact_p"], d["significant"]) == (0.0, res.causalimpact_p, True)
    assert d["estimate"] == res.estimate
    assert d["ci"] == list(res.ci)
    assert (
        "The 95% interval of the cumulative effect excludes zero (p < 0.0033 < alpha = 0.05): "
        "the data show an effect (increase)." in res.summary("en")
    )
    assert "R CausalImpact's one-sided tail area 0.00332" in res.summary("en")
    assert "累计效果的95%区间不含零（p < 0.0033 < alpha = 0.05）" in res.summary("zh")
    assert "interval of the cumulative effect excludes zero" in res.conventions["significant"]
    assert "2 alpha" in res.conventions["causalimpact_significant"]
    assert "two-sided" in res.conventions["interval"]
    assert "CounterfactualResult" in repr(res)


def test_significant_is_the_interval_and_r_rule_is_kept_apart() -> None:
    # "finds an effect" = the 1 - alpha interval of the cumulative effect excludes zero =
    # two-sided p < alpha; R's rule (one-sided tail area < alpha) is causalimpact_significant
    rng = np.random.default_rng(6)
    x = pd.Series(np.cumsum(rng.normal(0, 1, 120)), index=DAYS, name="city_b")
    y = pd.Series(50 + x.to_numpy() + rng.normal(0, 1, 120), index=DAYS, name="orders")
    res = counterfactual_effect(y, pre=PRE, post=POST, controls=x, draws=200, seed=0)
    cum = res.table.loc["cumulative"]
    assert cum["abs_effect_lower"] <= 0 <= cum["abs_effect_upper"]
    assert not res.significant
    assert res.p_value >= res.alpha
    # the two-sided p is (up to the +1 of R's count) twice R's one-sided tail area
    assert res.p_value == pytest.approx(2 * res.causalimpact_p, abs=0.03)
    assert "includes zero" in res.summary("en")
    assert "区间包含零" in res.summary("zh")
    # a one-sided tail area in [alpha / 2, alpha): R says significant, the interval does not
    weak = dataclasses.replace(res, causalimpact_p=0.04)
    assert weak.causalimpact_significant
    assert not weak.significant
    en, zh = weak.summary("en"), weak.summary("zh")
    assert (
        "R CausalImpact's rule (one-sided tail area 0.04 < alpha) would call it significant" in en
    )
    assert "two-sided test at 0.1, so the evidence is weak" in en
    assert "按 R CausalImpact 的规则（单侧尾部面积 0.04 < alpha）会判为显著" in zh
    assert not dataclasses.replace(res, causalimpact_p=0.05).causalimpact_significant
    assert weak.to_dict()["causalimpact_significant"] is True
    assert weak.to_dict()["significant"] is False


def test_two_sided_p_hand_computed_and_agrees_with_the_interval() -> None:
    # draws -1.5, -0.5, 0.5, ..., 17.5 (20): the type-7 quantile function crosses zero at
    # u = (1 + 0.5) / 19 (between the 2nd and 3rd sorted draws), so p = 2 * 1.5 / 19
    draws = np.arange(1.0, 21.0) - 2.5
    assert two_sided_p_value(draws) == pytest.approx(3 / 19)
    assert two_sided_p_value(-draws) == pytest.approx(3 / 19)
    assert two_sided_p_value(np.arange(1.0, 11.0)) == 0.0
    assert two_sided_p_value(np.array([-1.0, 1.0])) == pytest.approx(1.0)
    # ties at zero: the interval's end at exactly 0 includes zero
    tied = np.array([0.0, 0.0, 1.0, 2.0, 3.0])
    assert two_sided_p_value(tied) == pytest.approx(2 * 0.25)
    rng = np.random.default_rng(3)
    for _ in range(200):
        d = rng.normal(rng.normal(0, 2), 1, int(rng.integers(2, 80)))
        p = two_sided_p_value(d)
        for a in (0.01, 0.05, 0.1, 0.3):
            lo, hi = np.quantile(d, [a / 2, 1 - a / 2])
            assert (lo > 0 or hi < 0) == (p < a)
    with pytest.raises(InvalidParameterError, match=r"at least two finite numbers; got 3 \(1 not"):
        two_sided_p_value(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(InvalidParameterError, match="effect_draws must be an array of numbers"):
        two_sided_p_value(np.array(["a", "b"], dtype=object))


def test_result_reads_like_a_campaign_evaluation() -> None:
    y, x = _series(effect=8.0)
    res = counterfactual_effect(y, pre=PRE, post=POST, controls=x, draws=200)
    cum = res.table.loc["cumulative"]
    assert res.estimate == pytest.approx(cum["rel_effect"])
    assert res.ci == (
        pytest.approx(cum["rel_effect_lower"]),
        pytest.approx(cum["rel_effect_upper"]),
    )
    assert res.ci[0] < res.estimate < res.ci[1]
    assert res.significant == (res.ci[0] > 0 or res.ci[1] < 0) == (res.p_value < res.alpha)
    assert "relative effect" in res.conventions["estimate"]


def test_same_seed_same_answer_and_caller_data_untouched() -> None:
    y, x = _series(effect=3.0)
    y0, x0 = y.copy(), x.copy()
    a = counterfactual_effect(y, pre=PRE, post=POST, controls=x, draws=200, seed=7)
    b = counterfactual_effect(y, pre=PRE, post=POST, controls=x, draws=200, seed=7)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_series_equal(y, y0)
    pd.testing.assert_frame_equal(x, x0)


def test_sts_without_controls_and_with_weekly_seasonality() -> None:
    rng = np.random.default_rng(2)
    week = np.tile([0, 0, 0, 0, 0, 5, 5], 18)[:120]
    y = pd.Series(50 + week + rng.normal(0, 1, 120), index=DAYS)
    res = counterfactual_effect(y, pre=PRE, post=POST, seasonality=7, draws=200)
    assert not res.significant
    pred = res.series.loc[res.series["period"] == "post", "predicted"].to_numpy()
    # the weekly pattern is carried into the counterfactual
    assert pred[week[90:] == 5].mean() - pred[week[90:] == 0].mean() == pytest.approx(5, abs=1)


def test_weekly_series_is_accepted() -> None:
    rng = np.random.default_rng(4)
    idx = pd.date_range("2022-01-03", periods=80, freq="W-MON")
    y = pd.Series(20 + rng.normal(0, 1, 80), index=idx)
    res = counterfactual_effect(
        y, pre=("2022-01-03", "2023-03-27"), post=("2023-04-03", "2023-07-10"), draws=200
    )
    assert res.params["frequency"] == "week"


def test_did_series_method_hand_computed_point() -> None:
    idx = pd.date_range("2024-01-01", periods=8, freq="D")
    x = pd.DataFrame(
        {"a": [10.0, 11, 12, 13, 14, 15, 16, 17], "b": [20.0, 21, 22, 23, 24, 25, 26, 27]},
        index=idx,
    )
    gap = np.array([5.0, 4.0, 6.0, 5.0, 0, 0, 0, 0])
    y = x.mean(axis=1) + gap
    y.iloc[4:] += 3.0
    res = counterfactual_effect(
        y,
        pre=("2024-01-01", "2024-01-04"),
        post=("2024-01-05", "2024-01-08"),
        controls=x,
        method="did",
        draws=500,
    )
    # counterfactual = comparison mean + pre-period mean gap (5): the effect is 3 + (0 - 5) + 5
    post = res.series[res.series["period"] == "post"]
    assert res.details["pre_gap_mean"] == pytest.approx(5.0)
    assert (post["observed"] - (x.mean(axis=1).iloc[4:] + 5.0)).to_numpy() == pytest.approx(
        [-2.0] * 4
    )


def test_synthetic_control_method_in_entry_point() -> None:
    y, x = _series(seed=3, effect=6.0, controls=4)
    res = counterfactual_effect(y, pre=PRE, post=POST, controls=x, method="synthetic_control")
    assert sum(res.details["weights"].values()) == pytest.approx(1.0)
    assert res.table.loc["average", "abs_effect"] == pytest.approx(6.0, abs=1.5)


def test_naive_year_over_year_same_weekday_and_trend_warning() -> None:
    idx = pd.date_range("2022-01-01", "2024-03-31", freq="D")
    rng = np.random.default_rng(5)
    y = pd.Series(100 + rng.normal(0, 2, len(idx)), index=idx)
    y.loc["2024-03-01":] += 20
    res = counterfactual_effect(
        y,
        pre=("2024-01-01", "2024-02-29"),
        post=("2024-03-01", "2024-03-31"),
        method="naive",
        reference="year",
        align="same_weekday",
    )
    post = res.series[res.series["period"] == "post"]
    # the counterfactual of 2024-03-01 (a Friday) is 2023-03-03 (364 days earlier, a Friday)
    assert post["predicted"].iloc[0] == pytest.approx(y.loc["2023-03-03"])
    assert res.significant
    cum = res.table.loc["cumulative"]
    assert cum["predicted_lower"] <= cum["predicted"] <= cum["predicted_upper"]
    assert "364 days" in res.conventions["counterfactual"]
    trend = pd.Series(np.linspace(50, 150, len(idx)), index=idx)
    with pytest.warns(CounterfactualWarning, match="has a trend or drift"):
        counterfactual_effect(
            trend,
            pre=("2024-01-01", "2024-02-29"),
            post=("2024-03-01", "2024-03-31"),
            method="naive",
            align="same_date",
        )


def test_naive_needs_last_year() -> None:
    y, _ = _series()
    with pytest.raises(InsufficientDataError, match="needs the year before the post-period"):
        counterfactual_effect(y, pre=PRE, post=POST, method="naive")


def test_its_ols_level_change_hand_made() -> None:
    t = np.arange(60, dtype=float)
    y = pd.Series(
        10 + 0.5 * t + np.where(t >= 40, 7.0, 0.0) + np.sin(t) * 0.01,
        index=pd.date_range("2020-01-01", periods=60, freq="MS"),
    )
    res = counterfactual_effect(
        y,
        pre=("2020-01-01", "2023-04-01"),
        post=("2023-05-01", "2024-12-01"),
        method="its",
        family="ols",
        its_seasonality=None,
        slope_change=False,
        hac_lags=3,
    )
    assert res.details["coefficients"].loc["step", "coef"] == pytest.approx(7.0, abs=0.05)
    assert res.conventions["errors"].startswith("Newey-West")


def test_pull_forward_recovers_an_injected_dip() -> None:
    rng = np.random.default_rng(11)
    idx = pd.date_range("2024-01-01", periods=130, freq="D")
    y = pd.Series(200 + rng.normal(0, 2, 130), index=idx)
    y.iloc[100:110] += 20  # +200 during the campaign
    y.iloc[110:130] -= 5  # -100 after: half pulled forward
    res = pull_forward(
        y,
        pre=("2024-01-01", "2024-04-09"),
        campaign=("2024-04-10", "2024-04-19"),
        after=("2024-04-20", "2024-05-09"),
        draws=400,
    )
    row = res.table.loc["pull_forward_share"]
    assert row["lower"] < 0.5 < row["upper"]
    assert res.table.loc["net", "estimate"] == pytest.approx(
        res.table.loc["campaign", "estimate"] + res.table.loc["after", "estimate"]
    )
    assert res.share == pytest.approx(row["estimate"])
    assert set(res.series["period"]) == {"pre", "campaign", "after"}
    json.dumps(res.to_dict())


def test_plot_three_panels() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    y, x = _series(effect=5.0)
    res = counterfactual_effect(y, pre=PRE, post=POST, controls=x, draws=200)
    axes = res.plot()
    assert len(axes) == 3
    _, given = plt.subplots(3, 1)
    assert res.plot(ax=given)[0] is given[0]
    with pytest.raises(InvalidParameterError, match="ax must be three Axes"):
        res.plot(ax=[given[0]])
    plt.close("all")


# ---- hand-computed DiD and synthetic control -------------------------------------------------


def test_did_table_from_rows_hand_computed() -> None:
    df = pd.DataFrame(
        {
            "y": [1.0, 3.0, 2.0, 4.0, 5.0, 7.0, 10.0, 12.0],
            "treated": [0, 0, 0, 0, 1, 1, 1, 1],
            "post": [0, 0, 1, 1, 0, 0, 1, 1],
        }
    )
    res = did_table(df, outcome="y", treated="treated", post="post")
    # control 2 -> 3 (+1), treated 6 -> 11 (+5): 4
    assert res.effect == pytest.approx(4.0)
    se_cell = np.sqrt(2) / np.sqrt(2)  # s.d. of (1, 3) is sqrt(2)
    assert res.se == pytest.approx(np.sqrt(4 * se_cell**2))


def test_simplex_weights_exact_mix() -> None:
    x0 = np.array([[1.0, 0.0, 5.0], [0.0, 1.0, 5.0]])
    w = simplex_weights(np.array([0.3, 0.7]), x0)
    assert w == pytest.approx([0.3, 0.7, 0.0], abs=1e-6)


def test_staggered_did_hand_computed_not_yet_treated() -> None:
    rows = []
    for u, g in [(1, 2), (2, 3), (3, 0)]:
        for t in (1, 2, 3):
            rows.append((u, t, g, float(u + t + (4 if g and t >= g else 0))))
    panel = pd.DataFrame(rows, columns=["id", "t", "g", "y"])
    res = staggered_did(
        panel, unit="id", time="t", outcome="y", first_treated="g", control="not_yet_treated"
    )
    assert res.att_gt.loc[(2.0, 2.0), "att"] == pytest.approx(4.0)
    # unit 2 (treated at 3) is a control for group 2 at t=2
    assert res.att_gt.loc[(2.0, 2.0), "n_control"] == 2
    assert res.simple["att"] == pytest.approx(4.0)


# ---- bad input ------------------------------------------------------------------------------


def test_pre_period_too_short_says_how_many_and_why() -> None:
    y, x = _series()
    with pytest.raises(
        InsufficientDataError, match=r"needs at least 12: about three points for each of its 4"
    ):
        counterfactual_effect(y, pre=("2024-03-25", "2024-03-30"), post=POST, controls=x)
    with pytest.raises(InsufficientDataError, match="two full seasonal cycles of 30"):
        counterfactual_effect(y, pre=("2024-02-01", "2024-03-30"), post=POST, seasonality=30)


def test_moving_control_warns() -> None:
    y, x = _series()
    x.loc["2024-03-31":, "city1"] += 60
    with pytest.warns(CounterfactualWarning, match=r"\[.city1.\] shift at the launch"):
        counterfactual_effect(y, pre=PRE, post=POST, controls=x, draws=200)


def test_gaps_and_duplicated_dates_are_named() -> None:
    y, _ = _series()
    with pytest.raises(InvalidParameterError, match=r"1 gap.*2024-02-10"):
        counterfactual_effect(y.drop(pd.Timestamp("2024-02-10")), pre=PRE, post=POST)
    dup = pd.concat([y, y.iloc[[5]]]).sort_index()
    with pytest.raises(InvalidParameterError, match=r"1 duplicated date.*2024-01-06"):
        counterfactual_effect(dup, pre=PRE, post=POST)
    nan = y.copy()
    nan.iloc[10] = np.nan
    with pytest.raises(InvalidParameterError, match=r"missing value\(s\) \(NaN\) on 2024-01-11"):
        counterfactual_effect(nan, pre=PRE, post=POST)


def test_windows_out_of_order_or_overlapping() -> None:
    y, _ = _series()
    with pytest.raises(InvalidParameterError, match="post must start after pre ends"):
        counterfactual_effect(y, pre=("2024-01-01", "2024-04-05"), post=POST)
    with pytest.raises(InvalidParameterError, match="pre ends before it starts"):
        counterfactual_effect(y, pre=("2024-03-30", "2024-01-01"), post=POST)
    with pytest.raises(InvalidParameterError, match="after must start after post ends"):
        pull_forward(y, pre=PRE, campaign=POST, after=("2024-04-20", "2024-04-28"))
    with pytest.raises(InvalidParameterError, match=r"pre must be a \(start, end\) pair"):
        counterfactual_effect(y, pre="2024-01-01", post=POST)


def test_constant_series_and_controls() -> None:
    y, x = _series()
    flat = pd.Series(5.0, index=y.index)
    with pytest.raises(InvalidParameterError, match=r"constant \(5\) over the pre-period"):
        counterfactual_effect(flat, pre=PRE, post=POST)
    x["city1"] = 3.0
    with pytest.raises(InvalidParameterError, match=r"Comparison series \['city1'\] are constant"):
        counterfactual_effect(y, pre=PRE, post=POST, controls=x)


def test_wrong_types_and_options() -> None:
    y, x = _series()
    with pytest.raises(InvalidParameterError, match="must be a pandas Series indexed by date"):
        counterfactual_effect([1, 2, 3], pre=PRE, post=POST)
    with pytest.raises(InvalidParameterError, match="indexed by dates"):
        counterfactual_effect(y.reset_index(drop=True), pre=PRE, post=POST)
    with pytest.raises(InvalidParameterError, match="method must be one of"):
        counterfactual_effect(y, pre=PRE, post=POST, method="magic")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="draws must be an integer of at least 100"):
        counterfactual_effect(y, pre=PRE, post=POST, draws=10)
    with pytest.raises(InvalidParameterError, match="needs comparison series"):
        counterfactual_effect(y, pre=PRE, post=POST, method="synthetic_control")
    with pytest.raises(InvalidParameterError, match="uses no comparison series"):
        counterfactual_effect(y, pre=PRE, post=POST, controls=x, method="its")
    with pytest.raises(InvalidParameterError, match="must be numeric"):
        counterfactual_effect(y.astype(str), pre=PRE, post=POST)
    with pytest.raises(InvalidParameterError, match="controls lack 10 date"):
        counterfactual_effect(y, pre=PRE, post=POST, controls=x.iloc[:-10])
    with pytest.raises(InvalidParameterError, match="neither daily, weekly nor monthly"):
        counterfactual_effect(y.iloc[::3], pre=PRE, post=POST)


def test_synthetic_control_needs_donors_and_warns_on_poor_fit() -> None:
    rows = [
        (u, t, float(t * s)) for u, s in [("T", 3.0), ("A", 1.0), ("B", 1.1)] for t in range(10)
    ]
    panel = pd.DataFrame(rows, columns=["unit", "t", "y"])
    with pytest.raises(InsufficientDataError, match="needs at least 2 donors"):
        synthetic_control(
            panel[panel["unit"] != "B"], unit="unit", time="t", outcome="y", treated="T", start=6
        )
    with pytest.warns(CounterfactualWarning, match="fits the pre-period poorly: RMSPE"):
        synthetic_control(panel, unit="unit", time="t", outcome="y", treated="T", start=6)
    with pytest.raises(InvalidParameterError, match="did you mean 'unit'"):
        synthetic_control(panel, unit="units", time="t", outcome="y", treated="T", start=6)
    with pytest.raises(InvalidParameterError, match="did you mean 'T'"):
        synthetic_control(panel, unit="unit", time="t", outcome="y", treated="t", start=6)


def test_did_bad_inputs() -> None:
    df = pd.DataFrame({"y": [1.0, 2, 3, 4], "tr": [0, 1, 0, 1], "po": [0, 0, 1, 2]})
    with pytest.raises(InvalidParameterError, match="must hold 0/1"):
        did_regression(df, outcome="y", treated="tr", post="po")
    with pytest.raises(InvalidParameterError, match="did you mean 'tr'"):
        did_regression(df, outcome="y", treated="trt", post="po")
    with pytest.raises(InvalidParameterError, match="needs cluster="):
        did_regression(df, outcome="y", treated="tr", post="po", cov_type="cluster")
    with pytest.raises(InvalidParameterError, match=r"either frame= .* or means="):
        did_table()
    with pytest.raises(InsufficientDataError, match="cell has 1 row"):
        did_table(df.assign(po=[0, 0, 1, 1]), outcome="y", treated="tr", post="po")


def test_staggered_did_bad_inputs() -> None:
    panel = pd.DataFrame({"id": [1, 1, 2], "t": [1, 2, 1], "g": [2, 2, 0], "y": [1.0, 2, 3]})
    with pytest.raises(InvalidParameterError, match="not balanced"):
        staggered_did(panel, unit="id", time="t", outcome="y", first_treated="g")
    full = pd.DataFrame(
        {"id": [1, 1, 2, 2], "t": [1, 2, 1, 2], "g": [2, 2, 2, 2], "y": [1.0, 2, 3, 4]}
    )
    with pytest.raises(InsufficientDataError, match="No comparison units for group 2"):
        staggered_did(full, unit="id", time="t", outcome="y", first_treated="g")


def test_no_warning_on_clean_input() -> None:
    y, x = _series(seed=9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        counterfactual_effect(y, pre=PRE, post=POST, controls=x, draws=200)


def test_metric_spec_goal_and_campaign_are_measured_from_the_log() -> None:
    from useropslib import datasets
    from useropslib.models import ActiveUsersSpec

    data = datasets.synthetic(n_users=500, days=60, seed=2)
    spec = ActiveUsersSpec(window="day")
    res = counterfactual_effect(
        spec,
        data.events,
        pre=("2024-01-01", "2024-02-09"),
        post=("2024-02-10", "2024-02-29"),
        draws=100,
    )
    assert res.params["frequency"] == "day"
    assert len(res.series) == 60
    from useropslib.campaigns import measure

    daily = measure(spec, data.events, start="2024-01-01", end="2024-03-01", every="day")
    assert res.series["observed"].to_numpy() == pytest.approx(daily.to_numpy())
    with pytest.raises(InvalidParameterError, match="pass events=log"):
        counterfactual_effect(spec, pre=PRE, post=POST)
    y, _ = _series()
    with pytest.raises(InvalidParameterError, match="events is only used with a MetricSpec"):
        counterfactual_effect(y, data.events, pre=PRE, post=POST)


def test_campaign_windows_come_from_its_launch_phase() -> None:
    import datetime as dt

    from useropslib import datasets
    from useropslib.models import ActiveUsersSpec, Campaign, Goal, Phase

    data = datasets.synthetic(n_users=500, days=90, seed=1)
    goal = Goal(
        kind="activation",
        metric=ActiveUsersSpec(window="day"),
        target=200.0,
        baseline=100.0,
        start=dt.datetime(2024, 3, 1),
        deadline=dt.datetime(2024, 3, 31),
    )
    launch = Phase(name="launch", start=dt.datetime(2024, 3, 1), end=dt.datetime(2024, 3, 15))
    camp = Campaign(
        id="spring", name="Spring push", type="activation", primary_goal=goal, phases=(launch,)
    )
    res = counterfactual_effect(camp, data.events, draws=100, as_of="2024-03-10")
    # post: the launch phase [Mar 1, Mar 15) cut at as_of; pre: max(28, 4 x 10) days before
    assert res.params["post"] == ["2024-03-01", "2024-03-10"]
    assert res.params["pre"] == ["2024-01-21", "2024-02-29"]
    with pytest.raises(InvalidParameterError, match="is before the launch 2024-03-01"):
        counterfactual_effect(camp, data.events, as_of="2024-02-01")
    no_launch = camp.model_copy(update={"phases": ()})
    with pytest.raises(InvalidParameterError, match="has no launch phase"):
        counterfactual_effect(no_launch, data.events)
    y, _ = _series()
    with pytest.raises(InvalidParameterError, match="pre= and post= are required"):
        counterfactual_effect(y)


# ---- more bad input: time zones, year 2262, scale, windows past the data, gaps ---------------


def test_time_zones_of_outcome_and_controls_must_agree() -> None:
    y, x = _series()
    local_y = y.tz_localize("Asia/Shanghai")
    local_x = x.tz_localize("Asia/Shanghai")
    # tz-aware series with naive windows: the windows are read as local dates
    a = counterfactual_effect(local_y, pre=PRE, post=POST, controls=local_x, draws=100)
    b = counterfactual_effect(y, pre=PRE, post=POST, controls=x, draws=100)
    pd.testing.assert_frame_equal(a.table, b.table)
    with pytest.raises(
        InvalidParameterError, match=r"time zone Asia/Shanghai but the controls' in None"
    ):
        counterfactual_effect(local_y, pre=PRE, post=POST, controls=x)
    with pytest.raises(InvalidParameterError, match=r"time zone None but the controls' in UTC"):
        counterfactual_effect(y, pre=PRE, post=POST, controls=x.tz_localize("UTC"))
    utc = (pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-03-30", tz="UTC"))
    with pytest.raises(InvalidParameterError, match="has a time zone but the series' dates have"):
        counterfactual_effect(y, pre=utc, post=POST)


def test_dates_near_the_end_of_pandas_range() -> None:
    rng = np.random.default_rng(4)
    idx = pd.date_range("2261-12-01", periods=120, freq="D")  # to 2262-03-30
    x = pd.Series(100 + np.cumsum(rng.normal(0, 1, 120)), index=idx, name="c")
    y = pd.Series(x.to_numpy() + rng.normal(0, 1, 120), index=idx, name="y")
    y.iloc[90:] += 5
    res = counterfactual_effect(
        y,
        pre=("2261-12-01", "2262-02-28"),
        post=("2262-03-01", "2262-03-30"),
        controls=x,
        draws=100,
    )
    assert res.significant
    assert res.to_dict()["params"]["post"] == ["2262-03-01", "2262-03-30"]
    with pytest.raises(InsufficientDataError, match="the windows span 2261-12-01 to 2263-01-01"):
        counterfactual_effect(
            y, pre=("2261-12-01", "2262-02-28"), post=("2262-03-01", "2263-01-01")
        )


def test_windows_must_lie_within_the_series() -> None:
    y, _ = _series()
    # a pre-period starting before the data is no longer shortened silently
    with pytest.raises(
        InsufficientDataError, match=r"covers 2024-01-01 to 2024-04-29, but the wind"
    ):
        counterfactual_effect(y, pre=("2023-12-01", "2024-03-30"), post=POST)
    with pytest.raises(InvalidParameterError, match="post must start after pre ends: pre ends 2"):
        counterfactual_effect(y, pre=POST, post=PRE)  # swapped
    with pytest.raises(InsufficientDataError, match="the windows span 2024-01-01 to 2024-06-30"):
        counterfactual_effect(y, pre=PRE, post=("2024-03-31", "2024-06-30"))


def test_values_beyond_the_floating_point_scale_are_refused() -> None:
    y, x = _series()
    with pytest.raises(InvalidParameterError, match=r"The outcome has values too large .*rescale"):
        counterfactual_effect(y * 1e300, pre=PRE, post=POST)
    with pytest.raises(InvalidParameterError, match=r"too finely spread.*range 1.01e-299"):
        counterfactual_effect(y * 1e-300, pre=PRE, post=POST)
    with pytest.raises(InvalidParameterError, match=r"Comparison series 'city1' has values too"):
        counterfactual_effect(y, pre=PRE, post=POST, controls=x.assign(city1=x["city1"] * 1e200))
    with pytest.raises(InvalidParameterError, match=r"draws must be at most 100,000"):
        counterfactual_effect(y, pre=PRE, post=POST, draws=10**12)


def test_nan_and_inf_in_controls_and_outcome() -> None:
    y, x = _series()
    x.iloc[50, 1] = np.nan
    with pytest.raises(InvalidParameterError, match=r"Comparison series \['city1'\] hold missing"):
        counterfactual_effect(y, pre=PRE, post=POST, controls=x)
    bad = y.copy()
    bad.iloc[100] = np.inf
    with pytest.raises(InvalidParameterError, match="The outcome holds infinite values"):
        counterfactual_effect(bad, pre=PRE, post=POST)


def test_a_gap_between_pre_and_post_is_projected_through() -> None:
    # the level keeps drifting over the days left out between the windows, so the interval
    # is wider than when post follows pre at once; the ITS clock reads the dates
    rng = np.random.default_rng(8)
    idx = pd.date_range("2024-01-01", periods=150, freq="D")
    y = pd.Series(20 + np.cumsum(rng.normal(0, 0.3, 150)) + rng.normal(0, 1, 150), index=idx)
    post = ("2024-04-30", "2024-05-29")
    pre = ("2024-01-01", "2024-03-30")
    # the same pre-period and seed: the draws of a post-period right after pre and of one 30
    # days later would be identical if the gap were skipped
    near = counterfactual_effect(y, pre=pre, post=("2024-03-31", "2024-04-29"), draws=400)
    far = counterfactual_effect(y, pre=pre, post=post, draws=400)

    def width(r: CounterfactualResult) -> float:
        c = r.table.loc["average"]
        return float(c["predicted_upper"] - c["predicted_lower"])

    # measured 1.415 against 1.360 (equal before the gap was simulated)
    assert width(far) > 1.03 * width(near), (width(far), width(near))
    t = pd.Series(np.arange(150.0) + rng.normal(0, 0.1, 150), index=idx)
    its = counterfactual_effect(
        t,
        pre=("2024-01-01", "2024-03-30"),
        post=post,
        method="its",
        its_seasonality=None,
        slope_change=False,
        draws=200,
    )
    pred = its.series.loc[its.series["period"] == "post", "predicted"].to_numpy()
    np.testing.assert_allclose(pred, np.arange(120.0, 150.0), atol=0.5)


def test_observation_prior_can_be_loosened() -> None:
    # comparison series that explain about half the outcome: R's expected.r2 = 0.8 pulls the
    # noise s.d. down; expected_r2=0.5 widens the interval, and conventions name the prior
    rng = np.random.default_rng(12)
    x = pd.Series(np.cumsum(rng.normal(0, 1, 120)), index=DAYS, name="city_b")
    y = pd.Series(50 + 0.3 * x.to_numpy() + rng.normal(0, 2, 120), index=DAYS, name="orders")
    r_default = counterfactual_effect(y, pre=PRE, post=POST, controls=x, draws=300)
    r_loose = counterfactual_effect(
        y, pre=PRE, post=POST, controls=x, draws=300, expected_r2=0.5, prior_df=5
    )

    def width(r: CounterfactualResult) -> float:
        c = r.table.loc["cumulative"]
        return float(c["abs_effect_upper"] - c["abs_effect_lower"])

    # measured: cumulative interval 44.9 wide by R's prior, 50.3 with the looser one (the
    # comparison series explain 10 % of the pre-period variance here)
    assert width(r_loose) > 1.05 * width(r_default)
    assert "sqrt(1 - 0.8)" in r_default.conventions["observation_prior"]
    assert "sqrt(1 - 0.5) (standardised), sample size 5" in r_loose.conventions["observation_prior"]
    pf = pull_forward(
        y,
        pre=("2024-01-01", "2024-03-20"),
        campaign=("2024-03-21", "2024-04-09"),
        after=("2024-04-10", "2024-04-29"),
        controls=x,
        draws=200,
        expected_r2=0.5,
    )
    assert np.isfinite(pf.table.loc["net", "estimate"])
    with pytest.raises(InvalidParameterError, match=r"expected_r2 must lie in \(0, 1\).*Hint: 0.8"):
        counterfactual_effect(y, pre=PRE, post=POST, controls=x, expected_r2=1.0)
    with pytest.raises(InvalidParameterError, match="prior_df must be a positive number"):
        counterfactual_effect(y, pre=PRE, post=POST, controls=x, prior_df=0)


def test_relative_effect_is_undefined_when_the_counterfactual_reaches_zero() -> None:
    # a sparse count series over two days: some counterfactual draws sum below zero, and the
    # mean of sum(y) / sum(draw) - 1 would be meaningless (it was -76 % for a positive effect)
    rng = np.random.default_rng(1)
    y = pd.Series(rng.poisson(0.3, 120).astype(float), index=DAYS)
    with pytest.warns(CounterfactualWarning, match=r"relative effect is undefined: \d+ of 1000"):
        res = counterfactual_effect(y, pre=PRE, post=("2024-04-20", "2024-04-21"), draws=1000)
    assert res.table["rel_effect"].isna().all()
    assert np.isnan(res.estimate)
    assert res.table.loc["cumulative", "abs_effect"] > 0
    assert "relative effect undefined (the counterfactual reaches zero)" in res.summary("en")
    assert "相对效果无定义" in res.summary("zh")
    json.dumps(res.to_dict())
    # the case of R's CompileSummaryTable (positive draws) is untouched
    table, _ = summarize_draws(np.full(10, 2.0), np.ones((10, 10)))
    assert table.loc["average", "rel_effect"] == 1.0
