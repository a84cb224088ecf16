"""churn_features, ChurnRiskModel and early_warning: hand-computed cases, time split, bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from useropslib.churn._risk import (
    ChurnRiskModel,
    RiskEvaluation,
    _evaluate_scores,
    churn_features,
    early_warning,
)
from useropslib.datasets import synthetic
from useropslib.events import EventLog, strict_events
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
    NotFittedError,
    UseropsWarning,
)


@pytest.fixture(autouse=True)
def _strict_event_names() -> Iterator[None]:
    """These cases pin the errors for unknown event names (the warning is tested elsewhere)."""
    with strict_events():
        yield


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    # gradient boosting's OpenMP threads crawl on a shared 2-core machine; results are the same
    with threadpool_limits(1):
        yield


def rows(*items: tuple[str, str, str, float | None]) -> pd.DataFrame:
    return pd.DataFrame(items, columns=["user_id", "event", "timestamp", "value"])


@pytest.fixture(scope="module")
def small_log() -> EventLog:
    """Hand-checked log; the cutoff of the tests is 2024-03-31 00:00 UTC."""
    df = rows(
        ("a", "open", "2024-02-15 10:00", None),
        ("a", "open", "2024-03-10 09:00", None),
        ("a", "buy", "2024-03-25 12:00", 10.0),
        ("a", "open", "2024-03-25 18:00", None),
        ("a", "open", "2024-03-30 23:00", None),
        ("a", "open", "2024-04-05 08:00", None),
        ("b", "open", "2024-02-20 00:00", None),
        ("b", "open", "2024-03-01 06:00", None),
        ("b", "open", "2024-03-01 07:00", None),
        ("c", "open", "2024-04-02 00:00", None),
        ("d", "open", "2024-02-01 00:00", None),
        ("d", "message_sent", "2024-03-29 00:00", None),
        ("d", "message_sent", "2024-04-03 00:00", None),
        ("e", "open", "2024-03-24 00:00", None),
        ("e", "open", "2024-03-31 00:00", None),
        ("e", "open", "2024-04-14 00:00", None),
    )
    return EventLog.from_pandas(df, tz="UTC", as_of="2024-04-14 00:00")


CUTOFF = "2024-03-31 00:00"


# ------------------------------------------------------------------ churn_features


def test_features_hand_computed(small_log: EventLog) -> None:
    f = churn_features(small_log, cutoff=CUTOFF, horizon="14D")
    assert list(f.index) == ["a", "b", "d", "e"]  # c has no event before the cutoff
    assert f.index.name == "user_id"
    assert list(f.columns) == [
        "recency_days",
        "tenure_days",
        "events_total",
        "value_total",
        "events_7d",
        "active_days_7d",
        "distinct_events_7d",
        "value_7d",
        "trend_7d",
        "events_30d",
        "active_days_30d",
        "distinct_events_30d",
        "value_30d",
        "trend_30d",
        "churned",
    ]
    a = f.loc["a"]
    assert a["recency_days"] == pytest.approx(1 / 24)
    assert a["tenure_days"] == pytest.approx(44 + 14 / 24)
    assert a["events_total"] == 5
    assert a["value_total"] == 10.0
    # 7D = (03-24, 03-31]: 03-25 12:00 buy, 03-25 18:00 open, 03-30 23:00 open
    assert (a["events_7d"], a["active_days_7d"], a["distinct_events_7d"]) == (3, 2, 2)
    assert a["value_7d"] == 10.0
    assert a["trend_7d"] == 1.0  # nothing in (03-17, 03-24]
    # 30D = (03-01, 03-31]: four events on three days; one event in the 30 days before
    assert (a["events_30d"], a["active_days_30d"], a["distinct_events_30d"]) == (4, 3, 2)
    assert a["trend_30d"] == pytest.approx((4 - 1) / (4 + 1))
    assert not a["churned"]  # back on 04-05

    b = f.loc["b"]
    assert b["recency_days"] == pytest.approx(29 + 17 / 24)
    assert b["tenure_days"] == pytest.approx(40.0)
    assert (b["events_7d"], b["active_days_7d"], b["trend_7d"]) == (0, 0, 0.0)
    assert (b["events_30d"], b["active_days_30d"], b["distinct_events_30d"]) == (2, 1, 1)
    assert b["trend_30d"] == pytest.approx(1 / 3)
    assert b["churned"]

    # window bounds: (cutoff - 7D, cutoff] excludes 03-24 00:00 and includes the cutoff itself
    e = f.loc["e"]
    assert (e["events_7d"], e["trend_7d"], e["recency_days"]) == (1, 0.0, 0.0)
    assert not e["churned"]  # an event exactly at cutoff + horizon counts

    assert f.loc["d", "events_7d"] == 1  # message_sent counts when every event is activity
    assert not f.loc["d", "churned"]
    assert f["churned"].dtype == bool
    assert f["events_7d"].dtype == np.int64


def test_activity_events_filter(small_log: EventLog) -> None:
    f = churn_features(small_log, cutoff=CUTOFF, horizon="14D", activity_events=["open", "buy"])
    d = f.loc["d"]
    assert (d["events_total"], d["events_7d"]) == (1, 0)
    assert d["recency_days"] == pytest.approx(59.0)
    assert d["churned"]  # the later message_sent is not activity


def test_active_within_keeps_unlapsed_users(small_log: EventLog) -> None:
    f = churn_features(small_log, cutoff=CUTOFF, active_within="7D")
    assert list(f.index) == ["a", "d", "e"]
    assert "churned" not in f.columns


def test_default_cutoff_is_as_of(small_log: EventLog) -> None:
    f = churn_features(small_log, windows=["7D"])
    assert f.loc["e", "recency_days"] == 0.0
    assert f.loc["c", "tenure_days"] == pytest.approx(12.0)


def test_active_days_use_the_log_time_zone(small_log: EventLog) -> None:
    shanghai = small_log.with_tz("Asia/Shanghai")
    f = churn_features(shanghai, cutoff="2024-03-31 08:00", windows=["7D"])
    # 03-25 12:00 and 18:00 UTC fall on 03-25 and 03-26 in Shanghai
    assert f.loc["a", "active_days_7d"] == 3


def test_windows_accept_timedelta_and_hours(small_log: EventLog) -> None:
    f = churn_features(small_log, cutoff=CUTOFF, windows=[pd.Timedelta(days=7), "12h"])
    assert {"events_7d", "events_12h"} <= set(f.columns)
    assert f.loc["a", "events_12h"] == 1


def test_features_from_a_plain_frame() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["x", "x"],
            "event": ["open", "open"],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-03"], utc=True),
        }
    )
    f = churn_features(df, windows=["7D"])
    assert "value_total" not in f.columns
    assert f.loc["x", "events_7d"] == 2


def test_feature_errors(small_log: EventLog) -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"label window .* ends at 2024-04-15.*"
        r"Hint: use cutoff <= 2024-03-31",
    ):
        churn_features(small_log, cutoff="2024-04-01", horizon="14D")
    with pytest.raises(
        InvalidParameterError, match=r"cutoff='2024-05-01' is after the log's as_of"
    ):
        churn_features(small_log, cutoff="2024-05-01")
    with pytest.raises(InvalidParameterError, match=r"cutoff='2023-01-01' is before the first"):
        churn_features(small_log, cutoff="2023-01-01")
    with pytest.raises(InvalidParameterError, match=r"repeat a length"):
        churn_features(small_log, windows=["7D", "1W"])
    with pytest.raises(InvalidParameterError, match=r"windows is empty"):
        churn_features(small_log, windows=[])
    with pytest.raises(InvalidParameterError, match=r"Invalid windows='0D'. Window must be"):
        churn_features(small_log, windows=["0D"])
    with pytest.raises(InvalidParameterError, match=r"Unknown event name.*did you mean 'open'"):
        churn_features(small_log, activity_events=["opn"])
    # a table counts (empty-data policy): no user to describe is a zero-row table and a warning
    with pytest.warns(InsufficientDataWarning, match=r"No user has activity at or before cutoff"):
        empty = churn_features(
            small_log, cutoff="2024-02-01 00:00", active_within="1h", activity_events=["buy"]
        )
    assert empty.empty
    assert "recency_days" in empty.columns


def test_caller_frame_not_mutated() -> None:
    df = rows(("a", "open", "2024-01-01 00:00", None), ("a", "open", "2024-01-02 00:00", 1.0))
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    before = df.copy()
    churn_features(df)
    pd.testing.assert_frame_equal(df, before)


# ------------------------------------------------------------------ evaluation arithmetic


def test_evaluate_scores_hand_computed() -> None:
    y = np.array([True, False, True, False, False])
    p = np.array([0.9, 0.8, 0.3, 0.2, 0.05])
    out = _evaluate_scores(y, p, n_bins=2, top_k=[1, 2, 5])
    assert out["roc_auc"] == pytest.approx(5 / 6)
    assert out["brier_loss"] == pytest.approx(1.1825 / 5)
    assert out["base_rate"] == pytest.approx(0.4)
    cal = out["calibration_table"]
    assert cal["n_users"].tolist() == [3, 2]
    np.testing.assert_allclose(cal["mean_predicted"], [0.55 / 3, 0.85])
    np.testing.assert_allclose(cal["observed_rate"], [1 / 3, 0.5])
    top = out["top_k_table"]
    np.testing.assert_allclose(top["precision"], [1.0, 0.5, 0.4])
    np.testing.assert_allclose(top["recall"], [0.5, 0.5, 1.0])
    np.testing.assert_allclose(top["lift"], [2.5, 1.25, 1.0])


def test_evaluate_scores_errors() -> None:
    y = np.array([True, False])
    with pytest.raises(InsufficientDataError, match=r"2 users of whom 2 churned"):
        _evaluate_scores(np.array([True, True]), np.array([0.1, 0.2]), n_bins=5, top_k=None)
    with pytest.raises(InvalidParameterError, match=r"top_k must hold positive integers"):
        _evaluate_scores(y, np.array([0.1, 0.2]), n_bins=5, top_k=[0])
    with pytest.raises(InvalidParameterError, match=r"n_bins must be a positive integer"):
        _evaluate_scores(y, np.array([0.1, 0.2]), n_bins=0, top_k=None)


# ------------------------------------------------------------------ the model on an event log


@pytest.fixture(scope="module")
def product_log() -> EventLog:
    return synthetic(n_users=800, days=120, seed=7).events


ACTIVITY = ["app_open", "view_item", "like", "post", "share", "add_to_cart", "purchase"]


@pytest.fixture(scope="module")
def risk_model(product_log: EventLog) -> ChurnRiskModel:
    with threadpool_limits(1):
        return ChurnRiskModel(activity_events=ACTIVITY).fit(product_log)


def test_time_split_defaults(product_log: EventLog, risk_model: ChurnRiskModel) -> None:
    as_of = product_log.as_of
    assert as_of is not None
    assert risk_model.cutoff_ == as_of - pd.Timedelta("60D")
    report = risk_model.evaluate(product_log)
    assert isinstance(report, RiskEvaluation)
    assert report.params["cutoff"] == as_of - pd.Timedelta("30D")
    assert report.as_of == as_of - pd.Timedelta("30D")
    assert 0.5 < report.roc_auc <= 1
    assert 0 <= report.brier_loss <= 1
    assert report.pr_auc > report.base_rate
    assert report.n_users == int(report.calibration_table["n_users"].sum())
    tidy = report.to_frame()
    assert tidy["metric"].tolist() == [
        "roc_auc",
        "pr_auc",
        "brier_loss",
        "base_rate",
        "n_users",
        "n_churned",
    ]
    json.dumps(report.to_dict())


def test_predict_for_current_users(product_log: EventLog, risk_model: ChurnRiskModel) -> None:
    proba = risk_model.predict_proba(product_log)
    assert isinstance(proba, pd.DataFrame)
    assert list(proba.columns) == [False, True]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    current = churn_features(
        product_log, windows=["30D"], active_within="30D", activity_events=ACTIVITY
    )
    assert list(proba.index) == list(current.index)
    ranked = risk_model.churn_probability(product_log)
    assert ranked.name == "churn_probability"
    assert (np.diff(ranked.to_numpy()) <= 0).all()
    assert set(ranked.index) == set(proba.index)
    flags = risk_model.predict(product_log)
    assert flags.dtype == bool
    earlier = risk_model.predict_proba(product_log, as_of=product_log.as_of - pd.Timedelta("5D"))
    assert len(earlier) > 0


def test_training_never_reads_past_its_label_window(
    product_log: EventLog, risk_model: ChurnRiskModel
) -> None:
    cutoff = risk_model.cutoff_
    assert cutoff is not None
    truncated = product_log.until(cutoff + pd.Timedelta("30D"))
    again = ChurnRiskModel(activity_events=ACTIVITY).fit(truncated, cutoff=cutoff)
    x = churn_features(product_log, cutoff=cutoff, active_within="30D", activity_events=ACTIVITY)
    np.testing.assert_array_equal(again.predict_proba(x), risk_model.predict_proba(x))


def test_evaluate_overlap_warns(product_log: EventLog, risk_model: ChurnRiskModel) -> None:
    assert risk_model.cutoff_ is not None
    with pytest.warns(UseropsWarning, match=r"overlap in time and the scores are optimistic"):
        risk_model.evaluate(product_log, cutoff=risk_model.cutoff_ + pd.Timedelta("10D"))


def test_evaluate_label_window_must_be_closed(
    product_log: EventLog, risk_model: ChurnRiskModel
) -> None:
    with pytest.raises(InvalidParameterError, match=r"label window"):
        risk_model.evaluate(product_log, cutoff=product_log.as_of)


def test_fit_and_predict_on_feature_matrix(product_log: EventLog) -> None:
    f = churn_features(
        product_log,
        cutoff=product_log.as_of - pd.Timedelta("30D"),
        horizon="30D",
        active_within="30D",
        activity_events=ACTIVITY,
    )
    y = f.pop("churned")
    model = ChurnRiskModel(estimator=LogisticRegression(max_iter=1000), calibration=None)
    model.fit(f, y)
    assert model.cutoff_ is None
    assert list(model.feature_names_in_) == list(f.columns)
    proba = model.predict_proba(f)
    assert isinstance(proba, np.ndarray)
    assert ((proba >= 0) & (proba <= 1)).all()
    report = model.evaluate(f, y, top_k=5)
    assert report.top_k_table["k"].tolist() == [5]
    assert report.as_of is None


def test_model_errors(product_log: EventLog, risk_model: ChurnRiskModel) -> None:
    x = np.random.default_rng(0).normal(size=(20, 2))
    y = np.r_[np.zeros(10), np.ones(10)]
    with pytest.raises(InvalidParameterError, match=r"requires y to be passed"):
        ChurnRiskModel().fit(x)
    with pytest.raises(InvalidParameterError, match=r"cutoff= applies to event logs"):
        ChurnRiskModel().fit(x, y, cutoff="2024-01-01")
    with pytest.raises(InvalidParameterError, match=r"population must be 'active' or 'all'"):
        ChurnRiskModel(population="some").fit(x, y)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"calibration must be"):
        ChurnRiskModel(calibration="platt").fit(x, y)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"cv must be an integer >= 2"):
        ChurnRiskModel(cv=1).fit(x, y)
    with pytest.raises(InvalidParameterError, match=r"Invalid horizon='0D'. Window must be"):
        ChurnRiskModel(horizon="0D").fit(x, y)
    with pytest.raises(InsufficientDataError, match=r"only one class"):
        ChurnRiskModel().fit(x, np.zeros(20))
    with pytest.raises(InvalidParameterError, match=r"as_of= applies to event logs"):
        risk_model.predict_proba(x, as_of="2024-01-01")
    with pytest.raises(InvalidParameterError, match=r"evaluate\(X, y\)"):
        risk_model.evaluate(x)
    with pytest.raises(InvalidParameterError, match=r"for a feature matrix use predict_proba"):
        risk_model.churn_probability(x)  # type: ignore[arg-type]


def test_short_history(product_log: EventLog) -> None:
    short = product_log.until(product_log.start + pd.Timedelta("40D"))
    with pytest.raises(InsufficientDataError, match=r"shorter than two horizons of 30D"):
        ChurnRiskModel().fit(short)


def test_everyone_churned(small_log: EventLog) -> None:
    with pytest.raises(InsufficientDataError, match=r"3 of 3 users churned within 12h"):
        ChurnRiskModel(horizon="12h", population="all").fit(
            small_log.until("2024-03-02 00:00"), cutoff="2024-03-01 12:00"
        )


def test_not_fitted() -> None:
    with pytest.raises(NotFittedError, match=r"ChurnRiskModel is not fitted yet"):
        ChurnRiskModel().predict_proba(np.zeros((2, 2)))


def test_evaluation_plot(product_log: EventLog, risk_model: ChurnRiskModel) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = risk_model.evaluate(product_log).plot()
    assert ax.get_xlabel() == "predicted churn probability"
    plt.close("all")


# the contract is the wrapper's; a fast inner estimator keeps the ~45 checks quick
@parametrize_with_checks([ChurnRiskModel(estimator=LogisticRegression())])
def test_sklearn_estimator_checks(estimator: ChurnRiskModel, check: object) -> None:
    check(estimator)  # type: ignore[operator]


def test_default_model_accepts_missing_feature_values() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(120, 2))
    y = x[:, 0] + rng.normal(size=120) > 0
    x[::7, 1] = np.nan
    model = ChurnRiskModel(estimator=HistGradientBoostingClassifier(max_iter=5)).fit(x, y)
    assert model.__sklearn_tags__().input_tags.allow_nan
    assert (
        not ChurnRiskModel(estimator=LogisticRegression()).__sklearn_tags__().input_tags.allow_nan
    )
    proba = model.predict_proba(x)
    assert np.isfinite(proba).all()


# ------------------------------------------------------------------ early warning


@pytest.fixture(scope="module")
def warning_log() -> EventLog:
    """as_of 2024-04-01 00:00 UTC: recent = (03-25, 04-01], baseline = (02-26, 03-25]."""
    noon = pd.Timedelta("12h")
    records: list[tuple[str, str, pd.Timestamp]] = []

    def daily(user: str, start: str, end: str, step: int = 1, event: str = "open") -> None:
        for day in pd.date_range(start, end, freq=f"{step}D", tz="UTC"):
            records.append((user, event, day + noon))

    daily("steady", "2024-02-20", "2024-03-31")
    daily("fading", "2024-02-20", "2024-03-24")
    daily("fading", "2024-03-28", "2024-03-28")
    daily("newbie", "2024-03-21", "2024-03-24")
    daily("half", "2024-02-26", "2024-03-24", step=2)
    daily("half", "2024-03-26", "2024-03-28", step=2)
    daily("gone", "2024-03-01", "2024-03-01")
    daily("fresh", "2024-03-30", "2024-03-31")
    daily("poster", "2024-03-01", "2024-03-08", event="post")
    daily("poster", "2024-03-27", "2024-03-27", event="post")
    df = pd.DataFrame(records, columns=["user_id", "event", "timestamp"])
    return EventLog.from_pandas(df, as_of="2024-04-01 00:00")


def test_early_warning_hand_computed(warning_log: EventLog) -> None:
    flags = early_warning(warning_log)
    assert list(flags.index) == ["newbie", "gone", "fading", "poster"]
    assert list(flags.columns) == [
        "baseline_count",
        "recent_count",
        "baseline_days",
        "baseline_per_day",
        "recent_per_day",
        "drop_rate",
        "days_since_last",
    ]
    newbie = flags.loc["newbie"]
    # first seen 03-21 12:00, 3.5 days before the recent window: 4 active days in 3.5 days
    assert (newbie["baseline_count"], newbie["recent_count"]) == (4, 0)
    assert newbie["baseline_days"] == pytest.approx(3.5)
    assert newbie["baseline_per_day"] == pytest.approx(4 / 3.5)
    assert newbie["drop_rate"] == 1.0
    fading = flags.loc["fading"]
    assert (fading["baseline_count"], fading["recent_count"]) == (28, 1)
    assert fading["baseline_per_day"] == pytest.approx(1.0)
    assert fading["recent_per_day"] == pytest.approx(1 / 7)
    assert fading["drop_rate"] == pytest.approx(6 / 7)
    assert fading["days_since_last"] == pytest.approx(3.5)
    # gone: one day, first seen 03-01 12:00, 23.5 days before the recent window
    assert flags.loc["gone", "baseline_per_day"] == pytest.approx(1 / 23.5)


def test_early_warning_thresholds(warning_log: EventLog) -> None:
    # half: 14 active days in the 27.5 days since 02-26 12:00, then 2 of the last 7 days
    assert "half" not in early_warning(warning_log, drop=0.5).index
    loose = early_warning(warning_log, drop=0.4)
    assert loose.loc["half", "drop_rate"] == pytest.approx(1 - (2 / 7) / (14 / 27.5))
    assert list(early_warning(warning_log, drop=1.0).index) == ["newbie", "gone"]
    assert "gone" not in early_warning(warning_log, min_baseline=2).index


def test_early_warning_on_an_event(warning_log: EventLog) -> None:
    flags = early_warning(warning_log, indicator="post", baseline="35D", recent="7D")
    # 8 posts in (02-19, 03-25] from first seen 03-01 12:00 (23.5 days), 1 post in the last 7
    row = flags.loc["poster"]
    assert (row["baseline_count"], row["recent_count"]) == (8, 1)
    assert row["baseline_days"] == pytest.approx(23.5)
    assert row["drop_rate"] == pytest.approx(1 - (1 / 7) / (8 / 23.5))
    assert list(flags.index) == ["poster"]


def test_early_warning_as_of_and_activity(warning_log: EventLog) -> None:
    earlier = early_warning(warning_log, as_of="2024-03-26 00:00")
    assert "fading" not in earlier.index
    opens = early_warning(warning_log, activity_events=["open"])
    assert "poster" not in opens.index


def test_early_warning_nobody_flagged_is_empty(warning_log: EventLog) -> None:
    out = early_warning(warning_log.filter_users(["steady"]))
    assert out.empty
    assert out.index.name == "user_id"


def test_early_warning_errors(warning_log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"Unknown event name.*did you mean 'post'"):
        early_warning(warning_log, indicator="posts")
    with pytest.raises(InvalidParameterError, match=r"drop must be in \(0, 1\], got 0"):
        early_warning(warning_log, drop=0)
    with pytest.raises(InvalidParameterError, match=r"drop must be in \(0, 1\], got 1\.5"):
        early_warning(warning_log, drop=1.5)
    with pytest.raises(InvalidParameterError, match=r"as_of='2024-05-01' is after"):
        early_warning(warning_log, as_of="2024-05-01")
    with pytest.raises(InvalidParameterError, match=r"as_of='2020-01-01' is before the first"):
        early_warning(warning_log, as_of="2020-01-01")
    with pytest.raises(InvalidParameterError, match=r"Invalid baseline='0D'. Window must be"):
        early_warning(warning_log, baseline="0D")
    with pytest.raises(InvalidParameterError, match=r"min_baseline must be a number >= 0"):
        early_warning(warning_log, min_baseline=-1)
    with pytest.raises(InvalidParameterError, match=r"indicator must be 'active_days'"):
        early_warning(warning_log, indicator=3)  # type: ignore[arg-type]
