"""Cox proportional hazards on the Rossi recidivism data against R and lifelines.

Source: the ``churn_km_cox_rossi`` case of the shared reference cases (432 released prisoners
followed 52 weeks; duration ``week``, event ``arrest``; data of Rossi, Berk & Lenihan 1980 as
shipped in lifelines' ``datasets/rossi.csv`` and R's ``carData::Rossi``).  Coefficients and
standard errors are R's ``survival::coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar +
paro + prio, data = carData::Rossi)`` (Efron ties) as printed to 5 decimals (R codes ``race`` and
``mar`` as factors with the other reference level, so their signs are flipped here to lifelines'
0/1 coding); the LR test is R's ``33.27 on 7 df, p = 2.362e-05``.  Partial log-likelihood,
concordance and partial AIC are those printed by lifelines' "Survival Regression" documentation
(-658.75, 0.64, 1331.50) to the digits of the case file (lifelines 0.30.3).  The
proportional-hazards test is compared with lifelines' own ``proportional_hazard_test`` (rank
transform), computed here with lifelines' row-by-row residuals.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.statistics import proportional_hazard_test

from useropslib.churn._drivers import ChurnDrivers
from useropslib.exceptions import UseropsWarning

DATA = Path(__file__).parent / "data" / "rossi.csv"

R_COEF = {
    "fin": -0.37942,
    "age": -0.05744,
    "race": 0.31390,
    "wexp": -0.14980,
    "mar": -0.43370,
    "paro": -0.08487,
    "prio": 0.09150,
}
R_SE = {
    "fin": 0.19138,
    "age": 0.02200,
    "race": 0.30799,
    "wexp": 0.21222,
    "mar": 0.38187,
    "paro": 0.19576,
    "prio": 0.02865,
}
LIFELINES_COEF = {
    "fin": -0.379422,
    "age": -0.057438,
    "race": 0.3139,
    "wexp": -0.149796,
    "mar": -0.433704,
    "paro": -0.084871,
    "prio": 0.091497,
}


@pytest.fixture(scope="module")
def rossi() -> pd.DataFrame:
    return pd.read_csv(DATA)


@pytest.fixture(scope="module")
def model(rossi: pd.DataFrame) -> ChurnDrivers:
    # age and wexp fail the proportional-hazards test on these data (as lifelines' docs show)
    with pytest.warns(UseropsWarning, match=r"\['age', 'wexp'\] may violate"):
        return ChurnDrivers(check_assumptions=True).fit(
            rossi, duration_col="week", event_col="arrest"
        )


def test_coefficients_match_r(model: ChurnDrivers) -> None:
    assert list(model.coef_.index) == list(R_COEF)
    for name, value in R_COEF.items():
        assert model.coef_[name] == pytest.approx(value, abs=1e-4)
        assert model.coef_[name] == pytest.approx(LIFELINES_COEF[name], abs=1e-6)


def test_standard_errors_match_r(model: ChurnDrivers) -> None:
    for name, value in R_SE.items():
        assert model.summary_.loc[name, "se"] == pytest.approx(value, abs=1e-4)


def test_partial_likelihood_concordance_aic(model: ChurnDrivers) -> None:
    assert model.log_likelihood_ == pytest.approx(-658.747659, abs=0.01)
    assert model.concordance_index_ == pytest.approx(0.640329, abs=1e-4)
    assert model.aic_partial_ == pytest.approx(1331.495319, abs=0.01)
    assert (model.n_observations_, model.n_events_) == (432, 114)


def test_likelihood_ratio_test_matches_r(model: ChurnDrivers) -> None:
    lr = model.log_likelihood_ratio_test_
    assert lr["statistic"] == pytest.approx(33.265946, abs=1e-4)
    assert round(lr["statistic"], 2) == 33.27  # R's printout
    assert lr["df"] == 7
    assert lr["p_value"] == pytest.approx(2.362e-05, rel=1e-3)


def test_hazard_ratios(model: ChurnDrivers) -> None:
    # financial aid lowers the weekly hazard of re-arrest to exp(-0.379) = 0.684 of the rest
    assert model.summary_.loc["fin", "hazard_ratio"] == pytest.approx(0.684, abs=1e-3)
    assert model.summary_.loc["fin", "p_value"] == pytest.approx(0.047, abs=1e-3)


def test_proportional_hazards_test_matches_lifelines(
    rossi: pd.DataFrame, model: ChurnDrivers
) -> None:
    cph = CoxPHFitter().fit(rossi, "week", "arrest")
    theirs = proportional_hazard_test(cph, rossi, time_transform="rank").summary
    assert model.ph_test_ is not None
    for name in R_COEF:
        assert model.ph_test_.loc[name, "test_statistic"] == pytest.approx(
            theirs.loc[name, "test_statistic"], rel=1e-9
        )
    assert model.ph_test_.index[model.ph_test_["violated"]].tolist() == ["age", "wexp"]
