"""One ``summary_`` for every churn estimator: ``coef``, ``se``, ``lower``, ``upper`` at
``ci_alpha``.

Hand check: the bounds are ``z = Phi^-1(1 - alpha / 2)`` standard errors from the estimate (on the
coefficient scale for Cox, on the log scale for the positive BG/NBD and Gamma-Gamma parameters).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from useropslib.churn import BetaGeoModel, ChurnDrivers, GammaGammaModel
from useropslib.exceptions import InvalidParameterError, NotFittedError

FREQ = [0, 1, 1, 2, 2, 3, 5, 8]
REC = [0, 2, 30, 5, 35, 36, 37, 38]
WEIGHTS = [60, 15, 10, 8, 6, 5, 3, 2]
SPEND_F = [2, 3, 6, 2, 8, 4, 1, 5, 3, 7]
SPEND_M = [12.0, 35.5, 20.0, 8.0, 62.0, 15.0, 60.0, 30.0, 90.0, 11.0]


def _cox(alpha: float) -> ChurnDrivers:
    rng = np.random.default_rng(0)
    vip = rng.random(200) < 0.5
    days = np.ceil(rng.exponential(np.where(vip, 60.0, 20.0)))
    frame = pd.DataFrame({"vip": vip, "duration": np.minimum(days, 90), "observed": days <= 90})
    return ChurnDrivers(ci_alpha=alpha).fit(frame)


def _bg(alpha: float) -> BetaGeoModel:
    return BetaGeoModel(ci_alpha=alpha).fit(FREQ, REC, [39] * 8, sample_weight=WEIGHTS)


def _gg(alpha: float) -> GammaGammaModel:
    return GammaGammaModel(ci_alpha=alpha).fit(SPEND_F, SPEND_M)


FITS = {"ChurnDrivers": _cox, "BetaGeoModel": _bg, "GammaGammaModel": _gg}


@pytest.mark.parametrize("name", sorted(FITS))
@pytest.mark.parametrize("alpha", [0.05, 0.2])
def test_summary_starts_with_the_shared_columns_at_alpha(name: str, alpha: float) -> None:
    s = FITS[name](alpha).summary_
    assert list(s.columns[:4]) == ["coef", "se", "lower", "upper"]
    z = stats.norm.ppf(1 - alpha / 2)
    if name == "ChurnDrivers":
        np.testing.assert_allclose(s["lower"], s["coef"] - z * s["se"])
        np.testing.assert_allclose(s["upper"], s["coef"] + z * s["se"])
        np.testing.assert_allclose(s["hazard_ratio_lower"], np.exp(s["lower"]))
    else:
        np.testing.assert_allclose(s["lower"], s["coef"] * np.exp(-z * s["se"] / s["coef"]))
        np.testing.assert_allclose(s["upper"], s["coef"] * np.exp(z * s["se"] / s["coef"]))


@pytest.mark.parametrize("name", sorted(FITS))
def test_a_smaller_alpha_widens_every_interval(name: str) -> None:
    narrow, wide = FITS[name](0.2).summary_, FITS[name](0.01).summary_
    assert (wide["lower"] < narrow["lower"]).all()
    assert (wide["upper"] > narrow["upper"]).all()
    np.testing.assert_allclose(wide["coef"], narrow["coef"])


@pytest.mark.parametrize("cls", [BetaGeoModel, GammaGammaModel])
def test_summary_is_kept_as_the_same_frame(cls: type) -> None:
    model = _bg(0.1) if cls is BetaGeoModel else _gg(0.1)
    pd.testing.assert_frame_equal(model.summary, model.summary_)


@pytest.mark.parametrize("name", sorted(FITS))
@pytest.mark.parametrize("bad", [0, 1, 1.5, "0.05", True])
def test_alpha_outside_zero_one_is_refused(name: str, bad: object) -> None:
    with pytest.raises(
        InvalidParameterError, match=r"ci_alpha must be in \(0, 1\), got .*0\.05 gives"
    ):
        FITS[name](bad)  # type: ignore[arg-type]


def test_the_level_is_ci_alpha_and_alpha_stays_the_bgnbd_rate() -> None:
    """The decision: the significance level of every churn estimator's summary_ is ``ci_alpha``;
    the fitted parameters keep their names from the literature (BG/NBD's ``alpha`` is a rate),
    so one keyword never means two things on one class."""
    for cls in (ChurnDrivers, BetaGeoModel, GammaGammaModel):
        params = cls().get_params()
        assert params["ci_alpha"] == 0.05
        assert "alpha" not in params, cls.__name__
    model = BetaGeoModel(ci_alpha=0.1)
    assert model.get_params()["ci_alpha"] == 0.1
    known = BetaGeoModel.from_params(r=0.2, alpha=4.0, a=0.8, b=2.4)
    assert known.params_["alpha"] == 4.0
    assert known.ci_alpha == 0.05
    fitted = BetaGeoModel(ci_alpha=0.1).fit(FREQ, REC, [39] * 8, sample_weight=WEIGHTS)
    assert list(fitted.summary_.index) == ["r", "alpha", "a", "b"]
    with pytest.raises(InvalidParameterError, match=r"BetaGeoModel: ci_alpha must be in \(0, 1\)"):
        BetaGeoModel(ci_alpha=4.4).fit(FREQ, REC, [39] * 8, sample_weight=WEIGHTS)
    with pytest.raises(TypeError, match="alpha"):
        BetaGeoModel(alpha=0.1)  # type: ignore[call-arg]


def test_from_params_has_no_summary() -> None:
    with pytest.raises(NotFittedError, match=r"summary_ needs the standard errors of a fit"):
        _ = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44).summary_


# ------------------------------------------------------------------ one survival-input check
SURV = pd.DataFrame(
    {"vip": [1, 0, 1, 0, 1, 0], "duration": [5.0, 3, 8, 2, 9, 4], "observed": [1, 1, 0, 1, 0, 1]}
)


def _km(frame: pd.DataFrame) -> object:
    from useropslib.churn import kaplan_meier

    return kaplan_meier(frame)


def _logrank(frame: pd.DataFrame) -> object:
    from useropslib.churn import logrank_test

    return logrank_test(frame, breakdown="vip")


def _drivers(frame: pd.DataFrame) -> object:
    return ChurnDrivers().fit(frame)


@pytest.mark.parametrize("fit", [_km, _logrank, _drivers], ids=["km", "logrank", "cox"])
@pytest.mark.parametrize(
    ("frame", "error", "match"),
    [
        (SURV.iloc[:0], "insufficient", r"got an empty frame \(0 rows\)"),
        (
            SURV.assign(duration=[1, np.nan, 2, 3, 4, 5]),
            "invalid",
            r"the duration column 'duration' has 1 missing or infinite value\(s\) among 6 rows",
        ),
        (
            SURV.assign(duration=[1, -2, 2, 3, 4, 5]),
            "invalid",
            r"1 negative duration\(s\) in 'duration' \(smallest -2\)",
        ),
        (SURV.assign(duration=list("abcdef")), "invalid", r"'duration' is not numeric"),
        (
            SURV.assign(observed=[1, 2, 0, 1, 0, np.nan]),
            "invalid",
            r"'observed' must hold 0/1 or True/False .* such as \[2\.0\] and 1 missing",
        ),
        (
            SURV.rename(columns={"duration": "durations"}),
            "invalid",
            r"Unknown duration_col='duration'.*did you mean 'durations'",
        ),
    ],
)
def test_every_survival_function_checks_its_input_alike(
    fit: object, frame: pd.DataFrame, error: str, match: str
) -> None:
    from useropslib.exceptions import InsufficientDataError

    kind = InsufficientDataError if error == "insufficient" else InvalidParameterError
    with pytest.raises(kind, match=match):
        fit(frame)  # type: ignore[operator]


def test_timedelta_durations_are_days_everywhere() -> None:
    days = SURV.assign(duration=pd.to_timedelta(SURV["duration"], unit="D"))
    from useropslib.churn import kaplan_meier

    a = kaplan_meier(days).to_frame()
    b = kaplan_meier(SURV).to_frame()
    pd.testing.assert_frame_equal(a, b)
