"""Behaviour conditions on the shared selector and as_of resolver: an event name the log does not
have counts as zero events (UnknownEventWarning with the did-you-mean hint); strict restores the
error.  Hand-computed on three users."""

from __future__ import annotations

import pandas as pd
import pytest

from useropslib.events import EventLog, strict_events
from useropslib.exceptions import (
    InsufficientDataWarning,
    InvalidParameterError,
    UnknownEventWarning,
)
from useropslib.models import BehaviourCondition, Segment
from useropslib.segments import members


@pytest.fixture(scope="module")
def log() -> EventLog:
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "c"],
            "event": ["purchase", "visit", "visit", "visit"],
            "timestamp": pd.to_datetime(
                ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"], utc=True
            ),
        }
    )
    return EventLog.from_pandas(df)


def _seg(condition: object) -> Segment:
    return Segment(name="s", condition=condition)  # type: ignore[arg-type]


def test_unknown_event_counts_as_zero_with_a_warning(log: EventLog) -> None:
    with (
        pytest.warns(UnknownEventWarning, match=r"\['purchse'\].*'purchase'"),
        pytest.warns(InsufficientDataWarning, match="no members among 3 users"),
    ):
        got = members(log, _seg(BehaviourCondition(event="purchse")))
    assert list(got) == []
    # zero events: "at most 0 times" holds for every user
    with pytest.warns(UnknownEventWarning):
        never = members(
            log, _seg(BehaviourCondition(event="purchse", comparison="at_most", times=0))
        )
    assert sorted(map(str, never)) == ["a", "b", "c"]


def test_a_known_name_next_to_an_unknown_one_still_counts(log: EventLog) -> None:
    with pytest.warns(UnknownEventWarning, match=r"\['refund'\]"):
        got = members(log, _seg(BehaviourCondition(event=["purchase", "refund"])))
    assert list(map(str, got)) == ["a"]


def test_strict_restores_the_error(log: EventLog) -> None:
    with (
        strict_events(),
        pytest.raises(
            InvalidParameterError, match=r"Unknown event name\(s\) \['purchse'\].*'purchase'"
        ),
    ):
        members(log, _seg(BehaviourCondition(event="purchse")))


def test_as_of_goes_through_the_shared_resolver(log: EventLog) -> None:
    seg = _seg(BehaviourCondition(event="visit", window="1D"))
    # events at or before as_of count: b's visit at 2024-01-04 00:00 is inside (01-03, 01-04]
    assert list(map(str, members(log, seg, as_of="2024-01-04"))) == ["b"]
    with pytest.raises(
        InvalidParameterError, match=r"as_of=2023-12-01 00:00:00\+00:00 is before the first event"
    ):
        members(log, seg, as_of="2023-12-01")
    with pytest.raises(InvalidParameterError, match=r"Cannot read as_of='soon'"):
        members(log, seg, as_of="soon")
