"""The activity roll-up: dense and sparse kernels agree with a pandas group-by."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from useropslib.events import EventLog, _rollup, first_seen_ns, last_seen_ns, user_periods


def _log(seed: int = 0, n: int = 2000) -> EventLog:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "user_id": rng.integers(0, 300, n).astype(str),
            "event": rng.choice(["a", "b"], n),
            "timestamp": pd.to_datetime(
                rng.integers(1_704_067_200, 1_704_067_200 + 60 * 86_400, n), unit="s", utc=True
            ),
            "value": rng.random(n),
        }
    )
    return EventLog.from_pandas(df)


@pytest.mark.parametrize("dense", [True, False])
def test_user_periods_matches_groupby(dense: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _log()
    if not dense:
        monkeypatch.setattr(_rollup, "_dense_ok", lambda n_bins, n_keys: False)
    up = user_periods(log, "week")
    df = log.to_pandas()
    df["u"] = log.user_codes
    df["p"] = log.period_codes("week")
    g = df.groupby(["u", "p"]).agg(n=("event", "size"), v=("value", "sum")).reset_index()
    np.testing.assert_array_equal(up.user, g["u"].to_numpy())
    np.testing.assert_array_equal(up.period, g["p"].to_numpy())
    np.testing.assert_array_equal(up.n_events, g["n"].to_numpy())
    np.testing.assert_allclose(up.value, g["v"].to_numpy())


def test_masked_and_extremes() -> None:
    log = _log(1)
    mask = log.event_codes == 0
    up = user_periods(log, "day", mask=mask)
    assert up.n_events.sum() == mask.sum()
    first, last = first_seen_ns(log), last_seen_ns(log)
    df = pd.DataFrame({"u": log.user_codes, "t": log.timestamps_ns})
    g = df.groupby("u")["t"].agg(["min", "max"])
    np.testing.assert_array_equal(first[g.index], g["min"].to_numpy())
    np.testing.assert_array_equal(last[g.index], g["max"].to_numpy())
    empty = user_periods(log, "day", mask=np.zeros(log.n_events, dtype=bool))
    assert len(empty) == 0
