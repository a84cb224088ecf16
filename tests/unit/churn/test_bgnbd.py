"""BetaGeoModel and rfm_summary: hand-computed values, contracts and every user-facing error."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from scipy import special
from sklearn.base import clone

from useropslib.churn import BetaGeoModel, rfm_summary
from useropslib.events import EventLog, strict_events
from useropslib.exceptions import (
    ConvergenceWarning,
    EventSchemaError,
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
    NotFittedError,
    UnknownEventWarning,
)

PAPER = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
# (frequency, recency, T, weight) of a small population with an interior maximum
SMALL = pd.DataFrame(
    {
        "frequency": [0, 1, 1, 2, 2, 3, 5, 8],
        "recency": [0.0, 2, 30, 5, 35, 36, 37, 38],
        "T": [39.0] * 8,
    }
)
SMALL_WEIGHTS = np.array([60, 15, 10, 8, 6, 5, 3, 2])


@pytest.fixture
def paper_model() -> BetaGeoModel:
    return BetaGeoModel.from_params(**PAPER)


def simulate_bgnbd(
    n: int, r: float, alpha: float, a: float, b: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw (x, t_x, T) from the BG/NBD story (vectorised; independent of the likelihood code)."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(20, 52, n)
    rate = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    times = np.cumsum(rng.exponential(1.0, (n, 150)), axis=1) / rate[:, None]
    bought = (times <= age[:, None]).sum(axis=1)
    assert bought.max() < 150
    # the customer drops out right after repeat purchase number D ~ Geometric(p) on {1, 2, ...}
    x = np.minimum(bought, rng.geometric(drop))
    tx = np.where(x > 0, times[np.arange(n), np.maximum(x - 1, 0)], 0.0)
    return x, tx, age


# ------------------------------------------------------------------ slow obvious implementations


def slow_loglik(r: float, alpha: float, a: float, b: float, x: int, tx: float, t: float) -> float:
    """FHL (2005) Eq. 6 for one customer, written with math.lgamma."""

    def lbeta(p: float, q: float) -> float:
        return math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q)

    common = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
    alive = math.exp(lbeta(a, b + x) - lbeta(a, b) - (r + x) * math.log(alpha + t))
    dropped = 0.0
    if x > 0:
        dropped = math.exp(lbeta(a + 1, b + x - 1) - lbeta(a, b) - (r + x) * math.log(alpha + tx))
    return common + math.log(alive + dropped)


def slow_conditional_expectation(
    r: float, alpha: float, a: float, b: float, t: float, x: int, tx: float, age: float
) -> float:
    """FHL (2005) Eq. 10 in its textbook form (no Euler transformation)."""
    z = t / (alpha + age + t)
    head = (a + b + x - 1) / (a - 1)
    tail = ((alpha + age) / (alpha + age + t)) ** (r + x) * special.hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    odds = a / (b + x - 1) * ((alpha + age) / (alpha + tx)) ** (r + x) if x > 0 else 0.0
    return float(head * (1 - tail) / (1 + odds))


def slow_probability_of_purchases(
    r: float, alpha: float, a: float, b: float, n: int, t: float
) -> float:
    """FHL (2005) Eq. 8, with P(at least n purchases while active) summed term by term."""
    beta = special.beta

    def nb(j: int) -> float:
        return math.exp(
            math.lgamma(r + j)
            - math.lgamma(r)
            - math.lgamma(j + 1)
            + r * math.log(alpha / (alpha + t))
            + j * math.log(t / (alpha + t))
        )

    value = beta(a, b + n) / beta(a, b) * nb(n)
    if n > 0:
        # the paper's 1 - sum_{j<n} cancels catastrophically for tiny tails: sum the tail instead
        value += beta(a + 1, b + n - 1) / beta(a, b) * sum(nb(j) for j in range(n, n + 3000))
    return float(value)


CUSTOMERS = [(0, 0.0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (7, 29.43, 35.86), (25, 5.0, 60)]


@pytest.mark.parametrize(("x", "tx", "age"), CUSTOMERS)
def test_log_likelihood_equals_slow_formula(
    paper_model: BetaGeoModel, x: int, tx: float, age: float
) -> None:
    assert paper_model.log_likelihood(x, tx, age) == pytest.approx(
        slow_loglik(*PAPER.values(), x, tx, age), rel=1e-12
    )


def test_log_likelihood_of_a_customer_without_repeat_purchases(paper_model: BetaGeoModel) -> None:
    # x = 0: LL = r log(alpha / (alpha + T))
    expected = 0.243 * math.log(4.414 / (4.414 + 38.86))
    assert paper_model.log_likelihood(0, 0.0, 38.86) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("x", "tx", "age"), CUSTOMERS)
@pytest.mark.parametrize("t", [0.5, 39.0, 104.0])
def test_conditional_expectation_equals_textbook_formula(
    paper_model: BetaGeoModel, x: int, tx: float, age: float, t: float
) -> None:
    assert paper_model.conditional_expected_purchases(t, x, tx, age) == pytest.approx(
        slow_conditional_expectation(*PAPER.values(), t, x, tx, age), rel=1e-9
    )


@pytest.mark.parametrize(("x", "tx", "age"), CUSTOMERS)
def test_probability_alive_hand_formula(
    paper_model: BetaGeoModel, x: int, tx: float, age: float
) -> None:
    r, alpha, a, b = PAPER.values()
    odds = a / (b + x - 1) * ((alpha + age) / (alpha + tx)) ** (r + x) if x > 0 else 0.0
    assert paper_model.conditional_probability_alive(x, tx, age) == pytest.approx(
        1 / (1 + odds), rel=1e-12
    )


def test_probability_no_purchase_hand_formula(paper_model: BetaGeoModel) -> None:
    # x = 0: the customer is alive for sure, so P(no purchase in t) = ((alpha+T)/(alpha+T+t))^r
    expected = ((4.414 + 38.86) / (4.414 + 38.86 + 10)) ** 0.243
    value = paper_model.conditional_probability_no_purchase(10, 0, 0.0, 38.86)
    assert value == pytest.approx(expected, rel=1e-12)
    assert paper_model.conditional_probability_no_purchase(0, 3, 20.0, 38.86) == 1.0


@pytest.mark.parametrize("n", [0, 1, 2, 7, 30])
@pytest.mark.parametrize("t", [0.1429, 38.86, 78.0])
def test_probability_of_purchases_equals_slow_formula(
    paper_model: BetaGeoModel, n: int, t: float
) -> None:
    assert paper_model.probability_of_purchases(n, t) == pytest.approx(
        slow_probability_of_purchases(*PAPER.values(), n, t), rel=1e-9, abs=1e-300
    )


def test_unconditional_expectation_is_conditional_on_an_empty_history(
    paper_model: BetaGeoModel,
) -> None:
    t = np.array([0.0, 1.0, 10.0, 52.0])
    np.testing.assert_allclose(
        paper_model.expected_purchases(t),
        paper_model.conditional_expected_purchases(t, np.zeros(4), np.zeros(4), np.zeros(4)),
        rtol=1e-12,
    )
    assert paper_model.expected_purchases(0) == 0.0


def test_large_frequency_stays_finite(paper_model: BetaGeoModel) -> None:
    # the textbook hyp2f1 form overflows here; the Euler-transformed one does not
    value = paper_model.conditional_expected_purchases(100, 2000, 50.0, 60.0)
    assert np.isfinite(value)
    assert value >= 0


# ------------------------------------------------------------------ fitting


def test_fit_recovers_simulated_parameters() -> None:
    x, tx, age = simulate_bgnbd(20_000, r=0.5, alpha=5.0, a=0.8, b=2.5, seed=0)
    model = BetaGeoModel().fit(x, tx, age)
    assert model.params_["r"] == pytest.approx(0.5, rel=0.05)
    assert model.params_["alpha"] == pytest.approx(5.0, rel=0.05)
    assert model.params_["a"] == pytest.approx(0.8, rel=0.1)
    assert model.params_["b"] == pytest.approx(2.5, rel=0.1)
    # the truth lies inside the 95% bounds
    truth = pd.Series({"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5})
    summary = model.summary_
    assert ((summary["lower"] < truth) & (truth < summary["upper"])).all()


def test_sample_weight_equals_duplicated_rows() -> None:
    weighted = BetaGeoModel().fit(SMALL, sample_weight=SMALL_WEIGHTS)
    repeated = SMALL.loc[SMALL.index.repeat(SMALL_WEIGHTS)]
    plain = BetaGeoModel().fit(repeated)
    np.testing.assert_allclose(weighted.params_, plain.params_, rtol=1e-6)
    assert weighted.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-10)
    assert weighted.n_customers_ == plain.n_customers_ == SMALL_WEIGHTS.sum()


def test_fit_is_deterministic_and_order_free() -> None:
    repeated = SMALL.loc[SMALL.index.repeat(SMALL_WEIGHTS)].reset_index(drop=True)
    first = BetaGeoModel().fit(repeated)
    again = BetaGeoModel().fit(repeated)
    shuffled = BetaGeoModel().fit(repeated.sample(frac=1.0, random_state=3))
    np.testing.assert_array_equal(first.params_, again.params_)
    np.testing.assert_allclose(first.params_, shuffled.params_, rtol=1e-6)


def test_call_forms_agree() -> None:
    by_frame = BetaGeoModel().fit(SMALL, sample_weight=SMALL_WEIGHTS)
    by_arrays = BetaGeoModel().fit(
        SMALL["frequency"].tolist(),
        SMALL["recency"].tolist(),
        SMALL["T"].tolist(),
        sample_weight=SMALL_WEIGHTS,
    )
    by_keywords = BetaGeoModel().fit(
        frequency=SMALL["frequency"],
        recency=SMALL["recency"],
        T=SMALL["T"],
        sample_weight=SMALL_WEIGHTS,
    )
    np.testing.assert_array_equal(by_frame.params_, by_arrays.params_)
    np.testing.assert_array_equal(by_frame.params_, by_keywords.params_)


def test_fit_does_not_modify_the_input() -> None:
    frame = SMALL.copy()
    BetaGeoModel().fit(frame, sample_weight=SMALL_WEIGHTS)
    pd.testing.assert_frame_equal(frame, SMALL)


def test_fitted_attributes_and_summary() -> None:
    model = BetaGeoModel().fit(SMALL, sample_weight=SMALL_WEIGHTS)
    assert model.fit(SMALL, sample_weight=SMALL_WEIGHTS) is model
    assert list(model.params_.index) == ["r", "alpha", "a", "b"]
    assert (model.params_ > 0).all()
    assert model.n_iter_ >= 1
    assert model.covariance_.shape == (4, 4)
    np.testing.assert_allclose(model.covariance_, model.covariance_.T)
    summary = model.summary_
    assert list(summary.columns) == ["coef", "se", "lower", "upper"]
    np.testing.assert_allclose(summary["coef"], model.params_)
    np.testing.assert_allclose(summary["se"] ** 2, np.diag(model.covariance_))
    # log-scale Wald bounds: the estimate is their geometric mean
    np.testing.assert_allclose(np.sqrt(summary["lower"] * summary["upper"]), model.params_)
    assert model.log_likelihood_ == pytest.approx(
        float((model.log_likelihood(SMALL) * SMALL_WEIGHTS).sum())
    )


def test_penalizer_shrinks_log_parameters_and_keeps_ll_unpenalised() -> None:
    plain = BetaGeoModel().fit(SMALL, sample_weight=SMALL_WEIGHTS)
    shrunk = BetaGeoModel(penalizer=0.1).fit(SMALL, sample_weight=SMALL_WEIGHTS)
    assert np.linalg.norm(np.log(shrunk.params_)) < np.linalg.norm(np.log(plain.params_))
    assert shrunk.log_likelihood_ < plain.log_likelihood_  # the MLE is the unpenalised optimum


def test_penalizer_rescues_a_degenerate_fit() -> None:
    # drop-out is homogeneous here: a and b run off to infinity without a penalty
    data = pd.DataFrame(
        {
            "frequency": [0, 0, 1, 1, 2, 3, 4, 6],
            "recency": [0, 0, 10, 30, 20, 35, 12, 37],
            "T": [38, 30, 38, 35, 38, 38, 38, 38],
        }
    )
    repeated = data.loc[data.index.repeat([60, 40, 20, 10, 10, 6, 3, 3])]
    with pytest.warns(ConvergenceWarning, match="not positive definite|not identified|bound"):
        BetaGeoModel().fit(repeated)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = BetaGeoModel(penalizer=0.01).fit(repeated)
    assert np.isfinite(model.summary_["se"]).all()


def test_sklearn_contract() -> None:
    model = BetaGeoModel(penalizer=0.5, max_iter=50)
    assert model.get_params() == {"penalizer": 0.5, "max_iter": 50, "tol": 1e-10, "ci_alpha": 0.05}
    assert repr(model) == "BetaGeoModel(max_iter=50, penalizer=0.5)"
    fitted = BetaGeoModel().fit(SMALL, sample_weight=SMALL_WEIGHTS)
    fresh = clone(fitted)
    assert not hasattr(fresh, "params_")
    with pytest.raises(NotFittedError):
        fresh.conditional_probability_alive(SMALL)


def test_from_params() -> None:
    model = BetaGeoModel.from_params(**PAPER)
    assert model.params_.to_dict() == PAPER
    with pytest.raises(NotFittedError, match=r"from_params\(\) and has none"):
        _ = model.summary_


# ------------------------------------------------------------------ output shapes


def test_scalar_input_gives_float(paper_model: BetaGeoModel) -> None:
    value = paper_model.conditional_probability_alive(2, 30.43, 38.86)
    assert type(value) is float
    assert type(paper_model.expected_purchases(39)) is float
    assert type(paper_model.probability_of_purchases(1, 39)) is float


def test_list_input_gives_ndarray(paper_model: BetaGeoModel) -> None:
    values = paper_model.conditional_probability_alive([0, 2], [0, 30.43], [38.86, 38.86])
    assert isinstance(values, np.ndarray)
    assert values.shape == (2,)


def test_frame_input_gives_series_on_its_index(paper_model: BetaGeoModel) -> None:
    frame = pd.DataFrame(
        {"frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86, 38.86]}, index=["u1", "u2"]
    )
    alive = paper_model.conditional_probability_alive(frame)
    assert isinstance(alive, pd.Series)
    assert alive.index.tolist() == ["u1", "u2"]
    assert alive.name == "probability_alive"
    expected = paper_model.conditional_expected_purchases(39, frame)
    assert expected.name == "expected_purchases"
    series_form = paper_model.conditional_expected_purchases(
        39, frame["frequency"], frame["recency"], frame["T"]
    )
    pd.testing.assert_series_equal(expected, series_form)
    table = paper_model.predict(39, frame)
    assert table.index.tolist() == ["u1", "u2"]
    assert list(table.columns) == [
        "probability_alive",
        "expected_purchases",
        "probability_no_purchase",
    ]
    assert table.loc["u1", "expected_purchases"] == pytest.approx(expected["u1"])


def test_scalar_customer_with_horizon_array(paper_model: BetaGeoModel) -> None:
    values = paper_model.conditional_expected_purchases([13, 26, 39], 2, 30.43, 38.86)
    assert isinstance(values, np.ndarray)
    assert values[2] == pytest.approx(1.226, abs=1e-3)
    assert np.all(np.diff(values) > 0)


def test_nullable_integer_frequency_is_accepted(paper_model: BetaGeoModel) -> None:
    frame = pd.DataFrame(
        {"frequency": pd.array([2, 0], dtype="Int64"), "recency": [30.43, 0.0], "T": [38.86] * 2}
    )
    assert paper_model.conditional_probability_alive(frame).tolist() == pytest.approx(
        [0.7266, 1.0], abs=1e-3
    )


# ------------------------------------------------------------------ errors


def test_not_fitted_errors() -> None:
    model = BetaGeoModel()
    calls = [
        lambda: model.conditional_probability_alive(SMALL),
        lambda: model.conditional_expected_purchases(1, SMALL),
        lambda: model.conditional_probability_no_purchase(1, SMALL),
        lambda: model.expected_purchases(1),
        lambda: model.probability_of_purchases(1, 1),
        lambda: model.log_likelihood(SMALL),
        lambda: model.predict(1, SMALL),
        lambda: model.summary_,
    ]
    for call in calls:
        with pytest.raises(NotFittedError, match=r"not fitted yet.*Hint: call BetaGeoModel\(\)"):
            call()
    assert issubclass(NotFittedError, AttributeError)


@pytest.mark.parametrize(
    ("frequency", "recency", "age", "message"),
    [
        ([2], [40.0], [38.86], r"recency > T for 1 customer\(s\) at rows \[0\].*recency=40\.0"),
        ([-1], [0.0], [38.86], r"frequency < 0 .*must be >= 0"),
        ([1], [-2.0], [38.86], r"recency < 0"),
        ([0], [0.0], [-1.0], r"T < 0"),
        ([1.5], [3.0], [38.86], r"non-integer frequency.*whole number"),
        ([0], [5.0], [38.86], r"frequency == 0 with recency != 0.*recency 0 by convention"),
        ([np.nan], [5.0], [38.86], r"NaN or infinite values"),
        ([1], [np.inf], [38.86], r"NaN or infinite values"),
    ],
)
def test_invalid_summary_is_rejected(
    frequency: list[float], recency: list[float], age: list[float], message: str
) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        BetaGeoModel().fit(frequency, recency, age)
    with pytest.raises(InvalidParameterError, match=message):
        BetaGeoModel.from_params(**PAPER).conditional_probability_alive(frequency, recency, age)


def test_every_problem_is_reported_at_once_with_row_labels() -> None:
    frame = pd.DataFrame(
        {"frequency": [2, -1, 0, 1], "recency": [40.0, 0.0, 3.0, 1.0], "T": [38.0] * 4},
        index=["a", "b", "c", "d"],
    )
    with pytest.raises(InvalidParameterError, match=r"3 problem\(s\)") as info:
        BetaGeoModel().fit(frame)
    text = str(info.value)
    assert "rows ['b']" in text
    assert "rows ['a']" in text
    assert "rows ['c']" in text
    assert "Hint:" in text


def test_many_offending_rows_are_summarised() -> None:
    with pytest.raises(
        InvalidParameterError, match=r"for 8 customer\(s\) at rows \[0, 1, 2, 3, 4\] and 3 more"
    ):
        BetaGeoModel().fit([1] * 8, [50.0] * 8, [38.0] * 8)


def test_missing_column_suggests_the_close_name() -> None:
    frame = SMALL.rename(columns={"T": "t"})
    with pytest.raises(
        InvalidParameterError,
        match=r"missing column\(s\) \['T'\].*did you mean 't' for 'T'\? rename it",
    ):
        BetaGeoModel().fit(frame)


def test_frame_and_arrays_together_is_an_error() -> None:
    with pytest.raises(
        InvalidParameterError, match=r"got a DataFrame as 'frequency' and also \['T'\]"
    ):
        BetaGeoModel().fit(SMALL, T=[1.0])


def test_missing_array_is_an_error() -> None:
    with pytest.raises(InvalidParameterError, match=r"\['recency', 'T'\] not given"):
        BetaGeoModel().fit([1, 2])


def test_non_numeric_input_is_an_error() -> None:
    with pytest.raises(InvalidParameterError, match=r"'recency' must be numeric.*pd.to_numeric"):
        BetaGeoModel().fit([1, 2], ["a", "b"], [3.0, 4.0])


def test_mismatched_lengths_are_an_error() -> None:
    with pytest.raises(InvalidParameterError, match=r"incompatible shapes"):
        BetaGeoModel().fit([1, 2], [1.0, 2.0, 3.0], [3.0, 4.0])
    with pytest.raises(InvalidParameterError, match=r"one-dimensional"):
        BetaGeoModel().fit([[1, 2]], [[1.0, 2.0]], [[3.0, 4.0]])


def test_misaligned_series_are_an_error() -> None:
    f = pd.Series([1, 2], index=[0, 1])
    r = pd.Series([1.0, 2.0], index=[1, 0])
    with pytest.raises(InvalidParameterError, match=r"'recency' has a different index"):
        BetaGeoModel().fit(f, r, [3.0, 4.0])


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1.0, 2.0], r"one entry per customer \(8\)"),
        ([-1.0] * 8, r"finite and >= 0"),
        (["x"] * 8, r"sample_weight must be numeric"),
    ],
)
def test_invalid_sample_weight(weights: list[object], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        BetaGeoModel().fit(SMALL, sample_weight=weights)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"penalizer": -1.0}, r"penalizer must be a finite number >= 0, got -1\.0"),
        ({"penalizer": float("nan")}, r"penalizer must be"),
        ({"max_iter": 0}, r"max_iter must be an integer >= 1, got 0"),
        ({"max_iter": 2.5}, r"max_iter must be an integer"),
        ({"tol": 0.0}, r"tol must be a finite number > 0"),
    ],
)
def test_invalid_hyperparameters(params: dict[str, float], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        BetaGeoModel(**params).fit(SMALL, sample_weight=SMALL_WEIGHTS)


def test_no_customers_or_no_repeat_buyers() -> None:
    with pytest.raises(InsufficientDataError, match=r"no customers to fit on \(got 0 row"):
        BetaGeoModel().fit([], [], [])
    with pytest.raises(InsufficientDataError, match=r"none of the 3 customer\(s\) made a repeat"):
        BetaGeoModel().fit([0, 0, 0], [0.0, 0.0, 0.0], [5.0, 6.0, 7.0])
    with pytest.raises(InsufficientDataError, match=r"total weight 0"):
        BetaGeoModel().fit(SMALL, sample_weight=np.zeros(8))


def test_iteration_limit_warns() -> None:
    with pytest.warns(ConvergenceWarning, match=r"did not converge after .*max_iter=1.*Hint"):
        BetaGeoModel(max_iter=1).fit(SMALL, sample_weight=SMALL_WEIGHTS)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({**PAPER, "r": 0.0}, r"r must be a finite number > 0, got 0\.0"),
        ({**PAPER, "b": -2.0}, r"b must be a finite number > 0"),
        ({**PAPER, "alpha": "big"}, r"alpha must be a positive number, got 'big'"),
    ],
)
def test_from_params_rejects_invalid_values(params: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        BetaGeoModel.from_params(**params)  # type: ignore[arg-type]


def test_invalid_horizons(paper_model: BetaGeoModel) -> None:
    with pytest.raises(InvalidParameterError, match=r"t must be finite and >= 0.*got \[-1\.0\]"):
        paper_model.expected_purchases(-1)
    with pytest.raises(InvalidParameterError, match=r"t must be finite and >= 0"):
        paper_model.conditional_expected_purchases(np.nan, 1, 1.0, 2.0)
    with pytest.raises(InvalidParameterError, match=r"t must be a number"):
        paper_model.conditional_probability_no_purchase("soon", 1, 1.0, 2.0)
    with pytest.raises(
        InvalidParameterError, match=r"t has shape \(3,\) but there are 2 customers"
    ):
        paper_model.conditional_expected_purchases([1, 2, 3], [1, 2], [1.0, 2.0], [3.0, 3.0])
    with pytest.raises(InvalidParameterError, match=r"t must be a single horizon"):
        paper_model.predict([1, 2], [1, 2], [1.0, 2.0], [3.0, 3.0])  # type: ignore[arg-type]


def test_invalid_purchase_counts(paper_model: BetaGeoModel) -> None:
    with pytest.raises(InvalidParameterError, match=r"n must hold whole numbers >= 0.*\[1\.5\]"):
        paper_model.probability_of_purchases(1.5, 10)
    with pytest.raises(InvalidParameterError, match=r"n must hold whole numbers >= 0"):
        paper_model.probability_of_purchases(-1, 10)
    with pytest.raises(InvalidParameterError, match=r"n must be a whole number"):
        paper_model.probability_of_purchases("two", 10)


# ------------------------------------------------------------------ rfm_summary

TX = pd.DataFrame(
    {
        "user_id": ["a", "a", "a", "a", "a", "b", "b", "c", "d"],
        "timestamp": pd.to_datetime(
            [
                "2024-01-01 09:00",  # a: first purchase day, two orders
                "2024-01-01 18:00",
                "2024-01-15 10:00",  # a: repeat day 1
                "2024-01-29 10:00",  # a: repeat day 2 (last in calibration)
                "2024-02-12 10:00",  # a: holdout
                "2024-01-08 12:00",  # b: one purchase day
                "2024-02-05 12:00",  # b: holdout
                "2024-02-20 12:00",  # c: first purchase after calibration -> not in the cohort
                "2024-03-20 12:00",  # d: after observation_end -> ignored
            ]
        ),
        "value": [10.0, 5.0, 20.0, 40.0, 7.0, 12.0, 9.0, 3.0, 1.0],
    }
)


def test_rfm_summary_hand_computed() -> None:
    out = rfm_summary(
        TX,
        value_col="value",
        calibration_end="2024-02-04",
        observation_end="2024-02-25",
    )
    assert out.index.name == "user_id"
    assert out.index.tolist() == ["a", "b"]
    assert out["frequency"].tolist() == [2, 0]
    assert out["frequency"].dtype == np.int64
    assert out["recency"].tolist() == [4.0, 0.0]  # 28 days
    assert out["T"].tolist() == [pytest.approx(34 / 7), pytest.approx(27 / 7)]
    assert out["monetary_value"].tolist() == [30.0, 0.0]  # (20 + 40) / 2; first day excluded
    assert out["frequency_holdout"].tolist() == [1, 1]
    assert out["duration_holdout"].tolist() == [3.0, 3.0]
    assert out["monetary_value_holdout"].tolist() == [7.0, 9.0]


def test_rfm_summary_in_days_and_without_holdout() -> None:
    out = rfm_summary(TX, calibration_end="2024-02-04", period="D")
    assert list(out.columns) == ["frequency", "recency", "T"]
    assert out.loc["a"].tolist() == [2, 28.0, 34.0]
    assert out.loc["b"].tolist() == [0, 0.0, 27.0]


def test_rfm_summary_counts_calendar_days_in_the_column_time_zone() -> None:
    utc = pd.DataFrame(
        {
            "user_id": [1, 1, 1],
            # 2024-01-01 23:30 and 2024-01-02 00:30 in Shanghai (UTC+8): two different days
            "timestamp": pd.to_datetime(
                ["2024-01-01 15:30", "2024-01-01 16:30", "2024-01-03 01:00"], utc=True
            ),
        }
    )
    in_utc = rfm_summary(utc, calibration_end="2024-01-05", period="D")
    assert in_utc.loc[1, "frequency"] == 1  # both on 2024-01-01 in UTC
    local = utc.assign(timestamp=utc["timestamp"].dt.tz_convert("Asia/Shanghai"))
    in_shanghai = rfm_summary(local, calibration_end="2024-01-05", period="D")
    assert in_shanghai.loc[1, "frequency"] == 2
    assert in_shanghai.loc[1, "T"] == 4.0  # 2024-01-01 .. 2024-01-05
    aware_end = rfm_summary(
        local, calibration_end=pd.Timestamp("2024-01-04 20:00", tz="UTC"), period="D"
    )
    assert aware_end.loc[1, "T"] == 4.0  # 2024-01-05 04:00 in Shanghai


def test_rfm_summary_feeds_the_model() -> None:
    out = rfm_summary(TX, value_col="value", calibration_end="2024-02-04")
    probability = BetaGeoModel.from_params(**PAPER).conditional_probability_alive(out)
    assert probability.index.tolist() == ["a", "b"]


def test_rfm_summary_does_not_modify_the_input() -> None:
    frame = TX.copy()
    rfm_summary(
        frame, value_col="value", calibration_end="2024-02-04", observation_end="2024-03-31"
    )
    pd.testing.assert_frame_equal(frame, TX)


def test_rfm_summary_missing_column_hint() -> None:
    with pytest.raises(
        EventSchemaError, match=r"missing column\(s\) \['timestamp'\].*time_col='ts'"
    ):
        rfm_summary(TX.rename(columns={"timestamp": "ts"}), calibration_end="2024-02-04")
    with pytest.raises(EventSchemaError, match=r"missing column\(s\) \['amount'\]"):
        rfm_summary(TX, value_col="amount", calibration_end="2024-02-04")


def test_rfm_summary_collects_all_row_problems() -> None:
    bad = TX.copy()
    bad.loc[1, "user_id"] = None
    bad.loc[2, "timestamp"] = pd.NaT
    bad.loc[3, "value"] = np.nan
    with pytest.raises(
        EventSchemaError, match=r"3 problem\(s\).*null 'user_id'.*rows \[1\]"
    ) as info:
        rfm_summary(bad, value_col="value", calibration_end="2024-02-04")
    cases = info.value.failure_cases
    assert cases is not None
    assert cases[["row", "check"]].values.tolist() == [
        [1, "null_customer_id"],
        [2, "null_timestamp"],
        [3, "null_value"],
    ]


def test_rfm_summary_wrong_dtypes() -> None:
    strings = TX.assign(timestamp=TX["timestamp"].astype(str), value=TX["value"].astype(str))
    with pytest.raises(
        EventSchemaError,
        match=r"'timestamp' has dtype (object|str), expected datetime64.*pd.to_datetime",
    ):
        rfm_summary(strings, calibration_end="2024-02-04")
    with pytest.raises(EventSchemaError, match=r"'value' has dtype (object|str), expected numbers"):
        rfm_summary(strings, value_col="value", calibration_end="2024-02-04")
    with pytest.raises(
        EventSchemaError, match=r"must be a pandas DataFrame or an EventLog, got list"
    ):
        rfm_summary([1, 2], calibration_end="2024-02-04")  # type: ignore[arg-type]


def test_rfm_summary_invalid_options() -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"period must be one of \['D', 'W'\], got 'w'.*did you mean 'W'",
    ):
        rfm_summary(TX, calibration_end="2024-02-04", period="w")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"calibration_end must be a date, got 'soon'"):
        rfm_summary(TX, calibration_end="soon")
    with pytest.raises(
        InvalidParameterError, match=r"observation_end .* must be after calibration_end"
    ):
        rfm_summary(TX, calibration_end="2024-02-04", observation_end="2024-02-04")
    with pytest.raises(
        InvalidParameterError, match=r"time-zone aware but the 'timestamp' column is naive"
    ):
        rfm_summary(TX, calibration_end=pd.Timestamp("2024-02-04", tz="UTC"))


def test_rfm_summary_without_cohort() -> None:
    with pytest.raises(
        InsufficientDataError,
        match=r"no customer made a first purchase on or before calibration_end",
    ):
        rfm_summary(TX, calibration_end="2023-12-31")


# ------------------------------------------------------------------ rfm_summary from an EventLog


def tx_log(tz: str = "UTC", *, values: bool = True) -> EventLog:
    """TX's purchases among other events, as an event log (naive times read in ``tz``)."""
    purchases = TX.assign(event="purchase")
    other = pd.DataFrame(
        {
            "user_id": ["a", "b", "e", "b"],
            "event": ["app_open", "app_open", "app_open", "refund"],
            "timestamp": pd.to_datetime(
                ["2023-12-30 08:00", "2024-01-20 08:00", "2024-01-10 08:00", "2024-01-21 08:00"]
            ),
            "value": [np.nan, np.nan, np.nan, -12.0],
        }
    )
    frame = pd.concat([purchases, other], ignore_index=True)
    if not values:
        frame = frame.drop(columns="value")
    return EventLog.from_pandas(frame, tz=tz)


