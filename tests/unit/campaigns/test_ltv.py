"""LTV for LTV:CAC: BG/NBD + Gamma-Gamma through the churn module, else the cohort LTV curve."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import useropslib as uo
from useropslib.campaigns import evaluate
from useropslib.campaigns._ltv import model_ltv
from useropslib.churn import BetaGeoModel, GammaGammaModel, rfm_summary
from useropslib.events import EventLog, LazyEventLog
from useropslib.exceptions import ConvergenceWarning, InvalidParameterError
from useropslib.metrics import ltv_curve


def _bgnbd_log(n: int = 1500, seed: int = 3) -> EventLog:
    """Purchases of a BG/NBD population over 52 weeks (gamma rates, beta dropout)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(0.8, 1 / 4.0, n)  # purchases per week while alive
    p = rng.beta(1.0, 4.0, n)
    spend = rng.gamma(6.0, 5.0, n)
    start = pd.Timestamp("2024-01-01", tz="UTC")
    users, times, values = [], [], []
    for i in range(n):  # test data only
        t = rng.uniform(0, 4)  # weeks: first purchase
        alive = True
        while alive and t < 52:
            users.append(f"u{i}")
            times.append(start + pd.Timedelta(weeks=float(t)))
            values.append(float(rng.gamma(4.0, spend[i] / 4.0)))
            alive = rng.uniform() > p[i]
            t += rng.exponential(1 / lam[i])
    frame = pd.DataFrame(
        {"user_id": users, "event": "purchase", "timestamp": times, "value": values}
    )
    return EventLog.from_frame(frame, value_col="value")


def test_model_value_is_the_churn_modules_clv() -> None:
    log = _bgnbd_log()
    as_of = pd.Timestamp("2024-12-30", tz="UTC")
    users = pd.Index([f"u{i}" for i in range(0, 1500, 3)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got, method = model_ltv(log, users, purchase_event=("purchase",), as_of=as_of)
    assert method == "bgnbd_gamma_gamma"
    # the same through the churn module's public API, step by step
    summary = rfm_summary(log, purchase_event=["purchase"], as_of=as_of, monetary=True)
    bg = BetaGeoModel().fit(summary)
    gg = GammaGammaModel().fit(summary)
    clv = gg.customer_lifetime_value(bg, summary.reindex(users).dropna(), time=12)
    assert got == pytest.approx(float(np.mean(np.asarray(clv))), rel=1e-12)
    assert 0 < got < 10_000


def test_no_convergence_warns_and_falls_back_to_ltv_curve() -> None:
    data = uo.datasets.synthetic_campaign(n_users=4000, lift=0.3, seed=2)
    with pytest.warns(ConvergenceWarning, match="falls back to the cohort ltv_curve"):
        ev = evaluate(data.campaign, data.log, ltv="model")
    curve = ltv_curve(data.log, purchase_event=["purchase"], as_of=ev.as_of).curve.dropna()
    assert ev.economics["ltv"] == pytest.approx(float(curve.iloc[-1]), rel=1e-12)
    assert ev.economics["ltv_to_cac"] == pytest.approx(
        ev.economics["ltv"] / ev.economics["cac"], rel=1e-12
    )
    assert "ltv_curve" in ev.conventions["ltv"]
    assert ev.to_dict()["economics"]["ltv"] > 0


def test_given_ltv_is_kept_and_model_needs_a_purchase_goal() -> None:
    data = uo.datasets.synthetic_campaign(n_users=4000, lift=0.3, seed=2)
    ev = evaluate(data.campaign, data.log, ltv=50.0)
    assert ev.economics["ltv"] == 50.0
    assert ev.conventions["ltv"] == "given"
    goal = data.campaign.primary_goal.model_copy(update={"metric": uo.models.ActiveUsersSpec()})
    campaign = data.campaign.model_copy(update={"primary_goal": goal, "secondary_goals": ()})
    with pytest.raises(InvalidParameterError, match="needs ltv='model' and a purchase goal"):
        evaluate(campaign, data.log, ltv="model")


def test_model_ltv_on_a_lazy_log_equals_in_memory() -> None:
    duckdb = pytest.importorskip("duckdb")
    data = uo.datasets.synthetic_campaign(n_users=4000, lift=0.3, seed=2)
    frame = data.log.to_pandas()
    frame["timestamp"] = frame["timestamp"].dt.tz_convert("UTC")
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    lazy = LazyEventLog.scan(
        con.from_df(frame), properties=["variant", "channel", "campaign"], tz="Asia/Shanghai"
    )
    with pytest.warns(ConvergenceWarning):
        eager = evaluate(data.campaign, data.log, ltv="model")
    with pytest.warns(ConvergenceWarning):
        got = evaluate(data.campaign, lazy, ltv="model")
    assert got.economics["ltv"] == pytest.approx(eager.economics["ltv"], rel=1e-12)
