"""The three threshold rules side by side, the plateau evidence and the data-cannot-answer errors.

The log is ``gap_log`` of test_definition: 15 users, each with one gap of 1.5 (6 users), 2.5 (3),
3.5, 4.5 (1 each) or 30 days (4) ending 7 days before as_of, then active every half day up to
1 hour before as_of.  With horizon 1 day the return curve on k = 1..6 is
0.4, 1/3, 1/6, 0.2, 0, 0.

Gaps between activity days (UTC): each user's long gap spans 2, 3, 4, 5 or 30 calendar days
(e.g. Feb 21 12:00 -> Feb 23 00:00 is 2 days), then six 1-day gaps (Feb 23 -> ... -> Feb 29).
So the 105 day gaps are 90 x 1, 6 x 2, 3 x 3, 1 x 4, 1 x 5, 4 x 30, and the 95th percentile
("higher": the sorted gap at position ceil(0.95 * 104) = 99, 0-based) is 4 days.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from tests.unit.churn.test_definition import DAY, T, gap_log
from useropslib.churn._definition import infer_inactivity_threshold
from useropslib.churn._threshold import default_grid_days, scaled_min_gaps
from useropslib.events import EventLog
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
    NoPlateauWarning,
)
from useropslib.models._churn import ChurnDefinition

GRID = [1, 2, 3, 4, 5, 6]


def fit(**kwargs: object) -> object:
    args: dict[str, object] = {"horizon": "1D", "grid": GRID, "tolerance": 0.2, "min_gaps": 1}
    args.update(kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return infer_inactivity_threshold(gap_log(), **args)  # type: ignore[arg-type]


def test_rules_are_reported_side_by_side() -> None:
    res = fit()
    r = res.rules  # type: ignore[attr-defined]
    assert r.index.tolist() == ["plateau", "return_probability", "gap_percentile"]
    assert r["setting"].tolist() == ["tolerance=0.2", "p=0.05", "q=95"]
    # plateau: first k whose remaining drop is <= 0.2 (k=3); p-rule: first rate < 0.05 (k=5);
    # gap rule: the 95th percentile of day gaps (4)
    assert r["threshold_days"].tolist() == [3.0, 5.0, 4.0]
    np.testing.assert_allclose(r["return_rate"], [1 / 6, 0.0, 0.2])
    assert r["decided"].tolist() == [6, 4, 5]
    assert r["found"].tolist() == [True, True, True]
    assert r["chosen"].tolist() == [True, False, False]
    assert r["note"].tolist() == ["", "", ""]
    assert res.rule == "plateau"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kwargs", "threshold", "rate"),
    [
        ({"rule": "return_probability"}, 5.0, 0.0),
        ({"rule": "return_probability", "return_probability": 0.19}, 3.0, 1 / 6),
        ({"rule": "gap_percentile"}, 4.0, 0.2),
        ({"rule": "gap_percentile", "gap_percentile": 99}, 30.0, 1.0),
        ({"rule": "gap_percentile", "gap_percentile": 50}, 1.0, 0.4),
    ],
)
def test_the_chosen_rule_makes_the_definition(
    kwargs: dict[str, object], threshold: float, rate: float
) -> None:
    res = fit(**kwargs)
    assert res.threshold_days == threshold  # type: ignore[attr-defined]
    assert res.definition == ChurnDefinition(threshold=f"{threshold:g}D")  # type: ignore[attr-defined]
    assert res.return_rate == pytest.approx(rate)  # type: ignore[attr-defined]
    assert res.rule == kwargs["rule"]  # type: ignore[attr-defined]
    assert res.rules["chosen"].sum() == 1  # type: ignore[attr-defined]
    assert res.params["rule"] == kwargs["rule"]  # type: ignore[attr-defined]


def test_gap_rule_reads_the_rate_off_the_curve_beyond_the_grid() -> None:
    # q=99 gives 30 days: the 4 users' 30-day gaps return within the horizon from k = 29
    res = fit(rule="gap_percentile", gap_percentile=99)
    assert res.rules.loc["gap_percentile", "decided"] == 4  # type: ignore[attr-defined]


def test_return_probability_never_reached_warns_with_a_lower_bound() -> None:
    with pytest.warns(
        NoPlateauWarning,
        match=r"No return rate below p=0.1 found: the return "
        r"rate stays at or above p=0.1 over the usable grid \(up to 3 days\); "
        r"3 days is a lower bound",
    ):
        res = infer_inactivity_threshold(
            gap_log(),
            horizon="1D",
            grid=[1, 2, 3],
            min_gaps=1,
            rule="return_probability",
            return_probability=0.1,
        )
    assert res.threshold_days == 3.0
    assert not res.rules.loc["return_probability", "found"]


def test_no_plateau_warning_is_an_insufficient_data_warning() -> None:
    assert issubclass(NoPlateauWarning, InsufficientDataWarning)
    with pytest.warns(
        NoPlateauWarning,
        match=r"No plateau found.*depends on where the grid "
        r"ends \(3 values, 1..3 days\).*rule='return_probability'",
    ):
        res = infer_inactivity_threshold(gap_log(), horizon="1D", grid=[1, 2, 3], min_gaps=1)
    assert not res.plateau_found
    assert res.rules.loc["plateau", "note"].startswith("the usable grid ends at 3 days")
    assert "does not flatten" in res.summary()


def test_other_rules_do_not_warn_when_the_plateau_is_not_found() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = infer_inactivity_threshold(
            gap_log(), horizon="1D", grid=[1, 2, 3], min_gaps=1, rule="gap_percentile"
        )
    assert not res.plateau_found
    assert res.threshold_days == 4.0
    assert res.summary().startswith(
        "4 days, chosen by the gap_percentile rule (q=95); the return curve does not flatten"
    )


def test_summary_names_the_rule_and_the_flattening() -> None:
    res = fit()
    assert res.summary() == (  # type: ignore[attr-defined]
        "3 days, chosen by the plateau rule (tolerance=0.2); the return curve flattens."
    )
    d = res.to_dict()  # type: ignore[attr-defined]
    json.dumps(d)
    assert d["plateau_found"] is True
    assert d["rule"] == "plateau"
    assert d["min_gaps"] == 1


def test_day_gaps_are_local_calendar_days() -> None:
    # 23:00 and 01:00 UTC are 07:00 and 09:00 of the same day in Shanghai: no gap there,
    # a 1-day gap in UTC; both users come back after 10 days
    rows = []
    for u in "abcd":
        rows += [(u, "open", T - 20 * DAY - pd.Timedelta(hours=1)), (u, "open", T - 20 * DAY)]
        rows += [(u, "open", T - 10 * DAY)]
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    kw = {"horizon": "1D", "grid": [1, 2, 3], "min_gaps": 1, "rule": "gap_percentile"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoPlateauWarning)
        utc = infer_inactivity_threshold(EventLog.from_pandas(df), gap_percentile=40, **kw)
        cn = infer_inactivity_threshold(
            EventLog.from_pandas(df, tz="Asia/Shanghai"), gap_percentile=40, **kw
        )
    # UTC gaps: 4 x 1, 4 x 10 (40th percentile, higher: position ceil(0.4 * 7) = 3 -> 1 day);
    # Shanghai: 4 x 10
    assert utc.threshold_days == 1.0
    assert cn.threshold_days == 10.0


def test_gap_rule_without_gaps_raises_and_is_not_found_otherwise() -> None:
    df = pd.DataFrame({"user_id": list("abc"), "event": "open", "timestamp": [T - 10 * DAY] * 3})
    with pytest.raises(
        InsufficientDataError,
        match=r"gap-percentile rule needs gaps between "
        r"activity days, but no user has two activity days.*3 activity events "
        r"from 3 users",
    ):
        infer_inactivity_threshold(
            df, horizon="1D", grid=[1, 2], min_gaps=1, rule="gap_percentile", as_of=T
        )
    res = infer_inactivity_threshold(df, horizon="1D", grid=[1, 2], min_gaps=1, as_of=T)
    row = res.rules.loc["gap_percentile"]
    assert np.isnan(row["threshold_days"])
    assert not row["found"]
    assert row["note"] == "only 0 gaps between activity days (need min_gaps=1)"


# ---------------------------------------------------------------- data that cannot answer
def sixty_days() -> pd.DataFrame:
    start = pd.Timestamp("2024-01-01", tz="UTC")
    return pd.DataFrame(
        {
            "user_id": [f"u{i % 50}" for i in range(300)],
            "event": "open",
            "timestamp": [start + pd.Timedelta(hours=4.8 * i) for i in range(300)],
        }
    )


def test_a_horizon_longer_than_the_data_raises_saying_what_is_missing() -> None:
    # 300 events 4.8 hours apart: 59.8 days of data
    with pytest.raises(
        InsufficientDataError,
        match=r"The data cannot answer: horizon=365 days needs silences of 1 day \(the "
        r"shortest grid value\) followed for the whole horizon, so the data must span at "
        r"least 366 days, but the log has 300 activity events from 50 users over 59.8 days.*"
        r"Hint: use a shorter horizon \(e.g. horizon='19D'\) or a longer log",
    ):
        infer_inactivity_threshold(sixty_days(), horizon="365D")
    with pytest.raises(InsufficientDataError, match=r"must span at least 90 days"):
        infer_inactivity_threshold(sixty_days(), horizon="60D", grid=[30, 40])


def test_grid_values_far_beyond_the_span_count_nothing() -> None:
    # 1e20 days would overflow nanoseconds: such a silence cannot be in the data, so it is an
    # unusable grid value like any other beyond the span
    res = infer_inactivity_threshold(
        gap_log(), horizon="1D", grid=[1, 2, 3, 1e20], min_gaps=1, tolerance=0.5
    )
    assert res.curve["silent"].tolist() == [15, 9, 6, 0]
    assert res.curve["usable"].tolist() == [True, True, True, False]


def test_relative_must_be_a_bool() -> None:
    with pytest.raises(InvalidParameterError, match=r"Invalid relative='yes'. Expected True"):
        infer_inactivity_threshold(gap_log(), relative="yes")  # type: ignore[arg-type]


def test_grid_values_beyond_the_span_are_named_in_the_error() -> None:
    with pytest.raises(
        InsufficientDataError,
        match=r"Too few silences.*need min_gaps=30\).*grid values above 29.8 days can never "
        r"be decided \(k plus the horizon exceeds the span\)",
    ):
        # users come back every 10 days and their last silences are shorter than 10 days
        infer_inactivity_threshold(sixty_days(), horizon="30D", grid=[20, 40])


# ---------------------------------------------------------------- default grid and min_gaps
def test_default_grid_covers_the_span_and_steps_long_ones() -> None:
    d = 24 * 3600 * 10**9
    assert default_grid_days(37 * d, 1 * d).tolist() == [float(k) for k in range(1, 37)]
    assert default_grid_days(31 * d - 1, 30 * d).size == 0
    long = default_grid_days(1000 * d, 30 * d)  # 970 days: every 3rd day, and 1
    assert long[:4].tolist() == [1.0, 3.0, 6.0, 9.0]
    assert long[-1] == 969.0
    assert long.size == 324


def test_min_gaps_scales_with_the_users_and_is_reported() -> None:
    assert scaled_min_gaps(15) == 30
    assert scaled_min_gaps(2357) == 30
    assert scaled_min_gaps(23_570) == 236
    # 15 users: at least 30 decided silences, which the 15 gaps never reach
    with pytest.raises(InsufficientDataError, match=r"need min_gaps=30"):
        infer_inactivity_threshold(gap_log(), horizon="1D", grid=[1, 2])