@pytest.mark.parametrize("period", ["D", "W"])
def test_rfm_summary_from_a_log_equals_the_frame_path(period: str) -> None:
    from_frame = rfm_summary(TX, value_col="value", calibration_end="2024-02-04", period=period)  # type: ignore[arg-type]
    from_log = rfm_summary(
        tx_log(),
        purchase_event="purchase",
        as_of="2024-02-04 23:59:59",
        period=period,  # type: ignore[arg-type]
        monetary=True,
    )
    pd.testing.assert_frame_equal(from_log, from_frame)
    assert from_log.loc["a"].tolist() == (
        [2, 28.0, 34.0, 30.0] if period == "D" else [2, 4.0, 34 / 7, 30.0]
    )
    # 'e' never purchased, and 'b''s refund is not a purchase: neither changes anything
    assert from_log.index.tolist() == ["a", "b"]


def test_rfm_summary_from_a_log_uses_its_as_of_and_ignores_later_events() -> None:
    log = tx_log()
    everything = rfm_summary(log, purchase_event="purchase", period="D")
    # the log's as_of is its last event (d's purchase on 2024-03-20 12:00)
    assert everything.index.tolist() == ["a", "b", "c", "d"]
    assert everything.loc["a"].tolist() == [3, 42.0, 79.0]
    until = rfm_summary(log.until("2024-02-04 12:00"), purchase_event="purchase", period="D")
    at = rfm_summary(log, purchase_event="purchase", as_of="2024-02-04 12:00", period="D")
    pd.testing.assert_frame_equal(until, at)
    # an instant, not a day: the purchase at 10:00 counts at 10:00, not one second before
    before = rfm_summary(log, purchase_event="purchase", as_of="2024-01-29 09:59:59", period="D")
    after = rfm_summary(log, purchase_event="purchase", as_of="2024-01-29 10:00", period="D")
    assert before.loc["a", "frequency"] == 1
    assert after.loc["a", "frequency"] == 2


