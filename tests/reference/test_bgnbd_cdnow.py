"""BG/NBD and Gamma-Gamma on CDNOW against Fader, Hardie & Lee (2005) and peer implementations.

Expected numbers come from ``data/churn_bgnbd_cdnow_fhl2005.json`` (its ``source`` list names each
one: the paper's Sec. 7, Hardie's Excel sheet as encoded in the lifetimes tests, CLVTools'
correctness tests), plus the Gamma-Gamma estimates of Fader & Hardie's note 025 and the standard
errors that ``lifetimes.BetaGeoFitter.summary_`` prints on the same data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from useropslib.churn import BetaGeoModel, GammaGammaModel, rfm_summary

DATA = Path(__file__).parent / "data"
CASE: dict[str, Any] = json.loads((DATA / "churn_bgnbd_cdnow_fhl2005.json").read_text())
PAPER = CASE["expected"]["paper"]
HERE = CASE["expected"]["reproduced_here"]
PAPER_PARAMS = {k: PAPER["bgnbd"][k] for k in ("r", "alpha", "a", "b")}


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    """The 2,357-customer summary shipped with lifetimes (x, t_x, T in weeks, 2 decimals)."""
    return pd.read_csv(DATA / "cdnow_customers_summary.csv", index_col="ID")


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    """The raw 1/10 CDNOW sample the paper uses."""
    raw = pd.read_csv(
        DATA / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "id", "date", "cds", "dollars"],
    )
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    return raw


@pytest.fixture(scope="module")
def raw_summary(transactions: pd.DataFrame) -> pd.DataFrame:
    return rfm_summary(
        transactions,
        customer_col="id",
        time_col="date",
        value_col="dollars",
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        period="W",
    )


@pytest.fixture(scope="module")
def model(summary: pd.DataFrame) -> BetaGeoModel:
    return BetaGeoModel().fit(summary)


# ------------------------------------------------------------------------------ rfm_summary


def test_rfm_summary_reproduces_the_lifetimes_cdnow_summary(
    raw_summary: pd.DataFrame, summary: pd.DataFrame
) -> None:
    """Case inputs.B: CDNOW_sample.txt -> cdnow_customers_summary.csv exactly (2 decimals)."""
    assert raw_summary.shape[0] == 2357
    assert raw_summary.index.tolist() == summary.index.tolist()
    np.testing.assert_array_equal(raw_summary["frequency"], summary["frequency"])
    np.testing.assert_array_equal(raw_summary["recency"].round(2), summary["recency"])
    np.testing.assert_array_equal(raw_summary["T"].round(2), summary["T"])
    assert raw_summary.loc[1, "T"] == pytest.approx(272 / 7)  # a 1997-01-01 buyer


def test_rfm_summary_counts(raw_summary: pd.DataFrame) -> None:
    """Case reproduced_here: repeat transactions, repeat buyers, holdout total, zero class."""
    assert int(raw_summary["frequency"].sum()) == HERE["sum_x_calibration"]
    assert int((raw_summary["frequency"] > 0).sum()) == HERE["n_customers_with_x_gt_0"]
    assert (
        int(raw_summary["frequency_holdout"].sum())
        == HERE["holdout_actual_repeat_transactions_total"]
    )
    zero = raw_summary["frequency"] == 0
    assert int(zero.sum()) == PAPER["holdout_zero_class"]["n"]
    assert (
        int(raw_summary.loc[zero, "frequency_holdout"].sum())
        == (PAPER["holdout_zero_class"]["actual_total"])
    )
    assert (raw_summary["duration_holdout"] == 39.0).all()
    hist = np.bincount(np.minimum(raw_summary["frequency"], 7), minlength=8)
    assert hist.tolist() == HERE["calibration_histogram"]["observed_0..6,7+"]


def test_rfm_summary_from_an_event_log_reproduces_the_cdnow_summary(
    transactions: pd.DataFrame, raw_summary: pd.DataFrame, summary: pd.DataFrame
) -> None:
    """Case inputs.B again, from an EventLog of the same purchases with as_of = 1997-09-30."""
    from useropslib import EventLog

    events = pd.DataFrame(
        {
            "user_id": transactions["id"],
            "event": "purchase",
            "timestamp": transactions["date"],
            "value": transactions["dollars"],
        }
    )
    log = EventLog.from_pandas(events, tz="UTC")
    from_log = rfm_summary(log, purchase_event="purchase", as_of="1997-09-30", monetary=True)
    assert from_log.index.tolist() == summary.index.tolist()
    expected = raw_summary[["frequency", "recency", "T", "monetary_value"]].rename_axis("user_id")
    pd.testing.assert_frame_equal(from_log, expected)


# ------------------------------------------------------------------------------ BG/NBD fit


def test_parameters_match_the_paper(model: BetaGeoModel) -> None:
    """FHL (2005) Sec. 7: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 (3 decimals)."""
    for name, value in PAPER_PARAMS.items():
        assert model.params_[name] == pytest.approx(value, abs=1e-3), name
    for name, value in HERE["A_bgnbd_mle"].items():
        assert model.params_[name] == pytest.approx(value, rel=1e-4), name


def test_parameters_match_clvtools(model: BetaGeoModel) -> None:
    """CLVTools (R) BG/NBD correctness test ("our estimates"): r=0.2425945, alpha=4.4136019, ..."""
    clvtools = {"r": 0.2425945, "alpha": 4.4136019, "a": 0.7929199, "b": 2.4258881}
    for name, value in clvtools.items():
        assert model.params_[name] == pytest.approx(value, rel=1e-3), name


def test_log_likelihood_matches_the_paper(model: BetaGeoModel, summary: pd.DataFrame) -> None:
    """FHL (2005): LL = -9582.4; CLVTools -9582.429; case: -9582.425561 at the MLE."""
    assert model.log_likelihood_ == pytest.approx(PAPER["bgnbd"]["LL"], abs=0.05)
    assert model.log_likelihood_ == pytest.approx(HERE["A_bgnbd_LL_weeks"], abs=1e-4)
    assert model.log_likelihood(summary).sum() == pytest.approx(model.log_likelihood_)
    at_paper = BetaGeoModel.from_params(**PAPER_PARAMS).log_likelihood(summary).sum()
    assert at_paper == pytest.approx(HERE["A_bgnbd_LL_at_paper_params"], abs=1e-4)
    assert model.log_likelihood_ >= at_paper


def test_standard_errors_match_lifetimes(model: BetaGeoModel) -> None:
    """lifetimes 0.11 BetaGeoFitter().fit(cdnow).summary_: se(coef) 0.012557, 0.378221, ...

    As printed in a public lifetimes tutorial on the same data (found by code search); our
    intervals differ by design (log-scale Wald), the standard errors must agree.
    """
    se = model.summary_["se"]
    expected = {"r": 0.012557, "alpha": 0.378221, "a": 0.185719, "b": 0.705345}
    for name, value in expected.items():
        assert se[name] == pytest.approx(value, rel=1e-3), name
    lower, upper = model.summary_["lower"], model.summary_["upper"]
    assert ((lower < model.params_) & (model.params_ < upper)).all()


def test_fit_on_raw_transactions_matches_case(raw_summary: pd.DataFrame) -> None:
    """Case B_bgnbd_mle: the same fit on unrounded recency / T from the raw file."""
    fitted = BetaGeoModel().fit(raw_summary)
    for name, value in HERE["B_bgnbd_mle"].items():
        assert fitted.params_[name] == pytest.approx(value, rel=1e-4), name


# ------------------------------------------------------------------------------ predictions


def test_conditional_expectation_of_customer_1(model: BetaGeoModel) -> None:
    """FHL (2005) / Hardie's sheet: E[Y(39) | x=2, t_x=30.43, T=38.86] = 1.226."""
    value = model.conditional_expected_purchases(39, 2, 30.43, 38.86)
    assert value == pytest.approx(PAPER["customer_x2_tx30.43_T38.86_E[Y(39)]"], abs=1e-3)
    assert value == pytest.approx(HERE["customer1_E[Y(39)]"], rel=1e-4)


