"""Kaplan–Meier, Nelson–Aalen and log-rank on the Rossi recidivism data.

Source: the ``churn_km_cox_rossi`` case of the shared reference cases (432 released prisoners
followed 52 weeks; duration ``week``, event ``arrest``; data of Rossi, Berk & Lenihan 1980 as
shipped in lifelines' ``datasets/rossi.csv`` and R's ``carData::Rossi``; values computed with
lifelines 0.30.3).  With no censoring before week 52, ``S(t) = 1 - arrests by week t / 432``
exactly, so ``S(52) = 318 / 432``.  The R ``conf.type="log"`` band is checked against its
closed form from the same Greenwood standard error.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from useropslib.churn._survival import kaplan_meier, logrank_test

DATA = Path(__file__).parent / "data" / "rossi.csv"
S_AT = {1: 0.997685, 8: 0.972222, 13: 0.953704, 20: 0.907407, 26: 0.875, 39: 0.8125, 52: 0.736111}
Z = 1.959963984540054


@pytest.fixture(scope="module")
def rossi() -> pd.DataFrame:
    return pd.read_csv(DATA)


def test_survival_at_listed_weeks(rossi: pd.DataFrame) -> None:
    km = kaplan_meier(rossi, duration_col="week", event_col="arrest", times=list(S_AT))
    row = km.table.loc["all"]
    assert (row["n"], row["events"], row["censored"]) == (432, 114, 318)
    for t, expected in S_AT.items():
        assert row[f"S({t})"] == pytest.approx(expected, abs=1e-6)
    assert row["S(52)"] == pytest.approx(318 / 432, abs=1e-12)
    # median not reached: lifelines returns inf (R prints NA)
    assert row["median"] == math.inf


def test_greenwood_se_and_lifelines_log_log_band(rossi: pd.DataFrame) -> None:
    km = kaplan_meier(rossi, duration_col="week", event_col="arrest", times=[52])
    last = km.survival.set_index("time").loc[52.0]
    assert last["se"] == pytest.approx(0.021205, abs=1e-6)
    assert last["lower"] == pytest.approx(0.69186, abs=1e-5)
    assert last["upper"] == pytest.approx(0.775063, abs=1e-6)
    at = km.at_times.iloc[0]
    assert (at["lower"], at["upper"]) == (last["lower"], last["upper"])
    assert at["at_risk"] == int((rossi["week"] >= 52).sum())


def test_r_log_band_from_the_same_greenwood_se(rossi: pd.DataFrame) -> None:
    km = kaplan_meier(rossi, duration_col="week", event_col="arrest", times=[52], ci="log")
    last = km.survival.set_index("time").loc[52.0]
    s, se = 318 / 432, 0.021205102
    se_log = se / s
    assert last["lower"] == pytest.approx(s * math.exp(-Z * se_log), abs=1e-6)
    assert last["upper"] == pytest.approx(s * math.exp(Z * se_log), abs=1e-6)
    assert last["lower"] < s < last["upper"] <= 1.0


def test_nelson_aalen_cumulative_hazard(rossi: pd.DataFrame) -> None:
    km = kaplan_meier(rossi, duration_col="week", event_col="arrest")
    h = km.survival.set_index("time")["cumulative_hazard"]
    assert h.loc[52.0] == pytest.approx(0.30596, abs=1e-5)
    assert h.loc[26.0] == pytest.approx(0.133366, abs=1e-6)
    assert np.all(np.diff(h.to_numpy()) >= 0)


def test_logrank_by_financial_aid(rossi: pd.DataFrame) -> None:
    res = logrank_test(rossi, duration_col="week", event_col="arrest", breakdown="fin")
    assert res.statistic == pytest.approx(3.83757, abs=1e-5)
    assert res.p_value == pytest.approx(0.050116, abs=1e-6)
    assert res.degrees_of_freedom == 1
    km = kaplan_meier(rossi, duration_col="week", event_col="arrest", breakdown="fin", times=[52])
    assert km.table.index.tolist() == [0, 1]
    assert km.table["n"].tolist() == [216, 216]
