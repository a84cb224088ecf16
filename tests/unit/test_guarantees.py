"""The promises of docs/guarantees.md that no other test pins: threads, row order, pickling."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import pytest

from useropslib import churn, metrics, segments
from useropslib.datasets import synthetic_frame
from useropslib.events import EventLog

FRAME = synthetic_frame(n_users=150, days=60, seed=7)
LOG = EventLog.from_pandas(FRAME)

CALLS: list[tuple[str, Callable[[EventLog], Any]]] = [
    ("active_users", lambda log: metrics.active_users(log, window="week")),
    ("retention", lambda log: metrics.retention(log, period="week", periods=4).counts),
    ("lifecycle", lambda log: metrics.lifecycle(log, period="week").counts),
    ("revenue", lambda log: metrics.revenue(log).table),
    ("churn_labels", lambda log: churn.churn_labels(log, "14D")),
    ("rfm", lambda log: segments.rfm(log).table),
]


def frames_equal(a: Any, b: Any) -> bool:
    """Equal results; per-user tables may list users in another order (the input's)."""
    if isinstance(a, pd.DataFrame | pd.Series):
        if a.index.name == "user_id":
            a, b = a.sort_index(), b.sort_index()
        return bool(a.equals(b))
    return bool(a == b)


@pytest.mark.parametrize(("name", "call"), CALLS, ids=[n for n, _ in CALLS])
def test_results_do_not_depend_on_row_order(name: str, call: Callable[[EventLog], Any]) -> None:
    shuffled = EventLog.from_pandas(FRAME.sample(frac=1.0, random_state=3))
    assert frames_equal(call(LOG), call(shuffled)), name


def test_one_log_is_safe_to_share_between_threads() -> None:
    expected = [call(LOG) for _, call in CALLS]
    fresh = EventLog.from_pandas(FRAME)  # empty caches, filled concurrently
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(call, fresh) for _ in range(4) for _, call in CALLS]
        got = [f.result() for f in futures]
    for i, result in enumerate(got):
        assert frames_equal(result, expected[i % len(CALLS)]), CALLS[i % len(CALLS)][0]


def test_logs_and_results_survive_pickling() -> None:
    again = pickle.loads(pickle.dumps(LOG))
    assert again == LOG
    result = metrics.retention(LOG, period="week", periods=4)
    assert pickle.loads(pickle.dumps(result)).counts.equals(result.counts)


def test_no_function_changes_its_input_frame() -> None:
    before = FRAME.copy(deep=True)
    for _, call in CALLS:
        call(FRAME)  # type: ignore[arg-type]  # a plain frame goes through the same checks
    pd.testing.assert_frame_equal(FRAME, before)
