"""Sessions: hand-computed cases for each convention, and every bad input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

import useropslib as uo
from useropslib.events import strict_events
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError
from useropslib.paths import SESSION_COLUMNS, session_log, session_metrics, sessions


@pytest.fixture(autouse=True)
def _strict() -> Iterator[None]:
    """Unknown event names raise here, so the messages below stay pinned."""
    with strict_events():
        yield


def frame(rows: list[tuple[str, str, str]], tz: str = "UTC") -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    df["timestamp"] = pd.to_datetime(df["timestamp"]).dt.tz_localize(tz)
    return df


GAP_30 = frame(
    [
        ("a", "open", "2024-01-01 10:00"),
        ("a", "view", "2024-01-01 10:30"),  # exactly 30 minutes later
        ("a", "buy", "2024-01-01 10:45"),
        ("b", "open", "2024-01-01 23:50"),
        ("b", "view", "2024-01-02 00:10"),  # across midnight, 20 minutes
    ]
)


def test_gap_of_exactly_the_timeout_splits_by_default_posthog() -> None:
    t = sessions(GAP_30).table
    assert list(t.columns) == list(SESSION_COLUMNS)
    assert t["user_id"].tolist() == ["a", "a", "b"]
    assert t["session"].tolist() == [1, 2, 1]
    assert t["events"].tolist() == [1, 2, 2]
    assert t["duration"].tolist() == [
        pd.Timedelta(0),  # a one-event session lasts 0
        pd.Timedelta("15min"),
        pd.Timedelta("20min"),
    ]
    assert t["first_event"].tolist() == ["open", "view", "open"]
    assert t["last_event"].tolist() == ["open", "buy", "view"]


def test_strictly_longer_gap_keeps_one_session_retentioneering() -> None:
    t = sessions(GAP_30, split=">").table
    assert t["events"].tolist() == [3, 2]
    assert t["duration"].iloc[0] == pd.Timedelta("45min")


def test_midnight_split_in_the_log_zone() -> None:
    t = sessions(GAP_30, midnight=True).table
    assert t["user_id"].tolist() == ["a", "a", "b", "b"]
    # in Shanghai (UTC+8) the midnight falls elsewhere: 23:50 and 00:10 UTC are both 07:50/08:10
    t8 = sessions(GAP_30, midnight=True, tz="Asia/Shanghai").table
    assert t8["user_id"].tolist() == ["a", "a", "b"]
    assert str(t8["start"].dt.tz) == "Asia/Shanghai"


def test_session_start_event_starts_a_session() -> None:
    t = sessions(GAP_30, start_event="view", split=">").table
    assert t["events"].tolist() == [1, 2, 1, 1]
    with pytest.raises(InvalidParameterError, match=r"Unknown event name.*'veiw'.*did you mean"):
        sessions(GAP_30, start_event="veiw")


def test_timeout_longer_than_the_log_gives_one_session_per_user() -> None:
    t = sessions(GAP_30, timeout="30D").table
    assert t.groupby("user_id").size().tolist() == [1, 1]


def test_ties_decide_first_and_last_event_only() -> None:
    df = frame([("a", "zeta", "2024-01-01 10:00"), ("a", "alpha", "2024-01-01 10:00")])
    by_name = sessions(df).table
    assert (by_name["first_event"].item(), by_name["last_event"].item()) == ("alpha", "zeta")
    by_input = sessions(df, ties="input").table
    assert (by_input["first_event"].item(), by_input["last_event"].item()) == ("zeta", "alpha")
    by_list = sessions(df, ties=["zeta"]).table
    assert by_list["first_event"].item() == "zeta"


def test_as_of_drops_later_events_and_the_input_is_not_mutated() -> None:
    before = GAP_30.copy()
    t = sessions(GAP_30, as_of="2024-01-01 10:40").table
    assert t["events"].tolist() == [1, 1]
    pd.testing.assert_frame_equal(GAP_30, before)


@pytest.mark.parametrize(
    ("timeout", "match"),
    [
        ("0min", r"Invalid session timeout '0min'.*positive"),
        ("-5min", r"Invalid session timeout '-5min'"),
        (pd.Timedelta(0), r"timeout must be positive"),
        (1800, r"the number 1800 \(seconds or minutes\?\).*timeout='30min'"),
        ("soon", r"Invalid session timeout 'soon'"),
    ],
)
def test_bad_timeout(timeout: object, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        sessions(GAP_30, timeout=timeout)


def test_bad_options() -> None:
    with pytest.raises(InvalidParameterError, match=r"Invalid split='=>'.*Expected one of"):
        sessions(GAP_30, split="=>")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"Invalid ties='nmae'.*Did you mean 'name'"):
        sessions(GAP_30, ties="nmae")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"midnight must be True or False"):
        sessions(GAP_30, midnight="yes")  # type: ignore[arg-type]


def test_timedelta_timeout_is_accepted() -> None:
    assert len(sessions(GAP_30, timeout=dt.timedelta(minutes=31)).table) == 2


def test_session_metrics_by_start_period() -> None:
    m = session_metrics(GAP_30, period="day")
    tab = m.table
    # b's session crosses midnight and belongs to the day it starts
    assert tab["sessions"].tolist() == [3]
    assert tab["users"].tolist() == [2]
    assert tab["sessions_per_user"].tolist() == [1.5]
    assert tab["events_per_session"].iloc[0] == pytest.approx(5 / 3)
    assert tab["bounce_rate"].iloc[0] == pytest.approx(1 / 3)
    assert tab["median_duration"].iloc[0] == pd.Timedelta("15min")
    assert m.lengths["sessions"].sum() == 3
    assert m.lengths.set_index("length").loc["0s (one instant)", "sessions"] == 1
    assert m.to_dict()["table"][0]["sessions"] == 3


def test_session_metrics_warns_when_empty() -> None:
    with pytest.warns(InsufficientDataWarning, match="No events"):
        m = session_metrics(GAP_30, as_of="2023-12-31")
    assert m.table.empty


def test_session_log_runs_a_funnel_within_sessions() -> None:
    df = frame(
        [
            ("a", "view", "2024-01-01 10:00"),
            ("a", "buy", "2024-01-01 12:00"),  # a later session: not within a session
            ("b", "view", "2024-01-01 10:00"),
            ("b", "buy", "2024-01-01 10:05"),
        ]
    )
    slog = session_log(df)
    assert list(slog.users) == ["a#1", "a#2", "b#1"]
    f = uo.metrics.funnel(slog, ["view", "buy"], window="1D")
    assert f.table["users"].tolist() == [2, 1]
    assert uo.metrics.funnel(df, ["view", "buy"], window="1D").table["users"].tolist() == [2, 2]


def test_result_plots_and_serialises() -> None:
    import matplotlib

    matplotlib.use("Agg")
    r = sessions(GAP_30)
    assert r.plot() is not None
    assert r.to_frame() is not r.table
    d = r.to_dict()
    assert d["table"][0]["user_id"] == "a"
    assert "SessionsResult" in repr(r)
    assert session_metrics(GAP_30).plot() is not None
    assert np.isclose(r.per_user().sum(), 3)