def test_rfm_summary_from_a_log_counts_days_in_its_time_zone() -> None:
    frame = pd.DataFrame(
        {
            "user_id": [1, 1, 1],
            "event": "order",
            # 2024-01-01 23:30 and 2024-01-02 00:30 in Shanghai (UTC+8): two different days
            "timestamp": pd.to_datetime(
                ["2024-01-01 15:30", "2024-01-01 16:30", "2024-01-03 01:00"], utc=True
            ),
        }
    )
    log = EventLog.from_pandas(frame, tz="UTC")
    in_utc = rfm_summary(log, purchase_event="order", as_of="2024-01-05", period="D")
    assert in_utc.loc[1, "frequency"] == 1
    shanghai = rfm_summary(
        log, purchase_event="order", as_of="2024-01-05", period="D", tz="Asia/Shanghai"
    )
    pd.testing.assert_frame_equal(
        shanghai,
        rfm_summary(
            log.with_tz("Asia/Shanghai"), purchase_event="order", as_of="2024-01-05", period="D"
        ),
    )
    assert shanghai.loc[1].tolist() == [2, 2.0, 4.0]  # days 01-01, 01-02, 01-03 .. 01-05, local
    local = frame.assign(timestamp=frame["timestamp"].dt.tz_convert("Asia/Shanghai"))
    pd.testing.assert_frame_equal(
        shanghai, rfm_summary(local, calibration_end="2024-01-05", period="D")
    )


