"""The per-user index's sort carries the event codes when the rows are in time order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from useropslib import EventLog
from useropslib.events._userindex import build_user_index


@pytest.mark.parametrize("n_names", [1, 2, 3, 255, 256, 300, 70_000])
@pytest.mark.parametrize("time_sorted", [True, False])
def test_events_in_index_order(n_names: int, time_sorted: bool) -> None:
    rng = np.random.default_rng(n_names)
    n = max(2_000, n_names)
    minutes = rng.integers(0, 500, n)
    if time_sorted:
        minutes = np.sort(minutes)
    df = pd.DataFrame(
        {
            "user_id": [f"u{k}" for k in rng.integers(0, 40, n)],
            "event": [f"e{k}" for k in np.r_[np.arange(n_names), rng.integers(0, n_names, n)]][:n],
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(minutes, unit="min"),
        }
    )
    log = EventLog.from_pandas(df)
    idx = build_user_index(
        log.user_codes,
        log.timestamps_ns,
        log.event_codes,
        n_users=len(log.users),
        n_event_names=len(log.event_names),
    )
    expected = np.lexsort((np.arange(n), log.timestamps_ns, log.user_codes))
    assert idx.order.tolist() == expected.tolist()
    assert idx.events().tolist() == log.event_codes[expected].tolist()
    assert idx.events().dtype == (
        np.uint8 if len(log.event_names) <= 255 else np.uint16 if n_names <= 65_535 else np.int32
    )
    assert not idx.events().flags.writeable
    assert np.array_equal(idx.times(), log.timestamps_ns[expected])
