"""The inactivity threshold on CDNOW purchases: a return curve that never flattens.

Data: the CDNOW sample shipped in tests/reference/data (2,357 customers, Jan 1997 - Jun 1998,
the 1/10 sample of Fader, Hardie & Lee 2005) and, read in place when present, the full log
../shared/data/CDNOW_master.txt (23,570 customers).  The return curve at chosen silences is
checked against an independent pandas recipe (one row per silence, a boolean filter per k);
the rules' answers are then pinned as facts about this data: the plateau rule finds no plateau
(its pick moves with the grid's end, so it warns), while the return-probability and
gap-percentile answers do not depend on the grid once it covers them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from useropslib.churn import infer_inactivity_threshold
from useropslib.events import EventLog
from useropslib.exceptions import NoPlateauWarning

DATA = Path(__file__).parent / "data"
MASTER = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "CDNOW_master.txt"


def purchases(raw: pd.DataFrame) -> EventLog:
    df = pd.DataFrame(
        {
            "user_id": raw["id"].astype(str),
            "event": "purchase",
            "timestamp": pd.to_datetime(raw["date"].astype(str), format="%Y%m%d"),
        }
    )
    return EventLog.from_pandas(df, tz="UTC", duplicates="keep")


@pytest.fixture(scope="module")
def sample() -> EventLog:
    raw = pd.read_csv(
        DATA / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "id", "date", "cds", "dollars"],
    )
    return purchases(raw)


@pytest.fixture(scope="module")
def master() -> EventLog:
    if not MASTER.exists():
        pytest.skip(f"{MASTER} is absent (read in place, never copied into the repository)")
    raw = pd.read_csv(
        MASTER, sep=r"\s+", skiprows=1, header=None, names=["id", "date", "cds", "dollars"]
    )
    return purchases(raw)


def fit(log: EventLog, **kwargs: object) -> tuple[object, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = infer_inactivity_threshold(log, **kwargs)  # type: ignore[arg-type]
    assert all(issubclass(w.category, NoPlateauWarning) for w in caught)
    return res, [str(w.message) for w in caught]


def recipe(log: EventLog, k_days: list[int], h_days: int) -> pd.DataFrame:
    """The return curve the plain pandas way: one row per silence, a filter per k."""
    df = log.to_pandas()[["user_id", "timestamp"]].sort_values(["user_id", "timestamp"])
    as_of = df["timestamp"].max()
    df["next"] = df.groupby("user_id")["timestamp"].shift(-1)
    length = (df["next"].fillna(as_of) - df["timestamp"]) / pd.Timedelta(days=1)
    rows = []
    for k in k_days:
        reached = length >= k
        seen = df["timestamp"] + pd.Timedelta(days=k + h_days) <= as_of
        back = df["next"].notna() & (length <= k + h_days)
        rows.append(
            {
                "k": float(k),
                "returned": int((reached & seen & back).sum()),
                "not_returned": int((reached & seen & ~back).sum()),
                "censored": int((reached & ~seen).sum()),
            }
        )
    return pd.DataFrame(rows).set_index("k")


def test_sample_curve_matches_the_pandas_recipe(sample: EventLog) -> None:
    res, _ = fit(sample)
    ks = [1, 30, 90, 180, 360, 500]
    expected = recipe(sample, ks, 30)
    got = res.curve.loc[expected.index, expected.columns]  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(got, expected, check_names=False, check_dtype=False)


def test_sample_has_no_plateau_and_says_so(sample: EventLog) -> None:
    res, notes = fit(sample)
    assert res.params["grid"] == "258 values, 1..514 days (default: the data's span)"  # type: ignore[attr-defined]
    assert res.min_gaps == 30  # type: ignore[attr-defined]
    assert not res.plateau_found  # type: ignore[attr-defined]
    assert res.end_slope < 0  # type: ignore[attr-defined]
    assert len(notes) == 1
    assert notes[0].startswith("No plateau found: the usable grid ends at 512 days")
    rules = res.rules  # type: ignore[attr-defined]
    assert rules["threshold_days"].tolist() == [428.0, 168.0, 279.0]
    assert rules["found"].tolist() == [False, True, True]


def test_sample_plateau_pick_follows_the_grid_and_the_named_rules_do_not(sample: EventLog) -> None:
    picks, p_rule, q_rule = [], [], []
    for grid in (range(1, 181), range(1, 366), None):
        res, notes = fit(sample, grid=grid)
        assert not res.plateau_found  # type: ignore[attr-defined]
        assert len(notes) == 1
        picks.append(res.threshold_days)  # type: ignore[attr-defined]
        p_rule.append(res.rules.loc["return_probability", "threshold_days"])  # type: ignore[attr-defined]
        q_rule.append(res.rules.loc["gap_percentile", "threshold_days"])  # type: ignore[attr-defined]
    assert picks == [165.0, 266.0, 428.0]  # set by the grid's end: hence the warning
    assert p_rule == [168.0, 168.0, 168.0]  # stable once the grid covers it
    assert q_rule == [279.0, 279.0, 279.0]  # does not use the grid
    with pytest.warns(NoPlateauWarning, match=r"No return rate below p=0.05 found"):
        short = infer_inactivity_threshold(sample, grid=range(1, 91), rule="return_probability")
    assert short.threshold_days == 90.0  # a lower bound, and it says so


def test_sample_return_probability_rule_is_quiet(sample: EventLog) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = infer_inactivity_threshold(sample, rule="return_probability")
    assert res.threshold_days == 168.0
    assert res.return_rate < 0.05
    assert res.summary().startswith(
        "168 days, chosen by the return_probability rule (p=0.05); "
        "the return curve does not flatten"
    )


def test_master_has_no_plateau(master: EventLog) -> None:
    res, notes = fit(master)
    assert master.n_users == 23_570
    assert res.min_gaps == 236  # type: ignore[attr-defined]
    assert not res.plateau_found  # type: ignore[attr-defined]
    assert len(notes) == 1
    curve = res.curve  # type: ignore[attr-defined]
    # the curve keeps falling: about halving with each doubling of the silence
    rates = curve.loc[[90.0, 180.0, 360.0], "return_rate"].to_numpy()
    np.testing.assert_allclose(rates, [0.090560, 0.049153, 0.019716], atol=5e-7)
    expected = recipe(master, [90, 180, 360], 30)
    got = curve.loc[expected.index, expected.columns]
    pd.testing.assert_frame_equal(got, expected, check_names=False, check_dtype=False)
    rules = res.rules  # type: ignore[attr-defined]
    assert rules["threshold_days"].tolist() == [410.0, 178.0, 283.0]
