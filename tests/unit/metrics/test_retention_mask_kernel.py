"""The bit-mask co-occurrence count of calendar retention equals the matrix-product one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from useropslib import EventLog
from useropslib.metrics import _retention, retention


def _log(seed: int) -> EventLog:
    rng = np.random.default_rng(seed)
    n = 600
    return EventLog.from_pandas(
        pd.DataFrame(
            {
                "user_id": [f"u{k}" for k in rng.integers(0, 60, n)],
                "event": np.array(["open", "buy", "view"], dtype=object)[rng.integers(0, 3, n)],
                "timestamp": pd.Timestamp("2024-01-01", tz="UTC")
                + pd.to_timedelta(rng.integers(0, 90 * 24, n), unit="h"),
                "tier": np.array(["a", "b"], dtype=object)[rng.integers(0, 2, n)],
            }
        )
    )


OPTIONS = [
    {},
    {"mode": "on_or_after"},
    {"start_event": "open", "return_event": "buy"},
    {"start_event": "open", "return_event": "buy", "mode": "on_or_after"},
    {"min_occurrences": 2},
    {"cohort": "first_time", "start": "2024-01-01"},
    {"breakdown": "tier"},
    {"period": "day", "periods": 15},
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("options", OPTIONS)
def test_mask_kernel_equals_product(
    seed: int, options: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _log(seed)
    kw: dict[str, object] = {"period": "week", "periods": 8, **options}
    masks = retention(log, **kw).counts  # type: ignore[arg-type]
    monkeypatch.setattr(_retention, "_MASK_MAX_SHARED", -1)
    monkeypatch.setattr(_retention, "_MASK_MAX_PAIRS", -1)
    product = retention(log, **kw).counts  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(masks, product)
