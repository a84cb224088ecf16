"""Sessions on the per-user index: the tie rule picks first/last events of tied instants.

Hand-computed on a log whose rows are not in time order and whose sessions open and close on
events sharing an instant, so the index route (no sort) must re-rank exactly those runs.
"""

from __future__ import annotations

import pandas as pd
import pytest

import useropslib as uo
from useropslib.events import EventLog


def _log() -> EventLog:
    rows = [
        ("a", "mid", "2024-01-01 10:10"),
        ("a", "zeta", "2024-01-01 10:00"),
        ("a", "alpha", "2024-01-01 10:00"),
        ("a", "b2", "2024-01-01 11:00"),
        ("a", "b1", "2024-01-01 11:00"),
        ("b", "mid", "2024-01-01 09:00"),
    ]
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    return EventLog.from_pandas(df)


@pytest.mark.parametrize(
    ("ties", "first", "last"),
    [
        ("name", ["alpha", "b1", "mid"], ["mid", "b2", "mid"]),
        ("input", ["zeta", "b2", "mid"], ["mid", "b1", "mid"]),
        # listed first in list order, the rest after them by name: mid, zeta, alpha, b1, b2
        (["mid", "zeta"], ["zeta", "b1", "mid"], ["mid", "b2", "mid"]),
    ],
)
def test_tie_rule_on_the_index(ties: object, first: list[str], last: list[str]) -> None:
    t = uo.paths.sessions(_log(), ties=ties).table  # type: ignore[arg-type]
    assert t["user_id"].tolist() == ["a", "a", "b"]
    assert t["session"].tolist() == [1, 2, 1]
    assert t["events"].tolist() == [3, 2, 1]
    assert t["duration"].dt.total_seconds().tolist() == [600.0, 0.0, 0.0]
    assert t["first_event"].astype(str).tolist() == first
    assert t["last_event"].astype(str).tolist() == last


@pytest.mark.parametrize("ties", ["name", "input", ["b2", "alpha"]])
@pytest.mark.parametrize("midnight", [False, True])
def test_index_route_equals_the_sorting_route(ties: object, midnight: bool) -> None:
    # a start event that never occurs forces the sorting route with the same sessions
    log = _log()
    fast = uo.paths.sessions(log, ties=ties, midnight=midnight, tz="Asia/Tokyo").table  # type: ignore[arg-type]
    with pytest.warns(uo.exceptions.UnknownEventWarning):
        slow = uo.paths.sessions(
            log,
            ties=ties,
            midnight=midnight,
            tz="Asia/Tokyo",
            start_event="no_such_event",  # type: ignore[arg-type]
        ).table
    pd.testing.assert_frame_equal(fast, slow)


def test_index_route_on_an_empty_log() -> None:
    log = _log().filter_users([])
    with pytest.warns(uo.exceptions.InsufficientDataWarning):
        t = uo.paths.sessions(log).table
    assert t.empty
    assert list(t.columns) == list(uo.paths.SESSION_COLUMNS)