def test_rfm_summary_from_a_log_with_several_purchase_events() -> None:
    log = tx_log()
    both = rfm_summary(
        log, purchase_event=["purchase", "refund"], as_of="2024-02-04 23:59", period="D"
    )
    assert both.loc["b"].tolist() == [1, 13.0, 27.0]  # the refund day counts as a purchase day
    fed = BetaGeoModel.from_params(**PAPER).conditional_probability_alive(both)
    assert fed.index.tolist() == ["a", "b"]


@pytest.fixture
def strict() -> Iterator[None]:
    with strict_events():
        yield


def test_rfm_summary_from_a_log_absent_purchase_event_counts_zero() -> None:
    # an event that has not fired counts as zero purchases, with the did-you-mean hint
    with pytest.warns(UnknownEventWarning, match=r"'purchse'.*did you mean 'purchase'"):
        both = rfm_summary(
            tx_log(), purchase_event=["purchase", "purchse"], as_of="2024-02-04 23:59", period="D"
        )
    alone = rfm_summary(tx_log(), purchase_event="purchase", as_of="2024-02-04 23:59", period="D")
    pd.testing.assert_frame_equal(both, alone)


@pytest.mark.usefixtures("strict")
def test_rfm_summary_from_a_log_unknown_purchase_event() -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"purchase_event names event\(s\) the log does not have: \['purchse'\]\. "
        r"Expected names from \['purchase', 'app_open', 'refund'\]\. "
        r"Hint: did you mean 'purchase' for 'purchse'\?",
    ):
        rfm_summary(tx_log(), purchase_event="purchse")
    with pytest.raises(
        InvalidParameterError,
        match=r"does not have: \['zzz'\].*Hint: pick the purchase event from log\.event_names",
    ):
        rfm_summary(tx_log(), purchase_event=["purchase", "zzz"])
    with pytest.raises(
        InvalidParameterError,
        match=r"purchase_event is required with an EventLog, got None\. Expected the event "
        r"name\(s\) that record a purchase.*Hint: did you mean purchase_event='purchase'\?",
    ):
        rfm_summary(tx_log(), purchase_event=None)  # type: ignore[arg-type]
    with pytest.raises(
        InvalidParameterError,
        match=r"purchase_event must be an event name or a list of them, got 3\..*"
        r"Hint: pass e\.g\. purchase_event='purchase'",
    ):
        rfm_summary(tx_log(), purchase_event=3)  # type: ignore[arg-type]


