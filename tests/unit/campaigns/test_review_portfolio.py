"""review() findings by rule, bilingual rendering; portfolio() pooling, recommendation, errors."""

from __future__ import annotations

import json

import pytest

from useropslib.campaigns import REVIEW_RULES, portfolio, review
from useropslib.datasets import synthetic_campaign
from useropslib.exceptions import InsufficientDataError, InvalidParameterError


@pytest.fixture(scope="module")
def winner():  # type: ignore[no-untyped-def]
    return synthetic_campaign(n_users=4000, lift=0.5, seed=11)


def test_review_repeat_and_rendering(winner) -> None:  # type: ignore[no-untyped-def]
    rv = review(winner.campaign, winner.log)
    assert rv.findings[0].action == "repeat"
    assert rv.findings[0].rule == "win"
    assert all(f.rule in REVIEW_RULES for f in rv.findings)
    md_en, md_zh = rv.to_markdown("en"), rv.to_markdown("zh")
    assert "# Campaign review: Spring push" in md_en
    assert "活动复盘" in md_zh
    assert "继续" in md_zh
    html = rv.to_html("zh")
    assert html.startswith("<!DOCTYPE html>")
    assert 'lang="zh"' in html
    d = rv.to_dict("zh")
    json.dumps(d, ensure_ascii=False)
    assert d["findings"][0]["action"] == "repeat"
    assert rv.funnel is not None
    assert rv.bottleneck in {"delivered", "opened", "clicked", "returned"}
    assert 0 <= rv.attainment["okr_grade"] <= 1


def test_review_stop_when_harmful() -> None:
    data = synthetic_campaign(n_users=6000, lift=-0.6, seed=12)
    rv = review(data.campaign, data.log)
    assert rv.findings[0].action == "stop"
    assert rv.findings[0].rule == "harm"


def test_review_costly_rule() -> None:
    data = synthetic_campaign(n_users=4000, lift=0.5, seed=13, cost_per_contact=100.0)
    rv = review(data.campaign, data.log)
    assert rv.findings[0].rule == "costly"
    assert rv.findings[0].action == "adjust"


def test_review_open_rate_rule(winner) -> None:  # type: ignore[no-untyped-def]
    rv = review(winner.campaign, winner.log, min_open_rate=0.9)
    rules = [f.rule for f in rv.findings]
    assert "open_rate" in rules


def test_review_bad_language(winner) -> None:  # type: ignore[no-untyped-def]
    rv = review(winner.campaign, winner.log)
    with pytest.raises(InvalidParameterError, match="lang must be 'en' or 'zh'"):
        rv.to_markdown("fr")  # type: ignore[arg-type]


def test_portfolio_pools_and_recommends(winner) -> None:  # type: ignore[no-untyped-def]
    other = winner.campaign.model_copy(update={"id": "again"})
    res = portfolio([winner.campaign, other], winner.log)
    assert res.recommendation == "make_routine"
    assert "lower bound" in res.rule
    assert res.pooled.i2 == pytest.approx(0.0)
    high = portfolio([winner.campaign, other], winner.log, min_effect=5.0)
    assert high.recommendation == "stop"
    assert list(res.to_frame().index)[-1] == "pooled"


def test_portfolio_errors(winner) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InsufficientDataError, match="at least 2 campaigns"):
        portfolio([winner.campaign], winner.log)
    other = winner.campaign.model_copy(update={"id": "b", "type": "recall"})
    with pytest.raises(InvalidParameterError, match="different types cannot be pooled"):
        portfolio([winner.campaign, other], winner.log)


def test_review_pull_forward_recovers_the_dip() -> None:
    # lift 0.6 in the window, treated users buy 50 % less in the 14 days after: the share of
    # the lift taken from the after-window is about 0.5 / 0.6
    data = synthetic_campaign(n_users=8000, lift=0.6, dip=0.5, base_rate=0.15, seed=3)
    rv = review(data.campaign, data.log, after_days=14)
    assert rv.pull_forward is not None
    row = rv.pull_forward.table.loc["pull_forward_share"]
    assert row["lower"] < 0.5 / 0.6 < row["upper"]
    assert "pull_forward" in [f.rule for f in rv.findings]
    assert "提前透支" in rv.to_markdown("zh")


def test_review_no_pull_forward_without_dip() -> None:
    data = synthetic_campaign(n_users=8000, lift=0.6, dip=0.0, base_rate=0.15, seed=4)
    rv = review(data.campaign, data.log, after_days=14)
    assert rv.pull_forward is not None
    row = rv.pull_forward.table.loc["pull_forward_share"]
    assert row["lower"] < 0 < row["upper"]
    assert "pull_forward" not in [f.rule for f in rv.findings]


def test_review_pull_forward_needs_the_after_window(winner) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidParameterError, match="pull-forward needs the log to cover 60 days"):
        review(winner.campaign, winner.log, after_days=60)


def test_review_participation_funnel_and_lasting() -> None:
    data = synthetic_campaign(n_users=3000, lift=0.5, seed=1, after_days=21)
    rv = review(data.campaign, data.log, lasting_periods=2)
    assert rv.participation is not None
    assert list(rv.participation.index) == ["attention", "interest", "weigh", "action"]
    users = rv.participation["users"].to_numpy()
    assert (users[1:] <= users[:-1]).all()
    # purchases after a click are the rarest step in the synthetic plan
    assert rv.participation_bottleneck == "action"
    assert rv.lasting is not None
    assert len(rv.lasting.retention) == 2
    md = rv.to_markdown("zh")
    assert "参与漏斗" in md
    assert "长期效果" in md
    d = rv.to_dict()
    json.dumps(d)
    assert d["participation_bottleneck"] == "action"


def test_every_result_plots(winner) -> None:  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from useropslib.campaigns import (
        evaluate,
        lasting_effect,
        pool_effects,
        qini_curve,
        sample_ratio_mismatch,
    )

    ev = evaluate(winner.campaign, winner.log)
    results = [
        ev,
        ev.srm,
        pool_effects([0.1, 0.2], standard_errors=[0.05, 0.05]),
        qini_curve([1, 0, 1, 0], treatment=[1, 1, 0, 0], score=[4, 3, 2, 1]),
        sample_ratio_mismatch([10, 12]),
    ]
    data = synthetic_campaign(n_users=1500, lift=0.3, seed=2, after_days=21)
    results.append(lasting_effect(data.campaign, data.log, periods=2))
    for r in results:
        _, ax = plt.subplots()
        assert r.plot(ax=ax) is ax
        plt.close("all")
