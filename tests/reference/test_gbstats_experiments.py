"""Experiment statistics against GrowthBook's gbstats and GrowthBook's back-end SRM check.

Sources (numbers asserted in those test suites, rounded there to 5 decimals unless noted):

* ``../shared/cases/campaign_ab_gbstats_binomial_relative.json``: growthbook/growthbook
  ``packages/stats/tests/frequentist/test_tests.py::TestTwoSidedTTest.test_two_sided_ttest_binom``
* ``../shared/cases/campaign_bayes_gbstats_binomial_chance_to_win.json``:
  ``packages/stats/tests/bayesian/test_tests.py::TestBinom.test_bayesian_binomial_ab_test``
* ``../shared/cases/campaign_srm_growthbook.json``: ``packages/back-end/test/stats.test.ts``
  "calculates SRM correctly" (toFixed(9)), plus the gbstats Python ``check_srm`` divergence
* growthbook/growthbook ``packages/stats/tests/frequentist/test_tests.py`` (TestTwoSidedTTest,
  TestSequentialTTest): the mean, absolute, sequential and CUPED-sequential cases below.
"""

from __future__ import annotations

import json
import pathlib

import pytest

from useropslib.campaigns import compare_means, compare_proportions, sample_ratio_mismatch

CASES = pathlib.Path(__file__).resolve().parents[2] / ".." / "shared" / "cases"
DATA = pathlib.Path(__file__).parent / "data"


def _case(name: str) -> dict:
    for where in (DATA / f"{name}.json", CASES / f"{name}.json"):
        if where.exists():
            return json.loads(where.read_text(encoding="utf-8"))
    pytest.skip(f"case {name} not found in tests/reference/data or ../shared/cases")


def test_binomial_relative_frequentist() -> None:
    case = _case("campaign_ab_gbstats_binomial_relative")
    inp = case["inputs"]
    arms = {
        "n": [inp["control"]["users"], inp["treatment"]["users"]],
        "conversions": [inp["control"]["conversions"], inp["treatment"]["conversions"]],
    }
    r = compare_proportions(arms, difference="relative", alpha=inp["alpha"])
    rep = case["reproduced"]
    assert r.estimate == pytest.approx(rep["expected"], abs=1e-6)
    assert r.ci[0] == pytest.approx(rep["ci"][0], abs=1e-6)
    assert r.ci[1] == pytest.approx(rep["ci"][1], abs=1e-6)
    assert r.table["se"].iloc[0] == pytest.approx(rep["se"], abs=1e-6)
    assert r.p_value == pytest.approx(rep["p_value"], abs=1e-6)
    assert r.table["dof"].iloc[0] == pytest.approx(rep["dof"], abs=1e-3)
    exp = case["expected"]
    assert round(r.estimate, 5) == exp["expected"]
    assert [round(x, 5) for x in r.ci] == exp["ci"]
    assert round(r.p_value, 5) == exp["p_value"]


def test_binomial_absolute_same_engine() -> None:
    case = _case("campaign_ab_gbstats_binomial_relative")
    extra = case["extra_not_asserted_upstream"]["absolute_difference_same_engine"]
    r = compare_proportions({"n": [28, 30], "conversions": [14, 16]}, difference="absolute")
    assert r.estimate == pytest.approx(extra["expected"], abs=1e-6)
    assert r.ci[0] == pytest.approx(extra["ci"][0], abs=1e-6)
    assert r.ci[1] == pytest.approx(extra["ci"][1], abs=1e-6)
    assert r.p_value == pytest.approx(extra["p_value"], abs=1e-6)


def test_binomial_bayesian_chance_to_win() -> None:
    case = _case("campaign_bayes_gbstats_binomial_chance_to_win")
    inp = case["inputs"]
    arms = {
        "n": [inp["control"]["users"], inp["treatment"]["users"]],
        "conversions": [inp["control"]["conversions"], inp["treatment"]["conversions"]],
    }
    r = compare_proportions(arms, engine="bayesian")
    rep = case["reproduced"]
    row = r.table.iloc[0]
    assert row["estimate"] == pytest.approx(rep["expected"], abs=1e-6)
    assert row["se"] == pytest.approx(rep["sd"], abs=1e-6)
    assert row["ci_low"] == pytest.approx(rep["ci"][0], abs=1e-6)
    assert row["ci_high"] == pytest.approx(rep["ci"][1], abs=1e-6)
    assert row["chance_to_win"] == pytest.approx(rep["chance_to_win"], abs=1e-6)
    assert row["risk_control"] == pytest.approx(rep["risk"][0], abs=1e-6)
    assert row["risk_treatment"] == pytest.approx(rep["risk"][1], abs=1e-6)
    exp = case["expected"]
    assert round(row["chance_to_win"], 5) == exp["chance_to_win"]
    assert [round(row["risk_control"], 5), round(row["risk_treatment"], 5)] == exp["risk"]


