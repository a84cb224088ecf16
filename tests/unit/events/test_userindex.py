"""The per-user index (rows by user and time, with offsets) and the cheaper id factorisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from useropslib import EventLog
from useropslib.events import _ingest
from useropslib.events._query import UserIndex, user_index
from useropslib.events._userindex import build_user_index
from useropslib.exceptions import EventSchemaError


def _log(users: list[str], minutes: list[int], events: list[str] | None = None) -> EventLog:
    df = pd.DataFrame(
        {
            "user_id": users,
            "event": events or ["x"] * len(users),
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(minutes, unit="min"),
        }
    )
    return EventLog.from_pandas(df)


def _expected_order(log: EventLog) -> np.ndarray:
    n = log.n_events
    return np.lexsort((np.arange(n), log.timestamps_ns, log.user_codes))


def test_hand_computed_order_and_offsets() -> None:
    # users a (code 0), b (code 1); rows: a@5, b@1, a@2, b@1, a@9
    log = _log(["a", "b", "a", "b", "a"], [5, 1, 2, 1, 9])
    idx = user_index(log)
    assert isinstance(idx, UserIndex)
    assert idx.order.tolist() == [2, 0, 4, 1, 3]  # a@2, a@5, a@9, b@1, b@1 (row order on ties)
    assert idx.offsets.tolist() == [0, 3, 5]
    assert idx.users().tolist() == [0, 0, 0, 1, 1]
    assert idx.counts.tolist() == [3, 2]
    assert idx.times().tolist() == log.timestamps_ns[[2, 0, 4, 1, 3]].tolist()
    assert idx.rows(np.array([0, 3])).tolist() == [2, 1]
    assert idx.first_positions().tolist() == [0, 3]
    assert idx.last_positions().tolist() == [2, 4]
    assert not idx.sorted_rows
    assert idx.order.dtype == np.int32
    assert "5 events, 2 users" in repr(idx)


def test_built_once_and_cached() -> None:
    log = _log(["a", "b", "a"], [3, 1, 2])
    assert user_index(log) is user_index(log)


def test_rows_already_sorted_store_no_order() -> None:
    log = _log(["a", "a", "b", "b"], [1, 2, 0, 5], ["x", "y", "x", "y"])
    idx = user_index(log)
    assert idx.sorted_rows
    assert idx.order.tolist() == [0, 1, 2, 3]
    assert idx.nbytes() == idx.offsets.nbytes  # just the offsets
    assert idx.events().tolist() == log.event_codes.tolist()
    assert "rows already sorted" in repr(idx)


@pytest.mark.parametrize("seed", range(6))
def test_equals_a_lexsort_in_every_layout(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    users = [f"u{k}" for k in rng.integers(0, 20, n)]
    minutes = rng.integers(0, 50, n)  # many ties
    if seed % 2:
        minutes = np.sort(minutes)  # time-ordered rows: the packed-sort route
    log = _log(users, minutes.tolist())
    idx = user_index(log)
    expected = _expected_order(log)
    assert idx.order.tolist() == expected.tolist()
    assert np.array_equal(idx.offsets, np.r_[0, np.cumsum(np.bincount(log.user_codes))])
    assert np.array_equal(idx.times(), log.timestamps_ns[expected])
    assert np.array_equal(idx.events(), log.event_codes[expected])


def test_views_share_or_derive_the_index() -> None:
    rng = np.random.default_rng(7)
    n = 400
    users = [f"u{k}" for k in rng.integers(0, 30, n)]
    minutes = rng.integers(0, 10_000, n).tolist()
    events = [["a", "b", "c"][k] for k in rng.integers(0, 3, n)]
    log = _log(users, minutes, events)
    parent = user_index(log)
    assert user_index(log.with_tz("Asia/Shanghai")) is parent  # same rows: same index
    assert user_index(log.with_week_start("sunday")) is parent
    for view in (
        log.between("2024-01-02", "2024-01-05"),
        log.until("2024-01-04"),
        log.filter_events(["a", "c"]),
        log.filter_users(["u1", "u2", "u3"], exclude=True),
    ):
        derived = user_index(view)
        fresh = build_user_index(
            view.user_codes,
            view.timestamps_ns,
            view.event_codes,
            n_users=len(view.users),
            n_event_names=len(view.event_names),
        )
        assert derived.order.tolist() == fresh.order.tolist() == _expected_order(view).tolist()
        assert derived.offsets.tolist() == fresh.offsets.tolist()


def test_views_of_a_log_without_index_build_their_own() -> None:
    log = _log(["b", "a", "b"], [3, 1, 2])
    view = log.between("2024-01-01 00:02")
    assert user_index(view).order.tolist() == _expected_order(view).tolist()


def test_empty_and_single_event_logs() -> None:
    empty = EventLog.from_pandas(
        pd.DataFrame(
            {
                "user_id": pd.Series([], dtype=object),
                "event": pd.Series([], dtype=object),
                "timestamp": pd.Series([], dtype="datetime64[ns, UTC]"),
            }
        ),
        allow_empty=True,
    )
    idx = user_index(empty)
    assert idx.n_events == 0
    assert idx.order.size == 0
    assert idx.offsets.tolist() == [0]
    one = user_index(_log(["a"], [0]))
    assert one.offsets.tolist() == [0, 1]
    assert one.order.tolist() == [0]


def test_index_arrays_are_read_only() -> None:
    idx = user_index(_log(["b", "a"], [0, 1]))
    for arr in (idx.order, idx.offsets, idx.users(), idx.times(), idx.events()):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 1


# ---------------------------------------------------------------------------- factorisation


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the identity route run on small test columns."""
    monkeypatch.setattr(_ingest, "_SHARED_MIN_ROWS", 1)
    monkeypatch.setattr(_ingest, "_SHARED_SAMPLE", 1_000)


