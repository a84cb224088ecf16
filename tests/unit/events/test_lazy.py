"""LazyEventLog: rows stay in the engine; every metric gives the answer of the full log."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from useropslib import churn as ch
from useropslib import metrics as m
from useropslib import segments as sg
from useropslib._results import jsonable
from useropslib.churn import churn_labels
from useropslib.datasets import ONBOARDING_STEPS, synthetic_frame
from useropslib.events import EventLog, LazyEventLog, as_event_log, scan_events, strict_events
from useropslib.events._lazycal import offset_pieces
from useropslib.exceptions import EventSchemaError, InvalidParameterError


@pytest.fixture(autouse=True)
def _strict_event_names() -> Iterator[None]:
    """These cases pin the errors for unknown event names (the warning is tested elsewhere)."""
    with strict_events():
        yield


pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")

TZ = "America/New_York"  # the data crosses the DST change of 2024-03-10


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    df = synthetic_frame(n_users=400, days=45, seed=7, start="2024-02-20", tz=TZ)
    return df


@pytest.fixture(scope="module", params=["polars", "duckdb"])
def pair(request: pytest.FixtureRequest, frame: pd.DataFrame) -> tuple[EventLog, LazyEventLog]:
    if request.param == "polars":
        native: Any = pl.from_pandas(frame).lazy()
    else:
        con = duckdb.connect()
        con.execute("SET TimeZone='UTC'")
        native = con.from_df(frame)
    opts = {"properties": ["channel"], "tz": TZ}
    return EventLog.from_frame(native, **opts), LazyEventLog.scan(native, **opts)


def _same(a: Any, b: Any, where: str = "") -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict), where
        assert a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list), where
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float | int):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (where, a, b)
    else:
        assert a == b, (where, a, b)


def _as_plain(result: Any) -> Any:
    if isinstance(result, pd.Series | pd.DataFrame):
        return jsonable(result)
    if isinstance(result, np.ndarray):
        return result.tolist()
    return result.to_dict()


CASES: dict[str, Callable[[Any], Any]] = {
    "active_users day": lambda e: m.active_users(e),
    "active_users hour": lambda e: m.active_users(e, window="hour"),
    "active_users week": lambda e: m.active_users(e, window="week", week_start="sunday"),
    "active_users month utc": lambda e: m.active_users(e, window="month", tz="UTC"),
    "active_users 7D": lambda e: m.active_users(
        e, window="7D", activity_events=["app_open", "post"]
    ),
    "active_users kolkata": lambda e: m.active_users(e, tz="Asia/Kolkata"),
    "stickiness_ratio": lambda e: m.stickiness_ratio(e, denominator="month"),
    "stickiness week": lambda e: m.stickiness(e, period="week", cumulative=True),
    "stickiness min_events": lambda e: m.stickiness(e, min_events=2, max_events=5),
    "retention week": lambda e: m.retention(e, period="week", periods=5),
    "retention day first": lambda e: m.retention(
        e,
        period="day",
        periods=10,
        cohort="first_time",
        mode="on_or_after",
        start_event="signup",
        return_event="app_open",
    ),
    "retention month": lambda e: m.retention(e, period="month", periods=2, tz="UTC"),
    "retention hour": lambda e: m.retention(e, period="hour", periods=6, start_event="signup"),
    "retention rolling": lambda e: m.retention(e, period="day", periods=7, bucket="rolling"),
    "retention min_occ": lambda e: m.retention(e, period="week", periods=4, min_occurrences=2),
    "retention filtered": lambda e: m.retention(
        e, period="week", periods=3, return_event=("message_opened", {"channel": "push"})
    ),
    "retention as_of": lambda e: m.retention(
        e, period="week", periods=3, as_of="2024-03-15 13:30", start="2024-02-26"
    ),
    "lifecycle week": lambda e: m.lifecycle(e, period="week"),
    "lifecycle day": lambda e: m.lifecycle(e, period="day", activity_events="app_open"),
    "growth_accounting month": lambda e: m.growth_accounting(e, period="month"),
    "growth_accounting week": lambda e: m.growth_accounting(e, period="week"),
    "growth_states": lambda e: m.growth_states(e),
    "revenue week": lambda e: m.revenue(e, period="week"),
    "revenue day active": lambda e: m.revenue(e, period="day", activity_events="app_open"),
    "ltv_curve": lambda e: m.ltv_curve(e, periods=4, as_of="2024-03-30 12:00"),
    "ltv_curve signup": lambda e: m.ltv_curve(e, periods=3, signup_event="signup"),
    "funnel": lambda e: m.funnel(e, ONBOARDING_STEPS[:3], window="1D"),
    "funnel breakdown": lambda e: m.funnel(
        e,
        ["message_sent", "message_opened", "purchase"],
        window="7D",
        breakdown="channel",
        exclusions=[("add_to_cart", 1, 2)],
    ),
    "activation": lambda e: m.activation(e, key_event="purchase", within="7D"),
    "activation signup": lambda e: m.activation(
        e, key_event="first_post", within="2D", signup_event="signup", as_of="2024-03-25"
    ),
    "onboarding": lambda e: m.onboarding(e, list(ONBOARDING_STEPS)),
    "message_funnel": lambda e: m.message_funnel(e),
    "message_funnel return": lambda e: m.message_funnel(e, return_event="app_open"),
    "rfm": lambda e: sg.rfm(e, as_of="2024-04-05"),
    "churn_labels": lambda e: churn_labels(e, "14D", as_of="2024-04-01"),
    "survival_frame": lambda e: ch.survival_frame(e, "14D", as_of="2024-04-01"),
    "natural_churn_rate": lambda e: ch.natural_churn_rate(e, silence="2W"),
    "churn_rate": lambda e: ch.churn_rate(e, "14D", period="week"),
    "early_warning": lambda e: ch.early_warning(e, baseline="14D", recent="7D"),
    "churn_features": lambda e: ch.churn_features(e, cutoff="2024-03-20", horizon="14D"),
    "rfm_summary": lambda e: ch.rfm_summary(e, purchase_event="purchase", as_of="2024-04-05"),
    "lifecycle_stages": lambda e: sg.lifecycle_stages(e),
    "value_tiers": lambda e: sg.value_tiers(e),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_metric_matches_the_full_log(pair: tuple[EventLog, LazyEventLog], case: str) -> None:
    full, lazy = pair
    fn = CASES[case]
    _same(_as_plain(fn(full)), _as_plain(fn(lazy)), case)


def test_lazy_log_describes_the_table_without_collecting(
    pair: tuple[EventLog, LazyEventLog],
) -> None:
    full, lazy = pair
    assert lazy.n_events == full.n_events
    assert list(lazy.users) == list(full.users)
    assert list(lazy.event_names) == list(full.event_names)
    assert (lazy.start, lazy.end, lazy.as_of, lazy.tz) == (full.start, full.end, full.as_of, TZ)
    assert lazy.property_names == ("channel",)
    assert "events" in repr(lazy)


def test_collect_and_rollup_reductions(pair: tuple[EventLog, LazyEventLog]) -> None:
    full, lazy = pair
    assert lazy.to_event_log().equals(full)
    buys = lazy.collect(["purchase"])
    assert buys.equals(full.filter_events(["purchase"]))
    # the roll-up has one row per (user, event, local day) and keeps the first time and sums
    rolled = lazy.rollup("day")
    df = full.to_pandas()
    df["day"] = df["timestamp"].dt.tz_convert(TZ).dt.date
    expect = df.groupby(["user_id", "event", "day"], observed=True).agg(
        t=("timestamp", "min"), v=("value", "sum")
    )
    got = rolled.to_pandas()
    got["day"] = got["timestamp"].dt.date
    got = got.set_index(["user_id", "event", "day"]).sort_index()
    expect = expect.sort_index()
    assert len(got) == len(expect) < full.n_events
    assert (got["timestamp"].to_numpy() == expect["t"].to_numpy()).all()
    np.testing.assert_allclose(got["value"].fillna(0).to_numpy(), expect["v"].to_numpy())
    # exact rows for some events, rolled rows for the rest
    mixed = lazy.rollup("day", exact=["purchase"])
    exact = mixed.filter_events(["purchase"])
    key = np.lexsort((exact.timestamps_ns, exact.user_codes))
    key_b = np.lexsort((buys.timestamps_ns, buys.user_codes))
    assert (exact.timestamps_ns[key] == buys.timestamps_ns[key_b]).all()
    assert (exact.user_codes[key] == buys.user_codes[key_b]).all()


@pytest.mark.parametrize("grain", ["hour", "day", "week", "month"])
@pytest.mark.parametrize("zone", [TZ, "Asia/Kolkata", "UTC"])
def test_rollup_groups_are_the_library_periods(
    pair: tuple[EventLog, LazyEventLog], grain: str, zone: str
) -> None:
    full, lazy = pair
    for by_event in (True, False):
        rolled = lazy.rollup(grain, tz=zone, week_start=6, by_event=by_event)  # type: ignore[arg-type]
        codes = full.period_codes(grain, tz=zone, week_start=6)  # type: ignore[arg-type]
        cols = [full.user_codes, codes] + ([full.event_codes] if by_event else [])
        expect = len(pd.DataFrame(dict(enumerate(cols))).drop_duplicates())
        assert rolled.n_events == expect
        got = rolled.period_codes(grain, tz=zone, week_start=6)  # type: ignore[arg-type]
        keys = [rolled.user_codes, got] + ([rolled.event_codes] if by_event else [])
        assert len(pd.DataFrame(dict(enumerate(keys))).drop_duplicates()) == expect


def test_rollup_until_stops_value_sums(pair: tuple[EventLog, LazyEventLog]) -> None:
    full, lazy = pair
    cut = pd.Timestamp("2024-03-12 15:00", tz=TZ)
    rolled = lazy.rollup("day", until=cut)
    part = full.until(cut)
    assert rolled.timestamps_ns.max() <= cut.value
    np.testing.assert_allclose(np.nansum(rolled.values), np.nansum(part.values))


def test_offset_pieces_find_dst_changes_to_the_second() -> None:
    t0 = pd.Timestamp("2024-01-01", tz="UTC").value
    t1 = pd.Timestamp("2024-12-31", tz="UTC").value
    pieces = offset_pieces(TZ, t0, t1)
    starts = [pd.Timestamp(p[0], tz="UTC") for p in pieces]
    assert starts[1:] == [
        pd.Timestamp("2024-03-10 07:00", tz="UTC"),
        pd.Timestamp("2024-11-03 06:00", tz="UTC"),
    ]
    assert [p[1] // 3_600_000_000_000 for p in pieces] == [-5, -4, -5]
    assert offset_pieces("UTC", t0, t1) == [(t0, 0)]
    kolkata = offset_pieces("Asia/Kolkata", t0, t1)
    assert kolkata == [(t0, 19_800_000_000_000)]


def test_as_event_log_passes_logs_through(pair: tuple[EventLog, LazyEventLog]) -> None:
    full, lazy = pair
    assert as_event_log(full, grain="day") is full
    assert as_event_log(lazy, names=["signup"]).n_events == full.event_counts()["signup"]


def test_scan_events_reads_parquet_lazily(tmp_path: Any, frame: pd.DataFrame) -> None:
    path = tmp_path / "events.parquet"
    frame.to_parquet(path)
    for engine in ("duckdb", "polars"):
        lazy = scan_events(path, engine=engine, tz=TZ)  # type: ignore[arg-type]
        assert isinstance(lazy, LazyEventLog)
        assert lazy.n_events == len(frame)
        full = EventLog.from_pandas(frame, tz=TZ, properties=[])
        assert m.active_users(lazy, window="week").equals(m.active_users(full, window="week"))


def test_scan_events_bad_input(tmp_path: Any) -> None:
    with pytest.raises(InvalidParameterError, match=r"No such file: .*Expected the path \(or glob"):
        scan_events(tmp_path / "none.parquet")
    with pytest.raises(InvalidParameterError, match=r"Invalid engine='spark'\. Expected 'duckdb'"):
        scan_events(tmp_path / "x.parquet", engine="spark")  # type: ignore[arg-type]


def test_scan_rejects_in_memory_frames_and_naive_times(frame: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"scan got a pandas.*from_pandas"):
        LazyEventLog.scan(frame)
    naive = pl.from_pandas(frame.assign(timestamp=frame["timestamp"].dt.tz_localize(None)))
    with pytest.raises(InvalidParameterError, match=r"naive .*Hint: convert the time column"):
        LazyEventLog.scan(naive, tz=TZ)


def test_scan_checks_rows_in_the_engine(frame: pd.DataFrame) -> None:
    bad = frame.copy()
    bad.loc[3, "user_id"] = None
    with pytest.raises(EventSchemaError, match="null_user_id"):
        LazyEventLog.scan(pl.from_pandas(bad).lazy())


def test_rollup_bad_grain(pair: tuple[EventLog, LazyEventLog]) -> None:
    _, lazy = pair
    with pytest.raises(InvalidParameterError, match=r"Invalid grain='quarter'\. Expected 'hour'"):
        lazy.rollup("quarter")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="Unknown event name"):
        lazy.collect(["purchse"])


BAD_CALLS: dict[str, Callable[[Any], Any]] = {
    "funnel step": lambda e: m.funnel(e, ["signup", "sigup"]),
    "message sent": lambda e: m.message_funnel(e, sent="mesage_sent"),
    "retention return": lambda e: m.retention(e, return_event="opne"),
    "active event": lambda e: m.active_users(e, activity_events="app_opn"),
    "revenue purchase": lambda e: m.revenue(e, purchase_event="purchse"),
    "activation key": lambda e: m.activation(e, key_event="first_pst"),
    "bad zone": lambda e: m.lifecycle(e, tz="Mars/Base"),
}


@pytest.mark.parametrize("case", list(BAD_CALLS))
def test_lazy_log_raises_the_full_logs_errors(
    pair: tuple[EventLog, LazyEventLog], case: str
) -> None:
    full, lazy = pair
    with pytest.raises(InvalidParameterError) as want:
        BAD_CALLS[case](full)
    with pytest.raises(InvalidParameterError) as got:
        BAD_CALLS[case](lazy)
    assert str(got.value) == str(want.value)


def test_collect_after_keeps_rows_from_each_users_first_anchor(
    pair: tuple[EventLog, LazyEventLog],
) -> None:
    full, lazy = pair
    got = lazy.collect(after=["message_sent"]).to_pandas()
    df = full.to_pandas()
    first = df[df["event"] == "message_sent"].groupby("user_id")["timestamp"].min()
    t0 = df["user_id"].map(first)
    expect = df[t0.notna() & (df["timestamp"] >= t0)]
    assert 0 < len(got) == len(expect) < len(df)
    key = ["user_id", "timestamp", "event"]
    pd.testing.assert_frame_equal(
        got[key].sort_values(key).reset_index(drop=True),
        expect[key].sort_values(key).reset_index(drop=True),
    )


def test_user_ids_travel_as_hashes_and_the_text_path_agrees(
    pair: tuple[EventLog, LazyEventLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    import copy

    import narwhals.stable.v2 as nw

    from useropslib.events import _lazy

    full, lazy = pair
    assert lazy._hashes is not None  # both engines hash the ids
    text = copy.copy(lazy)
    text._vocab, text._cache = (lazy._raw, lazy.users, None), {}  # ids as text, no hash
    for fn in (CASES["active_users week"], CASES["retention week"], CASES["funnel"]):
        _same(_as_plain(fn(text)), _as_plain(fn(lazy)))
    # two ids with one hash: the ids travel as text, and the users are still all there
    raw = nw.to_native(nw.from_native(lazy._frame).drop("uh"))
    monkeypatch.setattr(_lazy, "_bits64", lambda col: np.zeros(len(col), dtype=np.int64))
    _, users, hashes = _lazy._with_user_hash(raw)
    assert hashes is None
    assert list(users) == list(full.users)


def test_a_table_changed_after_scan_is_an_error() -> None:
    from useropslib.exceptions import UseropsError

    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.execute(
        "CREATE TABLE ev AS SELECT 'u1' AS user_id, 'open' AS event, "
        "TIMESTAMPTZ '2024-01-01 00:00:00+00' AS timestamp"
    )
    lazy = LazyEventLog.scan(con.table("ev"), tz="UTC")
    created = {"u1": "2024-01-01"}  # created_at keeps lifecycle on the roll-up route
    m.lifecycle(lazy, period="day", created_at=created)  # reads the users as at the scan
    con.execute("INSERT INTO ev VALUES ('u2', 'open', TIMESTAMPTZ '2024-01-01 01:00:00+00')")
    lazy._cache.clear()
    with pytest.raises(
        UseropsError, match=r"The table changed after LazyEventLog\.scan: .*scan the"
    ):
        m.lifecycle(lazy, period="day", created_at=created)


@pytest.mark.parametrize("engine", ["polars", "duckdb", "pyarrow"])
def test_scan_is_one_aggregate_query_and_reads_users_on_first_need(
    frame: pd.DataFrame, engine: str
) -> None:
    from useropslib.events._engine import rows_collected

    pa = pytest.importorskip("pyarrow")
    native: Any = {
        "polars": lambda: pl.from_pandas(frame).lazy(),
        "duckdb": lambda: duckdb.from_arrow(pa.Table.from_pandas(frame)),
        "pyarrow": lambda: pa.Table.from_pandas(frame),
    }[engine]()
    with rows_collected() as sizes:
        lazy = LazyEventLog.scan(native, tz="Asia/Shanghai")
        # names, counts and the time range need no further query
        assert lazy.n_events == len(frame)
        assert list(lazy.event_names) == sorted(frame["event"].unique())
        assert lazy.start == frame["timestamp"].min()
        assert "users" not in repr(lazy)
    assert sizes == [frame["event"].nunique()]  # one row per event name
    assert not lazy.users_read
    full = EventLog.from_pandas(frame, tz="Asia/Shanghai")
    want = m.active_users(full, window="week")
    if engine != "pyarrow":
        # DuckDB and Polars count active users whole: one row per week, no user read
        with rows_collected() as sizes:
            _same(_as_plain(m.active_users(lazy, window="week")), _as_plain(want))
        assert not lazy.users_read
        assert sizes == [len(want)]
    # a function that needs per-user rows reads the users once, and never again
    with rows_collected() as sizes:
        got = m.active_users(lazy, window="week") if engine == "pyarrow" else lazy.rollup("week")
        if engine == "pyarrow":
            _same(_as_plain(got), _as_plain(want))
        assert lazy.users_read
        first = list(sizes)
        assert lazy.n_users == full.n_users
        assert list(lazy.users) == list(full.users)
    assert sizes == first  # users and n_users cost no second query
    assert sizes[0] == full.n_users  # the user vocabulary: one row per user
