"""The review's quality-of-users part, the review without a control group, and bad inputs."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import useropslib as uo
from useropslib.campaigns import lasting_effect, review, user_quality
from useropslib.events import EventLog
from useropslib.exceptions import (
    ConvergenceWarning,
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
)
from useropslib.models import BudgetLine, Campaign, Goal, NewUsersSpec, Phase, ReactivatedUsersSpec


def _acquisition() -> Campaign:
    return Campaign(
        id="c1",
        name="Signup push",
        type="acquisition",
        primary_goal=Goal(
            kind="acquisition",
            metric=NewUsersSpec(event="signup"),
            target=100,
            start="2024-03-01",
            deadline="2024-03-08",
        ),
        budget=(BudgetLine(item="ads", amount=100.0),),
    )


def _signups() -> EventLog:
    rows = [
        ("old", "signup", "2024-02-01", None),
        ("old", "open", "2024-03-09", None),
        ("a1", "signup", "2024-03-01", "c1"),
        ("a1", "open", "2024-03-09", None),
        ("a1", "open", "2024-03-16", None),
        ("a2", "signup", "2024-03-02", "c1"),
        ("a2", "open", "2024-03-10", None),
        ("o1", "signup", "2024-03-03", None),
        ("o1", "open", "2024-03-18", None),
        ("o2", "signup", "2024-03-04", None),
        ("o3", "signup", "2024-03-05", None),
        ("o3", "open", "2024-03-12", None),
        ("o3", "open", "2024-03-31", None),
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "event", "day", "campaign"])
    frame["timestamp"] = pd.to_datetime(frame.pop("day")).dt.tz_localize("UTC") + pd.Timedelta(
        hours=10
    )
    return EventLog.from_frame(frame, properties=["campaign"])


def test_acquired_vs_organic_by_hand() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a Cox fit on five users warns about its precision
        q = user_quality(_acquisition(), _signups(), as_of="2024-03-31 12:00", periods=2, ltv=200.0)
    assert q.comparison == "acquired_vs_organic"
    assert q.groups == ("acquired", "organic")
    # period 1: a1, a2 (2/2) against o3 (1/3); period 2: a1 (1/2) against o1 (1/3)
    assert q.retention["acquired"].tolist() == [1.0, 0.5]
    assert q.retention["organic"].tolist() == pytest.approx([1 / 3, 1 / 3])
    # CAC = budget 100 / 2 acquired users = 50; LTV given 200 -> LTV:CAC 4
    assert q.summary["users"].tolist() == [2, 3]
    assert q.summary.loc["acquired", "cac"] == 50.0
    assert q.summary.loc["acquired", "ltv_to_cac"] == 4.0
    assert math.isnan(q.summary.loc["organic", "ltv_to_cac"])
    assert q.ltv_method == "given"
    hr, lo, hi = q.hazard_ratio
    assert lo <= hr <= hi
    frame = q.to_frame()
    assert list(frame.columns) == [
        "users",
        "ltv",
        "cac",
        "ltv_to_cac",
        "retention_1",
        "retention_2",
    ]
    assert q.to_dict()["comparison"] == "acquired_vs_organic"


def test_ltv_without_purchases_is_named_none() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = user_quality(_acquisition(), _signups(), as_of="2024-03-31 12:00", periods=2)
    assert q.ltv_method == "none"
    assert q.summary["ltv"].isna().all()


def test_treated_vs_control_matches_lasting_effect() -> None:
    data = uo.datasets.synthetic_campaign(n_users=2000, lift=0.5, after_days=21, seed=3)
    q = user_quality(data.campaign, data.log, periods=4)
    le = lasting_effect(data.campaign, data.log, periods=4)
    done = le.retention["complete"].to_numpy(bool)
    assert q.groups == ("treatment", "control")
    np.testing.assert_allclose(
        q.retention["treatment"].to_numpy()[done], le.retention["treatment"].to_numpy()[done]
    )
    assert q.retention["treatment"][~done].isna().all()  # a running period is not a drop
    assert q.hazard is not None
    assert q.hazard_ratio[0] == pytest.approx(float(le.hazard["hazard_ratio"].iloc[0]))
    # LTV per group = that group's cohort ltv_curve at its oldest age
    codes = data.log.users.get_indexer(
        data.log.to_pandas().query("event == 'campaign_exposure' and variant == 'treatment'")[
            "user_id"
        ]
    )
    assert q.summary.loc["treatment", "users"] == len(set(codes))
    sub = data.log.filter_users(data.log.users[np.unique(codes)])
    curve = uo.metrics.ltv_curve(sub, purchase_event="purchase").curve.dropna()
    assert q.summary.loc["treatment", "ltv"] == pytest.approx(float(curve.iloc[-1]))
    assert q.ltv_method == "ltv_curve"


def _no_control_log() -> tuple[Campaign, EventLog]:
    camp = Campaign(
        id="rc",
        name="召回 push ✉",
        type="recall",
        primary_goal=Goal(
            kind="recall",
            metric=ReactivatedUsersSpec(activity_events="open"),
            target=2,
            start="2024-03-08",
            deadline="2024-03-15",
        ),
        phases=(Phase(name="launch", start="2024-03-08", end="2024-03-15"),),
    )
    rows = [
        # u1, u2 get the message (exposed); u3 does not
        ("u1", "open", "2024-03-02", None),
        ("u2", "open", "2024-03-05", None),
        ("u3", "open", "2024-03-03", None),
        ("u1", "message_sent", "2024-03-08", "rc"),
        ("u2", "message_sent", "2024-03-08", "rc"),
        ("u1", "open", "2024-03-10", None),
        ("u3", "open", "2024-03-11", None),
        ("u1", "open", "2024-03-17", None),  # first week after the window
        ("u2", "open", "2024-03-26", None),  # second week after
        ("u3", "open", "2024-03-30", None),
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "event", "day", "campaign"])
    frame["timestamp"] = pd.to_datetime(frame.pop("day")).dt.tz_localize("UTC") + pd.Timedelta(
        hours=10
    )
    return camp, EventLog.from_frame(frame, properties=["campaign"])


def test_no_control_before_after_by_hand() -> None:
    camp, log = _no_control_log()
    q = user_quality(camp, log, as_of="2024-03-31 23:00", periods=2)
    assert q.comparison == "treated_before_after"
    assert q.params["treated"] == "exposed"
    # after the window (from 03-15 00:00): week 1 u1 (1/2), week 2 u2 (1/2)
    assert q.retention["after"].tolist() == [0.5, 0.5]
    # before the launch (03-08 00:00): week 1 = [03-01, 03-08): u1, u2 both open (2/2);
    # week 2 = [02-23, 03-01): nobody
    assert q.retention["before"].tolist() == [1.0, 0.0]
    assert q.hazard is None
    assert q.summary["users"].tolist() == [2, 2]


def test_review_without_control_group_has_every_part() -> None:
    data = uo.datasets.synthetic_campaign(
        n_users=1500, lift=0.5, control="none", after_days=21, seed=4
    )
    rv = review(data.campaign, data.log)
    assert rv.treated == "exposed"
    # attainment: exposed (= every user here) paying users in the window, counted directly
    frame = data.log.to_pandas()
    launch, end = data.truth["launch"], data.truth["end"]
    in_window = frame[
        (frame["event"] == "purchase") & (frame["timestamp"] >= launch) & (frame["timestamp"] < end)
    ]
    assert rv.attainment["actual"] == in_window["user_id"].nunique()
    assert rv.attainment["okr_grade"] == 1.0
    assert rv.funnel is not None
    assert rv.participation is not None
    assert rv.quality is not None
    assert rv.quality.comparison == "treated_before_after"
    keys = [k for k, *_ in rv.parts("en")]
    assert keys[:4] == ["goal", "counterfactual", "funnel", "participation"]
    assert "lasting" in keys
    assert "quality" in keys
    en = rv.to_markdown("en")
    assert "Treated population: every exposed user" in en
    assert "This is not a causal comparison." in en
    zh = rv.to_markdown("zh")
    assert "实验人群：所有触达用户" in zh
    assert "这不是因果比较" in zh
    d = rv.to_dict("zh")
    assert d["treated"] == "exposed"
    assert d["quality"]["comparison"] == "treated_before_after"


def test_review_passes_ltv_model_and_says_which() -> None:
    data = uo.datasets.synthetic_campaign(n_users=1500, lift=0.5, after_days=21, seed=5)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        rv = review(data.campaign, data.log, ltv="model")
    assert rv.quality is not None
    assert rv.quality.ltv_method == "ltv_curve"
    cost = {k: t for k, _, t, _ in rv.parts("en")}["cost"]
    assert cost == (
        "Lifetime value (for LTV:CAC): cohort ltv_curve at its oldest age (the model did not "
        "converge)."
    )
    zh = {k: t for k, _, t, _ in rv.parts("zh")}
    assert "同期群 LTV 曲线的最大月龄值（模型未收敛）" in zh["cost"]
    assert "LTV:CAC" in zh["quality"]


def test_quality_text_quotes_hazard_interval() -> None:
    data = uo.datasets.synthetic_campaign(n_users=1500, lift=0.5, after_days=21, seed=6)
    rv = review(data.campaign, data.log)
    assert rv.quality is not None
    hr, lo, hi = rv.quality.hazard_ratio
    text = {k: t for k, _, t, _ in rv.parts("en")}["quality"]
    assert f"{hr:.2f} (95 % interval {lo:.2f} to {hi:.2f}" in text


# bad input ------------------------------------------------------------------------------------


def test_campaign_without_costs() -> None:
    data = uo.datasets.synthetic_campaign(n_users=1500, lift=0.5, after_days=21, seed=7)
    free = data.campaign.model_copy(update={"channels": (), "budget": ()})
    with pytest.warns(InsufficientDataWarning, match="has no costs"):
        rv = review(free, data.log)
    cost = {k: t for k, _, t, _ in rv.parts("en")}["cost"]
    assert "The campaign has no costs" in cost
    assert rv.quality is not None
    assert math.isnan(rv.quality.summary.loc["treatment", "cac"])
    assert [f.rule for f in rv.findings][:1] == ["win_no_roi"]  # ROI unknown: the lift decides


def test_campaign_with_zero_participants() -> None:
    data = uo.datasets.synthetic_campaign(n_users=800, lift=0.5, seed=8)
    frame = data.log.to_pandas()
    frame = frame[~((frame["event"] == "campaign_exposure") & (frame["variant"] == "treatment"))]
    log = EventLog.from_pandas(frame, value_col="value")
    with pytest.raises(
        InsufficientDataError,
        match=r"the treatment arm has 0 users .* at least 30 per arm are needed",
    ):
        review(data.campaign, log)


def test_no_control_zero_exposed_says_why_quality_is_missing() -> None:
    camp, log = _no_control_log()
    other = camp.model_copy(update={"id": "nobody"})
    with pytest.raises(InsufficientDataError, match="reached no user"):
        # every user is treated when nothing is tagged, so force an empty population instead
        user_quality(
            other, log.filter_users(pd.Index(["u3"])).between(end="2024-03-01"), as_of="2024-03-31"
        )


def test_as_of_before_launch() -> None:
    data = uo.datasets.synthetic_campaign(n_users=800, lift=0.5, seed=9)
    with pytest.raises(InvalidParameterError, match="is before the campaign's launch"):
        review(data.campaign, data.log, as_of="2024-03-10")
    with pytest.raises(InsufficientDataError, match="has not ended by as_of"):
        user_quality(data.campaign, data.log, as_of=data.truth["launch"] + pd.Timedelta(days=2))


def test_quality_not_computable_is_a_note() -> None:
    data = uo.datasets.synthetic_campaign(n_users=1500, lift=0.5, after_days=0, seed=10)
    rv = review(data.campaign, data.log, as_of=data.truth["end"] - pd.Timedelta(hours=1))
    assert rv.quality is None
    assert "has not ended by as_of" in rv.notes["quality"]
    part = {k: t for k, _, t, _ in rv.parts("zh")}["quality"]
    assert part.startswith("未计算：")


def test_unicode_campaign_name_renders_escaped() -> None:
    data = uo.datasets.synthetic_campaign(n_users=1500, lift=0.5, after_days=14, seed=11)
    camp = data.campaign.model_copy(update={"name": "春季推送 🌸 <b>&"})
    rv = review(camp, data.log)
    assert "# 活动复盘：春季推送 🌸 <b>&" in rv.to_markdown("zh")
    page = rv.to_html("zh")
    assert "春季推送 🌸 &lt;b&gt;&amp;" in page
    assert "<b>&" not in page


def test_bad_options() -> None:
    camp, log = _no_control_log()
    with pytest.raises(InvalidParameterError, match="periods must be a whole number >= 1"):
        user_quality(camp, log, periods=0)
    with pytest.raises(InvalidParameterError, match="ltv must be a number, 'model' or None"):
        user_quality(camp, log, ltv="bgnbd")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="campaign must be a Campaign"):
        user_quality("c1", log)  # type: ignore[arg-type]
    data = uo.datasets.synthetic_campaign(n_users=500, lift=0.5, seed=12)
    with pytest.raises(InvalidParameterError, match="quality_periods must be a whole number"):
        review(data.campaign, data.log, quality_periods=0)


def test_message_bottleneck_and_pull_forward_text() -> None:
    data = uo.datasets.synthetic_campaign(n_users=2000, lift=0.5, after_days=21, seed=13)
    rv = review(data.campaign, data.log, after_days=14)
    assert rv.funnel is not None
    row = rv.funnel.iloc[0]
    # delivered/sent 95 %, opened/delivered 30 %, clicked/opened 35 %: opening loses most
    assert row["open_rate"] == row["opened"] / row["delivered"]
    assert row["open_rate"] < row["click_through_rate"] < row["delivery_rate"]
    assert rv.bottleneck == "opened"
    parts = {k: t for k, _, t, _ in rv.parts("en")}
    assert parts["funnel"] == "Bottleneck: opened."
    assert {k: t for k, _, t, _ in rv.parts("zh")}["funnel"] == "瓶颈环节：打开。"
    assert rv.pull_forward is not None
    share = rv.pull_forward.table.loc["pull_forward_share"]
    assert parts["pull"].startswith(
        f"Pull-forward share {share['estimate']:.0%} (95 % interval {share['lower']:.0%} to "
        f"{share['upper']:.0%}): the part of the campaign window's effect given back in the 14 "
        "days after it"
    )


def _acquisition_log(seed: int = 0) -> tuple[Campaign, EventLog]:
    """Daily signups; the campaign brings extra users who churn faster (lifetimes 10 vs 30 days)."""
    rng = np.random.default_rng(seed)
    rows = []
    launch, end = pd.Timestamp("2024-03-01", tz="UTC"), pd.Timestamp("2024-03-15", tz="UTC")
    uid = 0
    for d in pd.date_range("2024-01-15", "2024-04-20", freq="D", tz="UTC"):
        for kind, n in (
            ("organic", rng.poisson(12)),
            ("acq", rng.poisson(10) * (launch <= d < end)),
        ):
            for _ in range(int(n)):
                u, uid = f"u{uid}", uid + 1
                t0 = d + pd.Timedelta(hours=float(rng.uniform(0, 24)))
                rows.append((u, "signup", t0, "ads" if kind == "acq" else None, np.nan))
                life = rng.exponential(10 if kind == "acq" else 30)
                for s in np.sort(rng.uniform(0, life, rng.poisson(life / 3))):
                    t = t0 + pd.Timedelta(days=float(s))
                    rows.append((u, "app_open", t, None, np.nan))
                    if rng.random() < 0.2:
                        rows.append((u, "purchase", t, None, float(rng.gamma(2, 20))))
    frame = pd.DataFrame(rows, columns=["user_id", "event", "timestamp", "campaign", "value"])
    frame = frame[frame["timestamp"] < pd.Timestamp("2024-04-20", tz="UTC")]
    camp = Campaign(
        id="ads",
        name="春季拉新 Spring ads",
        type="acquisition",
        primary_goal=Goal(
            kind="acquisition",
            metric=NewUsersSpec(event="signup"),
            target=500,
            baseline=170,
            start=launch.to_pydatetime(),
            deadline=end.to_pydatetime(),
        ),
        phases=(Phase(name="launch", start=launch.to_pydatetime(), end=end.to_pydatetime()),),
        budget=(BudgetLine(item="ads", amount=2000.0),),
    )
    return camp, EventLog.from_frame(frame, value_col="value", properties=["campaign"])


def test_acquisition_review_without_control_group() -> None:
    camp, log = _acquisition_log()
    rv = review(camp, log)
    q = rv.quality
    assert q is not None
    assert q.comparison == "acquired_vs_organic"
    hr, lo, hi = q.hazard_ratio
    assert 1 < lo < hr < hi  # the acquired users churn faster, as simulated
    assert q.summary.loc["acquired", "ltv"] < q.summary.loc["organic", "ltv"]
    n_acq = int(q.summary.loc["acquired", "users"])
    assert q.summary.loc["acquired", "cac"] == pytest.approx(2000.0 / n_acq)
    # attainment: new users of the window over the whole log (no per-user outcome)
    frame = log.to_pandas()
    first = frame[frame["event"] == "signup"].groupby("user_id")["timestamp"].min()
    new = int(((first >= "2024-03-01") & (first < "2024-03-15")).sum())
    assert rv.attainment["actual"] == new
    assert rv.params["attainment"] == "log"
    keys = [k for k, *_ in rv.parts("en")]
    assert "lasting" not in keys  # the acquired-vs-organic comparison is the quality part
    goal = {k: t for k, _, t, _ in rv.parts("en")}["goal"]
    assert (
        "The goal's metric has no per-user outcome, so it is measured over the whole log." in goal
    )
    assert rv.pacing is not None
    assert rv.pacing["actual"].iloc[-1] == new
    zh = {k: t for k, _, t, _ in rv.parts("zh")}["quality"]
    assert zh.startswith("活动获取的用户对比同期自然新增用户。")


def test_pacing_is_on_the_attainment_measure() -> None:
    data = uo.datasets.synthetic_campaign(n_users=1500, lift=0.5, seed=14)
    rv = review(data.campaign, data.log, quality_periods=None)
    assert rv.pacing is not None
    assert rv.pacing["actual"].iloc[-1] == rv.attainment["actual"]
    assert rv.pacing["expected"].iloc[-1] == pytest.approx(data.campaign.primary_goal.target)
    assert rv.pacing["actual"].is_monotonic_increasing
    assert len(rv.pacing) == 14  # one row per day of the 14-day window
    ratio = rv.pacing["actual"].iloc[-1] / rv.pacing["expected"].iloc[-1]
    assert rv.pacing_status == (
        "ahead" if ratio >= 1.05 else "behind" if ratio <= 0.95 else "on track"
    )
    assert rv.quality is None
    assert "quality" not in rv.notes


def test_pacing_of_a_rate_goal_is_a_note() -> None:
    from useropslib.models import ARPUSpec

    data = uo.datasets.synthetic_campaign(n_users=1500, lift=0.5, seed=15)
    goal = data.campaign.primary_goal.model_copy(update={"metric": ARPUSpec(), "baseline": None})
    camp = data.campaign.model_copy(update={"primary_goal": goal})
    rv = review(camp, data.log, quality_periods=None)
    assert rv.pacing is None
    assert "is not a count or a sum that grows through the window" in rv.notes["pacing"]


def _message_campaign(n_users: int = 4000) -> tuple[object, object, object]:
    import pandas as pd

    from useropslib.models import ActiveUsersSpec, Campaign, Channel, Goal, Phase

    data = uo.datasets.synthetic(n_users=n_users, days=120, seed=42)
    launch = data.campaign_start.normalize()
    end = launch + pd.Timedelta(days=14)
    campaign = Campaign(
        id="message",
        name="Message campaign",
        type="recall",
        primary_goal=Goal(
            kind="retention",
            metric=ActiveUsersSpec(activity_events="app_open", window="14D"),
            target=300,
            start=launch,
            deadline=end,
            name="active users",
        ),
        channels=(Channel(name="email", cost_per_contact=0.01),),
        phases=(Phase(name="launch", start=launch, end=end),),
    )
    assignment = data.campaign.set_index("user_id")["arm"]
    return data, campaign, assignment


def test_hazard_of_a_campaign_that_raises_activity_is_below_one() -> None:
    # the synthetic message campaign raises the return rate; every arm user's churn clock starts
    # at the launch (the message itself is not activity), so fewer treated users churn
    data, campaign, assignment = _message_campaign()
    le = uo.campaigns.lasting_effect(campaign, data.events, assignment=assignment)
    ratio, lower, upper = le.hazard[
        ["hazard_ratio", "hazard_ratio_lower", "hazard_ratio_upper"]
    ].iloc[0]
    assert upper < 1.0
    assert lower < ratio < upper
    first = le.retention.iloc[0]
    assert first["treatment"] > first["control"]


def test_review_counts_untagged_messages_from_the_launch_and_says_so() -> None:
    data, campaign, assignment = _message_campaign()
    rv = review(campaign, data.events, assignment=assignment)
    assert rv.notes["messages"] == "untagged"
    frame = data.events.to_pandas()
    sent = frame[
        (frame["event"] == "message_sent") & (frame["timestamp"] >= data.campaign_start.normalize())
    ]
    assert int(rv.funnel["sent"].sum()) == len(sent)
    assert "carry no campaign property" in rv.to_markdown("en")
    assert "没有活动（campaign）属性" in rv.to_markdown("zh")
