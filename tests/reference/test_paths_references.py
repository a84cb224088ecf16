"""Paths, sessions and aha moments against peers' own test suites.

The case files ``tests/reference/data/{paths,sessions,aha}_*.json`` are copied from the shared
cases; each ``source`` key names the peer repository, commit, file and test:

- PostHog Paths (``posthog/hogql_queries/insights/paths/test/``): 30-minute sessions split at a
  gap of exactly the timeout, repeats collapsed to the last of the run, step-indexed nodes,
  edges counted per path, mean conversion time in milliseconds -- our :func:`paths` defaults;
- retentioneering (``tests/tools/transition_matrix_test.py``, ``step_matrix_test.py``,
  ``tests/data_processors/collapse_events_test.py``, ``split_sessions_test.py``): paths are
  users, wrapped in path_start / path_end, transitions counted per occurrence, ties in input
  order, sessions split only after a gap longer than the timeout;
- PostHog funnel correlation (``test_funnel_correlation.py``): the 2x2 table behind aha moments,
  odds ratio with a prior of 1 per cell.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import numpy as np
import pandas as pd
import pytest

import useropslib as uo
from useropslib.paths import paths, sessions, step_matrix, transitions

DATA = pathlib.Path(__file__).parent / "data"


def _case(name: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text("utf-8"))
    return out


def _df(events: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(events).rename(columns={"user": "user_id"})
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    return df


def _edges(result: uo.paths.PathsResult, timed: bool) -> list[dict[str, Any]]:
    cols = ["source", "target", "value"] + (["average_conversion_time"] if timed else [])
    return [
        {k: (float(v) if k == "average_conversion_time" else v) for k, v in row.items()}
        for row in result.table[cols].to_dict(orient="records")
    ]


def _close(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert [{k: v for k, v in g.items() if k != "average_conversion_time"} for g in got] == [
        {k: v for k, v in w.items() if k != "average_conversion_time"} for w in want
    ]
    for g, w in zip(got, want, strict=True):
        if "average_conversion_time" in w:
            assert g["average_conversion_time"] == pytest.approx(
                w["average_conversion_time"], abs=1e-6
            )


def test_posthog_custom_event_paths() -> None:
    case = _case("paths_posthog_custom_events_basic")
    p = case["params"]
    got = paths(
        _df(case["events"]),
        include=p["include_events"],
        steps=p["step_limit"],
        edge_limit=p["edge_limit"],
    )
    assert _edges(got, False) == case["expected"]["edges_in_order"]
    assert len(got.table) == case["expected"]["edge_count"]


def test_posthog_session_split_counts_paths_not_people() -> None:
    case = _case("paths_posthog_session_split")
    df = _df(case["events"])
    got = paths(
        df,
        timeout=pd.Timedelta(seconds=case["params"]["session_inactivity_s"]),
        steps=case["params"]["step_limit"],
    )
    _close(_edges(got, True), case["expected"]["edges_in_order"])
    assert df["user_id"].nunique() == case["expected"]["distinct_persons"]


@pytest.mark.parametrize("variant", ["start_pricing", "start_root"])
def test_posthog_start_point(variant: str) -> None:
    case = _case("paths_posthog_start_point")
    start = case["params"]["variants"][variant]["start_point"]
    got = paths(_df(case["events"]), start=start)
    assert _edges(got, False) == case["expected"][variant]


@pytest.mark.parametrize(
    "variant", ["step_limit_2", "step_limit_3", "step_limit_4", "conversion_times_two_people"]
)
def test_posthog_step_limit_and_conversion_time(variant: str) -> None:
    case = _case("paths_posthog_step_limit_conversion_time")
    v = case["params"]["variants"][variant]
    got = paths(_df(case["events"][v["events"]]), steps=v["step_limit"])
    _close(_edges(got, True), case["expected"][variant])


def test_retentioneering_transition_matrix() -> None:
    case = _case("paths_retentioneering_transition_counts")
    exp = case["expected"]
    got = transitions(
        _df(case["events"]), within="user", count="occurrences", markers=True, ties="input"
    )
    labels = case["params"]["labels"]
    assert got.labels == labels
    count = got.matrix("count")
    assert count.to_numpy().tolist() == exp["count"]
    total = np.asarray(exp["count"], dtype=float)
    np.testing.assert_allclose(got.matrix("share_of_total"), total / 21, atol=1e-12)
    np.testing.assert_allclose(got.matrix("avg_per_path"), total / 3, atol=1e-12)
    np.testing.assert_allclose(got.matrix("proba_out"), exp["proba_out"], atol=1e-12)
    np.testing.assert_allclose(got.matrix("proba_in"), exp["proba_in"], atol=1e-12)
    assert got.n_paths == 3


def test_retentioneering_step_matrix() -> None:
    case = _case("paths_retentioneering_step_matrix")
    exp = case["expected"]
    got = step_matrix(_df(case["events"]), steps=case["params"]["max_steps"], ties="input")
    assert list(got.matrix.index) == exp["rows"]
    assert list(got.matrix.columns) == exp["columns"]
    np.testing.assert_allclose(got.matrix.to_numpy(), exp["matrix"], atol=1e-12)


@pytest.mark.parametrize("variant", ["all_events", "only_A_B", "tied_timestamps_distinct_events"])
def test_retentioneering_collapse_loops_keeps_first(variant: str) -> None:
    case = _case("paths_retentioneering_collapse_loops")
    v = case["params"]["variants"][variant]
    only = None if v["loops"] is True else v["loops"]
    got = uo.paths.clean_log(
        _df(case["events"][v["events"]]), collapse="first", collapse_only=only, ties="input"
    ).to_pandas()
    exp = case["expected"][variant]
    if variant == "tied_timestamps_distinct_events":
        assert got["event"].tolist() == exp["events"]
        return
    assert got["user_id"].tolist() == [e["user"] for e in exp]
    assert got["event"].tolist() == [e["event"] for e in exp]
    assert got["timestamp"].tolist() == [pd.Timestamp(e["timestamp"]) for e in exp]


def test_retentioneering_split_sessions_strictly_longer_gap() -> None:
    case = _case("sessions_retentioneering_timeout_30m")
    exp = case["expected"]
    got = sessions(
        _df(case["events"]), timeout=pd.Timedelta(seconds=case["params"]["timeout_s"]), split=">"
    )
    tab = got.table
    ids = [f"{u}_{k}" for u, k in zip(tab["user_id"], tab["session"], strict=True)]
    assert ids == [s["session_id"] for s in exp["sessions"]]
    assert tab["start"].tolist() == [pd.Timestamp(s["start"]) for s in exp["sessions"]]
    assert tab["end"].tolist() == [pd.Timestamp(s["end"]) for s in exp["sessions"]]
    assert tab["events"].tolist() == [s["n_events"] for s in exp["sessions"]]
    assert tab["duration"].dt.total_seconds().tolist() == [s["duration_s"] for s in exp["sessions"]]
    assert {str(k): v for k, v in got.per_user().items()} == exp["sessions_per_user"]
    # per event: the session label of every row, in time order
    log = uo.paths.session_log(_df(case["events"]), timeout="30min", split=">")
    per_event = [log.users[c].replace("#", "_") for c in log.user_codes]
    assert per_event == exp["session_id_per_event"]


@pytest.mark.parametrize("variant", ["all", "exclude_positively_related"])
def test_posthog_funnel_correlation_table(variant: str) -> None:
    case = _case("aha_posthog_correlation_odds_ratio")
    p = case["params"]
    exclude = p["variants"][variant].get("exclude_events")
    got = uo.churn.aha_moments(
        _df(case["events"]),
        signup_event=p["entry_event"],
        outcome_event=p["outcome_event"],
        retained=f"{p['conversion_window_days']}D",
        within=f"{p['conversion_window_days']}D",
        thresholds=[p["min_at_least_n"]],
        exclude=exclude,
        censored="include",
    )
    exp = case["expected"]
    assert got.retained == exp["success_total"]
    assert got.users - got.retained == exp["failure_total"]
    want = exp["events"] if variant == "all" else exp["with_positively_related_excluded"]
    tab = got.table.set_index("event")
    assert sorted(tab.index) == sorted(w["event"] for w in want)
    for w in want:
        row = tab.loc[w["event"]]
        assert row["did_retained"] == w["success_count"]
        assert row["did_not_retained"] == w["failure_count"]
        assert row["odds_ratio"] == pytest.approx(w["odds_ratio"], abs=1e-9)
        assert ("success" if row["odds_ratio"] > 1 else "failure") == w["correlation_type"]
    # success-correlated first (the ranking by phi puts them first, as PostHog orders them)
    assert list(tab.index) == [w["event"] for w in want]
    if variant == "all":
        # Compass terms, derived by the case's author with scikit-learn (not asserted upstream)
        derived = case["derived_not_asserted_upstream"]
        for name, d in derived.items():
            row = tab.loc[name]
            t = d["table"]
            assert (
                row["did_retained"],
                row["did_not_retained"],
                row["not_did_retained"],
                row["not_did_not_retained"],
            ) == (
                t["did_and_retained"],
                t["did_not_retained"],
                t["not_did_retained"],
                t["not_did_not_retained"],
            )
            assert row["phi"] == pytest.approx(d["mcc_sklearn"], abs=1e-12)
            assert row["ppv"] == pytest.approx(d["ppv"], abs=1e-12)
            assert row["coverage"] == pytest.approx(d["share_of_retained_who_did"], abs=1e-12)
            assert row["base_rate"] == pytest.approx(d["base_rate"], abs=1e-12)
            assert row["lift"] == pytest.approx(d["lift_ppv_over_base"], abs=1e-12)
