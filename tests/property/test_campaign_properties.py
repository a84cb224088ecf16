"""Invariants of goals and campaign plans (seeded hypothesis, modest example counts)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from useropslib.campaigns import breakdown_target, largest_remainder, pacing
from useropslib.events import EventLog
from useropslib.models import (
    ARPUSpec,
    Campaign,
    ChurnDefinition,
    ChurnRateSpec,
    ConversionSpec,
    Goal,
    HoldoutControl,
    KeyResult,
    MessageRateSpec,
    NewUsersSpec,
    Objective,
    OKRSet,
    OrdersSpec,
    RetentionSpec,
    RevenueSpec,
    metric_spec_adapter,
)

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


@SETTINGS
@given(
    total=st.integers(min_value=0, max_value=10**9),
    shares=st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=12).filter(
        lambda s: sum(s) > 0
    ),
)
def test_largest_remainder_sums_exactly(total: int, shares: list[float]) -> None:
    parts = largest_remainder(total, shares)
    assert int(parts.sum()) == total
    assert (parts >= 0).all()
    quota = total * np.asarray(shares) / sum(shares)
    assert np.all(np.abs(parts - quota) < 1 + 1e-9)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(
    total=st.integers(min_value=0, max_value=100_000),
    groups=st.lists(st.sampled_from(["ads", "seo", "push", "渠道"]), min_size=1, max_size=30),
)
def test_breakdown_sums_to_total(total: int, groups: list[str]) -> None:
    df = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(len(groups))],
            "event": "purchase",
            "timestamp": pd.date_range("2024-01-01", periods=len(groups), freq="h", tz="UTC"),
            "channel": groups,
        }
    )
    out = breakdown_target(
        total, OrdersSpec(), df, breakdown="channel", start="2024-01-01", end="2024-02-01"
    )
    assert int(out["target"].sum()) == total
    assert abs(out["share"].sum() - 1) < 1e-12


@settings(max_examples=15, deadline=None, derandomize=True)
@given(
    per_day=st.integers(min_value=1, max_value=20),
    days_in=st.integers(min_value=1, max_value=9),
    length=st.integers(min_value=10, max_value=20),
)
def test_pacing_on_the_linear_curve_is_on_track(per_day: int, days_in: int, length: int) -> None:
    start = pd.Timestamp("2024-02-01", tz="UTC")
    rows = []
    for d in range(days_in):
        day = start + pd.Timedelta(days=d, hours=6)
        rows += [(f"u{d}-{i}", "buy", day, 1.0) for i in range(per_day)]
    log = EventLog.from_pandas(
        pd.DataFrame(rows, columns=["user_id", "event", "timestamp", "value"])
    )
    goal = Goal(
        metric=RevenueSpec(purchase_event="buy"),
        target=per_day * length,
        start=start.to_pydatetime(),
        deadline=(start + pd.Timedelta(days=length)).to_pydatetime(),
    )
    res = pacing(goal, log, as_of=start + pd.Timedelta(days=days_in))
    assert res.status == "on track"
    assert abs(res.gap) < 1e-9
    assert abs(res.projected - goal.target) < 1e-9


names = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x4E2D), min_size=1, max_size=8
)
moments = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2200, 1, 1))


@st.composite
def goals(draw: st.DrawFn) -> Goal:
    start = draw(moments)
    baseline = draw(st.floats(min_value=0, max_value=1e6))
    up = draw(st.floats(min_value=1e-3, max_value=1e6))
    return Goal(
        kind=draw(st.sampled_from(["acquisition", "brand", None])),
        metric=draw(st.sampled_from([NewUsersSpec(), NewUsersSpec(event="注册"), OrdersSpec()])),
        baseline=baseline,
        target=baseline + up,
        start=start,
        deadline=start + dt.timedelta(days=draw(st.integers(min_value=1, max_value=400))),
        name=draw(st.one_of(st.none(), names)),
    )


@SETTINGS
@given(goal=goals(), share=st.floats(min_value=1e-6, max_value=1 - 1e-6), salt=names, cid=names)
def test_json_round_trips(goal: Goal, share: float, salt: str, cid: str) -> None:
    assert Goal.model_validate_json(goal.model_dump_json()) == goal
    camp = Campaign(
        id=cid,
        name=cid,
        type="brand",
        primary_goal=goal,
        control=HoldoutControl(share=share, salt=salt),
    )
    assert Campaign.model_validate_json(camp.model_dump_json()) == camp
    okrs = OKRSet(
        objectives=[
            Objective(
                text=cid,
                key_results=[
                    KeyResult(
                        text=salt, target=goal.target, baseline=goal.baseline, metric=goal.metric
                    ),
                    KeyResult(text="done", done=True),
                ],
            )
        ]
    )
    assert OKRSet.model_validate_json(okrs.model_dump_json()) == okrs


event_names = st.lists(names, min_size=1, max_size=3)
metric_specs = st.one_of(
    st.builds(NewUsersSpec, event=st.one_of(st.none(), event_names)),
    st.builds(
        ConversionSpec,
        steps=st.lists(names, min_size=2, max_size=4),
        window=st.integers(1, 90).map(lambda d: f"{d}D"),
        order=st.sampled_from(["ordered", "strict", "unordered"]),
    ),
    st.builds(RetentionSpec, k=st.integers(1, 12), period=st.sampled_from(["day", "week"])),
    st.builds(RevenueSpec, purchase_event=event_names),
    st.builds(ARPUSpec, purchase_event=event_names, activity_events=st.none()),
    st.builds(
        ChurnRateSpec,
        definition=st.builds(ChurnDefinition, threshold=st.integers(1, 400).map(lambda d: f"{d}D")),
    ),
    st.builds(MessageRateSpec, rate=st.sampled_from(["open_rate", "return_rate", "click_rate"])),
)


@SETTINGS
@given(spec=metric_specs)
def test_metric_spec_json_round_trips(spec: object) -> None:
    assert metric_spec_adapter.validate_json(metric_spec_adapter.dump_json(spec)) == spec  # type: ignore[arg-type]
