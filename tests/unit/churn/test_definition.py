"""ChurnDefinition and infer_inactivity_threshold: hand-computed curves, the rule, every error."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from useropslib.churn._definition import infer_inactivity_threshold
from useropslib.churn._labels import churn_labels
from useropslib.events import EventLog, strict_events
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
)
from useropslib.models._churn import ChurnDefinition


@pytest.fixture(autouse=True)
def _strict_event_names() -> Iterator[None]:
    """These cases pin the errors for unknown event names (the warning is tested elsewhere)."""
    with strict_events():
        yield


T = pd.Timestamp("2024-03-01", tz="UTC")
DAY = pd.Timedelta(days=1)


# ============================================================================ ChurnDefinition
def test_definition_reads_windows_and_round_trips_json() -> None:
    d = ChurnDefinition(threshold="5W", activity_events=["open", "buy", "open"], kind="first_lapse")
    assert d.threshold == dt.timedelta(days=35)
    assert d.threshold_days == 35.0
    assert d.activity_events == ("open", "buy")
    assert d.kind == "first_lapse"
    text = d.model_dump_json()
    assert json.loads(text) == {
        "threshold": "P35D",
        "activity_events": ["open", "buy"],
        "kind": "first_lapse",
    }
    assert ChurnDefinition.model_validate_json(text) == d
    assert ChurnDefinition(threshold="36h").threshold_days == 1.5
    assert ChurnDefinition(threshold=dt.timedelta(days=2)).kind == "terminal"
    assert ChurnDefinition(threshold="30D", activity_events="buy").activity_events == ("buy",)
    assert "threshold" in ChurnDefinition.model_json_schema()["properties"]


def test_definition_is_frozen_and_forbids_extra() -> None:
    d = ChurnDefinition(threshold="30D")
    with pytest.raises(ValidationError, match="frozen"):
        d.kind = "first_lapse"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        ChurnDefinition(threshold="30D", horizon="7D")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"threshold": "0D"}, "positive"),
        ({"threshold": "-3D"}, "Cannot read window"),
        ({"threshold": dt.timedelta(0)}, "threshold must be positive"),
        ({"threshold": -dt.timedelta(days=1)}, "threshold must be positive"),
        ({"threshold": 30}, "bare number"),
        ({"threshold": "30 parsecs"}, "Unknown unit"),
        ({"threshold": "30D", "activity_events": []}, "at least one event"),
        ({"threshold": "30D", "activity_events": ["open", " "]}, "non-empty event names"),
        ({"threshold": "30D", "kind": "final"}, "terminal"),
    ],
)
def test_definition_rejects_bad_values(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        ChurnDefinition(**kwargs)  # type: ignore[arg-type]


def test_functions_reject_a_non_positive_threshold_with_a_typed_error() -> None:
    df = pd.DataFrame({"user_id": ["a"], "event": ["open"], "timestamp": [T]})
    with pytest.raises(InvalidParameterError, match=r"Invalid definition='0D'.*positive"):
        churn_labels(df, "0D")
    with pytest.raises(InvalidParameterError, match=r"Expected a ChurnDefinition"):
        churn_labels(df, 30)  # type: ignore[arg-type]


# ============================================================================ threshold
# gaps (days) -> users; each user's last event is 1 hour before as_of, so no open silence
# reaches one day.  With horizon 1 day, P(k) = #(k <= g <= k + 1) / #(g >= k):
#   k=1: 6/15 = 0.4    k=2: 3/9 = 0.3333    k=3: 1/6 = 0.1667    k=4: 1/5 = 0.2    k=5: 0/4 = 0
GAPS = {1.5: 6, 2.5: 3, 3.5: 1, 4.5: 1, 30.0: 4}


def gap_log(gaps: dict[float, int] = GAPS) -> EventLog:
    rows = []
    i = 0
    for g, n in gaps.items():
        for _ in range(n):
            end = T - pd.Timedelta(hours=1)
            rows += [(f"u{i}", "open", end - g * DAY), (f"u{i}", "open", end)]
            i += 1
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    return EventLog.from_pandas(df, as_of=T)


def test_curve_is_the_hand_computed_return_probability() -> None:
    res = infer_inactivity_threshold(
        gap_log(), horizon="1D", grid=[1, 2, 3, 4, 5], tolerance=0.2, min_gaps=1
    )
    c = res.curve
    assert c.index.name == "silent_days"
    assert c["silent"].tolist() == [15, 9, 6, 5, 4]
    assert c["returned"].tolist() == [6, 3, 1, 1, 0]
    assert c["not_returned"].tolist() == [9, 6, 5, 4, 4]
    assert c["censored"].tolist() == [0, 0, 0, 0, 0]
    np.testing.assert_allclose(c["return_rate"], [0.4, 1 / 3, 1 / 6, 0.2, 0.0])
    # the lowest rate at any later k is 0 (k=5), so the remaining drop is the rate itself
    np.testing.assert_allclose(c["remaining_drop"], [0.4, 1 / 3, 1 / 6, 0.2, 0.0])
    # first k with remaining drop <= 0.2 is k=3
    assert res.threshold_days == 3.0
    assert res.return_rate == pytest.approx(1 / 6)
    assert res.definition == ChurnDefinition(threshold="3D")
    assert res.as_of == T


def test_relative_rule_is_a_share_of_the_whole_drop() -> None:
    log = gap_log()
    # whole drop 0.4 - 0 = 0.4; 0.9 * 0.4 = 0.36 >= 1/3 at k=2
    res = infer_inactivity_threshold(
        log, horizon="1D", grid=[1, 2, 3, 4, 5], tolerance=0.9, relative=True, min_gaps=1
    )
    assert res.threshold_days == 2.0
    res = infer_inactivity_threshold(
        log, horizon="1D", grid=[1, 2, 3, 4, 5], tolerance=0.5, relative=True, min_gaps=1
    )
    assert res.threshold_days == 3.0


def test_open_silences_are_censored_until_observed_for_the_horizon() -> None:
    # one user seen once, 2.5 days before as_of; horizon 1 day
    df = pd.DataFrame({"user_id": ["a"], "event": ["open"], "timestamp": [T - 2.5 * DAY]})
    with pytest.warns(InsufficientDataWarning, match="last usable grid value"):
        res = infer_inactivity_threshold(df, horizon="1D", grid=[1, 2, 3], min_gaps=1, as_of=T)
    c = res.curve
    # k=1: reached and watched 1.5 days >= 1 day -> not returned; k=2: 0.5 day < 1 -> censored
    assert c["silent"].tolist() == [1, 1, 0]
    assert c["not_returned"].tolist() == [1, 0, 0]
    assert c["censored"].tolist() == [0, 1, 0]
    assert c["usable"].tolist() == [True, False, False]
    assert np.isnan(c["return_rate"].iloc[1])
    assert res.threshold_days == 1.0


def test_a_return_exactly_at_the_horizon_counts_and_later_does_not() -> None:
    gaps = {3.0: 1, 3.0 + 1e-6: 1}  # k=2, H=1: g <= 3 returns, g > 3 does not
    with pytest.warns(InsufficientDataWarning, match="only one grid value"):
        res = infer_inactivity_threshold(gap_log(gaps), horizon="1D", grid=[2], min_gaps=1)
    assert res.curve["returned"].tolist() == [1]
    assert res.curve["not_returned"].tolist() == [1]


def test_activity_events_and_as_of_restrict_the_silences() -> None:
    rows = [("a", "open", T - 10 * DAY), ("a", "push", T - 5 * DAY), ("a", "open", T)]
    rows += [("a", "open", T + 3 * DAY)]
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    res = infer_inactivity_threshold(
        df, horizon="2D", grid=[4, 6], activity_events=["open"], as_of=T, min_gaps=1
    )
    # only the 10-day gap between opens; the open after as_of is ignored
    assert res.curve["silent"].tolist() == [1, 1]
    assert res.curve["not_returned"].tolist() == [1, 1]
    assert res.definition.activity_events == ("open",)
    assert res.params["activity_events"] == ["open"]


def test_grid_accepts_windows_and_defaults_to_90_days() -> None:
    log = gap_log()
    res = infer_inactivity_threshold(
        log, horizon="1D", grid=["36h", 3, "1W"], min_gaps=1, tolerance=1.0
    )
    assert res.curve.index.tolist() == [1.5, 3.0, 7.0]
    res = infer_inactivity_threshold(log, horizon="1D", min_gaps=1)
    assert res.curve.index.tolist() == [float(k) for k in range(1, 91)]
    # usable up to k=30 (the 30-day gaps); the rate is 0 from k=5 on
    assert res.curve["usable"].sum() == 30
    assert res.threshold_days == 5.0
    assert res.params["grid"] == "90 values, 1..90 days"


def test_a_curve_still_falling_at_the_end_of_the_grid_warns() -> None:
    with pytest.warns(InsufficientDataWarning, match="still falling at the end of the grid"):
        res = infer_inactivity_threshold(
            gap_log(), horizon="1D", grid=[1, 2, 3, 4, 5], tolerance=0.01, min_gaps=1
        )
    assert res.threshold_days == 5.0


def test_min_gaps_leaves_thin_grid_values_out_of_the_choice() -> None:
    # k=4 and k=5 have 5 and 4 decided silences: with min_gaps=6 the choice is among k <= 3
    with pytest.warns(InsufficientDataWarning, match="last usable grid value"):
        res = infer_inactivity_threshold(
            gap_log(), horizon="1D", grid=[1, 2, 3, 4, 5], tolerance=0.01, min_gaps=6
        )
    assert res.curve["usable"].tolist() == [True, True, True, False, False]
    assert res.threshold_days == 3.0


def test_too_few_silences_raise_with_the_counts() -> None:
    with pytest.raises(
        InsufficientDataError,
        match=r"at most 15 decided silences.*min_gaps=30.*30 activity events from 15 users, "
        r"15 gaps between activities and 15 open silences",
    ):
        infer_inactivity_threshold(gap_log(), horizon="1D", grid=[1, 2])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"horizon": "0D"}, r"Invalid horizon='0D'"),
        ({"grid": [1, -2]}, r"Invalid grid value -2"),
        ({"grid": []}, "grid is empty"),
        ({"grid": [1, "soon"]}, r"Invalid grid='soon'"),
        ({"grid": [None]}, "Invalid grid value None"),
        ({"tolerance": -0.1}, r"Invalid tolerance=-0.1"),
        ({"tolerance": float("nan")}, r"Invalid tolerance=nan"),
        ({"min_gaps": 0}, r"Invalid min_gaps=0"),
        (
            {"activity_events": ["opne"]},
            r"Unknown event name.* in activity_events.*did you mean 'open'",
        ),
        ({"activity_events": []}, r"Invalid activity_events=\[\].*at least one event"),
        ({"as_of": "2023-01-01"}, r"as_of=2023-01-01 00:00:00\+00:00 is before the first event"),
    ],
)
def test_bad_parameters_raise_typed_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        infer_inactivity_threshold(gap_log(), **kwargs)  # type: ignore[arg-type]


def test_result_converts_and_plots() -> None:
    res = infer_inactivity_threshold(
        gap_log(), horizon="1D", grid=[1, 2, 3, 4, 5], tolerance=0.2, min_gaps=1
    )
    flat = res.to_frame()
    assert flat.columns[0] == "silent_days"
    assert len(flat) == 5
    d = res.to_dict()
    json.dumps(d)
    assert d["threshold_days"] == 3.0
    assert "InactivityThresholdResult(horizon='1D'" in repr(res)
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = res.plot()
    assert ax.get_xlabel() == "days silent (k)"
    plt.close("all")


def test_inferred_definition_feeds_the_labels() -> None:
    log = gap_log()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = infer_inactivity_threshold(
            log, horizon="1D", grid=[1, 2, 3, 4, 5], tolerance=0.2, min_gaps=1
        )
    labels = churn_labels(log, res.definition)
    assert not labels["churned"].any()  # everyone was active an hour before as_of