@pytest.mark.usefixtures("small_threshold")
def test_factorize_ids_equals_pandas_on_shared_objects() -> None:
    a, b = "alpha", "".join(["al", "pha"])  # equal strings, distinct objects
    assert a is not b
    vals = [a, "beta", None, b, 7, 7.0, float("nan"), "beta", "é", a] * 30
    s = pd.Series(vals, dtype=object)
    codes, uniques = _ingest.factorize_ids(s)
    want_codes, want_uniques = pd.factorize(s)
    assert codes.tolist() == want_codes.tolist()
    assert list(uniques) == list(want_uniques)
    assert all(x is y for x, y in zip(uniques, want_uniques, strict=True))


@pytest.mark.usefixtures("small_threshold")
def test_factorize_ids_falls_back_for_distinct_objects() -> None:
    s = pd.Series([f"id{k}" for k in range(500)], dtype=object)  # nothing repeats
    codes, uniques = _ingest.factorize_ids(s)
    assert codes.tolist() == list(range(500))
    assert list(uniques) == list(s)


@pytest.mark.usefixtures("small_threshold")
def test_unhashable_ids_still_reported_on_the_identity_route() -> None:
    df = pd.DataFrame(
        {
            "user_id": pd.Series(["a", ["x"], "a", "b"] * 10, dtype=object),
            "event": ["e"] * 40,
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC"),
        }
    )
    with pytest.raises(EventSchemaError, match="invalid_user_id"):
        EventLog.from_pandas(df)


@pytest.mark.usefixtures("small_threshold")
def test_log_from_the_identity_route_equals_the_plain_one(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    ids = np.array(["u1", "u2", "u3", "u4"], dtype=object)[rng.integers(0, 4, 200)]
    df = pd.DataFrame(
        {
            "user_id": ids,
            "event": np.array(["open", "buy"], dtype=object)[rng.integers(0, 2, 200)],
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 1000, 200), unit="min"),
        }
    )
    fast = EventLog.from_pandas(df)
    monkeypatch.setattr(_ingest, "_SHARED_MIN_ROWS", 10**9)
    plain = EventLog.from_pandas(df)
    assert np.array_equal(fast.user_codes, plain.user_codes)
    assert list(fast.users) == list(plain.users)
    assert np.array_equal(fast.event_codes, plain.event_codes)
    assert list(fast.event_names) == list(plain.event_names)


@pytest.mark.parametrize(
    ("name", "blank"),
    [
        ("", True),
        ("   ", True),
        ("\u200b", True),
        ("\u3000\t", True),
        (" a", False),
        ("é", False),
        ("用户", False),
        ("x", False),
    ],
)
def test_blank_ids_found_by_the_first_character_prefilter(name: str, blank: bool) -> None:
    idx = pd.Index(["ok", name, "u2"], dtype=object)
    assert (_ingest.blank_positions(idx).tolist() == [1]) is blank


def test_frame_edits_after_the_build_do_not_reach_the_log() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "b"],
            "event": ["x", "x"],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True),
        }
    )
    log = EventLog.from_pandas(df)
    before = log.timestamps_ns.copy()
    df.loc[0, "timestamp"] = pd.Timestamp("2020-01-01", tz="UTC")
    assert np.array_equal(log.timestamps_ns, before)


def test_rows_grouped_by_user_but_not_by_time_get_an_order() -> None:
    log = _log(["a", "a", "b", "b"], [5, 1, 0, 3])  # users sorted, times not within user a
    idx = user_index(log)
    assert not idx.sorted_rows
    assert idx.order.tolist() == [1, 0, 2, 3]


def test_a_sorted_parent_gives_sorted_views() -> None:
    log = _log(["a", "a", "b", "b"], [1, 2, 0, 5])
    assert user_index(log).sorted_rows
    view = log.filter_users(["a"], exclude=True)
    idx = user_index(view)
    assert idx.sorted_rows
    assert idx.offsets.tolist() == [0, 0, 2]  # user a has no events in the view
