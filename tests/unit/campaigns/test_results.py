"""Every campaigns result: JSON-ready to_dict, tidy to_frame, plot returning the Axes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from useropslib.campaigns import (
    cost_benefit,
    grade_okrs,
    pacing,
    progress,
    project_funnel,
    target_from_history,
)
from useropslib.events import EventLog
from useropslib.models import Campaign, Goal, KeyResult, NewUsersSpec, Objective, OKRSet

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture
def log() -> EventLog:
    days = pd.date_range("2024-01-01", "2024-04-20", freq="D", tz="UTC")
    df = pd.DataFrame(
        {"user_id": [f"u{i}" for i in range(len(days))], "event": "signup", "timestamp": days}
    )
    return EventLog.from_pandas(df)


def test_results_round_trip_and_plot(log: EventLog) -> None:
    import matplotlib.pyplot as plt

    goal = Goal(
        metric=NewUsersSpec(),
        baseline=20,
        target=40,
        start="2024-04-01T00:00Z",
        deadline="2024-05-01T00:00Z",
    )
    camp = Campaign(
        id="c",
        name="n",
        type="acquisition",
        primary_goal=goal,
        channels=[{"name": "sms", "fixed_cost": 10}],
    )
    okrs = OKRSet(
        objectives=[Objective(text="o", key_results=[KeyResult(text="k", target=2, achieved=1)])]
    )
    results = [
        progress(goal, log),
        pacing(goal, log),
        target_from_history(NewUsersSpec(), log, method="mom"),
        project_funnel(100, [0.5]),
        cost_benefit(camp, expected_incremental=5, value_per_conversion=3),
        grade_okrs(okrs),
    ]
    for res in results:
        json.dumps(res.to_dict())
        assert isinstance(res.to_frame(), pd.DataFrame)
        assert repr(res)
        _, ax = plt.subplots()
        assert res.plot(ax=ax) is ax
        assert res.plot() is not None
        plt.close("all")
