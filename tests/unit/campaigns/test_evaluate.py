"""evaluate() on synthetic and hand-built campaigns: recovery, economics by hand, every error."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from useropslib.campaigns import compare_proportions, evaluate, holdout_control
from useropslib.datasets import synthetic_campaign
from useropslib.events import EventLog
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
)
from useropslib.models import (
    BudgetLine,
    Campaign,
    Channel,
    ExposureControl,
    Goal,
    PayingUsersSpec,
    Phase,
)

LAUNCH = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
END = dt.datetime(2024, 5, 8, tzinfo=dt.timezone.utc)


def _campaign(**kw: object) -> Campaign:
    base: dict[str, object] = {
        "id": "c1",
        "name": "test",
        "type": "conversion",
        "primary_goal": Goal(
            kind="conversion", metric=PayingUsersSpec(), target=10, start=LAUNCH, deadline=END
        ),
        "phases": (Phase(name="launch", start=LAUNCH, end=END),),
        "control": ExposureControl(event="exposure"),
        "budget": (BudgetLine(item="push", amount=100.0),),
    }
    base.update(kw)
    return Campaign(**base)  # type: ignore[arg-type]


def _log(conv_c: int = 1, conv_t: int = 3, n: int = 4, both: int = 0) -> EventLog:
    rows = []
    t_exp = pd.Timestamp("2024-05-01 01:00", tz="UTC")
    t_buy = pd.Timestamp("2024-05-03", tz="UTC")
    for arm, conv in (("control", conv_c), ("treatment", conv_t)):
        for i in range(n):
            u = f"{arm[0]}{i}"
            rows.append((u, "seen", pd.Timestamp("2024-04-01", tz="UTC"), np.nan, None))
            rows.append((u, "exposure", t_exp, np.nan, arm))
            if i < conv:
                rows.append((u, "purchase", t_buy, 50.0, None))
    for i in range(both):
        rows.append((f"c{i}", "exposure", t_exp + pd.Timedelta(hours=1), np.nan, "treatment"))
    frame = pd.DataFrame(rows, columns=["user_id", "event", "timestamp", "value", "variant"])
    return EventLog.from_pandas(frame, value_col="value")


def test_economics_by_hand() -> None:
    # control 1/4, treatment 3/4: +0.5 per treated user -> 2 incremental conversions
    ev = evaluate(
        _campaign(),
        _log(),
        min_units=2,
        value_per_conversion=80.0,
        ltv=200.0,
        cuped=False,
        difference="absolute",
    )
    e = ev.economics
    assert e["cost"] == pytest.approx(100.0)
    assert e["incremental_conversions"] == pytest.approx(2.0)
    assert e["incremental_value"] == pytest.approx(160.0)
    assert e["roi"] == pytest.approx(0.6)
    assert e["cac"] == pytest.approx(100 / 3)
    assert e["cost_per_incremental_conversion"] == pytest.approx(50.0)
    assert e["ltv_to_cac"] == pytest.approx(200 / (100 / 3))
    ref = compare_proportions({"n": [4, 4], "conversions": [1, 3]}, difference="absolute")
    assert ev.estimate == pytest.approx(ref.estimate)
    assert ev.ci == pytest.approx(ref.ci)
    assert e["incremental_conversions_low"] == pytest.approx(ref.ci[0] * 4)


def test_measured_value_when_no_value_per_conversion() -> None:
    ev = evaluate(_campaign(), _log(), min_units=2, cuped=False)
    # revenue per user: 3*50/4 - 1*50/4 = 25 per treated user, 4 treated users
    assert ev.economics["incremental_value"] == pytest.approx(100.0)
    assert ev.economics["roi"] == pytest.approx(0.0)


def test_channel_costs_when_no_budget() -> None:
    camp = _campaign(
        budget=(), channels=(Channel(name="sms", cost_per_contact=2.0, fixed_cost=10),)
    )
    ev = evaluate(camp, _log(), min_units=2, cuped=False)
    assert ev.economics["cost"] == pytest.approx(10 + 2.0 * 4)


def test_missing_costs_warn_and_leave_roi_out() -> None:
    with pytest.warns(InsufficientDataWarning, match="has no costs"):
        ev = evaluate(_campaign(budget=()), _log(), min_units=2, cuped=False)
    assert np.isnan(ev.economics["roi"])
    assert ev.economics["incremental_conversions"] == pytest.approx(2.0)


def test_synthetic_recovery_and_json() -> None:
    data = synthetic_campaign(n_users=6000, lift=0.4, seed=3)
    ev = evaluate(data.campaign, data.log)
    assert ev.ci[0] < 0.4 < ev.ci[1]
    assert ev.table["cuped"].iloc[0]
    assert list(ev.table["role"]) == ["primary", "secondary", "secondary"]
    assert (ev.table["p_adjusted"].iloc[1:] >= ev.table["p_value"].iloc[1:]).all()
    json.dumps(ev.to_dict())
    assert "gbstats" in ev.conventions["frequentist"]


def test_holdout_campaign() -> None:
    data = synthetic_campaign(n_users=4000, lift=0.3, control="holdout", seed=4)
    ev = evaluate(data.campaign, data.log)
    assert ev.params["source"] == "holdout"
    assert not ev.srm.flagged
    n = ev.table[["n_control", "n_treatment"]].iloc[0]
    assert n.sum() == 4000


def test_holdout_control_is_stable_and_deterministic() -> None:
    ids = [f"user{i}" for i in range(20_000)]
    a = holdout_control(ids, share=0.1, salt="x")
    b = holdout_control([*ids, "new1", "new2"], share=0.1, salt="x")
    np.testing.assert_array_equal(a, b[:-2])
    assert abs(a.mean() - 0.1) < 0.01
    c = holdout_control(ids, share=0.1, salt="y")
    assert (a != c).any()


def test_srm_52_48_is_flagged() -> None:
    data = synthetic_campaign(n_users=40_000, lift=0.1, assigned_share=0.48, seed=5)
    with pytest.warns(InsufficientDataWarning, match="sample-ratio mismatch"):
        ev = evaluate(data.campaign, data.log, cuped=False)
    assert ev.srm.flagged
    assert ev.srm.p_value < 0.001


# --- errors -------------------------------------------------------------------------------


def test_error_no_control_group() -> None:
    with pytest.raises(InvalidParameterError, match="has no control group"):
        evaluate(_campaign(control=None), _log(), min_units=2)


def test_error_overlapping_arms_and_options() -> None:
    log = _log(both=2)
    with pytest.raises(InvalidParameterError, match="2 users were exposed to both"):
        evaluate(_campaign(), log, min_units=2)
    first = evaluate(_campaign(), log, min_units=2, overlap="first", cuped=False)
    assert first.table["n_control"].iloc[0] == 4
    dropped = evaluate(
        _campaign(), log, min_units=2, overlap="drop", cuped=False, difference="absolute"
    )
    assert dropped.table["n_control"].iloc[0] == 2


def test_error_as_of_before_launch() -> None:
    with pytest.raises(InvalidParameterError, match="before the campaign's launch"):
        evaluate(_campaign(), _log(), as_of="2024-04-15", min_units=2)


def test_error_too_few_units() -> None:
    with pytest.raises(InsufficientDataError, match="at least 30 per arm are needed"):
        evaluate(_campaign(), _log())


def test_error_empty_control() -> None:
    with pytest.raises(InsufficientDataError, match="the control arm has 0 users"):
        evaluate(_campaign(), _log(), assignment=pd.Series("treatment", index=["t0", "t1", "t2"]))


def test_error_missing_goal_events() -> None:
    goal = Goal(
        kind="conversion",
        metric=PayingUsersSpec(purchase_event="purchse"),
        target=10,
        start=LAUNCH,
        deadline=END,
    )
    with pytest.raises(InvalidParameterError, match=r"'purchse' \(did you mean 'purchase'\?\)"):
        evaluate(_campaign(primary_goal=goal), _log(), min_units=2)


def test_error_missing_exposure_event() -> None:
    with pytest.raises(InvalidParameterError, match=r"'exposur'.*did you mean 'exposure'"):
        evaluate(_campaign(control=ExposureControl(event="exposur")), _log(), min_units=2)


def test_error_not_a_campaign() -> None:
    with pytest.raises(InvalidParameterError, match=r"must be a useropslib\.models\.Campaign"):
        evaluate({"id": "x"}, _log())  # type: ignore[arg-type]


def test_holdout_control_agrees_with_assign() -> None:
    from useropslib.campaigns import assign
    from useropslib.models import HoldoutControl

    ids = [f"u{i}" for i in range(2000)]
    camp = _campaign(control=HoldoutControl(share=0.2, salt="c1"))
    arms = assign(ids, camp)
    ours = holdout_control(ids, share=0.2, salt="c1")
    np.testing.assert_array_equal(ours, (arms == "control").to_numpy())


def test_synthetic_recall_campaign() -> None:
    data = synthetic_campaign(
        n_users=6000,
        lift=0.3,
        base_rate=0.15,
        goal="reactivation",
        control="holdout",
        control_share=0.2,
        seed=6,
    )
    assert data.campaign.type == "recall"
    ev = evaluate(data.campaign, data.log)
    assert ev.table["metric"].iloc[0] == "reactivated_users"
    assert ev.ci[0] < 0.3 < ev.ci[1]
    # purchases are untouched: no significant change after the correction
    assert ev.table["p_adjusted"].iloc[1] > 0.05


def test_synthetic_campaign_errors() -> None:
    with pytest.raises(InvalidParameterError, match="goal must be 'purchase' or 'reactivation'"):
        synthetic_campaign(goal="revenue")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="must stay below 1"):
        synthetic_campaign(base_rate=0.6, lift=1.0)
    with pytest.raises(InvalidParameterError, match=r"dip must lie in \[0, 1\)"):
        synthetic_campaign(dip=1.0)


def test_to_dict_nests_the_results() -> None:
    ev = evaluate(_campaign(), _log(), min_units=2, cuped=False)
    d = ev.to_dict()
    json.dumps(d)
    assert d["srm"]["p_value"] == pytest.approx(ev.srm.p_value)
    assert d["frequentist"]["table"][0]["variant"] == "treatment"
    assert d["bayesian"]["params"]["engine"] == "bayesian"
