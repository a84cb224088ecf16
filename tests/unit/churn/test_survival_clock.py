"""Survival clocks (time to the churn instant, or active lifetime) and report times: hand cases.

The log of test_survival: a is active Jan 1, Jan 3, Feb 20; b Jan 10, Mar 25; c only has a
push (not activity).  Threshold 30 days, as_of Apr 1:

- terminal, churn clock: a churns Feb 20 + 30 = Mar 21 (80 days after Jan 1, observed); b is
  censored at as_of (82 days after Jan 10).
- terminal, last-activity clock: a's active lifetime is Jan 1 -> Feb 20 = 50 days (observed);
  b is censored at the last activity, Jan 10 -> Mar 25 = 75 days.
- first lapse, churn clock: a lapses in the Jan 3 -> Feb 20 gap at Jan 3 + 30 = Feb 2 (32
  days); b in the Jan 10 -> Mar 25 gap at Feb 9 (30 days).  Last-activity clock: the activity
  that opened the lapse, Jan 3 (2 days) and Jan 10 (0 days), both observed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tests.unit.churn.test_survival import OPEN_OR_SIGNUP, events_frame
from useropslib.churn._survival import kaplan_meier, logrank_test, survival_frame
from useropslib.events import EventLog
from useropslib.exceptions import InvalidParameterError

AS_OF = "2024-04-01"


@pytest.mark.parametrize(
    ("kind", "clock", "durations", "observed"),
    [
        ("terminal", "churn", [80.0, 82.0], [True, False]),
        ("terminal", "last_activity", [50.0, 75.0], [True, False]),
        ("first_lapse", "churn", [32.0, 30.0], [True, True]),
        ("first_lapse", "last_activity", [2.0, 0.0], [True, True]),
    ],
)
def test_clocks_hand_cases(
    kind: str, clock: str, durations: list[float], observed: list[bool]
) -> None:
    df = events_frame()
    before = df.copy()
    sf = survival_frame(df, OPEN_OR_SIGNUP, as_of=AS_OF, kind=kind, clock=clock, early_window=None)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(df, before)
    assert sf.index.tolist() == ["a", "b"]
    assert sf["duration"].tolist() == durations
    assert sf["observed"].tolist() == observed
    assert sf.attrs == {
        "clock": clock,
        "threshold_days": 30.0,
        "duration_unit": "days since first activity",
    }


def test_last_activity_equals_churn_minus_threshold_for_observed_churn() -> None:
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame(
        {
            "user_id": rng.integers(0, 60, n).astype(str),
            "event": "open",
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 200 * 24, n), unit="h"),
        }
    )
    for kind in ("terminal", "first_lapse"):
        churn = survival_frame(df, "10D", kind=kind, early_window=None, resolution=None)
        life = survival_frame(
            df, "10D", kind=kind, clock="last_activity", early_window=None, resolution=None
        )
        assert (churn["observed"] == life["observed"]).all()
        obs = churn["observed"]
        np.testing.assert_allclose(life["duration"][obs], churn["duration"][obs] - 10.0)
        # not churned: censored at the last activity, which is before as_of
        assert (life["duration"][~obs] <= churn["duration"][~obs]).all()


def test_km_default_times_follow_the_threshold_on_each_clock() -> None:
    log = EventLog.from_pandas(events_frame())
    km = kaplan_meier(log, definition=OPEN_OR_SIGNUP, as_of=AS_OF)
    # churn clock: a threshold plus 0.25, 0.5, 1, 2, 4 thresholds of active lifetime
    assert km.params["times"] == [37.5, 45.0, 60.0, 90.0, 150.0]
    assert km.params["clock"] == "churn"
    assert km.params["threshold_days"] == 30.0
    # durations 80 (churned) and 82 (censored): S = 1 up to 80, 0.5 after; NaN beyond 82
    assert km.table.loc["all", "S(37.5)"] == 1.0
    assert km.table.loc["all", "S(60)"] == 1.0
    assert np.isnan(km.table.loc["all", "S(90)"])
    life = kaplan_meier(log, definition=OPEN_OR_SIGNUP, as_of=AS_OF, clock="last_activity")
    assert life.params["times"] == [7.5, 15.0, 30.0, 60.0, 120.0]
    # durations 50 (churned) and 75 (censored): S = 1 before 50, 0.5 from 50 to 75
    assert [life.table.loc["all", f"S({t:g})"] for t in (7.5, 15, 30, 60)] == [1, 1, 1, 0.5]
    assert np.isnan(life.table.loc["all", "S(120)"])
    # a frame from survival_frame carries its clock; a plain frame keeps 7, 14, 30, 60, 90
    sf = survival_frame(log, OPEN_OR_SIGNUP, as_of=AS_OF, clock="last_activity")
    assert kaplan_meier(sf).params["times"] == [7.5, 15.0, 30.0, 60.0, 120.0]
    plain = pd.DataFrame({"duration": [1.0, 2.0], "observed": [1, 0]})
    assert kaplan_meier(plain).params["times"] == [7.0, 14.0, 30.0, 60.0, 90.0]
    assert "clock" not in kaplan_meier(plain).params
    # an explicit times= wins
    assert kaplan_meier(sf, times=[5]).params["times"] == [5.0]


def test_km_axis_says_days_since_first_activity() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    log = EventLog.from_pandas(events_frame())
    for clock, title in (("churn", "to churn"), ("last_activity", "active lifetime")):
        km = kaplan_meier(log, definition=OPEN_OR_SIGNUP, as_of=AS_OF, clock=clock)  # type: ignore[arg-type]
        ax = km.plot()
        assert ax.get_xlabel() == "days since first activity"
        assert title in ax.get_title()
        plt.close("all")
    ax = kaplan_meier(pd.DataFrame({"t": [1.0, 2.0], "observed": [1, 0]}), duration_col="t").plot()
    assert ax.get_xlabel() == "t"  # unit unknown: the column's name
    plt.close("all")


def test_logrank_takes_the_clock() -> None:
    log = EventLog.from_pandas(events_frame())
    arm = pd.Series({"a": "x", "b": "y"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = logrank_test(
            log, breakdown=arm, definition=OPEN_OR_SIGNUP, as_of=AS_OF, clock="last_activity"
        )
    assert res.table["n"].tolist() == [1, 1]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: survival_frame(events_frame(), "30D", clock="lifetime"),
            r"Invalid clock='lifetime'. Expected 'churn' \(the event at last activity \+ "
            r"threshold\) or 'last_activity'",
        ),
        (
            lambda: survival_frame(events_frame(), "30D", clock="last-activity"),
            r"Did you mean 'last_activity'\?",
        ),
        (
            lambda: kaplan_meier(
                pd.DataFrame({"duration": [1.0], "observed": [1]}), clock="last_activity"
            ),
            r"kaplan_meier got a survival frame and clock='last_activity'. Expected clock only "
            r"with an event log.*pass clock to survival_frame",
        ),
    ],
)
def test_clock_errors(call: object, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        call()  # type: ignore[operator]
