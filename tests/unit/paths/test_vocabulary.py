"""The paths functions speak the shared query vocabulary (hand-computed cases).

Event names go through the shared selector (unknown names warn and count as none; strict raises),
``as_of`` through the shared resolver, options through ``_checks``, user groups through the
breakdown resolver (``breakdown=``), and empty data follows the one policy: counting functions
warn and return zero-size results, estimating ones (aha moments, growth path) raise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest

import useropslib as uo
from useropslib.datasets import synthetic_frame
from useropslib.events import EventLog, LazyEventLog, strict_events
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
    UnknownEventWarning,
)

P = uo.paths


def frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    df["timestamp"] = pd.to_datetime(df["timestamp"], format="ISO8601").dt.tz_localize("UTC")
    return df


LOG = frame(
    [
        ("a", "open", "2024-01-01 10:00"),
        ("a", "view", "2024-01-01 10:05"),
        ("a", "buy", "2024-01-01 10:06"),
        ("a", "open", "2024-01-01 12:00"),  # a's second session
        ("b", "open", "2024-01-01 11:00"),
        ("b", "view", "2024-01-01 11:01"),
        ("c", "open", "2024-01-02 09:00"),
    ]
)


@pytest.fixture(scope="module")
def empty() -> EventLog:
    df = pd.DataFrame(
        {
            "user_id": pd.Series([], dtype=object),
            "event": pd.Series([], dtype=object),
            "timestamp": pd.Series([], dtype="datetime64[ns, UTC]"),
        }
    )
    return EventLog.from_pandas(df, allow_empty=True)


# ------------------------------------------------------------------------- event names
def test_unknown_names_warn_and_count_as_none() -> None:
    with pytest.warns(UnknownEventWarning, match=r"\['veiw'\] in include.*did you mean 'view'"):
        got = P.transitions(LOG, include=["open", "veiw"])
    assert got.table[["source", "target", "count"]].values.tolist() == [["open", "open", 1]]
    with pytest.warns(UnknownEventWarning, match=r"\['nope'\] in start_event"):
        s = P.sessions(LOG, start_event="nope")
    assert len(s.table) == 4  # as without a start event
    with (
        pytest.warns(UnknownEventWarning, match=r"in start"),
        pytest.warns(InsufficientDataWarning),
    ):
        p = P.paths(LOG, start="opne")
    assert p.table.empty


def test_strict_makes_unknown_names_errors() -> None:
    with strict_events(), pytest.raises(InvalidParameterError, match=r"\['opne'\] in entry"):
        P.conversion_paths(LOG, entry="opne", target="buy")


def test_property_filters_are_refused_with_a_hint() -> None:
    with pytest.raises(InvalidParameterError, match=r"property filters are not accepted here"):
        P.transitions(LOG, include=[("open", {"plan": "pro"})])


def test_option_checks_use_the_shared_messages() -> None:
    with pytest.raises(InvalidParameterError, match=r"Invalid within='sesion'.*'session'"):
        P.transitions(LOG, within="sesion")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"Invalid collapse='frist'.*'first'"):
        P.paths(LOG, collapse="frist")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"Invalid markers=.*Expected True or False"):
        P.transitions(LOG, markers="yes")  # type: ignore[arg-type]


# ------------------------------------------------------------------------- as_of
def test_as_of_is_read_by_the_shared_resolver() -> None:
    # naive as_of is read in tz: 18:30 in Shanghai is 10:30 UTC, after a's first session only
    s = P.sessions(LOG, as_of="2024-01-01 18:30", tz="Asia/Shanghai")
    assert s.table["events"].tolist() == [3]
    assert s.as_of == pd.Timestamp("2024-01-01 18:30", tz="Asia/Shanghai")
    t = P.transitions(LOG, as_of="2024-01-01 10:05")
    assert t.table[["source", "target"]].values.tolist() == [["open", "view"]]


def test_as_of_before_the_data_counts_nothing_or_raises_when_estimating() -> None:
    with pytest.warns(InsufficientDataWarning, match="No events: no session"):
        s = P.sessions(LOG, as_of="2023-01-01")
    assert s.table.empty
    with pytest.raises(InvalidParameterError, match=r"as_of=.* is before the first event"):
        uo.churn.growth_path(LOG, key_events=["buy"], as_of="2023-01-01")


# ------------------------------------------------------------------------- empty data
COUNTING: dict[str, Callable[[Any], Any]] = {
    "sessions": lambda log: P.sessions(log).table,
    "session_metrics": lambda log: P.session_metrics(log).table,
    "transitions": lambda log: P.transitions(log).table,
    "paths": lambda log: P.paths(log).table,
    "top_paths": lambda log: P.top_paths(log).table,
    "step_matrix": lambda log: P.step_matrix(log).matrix.iloc[1:-1],
    "conversion_paths": lambda log: P.conversion_paths(log, entry="open", target="buy").table,
    "core_path": lambda log: P.core_path(log, steps=["open", "buy"]).detours,
}


@pytest.mark.filterwarnings("ignore::useropslib.exceptions.UnknownEventWarning")  # no names
@pytest.mark.parametrize("name", sorted(COUNTING))
def test_counting_functions_warn_and_return_zero_size_on_an_empty_log(
    empty: EventLog, name: str
) -> None:
    with pytest.warns(InsufficientDataWarning):
        got = COUNTING[name](empty)
    assert len(got) == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda log: uo.churn.aha_moments(log),
        lambda log: uo.churn.growth_path(log, key_events=["buy"]),
    ],
)
def test_estimating_functions_raise_on_an_empty_log(
    empty: EventLog, call: Callable[[Any], Any]
) -> None:
    with pytest.raises(InsufficientDataError, match=r"the log is empty; events: 0 found"):
        call(empty)


# ------------------------------------------------------------------------- breakdown
def test_transitions_breakdown_counts_within_each_group() -> None:
    got = P.transitions(LOG, breakdown={"a": "paid", "b": "free", "c": "free"}).table
    paid = got[got["breakdown"] == "paid"].set_index(["source", "target"])["count"].to_dict()
    free = got[got["breakdown"] == "free"].set_index(["source", "target"])["count"].to_dict()
    assert paid == {("open", "view"): 1, ("view", "buy"): 1, ("buy", "open"): 1}
    assert free == {("open", "view"): 1}
    # shares are within the group: free has one transition, so it is the whole of it
    assert got.loc[got["breakdown"] == "free", "share_of_total"].tolist() == [1.0]
    seg = P.transitions(LOG, breakdown=["b"]).table  # a segment: members (True) and the rest
    assert set(seg["breakdown"]) == {True, False}


def test_session_metrics_breakdown_by_property_and_mapping() -> None:
    df = LOG.assign(plan=["pro", "pro", "pro", "pro", "free", "free", None])
    got = P.session_metrics(df, breakdown="plan").table
    assert got.index.names == ["period", "breakdown"]
    day1 = got.xs(pd.Timestamp("2024-01-01", tz="UTC"), level="period")
    assert day1.loc["pro", "sessions"] == 2
    assert day1.loc["free", "sessions"] == 1
    assert day1.loc["free", "bounce_rate"] == 0.0
    day2 = got.xs(pd.Timestamp("2024-01-02", tz="UTC"), level="period")
    assert day2.index.tolist() == ["(none)"]  # c has no plan: its own group
    with pytest.raises(InvalidParameterError, match=r"Missing breakdown column 'plna'"):
        P.session_metrics(df, breakdown="plna")


# ------------------------------------------------------------------------- lazy aggregates
@pytest.fixture(scope="module")
def synth() -> pd.DataFrame:
    return synthetic_frame(n_users=150, days=75, seed=11)


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
@pytest.mark.parametrize(
    ("period", "tz"), [("day", "Asia/Shanghai"), ("week", "Europe/Berlin"), ("month", "UTC")]
)
def test_lazy_session_metrics_are_engine_aggregates_equal_to_eager(
    synth: pd.DataFrame, engine: str, period: str, tz: str
) -> None:
    native = pl.from_pandas(synth).lazy() if engine == "polars" else duckdb.from_df(synth)
    lazy = LazyEventLog.scan(native, tz=tz)
    eager = EventLog.from_pandas(synth, tz=tz)
    a = P.session_metrics(lazy, period=period)  # type: ignore[arg-type]
    b = P.session_metrics(eager, period=period)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(a.table, b.table, check_freq=False)
    pd.testing.assert_frame_equal(a.lengths, b.lengths)
    assert int(np.asarray(a.table["sessions"]).sum()) == len(P.sessions(eager).table)
