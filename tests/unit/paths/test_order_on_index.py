"""The paths' event order read off the per-user index equals a full sort by (user, time, tie)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from useropslib.events import EventLog
from useropslib.events._query import user_index
from useropslib.paths import top_paths, transitions
from useropslib.paths._query import order_events, tie_keys


def tied_log(seed: int, n: int = 3_000, shuffle: bool = True) -> EventLog:
    """Few users, few distinct instants, rows out of order: many events tie."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2024-03-01", tz="UTC")
    df = pd.DataFrame(
        {
            "user_id": rng.choice([f"u{i}" for i in range(40)], n),
            "event": rng.choice(["open", "view", "buy", "zap", "add"], n),
            "timestamp": t0 + pd.to_timedelta(rng.integers(0, 200, n) * 60, unit="s"),
        }
    )
    if not shuffle:
        df = df.sort_values(["user_id", "timestamp"], kind="stable")
    return EventLog.from_pandas(df)


def reference(log: EventLog, ties: Any, until: int | None) -> np.ndarray[Any, Any]:
    """Rows sorted by (user, time, tie rank, row): numpy's lexsort over every row."""
    rank, _ = tie_keys(log, ties)
    e = log.event_codes.astype(np.int64)
    tie = np.zeros(e.size, dtype=np.int64) if rank is None else rank[e]
    rows = np.arange(e.size)
    order = np.lexsort((rows, tie, log.timestamps_ns, log.user_codes))
    if until is not None:
        order = order[log.timestamps_ns[order] <= until]
    return order


@pytest.mark.parametrize("ties", ["input", "name", ["zap", "buy"]], ids=["input", "name", "list"])
@pytest.mark.parametrize("cut", [False, True], ids=["all", "until"])
@pytest.mark.parametrize("shuffle", [True, False], ids=["unsorted-rows", "sorted-rows"])
def test_order_equals_a_full_sort(ties: Any, cut: bool, shuffle: bool) -> None:
    log = tied_log(3, shuffle=shuffle)
    until = int(log.timestamps_ns.min()) + 100 * 60 * 10**9 if cut else None
    before = user_index(log).events().copy(), user_index(log).order.copy()
    o = order_events(log, ties=ties, until=until)
    want = reference(log, ties, until)
    np.testing.assert_array_equal(o.rows, want)
    np.testing.assert_array_equal(o.user, log.user_codes[want])
    np.testing.assert_array_equal(o.t, log.timestamps_ns[want])
    np.testing.assert_array_equal(o.event, log.event_codes[want])
    assert o.rows.dtype == o.user.dtype == o.event.dtype == np.int64
    # the cached index (shared with other calls) is left as it was
    np.testing.assert_array_equal(user_index(log).events(), before[0])
    np.testing.assert_array_equal(user_index(log).order, before[1])


def test_ties_reordered_only_inside_one_users_instant() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b", "a"],
            "event": ["view", "buy", "open", "add", "add"],
            "timestamp": pd.to_datetime(["2024-01-01 10:00"] * 4 + ["2024-01-01 09:00"], utc=True),
        }
    )
    log = EventLog.from_pandas(df)
    o = order_events(log, ties="name")
    names = np.asarray(log.event_names, dtype=object)[o.event].tolist()
    assert names == ["add", "buy", "open", "view", "add"]  # a at 09:00, a's run by name, b
    assert o.rows.tolist() == [4, 1, 2, 0, 3]
    assert order_events(log, ties="input").rows.tolist() == [4, 0, 1, 2, 3]


def test_paths_answers_do_not_depend_on_the_row_order() -> None:
    a, b = tied_log(5), tied_log(5, shuffle=False)
    for ties in ("name", ["zap", "buy"]):
        pd.testing.assert_frame_equal(
            transitions(a, within="session", ties=ties).table,
            transitions(b, within="session", ties=ties).table,
        )
        pd.testing.assert_frame_equal(
            top_paths(a, steps=4, ties=ties).table, top_paths(b, steps=4, ties=ties).table
        )
