"""ChurnDrivers (Cox) and indicator_comparison: hand-computed cases, lifelines parity, bad input."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.statistics import proportional_hazard_test
from lifelines.utils import concordance_index as lifelines_concordance
from scipy import stats
from sklearn.base import clone

from useropslib.churn._drivers import (
    ChurnDrivers,
    _schoenfeld_residuals,
    concordance_counts,
    concordance_index,
    indicator_comparison,
)
from useropslib.exceptions import (
    ConvergenceWarning,
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
    NotFittedError,
    UseropsError,
    UseropsWarning,
)


def survival_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Two covariates with known log hazard ratios 0.7 and -0.5; whole-day durations, ties."""
    rng = np.random.default_rng(seed)
    vip = (rng.random(n) < 0.4).astype(float)
    posts = rng.poisson(2.0, n).astype(float)
    t = rng.exponential(30.0 / np.exp(0.7 * vip - 0.5 * posts))
    days = np.ceil(t)
    return pd.DataFrame(
        {
            "vip": vip,
            "posts": posts,
            "duration": np.minimum(days, 60.0),
            "observed": days <= 60,
        }
    )


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return survival_frame()


@pytest.fixture(scope="module")
def fitted(frame: pd.DataFrame) -> ChurnDrivers:
    return ChurnDrivers().fit(frame)


# ------------------------------------------------------------------ concordance and residuals


def test_concordance_hand_computed() -> None:
    # pairs (i event, j later): (0,1) risk 3>1 yes, (0,2) 3>2 yes, (1,2) 1<2 no -> 2 of 3
    durations = np.array([1.0, 2.0, 3.0])
    events = np.array([True, True, False])
    risk = np.array([3.0, 1.0, 2.0])
    assert concordance_counts(durations, events, risk) == (2, 0, 3)
    assert concordance_index(durations, events, risk) == pytest.approx(2 / 3)


def test_concordance_ties_follow_lifelines() -> None:
    # a censored subject compares with events at its own time; two events at one time do not
    durations = np.array([2.0, 2.0, 2.0, 5.0])
    events = np.array([True, True, False, False])
    risk = np.array([1.0, 1.0, 1.0, 0.0])
    correct, tied, pairs = concordance_counts(durations, events, risk)
    # events 0 and 1 each compare with subject 2 (tie in risk) and subject 3 (concordant)
    assert (correct, tied, pairs) == (2, 2, 4)
    expected = lifelines_concordance(durations, -risk, events)
    assert concordance_index(durations, events, risk) == pytest.approx(expected)


def test_concordance_matches_lifelines_on_random_data() -> None:
    rng = np.random.default_rng(3)
    for _ in range(40):
        n = int(rng.integers(2, 80))
        durations = rng.integers(1, 12, n).astype(float)
        events = rng.random(n) < 0.6
        risk = rng.integers(0, 6, n).astype(float)
        if not events.any():
            continue
        ours = concordance_index(durations, events, risk)
        assert ours == pytest.approx(lifelines_concordance(durations, -risk, events))


def test_concordance_without_comparable_pairs_is_nan() -> None:
    value = concordance_index(np.array([1.0, 2.0]), np.array([False, False]), np.array([1.0, 2.0]))
    assert np.isnan(value)


def test_schoenfeld_residuals_match_lifelines(frame: pd.DataFrame) -> None:
    cph = CoxPHFitter().fit(frame, "duration", "observed")
    theirs = cph.compute_residuals(frame, kind="schoenfeld")  # sorted by duration
    order = cph.durations.index.to_numpy()
    events = frame["observed"].to_numpy()
    matrix = frame[["vip", "posts"]].to_numpy(dtype=float)
    ours = _schoenfeld_residuals(
        matrix[order], frame["duration"].to_numpy()[order], events[order], cph.params_.to_numpy()
    )
    np.testing.assert_allclose(ours, theirs.to_numpy(), atol=1e-10)


def test_ph_test_matches_lifelines(frame: pd.DataFrame, fitted: ChurnDrivers) -> None:
    cph = CoxPHFitter().fit(frame, "duration", "observed")
    theirs = proportional_hazard_test(cph, frame, time_transform="rank").summary
    assert fitted.ph_test_ is not None
    for name in ("vip", "posts"):
        assert fitted.ph_test_.loc[name, "test_statistic"] == pytest.approx(
            theirs.loc[name, "test_statistic"], rel=1e-9
        )
        assert fitted.ph_test_.loc[name, "p_value"] == pytest.approx(theirs.loc[name, "p"])