def test_rfm_summary_from_a_log_as_of_before_the_data() -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"rfm_summary: as_of=2023-01-01 00:00:00\+00:00 is before the first event of the "
        r"log \(2023-12-30 08:00:00\+00:00\)\. Expected an as_of at or after the first event\. "
        r"Hint: leave as_of unset",
    ):
        rfm_summary(tx_log(), purchase_event="purchase", as_of="2023-01-01")
    # no purchase yet: a table of counts is empty, with a warning (empty-data policy)
    with pytest.warns(
        InsufficientDataWarning,
        match=r"no purchase event \['purchase'\] at or before as_of=2023-12-31 00:00:00\+00:00: "
        r"the log has 13 events from 5 users and 9 purchase events \(the first at "
        r"2024-01-01 09:00:00\+00:00\), so no customer .*Hint: move as_of later",
    ):
        empty = rfm_summary(tx_log(), purchase_event="purchase", as_of="2023-12-31")
    full = rfm_summary(tx_log(), purchase_event="purchase")
    assert empty.shape == (0, 3)
    assert list(empty.columns) == list(full.columns)
    assert empty.index.name == full.index.name == "user_id"


def test_rfm_summary_from_a_log_monetary_needs_values() -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"monetary=True needs purchase values, but the event log has none\. Expected a log "
        r"built with a value column\. Hint: build it with EventLog\.from_pandas\(df, "
        r"value_col='amount'",
    ):
        rfm_summary(tx_log(values=False), purchase_event="purchase", monetary=True)
    out = rfm_summary(tx_log(values=False), purchase_event="purchase")
    assert list(out.columns) == ["frequency", "recency", "T"]
    # values on other events, but a purchase without one
    frame = tx_log().to_pandas()
    frame.loc[frame["event"] == "purchase", "value"] = frame["value"].where(frame.index != 2)
    with pytest.raises(
        EventSchemaError,
        match=r"monetary=True, but 1 purchase event\(s\) have no value, e\.g\. at positions "
        r"\[\d+\] of the log\. Expected a finite value on every event named \['purchase'\]\. "
        r"Hint: fill the missing values",
    ) as info:
        rfm_summary(EventLog.from_pandas(frame), purchase_event="purchase", monetary=True)
    cases = info.value.failure_cases
    assert cases is not None
    assert cases["check"].tolist() == ["null_value"]


