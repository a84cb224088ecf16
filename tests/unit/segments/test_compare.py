"""Unit tests of compare_segments(): hand-computed rates, tests against the rest, errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from useropslib.events import EventLog
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError
from useropslib.models import ChurnDefinition
from useropslib.segments._compare import compare_segments, two_proportion_p_value


@pytest.fixture
def log() -> EventLog:
    rows = []
    # week 1 (Mon 2024-01-01): everyone opens; a, b, c return in week 2
    for u in "abcdef":
        rows.append((u, "open", "2024-01-01", None))
    for u in "abc":
        rows.append((u, "open", "2024-01-09", None))
    rows += [
        ("a", "purchase", "2024-01-10", 30.0),
        ("b", "purchase", "2024-01-10", 10.0),
        ("d", "purchase", "2024-01-02", 5.0),
        ("f", "open", "2024-02-20", None),
    ]
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp", "value"])
    return EventLog.from_pandas(df, tz="UTC", as_of="2024-02-21")


def test_hand_computed(log: EventLog) -> None:
    res = compare_segments(
        log,
        {"abc": ["a", "b", "c", "zz"], "def": ["d", "e", "f"]},
        conversion_event="purchase",
        churn_definition=ChurnDefinition(threshold="30D"),
    )
    t = res.table
    assert t.loc["abc", "size"] == 4
    assert t.loc["abc", "n_users"] == 3
    assert t.loc["abc", "conversion_rate"] == pytest.approx(2 / 3)
    assert t.loc["abc", "conversion_rate_rest"] == pytest.approx(1 / 3)
    assert t.loc["abc", "conversion_rate_p_value"] == pytest.approx(
        two_proportion_p_value(2, 3, 1, 3)
    )
    assert t.loc["abc", "arpu"] == pytest.approx(40 / 3)
    assert t.loc["abc", "arpu_rest"] == pytest.approx(5 / 3)
    welch = stats.ttest_ind([30.0, 10.0, 0.0], [5.0, 0.0, 0.0], equal_var=False).pvalue
    assert t.loc["abc", "arpu_p_value"] == pytest.approx(welch)
    # churned: silent >= 30 days at 2024-02-21: a, b, c, d, e (f came back on 02-20)
    assert t.loc["abc", "churn_rate"] == 1.0
    assert t.loc["def", "churn_rate"] == pytest.approx(2 / 3)
    # recurring weekly cohorts, k=1: abc is 3 of 3 in the week-1 cohort and 0 of 3 in the
    # week-2 cohort; the rest is 0 of 3 (f's week-8 cohort is incomplete at as_of)
    assert t.loc["abc", "retention_rate"] == 0.5
    assert t.loc["abc", "retention_rate_rest"] == 0.0
    assert t.loc["abc", "retention_rate_p_value"] == pytest.approx(
        two_proportion_p_value(3, 6, 0, 3)
    )
    assert res.overlap.loc["abc", "abc"] == 4
    assert res.overlap.loc["abc", "def"] == 0
    assert res.to_dict()["params"]["arpu_test"] == "welch"


def test_two_proportion_z() -> None:
    z = (0.3 - 0.2) / math.sqrt(0.25 * 0.75 * (2 / 100))
    assert two_proportion_p_value(30, 100, 20, 100) == pytest.approx(2 * stats.norm.sf(z))
    assert math.isnan(two_proportion_p_value(0, 0, 1, 2))
    assert math.isnan(two_proportion_p_value(0, 5, 0, 5))


def test_mannwhitney_and_bool_series(log: EventLog) -> None:
    member = pd.Series([True, True, False], index=["a", "b", "c"])
    res = compare_segments(log, {"ab": member}, metrics=["arpu"], arpu_test="mannwhitney")
    expected = stats.mannwhitneyu([30.0, 10.0], [0.0, 5.0, 0.0, 0.0], alternative="two-sided")
    assert res.table.loc["ab", "arpu_p_value"] == pytest.approx(expected.pvalue)


def test_empty_segment_warns(log: EventLog) -> None:
    with pytest.warns(InsufficientDataWarning, match="Segment 'ghost' has no user"):
        res = compare_segments(log, {"ghost": ["x", "y"]}, metrics=["size", "churn_rate"])
    assert res.table.loc["ghost", "n_users"] == 0
    assert np.isnan(res.table.loc["ghost", "churn_rate"])


def test_as_of_equals_until(log: EventLog) -> None:
    cut = pd.Timestamp("2024-01-20", tz="UTC")
    segs = {"abc": ["a", "b", "c"]}
    a = compare_segments(log, segs, as_of=cut).table
    b = compare_segments(log.until(cut), segs).table
    pd.testing.assert_frame_equal(a, b)


def test_disjoint_sizes_add_up(log: EventLog) -> None:
    res = compare_segments(log, {"x": ["a", "b"], "y": ["c", "d", "e", "f"]}, metrics=["size"])
    assert res.table["n_users"].sum() == log.n_users


@pytest.mark.parametrize(
    ("segments", "kwargs", "match"),
    [
        ({}, {}, r"segments must be a non-empty mapping"),
        ({1: ["a"]}, {}, r"Segment names must be strings"),
        ({"s": "abc"}, {}, r"Segment 's' must be a collection of user ids"),
        ({"s": ["a"]}, {"metrics": ["retnetion"]}, r"Unknown metric 'retnetion'.*'retention'"),
        ({"s": ["a"]}, {"metrics": ["conversion"]}, r"'conversion' needs conversion_event="),
        ({"s": ["a"]}, {"arpu_test": "t"}, r"Invalid arpu_test='t'"),
        ({"s": ["a"]}, {"retention_k": 0}, r"Invalid retention_k=0"),
        ({"s": ["a"]}, {"churn_definition": 30}, r"Expected a ChurnDefinition"),
        ({"s": ["a"]}, {"conversion_event": "buy"}, r"Unknown event name\(s\) \['buy'\]"),
    ],
)
def test_errors(
    log: EventLog, segments: dict[object, object], kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        compare_segments(log, segments, **kwargs)  # type: ignore[arg-type]


def test_arpu_needs_values() -> None:
    df = pd.DataFrame({"user_id": ["a"], "event": ["open"], "timestamp": ["2024-01-01"]})
    with pytest.raises(InvalidParameterError, match="'arpu' needs a log with values"):
        compare_segments(EventLog.from_pandas(df, tz="UTC"), {"s": ["a"]}, metrics=["arpu"])