# ------------------------------------------------------------------ fit


def test_fit_matches_lifelines(frame: pd.DataFrame, fitted: ChurnDrivers) -> None:
    cph = CoxPHFitter().fit(frame, "duration", "observed")
    np.testing.assert_allclose(fitted.coef_.to_numpy(), cph.params_.to_numpy(), atol=1e-10)
    np.testing.assert_allclose(
        fitted.summary_["se"].to_numpy(), cph.standard_errors_.to_numpy(), atol=1e-10
    )
    assert fitted.log_likelihood_ == pytest.approx(cph.log_likelihood_)
    assert fitted.concordance_index_ == pytest.approx(cph.concordance_index_)
    assert fitted.aic_partial_ == pytest.approx(cph.AIC_partial_)
    lr = cph.log_likelihood_ratio_test()
    assert fitted.log_likelihood_ratio_test_["statistic"] == pytest.approx(lr.test_statistic)
    assert fitted.log_likelihood_ratio_test_["df"] == 2


def test_summary_columns_and_intervals(fitted: ChurnDrivers) -> None:
    s = fitted.summary_
    assert list(s.columns) == [
        "coef",
        "se",
        "lower",
        "upper",
        "hazard_ratio",
        "hazard_ratio_lower",
        "hazard_ratio_upper",
        "z",
        "p_value",
    ]
    assert s.index.name == "covariate"
    assert list(s.index) == ["vip", "posts"]
    np.testing.assert_allclose(s["hazard_ratio"], np.exp(s["coef"]))
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(s["hazard_ratio_lower"], np.exp(s["coef"] - z * s["se"]))
    np.testing.assert_allclose(s["p_value"], 2 * stats.norm.sf(np.abs(s["coef"] / s["se"])))
    # the simulated effects are recovered (vip raises churn, posts lower it)
    assert s.loc["vip", "hazard_ratio"] > 1 > s.loc["posts", "hazard_ratio"]
    assert (fitted.n_observations_, fitted.n_features_in_) == (300, 2)
    assert fitted.n_events_ == int(survival_frame()["observed"].sum())


def test_alpha_sets_interval_level(frame: pd.DataFrame, fitted: ChurnDrivers) -> None:
    wide = ChurnDrivers(ci_alpha=0.01).fit(frame)
    assert (wide.summary_["hazard_ratio_lower"] < fitted.summary_["hazard_ratio_lower"]).all()
    assert (wide.summary_["hazard_ratio_upper"] > fitted.summary_["hazard_ratio_upper"]).all()


def test_x_y_forms_agree(frame: pd.DataFrame, fitted: ChurnDrivers) -> None:
    x = frame[["vip", "posts"]]
    as_frame = ChurnDrivers().fit(x, frame[["duration", "observed"]])
    structured = np.zeros(len(frame), dtype=[("event", bool), ("time", float)])
    structured["event"] = frame["observed"]
    structured["time"] = frame["duration"]
    as_struct = ChurnDrivers().fit(x, structured)
    as_pairs = ChurnDrivers().fit(x.to_numpy(), frame[["duration", "observed"]].to_numpy(float))
    for other in (as_frame, as_struct):
        np.testing.assert_allclose(other.coef_.to_numpy(), fitted.coef_.to_numpy())
    np.testing.assert_allclose(as_pairs.coef_.to_numpy(), fitted.coef_.to_numpy())
    assert list(as_pairs.feature_names_in_) == ["x0", "x1"]


def test_covariates_selects_columns(frame: pd.DataFrame) -> None:
    with_id = frame.assign(user_id=[f"u{i}" for i in range(len(frame))])
    model = ChurnDrivers().fit(with_id, covariates=["vip"])
    assert list(model.summary_.index) == ["vip"]


def test_timedelta_durations_are_days(frame: pd.DataFrame, fitted: ChurnDrivers) -> None:
    td = frame.assign(duration=pd.to_timedelta(frame["duration"], unit="D"))
    model = ChurnDrivers().fit(td)
    np.testing.assert_allclose(model.coef_.to_numpy(), fitted.coef_.to_numpy())


def test_bool_covariates_and_custom_column_names(frame: pd.DataFrame) -> None:
    renamed = frame.rename(columns={"duration": "days", "observed": "lost"}).assign(
        vip=frame["vip"].astype(bool)
    )
    model = ChurnDrivers().fit(renamed, duration_col="days", event_col="lost")
    assert model.n_features_in_ == 2


