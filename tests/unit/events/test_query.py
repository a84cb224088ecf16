"""The shared query vocabulary: selectors, as_of, user groups, grain and parameter checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from useropslib._checks import check_choice, check_int, check_window_days
from useropslib.events import EventLog, EventsLike, strict_events
from useropslib.events._query import (
    EventSelector,
    check_grain,
    resolve_as_of,
    resolve_groups,
)
from useropslib.exceptions import InvalidParameterError, UnknownEventWarning


@pytest.fixture
def log() -> EventLog:
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "c"],
            "event": ["open", "buy", "buy", "open"],
            "timestamp": pd.to_datetime(
                ["2024-01-01", "2024-01-02", "2024-01-31", "2024-01-15"], utc=True
            ),
            "plan": ["free", "pro", "free", None],
        }
    )
    return EventLog.from_pandas(df)


def test_selector_knows_names_rows_and_any() -> None:
    sel = EventSelector.parse(["open", ("buy", {"plan": ["pro", "team"]})], param="event")
    assert sel.names == ("open", "buy")
    assert sel.needs_rows
    assert not sel.is_any
    assert sel.properties == ("plan",)
    assert EventSelector.parse(None).is_any
    assert EventSelector.parse(None).names is None
    assert EventSelector.parse((None, {"plan": "pro"})).names is None
    assert not EventSelector.parse((None, {"plan": "pro"})).is_any


def test_selector_masks(log: EventLog) -> None:
    assert EventSelector.parse(None).mask(log) is None
    mask = EventSelector.parse("buy").mask(log)
    assert mask is not None
    assert mask.tolist() == [False, True, True, False]
    mask = EventSelector.parse(("buy", {"plan": "pro"})).mask(log)
    assert mask is not None
    assert mask.tolist() == [False, True, False, False]
    mask = EventSelector.parse(["open", (None, {"plan": "pro"})]).mask(log)
    assert mask is not None
    assert mask.tolist() == [True, True, False, True]


def test_absent_names_count_as_zero_with_a_warning(log: EventLog) -> None:
    with pytest.warns(UnknownEventWarning, match=r"\['bye'\] in event.*did you mean 'buy'"):
        mask = EventSelector.parse(["bye", "open"]).mask(log)
    assert mask is not None
    assert mask.tolist() == [True, False, False, True]
    with strict_events(), pytest.raises(InvalidParameterError, match=r"\['bye'\] in event"):
        EventSelector.parse("bye").mask(log)
    with pytest.raises(InvalidParameterError, match=r"\['bye'\] in x"):
        EventSelector.parse("bye", param="x", strict=True).mask(log)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ([], r"event=\[\] names no event"),
        (3, r"Invalid event=3 of type int"),
        ([3], r"Cannot read event 3"),
        (("buy", {1: "x"}), r"property names must be strings"),
        (("buy", {"plan": []}), r"lists no value for 'plan'"),
    ],
)
def test_selector_errors(spec: object, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        EventSelector.parse(spec)


def test_unknown_property(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"Unknown property 'plna'.*'plan'"):
        EventSelector.parse(("buy", {"plna": "pro"})).mask(log)


def test_any_event_refused_where_a_name_is_needed() -> None:
    with pytest.raises(InvalidParameterError, match="purchase_event must name an event"):
        EventSelector.parse(None, param="purchase_event", allow_any=False)


def test_as_of_policy(log: EventLog) -> None:
    default = resolve_as_of(log)
    assert default is not None
    assert not default.given
    # the last event's month is shown (incomplete) by default
    assert default.last_shown("month") == default.last_complete("month") + 1
    given = resolve_as_of(log, "2024-02-01")
    assert given is not None
    assert given.given
    # a month ending at as_of is complete; the month starting at as_of is not shown
    assert given.last_shown("month") == given.last_complete("month")
    assert given.stamp == pd.Timestamp("2024-02-01", tz="UTC")
    mid = resolve_as_of(log, "2024-01-10")
    assert mid is not None
    late = mid.mask(log)
    assert late is not None
    assert late.tolist() == [True, True, False, False]
    with pytest.raises(InvalidParameterError, match="before the first event of the log"):
        resolve_as_of(log, "2023-12-31")
    assert resolve_as_of(log, "2023-12-31", allow_before=True) is not None


def test_user_groups(log: EventLog) -> None:
    g = resolve_groups(log, "plan")
    assert g is not None
    # latest non-null value per user: a -> pro, b -> free, c has none
    assert list(g.of([0, 1, 2])) == ["pro", "free", "(none)"]
    early = resolve_groups(log, "plan", as_of_ns=int(pd.Timestamp("2024-01-01", tz="UTC").value))
    assert early is not None
    assert early.of([0])[0] == "free"
    seg = resolve_groups(log, ["a", "c"])
    assert seg is not None
    assert seg.of([0, 1, 2]).tolist() == [True, False, True]
    assert resolve_groups(log, None) is None
    with pytest.raises(InvalidParameterError, match="more than once"):
        resolve_groups(log, pd.Series([1, 2], index=["a", "a"]))
    with pytest.raises(InvalidParameterError, match="Cannot read breakdown of type float"):
        resolve_groups(log, 1.5)


def test_rolled_up_log_is_refused_where_events_are_counted() -> None:
    pytest.importorskip("polars")
    import polars as pl

    frame = pl.DataFrame(
        {
            "user_id": ["a", "a", "a"],
            "event": ["buy", "buy", "buy"],
            "timestamp": [pd.Timestamp(f"2024-01-01 0{h}:00", tz="UTC") for h in (1, 2, 3)],
        }
    )
    lazy: EventsLike = EventLog.scan(frame.lazy())
    rolled = lazy.rollup("day")  # type: ignore[union-attr]
    assert rolled.grain == "day"
    assert rolled.n_events == 1
    check_grain(rolled, "week", "active_users")  # a day roll-up answers weekly questions
    with pytest.raises(InvalidParameterError, match=r"needs event-level rows.*roll-up to 'day'"):
        check_grain(rolled, "events", "funnel")
    with pytest.raises(InvalidParameterError, match="needs hourly periods"):
        check_grain(rolled, "hour", "active_users")
    assert lazy.collect().grain is None  # type: ignore[union-attr]
    from useropslib.metrics import funnel

    with pytest.raises(InvalidParameterError, match="funnel needs event-level rows"):
        funnel(rolled, ["buy", "buy"])


def test_checks() -> None:
    assert check_choice("week", ("day", "week"), "period") == "week"
    with pytest.raises(InvalidParameterError, match=r"Invalid period='wek'.*Did you mean 'week'"):
        check_choice("wek", ("day", "week"), "period")
    assert check_int(np.int64(3), "periods") == 3
    with pytest.raises(InvalidParameterError, match=r"Invalid periods=True"):
        check_int(True, "periods")
    assert check_window_days("2W", "silence") == 14
    with pytest.raises(InvalidParameterError, match=r"Invalid silence='36h'.*whole number of days"):
        check_window_days("36h", "silence")
