"""Churn on a lazy log: per-user engine queries, one row per user collected, in-memory answers."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from useropslib.churn import churn_labels, natural_churn_rate, survival_frame
from useropslib.datasets import synthetic_frame
from useropslib.events import EventLog, LazyEventLog, strict_events
from useropslib.events._engine import rows_collected
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
    UnknownEventWarning,
)
from useropslib.models import ChurnDefinition

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")
pa = pytest.importorskip("pyarrow")

TZ = "America/New_York"  # the data crosses the DST change of 2024-03-10
ENGINES = ["polars", "duckdb", "pyarrow"]
DEFINITIONS: list[Any] = [
    "7D",
    "36h",
    ChurnDefinition(threshold="5D", activity_events=["app_open", "purchase"]),
]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_frame(n_users=300, days=40, seed=5, start="2024-02-20", tz=TZ)


def _native(df: pd.DataFrame, engine: str) -> Any:
    if engine == "polars":
        return pl.from_pandas(df).lazy()
    if engine == "duckdb":
        con = duckdb.connect()
        con.execute("SET TimeZone='UTC'")
        return con.from_df(df)
    return pa.Table.from_pandas(df, preserve_index=False)


@pytest.fixture(scope="module", params=ENGINES)
def logs(request: pytest.FixtureRequest, frame: pd.DataFrame) -> tuple[EventLog, Any]:
    """The collected log (the in-memory answer) and a maker of fresh lazy logs."""
    native = _native(frame, request.param)
    full = LazyEventLog.scan(native, tz=TZ).to_event_log()
    return full, lambda: LazyEventLog.scan(native, tz=TZ)


@pytest.mark.parametrize("definition", DEFINITIONS)
@pytest.mark.parametrize("as_of", [None, "2024-03-15 13:30", "2024-02-21 18:00"])
def test_churn_labels_equal_in_memory_and_collect_one_row_per_user(
    logs: tuple[EventLog, Any], definition: Any, as_of: str | None
) -> None:
    full, make = logs
    lazy = make()
    with rows_collected() as sizes:
        got = churn_labels(lazy, definition, as_of=as_of)
    pd.testing.assert_frame_equal(got, churn_labels(full, definition, as_of=as_of))
    assert len(sizes) == 1  # one GROUP BY user
    assert sizes[0] == len(got) <= full.n_users
    assert not lazy.users_read  # the user vocabulary was never read


def test_churn_labels_equal_the_pandas_log(frame: pd.DataFrame) -> None:
    # text ids in pandas' own text dtype (str under pandas 3), as the engine's ids come back
    full = EventLog.from_pandas(frame.astype({"user_id": pd.Index(["id"]).dtype}), tz=TZ)
    lazy = LazyEventLog.scan(_native(frame, "duckdb"), tz=TZ)
    pd.testing.assert_frame_equal(
        churn_labels(lazy, "10D", as_of="2024-03-20"), churn_labels(full, "10D", as_of="2024-03-20")
    )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"kind": "first_lapse"},
        {"kind": "first_lapse", "clock": "last_activity", "resolution": None},
        {"as_of": "2024-03-01 12:00", "early_window": "3D"},
        {"early_window": None, "resolution": "6h"},
    ],
)
@pytest.mark.parametrize("definition", DEFINITIONS)
def test_survival_frame_equals_in_memory_with_user_sized_collections(
    logs: tuple[EventLog, Any], definition: Any, options: dict[str, Any]
) -> None:
    full, make = logs
    lazy = make()
    with rows_collected() as sizes:
        got = survival_frame(lazy, definition, **options)
    want = survival_frame(full, definition, **options)
    pd.testing.assert_frame_equal(got, want)
    assert got.attrs == want.attrs
    n_names = len(full.event_names)
    # spans and first lapses: one row per user; early counts: at most one per (user, event)
    assert all(size <= len(got) * n_names for size in sizes)
    assert sizes[0] == len(got) <= full.n_users
    if options.get("kind") == "first_lapse":
        assert sizes[1] <= len(got)
    assert not lazy.users_read


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"cohort_period": "day", "silence": "3D", "signup_event": "signup"},
        {
            "cohort_period": "month",
            "silence": ChurnDefinition(threshold="2D", activity_events=["app_open"]),
            "as_of": "2024-03-10 10:00",
        },
        {"cohort_period": "week", "silence": "12h", "signup_event": "purchase"},
    ],
)
def test_natural_churn_rate_equals_in_memory_with_one_row_per_user(
    logs: tuple[EventLog, Any], options: dict[str, Any]
) -> None:
    full, make = logs
    lazy = make()
    with rows_collected() as sizes:
        got = natural_churn_rate(lazy, **options)
    pd.testing.assert_frame_equal(got, natural_churn_rate(full, **options))
    assert len(sizes) == 1
    assert sizes[0] == int(got["signups"].sum()) <= full.n_users
    assert not lazy.users_read


def test_natural_churn_rate_errors_and_warnings_as_in_memory(logs: tuple[EventLog, Any]) -> None:
    full, make = logs
    with pytest.raises(InvalidParameterError, match="Invalid signup_event=3"):
        natural_churn_rate(make(), signup_event=3)  # type: ignore[arg-type]
    with pytest.warns(UnknownEventWarning), pytest.raises(InsufficientDataError) as want:
        natural_churn_rate(full, signup_event="sign_up")
    with (
        pytest.warns(UnknownEventWarning, match="sign_up"),
        pytest.raises(InsufficientDataError, match="Nobody signed up at or before") as got,
    ):
        natural_churn_rate(make(), signup_event="sign_up")
    assert str(got.value) == str(want.value)
    with pytest.warns(InsufficientDataWarning, match="every one of the .* signups is still"):
        pending = natural_churn_rate(make(), silence="400D")
    assert pending["natural_churn_rate"].isna().all()
    d = ChurnDefinition(threshold="2D", activity_events=["nope"])
    with pytest.warns(UnknownEventWarning, match="nope"):
        nobody_back = natural_churn_rate(make(), silence=d)
    with pytest.warns(UnknownEventWarning):
        pd.testing.assert_frame_equal(nobody_back, natural_churn_rate(full, silence=d))


def test_as_of_before_the_data_is_the_in_memory_error(logs: tuple[EventLog, Any]) -> None:
    full, make = logs
    with pytest.raises(InvalidParameterError) as want:
        churn_labels(full, "7D", as_of="2024-01-01")
    match = "as_of=2024-01-01 00:00:00-05:00 is before the first event of the log"
    for fn in (churn_labels, survival_frame):
        with pytest.raises(InvalidParameterError, match=match) as got:
            fn(make(), "7D", as_of="2024-01-01")
        assert str(got.value) == str(want.value)
    with pytest.raises(InvalidParameterError, match=match):
        natural_churn_rate(make(), as_of="2024-01-01")


def test_unknown_activity_events_warn_or_raise_as_in_memory(logs: tuple[EventLog, Any]) -> None:
    full, make = logs
    d = ChurnDefinition(threshold="7D", activity_events=["app_open", "app_opne"])
    with pytest.warns(UnknownEventWarning, match="app_opne"):
        got = churn_labels(make(), d)
    with pytest.warns(UnknownEventWarning):
        pd.testing.assert_frame_equal(got, churn_labels(full, d))
    with strict_events(), pytest.raises(InvalidParameterError, match=r"app_opne.*app_open"):
        churn_labels(make(), d)
    only_unknown = ChurnDefinition(threshold="7D", activity_events=["nope"])
    with (
        pytest.warns(UnknownEventWarning),
        pytest.warns(InsufficientDataWarning, match=r"no activity event named \['nope'\]"),
    ):
        assert churn_labels(make(), only_unknown).empty


def test_no_activity_by_as_of(logs: tuple[EventLog, Any]) -> None:
    full, make = logs
    d = ChurnDefinition(threshold="7D", activity_events=["purchase"])
    early = str(full.start)  # the first event: no purchase yet
    with pytest.warns(InsufficientDataWarning, match="no activity event named"):
        labels = churn_labels(make(), d, as_of=early)
    assert labels.empty
    assert list(labels.columns) == list(churn_labels(full, "7D").columns)
    with pytest.raises(InsufficientDataError) as want:
        survival_frame(full, d, as_of=early)
    with pytest.raises(InsufficientDataError, match="No activity events at or before") as got:
        survival_frame(make(), d, as_of=early)
    assert str(got.value) == str(want.value)


def test_an_empty_lazy_log_labels_nobody() -> None:
    empty = pd.DataFrame(
        {
            "user_id": pd.Series([], dtype=object),
            "event": pd.Series([], dtype=object),
            "timestamp": pd.Series([], dtype="datetime64[ns, UTC]"),
        }
    )
    lazy = LazyEventLog.scan(pl.from_pandas(empty).lazy(), allow_empty=True)
    with pytest.warns(InsufficientDataWarning, match="no user is labelled"):
        labels = churn_labels(lazy, "7D")
    assert labels.empty
    with pytest.warns(InsufficientDataWarning, match="the frame has no user"):
        surv = survival_frame(lazy, "7D")
    assert surv.empty
    assert list(surv.columns) == ["duration", "observed"]
    with pytest.raises(InsufficientDataError, match="The event log has no events"):
        natural_churn_rate(lazy)


def test_integer_ids_and_ties(logs: tuple[EventLog, Any]) -> None:
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    df = pd.DataFrame(
        {
            "user_id": [3, 3, 3, 1, 1, 2],
            "event": ["open"] * 6,
            "timestamp": [t0, t0, t0 + pd.Timedelta(days=9), t0, t0 + pd.Timedelta(days=2), t0],
        }
    )
    pandas_log = EventLog.from_pandas(df, tz="UTC")  # users in order of appearance
    for engine in ENGINES:
        full = LazyEventLog.scan(_native(df, engine), tz="UTC").to_event_log()
        lazy = LazyEventLog.scan(_native(df, engine), tz="UTC")
        got = churn_labels(lazy, "3D", as_of="2024-01-20")
        pd.testing.assert_frame_equal(got, churn_labels(full, "3D", as_of="2024-01-20"))
        assert list(got.index) == [1, 2, 3]  # the engine's user order, as collected
        want = churn_labels(pandas_log, "3D", as_of="2024-01-20").sort_index()
        pd.testing.assert_frame_equal(got, want)
        surv = survival_frame(lazy, "3D", as_of="2024-01-20", kind="first_lapse")
        pd.testing.assert_frame_equal(
            surv, survival_frame(full, "3D", as_of="2024-01-20", kind="first_lapse")
        )
        # user 3: two events at the same instant, then a 9-day gap: the lapse opens at day 0
        assert surv.loc[3, "duration"] == 3.0


def test_lazy_user_methods_by_hand() -> None:
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    day = pd.Timedelta(days=1)
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b", "b"],
            "event": ["signup", "open", "open", "signup", "buy"],
            "timestamp": [t0, t0 + day, t0 + 10 * day, t0 + 2 * day, t0 + 3 * day],
        }
    )
    lazy = LazyEventLog.scan(pl.from_pandas(df).lazy(), tz="UTC")
    spans = lazy.user_spans("open")
    assert list(spans.index) == ["a"]
    assert spans.loc["a", "first"] == t0 + day
    assert spans.loc["a", "last"] == t0 + 10 * day
    assert list(lazy.user_spans(until=t0 + day).index) == ["a"]
    gaps = lazy.user_first_gap("5D")
    assert list(gaps.index) == ["a"]
    assert gaps.loc["a", "at"] == t0 + day
    assert lazy.user_first_gap("5D", until=t0 + 5 * day).empty  # the gap closes later
    counts = lazy.user_event_counts("2D", anchor_events="signup")
    assert counts.to_dict("index") == {
        "a": {"buy": 0, "open": 1, "signup": 1},
        "b": {"buy": 1, "open": 0, "signup": 1},
    }
    early = lazy.user_event_counts("1D", until=t0 + 2 * day)
    assert list(early.columns) == ["open", "signup"]  # no "buy" by then
    with pytest.raises(InvalidParameterError, match="Invalid min_gap='soon'"):
        lazy.user_first_gap("soon")
    with pytest.raises(InvalidParameterError, match="Invalid window="):
        lazy.user_event_counts("-1D")
    with strict_events(), pytest.raises(InvalidParameterError, match="opne"):
        lazy.user_spans("opne")
    with pytest.raises(InvalidParameterError, match="totals"):
        lazy.user_spans(totals="yes")  # type: ignore[arg-type]
    totals = lazy.user_spans("open", totals=True)
    assert totals.loc["a", "rows"] == 2
    assert totals.loc["a", "value"] == 0.0  # no value column: 0


# ---------------------------------------------------------------------------- PySpark
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_pyspark_churn_labels_and_survival_in_spark(spark: Any) -> None:
    df = synthetic_frame(n_users=60, days=40, seed=3, start="2024-03-01", tz="Europe/Berlin")
    df = df.drop(columns="channel")
    df["timestamp"] = df["timestamp"].dt.tz_convert("UTC")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sdf = spark.createDataFrame(df)
    lazy = LazyEventLog.scan(sdf, tz="Europe/Berlin")
    full = EventLog.from_pandas(df, tz="Europe/Berlin")
    d = ChurnDefinition(threshold="4D", activity_events=["app_open", "post"])
    ch_natural = natural_churn_rate
    with rows_collected() as sizes:
        got = churn_labels(lazy, d)
    pd.testing.assert_frame_equal(got, churn_labels(full, d))
    assert sizes == [len(got)]
    for kind in ("terminal", "first_lapse"):
        with rows_collected() as sizes:
            surv = survival_frame(lazy, d, kind=kind, early_window="5D")
        want = survival_frame(full, d, kind=kind, early_window="5D")
        pd.testing.assert_frame_equal(surv, want, check_like=True)
        assert max(sizes) <= len(surv) * len(full.event_names)
        assert sizes[0] == len(surv)
    with rows_collected() as sizes:
        rate = ch_natural(lazy, cohort_period="week", silence=d, signup_event="signup")
    pd.testing.assert_frame_equal(
        rate, ch_natural(full, cohort_period="week", silence=d, signup_event="signup")
    )
    assert sizes == [int(rate["signups"].sum())]
    assert not lazy.users_read
    assert np.isfinite(surv["duration"]).all()