def test_caller_frame_not_mutated(frame: pd.DataFrame) -> None:
    before = frame.copy()
    ChurnDrivers().fit(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_penalizer_shrinks(frame: pd.DataFrame, fitted: ChurnDrivers) -> None:
    ridge = ChurnDrivers(penalizer=1.0).fit(frame)
    assert (ridge.coef_.abs() < fitted.coef_.abs()).all()
    lasso = ChurnDrivers(penalizer=1.0, l1_ratio=1.0).fit(frame)
    assert lasso.coef_.abs().sum() < fitted.coef_.abs().sum()


def test_diagnostics_are_computed_on_first_access_and_cached(frame: pd.DataFrame) -> None:
    eager = ChurnDrivers(check_assumptions=True).fit(frame)
    lazy = ChurnDrivers().fit(frame)
    assert "ph_test" in eager._diagnostics
    assert lazy._diagnostics == {}  # fit computed neither the concordance nor the PH test
    pd.testing.assert_frame_equal(lazy.ph_test_, eager.ph_test_)
    assert lazy.ph_test_ is lazy.ph_test_  # cached
    assert lazy.concordance_index_ == eager.concordance_index_
    assert set(lazy._diagnostics) == {"ph_test", "concordance"}
    lazy.fit(frame.iloc[:200])  # a new fit drops the old diagnostics
    assert lazy._diagnostics == {}
    assert lazy.concordance_index_ == ChurnDrivers().fit(frame.iloc[:200]).concordance_index_


def test_ph_violation_warns_naming_covariate() -> None:
    # the effect of "early" reverses over time: strong at first, none later
    rng = np.random.default_rng(5)
    n = 600
    early = (rng.random(n) < 0.5).astype(float)
    t = np.where(early == 1, rng.exponential(5.0, n), rng.exponential(40.0, n))
    t = np.where((early == 1) & (t > 5), 5 + rng.exponential(200.0, n), t)
    data = pd.DataFrame(
        {"early": early, "noise": rng.normal(size=n), "duration": np.ceil(t), "observed": True}
    )
    data.loc[data["duration"] > 90, ["duration", "observed"]] = [90.0, False]
    with pytest.warns(UseropsWarning, match=r"\['early'\] may violate the proportional-hazards"):
        model = ChurnDrivers(check_assumptions=True).fit(data)
    assert bool(model.ph_test_.loc["early", "violated"])
    assert not bool(model.ph_test_.loc["noise", "violated"])
    # not asked for at fit time: no test, no warning; the frame on access says the same
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = ChurnDrivers().fit(data)
        pd.testing.assert_frame_equal(quiet.ph_test_, model.ph_test_)


# ------------------------------------------------------------------ prediction


def test_predict_partial_hazard_matches_lifelines(
    frame: pd.DataFrame, fitted: ChurnDrivers
) -> None:
    cph = CoxPHFitter().fit(frame, "duration", "observed")
    new = frame[["posts", "vip"]].iloc[:5].set_axis(list("abcde"))  # column order does not matter
    ours = fitted.predict_partial_hazard(new)
    assert ours.name == "partial_hazard"
    assert list(ours.index) == list("abcde")
    np.testing.assert_allclose(ours.to_numpy(), cph.predict_partial_hazard(new).to_numpy())
    arr = fitted.predict_partial_hazard(new[["vip", "posts"]].to_numpy())
    np.testing.assert_allclose(arr.to_numpy(), ours.to_numpy())


def test_predict_survival_rows_are_users(fitted: ChurnDrivers, frame: pd.DataFrame) -> None:
    surv = fitted.predict_survival(frame.iloc[:3], times=[0, 10, 30, 60])
    assert surv.shape == (3, 4)
    assert list(surv.columns) == [0.0, 10.0, 30.0, 60.0]
    values = surv.to_numpy()
    assert ((values >= 0) & (values <= 1)).all()
    assert (np.diff(values, axis=1) <= 1e-12).all()
    default = fitted.predict_survival(frame.iloc[:2])
    assert default.shape[1] == frame["duration"].nunique()


def test_score_is_concordance(fitted: ChurnDrivers, frame: pd.DataFrame) -> None:
    assert fitted.score(frame) == pytest.approx(fitted.concordance_index_)


def test_plot_returns_axes(fitted: ChurnDrivers) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = fitted.plot()
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["posts", "vip"]
    plt.close("all")


# ------------------------------------------------------------------ estimator contract


def test_sklearn_contract(frame: pd.DataFrame) -> None:
    model = ChurnDrivers(penalizer=0.1)
    assert model.get_params() == {
        "batch_mode": True,
        "check_assumptions": False,
        "ci_alpha": 0.05,
        "l1_ratio": 0.0,
        "penalizer": 0.1,
    }
    assert repr(model) == "ChurnDrivers(penalizer=0.1)"
    assert model.fit(frame) is model
    fresh = clone(model)
    assert not hasattr(fresh, "summary_")
    with pytest.raises(NotFittedError, match=r"not fitted yet.*Hint: call ChurnDrivers\(\)\.fit"):
        fresh.predict_partial_hazard(frame)
    with pytest.raises(AttributeError):
        fresh.plot()
    assert not hasattr(fresh, "concordance_index_")
    with pytest.raises(NotFittedError, match=r"not fitted yet"):
        fresh.ph_test_  # noqa: B018
    restored = pickle.loads(pickle.dumps(model))  # the lazy diagnostics survive a round trip
    assert restored.concordance_index_ == model.concordance_index_


# ------------------------------------------------------------------ bad input


def test_non_numeric_covariate_hints_encoding(frame: pd.DataFrame) -> None:
    bad = frame.assign(channel=["ads", "seo", "organic"] * 100)
    with pytest.raises(
        InvalidParameterError, match=r"\{'channel': '(object|str)'\} are not numeric"
    ):
        ChurnDrivers().fit(bad)
    with pytest.raises(
        InvalidParameterError, match=r"pd\.get_dummies\(frame, columns=\['channel'\]"
    ):
        ChurnDrivers().fit(bad)


def test_missing_values_named_with_counts(frame: pd.DataFrame) -> None:
    bad = frame.copy()
    bad.loc[[0, 1], "posts"] = np.nan
    bad.loc[7, "vip"] = np.inf
    with pytest.raises(
        InvalidParameterError,
        match=r"\{'vip': 1, 'posts': 2\} \(3 of 300 rows affected\).*dropna",
    ):
        ChurnDrivers().fit(bad)
    # the survival target goes through the check every survival function shares
    no_duration = frame.copy()
    no_duration.loc[[1, 5], "duration"] = np.nan
    with pytest.raises(
        InvalidParameterError,
        match=r"duration column 'duration' has 2 missing or infinite value\(s\) among 300 rows",
    ):
        ChurnDrivers().fit(no_duration)


def test_too_few_events(frame: pd.DataFrame) -> None:
    few = frame.assign(observed=False)
    few.loc[0, "observed"] = True
    few.loc[1, "observed"] = True
    with pytest.raises(InsufficientDataError, match=r"2 churn event\(s\) among 300 rows for 2"):
        ChurnDrivers().fit(few)


def test_all_censored(frame: pd.DataFrame) -> None:
    with pytest.raises(InsufficientDataError, match=r"none of the 300 rows is a churn event"):
        ChurnDrivers().fit(frame.assign(observed=0))


def test_few_events_per_covariate_warns(frame: pd.DataFrame) -> None:
    few = frame.assign(observed=False)
    few.loc[:9, "observed"] = True
    with pytest.warns(InsufficientDataWarning, match=r"10 churn events for 2 covariates \(5\.0"):
        ChurnDrivers(check_assumptions=False).fit(few)


def test_negative_duration(frame: pd.DataFrame) -> None:
    bad = frame.copy()
    bad.loc[3, "duration"] = -2
    with pytest.raises(InvalidParameterError, match=r"1 negative duration\(s\).*smallest -2"):
        ChurnDrivers().fit(bad)


def test_event_column_not_binary(frame: pd.DataFrame) -> None:
    bad = frame.assign(observed=frame["observed"].astype(int) * 2)
    with pytest.raises(InvalidParameterError, match=r"must hold 0/1 or True/False.*\[2\]"):
        ChurnDrivers().fit(bad)


def test_missing_duration_column_suggests(frame: pd.DataFrame) -> None:
    with pytest.raises(
        InvalidParameterError, match=r"Unknown duration_col='durations'.*'duration'"
    ):
        ChurnDrivers().fit(frame, duration_col="durations")
    with pytest.raises(
        InvalidParameterError, match=r"Unknown event_col='observe'.*event_col='observed'"
    ):
        ChurnDrivers().fit(frame, event_col="observe")


def test_constant_covariate(frame: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"\['flag'\] take a single value"):
        ChurnDrivers().fit(frame.assign(flag=1.0))


def test_no_covariates(frame: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"no covariates"):
        ChurnDrivers().fit(frame[["duration", "observed"]])


def test_unknown_covariate(frame: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"\['vips'\] are missing.*did you mean 'vip'"):
        ChurnDrivers().fit(frame, covariates=["vips"])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"penalizer": -1.0}, r"penalizer must be a number >= 0, got -1\.0"),
        ({"l1_ratio": 2.0}, r"l1_ratio must be in \[0, 1\], got 2\.0"),
        ({"ci_alpha": 1.5}, r"ci_alpha must be in \(0, 1\), got 1\.5"),
    ],
)
def test_bad_parameters(frame: pd.DataFrame, params: dict[str, float], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        ChurnDrivers(**params).fit(frame)  # type: ignore[arg-type]


def test_bad_target_shapes(frame: pd.DataFrame) -> None:
    x = frame[["vip", "posts"]]
    with pytest.raises(InvalidParameterError, match=r"without y"):
        ChurnDrivers().fit(x.to_numpy())
    with pytest.raises(InvalidParameterError, match=r"y has shape \(300,\)"):
        ChurnDrivers().fit(x, frame["duration"])
    with pytest.raises(InvalidParameterError, match=r"X has 300 rows but y has 10"):
        ChurnDrivers().fit(x, frame[["duration", "observed"]].iloc[:10])
    structured = np.zeros(len(frame), dtype=[("a", float), ("b", float)])
    with pytest.raises(InvalidParameterError, match=r"cannot tell durations from events"):
        ChurnDrivers().fit(x, structured)


def test_prediction_input_errors(fitted: ChurnDrivers, frame: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"\['posts'\] are missing"):
        fitted.predict_partial_hazard(frame[["vip"]])
    with pytest.raises(InvalidParameterError, match=r"X has 1 columns but the model was fitted"):
        fitted.predict_partial_hazard(np.ones((3, 1)))
    with pytest.raises(InvalidParameterError, match=r"\{'posts': 1\}"):
        fitted.predict_survival(frame.assign(posts=[np.nan] + [1.0] * 299))
    with pytest.raises(InvalidParameterError, match=r"times must be finite and >= 0"):
        fitted.predict_survival(frame, times=[-1])


def test_collinear_covariates_warn_by_name(frame: pd.DataFrame) -> None:
    dup = frame.assign(posts_copy=frame["posts"] * 2 + 1)
    with pytest.warns(UseropsWarning, match=r"'posts' and 'posts_copy' \(correlation \+1\.0000\)"):
        model = ChurnDrivers(penalizer=0.1, check_assumptions=False).fit(dup)
    assert np.isfinite(model.summary_["se"]).all()
    with (
        pytest.warns(UseropsWarning, match=r"collinear"),
        pytest.raises(InvalidParameterError, match=r"the Cox fit failed.*set penalizer > 0"),
    ):
        ChurnDrivers().fit(dup)


def test_linear_combination_warns_naming_all(frame: pd.DataFrame) -> None:
    combo = frame.assign(total=frame["vip"] + frame["posts"])
    with pytest.warns(UseropsWarning, match=r"\['vip', 'posts', 'total'\] \(one is a linear"):
        ChurnDrivers(penalizer=0.1, check_assumptions=False).fit(combo)


def test_lifelines_warnings_become_ours(frame: pd.DataFrame) -> None:
    separated = frame.assign(flag=frame["observed"].astype(float))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ChurnDrivers(check_assumptions=False).fit(separated)
    kinds = {w.category for w in caught}
    assert ConvergenceWarning in kinds
    assert all(issubclass(k, UseropsWarning) for k in kinds)
    text = " ".join(str(w.message) for w in caught)
    assert "complete separation" in text
    assert "__event__" not in text


def test_plot_without_matplotlib(fitted: ChurnDrivers, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(UseropsError, match=r'pip install "useropslib\[plot\]"'):
        fitted.plot()


# ------------------------------------------------------------------ indicator comparison


@pytest.fixture(scope="module")
def users() -> pd.DataFrame:
    """The article's example: 20% of churned users uploaded an avatar, 80% of retained."""
    return pd.DataFrame(
        {
            "churned": [True] * 50 + [False] * 50,
            "uploaded_avatar": [1] * 10 + [0] * 40 + [1] * 40 + [0] * 10,
            "posts": np.r_[np.arange(50), np.arange(20, 70)].astype(float),
            "channel": ["ads", "seo"] * 50,
        }
    )


def test_avatar_example_z_test(users: pd.DataFrame) -> None:
    table = indicator_comparison(users, churned_col="churned")
    row = table.loc["uploaded_avatar"]
    assert (row["kind"], row["test"]) == ("binary", "z")
    assert (row["churned"], row["retained"]) == (pytest.approx(0.2), pytest.approx(0.8))
    assert row["ratio"] == pytest.approx(0.25)
    assert row["difference"] == pytest.approx(-0.6)
    # pooled p = 0.5: se = sqrt(0.25 * (1/50 + 1/50)) = 0.1, z = -0.6 / 0.1 = -6
    assert row["statistic"] == pytest.approx(-6.0)
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(6.0))
    assert (row["n_churned"], row["n_retained"]) == (50, 50)
    assert "channel" not in table.index  # text columns are left out by default


def test_numeric_feature_uses_mann_whitney(users: pd.DataFrame) -> None:
    row = indicator_comparison(users, churned_col="churned", features=["posts"]).loc["posts"]
    expected = stats.mannwhitneyu(np.arange(50), np.arange(20, 70), alternative="two-sided")
    assert (row["kind"], row["test"]) == ("numeric", "mann-whitney")
    assert row["churned"] == pytest.approx(24.5)
    assert row["retained"] == pytest.approx(44.5)
    assert row["statistic"] == pytest.approx(expected.statistic)
    assert row["p_value"] == pytest.approx(expected.pvalue)


def test_benjamini_hochberg_adjustment(users: pd.DataFrame) -> None:
    table = indicator_comparison(users, churned_col="churned")
    p = table["p_value"].to_numpy()
    # two tests sorted by p: adjusted = min over k >= i of p_(k) * m / k
    m = len(p)
    expected = np.minimum.accumulate((p * m / np.arange(1, m + 1))[::-1])[::-1]
    np.testing.assert_allclose(table["p_adjusted"].to_numpy(), np.minimum(expected, 1))
    assert list(table.index) == ["uploaded_avatar", "posts"]  # most significant first
    assert table["significant"].all()


def test_small_counts_use_fisher() -> None:
    small = pd.DataFrame({"churned": [1, 1, 1, 0, 0, 0, 0], "vip": [0, 0, 1, 1, 1, 1, 0]})
    row = indicator_comparison(small, churned_col="churned").loc["vip"]
    expected = stats.fisher_exact([[1, 2], [3, 1]])
    assert row["test"] == "fisher"
    assert row["statistic"] == pytest.approx(expected.statistic)
    assert row["p_value"] == pytest.approx(expected.pvalue)
    forced = indicator_comparison(small, churned_col="churned", binary_test="z").loc["vip"]
    assert forced["test"] == "z"


def test_missing_feature_values_left_out_per_feature() -> None:
    data = pd.DataFrame(
        {"churned": [True, True, False, False], "score": [1.0, np.nan, 3.0, 4.0], "x": [1, 2, 3, 5]}
    )
    table = indicator_comparison(data, churned_col="churned")
    assert (table.loc["score", "n_churned"], table.loc["score", "n_retained"]) == (1, 2)
    assert table.loc["x", "n_churned"] == 2


def test_constant_feature_is_not_significant() -> None:
    data = pd.DataFrame({"churned": [1, 0] * 10, "flag": 1, "level": 3.0})
    table = indicator_comparison(data, churned_col="churned")
    assert table.loc["flag", "p_value"] == 1.0
    assert table.loc["level", "p_value"] == 1.0


def test_indicator_comparison_errors(users: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"'churn' is not in the data.*'churned'"):
        indicator_comparison(users, churned_col="churn")
    with pytest.raises(
        InvalidParameterError, match=r"\{'channel': '(object|str)'\} are not numeric"
    ):
        indicator_comparison(users, churned_col="churned", features=["channel"])
    with pytest.raises(InsufficientDataError, match=r"50 churned and 0 retained"):
        indicator_comparison(users[users["churned"]], churned_col="churned")
    with pytest.raises(InvalidParameterError, match=r"must hold 0/1 or True/False.*1 missing"):
        indicator_comparison(users.assign(churned=[np.nan] + [1.0] * 99), churned_col="churned")
    with pytest.raises(InvalidParameterError, match=r"binary_test must be"):
        indicator_comparison(users, churned_col="churned", binary_test="chi2")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"no numeric or boolean feature"):
        indicator_comparison(users[["churned", "channel"]], churned_col="churned")
    with pytest.raises(InvalidParameterError, match=r"expected a pandas DataFrame"):
        indicator_comparison([1, 2], churned_col="churned")  # type: ignore[arg-type]