def test_rfm_summary_options_of_the_other_input_kind() -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"\['value_col', 'calibration_end'\] apply to a transactions frame, but an EventLog "
        r"was given\. Expected purchase_event=, as_of= and monetary= with a log.*Hint: as_of= "
        r"ends the calibration period",
    ):
        rfm_summary(
            tx_log(), purchase_event="purchase", value_col="value", calibration_end="2024-02-04"
        )
    with pytest.raises(
        InvalidParameterError,
        match=r"\['purchase_event', 'as_of'\] apply to an EventLog, but a transactions frame was "
        r"given\. Expected calibration_end=.*Hint: pass calibration_end= instead of as_of=",
    ):
        rfm_summary(TX, purchase_event="buy", as_of="2024-02-04")
    with pytest.raises(
        InvalidParameterError,
        match=r"calibration_end is required with a transactions frame, got None\. Expected the "
        r"last day of the calibration period\. Hint: pass e\.g\. calibration_end=",
    ):
        rfm_summary(TX)
    with pytest.raises(
        InvalidParameterError,
        match=r"monetary=True needs the transaction values, but value_col is None\. Expected "
        r"value_col naming the column of values\. Hint: pass value_col='value'",
    ):
        rfm_summary(TX, calibration_end="2024-02-04", monetary=True)
    with_flag = rfm_summary(TX, value_col="value", calibration_end="2024-02-04", monetary=True)
    pd.testing.assert_frame_equal(
        with_flag, rfm_summary(TX, value_col="value", calibration_end="2024-02-04")
    )
    with pytest.raises(InvalidParameterError, match=r"Unknown time zone 'Asia/Shanghia'"):
        rfm_summary(tx_log(), purchase_event="purchase", tz="Asia/Shanghia")


def test_rfm_summary_from_a_log_equals_the_frame_path_on_many_users() -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    frame = pd.DataFrame(
        {
            "user_id": rng.integers(0, 3_000, n),
            "event": rng.choice(["purchase", "view"], n),
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 90 * 24 * 60, n), unit="min"),
            "value": rng.random(n).round(2),
        }
    )
    log = EventLog.from_pandas(frame)
    from_log = rfm_summary(
        log, purchase_event="purchase", as_of="2024-02-29 23:59:59.999999999", monetary=True
    )
    purchases = frame[frame["event"] == "purchase"]
    from_frame = rfm_summary(purchases, value_col="value", calibration_end="2024-02-29")
    pd.testing.assert_frame_equal(from_log, from_frame)
