"""``sharing_order``: paths calls in one block share their ordering, answers unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import useropslib as uo
from useropslib.paths import _query
from useropslib.paths._query import order_events, sharing_order


@pytest.fixture(scope="module")
def log() -> uo.EventLog:
    events, _ = uo.datasets.synthetic(n_users=300, days=30, seed=5)
    return events


def _calls(log: uo.EventLog) -> list[pd.DataFrame]:
    return [
        uo.paths.transitions(log, within="session").table,
        uo.paths.top_paths(log, steps=4, n=10, end="add_friend").table,
        uo.paths.transitions(log, within="session", exclude=["app_open"]).table,
        uo.paths.top_paths(log, steps=3, n=5, ties="input", collapse=None).table,
        uo.paths.transitions(log, within="user", group={"view_*": "view"}).table,
    ]


def test_answers_equal_with_and_without_sharing(log: uo.EventLog) -> None:
    alone = _calls(log)
    with sharing_order():
        shared = _calls(log)
        shared_again = _calls(log)
    for a, b, c in zip(alone, shared, shared_again, strict=True):
        pd.testing.assert_frame_equal(a, b)
        pd.testing.assert_frame_equal(a, c)


def test_one_ordering_per_option_set_read_only_and_released(log: uo.EventLog) -> None:
    with sharing_order():
        first = order_events(log, ties="name")
        assert order_events(log, ties="name") is first
        assert order_events(log, ties=["signup", "app_open"]) is not first
        assert order_events(log, ties="name", exclude=["app_open"]) is not first
        assert not first.event.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            first.event[0] = 0
        memo = _query._SHARED.get()
        assert memo is not None
        assert len(memo) >= 3
    assert _query._SHARED.get() is None
    fresh = order_events(log, ties="name")
    assert fresh is not first
    assert fresh.event.flags.writeable
    np.testing.assert_array_equal(fresh.event, first.event)


def test_other_logs_are_not_confused(log: uo.EventLog) -> None:
    other, _ = uo.datasets.synthetic(n_users=200, days=30, seed=6)
    with sharing_order():
        a = order_events(log, ties="name")
        b = order_events(other, ties="name")
    assert a.log is log
    assert b.log is other
    assert a.user.size == log.n_events
    assert b.user.size == other.n_events