def test_srm_growthbook_back_end() -> None:
    case = _case("campaign_srm_growthbook")
    for inp, expected in zip(case["inputs"]["cases"], case["expected"]["p_values"], strict=True):
        r = sample_ratio_mismatch(inp["users"], weights=inp["weights"])
        assert r.p_value == pytest.approx(expected, abs=5e-10), inp
        assert r.flagged == (expected < 0.001)


def test_srm_gbstats_python_keeps_zero_weight_arms() -> None:
    case = _case("campaign_srm_growthbook")
    r = sample_ratio_mismatch([1000, 1200, 900], weights=[0.5, 0.5, 0], zero_weight="keep")
    expected = case["divergence"]["python_check_srm_value"]
    assert r.p_value == pytest.approx(expected, rel=1e-6)


# growthbook/growthbook packages/stats/tests/frequentist/test_tests.py (values to 5 decimals)
MEAN_A = {"n": 3407, "sum": 1396.87, "sum_squares": 52377.9767}
MEAN_B = {"n": 3461, "sum": 2422.7, "sum_squares": 134698.29}


def _arms(a: dict, b: dict) -> dict:
    return {k: [a[k], b[k]] for k in a}


def test_gbstats_two_sided_ttest_relative() -> None:
    r = compare_means(_arms(MEAN_A, MEAN_B))
    assert round(r.estimate, 5) == 0.70732
    assert [round(x, 5) for x in r.ci] == [-0.03526, 1.44989]
    assert round(r.table["se"].iloc[0], 5) == 0.37879
    assert round(r.p_value, 5) == 0.06191


def test_gbstats_two_sided_ttest_absolute() -> None:
    r = compare_means(_arms(MEAN_A, MEAN_B), difference="absolute")
    assert round(r.estimate, 5) == 0.29
    assert [round(x, 5) for x in r.ci] == [0.04538, 0.53462]
    assert round(r.table["se"].iloc[0], 5) == 0.12478
    assert round(r.p_value, 5) == 0.02016


def test_gbstats_one_sided_greater() -> None:
    # TestOneSidedGreaterTTest.test_one_sided_ttest(_absolute), n_A = 3000
    a = dict(MEAN_A, n=3000)
    r = compare_means(_arms(a, MEAN_B), sided="greater")
    assert r.estimate == pytest.approx(0.5033610858562358, abs=1e-9)
    assert r.ci[0] == pytest.approx(-0.045136675850396046, abs=1e-6)
    assert r.p_value == pytest.approx(0.06558262868467746, abs=1e-6)
    r = compare_means(_arms(a, MEAN_B), sided="greater", difference="absolute")
    assert r.ci[0] == pytest.approx(0.020791480063255735, abs=1e-6)
    assert r.p_value == pytest.approx(0.03554272489873023, abs=1e-6)


def test_gbstats_sequential_mean() -> None:
    # TestSequentialTTest.test_sequential_test_runs: tuning 1000
    a = dict(MEAN_A, n=3000)
    r = compare_means(_arms(a, MEAN_B), sequential=True, tuning=1000)
    assert round(r.estimate, 5) == 0.50336
    assert [round(x, 5) for x in r.ci] == [-0.55844, 1.56516]
    assert round(r.table["se"].iloc[0], 5) == 0.33341
    assert round(r.p_value, 5) == 1.0


def test_gbstats_sequential_proportion() -> None:
    # TestSequentialTTest.test_sequential_test_runs_prop: default tuning 5000
    r = compare_proportions({"n": [3000, 3461], "conversions": [1396, 2422]}, sequential=True)
    assert round(r.estimate, 5) == 0.50386
    assert [round(x, 5) for x in r.ci] == [0.40098, 0.60675]
    assert round(r.table["se"].iloc[0], 5) == 0.03386
    assert round(r.p_value, 5) == 0.0


def test_gbstats_sequential_cuped() -> None:
    # TestSequentialTTest.test_sequential_test_runs_ra: theta pooled over both arms
    arms = {
        "n": [3000, 3461],
        "sum": [1396.87, 2422.7],
        "sum_squares": [52377.9767, 134698.29],
        "pre_sum": [16.87, 22.7],
        "pre_sum_squares": [527.9767, 1348.29],
        "cross_sum": [1.0, 1.0],
    }
    r = compare_means(arms, sequential=True)
    assert round(r.estimate, 5) == 0.50338
    assert [round(x, 5) for x in r.ci] == [-0.50969, 1.51646]
    assert round(r.table["se"].iloc[0], 5) == 0.33341
    assert round(r.p_value, 5) == 1.0
