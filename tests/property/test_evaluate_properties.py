"""evaluate() invariants: row order does not matter; events after as_of are never read."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from useropslib.campaigns import evaluate
from useropslib.datasets import synthetic_campaign
from useropslib.events import EventLog

DATA = synthetic_campaign(n_users=1500, lift=0.3, seed=21)
FRAME = DATA.log.to_pandas()
BASE = evaluate(DATA.campaign, DATA.log)
COLS = ["n_control", "n_treatment", "estimate", "ci_low", "ci_high", "p_value", "chance_to_win"]
SETTINGS = settings(
    max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(st.integers(0, 2**31 - 1))
def test_row_order_does_not_matter(seed: int) -> None:
    shuffled = FRAME.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    log = EventLog.from_pandas(shuffled, value_col="value")
    got = evaluate(DATA.campaign, log)
    pd.testing.assert_frame_equal(got.table[COLS], BASE.table[COLS], rtol=1e-9)


@SETTINGS
@given(st.integers(1, 30))
def test_events_after_as_of_are_ignored(days_after: int) -> None:
    as_of = DATA.truth["end"] + pd.Timedelta(days=1)
    rng = np.random.default_rng(days_after)
    later = FRAME.sample(n=200, random_state=days_after).copy()
    later["timestamp"] = as_of + pd.to_timedelta(rng.integers(1, days_after * 86_400, 200), "s")
    log = EventLog.from_pandas(pd.concat([FRAME, later], ignore_index=True), value_col="value")
    a = evaluate(DATA.campaign, DATA.log, as_of=as_of)
    b = evaluate(DATA.campaign, log, as_of=as_of)
    pd.testing.assert_frame_equal(a.table[COLS], b.table[COLS], rtol=1e-9)
