"""Unit tests of compare_segments(): hand-computed rates, tests against the rest, errors."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from useropslib.events import EventLog, strict_events
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError
from useropslib.models import ChurnDefinition
from useropslib.segments._compare import compare_segments, two_proportion_p_value


@pytest.fixture(autouse=True)
def _strict_event_names() -> Iterator[None]:
    """These cases pin the errors for unknown event names (the warning is tested elsewhere)."""
    with strict_events():
        yield


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
        (
            {"s": ["a"]},
            {"conversion_event": "purchase", "conversion_steps": ["open", "purchase"]},
            r"Both conversion_event='purchase' and conversion_steps=\['open', 'purchase'\] "
            r"were given\. Expected one of them.*Hint: drop conversion_event",
        ),
        (
            {"s": ["a"]},
            {"conversion_steps": []},
            r"conversion_steps=\[\] has no steps\. Expected at least one funnel step.*Hint:",
        ),
        (
            {"s": ["a"]},
            {"conversion_steps": "purchase"},
            r"Invalid conversion_steps='purchase'\. Expected a list of funnel steps.*"
            r"conversion_event='purchase' for a single event",
        ),
        (
            {"s": ["a"]},
            {"conversion_steps": 3},
            r"Invalid conversion_steps=3\. Expected a list of funnel steps",
        ),
        (
            {"s": ["a"]},
            {"conversion_event": "purchase", "conversion_window": "7D"},
            r"conversion_window='7D' was given without conversion_steps=\. Expected.*Hint:",
        ),
        (
            {"s": ["a"]},
            {"conversion_steps": ["open", "purchase"], "conversion_window": "-1D"},
            r"Invalid conversion_window='-1D'",
        ),
        (
            {"s": ["a"]},
            {"conversion_steps": ["open", "purchse"]},
            r"Unknown event name\(s\) \['purchse'\].*'purchase'",
        ),
        (
            {"s": ["a"]},
            {"conversion_steps": ["open", "purchase"], "conversion_within": "soon"},
            r"Invalid conversion_within='soon'",
        ),
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


# ------------------------------------------------------------------ conversion through a funnel


@pytest.fixture
def funnel_log() -> EventLog:
    rows = [
        ("a", "signup", "2024-03-01"),
        ("a", "cart", "2024-03-02"),
        ("a", "purchase", "2024-03-03"),  # converted
        ("b", "signup", "2024-03-01"),
        ("b", "cart", "2024-03-02"),  # stops at step 1
        ("c", "signup", "2024-03-01"),
        ("c", "cart", "2024-03-02"),
        ("c", "purchase", "2024-03-12"),  # 11 days after signup: outside the 7-day window
        ("g", "signup", "2024-03-05"),
        ("g", "cart", "2024-03-05"),
        ("g", "purchase", "2024-03-06"),  # converted
        ("d", "purchase", "2024-03-05"),  # bought without entering the funnel
        ("e", "signup", "2024-03-03"),
        ("e", "cart", "2024-03-04"),
        ("e", "purchase", "2024-03-04"),  # converted
        ("f", "open", "2024-03-20"),  # never entered; as_of is this event
    ]
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    return EventLog.from_pandas(df, tz="UTC")


STEPS = ["signup", "cart", "purchase"]
SEGMENTS = {"s1": ["a", "b", "c", "g"], "s2": ["d", "e", "f"]}


def _z_test(x1: int, n1: int, x2: int, n2: int) -> float:
    """The pooled two-proportion z test written out (two-sided, normal tail by erfc)."""
    pooled = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return math.erfc(abs(z) / math.sqrt(2))


def test_funnel_conversion_hand_computed(funnel_log: EventLog) -> None:
    res = compare_segments(
        funnel_log,
        SEGMENTS,
        metrics=["size", "conversion"],
        conversion_steps=STEPS,
        conversion_window="7D",
    )
    t = res.table
    # s1: a and g reached "purchase" within 7 days of "signup"; b stopped, c was too late
    assert t.loc["s1", "conversion_rate"] == pytest.approx(2 / 4)
    assert t.loc["s1", "conversion_rate_rest"] == pytest.approx(1 / 3)  # e of d, e, f
    assert t.loc["s2", "conversion_rate"] == pytest.approx(1 / 3)
    assert t.loc["s2", "conversion_rate_rest"] == pytest.approx(2 / 4)
    # z = (1/2 - 1/3) / sqrt(3/7 * 4/7 * (1/4 + 1/3)) = 0.4410, p = 0.6592
    assert t.loc["s1", "conversion_rate_p_value"] == pytest.approx(_z_test(2, 4, 1, 3))
    assert t.loc["s1", "conversion_rate_p_value"] == pytest.approx(0.659243, abs=1e-6)
    assert t.loc["s2", "conversion_rate_p_value"] == pytest.approx(_z_test(1, 3, 2, 4))
    assert res.params["conversion_steps"] == ("signup", "cart", "purchase")
    assert res.params["conversion_window"] == "7D"
    # the event version counts d (no signup) and c (late) as converted: 3/4 vs 2/3
    by_event = compare_segments(
        funnel_log, SEGMENTS, metrics=["conversion"], conversion_event="purchase"
    ).table
    assert by_event.loc["s1", "conversion_rate"] == pytest.approx(3 / 4)
    assert by_event.loc["s2", "conversion_rate"] == pytest.approx(2 / 3)


def test_funnel_conversion_default_window_and_metrics(funnel_log: EventLog) -> None:
    # default window 14D: c's purchase 11 days after signup now counts
    res = compare_segments(funnel_log, SEGMENTS, conversion_steps=STEPS)
    assert "conversion_rate" in res.table.columns  # conversion is in the default metrics
    assert res.table.loc["s1", "conversion_rate"] == pytest.approx(3 / 4)
    assert res.params["conversion_window"] == "14D"


def test_funnel_conversion_within_and_as_of(funnel_log: EventLog) -> None:
    # only funnels entered after 2024-03-04 00:00 (16 days before as_of 03-20): g's
    res = compare_segments(
        funnel_log,
        SEGMENTS,
        metrics=["conversion"],
        conversion_steps=STEPS,
        conversion_within="16D",
    )
    assert res.table.loc["s1", "conversion_rate"] == pytest.approx(1 / 4)
    assert res.table.loc["s2", "conversion_rate"] == 0.0
    # as of 03-05 12:00: a and e have converted; g's purchase (03-06) is later; f is unknown
    early = compare_segments(
        funnel_log,
        SEGMENTS,
        metrics=["conversion"],
        conversion_steps=STEPS,
        as_of="2024-03-05T12:00:00Z",
    ).table
    assert early.loc["s1", "n_users"] == 4
    assert early.loc["s1", "conversion_rate"] == pytest.approx(1 / 4)
    assert early.loc["s2", "n_users"] == 2  # d and e
    assert early.loc["s2", "conversion_rate"] == pytest.approx(1 / 2)


def test_one_step_funnel_equals_the_event_version(funnel_log: EventLog) -> None:
    steps = compare_segments(
        funnel_log, SEGMENTS, metrics=["conversion"], conversion_steps=["purchase"]
    ).table
    event = compare_segments(
        funnel_log, SEGMENTS, metrics=["conversion"], conversion_event="purchase"
    ).table
    pd.testing.assert_frame_equal(steps, event)


def test_nobody_entered_the_funnel_warns(funnel_log: EventLog) -> None:
    with pytest.warns(InsufficientDataWarning, match=r"Nobody entered the conversion funnel"):
        res = compare_segments(
            funnel_log,
            SEGMENTS,
            metrics=["conversion"],
            conversion_steps=STEPS,
            conversion_within="1h",
        )
    assert (res.table["conversion_rate"] == 0).all()
