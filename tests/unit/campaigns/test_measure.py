"""measure: each KPI kind on a small hand-computed log; missing events named."""

from __future__ import annotations

import pandas as pd
import pytest

from useropslib.campaigns import measure, missing_events
from useropslib.events import EventLog, LazyEventLog, strict_events
from useropslib.exceptions import InvalidParameterError, UnknownEventWarning
from useropslib.models import (
    ActiveUsersSpec,
    ARPPUSpec,
    ARPUSpec,
    ConversionSpec,
    NewUsersSpec,
    OrdersSpec,
    PayingUsersSpec,
    RevenueSpec,
)


@pytest.fixture
def log() -> EventLog:
    rows = [
        ("a", "signup", "2024-01-01 10:00", 0.0),
        ("a", "purchase", "2024-01-02 10:00", 10.0),
        ("a", "purchase", "2024-01-09 10:00", 5.0),
        ("b", "signup", "2024-01-03 10:00", 0.0),
        ("b", "open", "2024-01-04 10:00", 0.0),
        ("c", "signup", "2024-01-08 10:00", 0.0),
        ("c", "purchase", "2024-01-20 10:00", 20.0),
        ("d", "open", "2024-01-10 10:00", 0.0),
    ]
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp", "value"])
    return EventLog.from_pandas(df, tz="UTC")


def test_counts_and_money(log: EventLog) -> None:
    s, e = "2024-01-01", "2024-01-15"
    assert measure(NewUsersSpec(), log, start=s, end=e) == 4.0
    assert measure(NewUsersSpec(event="signup"), log, start=s, end=e) == 3.0
    assert measure(RevenueSpec(), log, start=s, end=e) == 15.0
    assert measure(OrdersSpec(), log, start=s, end=e) == 2.0
    assert measure(PayingUsersSpec(), log, start=s, end=e) == 1.0
    assert measure(ARPPUSpec(), log, start=s, end=e) == 15.0
    # active users a, b, c, d in the range: 15 / 4
    assert measure(ARPUSpec(), log, start=s, end=e) == 3.75


def test_half_open_range(log: EventLog) -> None:
    # the purchase at 2024-01-09 10:00 is excluded by an end at that instant
    assert measure(RevenueSpec(), log, start="2024-01-01", end="2024-01-09 10:00") == 10.0


def test_every_week_sums_to_total_for_additive(log: EventLog) -> None:
    weekly = measure(RevenueSpec(), log, start="2024-01-01", end="2024-01-22", every="week")
    assert isinstance(weekly, pd.Series)
    assert weekly.tolist() == [10.0, 5.0, 20.0]
    assert str(weekly.index[1].date()) == "2024-01-08"
    daily = measure(NewUsersSpec(), log, start="2024-01-01", end="2024-01-04", every="day")
    assert daily.tolist() == [1.0, 0.0, 1.0]


def test_conversion_through_metrics_funnel(log: EventLog) -> None:
    spec = ConversionSpec(steps=["signup", "purchase"], window="7D")
    # a converts within 7 days, b never, c after 12 days
    assert measure(spec, log, start="2024-01-01", end="2024-01-15") == pytest.approx(1 / 3)


def test_active_users_mean_dau(log: EventLog) -> None:
    # days 1..4 Jan: active 1, 1, 1, 1 -> mean 1
    assert measure(ActiveUsersSpec(), log, start="2024-01-01", end="2024-01-05") == 1.0


def test_missing_events_named_with_close_names(log: EventLog) -> None:
    spec = ConversionSpec(steps=["signup", "purchse"])
    assert missing_events(spec, log) == ["purchse"]
    with (
        strict_events(),
        pytest.raises(
            InvalidParameterError,
            match=r"missing event\(s\) \['purchse'\].*did you mean 'purchase'",
        ),
    ):
        measure(spec, log, start="2024-01-01", end="2024-01-15")


def test_missing_events_count_as_zero_with_a_warning(log: EventLog) -> None:
    spec = ConversionSpec(steps=["signup", "never_fired"])
    with pytest.warns(UnknownEventWarning) as record:
        value = measure(spec, log, start="2024-01-01", end="2024-01-15")
    assert value == 0.0
    assert any("missing event(s) ['never_fired']" in str(w.message) for w in record)


def test_bad_ranges_and_options(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"start and end are required"):
        measure(NewUsersSpec(), log, start=None, end="2024-01-15")
    with pytest.raises(InvalidParameterError, match=r"is not after start"):
        measure(NewUsersSpec(), log, start="2024-01-15", end="2024-01-01")
    with pytest.raises(InvalidParameterError, match=r"did you mean 'week'"):
        measure(NewUsersSpec(), log, start="2024-01-01", end="2024-01-15", every="weak")
    with pytest.raises(InvalidParameterError, match=r"must be a MetricSpec"):
        measure("new_users", log, start="2024-01-01", end="2024-01-15")  # type: ignore[arg-type]


def test_dict_spec_accepted(log: EventLog) -> None:
    assert measure({"kind": "orders"}, log, start="2024-01-01", end="2024-02-01") == 3.0  # type: ignore[arg-type]


def test_does_not_mutate_frame() -> None:
    df = pd.DataFrame({"user_id": ["a"], "event": ["x"], "timestamp": ["2024-01-01T00:00Z"]})
    before = df.copy()
    measure(NewUsersSpec(), df, start="2024-01-01T00:00Z", end="2024-01-02T00:00Z")
    pd.testing.assert_frame_equal(df, before)


def test_lazy_log_gives_the_same_values() -> None:
    pl = pytest.importorskip("polars")
    import useropslib as uo

    log, _ = uo.datasets.synthetic(n_users=300, days=60, seed=2)
    df = log.to_pandas()
    frame = pl.from_pandas(df.assign(timestamp=df["timestamp"].dt.tz_convert("UTC")))
    lazy = LazyEventLog.scan(frame, tz="Asia/Shanghai")
    for spec in (NewUsersSpec(), ConversionSpec(steps=["signup", "purchase"]), RevenueSpec()):
        got = measure(spec, lazy, start="2024-01-10", end="2024-02-10")
        assert got == pytest.approx(measure(spec, log, start="2024-01-10", end="2024-02-10"))
