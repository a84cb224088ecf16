"""Funnels with event names the log lacks (zero, with a warning) and "any event" steps (#14).

Hand-computed on a three-person shop: a visits at 0 min, adds to cart at 10, buys at 70;
b visits at 0, adds to cart at 30; c visits at 5.
"""

from __future__ import annotations

import pandas as pd
import pytest

from useropslib.events import set_strict_events, strict_events
from useropslib.exceptions import InvalidParameterError, UnknownEventWarning
from useropslib.metrics import funnel

T0 = pd.Timestamp("2024-01-01", tz="UTC")


@pytest.fixture
def shop() -> pd.DataFrame:
    rows = [
        ("a", "visit", 0),
        ("a", "cart", 10),
        ("a", "buy", 70),
        ("b", "visit", 0),
        ("b", "cart", 30),
        ("c", "visit", 5),
    ]
    return pd.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "event": [r[1] for r in rows],
            "timestamp": [T0 + pd.Timedelta(minutes=r[2]) for r in rows],
        }
    )


def test_absent_step_counts_zero_with_a_warning(shop: pd.DataFrame) -> None:
    with pytest.warns(UnknownEventWarning, match=r"Unknown event name\(s\) \['step two'\]"):
        res = funnel(shop, ["visit", "step two"])
    assert res.table["users"].tolist() == [3, 0]


def test_typo_keeps_the_did_you_mean_hint(shop: pd.DataFrame) -> None:
    with pytest.warns(UnknownEventWarning, match=r"'crat' -> did you mean 'cart'\?"):
        res = funnel(shop, ["visit", "crat", "buy"])
    assert res.table["users"].tolist() == [3, 0, 0]


def test_absent_exclusion_excludes_nobody(shop: pd.DataFrame) -> None:
    with pytest.warns(UnknownEventWarning, match="refund"):
        res = funnel(shop, ["visit", "cart"], exclusions=["refund"])
    assert res.table["users"].tolist() == [3, 2]


def test_strict_argument_restores_the_error(shop: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"Unknown event name\(s\) \['step two'\]"):
        funnel(shop, ["visit", "step two"], strict=True)


def test_library_wide_setting_and_context(shop: pd.DataFrame) -> None:
    with strict_events(), pytest.raises(InvalidParameterError, match="step two"):
        funnel(shop, ["visit", "step two"])
    previous = set_strict_events(True)
    try:
        with pytest.raises(InvalidParameterError, match="step two"):
            funnel(shop, ["visit", "step two"])
        # the function's own argument wins over the setting
        with pytest.warns(UnknownEventWarning):
            funnel(shop, ["visit", "step two"], strict=False)
    finally:
        set_strict_events(previous)


@pytest.mark.parametrize("order", ["ordered", "strict"])
def test_any_event_step_is_the_next_event(shop: pd.DataFrame, order: str) -> None:
    res = funnel(shop, ["visit", None], order=order)  # type: ignore[arg-type]
    # a and b do something after their visit; c does nothing more
    assert res.table["users"].tolist() == [3, 2]
    assert res.table["name"].tolist() == ["visit", "(any event)"]
    assert res.params["steps"] == ["visit", None]


def test_any_event_step_needs_its_own_event(shop: pd.DataFrame) -> None:
    # a: cart, then buy matches the any-event step; no event is left for the "buy" step
    res = funnel(shop, ["cart", None, "buy"])
    assert res.table["users"].tolist() == [2, 1, 0]


def test_any_event_exclusion(shop: pd.DataFrame) -> None:
    # any event between visit and buy disqualifies: a's cart does, b's cart (window open) does
    res = funnel(shop, ["visit", "buy"], exclusions=[None])
    assert res.table["users"].tolist() == [1, 0]
    assert res.excluded_users == 2
