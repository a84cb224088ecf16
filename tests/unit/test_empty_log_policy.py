"""The empty-data policy (conventions page): counting functions warn and return zero-size or
all-zero results; estimating functions raise InsufficientDataError."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import useropslib as uo
from useropslib.events import EventLog
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
)
from useropslib.models import BehaviourCondition, Campaign, Goal, NewUsersSpec


@pytest.fixture(scope="module")
def empty() -> EventLog:
    df = pd.DataFrame(
        {
            "user_id": pd.Series([], dtype=object),
            "event": pd.Series([], dtype=object),
            "timestamp": pd.Series([], dtype="datetime64[ns, UTC]"),
            "value": pd.Series([], dtype=float),
        }
    )
    return EventLog.from_pandas(df, allow_empty=True)


m, c, s, k, pa = uo.metrics, uo.churn, uo.segments, uo.campaigns, uo.paths
MODULES = (m, s, c, k, pa)
BUYERS = uo.Segment(name="buyers", condition=BehaviourCondition(event="purchase"))
SURVIVAL = pd.DataFrame(
    {
        "duration": pd.Series([], dtype=float),
        "observed": pd.Series([], dtype=bool),
        "arm": pd.Series([], dtype=object),
    }
)
GOAL = Goal(
    metric=NewUsersSpec(), target=30, start="2024-03-01T00:00Z", deadline="2024-03-31T00:00Z"
)
# a log with events, for the inputs (an audience) that an empty log cannot give
BUSY = EventLog.from_pandas(
    pd.DataFrame(
        {
            "user_id": ["a", "b", "a"],
            "event": "open",
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-20"], utc=True),
        }
    )
)
CAMPAIGN = Campaign(
    id="c",
    name="Push",
    type="acquisition",
    primary_goal=Goal(metric=NewUsersSpec(), target=5, start="2024-03-01"),
)

# functions that count: a zero-size (or all-zero) result with an InsufficientDataWarning
COUNTING: dict[str, Callable[[EventLog], Any]] = {
    "metrics.active_users": lambda log: m.active_users(log),
    "metrics.stickiness_ratio": lambda log: m.stickiness_ratio(log),
    "metrics.stickiness": lambda log: m.stickiness(log),
    "metrics.retention": lambda log: m.retention(log),
    "metrics.funnel": lambda log: m.funnel(log, [None, None]),
    "metrics.onboarding": lambda log: m.onboarding(log, ["signup", "profile"]),
    "metrics.lifecycle": lambda log: m.lifecycle(log),
    "metrics.growth_accounting": lambda log: m.growth_accounting(log),
    "metrics.growth_states": lambda log: m.growth_states(log),
    "metrics.activation": lambda log: m.activation(log, key_event="a"),
    "metrics.revenue": lambda log: m.revenue(log),
    "metrics.ltv_curve": lambda log: m.ltv_curve(log),
    "metrics.message_funnel": lambda log: m.message_funnel(log),
    "segments.members": lambda log: pd.Series(1, index=s.members(log, BUYERS)),
    "segments.evaluate_segment": lambda log: s.evaluate_segment(log, BUYERS).astype(int),
    "segments.membership": lambda log: s.membership(log, BUYERS).table,
    "segments.rfm": lambda log: s.rfm(log),
    "segments.lifecycle_stages": lambda log: s.lifecycle_stages(log),
    "segments.value_tiers": lambda log: s.value_tiers(log),
    "segments.compare_segments": lambda log: s.compare_segments(log, {"a": ["u1"]}).table[
        ["n_users"]
    ],
    "churn.churn_labels": lambda log: c.churn_labels(log, "30D"),
    "churn.churn_rate": lambda log: c.churn_rate(log, "30D"),
    "churn.survival_frame": lambda log: c.survival_frame(log, "30D", early_window="7D"),
    "churn.rfm_summary": lambda log: c.rfm_summary(log),
    "churn.churn_features": lambda log: c.churn_features(log),
    "metrics.payback": lambda log: m.payback(log, cac={"ads": 1.0}, breakdown="channel"),
    "campaigns.measure": lambda log: pd.Series(
        [k.measure(NewUsersSpec(), log, start="2024-01-01", end="2024-01-08")]
    ),
    # the measured actual is the count (the target and the pace it implies are the goal's)
    "campaigns.progress": lambda log: pd.Series([k.progress(GOAL, log, as_of="2024-03-05").actual]),
    "campaigns.pacing": lambda log: pd.Series(
        [k.pacing(GOAL, log, as_of="2024-03-11T00:00Z").actual]
    ),
}

# the paths functions count (sessions, transitions, paths) or return a log of what they found
COUNTING.update(
    {
        "paths.clean_log": lambda log: pa.clean_log(log).to_pandas(),
        "paths.session_log": lambda log: pa.session_log(log).to_pandas(),
        "paths.sessions": lambda log: pa.sessions(log),
        "paths.session_metrics": lambda log: pa.session_metrics(log),
        "paths.transitions": lambda log: pa.transitions(log),
        "paths.paths": lambda log: pa.paths(log),
        "paths.top_paths": lambda log: pa.top_paths(log),
        "paths.step_matrix": lambda log: pa.step_matrix(log),
        "paths.conversion_paths": lambda log: pa.conversion_paths(log, entry="a", target="b"),
        "paths.core_path": lambda log: pa.core_path(log, steps=["a", "b"]),
        "paths.paths_report": lambda log: pd.Series(
            [
                float(f.select_dtypes(include=["int", "float"]).abs().sum().sum())
                for f in pa.paths_report(log).values()
            ]
        ),
    }
)

# functions that estimate: InsufficientDataError (the empty input is the data they are given)
ESTIMATING: dict[str, tuple[Callable[[EventLog], Any], str]] = {
    "churn.infer_inactivity_threshold": (
        lambda log: c.infer_inactivity_threshold(log),
        "no events",
    ),
    "churn.kaplan_meier": (lambda log: c.kaplan_meier(SURVIVAL), r"empty frame \(0 rows\)"),
    "churn.logrank_test": (
        lambda log: c.logrank_test(SURVIVAL, breakdown="arm"),
        r"empty frame \(0 rows\)",
    ),
    "churn.indicator_comparison": (
        lambda log: c.indicator_comparison(
            SURVIVAL.rename(columns={"observed": "churned"}), churned_col="churned"
        ),
        r"0 churned and 0 retained",
    ),
    "churn.early_warning": (lambda log: c.early_warning(log), "empty"),
    "churn.natural_churn_rate": (lambda log: c.natural_churn_rate(log), "no events"),
    "churn.aha_moments": (lambda log: c.aha_moments(log), "log is empty"),
    "churn.growth_path": (lambda log: c.growth_path(log, key_events=["purchase"]), "log is empty"),
    "campaigns.target_from_history": (
        lambda log: k.target_from_history(NewUsersSpec(), log, method="mom"),
        "the log is empty",
    ),
    "campaigns.evaluate": (lambda log: k.evaluate(CAMPAIGN, log), "the log is empty"),
    "campaigns.lasting_effect": (lambda log: k.lasting_effect(CAMPAIGN, log), "the log is empty"),
    "campaigns.user_quality": (lambda log: k.user_quality(CAMPAIGN, log), "the log is empty"),
    "campaigns.recall_audience": (lambda log: k.recall_audience(log, top_k=10), "log is empty"),
    "campaigns.breakdown_target": (
        lambda log: k.breakdown_target(
            100, NewUsersSpec(), log, breakdown="channel", start="2024-01-01", end="2024-01-08"
        ),
        r"breakdown_target: events in the log: 0 found",
    ),
    "campaigns.targeting_uplift": (
        lambda log: k.targeting_uplift(
            k.recall_audience(BUSY, top_k=1), log, start="2024-01-01", end="2024-01-08"
        ),
        r"targeting_uplift: events in the log: 0 found",
    ),
}

# public functions whose data is not an event log: summary statistics, plans, goals and panels
# (their own empty-input checks are pinned in their unit tests)
NOT_ON_A_LOG = {
    "campaigns." + name
    for name in [
        "adjust_p_values",
        "arm_statistics",
        "assign",
        "compare_means",
        "compare_proportions",
        "compare_ratios",
        "cost_benefit",
        "counterfactual_effect",
        "did_regression",
        "did_table",
        "grade_key_result",
        "grade_okrs",
        "holdout_bucket",
        "holdout_control",
        "largest_remainder",
        "mde",
        "missing_events",
        "okr_band",
        "pool_effects",
        "portfolio",
        "power",
        "project_funnel",
        "pull_forward",
        "qini_curve",
        "review",
        "sample_ratio_mismatch",
        "sample_size",
        "simplex_weights",
        "smart_check",
        "staggered_did",
        "summarize_draws",
        "synthetic_control",
        "tail_p_value",
        "two_sided_p_value",
        "uplift_by_decile",
        "weeks_to_power",
    ]
}


def _size(result: Any) -> int:
    if isinstance(result, pd.Series | pd.DataFrame):
        return int(result.abs().sum().sum()) if result.size else 0
    frame = result.to_frame()
    # counts and values only: a step's index is not a count
    numeric = frame.drop(columns=["step", "k"], errors="ignore").select_dtypes(
        include=["int", "float"]
    )
    return int(numeric.abs().sum().sum()) if numeric.size else 0


@pytest.mark.parametrize("name", sorted(COUNTING))
def test_counting_functions_warn_and_count_nothing(empty: EventLog, name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", uo.UnknownEventWarning)
        with pytest.warns(InsufficientDataWarning):
            result = COUNTING[name](empty)
    assert _size(result) == 0


@pytest.mark.parametrize("name", sorted(ESTIMATING))
def test_estimating_functions_raise(empty: EventLog, name: str) -> None:
    call, match = ESTIMATING[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", uo.UnknownEventWarning)
        with pytest.raises(InsufficientDataError, match=match):
            call(empty)


def _public_functions() -> set[str]:
    found = set()
    for module in MODULES:
        short = module.__name__.rsplit(".", 1)[1]
        for name in module.__all__:
            if inspect.isfunction(getattr(module, name)):
                found.add(f"{short}.{name}")
    return found


def test_every_public_function_has_a_place_in_the_policy() -> None:
    """Discovered from the packages' __all__: a new public function must be classified here."""
    classified = [*COUNTING, *ESTIMATING, *NOT_ON_A_LOG]
    assert len(classified) == len(set(classified)), "a function is classified twice"
    assert _public_functions() == set(classified)


def test_every_function_reading_the_log_is_called_on_the_empty_log() -> None:
    """Every public function that requires ``events`` is called on the empty log above (but
    missing_events, a check of names, and portfolio and review, which take evaluations)."""
    called = {*COUNTING, *ESTIMATING}
    readers = set()
    for module in MODULES:
        short = module.__name__.rsplit(".", 1)[1]
        for name in module.__all__:
            obj = getattr(module, name)
            params = inspect.signature(obj).parameters if inspect.isfunction(obj) else {}
            if "events" in params and params["events"].default is inspect.Parameter.empty:
                readers.add(f"{short}.{name}")
    missing = (
        readers - called - {"campaigns.missing_events", "campaigns.portfolio", "campaigns.review"}
    )
    assert not missing
