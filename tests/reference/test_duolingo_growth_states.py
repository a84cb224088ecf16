"""Duolingo growth-model states and transition rates.

Source: ``segments_duolingo_growth_states.json`` (copied into ``tests/reference/data/``), a case
DERIVED from the published definitions -- Erin Gustafson, "Meaningful metrics: how data sharpened
the focus of product teams" (Duolingo blog, the state list) and Jorge Mazal, "How Duolingo
reignited user growth" (Lenny's Newsletter: daily windows, CURR / NURR / RURR / SURR) -- with
the window table cross-checked against wowone.github.io "Modeling DAU with Markov chain".
Windows: current = active in d-6..d-1, at-risk MAU = last active d-29..d-7, resurrected and
dormant = last active 30 or more days before.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pandas as pd
import pytest

from useropslib.events import EventLog
from useropslib.metrics import growth_states

CASE: dict[str, Any] = json.loads(
    (pathlib.Path(__file__).parent / "data" / "segments_duolingo_growth_states.json").read_text(
        "utf-8"
    )
)
T0 = pd.Timestamp("2024-01-01", tz="UTC")


def day(d: int) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=d)


def log_of(users: dict[str, list[int]]) -> EventLog:
    rows = [
        (u, "lesson", day(d) + pd.Timedelta(hours=9)) for u, days in users.items() for d in days
    ]
    return EventLog.from_pandas(pd.DataFrame(rows, columns=["user_id", "event", "timestamp"]))


def test_trajectory_of_one_user() -> None:
    inputs = CASE["inputs"]["trajectory_user"]
    first, last = inputs["days"]
    r = growth_states(log_of({"u1": inputs["active_days"]}), start=day(first), end=day(last))
    # one user: each day's state is the one column holding a 1
    assert (r.counts.sum(axis=1) == 1).all()
    assert r.counts.idxmax(axis=1).tolist() == CASE["expected"]["trajectory_states"]


@pytest.mark.parametrize("name", sorted(CASE["inputs"]["boundary_users"]))
def test_window_boundaries(name: str) -> None:
    spec = CASE["inputs"]["boundary_users"][name]
    r = growth_states(
        log_of({"u": spec["active_days"]}), start=day(spec["day"]), end=day(spec["day"])
    )
    assert r.user_states()["u"] == CASE["expected"]["boundary_states"][name]


@pytest.fixture(scope="module")
def population() -> EventLog:
    return log_of(CASE["inputs"]["population"]["users"])


def test_population_snapshot(population: EventLog) -> None:
    snap = CASE["inputs"]["population"]["snapshot_day"]
    expected = CASE["expected"]["population_snapshot"]
    r = growth_states(population, start=day(snap), end=day(snap))
    assert r.user_states().astype(str).to_dict() == expected["states"]
    counts = r.counts.iloc[0]
    assert {k: int(v) for k, v in counts.items() if v} == expected["counts"]
    assert int(r.active["dau"].iloc[0]) == expected["DAU"]
    assert int(r.active["wau"].iloc[0]) == expected["WAU"]
    assert int(r.active["mau"].iloc[0]) == expected["MAU"]


def test_transitions_and_curr(population: EventLog) -> None:
    snap = CASE["inputs"]["population"]["snapshot_day"]
    r = growth_states(population, start=day(snap), end=day(snap + 1))
    moves = r.transitions.stack()
    got = {f"{a}->{b}": int(n) for (a, b), n in moves.items() if n}
    assert got == CASE["expected"]["transitions_day50_to_day51"]
    curr = CASE["expected"]["CURR_day50_to_day51"]
    assert r.rates.loc[day(snap), "CURR"] == pytest.approx(curr["value"])
    assert r.pooled_rates["CURR"] == pytest.approx(curr["value"])
    current = r.counts.loc[day(snap), "current"]
    assert current == len(curr["current_on_day50"])
    assert r.transitions.loc["current", "current"] == curr["still_current_day51"]