def test_probability_alive_of_customer_1(model: BetaGeoModel) -> None:
    """Case reproduced_here.customer1_P_alive (note 021 formula) = 0.726609."""
    p_alive = model.conditional_probability_alive(2, 30.43, 38.86)
    assert p_alive == pytest.approx(HERE["customer1_P_alive"], abs=1e-3)


@pytest.mark.parametrize(("t", "expected"), sorted(PAPER["hardie_excel_uncond_E[X(t)]"].items()))
def test_unconditional_expectation_matches_hardie_sheet(
    model: BetaGeoModel, t: str, expected: float
) -> None:
    """Hardie's Excel sheet for the BG/NBD paper, as encoded in the lifetimes tests."""
    value = model.expected_purchases(float(t))
    assert value == pytest.approx(expected, abs=1e-3)
    assert value == pytest.approx(HERE["uncond_E[X(t)]"][t], rel=1e-3)


def test_probability_of_no_purchase_at_paper_params() -> None:
    """Case: P(no purchase in the next 39 weeks) from Eq. 6 at the paper's parameters."""
    model = BetaGeoModel.from_params(**PAPER_PARAMS)
    expected = HERE["derived_P(no purchase in next 39 wk)_paper_params"]
    values = model.conditional_probability_no_purchase(
        39, [2, 0, 7], [30.43, 0.0, 29.43], [38.86, 38.86, 35.86]
    )
    np.testing.assert_allclose(
        values,
        [expected["x2_tx30.43_T38.86"], expected["x0_T38.86"], expected["x7_tx29.43_T35.86"]],
        atol=1e-5,
    )


