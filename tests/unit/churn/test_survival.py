"""survival_frame, kaplan_meier and logrank_test: hand-computed cases and every error."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter, NelsonAalenFitter
from lifelines.statistics import multivariate_logrank_test

from useropslib.churn._labels import churn_labels
from useropslib.churn._survival import kaplan_meier, logrank_test, survival_frame
from useropslib.events import EventLog
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
)
from useropslib.models._churn import ChurnDefinition

Z = 1.959963984540054  # standard normal 97.5% quantile


def events_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b", "b", "c"],
            "event": ["signup", "open", "open", "signup", "open", "push"],
            "timestamp": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-03",
                    "2024-02-20",
                    "2024-01-10",
                    "2024-03-25",
                    "2024-01-05",
                ],
                utc=True,
            ),
        }
    )


OPEN_OR_SIGNUP = ChurnDefinition(threshold="30D", activity_events=["signup", "open"])


# ============================================================================ survival frame
def test_terminal_frame_hand_case() -> None:
    df = events_frame()
    before = df.copy()
    sf = survival_frame(df, OPEN_OR_SIGNUP, as_of="2024-04-01")
    pd.testing.assert_frame_equal(df, before)
    assert sf.index.name == "user_id"
    assert sf.index.tolist() == ["a", "b"]  # c has no activity event
    # a: last activity Feb 20 + 30 days = Mar 21 <= Apr 1: churned 80 days after Jan 1
    # b: last activity Mar 25 + 30 days > Apr 1: censored 82 days after Jan 10
    assert sf["duration"].tolist() == [80.0, 82.0]
    assert sf["observed"].tolist() == [True, False]
    assert sf.columns.tolist() == [
        "duration",
        "observed",
        "early_signup",
        "early_open",
        "early_push",
    ]
    assert sf["early_signup"].tolist() == [1, 1]
    assert sf["early_open"].tolist() == [1, 0]
    assert sf["early_push"].tolist() == [0, 0]


def test_first_lapse_frame_hand_case() -> None:
    sf = survival_frame(
        events_frame(), OPEN_OR_SIGNUP, as_of="2024-04-01", kind="first_lapse", early_window=None
    )
    # a: gap Jan 3 -> Feb 20 (48 days) lapses on Feb 2, 32 days after Jan 1
    # b: gap Jan 10 -> Mar 25 (75 days) lapses on Feb 9, 30 days after Jan 10
    assert sf["duration"].tolist() == [32.0, 30.0]
    assert sf["observed"].tolist() == [True, True]
    as_definition_kind = survival_frame(
        events_frame(),
        OPEN_OR_SIGNUP.model_copy(update={"kind": "first_lapse"}),
        as_of="2024-04-01",
        early_window=None,
    )
    pd.testing.assert_frame_equal(sf, as_definition_kind)


def test_first_lapse_uses_the_open_silence_when_no_gap_lapses() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "b"],
            "event": "open",
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-20"], utc=True),
        }
    )
    sf = survival_frame(df, "15D", as_of="2024-02-01", kind="first_lapse", early_window=None)
    # a: no gap of 15 days; silent since Jan 11, lapses Jan 26 (25 days after Jan 1)
    # b: silent since Jan 20, 12 days by Feb 1: censored at 12 days
    assert sf["duration"].tolist() == [25.0, 12.0]
    assert sf["observed"].tolist() == [True, False]


def test_resolution_truncates_durations() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "b"],
            "event": "open",
            "timestamp": pd.to_datetime(["2024-01-01 06:00", "2024-02-10 00:00"], utc=True),
        }
    )
    exact = survival_frame(df, "30D", as_of="2024-03-01", resolution=None, early_window=None)
    # a churned Jan 31 06:00: 30 days; b censored Mar 1 00:00: 20 days
    assert exact["duration"].tolist() == [30.0, 20.0]
    later = survival_frame(df, "30D", as_of="2024-03-01 18:00", resolution=None, early_window=None)
    assert later["duration"].tolist() == [30.0, 20.75]
    assert survival_frame(df, "30D", as_of="2024-03-01 18:00", early_window=None)[
        "duration"
    ].tolist() == [30.0, 20.0]
    assert survival_frame(df, "30D", as_of="2024-03-01 18:00", resolution="12h", early_window=None)[
        "duration"
    ].tolist() == [30.0, 20.5]


def test_sparse_early_counts_equal_the_dense_grid(monkeypatch: pytest.MonkeyPatch) -> None:
    import useropslib.churn._survival as mod

    dense = survival_frame(events_frame(), OPEN_OR_SIGNUP, as_of="2024-04-01", early_window="60D")
    monkeypatch.setattr(mod, "_DENSE_BINS", 0)
    sparse = survival_frame(events_frame(), OPEN_OR_SIGNUP, as_of="2024-04-01", early_window="60D")
    pd.testing.assert_frame_equal(dense, sparse)
    assert dense["early_open"].tolist() == [2, 0]


def test_terminal_observed_equals_the_churned_label() -> None:
    df = events_frame()
    for as_of in ("2024-01-15", "2024-03-21", "2024-04-01", "2024-05-01"):
        sf = survival_frame(df, OPEN_OR_SIGNUP, as_of=as_of, early_window=None)
        labels = churn_labels(df, OPEN_OR_SIGNUP, as_of=as_of)
        assert sf["observed"].tolist() == labels["churned"].tolist()


def test_covariates_are_joined_by_user_id() -> None:
    users = pd.DataFrame({"user_id": ["b", "a"], "channel": ["ads", "seo"], "vip": [1, 0]})
    before = users.copy()
    sf = survival_frame(
        events_frame(), OPEN_OR_SIGNUP, as_of="2024-04-01", covariates=users, early_window=None
    )
    pd.testing.assert_frame_equal(users, before)
    assert sf["channel"].tolist() == ["seo", "ads"]
    assert sf["vip"].tolist() == [0, 1]
    partial = pd.DataFrame({"region": ["cn"]}, index=pd.Index(["a"], name="user_id"))
    sf = survival_frame(
        events_frame(), OPEN_OR_SIGNUP, as_of="2024-04-01", covariates=partial, early_window=None
    )
    assert sf["region"].tolist()[0] == "cn"
    assert pd.isna(sf["region"].tolist()[1])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"kind": "terminl"}, InvalidParameterError, r"Invalid kind='terminl'.*'terminal'"),
        ({"resolution": "0D"}, InvalidParameterError, r"Invalid resolution='0D'"),
        ({"early_window": "-1D"}, InvalidParameterError, r"Invalid early_window='-1D'"),
        ({"as_of": "2023-06-01"}, InvalidParameterError, "is before the first event"),
        (
            {"covariates": pd.DataFrame({"user_id": ["a", "a"], "x": [1, 2]})},
            InvalidParameterError,
            r"repeated user ids, e.g. \['a'\]",
        ),
        (
            {"covariates": pd.DataFrame({"user_id": ["a"], "duration": [1]})},
            InvalidParameterError,
            r"column\(s\) \['duration'\] that the survival frame already has",
        ),
        ({"covariates": {"a": 1}}, InvalidParameterError, "Expected a pandas DataFrame"),
    ],
)
def test_survival_frame_errors(kwargs: dict[str, object], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        survival_frame(events_frame(), OPEN_OR_SIGNUP, **kwargs)  # type: ignore[arg-type]


# ============================================================================ Kaplan–Meier
SMALL = pd.DataFrame({"duration": [1, 2, 2, 3, 4, 5], "observed": [1, 1, 0, 1, 0, 1]})


def test_km_log_ci_matches_a_hand_derivation() -> None:
    # event times 1, 2, 3, 5 with (at risk, deaths) = (6, 1), (5, 1), (3, 1), (1, 1)
    # S = 5/6, 2/3, 4/9, 0; Greenwood sums 1/30, 1/30 + 1/20, 1/30 + 1/20 + 1/6
    km = kaplan_meier(SMALL, times=[2, 4], ci="log")
    curve = km.survival
    assert curve["time"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert curve["at_risk"].tolist() == [6, 6, 5, 3, 2, 1]
    assert curve["events"].tolist() == [0, 1, 1, 1, 0, 1]
    assert curve["censored"].tolist() == [0, 0, 1, 0, 1, 0]
    s = np.array([1, 5 / 6, 2 / 3, 4 / 9, 4 / 9, 0])
    np.testing.assert_allclose(curve["survival"], s, atol=1e-12)
    g = np.array([0, 1 / 30, 1 / 30 + 1 / 20, 1 / 30 + 1 / 20 + 1 / 6, 0.25])
    lower = s[:5] * np.exp(-Z * np.sqrt(g))
    upper = np.minimum(s[:5] * np.exp(Z * np.sqrt(g)), 1.0)
    np.testing.assert_allclose(curve["lower"].iloc[:5], lower, atol=1e-12)
    np.testing.assert_allclose(curve["upper"].iloc[:5], upper, atol=1e-12)
    assert curve["lower"].iloc[1] == pytest.approx(0.582655, abs=1e-6)
    assert curve["lower"].iloc[3] == pytest.approx(0.166808, abs=1e-6)
    np.testing.assert_allclose(curve["se"].iloc[:5], s[:5] * np.sqrt(g), atol=1e-12)
    # S = 0: the band and se are undefined (NA in R)
    assert np.isnan(curve[["se", "lower", "upper"]].iloc[5]).all()
    # median: first S <= 0.5 at t=3; lower band first <= 0.5 at t=2; upper band never
    row = km.table.loc["all"]
    assert (row["n"], row["events"], row["censored"]) == (6, 4, 2)
    assert (row["median"], row["median_lower"], row["median_upper"]) == (3.0, 2.0, math.inf)
    assert row["S(2)"] == pytest.approx(2 / 3)
    assert row["S(4)"] == pytest.approx(4 / 9)
    assert km.median.loc["all"].tolist() == [3.0, 2.0, math.inf]
    # Nelson-Aalen with lifelines' tie handling: 1/6, + 1/5, + 1/3, + 1
    np.testing.assert_allclose(
        curve["cumulative_hazard"], np.cumsum([0, 1 / 6, 1 / 5, 1 / 3, 0, 1]), atol=1e-12
    )


def test_km_log_log_ci_is_lifelines_exponential_greenwood() -> None:
    km = kaplan_meier(SMALL, times=[2])
    # at t=1: v = log(5/6); exp(-exp(log(-v) -/+ z sqrt(1/30) / v))
    v = math.log(5 / 6)
    lo = math.exp(-math.exp(math.log(-v) - Z * math.sqrt(1 / 30) / v))
    hi = math.exp(-math.exp(math.log(-v) + Z * math.sqrt(1 / 30) / v))
    assert km.survival["lower"].iloc[1] == pytest.approx(lo, abs=1e-12)
    assert km.survival["upper"].iloc[1] == pytest.approx(hi, abs=1e-12)
    assert lo == pytest.approx(0.273123, abs=1e-6)
    kmf = KaplanMeierFitter().fit(SMALL["duration"], SMALL["observed"])
    np.testing.assert_allclose(
        km.survival["lower"].iloc[:5], kmf.confidence_interval_.iloc[:5, 0], atol=1e-12
    )
    assert km.params["ci"] == "log-log"


def test_collapsing_ties_into_weights_changes_nothing() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {"duration": rng.integers(0, 20, 300).astype(float), "observed": rng.random(300) < 0.7}
    )
    km = kaplan_meier(frame, times=[5, 10])
    kmf = KaplanMeierFitter().fit(frame["duration"], frame["observed"])
    naf = NelsonAalenFitter().fit(frame["duration"], frame["observed"])
    np.testing.assert_allclose(km.survival["survival"], kmf.survival_function_.iloc[:, 0])
    np.testing.assert_allclose(km.survival["lower"], kmf.confidence_interval_.iloc[:, 0])
    np.testing.assert_allclose(km.survival["upper"], kmf.confidence_interval_.iloc[:, 1])
    np.testing.assert_allclose(km.survival["cumulative_hazard"], naf.cumulative_hazard_.iloc[:, 0])
    np.testing.assert_array_equal(km.survival["at_risk"], kmf.event_table["at_risk"])
    assert km.table.loc["all", "median"] == kmf.median_survival_time_


def test_km_groups_and_times_beyond_the_data() -> None:
    frame = pd.DataFrame(
        {
            "duration": [1, 2, 3, 4, 2, 3],
            "observed": [1, 1, 1, 0, 1, 1],
            "arm": ["x", "x", "x", "x", "y", "y"],
        }
    )
    km = kaplan_meier(frame, breakdown="arm", times=[2, 10])
    assert km.table.index.tolist() == ["x", "y"]
    assert km.table.index.name == "arm"
    # x ends censored at 4: S(10) unknown; y ends at S = 0: S(10) = 0
    assert math.isnan(km.table.loc["x", "S(10)"])
    assert km.table.loc["y", "S(10)"] == 0.0
    assert km.table.loc["x", "S(2)"] == pytest.approx(0.5)
    at = km.at_times.set_index(["group", "time"])
    assert at.loc[("x", 2.0), "at_risk"] == 3
    assert at.loc[("y", 10.0), "at_risk"] == 0
    assert set(km.survival["group"]) == {"x", "y"}
    assert km.params["breakdown"] == "arm"
    # the same groups given as a Series, a mapping and a list
    by_series = kaplan_meier(frame, breakdown=frame["arm"], times=[2])
    by_list = kaplan_meier(frame, breakdown=frame["arm"].tolist(), times=[2])
    by_map = kaplan_meier(frame, breakdown=dict(enumerate(frame["arm"])), times=[2])
    for other in (by_series, by_list, by_map):
        np.testing.assert_allclose(other.table["S(2)"], km.table["S(2)"])


def test_km_from_events_with_a_definition() -> None:
    log = EventLog.from_pandas(events_frame())
    channel = pd.Series({"a": "seo", "b": "ads"}, name="channel")
    km = kaplan_meier(
        log, definition=OPEN_OR_SIGNUP, as_of="2024-04-01", breakdown=channel, times=[80, 82]
    )
    assert km.table.index.tolist() == ["ads", "seo"]
    assert km.table.loc["seo", "S(80)"] == 0.0
    assert km.table.loc["ads", "S(82)"] == 1.0
    assert km.as_of == pd.Timestamp("2024-04-01", tz="UTC")
    assert km.params["definition"]["threshold"] == "P30D"
    json.dumps(km.to_dict())


def test_every_subject_censored_warns() -> None:
    frame = pd.DataFrame({"duration": [1.0, 2.0, 3.0], "observed": [False, False, False]})
    with pytest.warns(InsufficientDataWarning, match="every one of the 3 subjects is censored"):
        km = kaplan_meier(frame, times=[2])
    assert km.table.loc["all", "median"] == math.inf
    assert km.table.loc["all", "S(2)"] == 1.0


@pytest.mark.parametrize(
    ("data", "kwargs", "error", "match"),
    [
        (SMALL, {"duration_col": "durations"}, InvalidParameterError, "did you mean 'duration'"),
        (SMALL, {"event_col": "event"}, InvalidParameterError, r"Unknown event_col='event'"),
        (SMALL.assign(duration=[1, -2, 2, 3, 4, 5]), {}, InvalidParameterError, "negative"),
        (SMALL.assign(duration=[1, np.nan, 2, 3, 4, 5]), {}, InvalidParameterError, "missing"),
        (SMALL.assign(duration=list("abcdef")), {}, InvalidParameterError, "is not numeric"),
        (SMALL.assign(observed=[1, 2, 0, 1, 0, 1]), {}, InvalidParameterError, "0/1 or True/False"),
        (SMALL.iloc[:0], {}, InsufficientDataError, r"empty frame \(0 rows\)"),
        (SMALL, {"alpha": 0}, InvalidParameterError, r"Invalid alpha=0"),
        (SMALL, {"alpha": 1.5}, InvalidParameterError, r"Invalid alpha=1.5"),
        (SMALL, {"ci": "loglog"}, InvalidParameterError, r"Did you mean 'log-log'"),
        (SMALL, {"times": [-1]}, InvalidParameterError, r"Invalid times=\[-1\]"),
        (SMALL, {"as_of": "2024-01-01"}, InvalidParameterError, "as_of only with an event log"),
        (SMALL, {"breakdown": "arm"}, InvalidParameterError, r"Unknown breakdown='arm'"),
        (SMALL, {"breakdown": [1, 2]}, InvalidParameterError, "Invalid breakdown of length 2"),
        (
            SMALL,
            {"breakdown": pd.Series(["x", None, "x", "y", "y", "y"])},
            InvalidParameterError,
            r"breakdown has 1 missing value\(s\) among 6 rows",
        ),
        ([1, 2, 3], {}, InvalidParameterError, "expects a survival frame"),
    ],
)
def test_kaplan_meier_errors(
    data: object, kwargs: dict[str, object], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        kaplan_meier(data, **kwargs)  # type: ignore[arg-type]


def test_kaplan_meier_on_events_needs_a_definition() -> None:
    log = EventLog.from_pandas(events_frame())
    with pytest.raises(InvalidParameterError, match="got an event log but no definition"):
        kaplan_meier(log)


def test_km_result_plots_and_converts() -> None:
    km = kaplan_meier(SMALL.assign(arm=list("xxxyyy")), breakdown="arm", times=[2])
    flat = km.to_frame()
    assert flat.columns.tolist()[:3] == ["group", "time", "at_risk"]
    assert "KaplanMeierResult(duration_col='duration'" in repr(km)
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = km.plot()
    assert len(ax.get_lines()) == 2
    assert ax.get_legend() is not None
    plt.close("all")


# ============================================================================ log-rank
LR = pd.DataFrame(
    {
        "duration": [1, 2, 3, 4, 5, 6, 7, 8],
        "observed": [1, 1, 1, 0, 1, 1, 0, 1],
        "arm": ["a", "a", "a", "a", "b", "b", "b", "b"],
    }
)


def test_logrank_hand_case() -> None:
    # deaths of arm a at t=1, 2, 3 with (n_a, n) = (4, 8), (3, 7), (2, 6); arm a has left when
    # arm b's deaths happen.  O_a = 3, E_a = 1/2 + 3/7 + 1/3, V = 1/4 + 12/49 + 2/9.
    e_a = 1 / 2 + 3 / 7 + 1 / 3
    var = 1 / 4 + 12 / 49 + 2 / 9
    res = logrank_test(LR, breakdown="arm")
    assert res.statistic == pytest.approx((3 - e_a) ** 2 / var, abs=1e-12)
    assert res.degrees_of_freedom == 1
    assert res.p_value == pytest.approx(0.040124, abs=1e-6)
    assert res.table.to_dict("list") == {"n": [4, 4], "events": [3, 3]}
    lifelines_raw = multivariate_logrank_test(LR["duration"], LR["arm"], LR["observed"])
    assert res.statistic == pytest.approx(lifelines_raw.test_statistic, abs=1e-12)
    assert res.to_frame()["degrees_of_freedom"].tolist() == [1]


def test_logrank_errors() -> None:
    with pytest.raises(InsufficientDataError, match=r"at least two groups, got 1 \(\['a'\]\)"):
        logrank_test(LR[LR["arm"] == "a"], breakdown="arm")
    censored = LR.assign(observed=0)
    with pytest.raises(InsufficientDataError, match="got 0 events among 8 subjects"):
        logrank_test(censored, breakdown="arm")
    with pytest.raises(InvalidParameterError, match=r"Unknown breakdown='ram'.*did you mean 'arm'"):
        logrank_test(LR, breakdown="ram")


def test_logrank_from_events() -> None:
    log = EventLog.from_pandas(events_frame())
    res = logrank_test(
        log, definition="30D", as_of="2024-04-01", breakdown={"a": "seo", "b": "ads", "c": "ads"}
    )
    assert res.table.index.tolist() == ["ads", "seo"]
    assert res.table["n"].tolist() == [2, 1]
