"""Goal, OKR, Campaign and MetricSpec models: invariants with their messages, lossless JSON."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from useropslib.models import (
    ActiveUsersSpec,
    ARPUSpec,
    BudgetLine,
    Campaign,
    Channel,
    ChurnDefinition,
    ChurnRateSpec,
    ConversionSpec,
    ExposureControl,
    Goal,
    HoldoutControl,
    KeyResult,
    MessageRateSpec,
    NewUsersSpec,
    Objective,
    OKRSet,
    ParticipationFunnel,
    Phase,
    RetentionSpec,
    metric_spec_adapter,
)


def _goal(**kw: object) -> Goal:
    base: dict[str, object] = {
        "kind": "acquisition",
        "metric": NewUsersSpec(event="signup"),
        "baseline": 100,
        "target": 120,
        "start": "2024-03-01",
        "deadline": "2024-04-01",
    }
    base.update(kw)
    return Goal(**base)  # type: ignore[arg-type]


def _campaign(**kw: object) -> Campaign:
    base: dict[str, object] = {"id": "c1", "name": "Spring", "type": "acquisition"}
    base["primary_goal"] = _goal()
    base.update(kw)
    return Campaign(**base)  # type: ignore[arg-type]


def test_goal_round_trip_and_window() -> None:
    g = _goal(stretch_target=130, name="spring signups")
    assert Goal.model_validate_json(g.model_dump_json()) == g
    assert g.window_days == 31.0
    assert g.label == "spring signups"


def test_target_in_wrong_direction() -> None:
    with pytest.raises(ValidationError, match=r"not above baseline.*set direction='decrease'"):
        _goal(target=90)
    with pytest.raises(ValidationError, match=r"not below baseline"):
        _goal(direction="decrease", target=130)
    assert _goal(direction="decrease", target=80).direction == "decrease"


def test_stretch_must_lie_beyond_target() -> None:
    with pytest.raises(ValidationError, match=r"stretch_target=110.0 is not above target"):
        _goal(stretch_target=110)


def test_deadline_before_start() -> None:
    with pytest.raises(ValidationError, match=r"deadline=2024-02-01T00:00:00 is not after start"):
        _goal(deadline="2024-02-01")
    with pytest.raises(ValidationError, match=r"mix naive and time-zone-aware"):
        _goal(deadline="2024-04-01T00:00:00+08:00")


def test_rate_goal_target_outside_unit_interval() -> None:
    with pytest.raises(ValidationError, match=r"not a share in \[0, 1\].*0.25 for 25 %"):
        _goal(kind="retention", metric=RetentionSpec(), baseline=30, target=35)


def test_non_finite_target() -> None:
    with pytest.raises(ValidationError, match=r"target must be a finite number"):
        _goal(target=float("nan"), baseline=None)


def test_no_primary_goal_or_two() -> None:
    with pytest.raises(ValidationError, match=r"exactly one primary goal, got None"):
        _campaign(primary_goal=None)
    with pytest.raises(ValidationError, match=r"exactly one primary goal, got 2.*secondary_goals"):
        _campaign(primary_goal=[_goal(), _goal()])


def test_primary_goal_without_metric() -> None:
    with pytest.raises(ValidationError, match=r"primary goal has no metric"):
        _campaign(primary_goal=_goal(metric=None))
    # a draft goal without a metric is a valid Goal
    assert _goal(metric=None).metric is None


def test_phases_out_of_order_overlapping_or_empty() -> None:
    plan = {"name": "plan", "start": "2024-02-01", "end": "2024-02-10"}
    launch = {"name": "launch", "start": "2024-03-01", "end": "2024-04-01"}
    assert _campaign(phases=[plan, launch]).phase("launch") is not None
    with pytest.raises(ValidationError, match=r"phases are out of order: 'plan' after 'launch'"):
        _campaign(phases=[launch, plan])
    with pytest.raises(ValidationError, match=r"phases overlap: 'plan' ends"):
        _campaign(phases=[{**plan, "end": "2024-03-05"}, launch])
    with pytest.raises(ValidationError, match=r"phase 'plan' appears twice"):
        _campaign(phases=[plan, plan])
    with pytest.raises(ValidationError, match=r"ends at .* not after its start"):
        Phase(name="plan", start="2024-02-10", end="2024-02-01")  # type: ignore[arg-type]


def test_negative_budget_or_cost() -> None:
    with pytest.raises(
        ValidationError, match=r"budget amount must be a finite number >= 0, got -1"
    ):
        BudgetLine(item="coupons", amount=-1)
    with pytest.raises(ValidationError, match=r"channel cost_per_contact must be .* >= 0"):
        Channel(name="sms", cost_per_contact=-0.1)
    with pytest.raises(ValidationError, match=r"reward_per_participant must be"):
        _campaign(reward_per_participant=-5)


def test_currency_rules() -> None:
    with pytest.raises(ValidationError, match=r"three-letter ISO 4217 code"):
        BudgetLine(item="x", amount=1, currency="dollars")
    with pytest.raises(ValidationError, match=r"budget lines mix currencies"):
        _campaign(
            budget=[{"item": "a", "amount": 1}, {"item": "b", "amount": 1, "currency": "CNY"}]
        )
    camp = _campaign(budget=[{"item": "a", "amount": 1, "currency": "cny"}])
    assert camp.currency == "CNY"
    assert _campaign().currency == "USD"
    with pytest.raises(ValidationError, match=r"not among the campaign's channels"):
        _campaign(budget=[{"item": "a", "amount": 1, "channel": "tv"}])
    with pytest.raises(ValidationError, match=r"channel names must be distinct"):
        _campaign(channels=[{"name": "sms"}, {"name": "sms"}])


@pytest.mark.parametrize("share", [0, 1, 1.5, -0.1])
def test_holdout_share_outside_unit_interval(share: float) -> None:
    with pytest.raises(ValidationError, match=r"strictly between 0 and 1.*fractions"):
        HoldoutControl(share=share, salt="s")


def test_campaign_round_trip_and_schema() -> None:
    camp = _campaign(
        secondary_goals=[
            _goal(
                kind="conversion",
                metric=ConversionSpec(steps=["a", "b"]),
                baseline=0.1,
                target=0.12,
            )
        ],
        channels=[Channel(name="push", cost_per_contact=0.01, fixed_cost=10, expected_reach=100)],
        budget=[BudgetLine(item="creative", amount=300, channel="push")],
        phases=[{"name": "warm_up", "start": "2024-02-20", "end": "2024-03-01"}],
        funnel=ParticipationFunnel(attention="view", interest=["open", "click"], action="signup"),
        control=ExposureControl(event="exposure"),
        reward_per_participant=1.5,
    )
    again = Campaign.model_validate_json(camp.model_dump_json())
    assert again == camp
    assert camp.total_budget == 300.0
    assert camp.channels[0].expected_cost == 11.0
    assert camp.funnel is not None
    assert camp.funnel.stages[1] == ("interest", ("open", "click"))
    schema = Campaign.model_json_schema()
    json.dumps(schema)
    assert "primary_goal" in schema["required"]


def test_funnel_needs_action_and_one_earlier_stage() -> None:
    with pytest.raises(ValidationError, match=r"at least one earlier stage"):
        ParticipationFunnel(action="buy")


def test_okr_limits() -> None:
    kr = KeyResult(text="k", target=1)
    obj = Objective(text="o", key_results=[kr])
    assert len(OKRSet(objectives=[obj] * 3).objectives) == 3
    with pytest.raises(ValidationError, match=r"1 to 3 objectives, got 4.*few and focused"):
        OKRSet(objectives=[obj] * 4)
    with pytest.raises(ValidationError, match=r"1 to 5 key results, got 6"):
        Objective(text="o", key_results=[kr] * 6)
    with pytest.raises(ValidationError, match=r"1 to 5 key results, got 0"):
        Objective(text="o", key_results=[])


def test_key_result_kinds() -> None:
    assert KeyResult(text="k", target=6).kind == "numeric"
    assert KeyResult(text="k", done=True).kind == "binary"
    with pytest.raises(ValidationError, match=r"binary key result 'k' has \['target'\]"):
        KeyResult(text="k", kind="binary", target=3)
    with pytest.raises(ValidationError, match=r"decreases but has no baseline"):
        KeyResult(text="k", target=3, direction="decrease")
    with pytest.raises(ValidationError, match=r"needs a positive target"):
        KeyResult(text="k", target=0)
    with pytest.raises(ValidationError, match=r"wrong side of baseline"):
        KeyResult(text="k", target=3, baseline=5)


def test_metric_spec_union_round_trips_every_kind() -> None:
    specs = [
        NewUsersSpec(event="signup"),
        ARPUSpec(purchase_event=["buy", "renew"], activity_events="open"),
        ChurnRateSpec(definition=ChurnDefinition(threshold="30D")),
        MessageRateSpec(rate="open_rate", channel="email"),
        ConversionSpec(steps=["a", "b", "c"], window="3D", order="strict"),
    ]
    for spec in specs:
        assert metric_spec_adapter.validate_json(metric_spec_adapter.dump_json(spec)) == spec
    assert metric_spec_adapter.validate_python({"kind": "orders"}).required_events() == (
        "purchase",
    )


def test_metric_spec_bad_inputs() -> None:
    with pytest.raises(ValidationError, match=r"at least two events"):
        ConversionSpec(steps=["a"])
    with pytest.raises(ValidationError, match=r"single name 'a'"):
        ConversionSpec(steps="a")
    with pytest.raises(ValidationError, match=r"bare number 7"):
        ConversionSpec(steps=["a", "b"], window=7)
    with pytest.raises(ValidationError, match=r"needs the 'opened' stage"):
        MessageRateSpec(rate="open_rate", opened=None)
    with pytest.raises(ValidationError, match=r"whole number of days"):
        ActiveUsersSpec(window="36h")