def test_calibration_histogram_and_chi_square(model: BetaGeoModel, summary: pd.DataFrame) -> None:
    """FHL (2005) Sec. 7: chi-square(3) = 4.82, p = 0.19 on the 0..6, 7+ repeat-purchase classes."""
    ages = summary["T"].to_numpy()
    counts = np.arange(7)[:, None]
    expected = model.probability_of_purchases(counts, ages[None, :]).sum(axis=1)
    expected = np.append(expected, len(ages) - expected.sum())
    np.testing.assert_allclose(expected, HERE["calibration_histogram"]["bgnbd_expected"], atol=0.01)
    observed = np.bincount(np.minimum(summary["frequency"].to_numpy(), 7), minlength=8)
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    p_value = float(stats.chi2.sf(chi2, df=8 - 4 - 1))
    assert chi2 == pytest.approx(PAPER["calibration_histogram_chi2_3df"], abs=0.01)
    assert chi2 == pytest.approx(HERE["calibration_histogram"]["chi2"], abs=0.01)
    assert p_value == pytest.approx(PAPER["chi2_p"], abs=0.01)


def test_holdout_predictions(model: BetaGeoModel, raw_summary: pd.DataFrame) -> None:
    """FHL (2005) Sec. 7: zero class 0.24 actual vs 0.23 BG/NBD; correlation 0.626."""
    predicted = model.conditional_expected_purchases(39, raw_summary)
    actual = raw_summary["frequency_holdout"]
    assert float(predicted.sum()) == pytest.approx(
        HERE["sum_conditional_E[Y(39)]"]["bgnbd"], rel=1e-3
    )
    zero = raw_summary["frequency"] == 0
    assert float(actual[zero].mean()) == pytest.approx(
        PAPER["holdout_zero_class"]["actual_mean"], abs=0.005
    )
    zero_mean = float(predicted[zero].mean())
    assert zero_mean == pytest.approx(PAPER["holdout_zero_class"]["bgnbd_mean"], abs=0.005)
    assert zero_mean == pytest.approx(HERE["holdout_zero_class"]["bgnbd_mean"], rel=1e-3)
    correlation = float(np.corrcoef(predicted, actual)[0, 1])
    assert correlation == pytest.approx(PAPER["corr_with_actual_holdout"]["bgnbd"], abs=1e-3)


def test_cumulative_tracking_under_forecasts_by_four_percent(
    model: BetaGeoModel, transactions: pd.DataFrame
) -> None:
    """FHL (2005) Sec. 7: cumulative repeat sales at week 78 under-forecast by about 4%.

    Tracking follows the case's definition: model = sum_i E[X(k - b_i)] with b_i the first purchase
    in weeks since 1997-01-01; actual = repeat purchase days in weeks 1..k.
    """
    days = (transactions["date"] - pd.Timestamp("1997-01-01")).dt.days
    per_day = pd.DataFrame({"id": transactions["id"], "day": days}).drop_duplicates()
    first = per_day.groupby("id")["day"].transform("min")
    repeat_days = per_day.loc[per_day["day"] > first, "day"].to_numpy()
    births = per_day.groupby("id")["day"].min().to_numpy() / 7
    for week, actual_key, model_key in (
        (39, "actual_cum_repeat_week39", "wk39"),
        (78, "actual_cum_repeat_week78", "wk78"),
    ):
        actual = int((repeat_days < 7 * week).sum())
        assert actual == HERE[actual_key]
        predicted = float(model.expected_purchases(np.maximum(week - births, 0.0)).sum())
        assert predicted == pytest.approx(HERE["tracking_pred"]["bgnbd"][model_key], rel=1e-3)
    error_pct = 100 * (predicted - actual) / actual
    assert error_pct == pytest.approx(HERE["tracking_error_week78_pct"]["bgnbd"], abs=0.1)
    assert round(-error_pct) == PAPER["cum_repeat_sales_week78_underforecast_pct"]["bgnbd"]


# ------------------------------------------------------------------------------ Gamma-Gamma


def test_gamma_gamma_matches_fader_hardie_note(raw_summary: pd.DataFrame) -> None:
    """Fader & Hardie, "The Gamma-Gamma Model of Monetary Value" (note 025) on CDNOW: p = 6.25,
    q = 3.74, v = 15.44, fitted on the 946 repeat buyers' mean repeat-purchase spend in weeks 1-39.
    """
    spend = GammaGammaModel().fit(raw_summary)
    assert spend.n_customers_ == HERE["n_customers_with_x_gt_0"]
    assert spend.params_["p"] == pytest.approx(6.25, abs=0.005)
    assert spend.params_["q"] == pytest.approx(3.74, abs=0.005)
    assert spend.params_["v"] == pytest.approx(15.44, abs=0.005)
