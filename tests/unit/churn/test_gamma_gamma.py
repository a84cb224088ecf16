"""GammaGammaModel: hand-computed values, CLV, contracts and every user-facing error."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from useropslib.churn import BetaGeoModel, GammaGammaModel
from useropslib.exceptions import InsufficientDataError, InvalidParameterError, NotFittedError

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG = {"p": 6.25, "q": 3.74, "v": 15.44}
SPEND = pd.DataFrame(
    {
        "frequency": [2, 3, 6, 2, 8, 4, 1, 5, 3, 7, 0, 0],
        "monetary_value": [12.0, 35.5, 20.0, 8.0, 62.0, 15.0, 60.0, 30.0, 90.0, 11.0, 0.0, 0.0],
    }
)


@pytest.fixture
def spend_model() -> GammaGammaModel:
    return GammaGammaModel.from_params(**GG)


def slow_loglik(p: float, q: float, v: float, x: int, m: float) -> float:
    """Log-density of the mean of x Gamma(p, nu) spends, nu ~ Gamma(q, v) (Fader & Hardie 025)."""
    return (
        math.lgamma(p * x + q)
        - math.lgamma(p * x)
        - math.lgamma(q)
        + q * math.log(v)
        + (p * x - 1) * math.log(m)
        + p * x * math.log(x)
        - (p * x + q) * math.log(v + x * m)
    )


def simulate_spend(
    n: int, p: float, q: float, v: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 11, n)
    nu = rng.gamma(q, 1 / v, n)  # each customer's rate
    # the sum of x Gamma(p, nu) spends is Gamma(p x, nu)
    m = rng.gamma(p * x, 1 / nu) / x
    return x, m


# ------------------------------------------------------------------ values


def test_conditional_expected_average_profit_hand_values(spend_model: GammaGammaModel) -> None:
    p, q, v = GG.values()
    values = spend_model.conditional_expected_average_profit([0, 1, 2], [0.0, 20.0, 30.0])
    expected = [p * v / (q - 1), p * (v + 20) / (p + q - 1), p * (v + 60) / (2 * p + q - 1)]
    np.testing.assert_allclose(values, expected, rtol=1e-12)
    assert values[0] == pytest.approx(35.22, abs=0.01)


def test_expected_profit_is_a_weighted_mean_of_population_and_own_mean(
    spend_model: GammaGammaModel,
) -> None:
    p, q, v = GG.values()
    population = p * v / (q - 1)
    x = np.arange(1, 30)
    values = spend_model.conditional_expected_average_profit(x, np.full(29, 80.0))
    assert np.all((values > population) & (values < 80.0))
    assert np.all(np.diff(values) > 0)  # more purchases, more weight on the customer's own mean


def test_log_likelihood_equals_slow_formula() -> None:
    model = GammaGammaModel().fit(SPEND)
    params = model.params_.to_numpy()
    repeat = SPEND[SPEND["frequency"] > 0]
    expected = sum(
        slow_loglik(*params, int(x), float(m))
        for x, m in zip(repeat["frequency"], repeat["monetary_value"], strict=True)
    )
    assert model.log_likelihood_ == pytest.approx(expected, rel=1e-12)


def test_fit_uses_only_repeat_buyers() -> None:
    model = GammaGammaModel().fit(SPEND)
    assert model.n_customers_ == 10.0
    only_repeat = GammaGammaModel().fit(SPEND[SPEND["frequency"] > 0])
    np.testing.assert_array_equal(model.params_, only_repeat.params_)
    assert list(model.params_.index) == ["p", "q", "v"]
    assert list(model.summary_.index) == ["p", "q", "v"]


def test_fit_recovers_simulated_parameters() -> None:
    x, m = simulate_spend(20_000, p=6.0, q=4.0, v=15.0, seed=1)
    model = GammaGammaModel().fit(x, m)
    assert model.params_["p"] == pytest.approx(6.0, rel=0.1)
    assert model.params_["q"] == pytest.approx(4.0, rel=0.05)
    assert model.params_["v"] == pytest.approx(15.0, rel=0.1)
    truth = pd.Series({"p": 6.0, "q": 4.0, "v": 15.0})
    summary = model.summary_
    assert ((summary["lower"] < truth) & (truth < summary["upper"])).all()


def test_sample_weight_equals_duplicated_rows() -> None:
    weights = np.arange(1, 13)
    weighted = GammaGammaModel().fit(SPEND, sample_weight=weights)
    plain = GammaGammaModel().fit(SPEND.loc[SPEND.index.repeat(weights)])
    np.testing.assert_allclose(weighted.params_, plain.params_, rtol=1e-6)


def test_fit_does_not_modify_the_input() -> None:
    frame = SPEND.copy()
    GammaGammaModel().fit(frame)
    pd.testing.assert_frame_equal(frame, SPEND)


def test_sklearn_contract() -> None:
    model = GammaGammaModel(penalizer=0.1)
    assert model.get_params() == {
        "penalizer": 0.1,
        "max_iter": 1000,
        "tol": 1e-10,
        "ci_alpha": 0.05,
    }
    assert not hasattr(clone(GammaGammaModel().fit(SPEND)), "params_")


# ------------------------------------------------------------------ customer lifetime value


def test_clv_equals_a_month_by_month_sum(spend_model: GammaGammaModel) -> None:
    bgnbd = BetaGeoModel.from_params(**BG)
    x, tx, age, m = [2, 0, 7], [30.43, 0.0, 29.43], [38.86, 38.86, 35.86], [30.0, 0.0, 45.0]
    value = spend_model.customer_lifetime_value(
        bgnbd, x, tx, age, m, time=6, discount_rate=0.02, time_unit="W"
    )
    month = 30 / 7
    profit = spend_model.conditional_expected_average_profit(x, m)
    expected = np.zeros(3)
    for i in range(1, 7):
        step = bgnbd.conditional_expected_purchases(
            i * month, x, tx, age
        ) - bgnbd.conditional_expected_purchases((i - 1) * month, x, tx, age)
        expected += profit * step / 1.02**i
    np.testing.assert_allclose(value, expected, rtol=1e-10)


def test_clv_without_discount_is_profit_times_expected_purchases(
    spend_model: GammaGammaModel,
) -> None:
    bgnbd = BetaGeoModel.from_params(**BG)
    value = spend_model.customer_lifetime_value(
        bgnbd, 2, 30.43, 38.86, 30.0, time=12, discount_rate=0
    )
    purchases = bgnbd.conditional_expected_purchases(12 * 30 / 7, 2, 30.43, 38.86)
    profit = spend_model.conditional_expected_average_profit(2, 30.0)
    assert value == pytest.approx(profit * purchases, rel=1e-10)


def test_clv_does_not_depend_on_the_time_unit(spend_model: GammaGammaModel) -> None:
    weeks = BetaGeoModel.from_params(**BG)
    days = BetaGeoModel.from_params(**{**BG, "alpha": BG["alpha"] * 7})
    in_weeks = spend_model.customer_lifetime_value(
        weeks, [2, 1], [30.43, 1.71], [38.86] * 2, [30.0, 20.0]
    )
    in_days = spend_model.customer_lifetime_value(
        days, [2, 1], [30.43 * 7, 1.71 * 7], [38.86 * 7] * 2, [30.0, 20.0], time_unit="D"
    )
    np.testing.assert_allclose(in_weeks, in_days, rtol=1e-10)


def test_clv_takes_a_summary_frame(spend_model: GammaGammaModel) -> None:
    frame = pd.DataFrame(
        {
            "frequency": [2, 0],
            "recency": [30.43, 0.0],
            "T": [38.86, 38.86],
            "monetary_value": [30.0, 0.0],
        },
        index=pd.Index([17, 42], name="customer"),
    )
    clv = spend_model.customer_lifetime_value(BetaGeoModel.from_params(**BG), frame)
    assert isinstance(clv, pd.Series)
    assert clv.name == "clv"
    assert clv.index.tolist() == [17, 42]
    assert clv.round(2).tolist() == [45.01, 8.27]


# ------------------------------------------------------------------ errors


def test_not_fitted_errors() -> None:
    model = GammaGammaModel()
    with pytest.raises(NotFittedError, match=r"GammaGammaModel is not fitted yet"):
        model.conditional_expected_average_profit(SPEND)
    with pytest.raises(NotFittedError, match=r"not fitted yet"):
        model.customer_lifetime_value(BetaGeoModel.from_params(**BG), 1, 1.0, 2.0, 3.0)
    with pytest.raises(NotFittedError, match=r"not fitted yet"):
        _ = model.summary_
    with pytest.raises(NotFittedError, match=r"from_params\(\) and has none"):
        _ = GammaGammaModel.from_params(**GG).summary_
    with pytest.raises(NotFittedError, match=r"BetaGeoModel is not fitted yet"):
        GammaGammaModel.from_params(**GG).customer_lifetime_value(BetaGeoModel(), 1, 1.0, 2.0, 3.0)


@pytest.mark.parametrize(
    ("frequency", "monetary", "message"),
    [
        (
            [2, 1],
            [10.0, 0.0],
            r"monetary_value <= 0 with frequency > 0 for 1 customer\(s\) at rows \[1\]",
        ),
        ([2, 1], [10.0, -5.0], r"monetary_value <= 0 with frequency > 0"),
        ([-1, 1], [10.0, 5.0], r"frequency < 0"),
        ([1.5, 1], [10.0, 5.0], r"non-integer frequency"),
        ([1, 1], [np.nan, 5.0], r"NaN or infinite values"),
    ],
)
def test_invalid_spend_is_rejected(
    frequency: list[float], monetary: list[float], message: str
) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        GammaGammaModel().fit(frequency, monetary)
    with pytest.raises(InvalidParameterError, match=message):
        GammaGammaModel.from_params(**GG).conditional_expected_average_profit(frequency, monetary)


def test_missing_column_and_missing_argument() -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"missing column\(s\) \['monetary_value'\].*did you mean 'monetary'",
    ):
        GammaGammaModel().fit(SPEND.rename(columns={"monetary_value": "monetary"}))
    with pytest.raises(InvalidParameterError, match=r"\['monetary_value'\] not given"):
        GammaGammaModel().fit([1, 2])


def test_no_repeat_buyers() -> None:
    with pytest.raises(InsufficientDataError, match=r"none of the 2 customer\(s\) has a repeat"):
        GammaGammaModel().fit([0, 0], [0.0, 0.0])


def test_invalid_hyperparameters() -> None:
    with pytest.raises(InvalidParameterError, match=r"penalizer must be a finite number >= 0"):
        GammaGammaModel(penalizer=-0.1).fit(SPEND)
    with pytest.raises(InvalidParameterError, match=r"p must be a finite number > 0"):
        GammaGammaModel.from_params(p=0, q=1, v=1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"time": 0}, r"time must be a whole number of months >= 1, got 0"),
        ({"time": 1.5}, r"time must be a whole number of months"),
        ({"discount_rate": -0.1}, r"discount_rate must be a finite number >= 0 \(per month\)"),
        ({"time_unit": "M"}, r"time_unit must be one of \['D', 'W'\].*got 'M'"),
    ],
)
def test_invalid_clv_options(
    spend_model: GammaGammaModel, options: dict[str, object], message: str
) -> None:
    bgnbd = BetaGeoModel.from_params(**BG)
    with pytest.raises(InvalidParameterError, match=message):
        spend_model.customer_lifetime_value(bgnbd, 2, 30.43, 38.86, 30.0, **options)  # type: ignore[call-overload]


def test_clv_rejects_a_wrong_transaction_model(spend_model: GammaGammaModel) -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"transaction_model must be a BetaGeoModel, got GammaGammaModel",
    ):
        spend_model.customer_lifetime_value(spend_model, 2, 30.43, 38.86, 30.0)  # type: ignore[call-overload]


def test_clv_validates_the_summary(spend_model: GammaGammaModel) -> None:
    bgnbd = BetaGeoModel.from_params(**BG)
    with pytest.raises(InvalidParameterError, match=r"recency > T"):
        spend_model.customer_lifetime_value(bgnbd, 2, 40.0, 38.86, 30.0)
    with pytest.raises(InvalidParameterError, match=r"monetary_value <= 0 with frequency > 0"):
        spend_model.customer_lifetime_value(bgnbd, 2, 30.0, 38.86, 0.0)
